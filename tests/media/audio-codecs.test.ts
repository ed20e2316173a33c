import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { encodedCodecs } from '../../src/media/audio.js';

const room = (outputs: unknown[], device = 'test') => loadConfig({ base: { site: 's', room: 'r', audio: { device }, outputs }, env: {} });
const srt = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  kind: 'srt',
  url: 'srt://127.0.0.1:9000?mode=listener',
  ...extra,
});

describe('the codecs a room encodes its sound in', () => {
  it('encodes each codec its outputs take, once', () => {
    expect(encodedCodecs(room([srt('link')]))).toEqual(['opus']);
    expect(encodedCodecs(room([srt('link'), srt('centre')]))).toEqual(['opus']);
    expect(encodedCodecs(room([srt('link', { audioCodec: 'aac' })]))).toEqual(['aac']);
    expect(encodedCodecs(room([{ name: 'archive', kind: 'record' }, srt('link')]))).toEqual(['aac', 'opus']);
    expect(encodedCodecs(room([{ name: 'cloud', kind: 'rtmp', url: 'rtmp://x/app/key' }, srt('link')]))).toEqual(['aac', 'opus']);
    expect(encodedCodecs(room([{ name: 'lan', kind: 'hls' }]))).toEqual(['aac']);
  });

  it('encodes nothing without a microphone, and AAC where no output takes any', () => {
    expect(encodedCodecs(room([srt('link')], 'none'))).toEqual([]);
    expect(encodedCodecs(room([]))).toEqual(['aac']);
  });
});
