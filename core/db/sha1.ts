// SHA-1 (FIPS 180-4) of a byte range, as the hex text upstream's log headers carry. Owns only
// the digest. Written out here rather than taken from node:crypto because loading that module
// costs tens of milliseconds at start-up (every short-lived tool paid it) and each of its calls
// crosses into native code for a digest of a few hundred bytes. Promises: pure, never throws.
// Must not be used where collision resistance matters (the log only detects corruption).

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const words = new Int32Array(80);

function hex32(x: number): string {
  return HEX[(x >>> 24) & 0xff]! + HEX[(x >>> 16) & 0xff]! + HEX[(x >>> 8) & 0xff]! +
    HEX[x & 0xff]!;
}

/** The SHA-1 digest of `bytes[start, end)` as 40 lowercase hex digits. */
export function sha1HexRange(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const length = end - start;
  // Message plus the 0x80 byte and the 64-bit length, rounded up to 64-byte blocks.
  const blocks = Math.floor((length + 8) / 64) + 1;
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  const w = words;
  const bitsHigh = Math.floor(length / 0x20000000);
  const bitsLow = (length * 8) >>> 0;
  for (let block = 0; block < blocks; block++) {
    const base = start + block * 64;
    if ((block + 1) * 64 <= length) {
      for (let i = 0, p = base; i < 16; i++, p += 4) {
        w[i] = (bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!;
      }
    } else {
      for (let i = 0; i < 16; i++) {
        let word = 0;
        for (let j = 0; j < 4; j++) {
          const offset = block * 64 + i * 4 + j;
          let byte: number;
          if (offset < length) byte = bytes[base + i * 4 + j]!;
          else if (offset === length) byte = 0x80;
          else if (block === blocks - 1 && i === 14) byte = (bitsHigh >>> (24 - 8 * j)) & 0xff;
          else if (block === blocks - 1 && i === 15) byte = (bitsLow >>> (24 - 8 * j)) & 0xff;
          else byte = 0;
          word = (word << 8) | byte;
        }
        w[i] = word;
      }
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let t: number;
    for (let i = 0; i < 20; i++) {
      t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 20; i < 40; i++) {
      t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 40; i < 60; i++) {
      t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e - 0x70e44324 + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 60; i < 80; i++) {
      t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e - 0x359d3e2a + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  return hex32(h0) + hex32(h1) + hex32(h2) + hex32(h3) + hex32(h4);
}
