import { describe, expect, it } from 'vitest';
import { REQUIRED_ELEMENTS } from '../../src/board/gstreamer-probe.js';
import { buildDoctorReport } from '../../src/commands/doctor.js';
import { FAKE_BOARDS, fakeRoot } from '../helpers/fake-boards.js';

/** The set-up's packages on every board: the pipelines' elements, x264 and libav. */
const COMMON = [...REQUIRED_ELEMENTS, 'x264enc', 'avdec_h264'];

describe('classbox doctor on each board (its kernel files under a root, its GStreamer element list)', () => {
  it.each(FAKE_BOARDS.map((b) => [b.name, b] as const))('%s', async (_name, board) => {
    const root = fakeRoot(board);
    const report = await buildDoctorReport(undefined, {
      root,
      probe: async () => ({ version: '1.22.0', elements: new Set([...COMMON, ...board.elements]) }),
    });
    expect(report.profile.chosen, report.profile.reason).toBe(board.profile);
    const check = (name: string) => report.checks.find((c) => c.name === name)?.detail;
    const model = board.files['sys/firmware/devicetree/base/model'] ?? board.files['proc/device-tree/model'];
    expect(check('board')).toBe(model ? model.replace('\0', '') : 'no device-tree model (not an ARM board)');
    if (board.files['etc/nv_tegra_release']) {
      expect(check('l4t')).toMatch(/^NVIDIA L4T R3[56]\.\d+\.\d+/);
      expect(report.profile.reason).toContain('L4T');
    } else expect(check('l4t')).toBeUndefined();
    const header = Object.keys(board.files).find((f) => /gpiochip\d+\/label$/.test(f) && /pinctrl/.test(board.files[f]!));
    if (header) expect(check('gpio')).toMatch(/header pinctrl-\w+, sysfs lines from (512|571)/);
    expect(report.healthy).toBe(true);
  });

  it('says why a Jetson without NVIDIA’s plugins encodes in software, and a Pi 4 without its codec node', async () => {
    const reason = async (name: string) => {
      const board = FAKE_BOARDS.find((b) => b.name.startsWith(name))!;
      const report = await buildDoctorReport(undefined, {
        root: fakeRoot(board),
        probe: async () => ({ version: '1.22.0', elements: new Set([...COMMON, ...board.elements]) }),
      });
      return report.profile.reason;
    };
    expect(await reason('Jetson container')).toMatch(/nvidia-l4t-gstreamer/);
    expect(await reason('Raspberry Pi 4 whose')).toMatch(/\/dev\/video11 missing/);
    expect(await reason('Jetson Orin Nano')).toMatch(/no NVENC/);
  });
});
