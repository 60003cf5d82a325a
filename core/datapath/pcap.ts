// pcap files as upstream's lib/pcap-file.c writes and reads them for the dummy netdev's
// options:tx_pcap / rxq_pcap / pcap: the 24-byte global header (magic 0xa1b2c3d4 in host order,
// version 2.4, snaplen 1518, Ethernet link type), 16-byte record headers with microsecond
// timestamps, each record flushed as written so another process can read the file as it grows;
// a reader for whole files and for bytes arriving in pieces (either byte order, micro- or
// nanosecond magic, Ethernet or Linux "cooked" captures, as upstream accepts); and
// `frameFromString`, the frame `netdev-dummy/receive` makes of its argument (hex bytes, or a
// datapath flow composed into a frame).
//
// Errors: PcapError (a file that is not pcap, a bad record) and FrameStringError (upstream's
// unixctl reply text); the writer's file errors are Deno's.

import { composeForLength, ETH_TOTAL_MIN } from "./flow_compose.ts";
import { parseOdpFlow } from "./odp_key.ts";
import { Packet } from "./packet.ts";

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_SNAPLEN = 1518;
export const PCAP_LINKTYPE_ETHERNET = 1;
export const PCAP_LINKTYPE_LINUX_SLL = 0x71;

/** A pcap file or stream that upstream's reader would refuse; the message is its warning. */
export class PcapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PcapError";
  }
}

/** Microseconds since the epoch, the pcap writer's default clock (wall time, as upstream). */
export function wallClockMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** The 24-byte global header upstream writes (little-endian on the hosts we run on). */
export function pcapGlobalHeader(): Uint8Array {
  const h = new Uint8Array(24);
  const v = new DataView(h.buffer);
  v.setUint32(0, PCAP_MAGIC_USEC, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, PCAP_SNAPLEN, true);
  v.setUint32(20, PCAP_LINKTYPE_ETHERNET, true);
  return h;
}

/**
 * Appends frames to a pcap file. "write" truncates and writes the header; "append" writes the
 * header only if the file is empty (upstream's "ab" mode, which the dummy netdev uses).
 */
export class PcapWriter {
  readonly #file: Deno.FsFile;
  readonly #clock: () => number;
  readonly #record = new Uint8Array(16);
  readonly #view = new DataView(this.#record.buffer);

  private constructor(file: Deno.FsFile, clock: () => number) {
    this.#file = file;
    this.#clock = clock;
  }

  static open(
    path: string,
    mode: "write" | "append" = "append",
    clock: () => number = wallClockMicros,
  ): PcapWriter {
    const file = Deno.openSync(path, {
      write: true,
      create: true,
      truncate: mode === "write",
      append: mode === "append",
    });
    const writer = new PcapWriter(file, clock);
    if (mode === "write" || file.statSync().size === 0) writeAll(file, pcapGlobalHeader());
    return writer;
  }

  /** Appends one record holding `frame`, timestamped by the clock. */
  write(frame: Uint8Array): void {
    const micros = this.#clock();
    const sec = Math.floor(micros / 1e6);
    this.#view.setUint32(0, sec >>> 0, true);
    this.#view.setUint32(4, Math.floor(micros - sec * 1e6) >>> 0, true);
    this.#view.setUint32(8, frame.length, true);
    this.#view.setUint32(12, frame.length, true);
    writeAll(this.#file, this.#record);
    writeAll(this.#file, frame);
  }

  /** Appends the packet's frame. */
  writePacket(packet: Packet): void {
    this.write(packet.buffer.subarray(packet.start, packet.start + packet.length));
  }

  close(): void {
    this.#file.close();
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

export interface PcapRecord {
  /** The frame (Ethernet; a Linux cooked capture is turned into Ethernet as upstream does). */
  frame: Uint8Array;
  /** Timestamp in milliseconds, as upstream's ovs_pcap_read reports it. */
  when: number;
  sec: number;
  /** Microseconds (nanosecond files are converted). */
  usec: number;
}

/**
 * Reads pcap records from bytes that may arrive in pieces (a file still being written): `push`
 * what arrived, then take whole records with `next` until it returns undefined.
 */
export class PcapReader {
  #buf = new Uint8Array(0);
  #header = false;
  #swap = false;
  #nsec = false;
  #link = PCAP_LINKTYPE_ETHERNET;

  push(bytes: Uint8Array): void {
    if (!bytes.length) return;
    const joined = new Uint8Array(this.#buf.length + bytes.length);
    joined.set(this.#buf);
    joined.set(bytes, this.#buf.length);
    this.#buf = joined;
  }

  /** The next complete record, or undefined until more bytes arrive. */
  next(): PcapRecord | undefined {
    if (!this.#header) {
      if (this.#buf.length < 24) return undefined;
      this.#readHeader();
    }
    if (this.#buf.length < 16) return undefined;
    const v = new DataView(this.#buf.buffer, this.#buf.byteOffset, 16);
    let len = v.getUint32(8, !this.#swap);
    if (len > 0xffff) {
      // Upstream guesses the byte order of each record from its length.
      const swapped = v.getUint32(8, this.#swap);
      if (swapped > 0xffff) {
        throw new PcapError(`bad packet length ${len} or ${swapped} reading pcap file`);
      }
      len = swapped;
    }
    if (this.#buf.length < 16 + len) return undefined;
    const le = !this.#swap;
    const sec = v.getUint32(0, le);
    let sub = v.getUint32(4, le);
    if (this.#nsec) sub = Math.floor(sub / 1000);
    let frame: Uint8Array = this.#buf.slice(16, 16 + len);
    this.#buf = this.#buf.subarray(16 + len);
    if (this.#link === PCAP_LINKTYPE_LINUX_SLL) frame = sllToEthernet(frame);
    return { frame, when: sec * 1000 + Math.floor(sub / 1000), sec, usec: sub };
  }

  #readHeader(): void {
    const v = new DataView(this.#buf.buffer, this.#buf.byteOffset, 24);
    const magic = v.getUint32(0, true);
    if (magic === PCAP_MAGIC_USEC || magic === swap32(PCAP_MAGIC_USEC)) {
      this.#swap = magic !== PCAP_MAGIC_USEC;
    } else if (magic === PCAP_MAGIC_NSEC || magic === swap32(PCAP_MAGIC_NSEC)) {
      this.#swap = magic !== PCAP_MAGIC_NSEC;
      this.#nsec = true;
    } else {
      throw new PcapError(
        `bad magic 0x${magic.toString(16).padStart(8, "0")} reading pcap file ` +
          "(expected 0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, or 0x4d3cb2a1)",
      );
    }
    // `swap` here means "big-endian file" since we read little-endian first.
    this.#link = v.getUint32(20, !this.#swap);
    if (this.#link !== PCAP_LINKTYPE_ETHERNET && this.#link !== PCAP_LINKTYPE_LINUX_SLL) {
      throw new PcapError(`unknown network type ${this.#link} reading pcap file`);
    }
    this.#header = true;
    this.#buf = this.#buf.subarray(24);
  }
}

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** A Linux cooked (SLL) capture's record as the Ethernet frame upstream makes of it. */
function sllToEthernet(rec: Uint8Array): Uint8Array {
  if (rec.length < 16) throw new PcapError("pcap packet too short for SLL header");
  if (((rec[4]! << 8) | rec[5]!) !== 6) throw new PcapError("bad SLL header");
  const eth = new Uint8Array(14 + rec.length - 16);
  eth.set(rec.subarray(6, 12), 6); // The source address; the destination is unknown (zero).
  eth[12] = rec[14]!;
  eth[13] = rec[15]!;
  eth.set(rec.subarray(16), 14);
  return eth;
}

/** Every record of a pcap file (a record cut short at the end is left out, as EOF). */
export function readPcapFile(path: string): PcapRecord[] {
  const reader = new PcapReader();
  reader.push(Deno.readFileSync(path));
  const out: PcapRecord[] = [];
  for (let r = reader.next(); r; r = reader.next()) out.push(r);
  return out;
}

/** Follows a pcap file another process is writing: each `poll` returns the records added. */
export class PcapFollower {
  readonly #path: string;
  #offset = 0;
  readonly #reader = new PcapReader();

  constructor(path: string) {
    this.#path = path;
  }

  poll(): PcapRecord[] {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(this.#path, { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
    try {
      const size = file.statSync().size;
      if (size > this.#offset) {
        const chunk = new Uint8Array(size - this.#offset);
        file.seekSync(this.#offset, Deno.SeekMode.Start);
        let got = 0;
        while (got < chunk.length) {
          const n = file.readSync(chunk.subarray(got));
          if (n === null || n === 0) break;
          got += n;
        }
        this.#offset += got;
        this.#reader.push(chunk.subarray(0, got));
      }
    } finally {
      file.close();
    }
    const out: PcapRecord[] = [];
    for (let r = this.#reader.next(); r; r = this.#reader.next()) out.push(r);
    return out;
  }
}

/** An argument of netdev-dummy/receive that gives no frame; the message is upstream's reply. */
export class FrameStringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameStringError";
  }
}

/**
 * upstream's eth_from_hex: hex digit pairs with spaces, tabs and newlines allowed between them
 * (not inside a pair); undefined unless it is all hex and at least an Ethernet header long.
 */
export function frameFromHex(text: string): Uint8Array | undefined {
  const bytes: number[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
    const hi = hexDigit(text.charCodeAt(i));
    const lo = hexDigit(text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) break;
    bytes.push((hi << 4) | lo);
    i += 2;
  }
  if (i < text.length || bytes.length < 14) return undefined;
  return new Uint8Array(bytes);
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * The frame netdev-dummy/receive makes of one argument: hex bytes, else a datapath flow
 * composed into a frame (with the default payload, or padded to `length` when --len was given).
 * Throws FrameStringError with upstream's reply: the flow's syntax or key error, "too small
 * packet len" for a length under 60, or (as upstream, which replies with no text) an empty
 * message when the composed frame is longer than `length`.
 */
export function frameFromString(text: string, length?: number): Uint8Array {
  const hex = frameFromHex(text);
  if (hex) return hex;
  if (length !== undefined && length < ETH_TOTAL_MIN) {
    throw new FrameStringError("too small packet len");
  }
  let parsed: ReturnType<typeof parseOdpFlow>;
  try {
    parsed = parseOdpFlow(text);
  } catch (e) {
    throw new FrameStringError(e instanceof Error ? e.message : String(e));
  }
  if (parsed.fitness === "error") throw new FrameStringError(parsed.error ?? "");
  const packet = new Packet(Math.max(length ?? 0, 65536) + 512);
  if (!composeForLength(packet, parsed.key, length)) throw new FrameStringError("");
  return packet.buffer.slice(packet.start, packet.start + packet.length);
}
