// Group text (upstream's parse_ofp_group_mod_str, parse_bucket_str, parse_select_group_field
// and parse_ofp_group_mod_file in lib/ofp-group.c): `group_id=N,type=T[,selection_method=...]
// [,fields(...)],bucket=...,bucket=...` into a GroupMod and the protocols able to carry it, with
// upstream's error texts, and ovs-ofctl's `parse-group` output.
//
// Errors are thrown as ParseError with upstream's message.

import { ParseError } from "../errors.ts";
import { ipIsCidr } from "../addr_text.ts";
import {
  isAllOnes,
  isAllZeros,
  isFieldMaskValid,
  usableProtocolsBitwise,
  usableProtocolsCidr,
  usableProtocolsExact,
} from "../field_set.ts";
import { parseFieldExactValue } from "../field_text.ts";
import { nextKeyValue } from "../key_value.ts";
import { fieldByOwnName } from "../subfield.ts";
import { P_ANY, P_OF10_ANY, P_OF15_UP, type Protocols } from "../protocols.ts";
import { strToU16, strToU32, strToU64 } from "../actions/text.ts";
import {
  type Bucket,
  bucketHasLiveness,
  emptyGroupProps,
  encodeGroupMod,
  type FieldMask,
  type GroupMod,
  NTR_MAX_SELECTION_METHOD_LEN,
  OFPG15_BUCKET_ALL,
  OFPG15_BUCKET_FIRST,
  OFPG15_BUCKET_LAST,
  OFPG15_BUCKET_MAX,
  OFPGC11_ADD,
  OFPGC11_ADD_OR_MOD,
  OFPGC11_DELETE,
  OFPGC11_MODIFY,
  OFPGC15_INSERT_BUCKET,
  OFPGC15_REMOVE_BUCKET,
} from "./group.ts";
import {
  OFPG_ALL,
  OFPG_ANY,
  OFPG_MAX,
  OFPGT11_ALL,
  OFPGT11_FF,
  OFPGT11_INDIRECT,
  OFPGT11_SELECT,
} from "./group_stats.ts";
import { parseActionList } from "./ofpacts.ts";
import { OFPP_ANY, OFPP_CONTROLLER, OFPP_MAX, parsePort } from "./ports.ts";
import {
  chooseProtocol,
  type FlowTextOptions,
  preprocessedLines,
  takeCommandName,
} from "./flow_text.ts";
import { protocolsToString, protocolToVersion, versionToString } from "./protocol.ts";
import { ofpToString } from "./print.ts";
import { allocXid } from "./raw.ts";

const F_GROUP_TYPE = 1 << 0;
const F_BUCKETS = 1 << 1;
const F_COMMAND_BUCKET_ID = 1 << 2;
const F_COMMAND_BUCKET_ID_ALL = 1 << 3;

/** `command` for text that may begin with its command name (upstream's -2). */
export const GROUP_CMD_ANY = -2;

const COMMAND_NAMES: readonly (readonly [string, number])[] = [
  ["add", OFPGC11_ADD],
  ["delete", OFPGC11_DELETE],
  ["modify", OFPGC11_MODIFY],
  ["add_or_mod", OFPGC11_ADD_OR_MOD],
  ["insert_bucket", OFPGC15_INSERT_BUCKET],
  ["remove_bucket", OFPGC15_REMOVE_BUCKET],
];

const GROUP_TYPES: Readonly<Record<string, number>> = {
  all: OFPGT11_ALL,
  select: OFPGT11_SELECT,
  indirect: OFPGT11_INDIRECT,
  ff: OFPGT11_FF,
  fast_failover: OFPGT11_FF,
};

/**
 * upstream's parse_bucket_str: one bucket's text for a group of `groupType`. The protocols
 * returned replace the caller's, as upstream's do.
 */
function parseBucket(
  text: string,
  groupType: number,
  opts: FlowTextOptions,
): { bucket: Bucket; usable: Protocols } {
  const bucket: Bucket = {
    weight: groupType === OFPGT11_SELECT ? 1 : 0,
    bucketId: OFPG15_BUCKET_ALL,
    watchPort: OFPP_ANY,
    watchGroup: OFPG_ANY,
    ofpacts: [],
  };
  let actions = "";
  let pos = 0;
  for (;;) {
    const kv = nextKeyValue(text, pos);
    if (!kv) break;
    pos = kv.next;
    const { key, value } = kv.item;
    const k = key.toLowerCase();
    if (k === "weight") {
      bucket.weight = strToU16(value, "weight");
    } else if (k === "watch_port") {
      const p = parsePort(value, opts.portMap);
      if (p === undefined || (p >= OFPP_MAX && p !== OFPP_ANY && p !== OFPP_CONTROLLER)) {
        throw new ParseError(`${value}: invalid watch_port`);
      }
      bucket.watchPort = p;
    } else if (k === "watch_group") {
      bucket.watchGroup = strToU32(value);
      if (bucket.watchGroup > OFPG_MAX) {
        throw new ParseError(`invalid watch_group id ${bucket.watchGroup}`);
      }
    } else if (k === "bucket_id") {
      bucket.bucketId = strToU32(value);
      if (bucket.bucketId > OFPG15_BUCKET_MAX) {
        throw new ParseError(`invalid bucket_id id ${bucket.bucketId}`);
      }
      // Upstream narrows the protocols to OF1.0/OF1.5+ here, but see below.
    } else if (k === "action" || k === "actions") {
      actions += `${value},`;
    } else {
      actions += `${key}(${value}),`;
    }
  }
  if (!actions) throw new ParseError("bucket must specify actions");
  if (groupType === OFPGT11_FF && !bucketHasLiveness(bucket)) {
    throw new ParseError("fast failover bucket requires watch_port or watch_group");
  }
  const parsed = parseActionList(actions.slice(0, -1), {
    portMap: opts.portMap,
    tableMap: opts.tableMap,
  });
  // Upstream's action parser starts its protocol set afresh, dropping what the bucket (and
  // everything before it) narrowed: a bucket leaves exactly its actions' protocols.
  bucket.ofpacts = parsed.ofpacts;
  return { bucket, usable: parsed.usable };
}

/** upstream's parse_select_group_field: the hash fields of a selection method, with masks. */
function parseSelectFields(
  text: string,
  opts: FlowTextOptions,
): { fields: FieldMask[]; usable: Protocols } {
  let usable: Protocols = P_ANY;
  const fields: FieldMask[] = [];
  let pos = 0;
  for (;;) {
    const kv = nextKeyValue(text, pos);
    if (!kv) break;
    pos = kv.next;
    const { key: name, value: valueText } = kv.item;
    const rest = text.slice(pos);
    const f = fieldByOwnName(name);
    if (!f) throw new ParseError(`${rest}: unknown field ${name}`);
    if (fields.some((x) => x.field.id === f.id)) throw new ParseError(`${name}: duplicate field`);
    let value: Uint8Array;
    if (valueText) {
      value = parseFieldExactValue(f, valueText, opts.portMap);
      if (!f.name.startsWith("tun_metadata") && isAllZeros(value)) {
        throw new ParseError(`${rest}: values are wildcards here and must not be all-zeros`);
      }
      if (!isFieldMaskValid(f, value)) {
        throw new ParseError(`${valueText}: invalid mask for field ${f.name}`);
      }
    } else {
      value = new Uint8Array(f.nBytes).fill(0xff);
    }
    fields.push({ field: f, mask: value });
    const be32 = ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
    if (isAllOnes(value)) {
      usable &= usableProtocolsExact(f);
    } else if (usableProtocolsBitwise(f) === usableProtocolsCidr(f) || ipIsCidr(be32)) {
      usable &= usableProtocolsCidr(f);
    } else {
      usable &= usableProtocolsBitwise(f);
    }
  }
  fields.sort((a, b) => a.field.id - b.field.id);
  return { fields, usable };
}

/**
 * upstream's parse_ofp_group_mod_str: `text` as a group mod of `command` (an OFPGC* value or
 * GROUP_CMD_ANY). Returns the group mod and its usable protocols; throws ParseError.
 */
export function parseGroupModStr(
  text: string,
  command: number,
  opts: FlowTextOptions = {},
): { gm: GroupMod; usable: Protocols } {
  let usable: Protocols = P_ANY;
  let string = text;
  if (command === GROUP_CMD_ANY) {
    const t = takeCommandName(string, COMMAND_NAMES, OFPGC11_ADD);
    command = t.command;
    string = t.rest;
  }
  let fields: number;
  switch (command) {
    case OFPGC11_ADD:
    case OFPGC11_MODIFY:
    case OFPGC11_ADD_OR_MOD:
      fields = F_GROUP_TYPE | F_BUCKETS;
      break;
    case OFPGC11_DELETE:
      fields = 0;
      break;
    case OFPGC15_INSERT_BUCKET:
      fields = F_BUCKETS | F_COMMAND_BUCKET_ID;
      usable &= P_OF10_ANY | P_OF15_UP;
      break;
    case OFPGC15_REMOVE_BUCKET:
      fields = F_COMMAND_BUCKET_ID | F_COMMAND_BUCKET_ID_ALL;
      usable &= P_OF10_ANY | P_OF15_UP;
      break;
    default:
      throw new RangeError(`bad group command ${command}`);
  }
  const gm: GroupMod = {
    command,
    type: OFPGT11_ALL,
    groupId: OFPG_ANY,
    commandBucketId: OFPG15_BUCKET_ALL,
    buckets: [],
    props: emptyGroupProps(),
  };
  if (command === OFPGC11_DELETE && string === "") {
    gm.groupId = OFPG_ALL;
    return { gm, usable };
  }

  // The buckets come last: their defaults depend on the group type.
  let bucketAt = string.indexOf("bucket=");
  let head = string;
  if (bucketAt >= 0) {
    if (!(fields & F_BUCKETS)) throw new ParseError("bucket is not needed");
    head = string.slice(0, bucketAt);
  }
  let hadType = false;
  let hadCommandBucketId = false;
  let pos = 0;
  for (;;) {
    const kv = nextKeyValue(head, pos);
    if (!kv) break;
    pos = kv.next;
    const { key: name, value } = kv.item;
    if (name === "command_bucket_id") {
      if (!(fields & F_COMMAND_BUCKET_ID)) throw new ParseError("command bucket id is not needed");
      if (value === "all") gm.commandBucketId = OFPG15_BUCKET_ALL;
      else if (value === "first") gm.commandBucketId = OFPG15_BUCKET_FIRST;
      else if (value === "last") gm.commandBucketId = OFPG15_BUCKET_LAST;
      else {
        const id = strToU32(value);
        gm.commandBucketId = id;
        if (
          id > OFPG15_BUCKET_MAX && id !== OFPG15_BUCKET_FIRST && id !== OFPG15_BUCKET_LAST &&
          id !== OFPG15_BUCKET_ALL
        ) {
          throw new ParseError(`invalid command bucket id ${id}`);
        }
      }
      if (gm.commandBucketId === OFPG15_BUCKET_ALL && !(fields & F_COMMAND_BUCKET_ID_ALL)) {
        throw new ParseError("command_bucket_id=all is not permitted");
      }
      hadCommandBucketId = true;
    } else if (name === "group_id") {
      if (value === "all") gm.groupId = OFPG_ALL;
      else {
        gm.groupId = strToU32(value);
        if (gm.groupId !== OFPG_ALL && gm.groupId > OFPG_MAX) {
          throw new ParseError(`invalid group id ${gm.groupId}`);
        }
      }
    } else if (name === "type") {
      if (!(fields & F_GROUP_TYPE)) throw new ParseError("type is not needed");
      const type = Object.hasOwn(GROUP_TYPES, value) ? GROUP_TYPES[value] : undefined;
      if (type === undefined) throw new ParseError(`invalid group type ${value}`);
      gm.type = type;
      hadType = true;
    } else if (name === "selection_method") {
      if (!(fields & F_GROUP_TYPE)) throw new ParseError("selection method is not needed");
      if (new TextEncoder().encode(value).length >= NTR_MAX_SELECTION_METHOD_LEN) {
        throw new ParseError(
          `selection method is longer than ${NTR_MAX_SELECTION_METHOD_LEN - 1} bytes long`,
        );
      }
      gm.props.selectionMethod = value;
      usable &= P_OF10_ANY | P_OF15_UP;
    } else if (name === "selection_method_param") {
      if (!(fields & F_GROUP_TYPE)) throw new ParseError("selection method param is not needed");
      gm.props.selectionMethodParam = strToU64(value);
      usable &= P_OF10_ANY | P_OF15_UP;
    } else if (name === "fields") {
      if (!(fields & F_GROUP_TYPE)) throw new ParseError("fields are not needed");
      const r = parseSelectFields(value, opts);
      gm.props.fields = r.fields;
      usable &= r.usable;
      usable &= P_OF10_ANY | P_OF15_UP;
    } else {
      throw new ParseError(`unknown keyword ${name}`);
    }
  }
  if (gm.groupId === OFPG_ANY) throw new ParseError("must specify a group_id");
  if (fields & F_GROUP_TYPE && !hadType) throw new ParseError("must specify a type");
  if (gm.props.selectionMethod !== "hash" && gm.props.fields.length) {
    throw new ParseError('fields may only be specified with "selection_method=hash"');
  }
  if (!gm.props.selectionMethod && gm.props.selectionMethodParam !== 0n) {
    throw new ParseError('selection_method_param is only allowed with "selection_method"');
  }
  if (fields & F_COMMAND_BUCKET_ID) {
    if (!(fields & F_COMMAND_BUCKET_ID_ALL || hadCommandBucketId)) {
      throw new ParseError("must specify a command bucket id");
    }
  } else if (hadCommandBucketId) {
    throw new ParseError("command bucket id is not needed");
  }

  while (bucketAt >= 0) {
    const eq = string.indexOf("=", bucketAt + 1);
    if (eq < 0) throw new ParseError("must specify bucket content");
    const start = eq + 1;
    const next = string.indexOf("bucket=", start);
    const content = next >= 0 ? string.slice(start, next) : string.slice(start);
    const r = parseBucket(content, gm.type, opts);
    usable = r.usable;
    gm.buckets.push(r.bucket);
    if (gm.command !== OFPGC15_INSERT_BUCKET && gm.type !== OFPGT11_SELECT && r.bucket.weight) {
      throw new ParseError("Only select groups can have bucket weights.");
    }
    bucketAt = next;
  }
  if (gm.type === OFPGT11_INDIRECT && gm.buckets.length > 1) {
    throw new ParseError("Indirect groups can have at most one bucket.");
  }
  return { gm, usable };
}

/**
 * upstream's parse_ofp_group_mod_file over a file's `contents`: one group mod per line;
 * errors as "FILE:LINE: error".
 */
export function parseGroupModFile(
  contents: string,
  fileName: string,
  command: number,
  opts: FlowTextOptions = {},
): { gms: GroupMod[]; usable: Protocols } {
  let usable: Protocols = P_ANY;
  const gms: GroupMod[] = [];
  for (const { text, lineNumber } of preprocessedLines(contents)) {
    try {
      const r = parseGroupModStr(text, command, opts);
      gms.push(r.gm);
      usable &= r.usable;
    } catch (e) {
      if (e instanceof ParseError) throw new ParseError(`${fileName}:${lineNumber}: ${e.message}`);
      throw e;
    }
  }
  return { gms, usable };
}

/**
 * What `ovs-ofctl parse-group` prints (upstream's ofctl_parse_group): "usable protocols: ...",
 * "chosen version: ...", then the group mod encoded for that version and printed; `fatal` is
 * "no usable protocol" when nothing allowed fits.
 */
export function formatParseGroup(
  gm: GroupMod,
  usable: Protocols,
  allowed: Protocols,
  verbosity = 0,
  xids: () => number = allocXid,
): { stdout: string; fatal?: string } {
  let stdout = `usable protocols: ${protocolsToString(usable)}\n`;
  const protocol = chooseProtocol(usable, allowed);
  if (protocol === undefined) return { stdout, fatal: "no usable protocol" };
  const version = protocolToVersion(protocol);
  stdout += `chosen version: ${versionToString(version)}\n`;
  stdout += ofpToString(encodeGroupMod(gm, version, xids(), undefined, false), { verbosity });
  return { stdout };
}
