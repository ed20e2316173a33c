import { ClassboxError } from '../core/errors.js';
import { ESCVP_NET_HELLO } from '../protocols/escvp21/codec.js';
import type { OpeningLink } from '../transports/reconnecting-link.js';

/**
 * ESC/VP.net (TCP 3629): the controller sends the 16-byte CONNECT header and the projector answers with
 * a 16-byte header of its own before any ESC/VP21 command is taken.
 */
export function escvpNetHandshake(timeoutMs: number): (link: OpeningLink) => Promise<void> {
  return (link) =>
    new Promise<void>((resolve, reject) => {
      let got = Buffer.alloc(0);
      const timer = setTimeout(() => {
        off();
        reject(new ClassboxError('device_timeout', `${link.description}: no ESC/VP.net answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = link.onData((chunk) => {
        got = Buffer.concat([got, chunk]);
        if (got.length < 16) return;
        clearTimeout(timer);
        off();
        if (got.subarray(0, 10).toString('latin1') !== 'ESC/VP.net')
          reject(new ClassboxError('device_error', `${link.description}: not an ESC/VP.net projector`));
        else resolve();
      });
      link.write(ESCVP_NET_HELLO).catch(reject);
    });
}
