import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { headerChip } from '../transports/gpio.js';

/**
 * What the kernel shows of the board, read below a root (`/` on the box; a prepared folder in tests, so
 * that each board's facts are checked without the board).
 */
export interface BoardFacts {
  /** The device tree's model, e.g. "Raspberry Pi 4 Model B Rev 1.4"; null on x86. */
  boardModel: string | null;
  /** A Jetson's L4T release from /etc/nv_tegra_release, e.g. "R35.4.1"; null elsewhere. */
  l4t: string | null;
  videoDevices: string[];
  renderNodes: string[];
  serialPorts: string[];
  gpio: GpioFacts;
}

export interface GpioFacts {
  /** The sysfs export file is writable by this process (onoff's way to the lines). */
  sysfs: boolean;
  /** Character devices, /dev/gpiochipN. */
  chips: string[];
  /** The chip that drives the 40-pin header, found by its label, and the base its sysfs numbers start at. */
  header: { label: string; base: number } | null;
}

/**
 * The device tree's model names the board on ARM boards (NUL-terminated); absent on x86.
 * /proc/device-tree is a link to /sys/firmware/devicetree/base; containers may carry either.
 */
export function readBoardModel(root = '/'): string | null {
  for (const path of ['sys/firmware/devicetree/base/model', 'proc/device-tree/model']) {
    try {
      const model = readFileSync(join(root, path), 'utf8').replace(/\0/g, '').trim();
      if (model) return model;
    } catch {
      // the next place, or none
    }
  }
  return null;
}

/**
 * L4T's release file starts "# R35 (release), REVISION: 4.1, GCID: …": major release and revision.
 * R32 is JetPack 4 (Nano, TX2, Xavier), R35 JetPack 5 (Xavier, Orin), R36 JetPack 6 (Orin).
 */
export function readL4tRelease(root = '/'): string | null {
  let text: string;
  try {
    text = readFileSync(join(root, 'etc/nv_tegra_release'), 'utf8');
  } catch {
    return null;
  }
  const m = /#\s*R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)/.exec(text);
  return m ? `R${m[1]}.${m[2]}` : null;
}

function list(root: string, dir: string, pattern: RegExp): string[] {
  try {
    return readdirSync(join(root, dir))
      .filter((n) => pattern.test(n))
      .map((n) => `${dir === '/' ? '' : dir}/${n}`)
      .sort();
  } catch {
    return [];
  }
}

export function videoDevices(root = '/'): string[] {
  return list(root, '/dev', /^video\d+$/);
}

/** USB serial adapters, on-board UARTs and the stable names given by our udev rules. */
export function serialPorts(root = '/'): string[] {
  return [
    ...list(root, '/dev', /^tty(USB|ACM|AMA|S[0-3]$|THS)\d*$/),
    ...list(root, '/dev', /^serial\d$/),
    ...list(root, '/dev/classbox', /.*/),
  ];
}

export function renderNodes(root = '/'): string[] {
  return list(root, '/dev/dri', /^renderD\d+$/);
}

export function gpioAccess(root = '/'): GpioFacts {
  let sysfs: boolean;
  try {
    accessSync(join(root, 'sys/class/gpio/export'), constants.W_OK);
    sysfs = true;
  } catch {
    sysfs = false;
  }
  return { sysfs, chips: list(root, '/dev', /^gpiochip\d+$/), header: headerChip(join(root, 'sys/class/gpio')) };
}

export function readBoardFacts(root = '/'): BoardFacts {
  return {
    boardModel: readBoardModel(root),
    l4t: readL4tRelease(root),
    videoDevices: videoDevices(root),
    renderNodes: renderNodes(root),
    serialPorts: serialPorts(root),
    gpio: gpioAccess(root),
  };
}
