import { describe, expect, it } from 'vitest';
import { chooseProfile } from '../../src/media/profile-choice.js';

const base = ['x264enc', 'avdec_h264', 'compositor'];
const facts = (boardModel: string | null, extra: string[] = [], devices: string[] = []) => ({
  boardModel,
  elements: new Set([...base, ...extra]),
  devices: new Set(devices),
});

describe('chooseProfile (profile: auto)', () => {
  it.each([
    ['Pi 4 with its encoder node', facts('Raspberry Pi 4 Model B Rev 1.4', ['v4l2h264enc'], ['/dev/video11']), 'rpi4'],
    ['Pi 4 whose encoder node is missing', facts('Raspberry Pi 4 Model B Rev 1.4', ['v4l2h264enc']), 'software'],
    ['Pi 5 (no H.264 encoder in the chip)', facts('Raspberry Pi 5 Model B Rev 1.0', ['v4l2h264enc'], ['/dev/video11']), 'rpi5'],
    ['Jetson Xavier NX', facts('NVIDIA Jetson Xavier NX Developer Kit', ['nvv4l2h264enc']), 'jetson'],
    ['Jetson Orin Nano (no NVENC)', facts('NVIDIA Jetson Orin Nano Developer Kit', ['nvv4l2h264enc']), 'software'],
    ['x86 with VA-API and a render node', facts(null, ['vah264enc'], ['/dev/dri/renderD128']), 'x86-vaapi'],
    ['x86 with VA-API elements but no GPU', facts(null, ['vah264enc']), 'software'],
    ['x86 with NVENC', facts(null, ['nvh264enc']), 'x86-nvenc'],
    ['this development machine', facts(null), 'software'],
  ])('%s -> %s', (_what, f, expected) => {
    const choice = chooseProfile(f);
    expect(choice.profile).toBe(expected);
    expect(choice.reason.length).toBeGreaterThan(10);
  });

  it('says what to install when no encoder exists at all', () => {
    const choice = chooseProfile({ boardModel: null, elements: new Set(['compositor']), devices: new Set() });
    expect(choice.profile).toBeNull();
    expect(choice.reason).toMatch(/gstreamer1.0-plugins-ugly/);
  });
});
