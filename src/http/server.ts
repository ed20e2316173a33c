import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { isLoopback } from '../config/service-schema.js';
import type { Part } from '../core/lifecycle.js';
import { ClassboxError, toClassboxError } from '../core/errors.js';
import type { Preview } from '../webrtc/preview.js';
import type { CommandTable } from '../requests/command-table.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { redactDeep } from '../core/redact.js';
import { sendFile } from './file-range.js';
import { LESSON_ID } from '../features/lesson-commands.js';

export interface HttpContext {
  config: Config;
  log: Logger;
  metrics: Registry;
  /** Undefined when healthy, else why not (a 503 says it). */
  unhealthy: () => string | undefined;
  /** The WebRTC preview (WHEP), when the box runs media. */
  preview?: Preview | undefined;
  /** The page's API: what it shows, and the one command table every request goes through. */
  api?: { page: () => Record<string, unknown>; table: CommandTable };
  /** The lessons on this box: the list, and a ready lesson's file or thumbnail (throws not_found / conflict). */
  lessons?: { list: () => unknown[]; file: (id: string, kind: 'mp4' | 'jpg') => string };
}

const PAGE = readFileSync(fileURLToPath(new URL('./page.html', import.meta.url)), 'utf8');

const MAX_BODY = 64 * 1024;
const LESSON_FILE = new RegExp(`^/lessons/(${LESSON_ID})\\.(mp4|jpg)$`);

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) return void chunks.push(c);
      // Read the rest and drop it, so the client hears the refusal (destroying the socket answered nothing).
      req.off('data', onData);
      req.resume();
      reject(Object.assign(new ClassboxError('invalid_request', `body larger than ${MAX_BODY / 1024} KB`), { httpStatus: 413 }));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const STATUS: Partial<Record<string, number>> = {
  invalid_request: 400,
  invalid_json: 400,
  not_found: 404,
  conflict: 409,
  device_busy: 503,
};

/**
 * The box's local HTTP (CONTRACT §6): `/healthz` and `/metrics`. Bound to loopback by default; on any
 * other address every request needs `Authorization: Bearer <http.token>`.
 */
export class HttpServer implements Part {
  readonly name = 'http';
  private server: Server | undefined;
  private readonly log: Logger;
  port = 0;

  constructor(private readonly ctx: HttpContext) {
    this.log = ctx.log.child({ part: 'http' });
  }

  private authorised(req: IncomingMessage): boolean {
    const { host, token } = this.ctx.config.http;
    if (isLoopback(host)) return true;
    // A browser's <video> and <img> send no header: a lesson's file may carry the token in its address.
    const inQuery = (req.url ?? '').startsWith('/lessons/') ? new URL(req.url ?? '/', 'http://box').searchParams.get('token') : null;
    const given = inQuery ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!given || !token) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (!this.authorised(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      return send(401, JSON.stringify({ error: { code: 'auth_failed', message: 'a Bearer token is needed (http.token)' } }));
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const preview = this.ctx.preview;
    if (path === '/whep' && req.method === 'POST') {
      if (!preview) return send(409, JSON.stringify({ error: { code: 'conflict', message: 'this box runs no media to preview' } }));
      try {
        const feed = new URL(req.url ?? '/', 'http://box').searchParams.get('source') ?? undefined;
        const { id, answer } = await preview.offer(await body(req), feed);
        res.writeHead(201, { 'content-type': 'application/sdp', location: `/whep/${id}`, 'cache-control': 'no-store' });
        return void res.end(answer);
      } catch (err) {
        const e = toClassboxError(err);
        return send(STATUS[e.code] ?? 500, JSON.stringify({ error: { code: e.code, message: e.message } }));
      }
    }
    const session = /^\/whep\/([0-9a-f-]{36})$/.exec(path);
    if (session && req.method === 'DELETE')
      return preview?.close(session[1]!)
        ? send(200, '{}')
        : send(404, JSON.stringify({ error: { code: 'not_found', message: 'no such session' } }));
    const api = this.ctx.api;
    const command = /^\/api\/request\/([a-z/]{1,64})$/.exec(path);
    if (api && command && req.method === 'POST') {
      let payload: Buffer;
      try {
        payload = Buffer.from(await body(req));
      } catch (err) {
        const e = toClassboxError(err);
        return send(
          (err as { httpStatus?: number }).httpStatus ?? STATUS[e.code] ?? 400,
          JSON.stringify({ id: null, status: 'error', error: { code: e.code, message: e.message } }),
        );
      }
      return send(200, JSON.stringify(await api.table.handle(command[1]!, payload)));
    }
    const lessonFile = LESSON_FILE.exec(path);
    if (lessonFile && this.ctx.lessons && (req.method === 'GET' || req.method === 'HEAD')) {
      let file: string;
      try {
        file = this.ctx.lessons.file(lessonFile[1]!, lessonFile[2] as 'mp4' | 'jpg');
      } catch (err) {
        const e = toClassboxError(err);
        return send(STATUS[e.code] ?? 500, JSON.stringify({ error: { code: e.code, message: e.message } }));
      }
      return sendFile(req, res, file, lessonFile[2] === 'mp4' ? 'video/mp4' : 'image/jpeg');
    }
    if (req.method !== 'GET')
      return send(405, JSON.stringify({ error: { code: 'invalid_request', message: `${req.method} not allowed` } }));
    if (path === '/healthz') {
      const reason = this.ctx.unhealthy();
      return reason ? send(503, JSON.stringify({ status: 'unhealthy', reason })) : send(200, JSON.stringify({ status: 'ok' }));
    }
    if (path === '/metrics') return send(200, await this.ctx.metrics.metrics(), this.ctx.metrics.contentType);
    if (path === '/' && api) return send(200, PAGE, 'text/html; charset=utf-8');
    if (path === '/api/lessons' && this.ctx.lessons) return send(200, JSON.stringify(this.ctx.lessons.list()));
    if (path === '/api/state' && api) return send(200, JSON.stringify(redactDeep(api.page())));
    return send(404, JSON.stringify({ error: { code: 'not_found', message: `no ${path}` } }));
  }

  async start(): Promise<void> {
    const { host, port } = this.ctx.config.http;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.error({ err }, 'request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        this.server!.once('error', reject);
        this.server!.listen(port, host, () => resolve());
      });
    } catch (err) {
      // The lesson must not depend on the technician's page: a taken port is reported, not fatal.
      this.server = undefined;
      this.log.error({ err, host, port }, 'local HTTP not started');
      return;
    }
    this.port = (this.server.address() as { port: number }).port;
    this.log.info({ host, port: this.port }, 'local HTTP listening');
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
