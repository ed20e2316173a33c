import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomLevel } from '../../src/doctor/sound-loop.js';
import { SILENCE_DBFS } from '../../src/media/meter.js';
import { runCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { startPulse, type Pulse } from '../helpers/pulse.js';
import { minimalConfig, tempDir, writeTempConfig } from '../helpers/temp-config.js';

/**
 * `classbox doctor --config` tries the room's sound loop: a tone on the speakers, the microphone
 * listening. On a sound card with no hardware (PulseAudio's null sinks through ALSA's `pulse` device),
 * a microphone that hears the speakers (the sink's monitor) and one that hears another sink.
 */
describe("doctor: the room's sound loop", () => {
  let pulse: Pulse;
  let broker: Mosquitto;
  let config: string;
  beforeAll(async () => {
    pulse = await startPulse();
    broker = await startMosquitto();
    config = writeTempConfig(minimalConfig(broker.url, { dataDir: tempDir(), audio: { device: 'pulse', speaker: 'pulse' } }));
  });
  afterAll(async () => {
    await broker?.stop();
    await pulse?.stop();
  });

  const soundLoop = async (env: NodeJS.ProcessEnv) => {
    const r = await runCli(['doctor', '--json', '--config', config], { env: { ...pulse.env, ...env }, timeoutMs: 60_000 });
    return (JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks.find(
      (c) => c.name === 'sound-loop',
    );
  };

  it('hears its tone when the microphone hears the speakers, and says how far above the room', async () => {
    const loop = await soundLoop({ PULSE_SINK: 'room', PULSE_SOURCE: 'room.monitor' });
    expect(loop?.status).toBe('ok');
    expect(loop?.detail).toMatch(/was heard on the microphone \(pulse\) at -\d+ dBFS, \d+ dB above the room/);
  }, 60_000);

  it('says in words that the tone was not heard, and what to check, when the microphone hears something else', async () => {
    const loop = await soundLoop({ PULSE_SINK: 'room', PULSE_SOURCE: 'mic.monitor' });
    expect(loop?.status).toBe('fail');
    expect(loop?.detail).toMatch(/was not heard on the microphone \(pulse\).*Check that the speakers are on/);
  }, 60_000);

  it("takes the room's level from what readings there are on a loaded machine (two in 1.2 s), never from none", () => {
    // A CI run read the tone "Infinity dB above the room": two readings, both skipped as the start's.
    expect(roomLevel([-70, -65])).toBe(-65);
    expect(roomLevel([-90, -90, -72, -80])).toBe(-72);
    expect(roomLevel([])).toBe(SILENCE_DBFS);
  });
});
