import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ClassboxError } from '../../src/core/errors.js';
import { command, CommandTable, jsonDepth, noArgs } from '../../src/requests/command-table.js';

const table = () =>
  new CommandTable()
    .register('state/get', command({ schema: noArgs(), handler: () => ({ ok: true }) }))
    .register('layout/set', command({ schema: z.strictObject({ layout: z.string().min(1) }), handler: ({ layout }) => ({ layout }) }))
    .register(
      'ptz/recall',
      command({
        schema: z.strictObject({ camera: z.string(), preset: z.union([z.string(), z.number().int()]) }),
        handler: ({ camera }) => {
          if (camera !== 'teacher-cam') throw new ClassboxError('not_found', `no camera "${camera}"`);
          return {};
        },
      }),
    )
    .register(
      'boom',
      command({
        schema: noArgs(),
        handler: () => {
          throw new TypeError('unexpected');
        },
      }),
    );

const req = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('CommandTable', () => {
  it('answers ok with the data and echoes the id', async () => {
    expect(await table().handle('layout/set', req({ id: 'r1', layout: 'grid' }))).toEqual({
      id: 'r1',
      status: 'ok',
      data: { layout: 'grid' },
    });
    expect(await table().handle('state/get', Buffer.alloc(0))).toEqual({ id: null, status: 'ok', data: { ok: true } });
  });

  it.each([
    ['bad JSON', 'layout/set', Buffer.from('{"id": "x", layout'), 'invalid_json', /^not JSON/],
    ['not an object', 'layout/set', req([1, 2]), 'invalid_request', /JSON object/],
    ['missing field', 'layout/set', req({ id: 'x' }), 'invalid_request', /^layout: required$/],
    ['wrong type', 'layout/set', req({ id: 'x', layout: 7 }), 'invalid_request', /^layout: expected string, got number$/],
    ['unknown field', 'layout/set', req({ id: 'x', layout: 'pip', extra: 1 }), 'invalid_request', /^extra: unknown key$/],
    ['id not a string', 'state/get', req({ id: 5 }), 'invalid_request', /^id: expected a string$/],
    ['unknown command', 'teleport', req({ id: 'x' }), 'unknown_command', /unknown command "teleport"/],
    ['not found', 'ptz/recall', req({ id: 'x', camera: 'ghost', preset: 1 }), 'not_found', /no camera "ghost"/],
    ['handler bug', 'boom', req({ id: 'x' }), 'internal', /unexpected/],
    [
      'too large',
      'layout/set',
      Buffer.from(JSON.stringify({ id: 'x', layout: 'a'.repeat(70_000) })),
      'invalid_request',
      /larger than 64 KB/,
    ],
  ])('%s -> %s', async (_what, name, payload, code, message) => {
    const r = await table().handle(name, payload);
    expect(r.status).toBe('error');
    if (r.status === 'error') {
      expect(r.error.code).toBe(code);
      expect(r.error.message).toMatch(message);
    }
  });

  it('serializes requests of one lane and runs other lanes concurrently', async () => {
    const log: string[] = [];
    const slow = (tag: string, ms: number) => new Promise((r) => setTimeout(() => r(log.push(tag)), ms));
    const t = new CommandTable().register(
      'ptz/move',
      command({
        schema: z.strictObject({ camera: z.string(), ms: z.number() }),
        lane: (a) => `camera:${a.camera}`,
        handler: (a) => slow(`${a.camera}-${a.ms}`, a.ms),
      }),
    );
    await Promise.all([
      t.handle('ptz/move', req({ camera: 'a', ms: 60 })),
      t.handle('ptz/move', req({ camera: 'a', ms: 10 })),
      t.handle('ptz/move', req({ camera: 'b', ms: 30 })),
    ]);
    // a-60 finishes before a-10 starts; b runs beside them.
    expect(log).toEqual(['b-30', 'a-60', 'a-10']);
  });

  it('refuses JSON nested deeper than 16 levels before parsing it; brackets inside strings do not count', async () => {
    expect(jsonDepth(Buffer.from('{"a": [1, {"b": "[[[[[[[[[[[[[[[[[[[[\\"]]"}]}'))).toBe(3);
    expect(jsonDepth(Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`))).toBe(5000);
    const t = new CommandTable().register('state/get', command({ schema: noArgs(), handler: () => ({}) }));
    const r = await t.handle('state/get', Buffer.from(`${'['.repeat(17)}${']'.repeat(17)}`));
    expect(r).toMatchObject({ status: 'error', error: { code: 'invalid_request', message: 'request nested deeper than 16 levels' } });
    expect((await t.handle('state/get', Buffer.from('{"id": "x"}'))).status).toBe('ok');
  });
});
