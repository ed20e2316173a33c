import { describe, expect, it } from 'vitest';
import { ClassboxError, ERROR_CODES, toClassboxError } from '../../src/core/errors.js';

describe('ClassboxError', () => {
  it('carries a contract code and who is to blame', () => {
    const e = new ClassboxError('device_busy', 'projector warming up', { details: { retryAfterS: 30 } });
    expect(e).toMatchObject({ code: 'device_busy', blame: 'device', details: { retryAfterS: 30 } });
    expect(new ClassboxError('invalid_request', 'x').blame).toBe('request');
    expect(new ClassboxError('internal', 'x').blame).toBe('gateway');
  });

  it('turns anything thrown into an internal error, keeping ClassboxErrors as they are', () => {
    const own = new ClassboxError('not_found', 'no camera');
    expect(toClassboxError(own)).toBe(own);
    expect(toClassboxError(new TypeError('bad'))).toMatchObject({ code: 'internal', message: 'bad' });
    expect(toClassboxError('str')).toMatchObject({ code: 'internal', message: 'str' });
  });

  it('lists exactly the error codes of the contract', () => {
    expect([...ERROR_CODES].sort()).toEqual(
      [
        'invalid_json',
        'invalid_request',
        'unknown_command',
        'not_found',
        'device_unavailable',
        'device_timeout',
        'device_busy',
        'device_error',
        'auth_failed',
        'conflict',
        'internal',
      ].sort(),
    );
  });
});
