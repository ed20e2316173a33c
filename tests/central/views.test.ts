import { describe, expect, it } from 'vitest';
import { roomSummary } from '../../src/central/views.js';

const row = (page: unknown) => ({
  site: 'school',
  room: 'r1',
  online: true,
  since: '2026-12-01T08:00:00.000Z',
  seenAt: '2026-12-01T08:00:00.000Z',
  state: { role: 'receive', page },
  telemetry: null,
  telemetryAt: null,
});

describe("a room's summary for the centre's page", () => {
  it('links to the technician page the box published, if it is a web address', () => {
    expect(roomSummary(row('http://10.0.4.21:8080/'), []).page).toBe('http://10.0.4.21:8080/');
    expect(roomSummary(row('https://abc.balena-devices.com'), []).page).toBe('https://abc.balena-devices.com/');
  });

  it('makes no link of anything else a box sends (the page must not carry a script link)', () => {
    for (const bad of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'not a url', 42, null, undefined, { href: 'http://x/' }])
      expect(roomSummary(row(bad), []).page).toBeNull();
  });
});
