// A packet as the datapath carries it (upstream's dp_packet): a reusable buffer with headroom in
// front of the frame so VLAN and MPLS pushes need no copy, the frame's bounds, the header offsets
// found by flow extraction, packet metadata (input port, recirculation id, mark, tunnel) and the
// offload state a virtio-net header describes (checksum pending, GSO). Promises: a Packet is
// allocated once and reused for many frames (`reset`), so the packet path allocates nothing per
// frame; offsets are absolute indices into `buffer`, or -1 when the header is absent.

/** Bytes kept free before the frame for header pushes. */
export const PACKET_HEADROOM = 128;
/** Room for the largest frame: a 64 KiB GSO super-frame plus headroom. */
export const PACKET_CAPACITY = 65536 + PACKET_HEADROOM + 256;

/** virtio-net GSO types, as the kernel's virtio_net.h numbers them. */
export const GSO_NONE = 0;
export const GSO_TCPV4 = 1;
export const GSO_UDP = 3;
export const GSO_TCPV6 = 4;
export const GSO_UDP_L4 = 5;

export class Packet {
  readonly buffer: Uint8Array;
  readonly view: DataView;
  /** Index of the frame's first byte (the Ethernet header). */
  start = PACKET_HEADROOM;
  /** Frame length in bytes. */
  length = 0;
  /** Header offsets (absolute), -1 when absent. */
  l3 = -1;
  /** The outermost MPLS label stack entry (upstream's l2_5), -1 without MPLS. */
  l2_5 = -1;
  l4 = -1;
  /** Datapath input port. */
  inPort = 0;
  recircId = 0;
  dpHash = 0;
  skbPriority = 0;
  pktMark = 0;
  /**
   * Offloads: `csumStart`/`csumOffset` (relative to `start`) when the L4 checksum is still to be
   * completed (VIRTIO_NET_HDR_F_NEEDS_CSUM); `gsoType`/`gsoSize` for a super-frame still to be
   * segmented.
   */
  csumStart = -1;
  csumOffset = 0;
  gsoType = GSO_NONE;
  gsoSize = 0;

  constructor(capacity = PACKET_CAPACITY) {
    this.buffer = new Uint8Array(capacity);
    this.view = new DataView(this.buffer.buffer);
  }

  /** Makes the packet empty and ready for a new frame written at `start`. */
  reset(): void {
    this.start = PACKET_HEADROOM;
    this.length = 0;
    this.l3 = -1;
    this.l2_5 = -1;
    this.l4 = -1;
    this.inPort = 0;
    this.recircId = 0;
    this.dpHash = 0;
    this.skbPriority = 0;
    this.pktMark = 0;
    this.csumStart = -1;
    this.csumOffset = 0;
    this.gsoType = GSO_NONE;
    this.gsoSize = 0;
  }

  /** The frame's bytes (a view, valid until the packet is reused). */
  frame(): Uint8Array {
    return this.buffer.subarray(this.start, this.start + this.length);
  }

  /** Copies `bytes` in as the whole frame. */
  setFrame(bytes: Uint8Array): void {
    this.reset();
    this.buffer.set(bytes, this.start);
    this.length = bytes.length;
  }

  /** Copies another packet's frame and metadata into this one. */
  copyFrom(other: Packet): void {
    this.start = other.start;
    this.length = other.length;
    this.buffer.set(other.buffer.subarray(other.start, other.start + other.length), this.start);
    this.l3 = other.l3;
    this.l2_5 = other.l2_5;
    this.l4 = other.l4;
    this.inPort = other.inPort;
    this.recircId = other.recircId;
    this.dpHash = other.dpHash;
    this.skbPriority = other.skbPriority;
    this.pktMark = other.pktMark;
    this.csumStart = other.csumStart;
    this.csumOffset = other.csumOffset;
    this.gsoType = other.gsoType;
    this.gsoSize = other.gsoSize;
  }
}
