import { z } from 'zod';
import { formatIssues } from '../config/format-issues.js';
import { ClassboxError, toClassboxError, type ErrorCode } from '../core/errors.js';

/** Requests larger than this are refused before parsing (a box is no place for megabyte JSON). */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** No request of the contract nests deeper than a few levels; deeper JSON is refused before parsing. */
export const MAX_REQUEST_DEPTH = 16;

/**
 * How deep a JSON text nests, read byte by byte without parsing (strings and their escapes skipped).
 * Refusing deep JSON before JSON.parse spares the heap: 5,000 levels are 5,000 arrays for nothing.
 */
export function jsonDepth(buf: Buffer): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

export type Response =
  { id: string | null; status: 'ok'; data: unknown } | { id: string | null; status: 'error'; error: { code: ErrorCode; message: string } };

/** Who sent a request: the room's own button is a teacher at the desk, everything else a request. */
export interface RequestContext {
  via: 'request' | 'button';
}

export interface Command<S extends z.ZodType = z.ZodType> {
  /** Arguments, without `id`. Unknown fields are refused. */
  schema: S;
  handler: (args: z.output<S>, context: RequestContext) => Promise<unknown> | unknown;
  /** Requests with the same lane run one after another (one device, one conversation at a time). */
  lane?: (args: z.output<S>) => string | undefined;
}

export function command<S extends z.ZodType>(c: Command<S>): Command {
  return c;
}

/**
 * The request/response core: every request, bad ones included, gets exactly one response, produced at
 * one catch site. Independent requests run concurrently; those of one lane are serialized.
 */
export class CommandTable {
  private readonly commands = new Map<string, Command>();
  private readonly lanes = new Map<string, Promise<unknown>>();

  register(name: string, c: Command): this {
    this.commands.set(name, c);
    return this;
  }

  names(): string[] {
    return [...this.commands.keys()].sort();
  }

  async handle(name: string, payload: Buffer, context: RequestContext = { via: 'request' }): Promise<Response> {
    let id: string | null = null;
    try {
      if (payload.length > MAX_REQUEST_BYTES)
        throw new ClassboxError('invalid_request', `request larger than ${MAX_REQUEST_BYTES / 1024} KB`);
      if (jsonDepth(payload) > MAX_REQUEST_DEPTH)
        throw new ClassboxError('invalid_request', `request nested deeper than ${MAX_REQUEST_DEPTH} levels`);
      let body: unknown;
      try {
        body = payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'));
      } catch (err) {
        throw new ClassboxError('invalid_json', `not JSON: ${(err as Error).message}`);
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        throw new ClassboxError('invalid_request', 'the request must be a JSON object');
      const { id: rawId, ...args } = body as Record<string, unknown>;
      if (rawId !== undefined && typeof rawId !== 'string') throw new ClassboxError('invalid_request', 'id: expected a string');
      if (typeof rawId === 'string') id = rawId.slice(0, 256);
      const c = this.commands.get(name);
      if (!c) throw new ClassboxError('unknown_command', `unknown command "${name.slice(0, 100)}" (known: ${this.names().join(', ')})`);
      const parsed = c.schema.safeParse(args);
      if (!parsed.success) {
        const p = formatIssues(parsed.error.issues, args)[0]!;
        throw new ClassboxError('invalid_request', `${p.path}: ${p.message}`);
      }
      const lane = c.lane?.(parsed.data);
      const data = await (lane ? this.inLane(lane, () => c.handler(parsed.data, context)) : c.handler(parsed.data, context));
      return { id, status: 'ok', data: data ?? {} };
    } catch (err) {
      const e = toClassboxError(err);
      return { id, status: 'error', error: { code: e.code, message: e.message } };
    }
  }

  private inLane<T>(lane: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.lanes.get(lane) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.lanes.set(lane, tail);
    void tail.then(() => {
      if (this.lanes.get(lane) === tail) this.lanes.delete(lane);
    });
    return run;
  }
}

export const noArgs = () => z.strictObject({});
