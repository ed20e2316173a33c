import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBoardFacts, readL4tRelease } from '../../src/board/machine.js';
import { sysfsNumber } from '../../src/transports/gpio.js';
import { FAKE_BOARDS, fakeRoot } from '../helpers/fake-boards.js';

const board = (name: string) => fakeRoot(FAKE_BOARDS.find((b) => b.name.startsWith(name))!);

describe('what the kernel shows of each board, read under a root', () => {
  it('a Pi 4: the model without its NUL, the encoder node, the header chip at base 512', () => {
    const root = board('Raspberry Pi 4 (Pi OS');
    const facts = readBoardFacts(root);
    expect(facts.boardModel).toBe('Raspberry Pi 4 Model B Rev 1.5');
    expect(facts.videoDevices).toContain('/dev/video11');
    expect(facts.gpio.chips).toEqual(['/dev/gpiochip0', '/dev/gpiochip1']);
    expect(facts.gpio.header).toEqual({ label: 'pinctrl-bcm2711', base: 512 });
    expect(facts.serialPorts).toEqual(['/dev/ttyAMA0', '/dev/serial0']);
    expect(facts.l4t).toBeNull();
    // BCM 17 (a button on the header) is sysfs line 529 on this kernel; 17 alone is EINVAL there.
    expect(sysfsNumber(17, join(root, 'sys/class/gpio'))).toBe(529);
  });

  it('a Pi 5: the RP1 chip at base 571, no encoder node', () => {
    const root = board('Raspberry Pi 5');
    const facts = readBoardFacts(root);
    expect(facts.boardModel).toBe('Raspberry Pi 5 Model B Rev 1.0');
    expect(facts.videoDevices).not.toContain('/dev/video11');
    expect(facts.gpio.header).toEqual({ label: 'pinctrl-rp1', base: 571 });
    expect(sysfsNumber(17, join(root, 'sys/class/gpio'))).toBe(588);
  });

  it("a Jetson: the model from /proc/device-tree, L4T's release, no Pi header chip", () => {
    const facts = readBoardFacts(board('Jetson Xavier'));
    expect(facts.boardModel).toBe('NVIDIA Jetson Xavier NX Developer Kit');
    expect(facts.l4t).toBe('R35.4.1');
    expect(facts.gpio.header).toBeNull();
    expect(facts.serialPorts).toEqual(['/dev/ttyTHS0']);
  });

  it('an x86 machine: no model, a render node', () => {
    const facts = readBoardFacts(board('x86'));
    expect(facts.boardModel).toBeNull();
    expect(facts.renderNodes).toEqual(['/dev/dri/renderD128']);
    expect(facts.gpio).toEqual({ sysfs: false, chips: [], header: null });
  });

  it('a release file that is not L4T’s is no release; an empty root is no board', () => {
    const root = fakeRoot({ name: 'odd', files: { 'etc/nv_tegra_release': 'hello\n' }, elements: [], profile: null });
    expect(readL4tRelease(root)).toBeNull();
    const facts = readBoardFacts(root);
    expect(facts).toMatchObject({ boardModel: null, l4t: null, videoDevices: [], serialPorts: [] });
  });
});
