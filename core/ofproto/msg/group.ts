// Groups (upstream's ofp-group, bucket half): group mod in its OpenFlow 1.1-1.4, 1.5 and
// Nicira 1.0 forms (buckets with weight, watch port and group, and 1.5 bucket ids, the
// insert/remove-bucket commands, the Netronome selection-method property with its hash
// fields), group description replies, the requestforward-friendly formatter, and the texts.
//
// Promises: decode checks what upstream checks, with its errors (OFPGMFC_BAD_BUCKET,
// OFPGMFC_BAD_WATCH, OFPGMFC_INVALID_GROUP, OFPGMFC_BAD_TYPE, OFPGMFC_BAD_COMMAND,
// OFPGMFC_WATCH_UNSUPPORTED, OFPBPC_*); encode assigns bucket ids in 1.5 as upstream does.

import { OfpError } from "../errors.ts";
import { type Field, OFP10, OFP13, OFP15 } from "../fields.ts";
import { isFieldMaskValid } from "../field_set.ts";
import { formatFieldValue } from "../field_text.ts";
import { pullEntry, putEntry } from "../nxm_header.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import {
  OFPG_ANY,
  OFPGT11_ALL,
  OFPGT11_FF,
  OFPGT11_INDIRECT,
  OFPGT11_SELECT,
} from "./group_stats.ts";
import type { MultipartReply } from "./multipart.ts";
import { formatOfpacts, type Ofpact, pullActions, putActions } from "./ofpacts.ts";
import {
  formatPort,
  OFPP_ANY,
  OFPP_NONE,
  portFromOfp11,
  type PortNames,
  portToOfp11,
  type TableNames,
} from "./ports.ts";
import {
  propEnd,
  propExp,
  propU16,
  propU32,
  pullProp,
  putPropU16,
  putPropU32,
  unknownProp,
} from "./props.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_group");
const rl = new RateLimit(1, 5);

export const OFPGC11_ADD = 0;
export const OFPGC11_MODIFY = 1;
export const OFPGC11_DELETE = 2;
export const OFPGC15_INSERT_BUCKET = 3;
export const OFPGC15_REMOVE_BUCKET = 5;
export const OFPGC11_ADD_OR_MOD = 0x8000;

export const OFPG15_BUCKET_MAX = 0xffffff00;
export const OFPG15_BUCKET_FIRST = 0xfffffffd;
export const OFPG15_BUCKET_LAST = 0xfffffffe;
export const OFPG15_BUCKET_ALL = 0xffffffff;

const NTR_VENDOR_ID = 0x0000154d;
const NTR_COMPAT_VENDOR_ID = 0x00001540;
const NTR_SELECTION_METHOD = propExp(NTR_VENDOR_ID, 1);
const NTR_COMPAT_SELECTION_METHOD = propExp(NTR_COMPAT_VENDOR_ID, 1);
export const NTR_MAX_SELECTION_METHOD_LEN = 16;

export interface Bucket {
  weight: number;
  watchPort: number;
  watchGroup: number;
  bucketId: number;
  ofpacts: Ofpact[];
}

/** One field of a selection method's hash, with its mask. */
export interface FieldMask {
  field: Field;
  mask: Uint8Array;
}

export interface GroupProps {
  /** "" when none. */
  selectionMethod: string;
  selectionMethodParam: bigint;
  /** Sorted by field id. */
  fields: FieldMask[];
}

export interface GroupMod {
  command: number;
  type: number;
  groupId: number;
  commandBucketId: number;
  buckets: Bucket[];
  props: GroupProps;
}

export interface GroupDesc {
  type: number;
  groupId: number;
  buckets: Bucket[];
  props: GroupProps;
}

export function emptyGroupProps(): GroupProps {
  return { selectionMethod: "", selectionMethodParam: 0n, fields: [] };
}

export function bucketHasLiveness(b: Bucket): boolean {
  return b.watchPort !== OFPP_ANY || b.watchGroup !== OFPG_ANY;
}

function badBucket(text: string): OfpError {
  log.rateLimited(rl, "warn", text);
  return new OfpError("OFPGMFC_BAD_BUCKET");
}

function pullOfp11Buckets(r: WireReader, length: number, version: number): Bucket[] {
  const buckets: Bucket[] = [];
  let left = length;
  let bucketId = 0;
  while (left > 0) {
    if (left < 16 || r.remaining < 16) throw badBucket(`buckets end with ${left} leftover bytes`);
    const obLen = r.u16();
    const weight = r.u16();
    const watchPort32 = r.u32();
    const watchGroup = r.u32();
    r.skip(4);
    if (obLen < 16) throw badBucket(`OpenFlow message bucket length ${obLen} is not valid`);
    if (obLen > left) {
      throw badBucket(
        `OpenFlow message bucket length ${obLen} exceeds remaining buckets data size ${left}`,
      );
    }
    left -= obLen;
    const ofpacts = pullActions(r, obLen - 16, version);
    let watchPort: number;
    try {
      watchPort = portFromOfp11(watchPort32);
    } catch {
      throw new OfpError("OFPGMFC_BAD_WATCH");
    }
    buckets.push({ weight, watchPort, watchGroup, bucketId: bucketId++, ofpacts });
  }
  return buckets;
}

function pullOfp15Buckets(
  r: WireReader,
  length: number,
  version: number,
  groupType: number,
): Bucket[] {
  const buckets: Bucket[] = [];
  let left = length;
  while (left > 0) {
    if (r.remaining < 8) throw badBucket(`buckets end with ${left} leftover bytes`);
    const obLen = r.u16();
    const actionsLen = r.u16();
    const bucketId = r.u32();
    if (obLen < 8) throw badBucket(`OpenFlow message bucket length ${obLen} is not valid`);
    if (obLen > left) {
      throw badBucket(
        `OpenFlow message bucket length ${obLen} exceeds remaining buckets data size ${left}`,
      );
    }
    if (actionsLen > obLen - 8) {
      throw badBucket(
        `OpenFlow message bucket actions length ${actionsLen} exceeds remaining bucket data ` +
          `size ${obLen - 8}`,
      );
    }
    left -= obLen;
    const ofpacts = pullActions(r, actionsLen, version);
    const propsLen = obLen - 8 - actionsLen;
    if (r.remaining < propsLen) throw new OfpError("OFPGMFC_BAD_BUCKET");
    const props = r.bytes(propsLen);
    let weight = groupType === OFPGT11_SELECT ? 1 : 0;
    let watchPort32 = portToOfp11(OFPP_ANY);
    let watchGroup = OFPG_ANY;
    let offset = 0;
    while (offset < props.length) {
      const { prop, next } = pullProp(props, offset);
      offset = next;
      if (prop.type === 0n) weight = propU16(prop);
      else if (prop.type === 1n) watchPort32 = propU32(prop);
      else if (prop.type === 2n) watchGroup = propU32(prop);
      else unknownProp(log, false, "group bucket", prop.type);
    }
    let watchPort: number;
    try {
      watchPort = portFromOfp11(watchPort32);
    } catch {
      throw new OfpError("OFPGMFC_BAD_WATCH");
    }
    if (bucketId > OFPG15_BUCKET_MAX) {
      log.rateLimited(rl, "warn", `bucket id (${bucketId}) is out of range`);
      throw new OfpError("OFPGMFC_BAD_BUCKET");
    }
    buckets.push({ weight, watchPort, watchGroup, bucketId, ofpacts });
  }
  for (let i = 0; i < buckets.length; i++) {
    for (let j = i + 1; j < buckets.length; j++) {
      if (buckets[i]!.bucketId === buckets[j]!.bucketId) {
        log.rateLimited(rl, "warn", "Duplicate bucket id");
        throw new OfpError("OFPGMFC_BAD_BUCKET");
      }
    }
  }
  return buckets;
}

function propLog(text: string): void {
  log.rateLimited(rl, "warn", text);
}

function parseSelectionMethod(
  raw: Uint8Array,
  groupType: number,
  command: number,
  props: GroupProps,
): void {
  if (groupType !== OFPGT11_SELECT) {
    if (groupType <= OFPGT11_FF) {
      propLog("ntr selection method property is only allowed for select groups");
      throw new OfpError("OFPBPC_BAD_VALUE");
    }
    throw new OfpError("OFPGMFC_BAD_TYPE");
  }
  if (command !== OFPGC11_ADD && command !== OFPGC11_MODIFY && command !== OFPGC11_ADD_OR_MOD) {
    if (
      command === OFPGC11_DELETE || command === OFPGC15_INSERT_BUCKET ||
      command === OFPGC15_REMOVE_BUCKET
    ) {
      propLog(
        "ntr selection method property is only allowed for add and delete group modifications",
      );
      throw new OfpError("OFPBPC_BAD_VALUE");
    }
    throw new OfpError("OFPGMFC_BAD_COMMAND");
  }
  if (raw.length < 40) {
    propLog(`ntr selection method property length ${raw.length} is not valid`);
    throw new OfpError("OFPBPC_BAD_LEN");
  }
  const methodBytes = raw.subarray(16, 32);
  const nul = methodBytes.indexOf(0);
  if (nul < 0) {
    propLog("ntr selection method is not null terminated");
    throw new OfpError("OFPBPC_BAD_VALUE");
  }
  let method = "";
  for (let i = 0; i < nul; i++) method += String.fromCharCode(methodBytes[i]!);
  if (method !== "hash" && method !== "dp_hash") {
    propLog(`ntr selection method '${method}' is not supported`);
    throw new OfpError("OFPBPC_BAD_VALUE");
  }
  props.selectionMethod = method;
  props.selectionMethodParam = new WireReader(raw, 32).u64();
  const declared = (raw[2]! << 8) | raw[3]!;
  const fieldsLen = declared - 40;
  if (fieldsLen && method !== "hash") {
    propLog(`ntr selection method ${method} does not support fields`);
    throw new OfpError("OFPBPC_BAD_VALUE");
  }
  if (fieldsLen > 0) {
    props.fields = pullFieldArray(raw.subarray(40, 40 + fieldsLen));
  }
}

/** oxm_pull_field_array: OXM entries (no masks) whose values are masks. */
export function pullFieldArray(bytes: Uint8Array): FieldMask[] {
  const r = new WireReader(bytes, 0, bytes.length, "OFPBMC_BAD_LEN");
  const out: FieldMask[] = [];
  while (r.remaining) {
    const e = pullEntry(r, { allowMask: false });
    if (!e.field) throw new OfpError("OFPBMC_BAD_FIELD");
    const f = e.field;
    if (out.some((x) => x.field === f)) throw new OfpError("OFPBMC_DUP_FIELD");
    if (!isFieldMaskValid(f, e.value)) throw new OfpError("OFPBMC_BAD_MASK");
    out.push({ field: f, mask: e.value });
  }
  out.sort((a, b) => a.field.id - b.field.id);
  return out;
}

function parseGroupProps(
  bytes: Uint8Array,
  groupType: number,
  command: number,
  props: GroupProps,
): void {
  let offset = 0;
  while (offset < bytes.length) {
    const { prop, next } = pullProp(bytes, offset);
    offset = next;
    if (prop.type === NTR_SELECTION_METHOD || prop.type === NTR_COMPAT_SELECTION_METHOD) {
      parseSelectionMethod(prop.raw, groupType, command, props);
    } else {
      unknownProp(log, false, "group", prop.type);
    }
  }
}

function checkGroupMod(gm: GroupMod): void {
  switch (gm.type) {
    case OFPGT11_INDIRECT:
      if (gm.command !== OFPGC11_DELETE && gm.buckets.length !== 1) {
        throw new OfpError("OFPGMFC_INVALID_GROUP");
      }
      break;
    case OFPGT11_ALL:
    case OFPGT11_SELECT:
    case OFPGT11_FF:
      break;
    default:
      throw new OfpError("OFPGMFC_BAD_TYPE");
  }
  switch (gm.command) {
    case OFPGC11_ADD:
    case OFPGC11_MODIFY:
    case OFPGC11_ADD_OR_MOD:
    case OFPGC11_DELETE:
    case OFPGC15_INSERT_BUCKET:
      break;
    case OFPGC15_REMOVE_BUCKET:
      if (gm.buckets.length) throw new OfpError("OFPGMFC_BAD_BUCKET");
      break;
    default:
      throw new OfpError("OFPGMFC_BAD_COMMAND");
  }
  for (const b of gm.buckets) {
    if (b.weight && gm.type !== OFPGT11_SELECT && gm.command !== OFPGC15_INSERT_BUCKET) {
      throw new OfpError("OFPGMFC_INVALID_GROUP");
    }
    if (gm.type === OFPGT11_ALL || gm.type === OFPGT11_INDIRECT) {
      if (bucketHasLiveness(b)) throw new OfpError("OFPGMFC_WATCH_UNSUPPORTED");
    } else if (gm.type === OFPGT11_FF && !bucketHasLiveness(b)) {
      throw new OfpError("OFPGMFC_INVALID_GROUP");
    }
  }
}

/** Decodes a group mod (upstream's ofputil_decode_group_mod). */
export function decodeGroupMod(msg: Uint8Array): GroupMod {
  const raw = pullRaw(msg);
  const version = raw.version;
  const r = new WireReader(msg, raw.bodyOffset);
  const gm: GroupMod = {
    command: r.u16(),
    type: r.u8(),
    groupId: 0,
    commandBucketId: OFPG15_BUCKET_ALL,
    buckets: [],
    props: emptyGroupProps(),
  };
  r.skip(1);
  gm.groupId = r.u32();
  if (version !== OFP10 && version !== OFP15) {
    gm.buckets = pullOfp11Buckets(r, r.remaining, version);
    if (version >= OFP13 && gm.command === OFPGC11_DELETE && gm.buckets.length) {
      throw new OfpError("OFPGMFC_INVALID_GROUP");
    }
  } else {
    const bucketListLen = r.u16();
    r.skip(2);
    gm.commandBucketId = r.u32();
    const id = gm.commandBucketId;
    const isId = id <= OFPG15_BUCKET_MAX || id === OFPG15_BUCKET_FIRST ||
      id === OFPG15_BUCKET_LAST;
    const ok = gm.command === OFPGC15_REMOVE_BUCKET
      ? id === OFPG15_BUCKET_ALL || isId
      : gm.command === OFPGC15_INSERT_BUCKET
      ? isId
      : id === OFPG15_BUCKET_ALL;
    if (!ok) {
      log.rateLimited(rl, "warn", `group command bucket id (${id}) is out of range`);
      throw new OfpError("OFPGMFC_BAD_BUCKET");
    }
    if (bucketListLen > r.remaining) throw new OfpError("OFPBRC_BAD_LEN");
    gm.buckets = pullOfp15Buckets(r, bucketListLen, version, gm.type);
    parseGroupProps(r.bytes(r.remaining), gm.type, gm.command, gm.props);
  }
  checkGroupMod(gm);
  return gm;
}

function putOfp11Bucket(w: WireWriter, b: Bucket, version: number): void {
  const start = w.length;
  w.u16(0).u16(b.weight).u32(portToOfp11(b.watchPort)).u32(b.watchGroup).zeros(4);
  putActions(w, b.ofpacts, version);
  w.setU16(start, w.length - start);
}

function putOfp15Bucket(
  w: WireWriter,
  b: Bucket,
  bucketId: number,
  groupType: number,
  version: number,
): void {
  const start = w.length;
  w.u16(0).u16(0).u32(bucketId);
  const actionsStart = w.length;
  putActions(w, b.ofpacts, version);
  const actionsLen = w.length - actionsStart;
  if (groupType === OFPGT11_SELECT || b.weight) putPropU16(w, 0n, b.weight);
  if (b.watchPort !== OFPP_ANY) putPropU32(w, 1n, portToOfp11(b.watchPort));
  if (b.watchGroup !== OFPG_ANY) putPropU32(w, 2n, b.watchGroup);
  w.setU16(start, w.length - start);
  w.setU16(start + 2, actionsLen);
}

/** oxm_put_field_array. */
export function putFieldArray(w: WireWriter, fields: readonly FieldMask[], version: number) {
  for (const fm of fields) putEntry(w, fm.field, version, fm.mask);
}

function putSelectionMethod(w: WireWriter, props: GroupProps, version: number): void {
  const start = w.length;
  w.u16(0xffff).u16(0).u32(NTR_VENDOR_ID).u32(1).u32(0);
  const n = Math.min(props.selectionMethod.length, NTR_MAX_SELECTION_METHOD_LEN - 1);
  for (let i = 0; i < n; i++) w.u8(props.selectionMethod.charCodeAt(i));
  w.zeros(NTR_MAX_SELECTION_METHOD_LEN - n);
  w.u64(props.selectionMethodParam);
  putFieldArray(w, props.fields, version);
  propEnd(w, start);
}

/** The commands a version cannot carry, as upstream's bad_group_cmd words them. */
function badGroupCommand(command: number): never {
  const v15 = command === OFPGC15_INSERT_BUCKET || command === OFPGC15_REMOVE_BUCKET;
  const name = command === OFPGC11_ADD
    ? "add-group"
    : command === OFPGC11_MODIFY || command === OFPGC11_ADD_OR_MOD
    ? "mod-group"
    : command === OFPGC11_DELETE
    ? "del-group"
    : command === OFPGC15_INSERT_BUCKET
    ? "insert-bucket"
    : "remove-bucket";
  throw new TypeError(
    `${name} needs OpenFlow ${v15 ? "1.5" : "1.1"} or later ('-O OpenFlow${v15 ? "15" : "11"}')`,
  );
}

/**
 * Encodes a group mod for `version` (upstream's ofputil_encode_group_mod). `newBuckets`, the
 * full bucket list after an insert or remove, is needed to express those commands before 1.5;
 * `groupExisted` (when known) turns ADD_OR_MOD into ADD or MODIFY.
 */
export function encodeGroupMod(
  gm: GroupMod,
  version: number,
  xid: number,
  newBuckets?: readonly Bucket[],
  groupExisted?: boolean,
): Uint8Array {
  if (version !== OFP10 && version !== OFP15) {
    const w = startMessage("OFPT11_GROUP_MOD", version, xid);
    let command = gm.command;
    let buckets: readonly Bucket[] = gm.buckets;
    if (gm.command === OFPGC15_INSERT_BUCKET || gm.command === OFPGC15_REMOVE_BUCKET) {
      if (!newBuckets) badGroupCommand(gm.command);
      command = OFPGC11_MODIFY;
      buckets = newBuckets;
    } else if (gm.command === OFPGC11_ADD_OR_MOD && groupExisted !== undefined) {
      command = groupExisted ? OFPGC11_MODIFY : OFPGC11_ADD;
    }
    w.u16(command).u8(gm.type).u8(0).u32(gm.groupId);
    for (const b of buckets) putOfp11Bucket(w, b, version);
    return finishMessage(w);
  }
  const w = startMessage(version === OFP10 ? "NXT_GROUP_MOD" : "OFPT15_GROUP_MOD", version, xid);
  const command = gm.command !== OFPGC11_ADD_OR_MOD || groupExisted === undefined
    ? gm.command
    : groupExisted
    ? OFPGC11_MODIFY
    : OFPGC11_ADD;
  const start = w.length;
  w.u16(command).u8(gm.type).u8(0).u32(gm.groupId).u16(0).zeros(2).u32(gm.commandBucketId);
  const used = new Set<number>();
  gm.buckets.forEach((b, i) => {
    let id = b.bucketId;
    if (id > OFPG15_BUCKET_MAX) {
      // Upstream's id pool: the ids of later buckets are reserved, then the lowest free id.
      if (used.size === 0) {
        for (let j = gm.buckets.length - 1; j > i; j--) {
          const other = gm.buckets[j]!.bucketId;
          if (other <= OFPG15_BUCKET_MAX) used.add(other);
        }
      }
      id = 0;
      while (used.has(id)) id++;
      used.add(id);
    }
    putOfp15Bucket(w, b, id, gm.type, version);
  });
  w.setU16(start + 8, w.length - start - 16);
  if (gm.props.selectionMethod) putSelectionMethod(w, gm.props, version);
  return finishMessage(w);
}

/** One group description at `r`; undefined at the end. */
export function pullGroupDesc(r: WireReader, version: number): GroupDesc | undefined {
  if (r.remaining === 0) return undefined;
  const v15 = version === OFP10 || version === OFP15;
  const base = v15 ? 16 : 8;
  if (r.remaining < base) {
    log.rateLimited(
      rl,
      "warn",
      `OFPST11_GROUP_DESC reply has ${r.remaining} leftover bytes at end`,
    );
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  const length = r.u16();
  const type = r.u8();
  r.skip(1);
  const groupId = r.u32();
  let bucketListLen = 0;
  if (v15) {
    bucketListLen = r.u16();
    r.skip(6);
  }
  const gd: GroupDesc = { type, groupId, buckets: [], props: emptyGroupProps() };
  if (length < base || length - base > r.remaining) {
    log.rateLimited(rl, "warn", `OFPST11_GROUP_DESC reply claims invalid length ${length}`);
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  if (!v15) {
    gd.buckets = pullOfp11Buckets(r, length - 8, version);
    return gd;
  }
  if (length < bucketListLen + 16) {
    log.rateLimited(
      rl,
      "warn",
      `OFPST11_GROUP_DESC reply claims invalid bucket list length ${bucketListLen}`,
    );
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  gd.buckets = pullOfp15Buckets(r, bucketListLen, version, gd.type);
  parseGroupProps(r.bytes(length - 16 - bucketListLen), gd.type, OFPGC11_ADD, gd.props);
  return gd;
}

/** Appends one group description to a group desc reply. */
export function appendGroupDesc(reply: MultipartReply, gd: GroupDesc): void {
  const version = reply.version;
  reply.append((w) => {
    if (version !== OFP10 && version !== OFP15) {
      w.u16(0).u8(gd.type).u8(0).u32(gd.groupId);
      for (const b of gd.buckets) putOfp11Bucket(w, b, version);
    } else {
      w.u16(0).u8(gd.type).u8(0).u32(gd.groupId).u16(0).zeros(6);
      for (const b of gd.buckets) putOfp15Bucket(w, b, b.bucketId, gd.type, version);
      w.setU16(8, w.length - 16);
      if (gd.props.selectionMethod) putSelectionMethod(w, gd.props, version);
    }
    w.setU16(0, w.length);
  });
}

// Text.

function bucketIdText(label: string, id: number, version: number): string {
  if (version > OFP10 && version < OFP15) return "";
  const v = id === OFPG15_BUCKET_FIRST
    ? "first"
    : id === OFPG15_BUCKET_LAST
    ? "last"
    : id === OFPG15_BUCKET_ALL
    ? "all"
    : String(id);
  return `${label}${v},`;
}

/** oxm_format_field_array: "f1,f2=mask" (names only for all-ones masks). */
export function formatFieldArray(fields: readonly FieldMask[]): string {
  return fields.map(({ field, mask }) =>
    field.name + (mask.every((b) => b === 0xff) ? "" : "=" + formatFieldValue(field, mask))
  ).join(",");
}

export interface GroupFormatOptions {
  portNames?: PortNames | undefined;
  tableNames?: TableNames | undefined;
}

/** A group's text (upstream's ofp_print_group). */
export function formatGroup(
  groupId: number,
  type: number,
  buckets: readonly Bucket[] | undefined,
  props: GroupProps,
  version: number,
  suppressType: boolean,
  opts: GroupFormatOptions = {},
): string {
  let s = `group_id=${groupId >>> 0}`;
  if (!suppressType) {
    s += ",type=" + (["all", "select", "indirect", "ff"][type] ?? "unknown");
  }
  if (props.selectionMethod) {
    s += `,selection_method=${props.selectionMethod}`;
    if (props.selectionMethodParam) s += `,selection_method_param=${props.selectionMethodParam}`;
    if (props.fields.length === 1) s += ",fields=" + formatFieldArray(props.fields);
    else if (props.fields.length > 1) s += ",fields(" + formatFieldArray(props.fields) + ")";
  }
  if (!buckets) return s;
  s += ",";
  for (const b of buckets) {
    s += "bucket=" + bucketIdText("bucket_id:", b.bucketId, version);
    if (b.weight !== (type === OFPGT11_SELECT ? 1 : 0)) s += `weight:${b.weight},`;
    if (b.watchPort !== OFPP_NONE) {
      s += "watch_port:" + formatPort(b.watchPort, opts.portNames) + ",";
    }
    if (b.watchGroup !== OFPG_ANY) s += `watch_group:${b.watchGroup >>> 0},`;
    s += "actions=" +
      formatOfpacts(b.ofpacts, { portMap: opts.portNames, tableMap: opts.tableNames }) + ",";
  }
  return s.endsWith(",") ? s.slice(0, -1) : s;
}

const GROUP_COMMANDS: Record<number, string> = {
  [OFPGC11_ADD]: "ADD",
  [OFPGC11_MODIFY]: "MOD",
  [OFPGC11_ADD_OR_MOD]: "ADD_OR_MOD",
  [OFPGC11_DELETE]: "DEL",
  [OFPGC15_INSERT_BUCKET]: "INSERT_BUCKET",
  [OFPGC15_REMOVE_BUCKET]: "REMOVE_BUCKET",
};

/** A group mod's text (upstream's ofputil_group_mod_format__). */
export function formatGroupMod(gm: GroupMod, version: number, opts: GroupFormatOptions = {}) {
  const bucketCommand = gm.command === OFPGC15_INSERT_BUCKET ||
    gm.command === OFPGC15_REMOVE_BUCKET;
  let s = "\n " + (GROUP_COMMANDS[gm.command] ?? `cmd:${gm.command}`) + " ";
  if (bucketCommand) s += bucketIdText("command_bucket_id:", gm.commandBucketId, version);
  return s + formatGroup(gm.groupId, gm.type, gm.buckets, gm.props, version, bucketCommand, opts);
}

export function formatGroupDesc(gd: GroupDesc, version: number, opts: GroupFormatOptions = {}) {
  return "\n " + formatGroup(gd.groupId, gd.type, gd.buckets, gd.props, version, false, opts);
}
