import { ClassboxError } from '../../src/core/errors.js';

/** How a device request ended: `ok`, or the ClassboxError code it failed with. */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof ClassboxError ? err.code : `not a ClassboxError: ${String(err)}`;
  }
}
