/**
 * Sony VISCA over IP framing, pure (shared/reference/protocols.md §1): UDP port 52381, an 8-byte
 * big-endian header (payload type, payload length 1-16, sequence number) before each VISCA packet or
 * control message. The camera answers with the sequence number of the message it answers.
 */

export const VISCA_IP_PORT = 52381;
export const HEADER_BYTES = 8;

export const PAYLOAD = {
  command: 0x0100,
  inquiry: 0x0110,
  reply: 0x0111,
  deviceSetting: 0x0120,
  control: 0x0200,
  controlReply: 0x0201,
} as const;

/** Control payloads: RESET sets the camera's sequence number to 0; it answers ACK (01). */
export const CONTROL_RESET = Buffer.from([0x01]);
export const CONTROL_ACK = Buffer.from([0x01]);
/** Control error payloads from the camera: 0F 01 sequence number, 0F 02 message type. */
export const CONTROL_SEQUENCE_ERROR = Buffer.from([0x0f, 0x01]);
export const CONTROL_TYPE_ERROR = Buffer.from([0x0f, 0x02]);

export const SEQUENCE_MAX = 0xffffffff;

export interface ViscaIpMessage {
  type: number;
  sequence: number;
  payload: Buffer;
}

export function encodeIp(type: number, sequence: number, payload: Buffer): Buffer {
  if (payload.length < 1 || payload.length > 16) throw new RangeError(`VISCA over IP payload must be 1-16 bytes, got ${payload.length}`);
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > SEQUENCE_MAX)
    throw new RangeError(`sequence number out of range: ${sequence}`);
  const out = Buffer.alloc(HEADER_BYTES + payload.length);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(payload.length, 2);
  out.writeUInt32BE(sequence, 4);
  payload.copy(out, HEADER_BYTES);
  return out;
}

/** One datagram; undefined for anything that is not a well-formed message (garbage is normal input). */
export function decodeIp(datagram: Buffer): ViscaIpMessage | undefined {
  if (datagram.length < HEADER_BYTES + 1) return undefined;
  const length = datagram.readUInt16BE(2);
  if (length < 1 || length > 16 || datagram.length !== HEADER_BYTES + length) return undefined;
  return { type: datagram.readUInt16BE(0), sequence: datagram.readUInt32BE(4), payload: Buffer.from(datagram.subarray(HEADER_BYTES)) };
}

/** The payload type for a VISCA packet: byte 2 is 09 for inquiries, 01 for commands. */
export function payloadTypeOf(packet: Buffer): number {
  return packet[1] === 0x09 ? PAYLOAD.inquiry : PAYLOAD.command;
}

export function nextSequence(sequence: number): number {
  return sequence >= SEQUENCE_MAX ? 0 : sequence + 1;
}
