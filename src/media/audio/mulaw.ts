/**
 * G.711 mu-law decoding by table: 256 entries, so decoding a frame is one indexed load per byte and nothing is
 * allocated. Samples come out as floats in [-1, 1), the scale the Silero model was trained on.
 */

/** The mu-law byte of digital silence (Twilio pads with it). */
export const MULAW_SILENCE = 0xff;

/** Linear value of every mu-law byte, scaled to [-1, 1) (G.711: 14-bit magnitude, 32124 at most). */
export const MULAW_TO_FLOAT: Float32Array = buildTable();

function buildTable(): Float32Array {
  const table = new Float32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    // G.711 stores the code inverted; bit 7 is the sign, bits 4-6 the segment, bits 0-3 the step within it.
    const u = ~byte & 0xff;
    const segment = (u >> 4) & 0x07;
    const step = u & 0x0f;
    const magnitude = (((step << 3) + 0x84) << segment) - 0x84;
    table[byte] = (u & 0x80 ? -magnitude : magnitude) / 32768;
  }
  return table;
}

/**
 * Decodes `count` mu-law bytes from `src` (starting at `srcOffset`) straight into `dst` at `dstOffset`.
 * The caller sizes `dst`; nothing is allocated.
 */
export function decodeMulawInto(
  src: Uint8Array,
  srcOffset: number,
  count: number,
  dst: Float32Array,
  dstOffset: number,
): void {
  const table = MULAW_TO_FLOAT;
  for (let i = 0; i < count; i++) dst[dstOffset + i] = table[src[srcOffset + i]!]!;
}
