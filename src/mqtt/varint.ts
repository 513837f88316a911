// Variable Byte Integers (MQTT 5.0 1.5.5; 3.1.1's remaining length): 1 to 4 bytes, 7 bits each.

/** The number of bytes `n` takes as a variable byte integer. */
export function varintLength(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/** `n` as a variable byte integer. */
export function encodeVarint(n: number): Uint8Array {
  const out = new Uint8Array(varintLength(n));
  writeVarint(out, 0, n);
  return out;
}

/** Writes `n` as a variable byte integer into `out` at `at`; returns where it ends. */
export function writeVarint(out: Uint8Array, at: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out[at++] = byte;
  } while (n > 0);
  return at;
}

/** The variable byte integer at `at`, or null when it is cut short or longer than 4 bytes. */
export function readVarint(buf: Uint8Array, at: number): { value: number; size: number } | null {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i++) {
    if (at + i >= buf.length) return null;
    const byte = buf[at + i] ?? 0;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { value, size: i + 1 };
    multiplier *= 128;
  }
  return null;
}
