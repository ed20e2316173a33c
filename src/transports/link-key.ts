/** Where a device is reached, as far as sharing a link goes (no I/O: the config check uses it too). */
export type LinkAddress = { port?: string | number | undefined; host?: string | undefined; protocol?: string; transport?: 'tcp' | 'udp' };

/** VISCA over IP always, raw VISCA when asked: datagrams rather than a TCP stream. */
export function isUdp(c: LinkAddress): boolean {
  return c.protocol === 'visca-ip' || c.transport === 'udp';
}

/** `/dev/ttyUSB0`, `host:port` or `udp://host:port`: devices on the same key share one link (a VISCA daisy chain). */
export function linkKey(c: LinkAddress, defaultTcpPort?: number): string {
  if (c.host === undefined) return String(c.port);
  return `${isUdp(c) ? 'udp://' : ''}${c.host}:${c.port ?? defaultTcpPort}`;
}
