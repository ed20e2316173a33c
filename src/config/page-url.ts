import { networkInterfaces } from 'node:os';
import type { Config } from './schema.js';
import { isLoopback } from './service-schema.js';

/**
 * Where a technician elsewhere reaches this box's page, for the centre to link to: `http.pageUrl` when
 * set; else the address the page listens on; for a wildcard address, the box's first LAN IPv4 address
 * (what a laptop on the school's network types); none when the page listens on loopback only.
 */
export function pageUrl(http: Pick<Config['http'], 'host' | 'port' | 'pageUrl'>, interfaces = networkInterfaces()): string | null {
  if (http.pageUrl) return http.pageUrl;
  if (isLoopback(http.host)) return null;
  if (http.host === '0.0.0.0' || http.host === '::') {
    const lan = Object.values(interfaces)
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    return lan ? `http://${lan.address}:${http.port}/` : null;
  }
  return `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}/`;
}
