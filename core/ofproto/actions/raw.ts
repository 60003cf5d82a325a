// The wire identities of OpenFlow actions (upstream's ofp_raw_action_type): for each raw action,
// where it lives in each OpenFlow version — a standard OFPAT type, a Nicira extension (vendor
// 0x00002320, NXAST subtype) or an ONF extension (vendor 0x4f4e4600) — and the shape of its body,
// from which its valid lengths and the place of its integer argument follow. One table entry per
// (type code, version) drives both directions: `pullRaw` identifies and length-checks an action
// read from the wire, `startRaw`/`putRaw` write the header, argument and padding of one.
//
// Promises: lengths are checked exactly as upstream does (buffer, [min,max] range, multiple of 8)
// and every failure is an OfpError with upstream's name; written actions are padded to 8 bytes
// with their length filled in. Knows nothing about what the actions mean: the family files
// register a decoder with each raw entry.

import { OfpError } from "../errors.ts";
import { NX_VENDOR_ID, ONF_VENDOR_ID } from "../fields.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import { versionToString } from "../msg/protocol.ts";
import { actionsInfo, actionsWarn } from "./log.ts";
import type { Ofpact } from "./types.ts";

export const OFPAT_VENDOR = 0xffff;
export const OFP_ACTION_ALIGN = 8;
const MAX_VARIABLE_LENGTH = 65536 - OFP_ACTION_ALIGN;

/** Options that change how actions from the wire are accepted. */
export interface DecodeOptions {
  /** Accept debug_recirc and debug_slow (ovs-vswitchd --enable-dummy). */
  enableDebug?: boolean;
}

/** What a raw action's decoder gets: the action's bytes and its integer argument, if any. */
export interface RawInput {
  /** The whole action, header included. */
  bytes: Uint8Array;
  /** A reader over the body, positioned just past the header (4 or 10 bytes). */
  body: WireReader;
  /** The integer argument (for argument-style actions), as a number when 32 bits or less. */
  arg: number;
  arg64: bigint;
  version: number;
  options: DecodeOptions;
  /** Decodes nested actions (clone, ct), verified for nesting inside `outer`. */
  decodeNested(bytes: Uint8Array, outer: "clone" | "ct" | undefined): Ofpact[];
}

export type RawDecoder = (input: RawInput) => Ofpact;

/** The body of a raw action after its header. */
export type RawBody =
  | { kind: "void" }
  | { kind: "int"; bytes: 1 | 2 | 4 | 8 }
  | { kind: "struct"; size: number; variable: boolean };

type VendorName = "OF" | "NX" | "ONF";

/** Where a raw action lives: vendor, type (or subtype), first and last version. */
export interface RawSpot {
  vendor: VendorName;
  code: number;
  from: number;
  to: number;
  deprecated?: string;
}

export interface RawDef {
  /** Upstream's enum name, e.g. "OFPAT_RAW10_OUTPUT" or "NXAST_RAW_RESUBMIT". */
  id: string;
  spots: RawSpot[];
  body: RawBody;
  decode: RawDecoder;
}

/** One (raw action, version) pair with everything needed to read or write it. */
export interface RawInstance {
  def: RawDef;
  vendor: number;
  code: number;
  version: number;
  headerLen: number;
  minLen: number;
  maxLen: number;
  argOfs: number;
  argLen: number;
  /** "OFPAT_OUTPUT", "NXAST_RESUBMIT" ... for messages. */
  name: string;
  /** Why the action is deprecated in this version, if it is. */
  deprecation: string | undefined;
}

const VENDOR_IDS: Record<VendorName, number> = { OF: 0, NX: NX_VENDOR_ID, ONF: ONF_VENDOR_ID };
const HEADER_LEN: Record<VendorName, number> = { OF: 4, NX: 10, ONF: 10 };

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Spot helpers for the family tables: OF(version range, type), NX(...), ONF(...). */
export function of(from: number, to: number, code: number, deprecated?: string): RawSpot {
  return deprecated
    ? { vendor: "OF", code, from, to, deprecated }
    : { vendor: "OF", code, from, to };
}
export function nx(from: number, to: number, code: number): RawSpot {
  return { vendor: "NX", code, from, to };
}
export function onf(from: number, to: number, code: number): RawSpot {
  return { vendor: "ONF", code, from, to };
}

const decodeIndex = new Map<string, RawInstance>();
const encodeIndex = new Map<string, RawInstance>();

function instantiate(def: RawDef, spot: RawSpot, version: number): RawInstance {
  const headerLen = HEADER_LEN[spot.vendor];
  let minLen: number;
  let argOfs = 0;
  let argLen = 0;
  switch (def.body.kind) {
    case "void":
      minLen = roundUp(headerLen, OFP_ACTION_ALIGN);
      break;
    case "int":
      argLen = def.body.bytes;
      argOfs = roundUp(headerLen, argLen);
      minLen = roundUp(argOfs + argLen, OFP_ACTION_ALIGN);
      break;
    case "struct":
      minLen = def.body.size;
      break;
  }
  const variable = def.body.kind === "struct" && def.body.variable;
  return {
    def,
    vendor: VENDOR_IDS[spot.vendor],
    code: spot.code,
    version,
    headerLen,
    minLen,
    maxLen: variable ? MAX_VARIABLE_LENGTH : minLen,
    argOfs,
    argLen,
    name: def.id.replace(/_RAW[0-9]*/, ""),
    deprecation: spot.deprecated,
  };
}

/** Adds raw actions to the tables (called once per family at start-up). */
export function registerRaws(defs: readonly RawDef[]): void {
  for (const def of defs) {
    for (const spot of def.spots) {
      for (let version = spot.from; version <= spot.to; version++) {
        const inst = instantiate(def, spot, version);
        const key = `${inst.vendor}:${inst.code}:${version}`;
        if (decodeIndex.has(key)) throw new RangeError(`raw action ${key} defined twice`);
        decodeIndex.set(key, inst);
        encodeIndex.set(`${def.id}:${version}`, inst);
        const first = firstInstance.get(def.id);
        if (!first || version < first.version) firstInstance.set(def.id, inst);
      }
    }
  }
}

const firstInstance = new Map<string, RawInstance>();

/**
 * The instance of `id` for `version`. Upstream's generated put_<RAW> functions for actions
 * whose bytes do not vary with the version always use the first version the action exists in,
 * so writing such an action "in" another version (encap in OpenFlow 1.0) gives those bytes.
 */
function lookup(id: string, version: number): RawInstance {
  const inst = encodeIndex.get(`${id}:${version}`) ?? firstInstance.get(id);
  if (!inst) throw new RangeError(`raw action ${id} is not defined`);
  return inst;
}

/** Whether raw action `id` exists in `version`. */
export function rawExists(id: string, version: number): boolean {
  return encodeIndex.has(`${id}:${version}`);
}

/**
 * Identifies the action at `offset` of `bytes` for `version` and checks its length (upstream's
 * ofpact_decode_raw + ofpact_pull_raw). Returns the instance, the action's length and argument.
 */
export function pullRaw(
  bytes: Uint8Array,
  offset: number,
  version: number,
): { inst: RawInstance; length: number; arg: number; arg64: bigint } {
  const remaining = bytes.length - offset;
  if (remaining < 8) throw new OfpError("OFPBAC_BAD_LEN");
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, remaining);
  const type = view.getUint16(0);
  let vendor = 0;
  let code = type;
  if (type === OFPAT_VENDOR) {
    vendor = view.getUint32(4);
    if (vendor !== NX_VENDOR_ID && vendor !== ONF_VENDOR_ID) {
      actionsWarn(`OpenFlow action has unknown vendor ${hexAlt(vendor)}`);
      throw new OfpError("OFPBAC_BAD_VENDOR");
    }
    if (remaining < 16) throw new OfpError("OFPBAC_BAD_LEN");
    code = view.getUint16(8);
  }
  const inst = decodeIndex.get(`${vendor}:${code}:${version}`);
  if (!inst) {
    actionsWarn(
      `unknown ${versionToString(version)} action for vendor ${hexAlt(vendor)} and type ${code}`,
    );
    throw new OfpError(vendor ? "OFPBAC_BAD_VENDOR_TYPE" : "OFPBAC_BAD_TYPE");
  }
  if (inst.deprecation) {
    actionsInfo(`${inst.name} is deprecated in ${versionToString(version)} (${inst.deprecation})`);
  }
  const length = view.getUint16(2);
  if (length > remaining) {
    actionsWarn(
      `OpenFlow action ${inst.name} length ${length} exceeds action buffer length ${remaining}`,
    );
    throw new OfpError("OFPBAC_BAD_LEN");
  }
  if (length < inst.minLen || length > inst.maxLen) {
    actionsWarn(
      `OpenFlow action ${inst.name} length ${length} not in valid range ` +
        `[${inst.minLen},${inst.maxLen}]`,
    );
    throw new OfpError("OFPBAC_BAD_LEN");
  }
  if (length % 8) {
    actionsWarn(`OpenFlow action ${inst.name} length ${length} is not a multiple of 8`);
    throw new OfpError("OFPBAC_BAD_LEN");
  }
  let arg64 = 0n;
  for (let i = 0; i < inst.argLen; i++) {
    arg64 = (arg64 << 8n) | BigInt(view.getUint8(inst.argOfs + i));
  }
  return { inst, length, arg: Number(arg64 & 0xffffffffn), arg64 };
}

/** A reader over the body of an action (everything after its header). */
export function bodyReader(action: Uint8Array, inst: RawInstance): WireReader {
  return new WireReader(action, inst.headerLen, action.length, "OFPBAC_BAD_LEN");
}

function writeHeader(w: WireWriter, inst: RawInstance, length: number): number {
  const start = w.length;
  w.u16(inst.vendor ? OFPAT_VENDOR : inst.code).u16(length);
  if (inst.vendor) w.u32(inst.vendor).u16(inst.code);
  return start;
}

/**
 * Writes a whole void or integer-argument action `id` for `version` (upstream's put_<RAW>):
 * header, argument in place, zero padding to the action's fixed length.
 */
export function putRaw(w: WireWriter, version: number, id: string, arg: number | bigint = 0): void {
  const inst = lookup(id, version);
  const start = writeHeader(w, inst, inst.minLen);
  if (inst.argLen) {
    w.zeros(inst.argOfs - (w.length - start));
    let value = BigInt(arg);
    const bytes = new Uint8Array(inst.argLen);
    for (let i = inst.argLen - 1; i >= 0; i--) {
      bytes[i] = Number(value & 0xffn);
      value >>= 8n;
    }
    w.bytes(bytes);
  }
  w.zeros(inst.minLen - (w.length - start));
}

/**
 * Starts a struct-style action `id` for `version`: writes its header (4 bytes for standard
 * actions, 10 for extensions) and returns the action's start offset for `finishRaw`.
 */
export function startRaw(w: WireWriter, version: number, id: string): number {
  const inst = lookup(id, version);
  return writeHeader(w, inst, inst.minLen);
}

/**
 * Finishes an action begun at `start`: pads it to at least `minLen` bytes (the struct's size, for
 * fixed-size actions) and to a multiple of 8, and fills in its length (upstream's pad_ofpat).
 */
export function finishRaw(w: WireWriter, start: number, minLen = 0): void {
  if (w.length - start < minLen) w.zeros(minLen - (w.length - start));
  w.padTo(OFP_ACTION_ALIGN, start);
  w.setU16(start + 2, w.length - start);
}

function hexAlt(v: number): string {
  return v ? `0x${v.toString(16)}` : "0";
}

/** Whether bytes [from, to) of `bytes` are all zero. */
export function isAllZeros(bytes: Uint8Array, from = 0, to = bytes.length): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}
