import { describe, expect, it } from 'vitest';
import { memoryLinkPair } from '../../src/transports/memory-link.js';

describe('a line in memory', () => {
  it('carries bytes each way on a later turn, closes for both ends, and opens again', async () => {
    const [box, device] = memoryLinkPair('test');
    const heard: string[] = [];
    const closed: string[] = [];
    device.onData((c) => heard.push(`device ${c.toString('hex')}`));
    box.onData((c) => heard.push(`box ${c.toString('hex')}`));
    device.onClose((err) => closed.push(err?.message ?? 'closed'));
    await expect(box.write(Buffer.from([1]))).rejects.toThrow(/not open/);
    await box.open();
    expect(device.isOpen).toBe(true);
    const bytes = Buffer.from([0x81, 0x01]);
    await box.write(bytes);
    bytes[0] = 0; // the line carries what was written, not the buffer as it is later
    expect(heard).toEqual([]);
    await new Promise((r) => setImmediate(r));
    await device.write(Buffer.from([0x90, 0x41]));
    await new Promise((r) => setImmediate(r));
    expect(heard).toEqual(['device 8101', 'box 9041']);
    await box.close();
    await new Promise((r) => setImmediate(r));
    expect([box.isOpen, device.isOpen]).toEqual([false, false]);
    expect(closed).toEqual(['test (device end): the other end closed']);
    await box.open();
    await box.write(Buffer.from([2]));
    await new Promise((r) => setImmediate(r));
    expect(heard.at(-1)).toBe('device 02');
  });
});
