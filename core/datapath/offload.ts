// Offload state of packets and its software fallbacks. Frames from real devices come with work
// the sender left to "hardware": an L4 checksum still to complete (virtio-net NEEDS_CSUM,
// Linux's CHECKSUM_PARTIAL) and GSO super-frames up to 64 KiB still to cut into MSS-sized
// segments (TSO for TCP, USO for UDP). A device that can take such frames (an AF_PACKET socket or
// a tap with virtio-net headers) gets them as they are and the kernel finishes the job; for one
// that cannot (a dummy port, a tap without IFF_VNET_HDR), or when an action needs final bytes,
// this module does the work: `completeChecksum`, `segment`, and `OffloadFallback.send`, which
// is what the datapath calls instead of `netdev.send` for a port whose `offloads` lack something.
//
// Also the virtio-net header codec (`readVnetHeader`/`writeVnetHeader`) and locating a frame's L4
// header. Promises: no allocation on the pass-through and checksum paths; segments come from a
// pool that grows once to the largest need; every segment has correct IP lengths, IPv4 ids and
// header checksums, TCP sequence numbers and flags (FIN/PSH on the last only, CWR on the first
// only), UDP lengths, and a complete L4 checksum (or a pending one when the port takes that).
// Must not: send anything itself except through the netdev it is given.

import {
  checksumPartial,
  completePendingChecksum,
  foldPartial,
  ipv4HeaderChecksum,
  pseudoHeaderIpv4,
  pseudoHeaderIpv6,
  readU16,
  readU32,
  setSctpChecksum,
  transportChecksum,
  writeU16,
  writeU32,
} from "./checksum.ts";
import type { Errno } from "./dp_errors.ts";
import type { Netdev } from "./netdev.ts";
import { GSO_NONE, GSO_TCPV4, GSO_TCPV6, GSO_UDP_L4, Packet } from "./packet.ts";

/** What a device takes in offloaded form (absent on a Netdev: nothing). */
export interface NetdevOffloads {
  /** Frames whose L4 checksum is still pending (the device or kernel completes it). */
  readonly csum: boolean;
  /** TCP super-frames (GSO_TCPV4/GSO_TCPV6), segmented by the device or kernel. */
  readonly tso: boolean;
  /** UDP super-frames (GSO_UDP_L4). */
  readonly uso: boolean;
}

export const NO_OFFLOADS: NetdevOffloads = Object.freeze({ csum: false, tso: false, uso: false });
export const ALL_OFFLOADS: NetdevOffloads = Object.freeze({ csum: true, tso: true, uso: true });

/** A netdev's offload capabilities (none when it declares none). */
export function offloadsOf(netdev: Netdev): NetdevOffloads {
  return netdev.offloads ?? NO_OFFLOADS;
}

const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;
const PROTO_SCTP = 132;

/** Where a frame's L4 header is; one object reused by every call of `locateL4`. */
export interface L4Location {
  /** Absolute offsets of the IP and L4 headers. */
  l3: number;
  l4: number;
  /** IP protocol / IPv6 next header of the L4 header. */
  proto: number;
  ipv6: boolean;
}

const where: L4Location = { l3: 0, l4: 0, proto: 0, ipv6: false };

/**
 * Finds the L4 header of an IPv4 or IPv6 frame (through VLAN tags and IPv6 extension headers);
 * returns the reused location, or undefined for other frames, fragments and truncated headers.
 */
export function locateL4(p: Packet): L4Location | undefined {
  const b = p.buffer;
  const end = p.start + p.length;
  let at = p.start + 12;
  if (at + 2 > end) return undefined;
  let type = readU16(b, at);
  while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
    at += 4;
    if (at + 2 > end) return undefined;
    type = readU16(b, at);
  }
  const l3 = at + 2;
  if (type === 0x0800) {
    if (l3 + 20 > end || b[l3]! >> 4 !== 4) return undefined;
    const ihl = (b[l3]! & 0x0f) * 4;
    if (ihl < 20 || l3 + ihl > end) return undefined;
    if (readU16(b, l3 + 6) & 0x3fff) return undefined;
    where.l3 = l3;
    where.l4 = l3 + ihl;
    where.proto = b[l3 + 9]!;
    where.ipv6 = false;
    return where;
  }
  if (type !== 0x86dd || l3 + 40 > end) return undefined;
  let next = b[l3 + 6]!;
  let l4 = l3 + 40;
  for (;;) {
    if (next === 0 || next === 43 || next === 60) {
      if (l4 + 8 > end) return undefined;
      next = b[l4]!;
      l4 += (b[l4 + 1]! + 1) * 8;
    } else if (next === 51) {
      if (l4 + 8 > end) return undefined;
      next = b[l4]!;
      l4 += (b[l4 + 1]! + 2) * 4;
    } else if (next === 44) {
      return undefined;
    } else {
      break;
    }
  }
  if (l4 > end) return undefined;
  where.l3 = l3;
  where.l4 = l4;
  where.proto = next;
  where.ipv6 = true;
  return where;
}

function checksumFieldOffset(proto: number): number {
  switch (proto) {
    case PROTO_TCP:
      return 16;
    case PROTO_UDP:
      return 6;
    case PROTO_ICMPV6:
      return 2;
    case PROTO_SCTP:
      return 8;
    default:
      return -1;
  }
}

/**
 * For a frame the kernel marked "checksum not ready" without saying where (an AF_PACKET socket
 * without vnet headers): records the L4 checksum as pending, its field already holding the
 * pseudo-header sum. Returns false when the frame has no TCP/UDP/ICMPv6/SCTP header.
 */
export function markChecksumPendingFromHeaders(p: Packet): boolean {
  const loc = locateL4(p);
  if (!loc) return false;
  const field = checksumFieldOffset(loc.proto);
  if (field < 0 || loc.l4 + field + 2 > p.start + p.length) return false;
  p.csumStart = loc.l4 - p.start;
  p.csumOffset = field;
  return true;
}

/**
 * Makes the L4 checksum pending from scratch (the field gets the pseudo-header sum over the
 * current length), as a sender offloading it would. Returns false for frames without TCP/UDP.
 */
export function makeChecksumPending(p: Packet): boolean {
  const loc = locateL4(p);
  if (!loc || (loc.proto !== PROTO_TCP && loc.proto !== PROTO_UDP)) return false;
  const field = checksumFieldOffset(loc.proto);
  const end = p.start + p.length;
  if (loc.l4 + field + 2 > end) return false;
  const len = end - loc.l4;
  const pseudo = loc.ipv6
    ? pseudoHeaderIpv6(p.buffer, loc.l3, loc.proto, len)
    : pseudoHeaderIpv4(p.buffer, loc.l3, loc.proto, len);
  writeU16(p.buffer, loc.l4 + field, foldPartial(pseudo));
  p.csumStart = loc.l4 - p.start;
  p.csumOffset = field;
  return true;
}

/**
 * Completes a pending L4 checksum in software (CRC32c for SCTP, whose pending field sits at
 * offset 8, else the Internet checksum); returns whether one was pending and is now done.
 */
export function completeChecksum(p: Packet): boolean {
  if (p.csumStart < 0) return false;
  if (p.csumOffset === 8) {
    const l4 = p.start + p.csumStart;
    const end = p.start + p.length;
    if (l4 + 12 > end) return false;
    setSctpChecksum(p.buffer, l4, end);
    p.csumStart = -1;
    p.csumOffset = 0;
    return true;
  }
  return completePendingChecksum(p);
}

/** Whether `p` needs software work before a device with `caps` can take it. */
export function needsSoftwareOffload(p: Packet, caps: NetdevOffloads): boolean {
  if (p.gsoType !== GSO_NONE) {
    return p.gsoType === GSO_UDP_L4 ? !caps.uso : !caps.tso;
  }
  return p.csumStart >= 0 && (!caps.csum || p.csumOffset === 8);
}

/**
 * Makes `p`'s bytes final in place where that needs no new frames: completes a pending checksum.
 * A super-frame keeps its GSO state (use `segment` for it). For actions that need final bytes.
 */
export function finalizeChecksum(p: Packet): void {
  if (p.csumStart >= 0) completeChecksum(p);
}

// ---------------------------------------------------------------------------------------------
// The virtio-net header (struct virtio_net_hdr, little-endian as packet sockets and taps use it).

export const VNET_HDR_LEN = 10;
const VNET_F_NEEDS_CSUM = 1;
const VNET_GSO_ECN = 0x80;

/**
 * Reads the virtio-net header at `bytes[at]` into `p`'s offload state (`p.length` already the
 * frame's). Returns false for a header that does not fit the frame or an unsupported GSO type.
 */
export function readVnetHeader(bytes: Uint8Array, at: number, p: Packet): boolean {
  const flags = bytes[at]!;
  const gsoType = bytes[at + 1]! & ~VNET_GSO_ECN;
  if (flags & VNET_F_NEEDS_CSUM) {
    const csumStart = bytes[at + 6]! | (bytes[at + 7]! << 8);
    const csumOffset = bytes[at + 8]! | (bytes[at + 9]! << 8);
    if (csumStart + csumOffset + 2 > p.length) return false;
    p.csumStart = csumStart;
    p.csumOffset = csumOffset;
  }
  if (gsoType !== GSO_NONE) {
    if (gsoType !== GSO_TCPV4 && gsoType !== GSO_TCPV6 && gsoType !== GSO_UDP_L4) return false;
    const gsoSize = bytes[at + 4]! | (bytes[at + 5]! << 8);
    if (gsoSize === 0 || p.csumStart < 0) return false;
    p.gsoType = gsoType;
    p.gsoSize = gsoSize;
  }
  return true;
}

/**
 * Writes `p`'s offload state as a virtio-net header at `bytes[at]`. The caller has resolved
 * what the device cannot take; an SCTP checksum (not an Internet checksum) is completed here,
 * and a super-frame without a pending checksum gets one, as the kernel requires.
 */
export function writeVnetHeader(p: Packet, bytes: Uint8Array, at: number): void {
  bytes.fill(0, at, at + VNET_HDR_LEN);
  if (p.csumStart >= 0 && p.csumOffset === 8) completeChecksum(p);
  if (p.gsoType !== GSO_NONE && p.csumStart < 0 && !makeChecksumPending(p)) {
    p.gsoType = GSO_NONE;
    p.gsoSize = 0;
  }
  if (p.csumStart < 0) return;
  bytes[at] = VNET_F_NEEDS_CSUM;
  const l4 = p.start + p.csumStart;
  bytes[at + 6] = p.csumStart & 0xff;
  bytes[at + 7] = p.csumStart >> 8;
  bytes[at + 8] = p.csumOffset & 0xff;
  bytes[at + 9] = p.csumOffset >> 8;
  if (p.gsoType === GSO_NONE) return;
  const b = p.buffer;
  const tcp = p.gsoType !== GSO_UDP_L4;
  const l4Len = tcp ? (b[l4 + 12]! >> 4) * 4 : 8;
  const hdrLen = p.csumStart + l4Len;
  const ecn = tcp && (b[l4 + 13]! & 0x80) ? VNET_GSO_ECN : 0;
  bytes[at + 1] = p.gsoType | ecn;
  bytes[at + 2] = hdrLen & 0xff;
  bytes[at + 3] = hdrLen >> 8;
  bytes[at + 4] = p.gsoSize & 0xff;
  bytes[at + 5] = p.gsoSize >> 8;
}

// ---------------------------------------------------------------------------------------------
// Segmentation.

function copyMetadata(to: Packet, from: Packet): void {
  to.inPort = from.inPort;
  to.recircId = from.recircId;
  to.dpHash = from.dpHash;
  to.skbPriority = from.skbPriority;
  to.pktMark = from.pktMark;
}

function copyBytes(to: Uint8Array, toAt: number, from: Uint8Array, fromAt: number, n: number) {
  if (n <= 64) {
    for (let i = 0; i < n; i++) to[toAt + i] = from[fromAt + i]!;
  } else {
    to.set(from.subarray(fromAt, fromAt + n), toAt);
  }
}

/** How many segments `segment` makes of `p` (1 for a frame that needs no cutting). */
export function segmentCount(p: Packet): number {
  if (p.gsoType === GSO_NONE || p.gsoSize === 0) return 1;
  const loc = locateL4(p);
  if (!loc) return 1;
  const b = p.buffer;
  const hdrEnd = loc.l4 + (p.gsoType === GSO_UDP_L4 ? 8 : (b[loc.l4 + 12]! >> 4) * 4);
  const payload = p.start + p.length - hdrEnd;
  return payload <= p.gsoSize ? 1 : Math.ceil(payload / p.gsoSize);
}

/**
 * Cuts the super-frame `p` into MSS-sized frames written to `out[at..]` (packets sized as the
 * caller sees fit: `segmentCount` says how many; each must hold headers plus `gsoSize`).
 * Each segment's L4 checksum is complete, or pending when `keepChecksumPending`. Returns the
 * number of segments, or 0 when `p` is not a TCP/UDP super-frame this can cut (it is left as is).
 */
export function segment(p: Packet, out: Packet[], at: number, keepChecksumPending = false): number {
  const loc = locateL4(p);
  if (!loc || p.gsoSize === 0) return 0;
  const tcp = p.gsoType === GSO_TCPV4 || p.gsoType === GSO_TCPV6;
  if (tcp ? loc.proto !== PROTO_TCP : (p.gsoType !== GSO_UDP_L4 || loc.proto !== PROTO_UDP)) {
    return 0;
  }
  const { l3, l4, ipv6 } = loc;
  const b = p.buffer;
  const end = p.start + p.length;
  const l4Len = tcp ? (b[l4 + 12]! >> 4) * 4 : 8;
  const hdrEnd = l4 + l4Len;
  if (hdrEnd > end) return 0;
  const payload = end - hdrEnd;
  const mss = p.gsoSize;
  const count = Math.max(1, Math.ceil(payload / mss));
  const hdrLen = hdrEnd - p.start;
  const ipId = ipv6 ? 0 : readU16(b, l3 + 4);
  const seq = tcp ? readU32(b, l4 + 4) : 0;
  const tcpFlags = tcp ? b[l4 + 13]! : 0;
  const field = tcp ? 16 : 6;
  for (let k = 0; k < count; k++) {
    const q = out[at + k]!;
    q.reset();
    copyMetadata(q, p);
    q.start = p.start;
    const chunk = Math.min(mss, payload - k * mss);
    const qb = q.buffer;
    const s = q.start;
    copyBytes(qb, s, b, p.start, hdrLen);
    copyBytes(qb, s + hdrLen, b, hdrEnd + k * mss, chunk);
    q.length = hdrLen + chunk;
    const ql3 = s + (l3 - p.start);
    const ql4 = s + (l4 - p.start);
    const l4Total = l4Len + chunk;
    if (ipv6) {
      writeU16(qb, ql3 + 4, (ql4 - ql3 - 40) + l4Total);
    } else {
      writeU16(qb, ql3 + 2, (ql4 - ql3) + l4Total);
      writeU16(qb, ql3 + 4, (ipId + k) & 0xffff);
      writeU16(qb, ql3 + 10, 0);
      writeU16(qb, ql3 + 10, ipv4HeaderChecksum(qb, ql3));
    }
    if (tcp) {
      writeU32(qb, ql4 + 4, (seq + k * mss) >>> 0);
      let flags = tcpFlags;
      if (k !== count - 1) flags &= ~0x09; // FIN and PSH only on the last segment
      if (k !== 0) flags &= ~0x80; // CWR only on the first
      qb[ql4 + 13] = flags;
    } else {
      writeU16(qb, ql4 + 4, l4Total);
    }
    const proto = tcp ? PROTO_TCP : PROTO_UDP;
    if (keepChecksumPending) {
      const pseudo = ipv6
        ? pseudoHeaderIpv6(qb, ql3, proto, l4Total)
        : pseudoHeaderIpv4(qb, ql3, proto, l4Total);
      writeU16(qb, ql4 + field, foldPartial(pseudo));
      q.csumStart = ql4 - s;
      q.csumOffset = field;
    } else {
      writeU16(qb, ql4 + field, 0);
      let sum = transportChecksum(qb, ql3, proto, ql4, s + q.length);
      if (!tcp && sum === 0) sum = 0xffff;
      writeU16(qb, ql4 + field, sum);
    }
  }
  return count;
}

/** Verifies an L4 checksum (for tests and diagnostics): true when it is correct. */
export function l4ChecksumValid(p: Packet): boolean {
  const loc = locateL4(p);
  if (!loc) return false;
  const end = p.start + p.length;
  if (loc.proto === PROTO_UDP && !loc.ipv6 && readU16(p.buffer, loc.l4 + 6) === 0) return true;
  const version = loc.ipv6 ? pseudoHeaderIpv6 : pseudoHeaderIpv4;
  const sum = checksumPartial(
    p.buffer,
    loc.l4,
    end,
    version(p.buffer, loc.l3, loc.proto, end - loc.l4),
  );
  return foldPartial(sum) === 0xffff;
}

/**
 * The software fallback in front of `netdev.send`: frames the device can take go through
 * untouched (no copy, no allocation); pending checksums are completed in place for a device
 * without checksum offload; super-frames are cut into segments from a reusable pool for a device
 * without TSO/USO. One instance per sending thread (the datapath's output path).
 */
export class OffloadFallback {
  private readonly pool: Packet[] = [];
  private readonly staged: Packet[] = [];
  /** Super-frames cut in software, and segments made (for statistics and tests). */
  segmented = 0;
  segments = 0;
  checksums = 0;

  /** Sends `packets[0..count)` on `netdev`, doing in software what it cannot take. */
  send(netdev: Netdev, packets: readonly Packet[], count: number): Errno | undefined {
    const caps = offloadsOf(netdev);
    let i = 0;
    // The common case: nothing needs work, the batch goes as it is.
    while (i < count && !needsSoftwareOffload(packets[i]!, caps)) i++;
    if (i === count) return netdev.send(packets, count);
    let staged = 0;
    let firstError: Errno | undefined;
    for (let k = 0; k < count; k++) {
      const p = packets[k]!;
      if (p.gsoType !== GSO_NONE && needsSoftwareOffload(p, caps)) {
        const n = segmentCount(p);
        // Each segment holds at most the headers (bounded by 512 bytes) and one MSS.
        this.ensurePool(n, p.start + p.gsoSize + 512);
        const made = segment(p, this.pool, 0, caps.csum);
        if (made > 0) {
          if (staged > 0) firstError ??= netdev.send(this.staged, staged);
          staged = 0;
          this.segmented++;
          this.segments += made;
          firstError ??= netdev.send(this.pool, made);
          continue;
        }
        // Not something to cut (not TCP/UDP): it goes whole, with final bytes.
        p.gsoType = GSO_NONE;
        p.gsoSize = 0;
      }
      if (p.csumStart >= 0 && (!caps.csum || p.csumOffset === 8)) {
        completeChecksum(p);
        this.checksums++;
      }
      this.staged[staged++] = p;
    }
    if (staged > 0) firstError ??= netdev.send(this.staged, staged);
    return firstError;
  }

  private ensurePool(n: number, capacity: number): void {
    for (let i = 0; i < n; i++) {
      const q = this.pool[i];
      if (!q || q.buffer.length < capacity) this.pool[i] = new Packet(Math.max(capacity, 4096));
    }
  }
}
