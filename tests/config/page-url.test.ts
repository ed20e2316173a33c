import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { pageUrl } from '../../src/config/page-url.js';

const nic = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) => ({ address, family, internal }) as NetworkInterfaceInfo;
const interfaces = {
  lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
  eth0: [nic('fe80::1', 'IPv6', false), nic('10.0.4.21', 'IPv4', false)],
};

describe('where the technician page is reached from elsewhere', () => {
  it('is http.pageUrl when set (a proxy, a balena public URL), whatever the page listens on', () => {
    expect(pageUrl({ host: '127.0.0.1', port: 8080, pageUrl: 'https://abc.balena-devices.com/' }, interfaces)).toBe(
      'https://abc.balena-devices.com/',
    );
  });

  it('is none on loopback: nobody elsewhere reaches it', () => {
    expect(pageUrl({ host: '127.0.0.1', port: 8080 }, interfaces)).toBeNull();
    expect(pageUrl({ host: '::1', port: 8080 }, interfaces)).toBeNull();
  });

  it('is the address it listens on, and the first LAN IPv4 address for a wildcard', () => {
    expect(pageUrl({ host: '192.168.1.50', port: 8081 }, interfaces)).toBe('http://192.168.1.50:8081/');
    expect(pageUrl({ host: 'fd00::5', port: 8080 }, interfaces)).toBe('http://[fd00::5]:8080/');
    expect(pageUrl({ host: '0.0.0.0', port: 8080 }, interfaces)).toBe('http://10.0.4.21:8080/');
    expect(pageUrl({ host: '::', port: 9000 }, interfaces)).toBe('http://10.0.4.21:9000/');
    // A box with no network yet.
    expect(pageUrl({ host: '0.0.0.0', port: 8080 }, { lo: interfaces.lo })).toBeNull();
  });
});
