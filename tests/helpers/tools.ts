import { execFileSync } from 'node:child_process';

/**
 * A tool the suite needs (mosquitto, socat, gst-launch-1.0...). Missing means failing, never skipping:
 * `npm test` installs them through firmware-scripts/setup.sh, so absence is a real fault.
 */
export function requireTool(name: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`required tool "${name}" is not installed (run: bash firmware-scripts/setup.sh)`);
  }
}
