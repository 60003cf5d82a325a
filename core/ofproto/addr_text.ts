// Ethernet, IPv4 and IPv6 addresses as text, with masks, the way upstream's packets.c reads and
// writes them: Ethernet and IPv4 through ovs_scan (so "1.2.3.300" wraps to 1.2.3.44 and spaces
// before numbers are skipped), IPv6 through glibc's inet_pton/inet_ntop rules (longest zero run
// compressed, IPv4-mapped forms printed dotted), masks as CIDR prefixes where they are CIDR.
// Parsers throw ParseError with upstream's message; formatters never fail. Values are big-endian
// byte arrays (6 or 16 bytes) or, for IPv4, unsigned 32-bit numbers.

import { ParseError } from "./errors.ts";
import { hexitValue, ovsScan } from "./text_scan.ts";

const ETH_SCAN = "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx";
const IP_SCAN = "%hhu.%hhu.%hhu.%hhu";
const IPV6_SCAN = "%46[0123456789abcdefABCDEF:.]";

function bytesOf(values: readonly unknown[], from: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(values[from + i] as bigint);
  return out;
}

/** str_to_mac: an Ethernet address at the start of `s` (trailing text is ignored, as upstream). */
export function scanEthernet(s: string): Uint8Array | undefined {
  const r = ovsScan(s, ETH_SCAN);
  return r ? bytesOf(r.values, 0, 6) : undefined;
}

/** mf_from_ethernet_string: "xx:xx:xx:xx:xx:xx" or ".../xx:xx:xx:xx:xx:xx", nothing more. */
export function parseEthernetMasked(s: string): { value: Uint8Array; mask: Uint8Array } {
  const exact = ovsScan(s, ETH_SCAN);
  if (exact && exact.end === s.length) {
    return { value: bytesOf(exact.values, 0, 6), mask: new Uint8Array(6).fill(0xff) };
  }
  const masked = ovsScan(s, `${ETH_SCAN}/${ETH_SCAN}`);
  if (masked && masked.end === s.length) {
    return { value: bytesOf(masked.values, 0, 6), mask: bytesOf(masked.values, 6, 6) };
  }
  throw new ParseError(`${s}: invalid Ethernet address`);
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}

export function formatEthernet(mac: Uint8Array, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(hex2(mac[offset + i] ?? 0));
  return parts.join(":");
}

/** eth_format_masked: the mask is shown unless it is absent or all ones. */
export function formatEthernetMasked(value: Uint8Array, mask?: Uint8Array): string {
  let out = formatEthernet(value);
  if (mask && !mask.subarray(0, 6).every((b) => b === 0xff)) out += `/${formatEthernet(mask)}`;
  return out;
}

// ---- IPv4 ----

export function formatIpv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** Whether `mask` is N one bits followed by zero bits. */
export function ipIsCidr(mask: number): boolean {
  const x = ~mask >>> 0;
  return ((x & (x + 1)) >>> 0) === 0;
}

/** ip_count_cidr_bits: 32 minus the trailing zero bits. */
export function ipCountCidrBits(mask: number): number {
  const m = mask >>> 0;
  if (m === 0) return 0;
  let tz = 0;
  while (((m >>> tz) & 1) === 0) tz++;
  return 32 - tz;
}

export function ipPrefixMask(plen: number): number {
  return plen <= 0 ? 0 : plen >= 32 ? 0xffffffff : (0xffffffff << (32 - plen)) >>> 0;
}

/** ip_format_masked. */
export function formatIpv4Masked(ip: number, mask: number): string {
  let out = formatIpv4(ip);
  const m = mask >>> 0;
  if (m !== 0xffffffff) out += ipIsCidr(m) ? `/${ipCountCidrBits(m)}` : `/${formatIpv4(m)}`;
  return out;
}

function ipFrom(values: readonly unknown[], from: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v = (v * 256 + Number(values[from + i] as bigint)) >>> 0;
  return v;
}

/**
 * ip_parse_masked_len: an IPv4 address with an optional "/mask" or "/prefix" at `start`;
 * returns the address, the mask and where the text ended.
 */
export function parseIpv4MaskedPrefix(
  s: string,
  start = 0,
): { ip: number; mask: number; end: number } {
  const both = ovsScan(s, `${IP_SCAN}/${IP_SCAN}`, start);
  if (both) return { ip: ipFrom(both.values, 0), mask: ipFrom(both.values, 4), end: both.end };
  const prefixed = ovsScan(s, `${IP_SCAN}/%d`, start);
  if (prefixed) {
    const prefix = Number(prefixed.values[4] as bigint);
    if (prefix < 0 || prefix > 32) {
      throw new ParseError(
        `${s}: IPv4 network prefix bits not between 0 and 32, inclusive`,
      );
    }
    return { ip: ipFrom(prefixed.values, 0), mask: ipPrefixMask(prefix), end: prefixed.end };
  }
  const plain = ovsScan(s, IP_SCAN, start);
  if (plain) return { ip: ipFrom(plain.values, 0), mask: 0xffffffff, end: plain.end };
  throw new ParseError(`${s}: invalid IP address`);
}

/** ip_parse_masked: as parseIpv4MaskedPrefix, and nothing may follow. */
export function parseIpv4Masked(s: string): { ip: number; mask: number } {
  const r = parseIpv4MaskedPrefix(s);
  if (r.end !== s.length) throw new ParseError(`${s}: invalid IP address`);
  return { ip: r.ip, mask: r.mask };
}

/** glibc inet_pton(AF_INET): strict dotted quad, no leading zeros. */
export function inetPton4(s: string, start = 0, end = s.length): number | undefined {
  let sawDigit = false;
  let octets = 0;
  const out = [0, 0, 0, 0];
  let k = 0;
  for (let i = start; i < end; i++) {
    const ch = s[i]!;
    if (ch >= "0" && ch <= "9") {
      const next = out[k]! * 10 + (ch.charCodeAt(0) - 48);
      if (sawDigit && out[k] === 0) return undefined;
      if (next > 255) return undefined;
      out[k] = next;
      if (!sawDigit) {
        if (++octets > 4) return undefined;
        sawDigit = true;
      }
    } else if (ch === "." && sawDigit) {
      if (octets === 4) return undefined;
      k++;
      sawDigit = false;
    } else {
      return undefined;
    }
  }
  if (octets < 4) return undefined;
  return ((out[0]! << 24) | (out[1]! << 16) | (out[2]! << 8) | out[3]!) >>> 0;
}

// ---- IPv6 ----

/** glibc inet_pton(AF_INET6). */
export function inetPton6(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let tp = 0;
  let colon = -1;
  let i = 0;
  const end = s.length;
  if (i === end) return undefined;
  if (s[i] === ":") {
    i++;
    if (i === end || s[i] !== ":") return undefined;
  }
  let curtok = i;
  let seen = 0;
  let val = 0;
  while (i < end) {
    const ch = s[i++]!;
    const digit = hexitValue(ch);
    if (digit >= 0) {
      if (seen === 4) return undefined;
      val = (val << 4) | digit;
      if (val > 0xffff) return undefined;
      seen++;
      continue;
    }
    if (ch === ":") {
      curtok = i;
      if (seen === 0) {
        if (colon >= 0) return undefined;
        colon = tp;
        continue;
      } else if (i === end) {
        return undefined;
      }
      if (tp + 2 > 16) return undefined;
      out[tp++] = (val >> 8) & 0xff;
      out[tp++] = val & 0xff;
      seen = 0;
      val = 0;
      continue;
    }
    if (ch === "." && tp + 4 <= 16) {
      const v4 = inetPton4(s, curtok, end);
      if (v4 === undefined) return undefined;
      out[tp++] = v4 >>> 24;
      out[tp++] = (v4 >>> 16) & 0xff;
      out[tp++] = (v4 >>> 8) & 0xff;
      out[tp++] = v4 & 0xff;
      seen = 0;
      break;
    }
    return undefined;
  }
  if (seen > 0) {
    if (tp + 2 > 16) return undefined;
    out[tp++] = (val >> 8) & 0xff;
    out[tp++] = val & 0xff;
  }
  if (colon >= 0) {
    if (tp === 16) return undefined;
    const n = tp - colon;
    const moved = out.slice(colon, tp);
    out.fill(0, colon, 16);
    out.set(moved, 16 - n);
    tp = 16;
  }
  if (tp !== 16) return undefined;
  return out;
}

/** glibc inet_ntop(AF_INET6). */
export function formatIpv6(addr: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) {
    words.push(((addr[offset + 2 * i] ?? 0) << 8) | (addr[offset + 2 * i + 1] ?? 0));
  }
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (
      i === 6 && bestBase === 0 &&
      (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))
    ) {
      const b = offset + 12;
      out += `${addr[b]}.${addr[b + 1]}.${addr[b + 2]}.${addr[b + 3]}`;
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ":";
  return out;
}

export function ipv6IsCidr(mask: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) {
    const b = mask[i] ?? 0;
    if (b !== 0xff) {
      const x = ~b & 0xff;
      if ((x & (x + 1)) !== 0) return false;
      for (let j = i + 1; j < 16; j++) if (mask[j]) return false;
      return true;
    }
  }
  return true;
}

export function ipv6CountCidrBits(mask: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < 16; i++) {
    const b = mask[i] ?? 0;
    if (b === 0xff) {
      count += 8;
    } else {
      for (let nm = b; nm & 0xff; nm <<= 1) count++;
      break;
    }
  }
  return count;
}

export function ipv6PrefixMask(plen: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, plen - 8 * i));
    out[i] = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

/** ipv6_format_masked. */
export function formatIpv6Masked(addr: Uint8Array, mask?: Uint8Array): string {
  let out = formatIpv6(addr);
  if (mask && !mask.subarray(0, 16).every((b) => b === 0xff)) {
    out += ipv6IsCidr(mask) ? `/${ipv6CountCidrBits(mask)}` : `/${formatIpv6(mask)}`;
  }
  return out;
}

/** ipv6_parse_masked_len: an IPv6 address with an optional "/prefix" or "/mask" at `start`. */
export function parseIpv6MaskedPrefix(
  s: string,
  start = 0,
): { addr: Uint8Array; mask: Uint8Array; end: number } {
  const first = ovsScan(s, ` ${IPV6_SCAN}`, start);
  const addr = first ? inetPton6(first.values[0] as string) : undefined;
  if (!first || !addr) throw new ParseError(`${s}: invalid IPv6 address`);
  const prefixed = ovsScan(s, "/%d", first.end);
  if (prefixed) {
    const prefix = Number(prefixed.values[0] as bigint);
    if (prefix < 0 || prefix > 128) {
      throw new ParseError(
        `${s}: IPv6 network prefix bits not between 0 and 128, inclusive`,
      );
    }
    return { addr, mask: ipv6PrefixMask(prefix), end: prefixed.end };
  }
  const masked = ovsScan(s, `/${IPV6_SCAN}`, first.end);
  if (masked) {
    const mask = inetPton6(masked.values[0] as string);
    if (!mask) throw new ParseError(`${s}: Invalid IPv6 mask`);
    return { addr, mask, end: masked.end };
  }
  return { addr, mask: new Uint8Array(16).fill(0xff), end: first.end };
}

/** ipv6_parse_masked: as parseIpv6MaskedPrefix, and nothing may follow. */
export function parseIpv6Masked(s: string): { addr: Uint8Array; mask: Uint8Array } {
  const r = parseIpv6MaskedPrefix(s);
  if (r.end !== s.length) throw new ParseError(`${s}: invalid IPv6 address`);
  return { addr: r.addr, mask: r.mask };
}
