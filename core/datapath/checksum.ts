// Checksums of the packet path: the Internet checksum (RFC 1071) over bytes, its incremental
// update when a 16-, 32-, 48- or 128-bit field changes (RFC 1624, as upstream's csum.c), IPv4
// header checksums, TCP/UDP/ICMPv6 checksums with IPv4 and IPv6 pseudo-headers, SCTP's CRC32c,
// and completing a checksum a sender left pending for offload (virtio-net NEEDS_CSUM).
//
// Conventions: a "partial" sum is an unfolded 32-bit one's-complement accumulator of big-endian
// 16-bit words; `foldChecksum` folds and complements it into the 16-bit value stored on the wire;
// every function takes absolute byte offsets into a buffer and allocates nothing. Nothing here
// knows which header a field belongs to (core/datapath/packet_edit.ts decides that).

import type { Packet } from "./packet.ts";

/** Adds the bytes `[start, end)` of `bytes` to `partial` as big-endian 16-bit words. */
export function checksumPartial(
  bytes: Uint8Array,
  start: number,
  end: number,
  partial = 0,
): number {
  let sum = partial;
  let i = start;
  const last = end - 1;
  for (; i < last; i += 2) {
    sum += (bytes[i]! << 8) | bytes[i + 1]!;
    // Fold now and then so the accumulator stays an exact small integer.
    if (sum > 0x7fffffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

/** Folds a partial sum to 16 bits without complementing it. */
export function foldPartial(partial: number): number {
  let sum = partial;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum to store for a partial sum: folded and complemented (upstream's csum_finish). */
export function foldChecksum(partial: number): number {
  return ~foldPartial(partial) & 0xffff;
}

/** The Internet checksum of `[start, end)`. */
export function internetChecksum(bytes: Uint8Array, start: number, end: number): number {
  return foldChecksum(checksumPartial(bytes, start, end));
}

/**
 * The checksum after a 16-bit field covered by it changed from `oldValue` to `newValue`
 * (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')).
 */
export function recalcChecksum16(checksum: number, oldValue: number, newValue: number): number {
  return foldChecksum((~checksum & 0xffff) + (~oldValue & 0xffff) + (newValue & 0xffff));
}

/** The checksum after a 32-bit field changed. */
export function recalcChecksum32(checksum: number, oldValue: number, newValue: number): number {
  const low = recalcChecksum16(checksum, oldValue & 0xffff, newValue & 0xffff);
  return recalcChecksum16(low, oldValue >>> 16, newValue >>> 16);
}

/**
 * The checksum after `len` bytes (even) at `oldBytes[oldAt]` were replaced by those at
 * `newBytes[newAt]`: the 48-bit (MAC) and 128-bit (IPv6 address) updates of upstream.
 */
export function recalcChecksumBytes(
  checksum: number,
  oldBytes: Uint8Array,
  oldAt: number,
  newBytes: Uint8Array,
  newAt: number,
  len: number,
): number {
  let sum = checksum;
  for (let i = 0; i < len; i += 2) {
    const before = (oldBytes[oldAt + i]! << 8) | oldBytes[oldAt + i + 1]!;
    const after = (newBytes[newAt + i]! << 8) | newBytes[newAt + i + 1]!;
    sum = recalcChecksum16(sum, before, after);
  }
  return sum;
}

/**
 * Updates a checksum that a sender left pending for offload: such a field holds the folded,
 * uncomplemented pseudo-header sum, so a pseudo-header field change adds to it directly.
 */
export function recalcPending16(pending: number, oldValue: number, newValue: number): number {
  return ~recalcChecksum16(~pending & 0xffff, oldValue, newValue) & 0xffff;
}

export function recalcPending32(pending: number, oldValue: number, newValue: number): number {
  return ~recalcChecksum32(~pending & 0xffff, oldValue, newValue) & 0xffff;
}

export function recalcPendingBytes(
  pending: number,
  oldBytes: Uint8Array,
  oldAt: number,
  newBytes: Uint8Array,
  newAt: number,
  len: number,
): number {
  const sum = recalcChecksumBytes(~pending & 0xffff, oldBytes, oldAt, newBytes, newAt, len);
  return ~sum & 0xffff;
}

/** The IPv4 header checksum of the header at `l3`, computed as if its checksum field were 0. */
export function ipv4HeaderChecksum(bytes: Uint8Array, l3: number): number {
  const ihl = (bytes[l3]! & 0x0f) * 4;
  let sum = checksumPartial(bytes, l3, l3 + 10);
  sum = checksumPartial(bytes, l3 + 12, l3 + ihl, sum);
  return foldChecksum(sum);
}

/** The IPv4 pseudo-header partial sum (addresses of the header at `l3`, protocol, length). */
export function pseudoHeaderIpv4(
  bytes: Uint8Array,
  l3: number,
  proto: number,
  l4Length: number,
): number {
  const sum = checksumPartial(bytes, l3 + 12, l3 + 20);
  return sum + proto + (l4Length & 0xffff) + Math.floor(l4Length / 0x10000);
}

/** The IPv6 pseudo-header partial sum (addresses of the header at `l3`, next header, length). */
export function pseudoHeaderIpv6(
  bytes: Uint8Array,
  l3: number,
  proto: number,
  l4Length: number,
): number {
  const sum = checksumPartial(bytes, l3 + 8, l3 + 40);
  return sum + proto + (l4Length & 0xffff) + Math.floor(l4Length / 0x10000);
}

/**
 * The TCP/UDP/ICMPv6 checksum of the L4 segment `[l4, end)` under the IPv4 or IPv6 header at
 * `l3` (IPv6's next header given, as extension headers may sit between). The checksum field is
 * summed as it is: zero it first to compute a checksum, or leave it to verify (result 0).
 */
export function transportChecksum(
  bytes: Uint8Array,
  l3: number,
  proto: number,
  l4: number,
  end: number,
): number {
  const version = bytes[l3]! >> 4;
  const pseudo = version === 6
    ? pseudoHeaderIpv6(bytes, l3, proto, end - l4)
    : pseudoHeaderIpv4(bytes, l3, proto, end - l4);
  return foldChecksum(checksumPartial(bytes, l4, end, pseudo));
}

const CRC32C_TABLE = buildCrc32cTable();

function buildCrc32cTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC32c (Castagnoli) of `[start, end)` as SCTP stores it: the value whose big-endian bytes go
 * into the checksum field are those of the little-endian CRC, as upstream's crc32c() returns it.
 */
export function crc32c(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc = CRC32C_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  }
  crc = ~crc >>> 0;
  // The CRC goes on the wire least significant byte first.
  return (((crc & 0xff) << 24) | ((crc & 0xff00) << 8) | ((crc >>> 8) & 0xff00) | (crc >>> 24)) >>>
    0;
}

/** Computes and stores the SCTP checksum of the SCTP packet `[l4, end)`. */
export function setSctpChecksum(bytes: Uint8Array, l4: number, end: number): void {
  bytes.fill(0, l4 + 8, l4 + 12);
  writeU32(bytes, l4 + 8, crc32c(bytes, l4, end));
}

/** Whether a packet's L4 checksum is still pending for offload (VIRTIO_NET_HDR_F_NEEDS_CSUM). */
export function checksumPending(packet: Packet): boolean {
  return packet.csumStart >= 0;
}

/**
 * Completes a pending checksum: sums the frame from `csumStart` to its end (the field holds the
 * pseudo-header sum the sender put there) and stores the result at `csumStart + csumOffset`, a
 * zero result as 0xffff as Linux does; then the checksum is no longer pending. Returns false
 * (changing nothing) when nothing is pending or the offsets fall outside the frame.
 */
export function completePendingChecksum(packet: Packet): boolean {
  if (packet.csumStart < 0) return false;
  const from = packet.start + packet.csumStart;
  const field = from + packet.csumOffset;
  const end = packet.start + packet.length;
  if (from > end || field + 2 > end) return false;
  let sum = foldChecksum(checksumPartial(packet.buffer, from, end));
  if (sum === 0) sum = 0xffff;
  writeU16(packet.buffer, field, sum);
  packet.csumStart = -1;
  packet.csumOffset = 0;
  return true;
}

/**
 * Marks the L4 checksum of a packet as pending, as a sender offloading it would: stores the
 * folded pseudo-header sum in the field at `l4 + fieldOffset` (absolute `l4`) and records the
 * offsets. `pseudo` is the pseudo-header partial sum (`pseudoHeaderIpv4`/`pseudoHeaderIpv6`).
 */
export function setChecksumPending(
  packet: Packet,
  l4: number,
  fieldOffset: number,
  pseudo: number,
): void {
  writeU16(packet.buffer, l4 + fieldOffset, foldPartial(pseudo));
  packet.csumStart = l4 - packet.start;
  packet.csumOffset = fieldOffset;
}

export function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>>
    0;
}

export function writeU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 8) & 0xff;
  bytes[at + 1] = value & 0xff;
}

export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 24) & 0xff;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}
