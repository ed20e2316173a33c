import { isIPv4 } from 'node:net';
import { PJLINK_PORT, discoverProjectors, type FoundProjector } from '../devices/pjlink-discovery.js';
import { EXIT_USAGE } from './config-or-exit.js';

export interface DiscoverOptions {
  targets: string[];
  port: number;
  listenS: number;
  json: boolean;
}

function describe(p: FoundProjector): string {
  const what = p.passwordRequired
    ? 'password protected (set `password`)'
    : p.error
      ? `details not read: ${p.error}`
      : `"${p.name}" ${p.manufacturer} ${p.model}, PJLink class ${p.pjlinkClass}`;
  return `projector ${p.address} (${p.mac}): ${what}`;
}

/** `classbox discover`: the PJLink class 2 projectors on the network, and the config lines for them. */
export async function discover(o: DiscoverOptions): Promise<void> {
  const bad = o.targets.find((t) => !isIPv4(t));
  if (bad !== undefined) {
    process.stderr.write(`classbox discover: --target takes IPv4 addresses (a broadcast address or a host), got "${bad.slice(0, 64)}"\n`);
    process.exit(EXIT_USAGE);
  }
  const found = await discoverProjectors({ targets: o.targets, port: o.port, listenMs: o.listenS * 1000, timeoutMs: 2000 });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    return;
  }
  if (found.length === 0) {
    process.stdout.write(
      `no PJLink class 2 projector answered within ${o.listenS} s (class 1 projectors cannot be searched for: find their address on their menu)\n`,
    );
    return;
  }
  for (const p of found) process.stdout.write(`${describe(p)}\n`);
  process.stdout.write('\nfor the config (devices.projectors):\n');
  found.forEach((p, i) => {
    const port = o.port === PJLINK_PORT ? '' : `, port: ${o.port}`;
    process.stdout.write(
      `  ${i === 0 ? 'main' : `projector-${i + 1}`}: { protocol: pjlink, host: ${p.address}${port}${p.passwordRequired ? ', password: …' : ''} }\n`,
    );
  });
}
