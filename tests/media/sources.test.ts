import { describe, expect, it } from 'vitest';
import { TEST_PATTERNS } from '../../src/config/media-schema.js';
import { GstRunner } from '../../src/media/gst-runner.js';
import { launchString, pipelineTokens } from '../../src/media/launch.js';
import { loadBoardProfile } from '../../src/media/profiles.js';
import { sourcePipelineChains } from '../../src/media/sources.js';

/** What GStreamer 1.22 calls each pattern (its own description, read back from the element). */
const DESCRIPTIONS: Record<(typeof TEST_PATTERNS)[number], string> = {
  smpte: 'SMPTE 100% color bars',
  snow: 'Random (television snow)',
  black: '100% Black',
  white: '100% White',
  red: 'Red',
  green: 'Green',
  blue: 'Blue',
  'checkers-8': 'Checkers 8px',
  circular: 'Circular',
  ball: 'Moving ball',
  smpte75: 'SMPTE 75% color bars',
  bar: 'Bar',
  pinwheel: 'Pinwheel',
  gradient: 'Gradient',
  colors: 'Colors',
};

describe('test sources', () => {
  it('each pattern name gives that pattern (circular, pinwheel, bar and gradient were off by numbers)', () => {
    const runner = new GstRunner();
    const profile = loadBoardProfile('software');
    for (const pattern of TEST_PATTERNS) {
      const chains = sourcePipelineChains('board', 'x-board', { kind: 'test', pattern }, profile, { width: 320, height: 180, fps: 15 });
      const p = runner.create(launchString(pipelineTokens(chains)));
      expect(p.get('board-src', 'pattern'), pattern).toBe(DESCRIPTIONS[pattern]);
      p.stop();
    }
  });
});
