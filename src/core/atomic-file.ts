import { renameSync, writeFileSync } from 'node:fs';

/** Writes a file whole or not at all: a power cut leaves the old one, never half of the new one. */
export function writeFileAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
