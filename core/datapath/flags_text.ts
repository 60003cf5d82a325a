// Flag sets as text, the way upstream's format_flags and parse_flags write and read them
// (slow_path(cfm), tunnel flags(df|csum|key), tcp_flags): names from low bit to high joined by a
// delimiter, "0" for none, unknown bits as one hex number; parsing takes names or numbers joined
// by '|'. Pure functions.

import { scanIntBig } from "./scan.ts";

export type BitName = (bit: number) => string | undefined;

export function formatFlags(flags: number, name: BitName, delimiter: string): string {
  if (!flags) return "0";
  const parts: string[] = [];
  let bad = 0;
  for (let rest = flags >>> 0; rest;) {
    const bit = (rest & -rest) >>> 0;
    const text = name(bit);
    if (text) parts.push(text);
    else bad = (bad | bit) >>> 0;
    rest = (rest & ~bit) >>> 0;
  }
  if (bad) parts.push("0x" + bad.toString(16));
  return parts.join(delimiter);
}

/** Unmasked flags up to `end`: returns the value and the position of `end`, or undefined. */
export function parseFlags(
  s: string,
  pos: number,
  name: BitName,
  end: string,
  allowed: number,
): { value: number; end: number } | undefined {
  let result = 0;
  let p = pos;
  while (p < s.length && s[p] !== end) {
    const number = scanIntBig(s, p, 64);
    if (number) {
      if (number.value & ~BigInt(allowed >>> 0)) return undefined;
      result = (result | Number(number.value)) >>> 0;
      p = number.end + (s[number.end] === "|" ? 1 : 0);
      continue;
    }
    let matched = false;
    for (let bit = 1; bit !== 0 && bit <= 0x80000000; bit = (bit * 2) >>> 0) {
      const text = name(bit);
      if (!text) continue;
      const after = p + text.length;
      if (s.startsWith(text, p) && (s[after] === "|" || s[after] === end)) {
        if (!(bit & allowed)) return undefined;
        result = (result | bit) >>> 0;
        p = after + (s[after] === "|" ? 1 : 0);
        matched = true;
        break;
      }
    }
    if (!matched) return undefined;
  }
  if (p >= s.length) return undefined;
  return { value: result, end: p };
}
