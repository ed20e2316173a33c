import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { isLoopback } from '../config/service-schema.js';
import type { Part } from '../core/lifecycle.js';

export interface HttpContext {
  config: Config;
  log: Logger;
  metrics: Registry;
  /** Undefined when healthy, else why not (a 503 says it). */
  unhealthy: () => string | undefined;
}

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
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
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
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, JSON.stringify({ error: { code: 'invalid_request', message: `${req.method} not allowed` } }));
    if (path === '/healthz') {
      const reason = this.ctx.unhealthy();
      return reason ? send(503, JSON.stringify({ status: 'unhealthy', reason })) : send(200, JSON.stringify({ status: 'ok' }));
    }
    if (path === '/metrics') return send(200, await this.ctx.metrics.metrics(), this.ctx.metrics.contentType);
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
