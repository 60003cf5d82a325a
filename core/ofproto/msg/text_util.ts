// Small text pieces every message printer shares, as upstream prints them: bit names
// (ofp_print_bit_names), durations (ofp_print_duration), Ethernet and IP addresses, and
// C-style number formatting. Pure functions.

/** Names of the set bits of `bits`, low bit first, unknown ones as one hex remainder; "0" for 0. */
export function bitNames(
  bits: number,
  nameOf: (bit: number) => string | undefined,
  separator: string,
): string {
  if (!bits) return "0";
  const parts: string[] = [];
  let rest = bits >>> 0;
  for (let i = 0; i < 32; i++) {
    const bit = (1 << i) >>> 0;
    if (rest & bit) {
      const name = nameOf(bit);
      if (name) {
        parts.push(name);
        rest = (rest & ~bit) >>> 0;
      }
    }
  }
  let out = parts.join(separator);
  if (rest) out += (parts.length ? separator : "") + `0x${rest.toString(16)}`;
  return out;
}

/** Seconds and nanoseconds as "12.345s" (upstream's ofp_print_duration). */
export function formatDuration(sec: number, nsec: number): string {
  let out = String(sec >>> 0);
  if (nsec > 0) {
    const msec = Math.floor(nsec / 1000000);
    if (msec * 1000000 === nsec) out += "." + String(msec).padStart(3, "0");
    else out += "." + String(nsec).padStart(9, "0").replace(/0+$/, "");
  }
  return out + "s";
}

/** "aa:bb:cc:dd:ee:ff". */
export function formatEth(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Dotted quad of a 32-bit address. */
export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** 0x-prefixed lowercase hex of a bigint or number ("%#"PRIx64 prints 0 as "0"). */
export function hexAlt(value: bigint | number): string {
  return value === 0 || value === 0n ? "0" : `0x${value.toString(16)}`;
}

/** A bigint as unsigned decimal. */
export function u64(value: bigint): string {
  return BigInt.asUintN(64, value).toString();
}

/** C's %.*s of a NUL-padded field: the bytes up to the first NUL. */
export function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  const part = nul < 0 ? bytes : bytes.subarray(0, nul);
  let out = "";
  for (const b of part) out += String.fromCharCode(b);
  return out;
}

/** Reads a NUL-terminated field as bytes → a latin-1 string of at most `max - 1` chars. */
export function fixedName(bytes: Uint8Array): string {
  return cString(bytes.subarray(0, Math.max(0, bytes.length - 1)));
}

/** Writes `text` as a NUL-padded field of `width` bytes (truncated, always NUL-terminated). */
export function nameBytes(text: string, width: number): Uint8Array {
  const out = new Uint8Array(width);
  const n = Math.min(text.length, width - 1);
  for (let i = 0; i < n; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
