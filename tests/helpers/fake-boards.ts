import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './temp-config.js';

/**
 * What each board's kernel shows, as files under a root: the device tree's model (NUL-terminated, as the
 * kernel writes it), device nodes (plain files stand in for them: only their names are read), the sysfs
 * GPIO chips and Jetson's release file. Figures from the boards' current OS images: Raspberry Pi OS
 * Bookworm (kernel 6.6, GPIO bases 512 and 571), JetPack 5.1.2 (L4T R35.4.1) and JetPack 6.1 (R36.4.0).
 */
export interface FakeBoard {
  name: string;
  files: Record<string, string>;
  /** What `gst-inspect-1.0` lists on that board's OS image with the set-up's packages, beyond the common ones. */
  elements: string[];
  /** What `profile: auto` must choose there. */
  profile: string | null;
}

const node = '';
const header = (base: number, label: string) => ({
  [`sys/class/gpio/gpiochip${base}/label`]: `${label}\n`,
  [`sys/class/gpio/gpiochip${base}/base`]: `${base}\n`,
});

export const FAKE_BOARDS: FakeBoard[] = [
  {
    name: 'Raspberry Pi 4 (Pi OS Bookworm)',
    files: {
      'sys/firmware/devicetree/base/model': 'Raspberry Pi 4 Model B Rev 1.5\0',
      // bcm2835-codec: 10 decode, 11 encode, 12 ISP; 18 image effects.
      'dev/video10': node,
      'dev/video11': node,
      'dev/video12': node,
      'dev/video18': node,
      'dev/dri/renderD128': node,
      'dev/gpiochip0': node,
      'dev/gpiochip1': node,
      'dev/serial0': node,
      'dev/ttyAMA0': node,
      ...header(512, 'pinctrl-bcm2711'),
      ...header(570, 'raspberrypi-exp-gpio'),
    },
    elements: ['v4l2h264enc', 'v4l2h264dec', 'libcamerasrc'],
    profile: 'rpi4',
  },
  {
    name: 'Raspberry Pi 4 whose codec driver is not loaded',
    files: {
      'proc/device-tree/model': 'Raspberry Pi 4 Model B Rev 1.4\0',
      'dev/gpiochip0': node,
      ...header(512, 'pinctrl-bcm2711'),
    },
    elements: ['v4l2h264enc'],
    profile: 'software',
  },
  {
    name: 'Raspberry Pi 5 (Pi OS Bookworm)',
    files: {
      'sys/firmware/devicetree/base/model': 'Raspberry Pi 5 Model B Rev 1.0\0',
      // rpi-hevc-dec and the PiSP back end: no H.264 encoder node at all.
      'dev/video19': node,
      'dev/video20': node,
      'dev/video21': node,
      'dev/dri/renderD128': node,
      'dev/gpiochip0': node,
      'dev/ttyAMA10': node,
      ...header(571, 'pinctrl-rp1'),
    },
    elements: ['libcamerasrc', 'v4l2slh265dec'],
    profile: 'rpi5',
  },
  {
    name: 'Jetson Xavier NX (JetPack 5.1.2)',
    files: {
      'proc/device-tree/model': 'NVIDIA Jetson Xavier NX Developer Kit\0',
      'etc/nv_tegra_release':
        '# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64, DATE: Tue Aug  1 19:57:35 UTC 2023\n',
      'dev/video0': node,
      'dev/gpiochip0': node,
      'dev/gpiochip1': node,
      'dev/ttyTHS0': node,
      ...header(316, 'tegra194-gpio'),
      ...header(288, 'tegra194-gpio-aon'),
    },
    elements: ['nvv4l2h264enc', 'nvv4l2decoder', 'nvvidconv'],
    profile: 'jetson',
  },
  {
    name: 'Jetson Orin Nano (JetPack 6.1, no NVENC)',
    files: {
      'proc/device-tree/model': 'NVIDIA Jetson Orin Nano Developer Kit\0',
      'etc/nv_tegra_release':
        '# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, DATE: Fri Sep 13 04:36:44 UTC 2024\n',
      'dev/gpiochip0': node,
      'dev/ttyTHS1': node,
    },
    // The plugin registers the encoder's factory; the chip has no engine behind it.
    elements: ['nvv4l2h264enc', 'nvv4l2decoder', 'nvvidconv'],
    profile: 'software',
  },
  {
    name: 'Jetson container without NVIDIA’s GStreamer plugins',
    files: {
      'etc/nv_tegra_release':
        '# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64, DATE: Tue Aug  1 19:57:35 UTC 2023\n',
    },
    elements: [],
    profile: 'software',
  },
  {
    name: 'x86 mini PC with an Intel GPU',
    files: { 'dev/dri/renderD128': node, 'dev/video0': node, 'dev/ttyUSB0': node },
    elements: ['vah264enc', 'vah264dec'],
    profile: 'x86-vaapi',
  },
];

/** The board's files written under a new root. */
export function fakeRoot(board: FakeBoard): string {
  const root = tempDir();
  for (const [path, text] of Object.entries(board.files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
