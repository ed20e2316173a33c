import { createSocket, type Socket } from 'node:dgram';
import { ClassboxError } from '../core/errors.js';
import { SEARCH, parseSearchAnswer } from '../protocols/pjlink/search.js';
import { PjlinkSession } from '../protocols/pjlink/session.js';

export const PJLINK_PORT = 4352;

export interface FoundProjector {
  address: string;
  mac: string;
  /** From NAME, INF1, INF2 and CLSS, when the projector answers without a password. */
  name?: string;
  manufacturer?: string;
  model?: string;
  pjlinkClass?: string;
  /** The projector wants a password: the details stay unknown until one is configured. */
  passwordRequired: boolean;
  /** Why the details could not be read (other than a password). */
  error?: string;
}

export interface DiscoveryOptions {
  /** Where the search goes: the broadcast address (255.255.255.255), a subnet's, or single hosts. */
  targets: string[];
  /** UDP port of the search and TCP port of the details (4352). */
  port: number;
  /** How long to listen for answers. */
  listenMs: number;
  /** For each projector's details. */
  timeoutMs: number;
}

/**
 * Finds the PJLink class 2 projectors on the network (an installer's first question is "what is this
 * projector's address?") and reads what each says of itself. Class 1 projectors cannot be found this way.
 */
export async function discoverProjectors(o: DiscoveryOptions): Promise<FoundProjector[]> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const found = new Map<string, string>();
  socket.on('message', (msg, from) => {
    const mac = parseSearchAnswer(msg);
    if (mac && !found.has(from.address)) found.set(from.address, mac);
  });
  await bindSearchPort(socket, o.port);
  socket.setBroadcast(true);
  try {
    await Promise.all(
      o.targets.map(
        (t) =>
          new Promise<void>((resolve, reject) =>
            socket.send(SEARCH, o.port, t, (err) =>
              err ? reject(new ClassboxError('invalid_request', `search to ${t} not sent: ${err.message}`)) : resolve(),
            ),
          ),
      ),
    );
    await new Promise((r) => setTimeout(r, o.listenMs));
  } finally {
    socket.close();
  }
  const projectors = await Promise.all([...found].map(([address, mac]) => details(address, mac, o)));
  return projectors.sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
}

/** Projectors may answer to the search's source port or to 4352 itself: searching from 4352 covers both. */
async function bindSearchPort(socket: Socket, port: number): Promise<void> {
  const bind = (p: number) =>
    new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(p, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  try {
    await bind(port);
  } catch {
    await bind(0);
  }
}

async function details(address: string, mac: string, o: DiscoveryOptions): Promise<FoundProjector> {
  const session = new PjlinkSession({ host: address, port: o.port, timeoutMs: o.timeoutMs, label: `projector at ${address}` });
  try {
    const [name, manufacturer, model, pjlinkClass] = await session.run(
      ['NAME', 'INF1', 'INF2', 'CLSS'].map((command) => ({ command: command as 'NAME', parameter: '?' })),
    );
    return { address, mac, name: name!, manufacturer: manufacturer!, model: model!, pjlinkClass: pjlinkClass!, passwordRequired: false };
  } catch (err) {
    if (err instanceof ClassboxError && err.code === 'auth_failed') return { address, mac, passwordRequired: true };
    return { address, mac, passwordRequired: false, error: err instanceof Error ? err.message : String(err) };
  }
}
