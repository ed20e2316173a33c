import { readFileSync, readdirSync, accessSync, constants } from 'node:fs';

/** /proc/device-tree/model names the board on ARM boards (NUL-terminated); absent on x86. */
export function readBoardModel(path = '/proc/device-tree/model'): string | null {
  try {
    return readFileSync(path, 'utf8').replace(/\0/g, '').trim() || null;
  } catch {
    return null;
  }
}

function list(dir: string, pattern: RegExp): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => pattern.test(n))
      .map((n) => `${dir}/${n}`)
      .sort();
  } catch {
    return [];
  }
}

export function videoDevices(): string[] {
  return list('/dev', /^video\d+$/);
}

/** USB serial adapters, on-board UARTs and the stable names given by our udev rules. */
export function serialPorts(): string[] {
  return [...list('/dev', /^tty(USB|ACM|AMA|S[0-3]$|THS)\d*$/), ...list('/dev', /^serial\d$/), ...list('/dev/classbox', /.*/)];
}

export function renderNodes(): string[] {
  return list('/dev/dri', /^renderD\d+$/);
}

export function gpioAccess(): { sysfs: boolean; chips: string[] } {
  let sysfs: boolean;
  try {
    accessSync('/sys/class/gpio/export', constants.W_OK);
    sysfs = true;
  } catch {
    sysfs = false;
  }
  return { sysfs, chips: list('/dev', /^gpiochip\d+$/) };
}
