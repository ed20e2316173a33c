/**
 * PJLink class 2 search, pure (protocols.md §3): the controller broadcasts `%2SRCH` + CR on UDP 4352;
 * each class 2 projector answers `%2ACKN=<MAC>` + CR. Class 1 projectors do not answer.
 */

export const SEARCH = Buffer.from('%2SRCH\r', 'latin1');

/** The MAC address from an ACKN answer (normalised to lowercase), or undefined for anything else. */
export function parseSearchAnswer(datagram: Buffer): string | undefined {
  const m = /^%2ACKN=([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})\r?$/.exec(datagram.toString('latin1'));
  return m ? m[1]!.toLowerCase() : undefined;
}

export function searchAnswer(mac: string): Buffer {
  return Buffer.from(`%2ACKN=${mac}\r`, 'latin1');
}
