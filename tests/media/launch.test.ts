import { describe, expect, it } from 'vitest';
import { chainTokens, LaunchError, shellLine, value } from '../../src/media/launch.js';

describe('launch-line rendering', () => {
  it('leaves plain values bare and quotes values with spaces', () => {
    expect(value('rtmp://live.example/app/key')).toBe('rtmp://live.example/app/key');
    expect(value('NO SIGNAL - teacher')).toBe('"NO SIGNAL - teacher"');
    expect(value(2500)).toBe('2500');
    expect(value(true)).toBe('true');
  });

  it.each(['rtmp://x/app ! filesink location=/etc/passwd', 'a"b', 'x\\y', '$(reboot)', 'a`b`', 'line\nbreak'])(
    'refuses %j, which could break out of its property',
    (bad) => {
      expect(() => value(bad)).toThrow(LaunchError);
    },
  );

  it('refuses element, property and caps names that are not plain', () => {
    expect(() => chainTokens([{ element: 'filesrc ! x' }])).toThrow(LaunchError);
    expect(() => chainTokens([{ element: 'queue', properties: { 'a b': 1 } }])).toThrow(LaunchError);
    expect(() => chainTokens([{ caps: 'video/x-raw ! fakesink' }])).toThrow(LaunchError);
    expect(() => chainTokens([{ ref: 'mix.sink_0 ! x' }])).toThrow(LaunchError);
  });

  it('renders a chain and its shell form that pastes as one argument per token', () => {
    const tokens = chainTokens([
      { element: 'videotestsrc', properties: { 'is-live': true } },
      { caps: 'video/x-raw(memory:NVMM),format=NV12' },
      { element: 'textoverlay', name: 'slate', properties: { text: 'NO SIGNAL - board' } },
      { ref: 'mix.sink_0' },
    ]);
    expect(tokens.join(' ')).toBe(
      'videotestsrc is-live=true ! video/x-raw(memory:NVMM),format=NV12 ! textoverlay name=slate text="NO SIGNAL - board" ! mix.sink_0',
    );
    expect(shellLine(tokens)).toBe(
      `gst-launch-1.0 -e videotestsrc is-live=true ! 'video/x-raw(memory:NVMM),format=NV12' ! textoverlay name=slate 'text="NO SIGNAL - board"' ! mix.sink_0`,
    );
  });
});

describe('a bin given as a property (playbin audio-sink) with a value that needs quotes', () => {
  it('is parsed by GStreamer: gst-launch-1.0 writes to the file named inside the bin', async () => {
    const { execFileSync } = await import('node:child_process');
    const { existsSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'classbox-bin-'));
    const media = join(dir, 'tone.ogg');
    execFileSync('gst-launch-1.0', [
      '-q',
      'audiotestsrc',
      'num-buffers=10',
      '!',
      'vorbisenc',
      '!',
      'oggmux',
      '!',
      'filesink',
      `location=${media}`,
    ]);
    // A comma makes a value quoted, as an ALSA device `hw:0,0` is.
    const out = join(dir, 'heard,0.wav');
    const tokens = chainTokens([
      {
        element: 'playbin',
        properties: { uri: `file://${media}` },
        bins: {
          'audio-sink': [[{ element: 'audioconvert' }, { element: 'wavenc' }, { element: 'filesink', properties: { location: out } }]],
        },
      },
    ]);
    expect(tokens.at(-1)).toBe(`audio-sink="audioconvert ! wavenc ! filesink location=\\"${out}\\""`);
    execFileSync('gst-launch-1.0', ['-q', ...tokens], { timeout: 20_000 });
    expect(existsSync(out)).toBe(true);
  });
});
