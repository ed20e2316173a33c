import type { Config } from '../config/schema.js';
import { probeGstreamer } from '../board/gstreamer-probe.js';
import { readBoardFacts } from '../board/machine.js';
import { chooseProfile } from './profile-choice.js';
import { loadBoardProfile, type BoardProfile } from './profiles.js';

/** The board profile for a config: as configured, or chosen by probing the machine (`profile: auto`). */
export async function resolveProfile(config: Pick<Config, 'profile'>): Promise<{ profile: BoardProfile; reason: string }> {
  if (config.profile !== 'auto') return { profile: loadBoardProfile(config.profile), reason: 'configured' };
  const gst = await probeGstreamer();
  const facts = readBoardFacts();
  const choice = chooseProfile({
    boardModel: facts.boardModel,
    l4t: facts.l4t,
    elements: gst.elements,
    devices: new Set([...facts.videoDevices, ...facts.renderNodes]),
  });
  if (!choice.profile) throw new Error(`profile: auto found nothing usable: ${choice.reason}`);
  return { profile: loadBoardProfile(choice.profile), reason: choice.reason };
}
