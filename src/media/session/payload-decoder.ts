import { MAX_TWILIO_FRAME_BYTES } from '../../protocol/twilio-media.js';

/**
 * Decodes base64 media payloads into one scratch buffer shared by every stream: processing is synchronous and the
 * audio processor copies what it keeps, so no frame allocates. Sized for the largest frame the parser lets through.
 */
const scratch = Buffer.allocUnsafe(Math.ceil((MAX_TWILIO_FRAME_BYTES * 3) / 4));

/** Decoded bytes of `base64`, valid until the next call. */
export function decodePayload(base64: string): Uint8Array {
  const n = scratch.write(base64, 0, 'base64');
  return scratch.subarray(0, n);
}
