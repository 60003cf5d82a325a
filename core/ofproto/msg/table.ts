// Tables (upstream's ofp-table): table mod, table stats (OpenFlow 1.0, 1.1, 1.2, 1.3+ forms,
// which also carry features before 1.3), table features (request and reply, with every
// property), table description and table status, and the texts `dump-tables`,
// `dump-table-features`, `dump-table-desc` and ofp-print show, with upstream's "ditto"
// compression of tables that repeat the previous one.
//
// Field sets are bigint bitmaps indexed by field id (fields.ts order, upstream's mf ids).
// Promises: every element length is checked with upstream's errors (OFPBPC_BAD_LEN,
// OFPTFFC_BAD_FEATURES, OFPTFFC_BAD_TABLE, OFPTFFC_BAD_COMMAND ...).

import { OfpError } from "../errors.ts";
import { FIELDS, OFP10, OFP11, OFP12, OFP13, OFP14, OFP15 } from "../fields.ts";
import { lookupHeader, pullRawHeader, putFieldHeader } from "../nxm_header.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import type { MultipartReply } from "./multipart.ts";
import { ofpactBitmapFromOpenflow, ofpactBitmapToOpenflow } from "./ofpact_bitmap.ts";
import { formatTable, type TableNames } from "./ports.ts";
import {
  propEnd,
  propStart,
  propU32,
  pullProp,
  pullProps,
  putPropBitmap,
  putPropU32,
} from "./props.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { bitNames } from "./text_util.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";
import { unknownProp } from "./props.ts";

const log = vlogModule("ofp_table");
const rl = new RateLimit(1, 5);

export const OFPTT_MAX = 0xfe;
export const OFPTT_ALL = 0xff;

export type TableMiss = "default" | "controller" | "continue" | "drop";
/** "invalid" is what a table mod's eviction property sets for values other than 0-2. */
export type TableEviction = "default" | "on" | "off" | "invalid";
export type TableVacancy = "default" | "on" | "off";

const OFPTC11_TABLE_MISS_CONTROLLER = 0;
const OFPTC11_TABLE_MISS_CONTINUE = 1;
const OFPTC11_TABLE_MISS_DROP = 2;
const OFPTC14_EVICTION = 1 << 2;
const OFPTC14_VACANCY_EVENTS = 1 << 3;
const OFPTMPT14_EVICTION = 0x2n;
const OFPTMPT14_VACANCY = 0x3n;

export const OFPTMPEF14_OTHER = 1 << 0;
export const OFPTMPEF14_IMPORTANCE = 1 << 1;
export const OFPTMPEF14_LIFETIME = 1 << 2;

export interface TableVacancyConfig {
  vacancyDown: number;
  vacancyUp: number;
  vacancy: number;
}

function decodeMiss(config: number, version: number): TableMiss {
  if (version !== OFP11 && version !== OFP12) return "default";
  switch (config & 3) {
    case OFPTC11_TABLE_MISS_CONTROLLER:
      return "controller";
    case OFPTC11_TABLE_MISS_CONTINUE:
      return "continue";
    case OFPTC11_TABLE_MISS_DROP:
      return "drop";
    default:
      log.rateLimited(rl, "warn", `bad table miss config ${config}`);
      return "controller";
  }
}

function decodeEviction(config: number, version: number): TableEviction {
  return version < OFP14 ? "default" : config & OFPTC14_EVICTION ? "on" : "off";
}

function decodeVacancy(config: number, version: number): TableVacancy {
  return version < OFP14 ? "default" : config & OFPTC14_VACANCY_EVENTS ? "on" : "off";
}

function encodeConfig(
  miss: TableMiss,
  eviction: TableEviction,
  vacancy: TableVacancy,
  version: number,
): number {
  switch (version) {
    case OFP11:
    case OFP12:
      return miss === "continue"
        ? OFPTC11_TABLE_MISS_CONTINUE
        : miss === "drop"
        ? OFPTC11_TABLE_MISS_DROP
        : OFPTC11_TABLE_MISS_CONTROLLER;
    case OFP14:
    case OFP15:
      return (eviction === "on" ? OFPTC14_EVICTION : 0) |
        (vacancy === "on" ? OFPTC14_VACANCY_EVENTS : 0);
    default:
      return 0;
  }
}

function readName(r: WireReader, width: number): string {
  const raw = r.bytes(width);
  let s = "";
  for (let i = 0; i < width - 1 && raw[i] !== 0; i++) s += String.fromCharCode(raw[i]!);
  return s;
}

function writeName(w: WireWriter, name: string, width: number): void {
  const n = Math.min(name.length, width - 1);
  for (let i = 0; i < n; i++) w.u8(name.charCodeAt(i));
  w.zeros(width - n);
}

// Table mod.

export interface TableMod {
  tableId: number;
  miss: TableMiss;
  eviction: TableEviction;
  /** OFPTMPEF14_* bits, or 0xffffffff for none given. */
  evictionFlags: number;
  vacancy: TableVacancy;
  tableVacancy: TableVacancyConfig;
}

export function defaultTableMod(tableId: number): TableMod {
  return {
    tableId,
    miss: "default",
    eviction: "default",
    evictionFlags: 0xffffffff,
    vacancy: "default",
    tableVacancy: { vacancyDown: 0, vacancyUp: 0, vacancy: 0 },
  };
}

export function decodeTableMod(msg: Uint8Array): TableMod {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const tm = defaultTableMod(0);
  if (raw.info.raw === "OFPT11_TABLE_MOD") {
    tm.tableId = r.u8();
    r.skip(3);
    tm.miss = decodeMiss(r.u32(), raw.version);
    return tm;
  }
  if (raw.info.raw !== "OFPT14_TABLE_MOD") throw new OfpError("OFPBRC_BAD_TYPE");
  tm.tableId = r.u8();
  r.skip(3);
  const config = r.u32();
  tm.miss = decodeMiss(config, raw.version);
  tm.eviction = decodeEviction(config, raw.version);
  tm.vacancy = decodeVacancy(config, raw.version);
  const body = r.bytes(r.remaining);
  let offset = 0;
  while (offset < body.length) {
    const { prop, next } = pullProp(body, offset);
    offset = next;
    if (prop.type === OFPTMPT14_EVICTION) {
      // Upstream stores this property's value into the eviction setting, not the flags.
      const v = propU32(prop);
      tm.eviction = v === 0 ? "default" : v === 1 ? "on" : v === 2 ? "off" : "invalid";
    } else if (prop.type === OFPTMPT14_VACANCY) {
      if (prop.raw.length !== 8) throw new OfpError("OFPBPC_BAD_LEN");
      const down = prop.raw[4]!;
      const up = prop.raw[5]!;
      tm.tableVacancy.vacancyDown = down;
      tm.tableVacancy.vacancyUp = up;
      if (down > up) {
        log.rateLimited(rl, "warn", "Value of vacancy_down is greater than vacancy_up");
        throw new OfpError("OFPBPC_BAD_VALUE");
      }
      if (down > 100 || up > 100) {
        log.rateLimited(rl, "warn", "Vacancy threshold percentage should not be greater than 100");
        throw new OfpError("OFPBPC_BAD_VALUE");
      }
      tm.tableVacancy.vacancy = prop.raw[6]!;
      if (tm.tableVacancy.vacancy) {
        log.rateLimited(rl, "warn", "Vacancy value should be zero for table-mod messages");
        throw new OfpError("OFPBPC_BAD_VALUE");
      }
    } else {
      throw new OfpError("OFPBRC_BAD_TYPE");
    }
  }
  return tm;
}

/** A table mod for `version` (1.1+; a TypeError for 1.0, which has none). */
export function encodeTableMod(tm: TableMod, version: number, xid: number): Uint8Array {
  if (version === OFP10) throw new TypeError("table mod needs OpenFlow 1.1 or later");
  const config = encodeConfig(tm.miss, tm.eviction, tm.vacancy, version);
  if (version <= OFP13) {
    const w = startMessage("OFPT11_TABLE_MOD", version, xid);
    w.u8(tm.tableId).zeros(3).u32(config);
    return finishMessage(w);
  }
  const w = startMessage("OFPT14_TABLE_MOD", version, xid);
  w.u8(tm.tableId).zeros(3).u32(config);
  if (tm.evictionFlags !== 0xffffffff) putPropU32(w, OFPTMPT14_EVICTION, tm.evictionFlags);
  if (tm.vacancy === "on") {
    const p = propStart(w, OFPTMPT14_VACANCY);
    w.u8(tm.tableVacancy.vacancyDown).u8(tm.tableVacancy.vacancyUp).u8(0).u8(0);
    propEnd(w, p);
  }
  return finishMessage(w);
}

const EVICTION_FLAG_NAMES: Record<number, string> = {
  [OFPTMPEF14_OTHER]: "OTHER",
  [OFPTMPEF14_IMPORTANCE]: "IMPORTANCE",
  [OFPTMPEF14_LIFETIME]: "LIFETIME",
};

function evictionFlagsText(flags: number): string {
  return flags !== 0xffffffff ? bitNames(flags, (b) => EVICTION_FLAG_NAMES[b], "|") : "(default)";
}

function evictionText(e: TableEviction): string {
  return e === "invalid" ? "***error***" : e;
}

export function formatTableMod(tm: TableMod, names?: TableNames): string {
  let s = tm.tableId === 0xff
    ? " table_id: ALL_TABLES"
    : " table_id=" + formatTable(tm.tableId, names);
  if (tm.miss !== "default") s += `, flow_miss_config=${tm.miss}`;
  if (tm.eviction !== "default") s += `, eviction=${evictionText(tm.eviction)}`;
  if (tm.evictionFlags !== 0xffffffff) s += "eviction_flags=" + evictionFlagsText(tm.evictionFlags);
  if (tm.vacancy !== "default") {
    s += `, vacancy=${tm.vacancy}`;
    if (tm.vacancy === "on") {
      s += ` vacancy:${tm.tableVacancy.vacancyDown},${tm.tableVacancy.vacancyUp}`;
    }
  }
  return s;
}

// Table features.

export interface TableActionFeatures {
  /** ofpact bitmap. */
  ofpacts: bigint;
  /** Field bitmap. */
  setFields: bigint;
}

export interface TableInstructionFeatures {
  /** Bitmap of tables 0..254 that goto_table may reach. */
  next: bigint;
  /** OVSINST_* bitmap. */
  instructions: number;
  write: TableActionFeatures;
  apply: TableActionFeatures;
}

export type TableFeaturesCommand = "replace" | "modify" | "enable" | "disable";
const TF_COMMANDS: readonly TableFeaturesCommand[] = ["replace", "modify", "enable", "disable"];

export interface TableFeatures {
  tableId: number;
  command: TableFeaturesCommand;
  name: string;
  metadataMatch: bigint;
  metadataWrite: bigint;
  missConfig: TableMiss;
  /** undefined: the version cannot say. */
  supportsEviction: boolean | undefined;
  supportsVacancyEvents: boolean | undefined;
  maxEntries: number;
  anyProperties: boolean;
  nonmiss: TableInstructionFeatures;
  miss: TableInstructionFeatures;
  match: bigint;
  mask: bigint;
  wildcard: bigint;
}

function emptyActionFeatures(): TableActionFeatures {
  return { ofpacts: 0n, setFields: 0n };
}

function emptyInstructionFeatures(): TableInstructionFeatures {
  return { next: 0n, instructions: 0, write: emptyActionFeatures(), apply: emptyActionFeatures() };
}

export function emptyTableFeatures(tableId = 0): TableFeatures {
  return {
    tableId,
    command: "replace",
    name: "",
    metadataMatch: 0n,
    metadataWrite: 0n,
    missConfig: "default",
    supportsEviction: undefined,
    supportsVacancyEvents: undefined,
    maxEntries: 0,
    anyProperties: false,
    nonmiss: emptyInstructionFeatures(),
    miss: emptyInstructionFeatures(),
    match: 0n,
    mask: 0n,
    wildcard: 0n,
  };
}

/** OVSINST index → OFPIT number, for 1.3/1.4 (meter is 6) and for 1.1/1.2/1.5. */
const OFPIT_OF13 = [6, 4, 5, 3, 2, 1];
const OFPIT_OF11 = [-1, 4, 5, 3, 2, 1];

/** OVSINST_* bitmap → OFPIT bitmap of `version`. */
export function ovsinstBitmapToOpenflow(bitmap: number, version: number): number {
  const map = version === OFP13 || version === OFP14 ? OFPIT_OF13 : OFPIT_OF11;
  let out = 0;
  map.forEach((ofpit, i) => {
    if (ofpit >= 0 && bitmap & (1 << i)) out |= 1 << ofpit;
  });
  return out >>> 0;
}

export function ovsinstBitmapFromOpenflow(bitmap: number, version: number): number {
  const map = version === OFP13 || version === OFP14 ? OFPIT_OF13 : OFPIT_OF11;
  let out = 0;
  map.forEach((ofpit, i) => {
    if (ofpit >= 0 && bitmap & (1 << ofpit)) out |= 1 << i;
  });
  return out;
}

function instructionFromOfpit(t: number): number | undefined {
  const i = OFPIT_OF13.indexOf(t);
  return i < 0 ? undefined : i;
}

/** Reads the ids of an ID list property (1-byte alignment, experimenters at 0xffff+). */
function pullIds(payload: Uint8Array): bigint[] {
  const out: bigint[] = [];
  let offset = 0;
  while (offset < payload.length) {
    const { prop, next } = pullProp(payload, offset, 1, 0x10000);
    out.push(prop.type);
    offset = next;
  }
  return out;
}

function parseActionBitmap(payload: Uint8Array, version: number): bigint {
  let types = 0;
  for (const t of pullIds(payload)) if (t < 32n) types |= 1 << Number(t);
  return ofpactBitmapFromOpenflow(types >>> 0, version);
}

function parseInstructionIds(payload: Uint8Array, loose: boolean): number {
  let insts = 0;
  for (const t of pullIds(payload)) {
    const i = t < 0x10000n ? instructionFromOfpit(Number(t)) : undefined;
    if (i !== undefined) insts |= 1 << i;
    else if (!loose) throw new OfpError("OFPBIC_UNKNOWN_INST");
  }
  return insts;
}

function parseNextTables(payload: Uint8Array): bigint {
  let next = 0n;
  for (const id of payload) {
    if (id >= 255) throw new OfpError("OFPBPC_BAD_VALUE");
    next |= 1n << BigInt(id);
  }
  return next;
}

/** Field ids collected into 32-bit words, turned into a bigint bitmap once at the end. */
function bitmapOf(words: Uint32Array): bigint {
  let out = 0n;
  for (let i = words.length - 1; i >= 0; i--) out = (out << 32n) | BigInt(words[i]!);
  return out;
}

const exactWords = new Uint32Array(Math.ceil(FIELDS.length / 32));
const maskedWords = new Uint32Array(Math.ceil(FIELDS.length / 32));

/**
 * upstream's parse_oxms: the fields a property names, exact and masked. With `loose`, headers of
 * unknown fields are skipped (without building an error for each: a switch's reply lists them
 * by the hundred).
 */
function parseOxms(
  payload: Uint8Array,
  loose: boolean,
  allowMask: boolean,
): { exact: bigint; masked: bigint } {
  exactWords.fill(0);
  maskedWords.fill(0);
  const r = new WireReader(payload, 0, payload.length, "OFPBMC_BAD_LEN");
  let anyMasked = false;
  while (r.remaining > 0) {
    const header = pullRawHeader(r);
    const field = lookupHeader(header).code?.field;
    if (!field) {
      if (!loose) throw new OfpError("OFPBMC_BAD_FIELD", "unknown OXM field");
      continue;
    }
    const words = header.hasMask ? maskedWords : exactWords;
    words[field.id >>> 5] = (words[field.id >>> 5]! | (1 << (field.id & 31))) >>> 0;
    if (header.hasMask) anyMasked = true;
  }
  if (!allowMask && anyMasked) throw new OfpError("OFPBMC_BAD_MASK");
  return { exact: bitmapOf(exactWords), masked: bitmapOf(maskedWords) };
}

const REQUIRED = (1 << 0) | (1 << 2) | (1 << 4) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 12) |
  (1 << 14);

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v &= v - 1) n++;
  return n;
}

/**
 * Decodes one table features element at `r` (upstream's ofputil_decode_table_features);
 * undefined at the end. `loose` ignores what is not understood (as a controller reading a
 * switch's reply does).
 */
export function pullTableFeatures(
  r: WireReader,
  version: number,
  loose: boolean,
): { tf: TableFeatures; rawProperties: Uint8Array } | undefined {
  if (r.remaining === 0) return undefined;
  if (r.remaining < 64) throw new OfpError("OFPBPC_BAD_LEN");
  const start = r.offset;
  const len = r.peekU16();
  if (len < 64 || len % 8 || len > r.remaining) throw new OfpError("OFPBPC_BAD_LEN");
  const e = r.sub(len);
  e.skip(2);
  const tf = emptyTableFeatures();
  tf.tableId = e.u8();
  const command = e.u8();
  if (version >= OFP15) {
    const c = TF_COMMANDS[command];
    if (!c) throw new OfpError("OFPTFFC_BAD_COMMAND");
    tf.command = c;
  }
  if (tf.tableId === OFPTT_ALL) throw new OfpError("OFPTFFC_BAD_TABLE");
  e.skip(4);
  tf.name = readName(e, 32);
  tf.metadataMatch = e.u64();
  tf.metadataWrite = e.u64();
  const caps = e.u32();
  if (version >= OFP14) {
    tf.supportsEviction = (caps & OFPTC14_EVICTION) !== 0;
    tf.supportsVacancyEvents = (caps & OFPTC14_VACANCY_EVENTS) !== 0;
  }
  tf.maxEntries = e.u32();
  void start;
  const props = e.bytes(e.remaining);
  tf.anyProperties = props.length > 0;
  let seen = 0;
  for (const p of pullProps(props)) {
    const type = p.type;
    if (type < 32n) {
      const bit = 1 << Number(type);
      if (seen & bit) throw new OfpError("OFPTFFC_BAD_FEATURES");
      seen |= bit;
    }
    const payload = p.payload;
    switch (type) {
      case 0n:
        tf.nonmiss.instructions = parseInstructionIds(payload, loose);
        break;
      case 1n:
        tf.miss.instructions = parseInstructionIds(payload, loose);
        break;
      case 2n:
        tf.nonmiss.next = parseNextTables(payload);
        break;
      case 3n:
        tf.miss.next = parseNextTables(payload);
        break;
      case 4n:
        tf.nonmiss.write.ofpacts = parseActionBitmap(payload, version);
        break;
      case 5n:
        tf.miss.write.ofpacts = parseActionBitmap(payload, version);
        break;
      case 6n:
        tf.nonmiss.apply.ofpacts = parseActionBitmap(payload, version);
        break;
      case 7n:
        tf.miss.apply.ofpacts = parseActionBitmap(payload, version);
        break;
      case 8n: {
        const { exact, masked } = parseOxms(payload, loose, true);
        tf.match = exact;
        tf.mask = masked;
        break;
      }
      case 10n:
        tf.wildcard = parseOxms(payload, loose, false).exact;
        break;
      case 12n:
        tf.nonmiss.write.setFields = parseOxms(payload, loose, false).exact;
        break;
      case 13n:
        tf.miss.write.setFields = parseOxms(payload, loose, false).exact;
        break;
      case 14n:
        tf.nonmiss.apply.setFields = parseOxms(payload, loose, false).exact;
        break;
      case 15n:
        tf.miss.apply.setFields = parseOxms(payload, loose, false).exact;
        break;
      default:
        unknownProp(log, loose, "table features", type);
    }
  }
  const missing = (seen & REQUIRED) ^ REQUIRED;
  if (missing && (tf.anyProperties || version < OFP15)) {
    log.rateLimited(
      rl,
      "warn",
      `table features message missing ${popcount(missing)} required properties, including ` +
        `property ${31 - Math.clz32(missing & -missing)}`,
    );
    throw new OfpError("OFPTFFC_BAD_FEATURES");
  }
  if (tf.anyProperties) {
    if (!(seen & (1 << 1))) tf.miss.instructions = tf.nonmiss.instructions;
    if (!(seen & (1 << 3))) tf.miss.next = tf.nonmiss.next;
    if (!(seen & (1 << 5))) tf.miss.write.ofpacts = tf.nonmiss.write.ofpacts;
    if (!(seen & (1 << 7))) tf.miss.apply.ofpacts = tf.nonmiss.apply.ofpacts;
    if (!(seen & (1 << 13))) tf.miss.write.setFields = tf.nonmiss.write.setFields;
    if (!(seen & (1 << 15))) tf.miss.apply.setFields = tf.nonmiss.apply.setFields;
  }
  tf.match |= tf.mask;
  tf.wildcard |= tf.mask;
  tf.wildcard &= tf.match;
  return { tf, rawProperties: props };
}

/** Every table features element of a request or reply (strict unless `loose`). */
export function decodeTableFeatures(msg: Uint8Array, loose = true): TableFeatures[] {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const out: TableFeatures[] = [];
  for (;;) {
    const got = pullTableFeatures(r, raw.version, loose);
    if (!got) return out;
    out.push(got.tf);
  }
}

function putFieldsProperty(
  w: WireWriter,
  fields: bigint,
  masks: bigint | undefined,
  type: number,
  version: number,
): void {
  const p = propStart(w, BigInt(type));
  for (const f of FIELDS) {
    if (fields & (1n << BigInt(f.id))) {
      putFieldHeader(w, f, version, masks !== undefined && (masks & (1n << BigInt(f.id))) !== 0n);
    }
  }
  propEnd(w, p);
}

function putInstructionFeatures(
  w: WireWriter,
  tif: TableInstructionFeatures,
  missOffset: number,
  version: number,
): void {
  putPropBitmap(
    w,
    BigInt(0 + missOffset),
    BigInt(ovsinstBitmapToOpenflow(tif.instructions, version)),
  );
  const p = propStart(w, BigInt(2 + missOffset));
  for (let t = 0; t < 255; t++) if (tif.next & (1n << BigInt(t))) w.u8(t);
  propEnd(w, p);
  for (const [af, actions, setFields] of [[tif.write, 4, 12], [tif.apply, 6, 14]] as const) {
    putPropBitmap(
      w,
      BigInt(actions + missOffset),
      BigInt(ofpactBitmapToOpenflow(af.ofpacts, version)),
    );
    putFieldsProperty(w, af.setFields, undefined, setFields + missOffset, version);
  }
}

/** Appends one table features element (with `rawProperties` verbatim, when given). */
export function putTableFeatures(
  w: WireWriter,
  tf: TableFeatures,
  version: number,
  rawProperties?: Uint8Array,
): void {
  const start = w.length;
  w.u16(0).u8(tf.tableId).u8(version >= OFP15 ? TF_COMMANDS.indexOf(tf.command) : 0).zeros(4);
  writeName(w, tf.name, 32);
  w.u64(tf.metadataMatch).u64(tf.metadataWrite);
  let caps = 0;
  if (version >= OFP14) {
    if (tf.supportsEviction) caps |= OFPTC14_EVICTION;
    if (tf.supportsVacancyEvents) caps |= OFPTC14_VACANCY_EVENTS;
  }
  w.u32(caps).u32(tf.maxEntries);
  if (rawProperties) {
    w.bytes(rawProperties);
  } else if (tf.anyProperties) {
    putInstructionFeatures(w, tf.nonmiss, 0, version);
    putInstructionFeatures(w, tf.miss, 1, version);
    putFieldsProperty(w, tf.match, tf.mask, 8, version);
    putFieldsProperty(w, tf.wildcard, undefined, 10, version);
  }
  w.setU16(start, w.length - start);
}

export function appendTableFeatures(reply: MultipartReply, tf: TableFeatures): void {
  reply.append((w) => putTableFeatures(w, tf, reply.version));
}

/** A table features request (1.3+): empty (a query) or carrying `features` (a change). */
export function encodeTableFeaturesRequest(
  version: number,
  xid: number,
  features: readonly TableFeatures[] = [],
): Uint8Array {
  if (version < OFP13) {
    throw new TypeError("dump-table-features needs OpenFlow 1.3 or later ('-O OpenFlow13')");
  }
  const w = startMessage("OFPST13_TABLE_FEATURES_REQUEST", version, xid);
  for (const tf of features) putTableFeatures(w, tf, version);
  return finishMessage(w);
}
