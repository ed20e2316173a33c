import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSearchAnswer, searchAnswer } from '../../src/protocols/pjlink/search.js';
import { PjlinkProjectorSim } from '../../src/sim/pjlink-projector.js';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';

describe('PJLink class 2 search answers', () => {
  it('reads the MAC of an ACKN and nothing else', () => {
    expect(parseSearchAnswer(Buffer.from('%2ACKN=00:1A:2B:3C:4D:5E\r'))).toBe('00:1a:2b:3c:4d:5e');
    expect(parseSearchAnswer(searchAnswer('aa:bb:cc:dd:ee:ff'))).toBe('aa:bb:cc:dd:ee:ff');
    for (const junk of ['%2ACKN=00:1A:2B:3C:4D\r', '%1POWR=1\r', '%2ACKN=zz:1A:2B:3C:4D:5E\r', '', '\x00\xff'])
      expect(parseSearchAnswer(Buffer.from(junk, 'latin1'))).toBeUndefined();
  });
});

/** An installer's laptop on the classroom LAN: three projectors on loopback addresses, two of them class 2. */
describe('classbox discover', () => {
  const sims: PjlinkProjectorSim[] = [];
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const open = new PjlinkProjectorSim({ mac: '00:1a:2b:3c:4d:5e', name: 'Room 12' });
    await open.start(port, '127.0.0.2');
    await open.listenSearch(port, '127.0.0.2');
    const locked = new PjlinkProjectorSim({ mac: '00:1a:2b:3c:4d:5f', password: 'secret' });
    await locked.start(port, '127.0.0.3');
    await locked.listenSearch(port, '127.0.0.3');
    const classOne = new PjlinkProjectorSim({ name: 'old one' }); // class 1: does not answer a search
    await classOne.start(port, '127.0.0.4');
    sims.push(open, locked, classOne);
  });
  afterAll(async () => {
    for (const s of sims) await s.stop();
  });

  const targets = ['--target', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

  it('finds the class 2 projectors, reads what each says of itself, and says which need a password', async () => {
    const r = await runCli(['discover', ...targets, '--port', String(port), '--listen', '1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        address: '127.0.0.2',
        mac: '00:1a:2b:3c:4d:5e',
        name: 'Room 12',
        manufacturer: 'classbox',
        model: 'PJLink simulator',
        pjlinkClass: '2',
        passwordRequired: false,
      },
      { address: '127.0.0.3', mac: '00:1a:2b:3c:4d:5f', passwordRequired: true },
    ]);
  });

  it('prints lines a technician can paste into the config', async () => {
    const r = await runCli(['discover', ...targets, '--port', String(port), '--listen', '1']);
    expect(r.stdout).toContain('projector 127.0.0.2 (00:1a:2b:3c:4d:5e): "Room 12" classbox PJLink simulator, PJLink class 2');
    expect(r.stdout).toContain('projector 127.0.0.3 (00:1a:2b:3c:4d:5f): password protected');
    expect(r.stdout).toContain(`  main: { protocol: pjlink, host: 127.0.0.2, port: ${port} }`);
    expect(r.stdout).toContain(`  projector-2: { protocol: pjlink, host: 127.0.0.3, port: ${port}, password: … }`);
  });

  it('says so when nothing answers, and refuses a target that is not an address', async () => {
    const none = await runCli(['discover', '--target', '127.0.0.4', '--port', String(port), '--listen', '0.5']);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^no PJLink class 2 projector answered within 0\.5 s/);
    const bad = await runCli(['discover', '--target', 'projector.local']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('classbox discover: --target takes IPv4 addresses (a broadcast address or a host), got "projector.local"\n');
  });
});
