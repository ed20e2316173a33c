// What the technician's preview costs the box: CPU of a running `classbox run` (720p30 composite) with
// 0, 1 and 3 WebRTC viewers (node-webrtc peers in this process, doing WHEP like the page), 10 s each.
// `npm run bench -- preview`.
import { CLI } from '../tests/helpers/cli.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { wrtc, type PeerConnection } from '../src/webrtc/wrtc.js';
import { cpuSeconds } from './cpu.js';
import { table } from './lib.js';

const SECONDS = Number(process.env.BENCH_PREVIEW_SECONDS ?? 10);

async function join1(url: string): Promise<PeerConnection> {
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.createDataChannel('ptz');
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => setTimeout(r, 500));
  const res = await fetch(`${url}/whep`, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp' },
    body: pc.localDescription!.sdp,
  });
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  return pc;
}

export async function preview(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-preview-'));
  const port = 47993;
  const config = join(dir, 'c.yaml');
  writeFileSync(
    config,
    stringify({
      site: 'bench',
      room: 'preview',
      dataDir: join(dir, 'data'),
      log: { level: 'warn' },
      profile: 'software',
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      http: { host: '127.0.0.1', port, maxViewers: 8 },
      video: { width: 1280, height: 720, fps: 30, bitrateKbps: 2500 },
      sources: { board: { kind: 'test' }, teacher: { kind: 'test', pattern: 'ball' }, students: { kind: 'test', pattern: 'pinwheel' } },
    }),
  );
  const box = spawn(CLI, ['run', '--config', config], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 6000));
  const url = `http://127.0.0.1:${port}`;
  const measure = async () => {
    const c0 = cpuSeconds(box.pid!);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    return ((cpuSeconds(box.pid!) - c0) / SECONDS) * 100;
  };
  const rows: Array<Record<string, string | number>> = [];
  const idle = await measure();
  rows.push({ viewers: 0, 'box CPU % of a core': idle.toFixed(1), 'added per viewer': '-' });
  const peers: PeerConnection[] = [];
  for (const n of [1, 3]) {
    while (peers.length < n) peers.push(await join1(url));
    await new Promise((r) => setTimeout(r, 2000));
    const cpu = await measure();
    rows.push({ viewers: n, 'box CPU % of a core': cpu.toFixed(1), 'added per viewer': ((cpu - idle) / n).toFixed(1) });
  }
  for (const p of peers) p.close();
  box.kill('SIGTERM');
  console.log(`\n### Technician preview: box CPU with WebRTC viewers (640x360 at 15 fps from a 720p30 composite, ${SECONDS} s each)\n`);
  console.log(table(rows));
}
