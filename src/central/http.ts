import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { isLoopback } from '../config/service-schema.js';
import { RequestError, type BrokerLink } from './broker-link.js';
import type { CentralConfig } from './config.js';
import type { Fleet, FleetChange } from './fleet.js';
import type { CentralStore, FaultRow } from './store.js';
import { lessonsCsv, roomSummary, weekly } from './views.js';

export interface CentralHttpContext {
  config: CentralConfig;
  log: Logger;
  store: CentralStore;
  fleet: Fleet;
  broker: BrokerLink;
  metrics: Registry;
}

const PAGE = new URL('./page.html', import.meta.url);
const MAX_BODY = 64 * 1024;
const NAME = '[a-z0-9][a-z0-9-]{0,63}';
const ROOM_PATH = new RegExp(`^/api/rooms/(${NAME})/(${NAME})$`);
const REQUEST_PATH = new RegExp(`^/api/rooms/(${NAME})/(${NAME})/request/([a-z]+/[a-z_]+)$`);
const ACK_PATH = /^\/api\/faults\/(\d{1,12})\/ack$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'invalid_request', `a body of at most ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        const v: unknown = JSON.parse(text);
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
        resolve(v as Record<string, unknown>);
      } catch {
        reject(new HttpError(400, 'invalid_json', 'the body must be a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

/**
 * The centre's page and JSON API. Bound to loopback by default; on any other address every request
 * needs `Authorization: Bearer <http.token>` (the live stream, opened by a browser's EventSource that
 * sends no header, may carry it as `?token=`).
 */
export class CentralHttp {
  private server: Server | undefined;
  private readonly streams = new Set<ServerResponse>();
  port = 0;

  constructor(private readonly ctx: CentralHttpContext) {
    ctx.fleet.on('change', (c) => this.broadcast(c));
  }

  private authorised(req: IncomingMessage, url: URL): boolean {
    const { host, token } = this.ctx.config.http;
    if (isLoopback(host) && token === undefined) return true;
    const given =
      (url.pathname === '/api/stream' ? url.searchParams.get('token') : null) ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!given || !token) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const e = err instanceof HttpError || err instanceof RequestError ? err : new HttpError(500, 'internal', 'internal error');
        if (e.status === 500) this.ctx.log.error({ err }, 'request failed');
        if (!res.headersSent) res.writeHead(e.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ error: { code: e.code, message: e.message } }));
      });
    });
    const { host, port } = this.ctx.config.http;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.ctx.log.info({ url: `http://${host}:${this.port}/` }, 'the centre page is up');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://central');
    const path = url.pathname;
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (path === '/healthz') return send(200, { ok: true, broker: this.ctx.broker.connected ? 'connected' : 'disconnected' });
    if (!this.authorised(req, url)) {
      res.setHeader('www-authenticate', 'Bearer');
      throw new HttpError(401, 'auth_failed', 'a Bearer token is needed (http.token)');
    }
    const { store, fleet } = this.ctx;
    const request = REQUEST_PATH.exec(path);
    if (request && req.method === 'POST') {
      const [, site, room, command] = request as unknown as [string, string, string, string];
      if (!fleet.room(site, room)) throw new HttpError(404, 'not_found', `no room ${site}/${room} has been seen`);
      const args = await readBody(req);
      delete args.id;
      return send(200, await this.ctx.broker.request(site, room, command, args));
    }
    const ack = ACK_PATH.exec(path);
    if (ack && req.method === 'POST') {
      const body = await readBody(req);
      const note = typeof body.note === 'string' ? body.note.slice(0, 1000) : '';
      const fault = await fleet.acknowledge(Number(ack[1]), note);
      if (!fault) throw new HttpError(404, 'not_found', `no fault ${ack[1]}`);
      return send(200, fault);
    }
    if (req.method !== 'GET') throw new HttpError(405, 'invalid_request', `${req.method} not allowed here`);
    if (path === '/') return send(200, readFileSync(PAGE, 'utf8'), 'text/html; charset=utf-8');
    if (path === '/metrics') return send(200, await this.ctx.metrics.metrics(), this.ctx.metrics.contentType);
    if (path === '/api/stream') return this.stream(res);
    if (path === '/api/rooms') {
      const open = new Map<string, FaultRow[]>();
      for (const f of fleet.open()) {
        const k = `${f.site}/${f.room}`;
        open.set(k, [...(open.get(k) ?? []), f]);
      }
      return send(
        200,
        fleet.list().map((r) => roomSummary(r, open.get(`${r.site}/${r.room}`) ?? [])),
      );
    }
    const room = ROOM_PATH.exec(path);
    if (room) {
      const [, site, name] = room as unknown as [string, string, string];
      const r = fleet.room(site, name);
      if (!r) throw new HttpError(404, 'not_found', `no room ${site}/${name} has been seen`);
      const faults = await store.faults({ site, room: name, limit: 100 });
      return send(200, {
        ...roomSummary(
          r,
          faults.filter((f) => f.clearedAt === null),
        ),
        state: r.state,
        telemetry: r.telemetry,
        faultList: faults,
        events: await store.events(site, name, 100),
        lessons: await store.lessons({ site, room: name }, 50),
      });
    }
    if (path === '/api/faults') {
      const open = url.searchParams.get('open');
      return send(
        200,
        await store.faults({
          open: open === 'true' || open === '1',
          ...(url.searchParams.get('site') ? { site: url.searchParams.get('site')! } : {}),
          ...(url.searchParams.get('room') ? { room: url.searchParams.get('room')! } : {}),
        }),
      );
    }
    if (path === '/api/lessons' || path === '/api/lessons/weekly') {
      const q: { site?: string; from?: string; to?: string } = {};
      for (const k of ['site', 'from', 'to'] as const) {
        const v = url.searchParams.get(k);
        if (v === null || v === '') continue;
        if (k !== 'site' && (!DATE.test(v) || Number.isNaN(Date.parse(v))))
          throw new HttpError(400, 'invalid_request', `${k}: a date like 2026-11-23 or a UTC time like 2026-11-23T08:00:00Z`);
        q[k] = k === 'site' ? v : new Date(v).toISOString();
      }
      const lessons = await store.lessons(q);
      if (path === '/api/lessons/weekly') return send(200, weekly(lessons));
      const csv = url.searchParams.get('format') === 'csv' || (req.headers.accept ?? '').includes('text/csv');
      if (csv) {
        res.setHeader('content-disposition', 'attachment; filename="lessons.csv"');
        return send(200, lessonsCsv(lessons), 'text/csv; charset=utf-8');
      }
      return send(200, lessons);
    }
    throw new HttpError(404, 'not_found', `nothing at ${path}`);
  }

  /** Server-Sent Events: every change to a room, a fault or a lesson, as it happens. */
  private stream(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    this.streams.add(res);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    res.on('close', () => {
      clearInterval(ping);
      this.streams.delete(res);
    });
  }

  private broadcast(c: FleetChange): void {
    if (this.streams.size === 0) return;
    const data = `event: ${c.type}\ndata: ${JSON.stringify(c)}\n\n`;
    for (const s of this.streams) s.write(data);
  }

  async stop(): Promise<void> {
    for (const s of this.streams) s.end();
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    await closed;
  }
}
