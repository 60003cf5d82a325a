// OpenFlow errors by name, and the OFPT_ERROR message (upstream's ofp-errors). Every error
// upstream 3.1 knows is one row: its symbolic name and, per OpenFlow version, the (vendor,
// type, code) that carries it — standard errors as (type, code); Nicira extension errors in
// OpenFlow 1.0 and 1.1 as a vendor error (type NXET_VENDOR, code NXVC_VENDOR_ERROR, then the
// vendor's own type and code); extension errors in 1.2+ as OFPET_EXPERIMENTER with the vendor
// id and the vendor's type in the code field.
//
// Promises: decoding picks, for a (vendor, type, code) that names two errors in one version,
// the one listed first, as upstream does; encoding an error the version cannot express falls
// back to NXBRC_UNENCODABLE_ERROR. Printing an error's payload lives in msg/print.ts. The
// thrown form of an error is OfpError (errors.ts), which carries the name used here.

import { NX_VENDOR_ID, OFP10, OFP11, OFP15 } from "./fields.ts";
import { finishMessage, pullRaw, startMessage } from "./msg/raw.ts";
import { RateLimit, vlogModule } from "../net/vlog.ts";

const log = vlogModule("ofp_errors");
const encodeLimit = new RateLimit(1, 5);

/** Type and code of the Nicira vendor error wrapper used before OpenFlow 1.2. */
export const NXET_VENDOR = 0xb0c2;
export const NXVC_VENDOR_ERROR = 0;
/** The experimenter error type of OpenFlow 1.2+. */
export const OFPET12_EXPERIMENTER = 0xffff;

const VENDORS: Record<string, number> = {
  OF: 0,
  HPL: 0x000004ea,
  NTR: 0x0000154d,
  NTR_COMPAT: 0x00001540,
  NX: NX_VENDOR_ID,
  ONF: 0x4f4e4600,
  INTEL: 0x0000aa01,
};

/**
 * Each error and where it lives: comma-separated "VENDORversions(type[,code])" with versions
 * as "1.0", "1.0-1.1" or "1.2+"; extension errors in 1.2+ have no code.
 */
const ROWS: readonly (readonly [string, string])[] = [
  ["OFPHFC_INCOMPATIBLE", "OF1.0+(0,0)"],
  ["OFPHFC_EPERM", "OF1.0+(0,1)"],
  ["OFPBRC_BAD_VERSION", "OF1.0+(1,0)"],
  ["OFPBRC_BAD_TYPE", "OF1.0+(1,1)"],
  ["OFPBRC_BAD_STAT", "OF1.0+(1,2)"],
  ["OFPBRC_BAD_VENDOR", "OF1.0+(1,3)"],
  ["OFPBRC_BAD_SUBTYPE", "OF1.0+(1,4)"],
  ["OFPBRC_EPERM", "OF1.0+(1,5)"],
  ["OFPBRC_BAD_LEN", "OF1.0+(1,6)"],
  ["OFPBRC_BUFFER_EMPTY", "OF1.0+(1,7)"],
  ["OFPBRC_BUFFER_UNKNOWN", "OF1.0+(1,8)"],
  ["OFPBRC_BAD_TABLE_ID", "NX1.0(1,512), OF1.1+(1,9)"],
  ["OFPBRC_IS_SECONDARY", "OF1.0-1.1(1,5), OF1.2+(1,10)"],
  ["OFPBRC_BAD_PORT", "NX1.0-1.1(1,514), OF1.2+(1,11)"],
  ["OFPBRC_BAD_PACKET", "OF1.2+(1,12)"],
  ["OFPBRC_MULTIPART_BUFFER_OVERFLOW", "OF1.3+(1,13)"],
  ["OFPBRC_MULTIPART_REQUEST_TIMEOUT", "ONF1.3(2640), OF1.4+(1,14)"],
  ["OFPBRC_MULTIPART_REPLY_TIMEOUT", "ONF1.3(2641), OF1.4+(1,15)"],
  ["OFPBRC_MULTIPART_BAD_SCHED", "OF1.5+(1,16)"],
  ["OFPBRC_PIPELINE_FIELDS_ONLY", "OF1.5+(1,17)"],
  ["OFPBRC_UNKNOWN", "OF1.5+(1,18)"],
  ["NXBRC_NXM_INVALID", "NX1.0-1.1(1,256), NX1.2+(2)"],
  ["NXBRC_NXM_BAD_TYPE", "NX1.0-1.1(1,257), NX1.2+(3)"],
  ["NXBRC_MUST_BE_ZERO", "NX1.0-1.1(1,515), NX1.2+(4)"],
  ["NXBRC_BAD_REASON", "NX1.0-1.1(1,516), NX1.2+(5)"],
  ["NXBRC_FM_BAD_EVENT", "NX1.0-1.1(1,520), NX1.2+(9)"],
  ["NXBRC_UNENCODABLE_ERROR", "NX1.0-1.1(1,521), NX1.2+(10)"],
  ["OFPBAC_BAD_TYPE", "OF1.0+(2,0)"],
  ["OFPBAC_BAD_LEN", "OF1.0+(2,1)"],
  ["OFPBAC_BAD_VENDOR", "OF1.0+(2,2)"],
  ["OFPBAC_BAD_VENDOR_TYPE", "OF1.0+(2,3)"],
  ["OFPBAC_BAD_OUT_PORT", "OF1.0+(2,4)"],
  ["OFPBAC_BAD_ARGUMENT", "OF1.0+(2,5)"],
  ["OFPBAC_EPERM", "OF1.0+(2,6)"],
  ["OFPBAC_TOO_MANY", "OF1.0+(2,7)"],
  ["OFPBAC_BAD_QUEUE", "OF1.0+(2,8)"],
  ["OFPBAC_BAD_OUT_GROUP", "NX1.0(2,9), OF1.1+(2,9)"],
  ["OFPBAC_MATCH_INCONSISTENT", "NX1.0(1,522), OF1.1+(2,10)"],
  ["OFPBAC_UNSUPPORTED_ORDER", "OF1.1+(2,11)"],
  ["OFPBAC_BAD_TAG", "OF1.1+(2,12)"],
  ["OFPBAC_BAD_SET_TYPE", "NX1.0-1.1(1,523), OF1.2+(2,13)"],
  ["OFPBAC_BAD_SET_LEN", "NX1.0-1.1(1,524), OF1.2+(2,14)"],
  ["OFPBAC_BAD_SET_ARGUMENT", "NX1.0-1.1(1,525), OF1.2+(2,15)"],
  ["OFPBAC_BAD_SET_MASK", "ONF1.3-1.4(4250), OF1.5+(2,16)"],
  ["OFPBAC_BAD_METER", "OF1.5+(2,17)"],
  ["NXBAC_MUST_BE_ZERO", "NX1.0-1.1(2,256), NX1.2+(11)"],
  ["NXBAC_BAD_CONJUNCTION", "NX1.0-1.1(2,526), NX1.2+(15)"],
  ["NXBAC_BAD_HEADER_TYPE", "NX1.3+(39)"],
  ["NXBAC_UNKNOWN_ED_PROP", "NX1.3+(40)"],
  ["NXBAC_BAD_ED_PROP", "NX1.3+(41)"],
  ["NXBAC_CT_DATAPATH_SUPPORT", "NX1.0-1.1(1,265), NX1.2+(42)"],
  ["OFPBIC_UNKNOWN_INST", "OF1.1+(3,0)"],
  ["OFPBIC_UNSUP_INST", "NX1.0(2,257), OF1.1+(3,1)"],
  ["OFPBIC_BAD_TABLE_ID", "OF1.1+(3,2)"],
  ["OFPBIC_UNSUP_METADATA", "OF1.1+(3,3)"],
  ["OFPBIC_UNSUP_METADATA_MASK", "OF1.1+(3,4)"],
  ["OFPBIC_BAD_EXPERIMENTER", "OF1.1+(3,5)"],
  ["OFPBIC_BAD_EXP_TYPE", "OF1.1(3,5), OF1.2+(3,6)"],
  ["OFPBIC_BAD_LEN", "OF1.2+(3,7)"],
  ["OFPBIC_EPERM", "OF1.2+(3,8)"],
  ["OFPBIC_DUP_INST", "NX1.1(3,256), ONF1.2-1.3(2600), OF1.4+(3,9)"],
  ["OFPBMC_BAD_TYPE", "OF1.1+(4,0)"],
  ["OFPBMC_BAD_LEN", "OF1.1+(4,1)"],
  ["OFPBMC_BAD_TAG", "OF1.1+(4,2)"],
  ["OFPBMC_BAD_DL_ADDR_MASK", "OF1.1+(4,3)"],
  ["OFPBMC_BAD_NW_ADDR_MASK", "OF1.1+(4,4)"],
  ["OFPBMC_BAD_WILDCARDS", "NX1.0(1,262), OF1.1+(4,5)"],
  ["OFPBMC_BAD_FIELD", "NX1.0(0,263), OF1.1+(4,6)"],
  ["OFPBMC_BAD_VALUE", "NX1.0(1,258), OF1.1+(4,7)"],
  ["OFPBMC_BAD_MASK", "NX1.0-1.1(1,259), OF1.2+(4,8)"],
  ["OFPBMC_BAD_PREREQ", "NX1.0-1.1(1,260), OF1.2+(4,9)"],
  ["OFPBMC_DUP_FIELD", "NX1.0-1.1(1,261), OF1.2+(4,10)"],
  ["OFPBMC_EPERM", "OF1.2+(4,11)"],
  ["NXBMC_CT_DATAPATH_SUPPORT", "NX1.0-1.1(1,264), NX1.2+(43)"],
  ["OFPFMFC_UNKNOWN", "OF1.1+(5,0)"],
  ["OFPFMFC_TABLE_FULL", "OF1.0(3,0), OF1.1+(5,1)"],
  ["OFPFMFC_BAD_TABLE_ID", "OF1.1+(5,2)"],
  ["OFPFMFC_OVERLAP", "OF1.0(3,1), OF1.1+(5,3)"],
  ["OFPFMFC_EPERM", "OF1.0(3,2), OF1.1+(5,4)"],
  ["OFPFMFC_BAD_TIMEOUT", "OF1.1+(5,5)"],
  ["OFPFMFC_BAD_EMERG_TIMEOUT", "OF1.0(3,3)"],
  ["OFPFMFC_BAD_COMMAND", "OF1.0(3,4), OF1.1+(5,6)"],
  ["OFPFMFC_BAD_FLAGS", "NX1.0(3,258), NX1.1(5,258), OF1.2+(5,7)"],
  ["OFPFMFC_CANT_SYNC", "OF1.4+(5,8)"],
  ["OFPFMFC_BAD_PRIORITY", "ONF1.3(2360), OF1.4+(5,9)"],
  ["OFPFMFC_IS_SYNC", "OF1.4+(5,10)"],
  ["OFPFMFC_UNSUPPORTED", "OF1.0(3,5)"],
  ["NXFMFC_HARDWARE", "NX1.0-1.1(5,256), NX1.2+(12)"],
  ["NXFMFC_BAD_TABLE_ID", "NX1.0-1.1(5,257), NX1.2+(13)"],
  ["NXFMFC_INVALID_TLV_FIELD", "NX1.0-1.1(1,536), NX1.2+(37)"],
  ["OFPGMFC_GROUP_EXISTS", "NX1.0(6,0), OF1.1+(6,0)"],
  ["OFPGMFC_INVALID_GROUP", "NX1.0(6,1), OF1.1+(6,1)"],
  ["OFPGMFC_WEIGHT_UNSUPPORTED", "NX1.0(6,2), OF1.1+(6,2)"],
  ["OFPGMFC_OUT_OF_GROUPS", "NX1.0(6,3), OF1.1+(6,3)"],
  ["OFPGMFC_OUT_OF_BUCKETS", "NX1.0(6,4), OF1.1+(6,4)"],
  ["OFPGMFC_CHAINING_UNSUPPORTED", "NX1.0(6,5), OF1.1+(6,5)"],
  ["OFPGMFC_WATCH_UNSUPPORTED", "NX1.0(6,6), OF1.1+(6,6)"],
  ["OFPGMFC_LOOP", "NX1.0(6,7), OF1.1+(6,7)"],
  ["OFPGMFC_UNKNOWN_GROUP", "NX1.0(6,8), OF1.1+(6,8)"],
  ["OFPGMFC_CHAINED_GROUP", "NX1.0(6,9), OF1.2+(6,9)"],
  ["OFPGMFC_BAD_TYPE", "NX1.0(6,10), OF1.2+(6,10)"],
  ["OFPGMFC_BAD_COMMAND", "NX1.0(6,11), OF1.2+(6,11)"],
  ["OFPGMFC_BAD_BUCKET", "NX1.0(6,12), OF1.2+(6,12)"],
  ["OFPGMFC_BAD_WATCH", "NX1.0(6,13), OF1.2+(6,13)"],
  ["OFPGMFC_EPERM", "NX1.0(6,14), OF1.2+(6,14)"],
  ["OFPGMFC_UNKNOWN_BUCKET", "NX1.0(6,15), OF1.5+(6,15)"],
  ["OFPGMFC_BUCKET_EXISTS", "NX1.0(6,16), OF1.5+(6,16)"],
  ["OFPPMFC_BAD_PORT", "OF1.0(4,0), OF1.1+(7,0)"],
  ["OFPPMFC_BAD_HW_ADDR", "OF1.0(4,1), OF1.1+(7,1)"],
  ["OFPPMFC_BAD_CONFIG", "OF1.1+(7,2)"],
  ["OFPPMFC_BAD_ADVERTISE", "OF1.1+(7,3)"],
  ["OFPPMFC_EPERM", "OF1.2+(7,4)"],
  ["OFPTMFC_BAD_TABLE", "OF1.1+(8,0)"],
  ["OFPTMFC_BAD_CONFIG", "OF1.1+(8,1)"],
  ["OFPTMFC_EPERM", "OF1.2+(8,2)"],
  ["OFPQOFC_BAD_PORT", "OF1.0(5,0), OF1.1+(9,0)"],
  ["OFPQOFC_BAD_QUEUE", "OF1.0(5,1), OF1.1+(9,1)"],
  ["OFPQOFC_EPERM", "OF1.0(5,2), OF1.1+(9,2)"],
  ["NXQOFC_QUEUE_ERROR", "NX1.4+(23)"],
  ["OFPSCFC_BAD_FLAGS", "OF1.1+(10,0)"],
  ["OFPSCFC_BAD_LEN", "OF1.1+(10,1)"],
  ["OFPSCFC_EPERM", "OF1.2+(10,2)"],
  ["OFPRRFC_STALE", "OF1.2+(11,0)"],
  ["OFPRRFC_UNSUP", "OF1.2+(11,1)"],
  ["OFPRRFC_BAD_ROLE", "NX1.0-1.1(1,513), OF1.2+(11,2)"],
  ["OFPRRFC_ID_UNSUP", "OF1.5+(11,3)"],
  ["OFPRRFC_ID_IN_USE", "OF1.5+(11,4)"],
  ["OFPMMFC_UNKNOWN", "OF1.3+(12,0)"],
  ["OFPMMFC_METER_EXISTS", "OF1.3+(12,1)"],
  ["OFPMMFC_INVALID_METER", "OF1.3+(12,2)"],
  ["OFPMMFC_UNKNOWN_METER", "OF1.3+(12,3)"],
  ["OFPMMFC_BAD_COMMAND", "OF1.3+(12,4)"],
  ["OFPMMFC_BAD_FLAGS", "OF1.3+(12,5)"],
  ["OFPMMFC_BAD_RATE", "OF1.3+(12,6)"],
  ["OFPMMFC_BAD_BURST", "OF1.3+(12,7)"],
  ["OFPMMFC_BAD_BAND", "OF1.3+(12,8)"],
  ["OFPMMFC_BAD_BAND_VALUE", "OF1.3+(12,9)"],
  ["OFPMMFC_OUT_OF_METERS", "OF1.3+(12,10)"],
  ["OFPMMFC_OUT_OF_BANDS", "OF1.3+(12,11)"],
  ["OFPTFFC_BAD_TABLE", "OF1.3+(13,0)"],
  ["OFPTFFC_BAD_METADATA", "OF1.3+(13,1)"],
  ["OFPTFFC_EPERM", "OF1.3+(13,5)"],
  ["OFPTFFC_BAD_CAPA", "OF1.5+(13,6)"],
  ["OFPTFFC_BAD_MAX_ENT", "OF1.5+(13,7)"],
  ["OFPTFFC_BAD_FEATURES", "OF1.5+(13,8)"],
  ["OFPTFFC_BAD_COMMAND", "OF1.5+(13,9)"],
  ["OFPTFFC_TOO_MANY", "OF1.5+(13,10)"],
  ["NXTFFC_DUP_TABLE", "NX1.3+(44)"],
  ["OFPBPC_BAD_TYPE", "NX1.0-1.1(13,2), NX1.2(25), OF1.3(13,2), OF1.4+(14,0)"],
  ["OFPBPC_BAD_LEN", "NX1.0-1.1(13,3), NX1.2(26), OF1.3(13,3), OF1.4+(14,1)"],
  ["OFPBPC_BAD_VALUE", "NX1.0-1.1(13,4), NX1.2(27), OF1.3(13,4), OF1.4+(14,2)"],
  ["OFPBPC_TOO_MANY", "NX1.0-1.1(14,3), NX1.2(28), ONF1.3(4443), OF1.4+(14,3)"],
  ["OFPBPC_DUP_TYPE", "NX1.0-1.1(14,4), NX1.2(29), ONF1.3(4444), OF1.4+(14,4)"],
  ["OFPBPC_BAD_EXPERIMENTER", "NX1.0-1.1(14,5), NX1.2(30), ONF1.3(4445), OF1.4+(14,5)"],
  ["OFPBPC_BAD_EXP_TYPE", "NX1.0-1.1(14,6), NX1.2(31), ONF1.3(4446), OF1.4+(14,6)"],
  ["OFPBPC_BAD_EXP_VALUE", "NX1.0-1.1(14,7), NX1.2(32), ONF1.3(4447), OF1.4+(14,7)"],
  ["OFPBPC_EPERM", "NX1.0-1.1(14,8), NX1.2(33), ONF1.3(4448), OF1.4+(14,8)"],
  ["OFPACFC_INVALID", "ONF1.3(2370), OF1.4+(15,0)"],
  ["OFPACFC_UNSUPPORTED", "ONF1.3(2371), OF1.4+(15,1)"],
  ["OFPACFC_EPERM", "ONF1.3(2372), OF1.4+(15,2)"],
  ["OFPBFC_UNKNOWN", "ONF1.3(2300), OF1.4+(17,0)"],
  ["OFPBFC_EPERM", "ONF1.3(2301), OF1.4+(17,1)"],
  ["OFPBFC_BAD_ID", "ONF1.3(2302), OF1.4+(17,2)"],
  ["OFPBFC_BUNDLE_EXIST", "ONF1.3(2303), OF1.4+(17,3)"],
  ["OFPBFC_BUNDLE_CLOSED", "ONF1.3(2304), OF1.4+(17,4)"],
  ["OFPBFC_OUT_OF_BUNDLES", "ONF1.3(2305), OF1.4+(17,5)"],
  ["OFPBFC_BAD_TYPE", "ONF1.3(2306), OF1.4+(17,6)"],
  ["OFPBFC_BAD_FLAGS", "ONF1.3(2307), OF1.4+(17,7)"],
  ["OFPBFC_MSG_BAD_LEN", "ONF1.3(2308), OF1.4+(17,8)"],
  ["OFPBFC_MSG_BAD_XID", "ONF1.3(2309), OF1.4+(17,9)"],
  ["OFPBFC_MSG_UNSUP", "ONF1.3(2310), OF1.4+(17,10)"],
  ["OFPBFC_MSG_CONFLICT", "ONF1.3(2311), OF1.4+(17,11)"],
  ["OFPBFC_MSG_TOO_MANY", "ONF1.3(2312), OF1.4+(17,12)"],
  ["OFPBFC_MSG_FAILED", "ONF1.3(2313), OF1.4+(17,13)"],
  ["OFPBFC_TIMEOUT", "ONF1.3(2314), OF1.4+(17,14)"],
  ["OFPBFC_BUNDLE_IN_PROGRESS", "ONF1.3(2315), OF1.4+(17,15)"],
  ["OFPBFC_SCHED_NOT_SUPPORTED", "OF1.5+(17,16)"],
  ["OFPBFC_SCHED_FUTURE", "OF1.5+(17,17)"],
  ["OFPBFC_SCHED_PAST", "OF1.5+(17,18)"],
  ["OFPBFC_BAD_VERSION", "NX1.4-1.5(22)"],
  ["OFPMOFC_UNKNOWN", "OF1.4+(16,0)"],
  ["OFPMOFC_MONITOR_EXISTS", "NX1.0-1.1(1,517), NX1.2-1.3(6), OF1.4+(16,1)"],
  ["OFPMOFC_INVALID_MONITOR", "OF1.4+(16,2)"],
  ["OFPMOFC_UNKNOWN_MONITOR", "NX1.0-1.1(1,519), NX1.2-1.3(8), OF1.4+(16,3)"],
  ["OFPMOFC_BAD_COMMAND", "OF1.4+(16,4)"],
  ["OFPMOFC_BAD_FLAGS", "NX1.0-1.1(1,518), NX1.2-1.3(7), OF1.4+(16,5)"],
  ["OFPMOFC_BAD_TABLE_ID", "OF1.4+(16,6)"],
  ["OFPMOFC_BAD_OUT", "OF1.4+(16,7)"],
  ["NXTTMFC_BAD_COMMAND", "NX1.0-1.1(1,527), NX1.2+(16)"],
  ["NXTTMFC_BAD_OPT_LEN", "NX1.0-1.1(1,528), NX1.2+(17)"],
  ["NXTTMFC_BAD_FIELD_IDX", "NX1.0-1.1(1,529), NX1.2+(18)"],
  ["NXTTMFC_TABLE_FULL", "NX1.0-1.1(1,530), NX1.2+(19)"],
  ["NXTTMFC_ALREADY_MAPPED", "NX1.0-1.1(1,531), NX1.2+(20)"],
  ["NXTTMFC_DUP_ENTRY", "NX1.0-1.1(1,532), NX1.2+(21)"],
  ["NXTTMFC_INVALID_TLV_DEL", "NX1.0-1.1(1,537), NX1.2+(38)"],
  ["NXR_NOT_SUPPORTED", "NX1.0-1.1(1,533), NX1.2+(34)"],
  ["NXR_STALE", "NX1.0-1.1(1,534), NX1.2+(35)"],
  ["NXST_NOT_CONFIGURED", "NX1.0-1.1(1,535), NX1.2+(36)"],
];

/** Where an error is carried in one version (`code` is 0 for extension errors in 1.2+). */
export interface ErrorTriplet {
  vendor: number;
  type: number;
  code: number;
}

const NAMES: readonly string[] = ROWS.map((r) => r[0]);
const INDEX = new Map<string, number>(NAMES.map((n, i) => [n, i]));
/** Per version 1..6: name index → triplet. */
const ENCODE: Map<number, ErrorTriplet>[] = [];
/** Per version 1..6: "vendor/type/code" → name, first definition wins. */
const DECODE: Map<string, string>[] = [];

const VERSION_IDS: Record<string, number> = {
  "1.0": 1,
  "1.1": 2,
  "1.2": 3,
  "1.3": 4,
  "1.4": 5,
  "1.5": 6,
};

for (let v = OFP10; v <= OFP15; v++) {
  ENCODE[v] = new Map();
  DECODE[v] = new Map();
}

ROWS.forEach(([name, destinations], index) => {
  for (const dst of destinations.split(", ")) {
    const m = /^([A-Z_]+?)([0-9.]+)(\+|-[0-9.]+)?\((\d+)(?:,(\d+))?\)$/.exec(dst);
    if (!m) throw new TypeError(`bad error row ${name}: ${dst}`);
    const vendor = VENDORS[m[1]!]!;
    const v1 = VERSION_IDS[m[2]!]!;
    const v2 = m[3] === undefined ? v1 : m[3] === "+" ? OFP15 : VERSION_IDS[m[3].slice(1)]!;
    const type = Number(m[4]);
    const code = m[5] === undefined ? 0 : Number(m[5]);
    for (let v = v1; v <= v2; v++) {
      ENCODE[v]!.set(index, { vendor, type, code });
      const key = `${vendor}/${type}/${code}`;
      if (!DECODE[v]!.has(key)) DECODE[v]!.set(key, name);
    }
  }
});

/** Every error name, in upstream's order. */
export function errorNames(): readonly string[] {
  return NAMES;
}

/** Whether `name` ("OFPBRC_BAD_TYPE") is an OpenFlow error upstream knows. */
export function isErrorName(name: string): boolean {
  return INDEX.has(name);
}

/** "OpenFlow 1.0" ... "OpenFlow 1.5", or undefined for other versions. */
export function errorDomainName(version: number): string | undefined {
  return version >= OFP10 && version <= OFP15 ? `OpenFlow 1.${version - 1}` : undefined;
}

/** How `name` is carried in `version`, or undefined when that version cannot carry it. */
export function errorTriplet(name: string, version: number): ErrorTriplet | undefined {
  const index = INDEX.get(name);
  if (index === undefined) return undefined;
  return ENCODE[version]?.get(index);
}

/** The error a (vendor, type, code) means in `version` (upstream's ofperr_decode). */
export function errorFromTriplet(
  version: number,
  vendor: number,
  type: number,
  code: number,
): string | undefined {
  return DECODE[version]?.get(`${vendor}/${type}/${code}`);
}

/**
 * An OFPT_ERROR carrying `name` (upstream's ofperr_encode_msg__): in `version` (or OpenFlow 1.0
 * when unknown), with `data` appended as far as it fits in one message.
 */
export function encodeErrorMessage(
  name: string,
  version: number,
  xid: number,
  data: Uint8Array,
): Uint8Array {
  let v = version;
  if (!errorDomainName(v)) {
    log.rateLimited(
      encodeLimit,
      "err",
      `cannot encode error for unknown OpenFlow version 0x${v.toString(16).padStart(2, "0")}`,
    );
    v = OFP10;
  }
  let error = name;
  let triplet = errorTriplet(error, v);
  if (!isErrorName(error)) {
    log.rateLimited(encodeLimit, "err", `invalid OpenFlow error code ${name}`);
    error = "NXBRC_UNENCODABLE_ERROR";
    triplet = errorTriplet(error, v);
  } else if (!triplet) {
    log.rateLimited(encodeLimit, "err", `cannot encode ${name} for ${errorDomainName(v)}`);
    error = "NXBRC_UNENCODABLE_ERROR";
    triplet = errorTriplet(error, v);
  }
  if (!triplet) throw new TypeError(`${error} has no encoding in version ${v}`);
  const w = startMessage("OFPT_ERROR", v, xid);
  if (!triplet.vendor) {
    w.u16(triplet.type).u16(triplet.code);
  } else if (version <= OFP11) {
    w.u16(NXET_VENDOR).u16(NXVC_VENDOR_ERROR);
    w.u32(triplet.vendor).u16(triplet.type).u16(triplet.code);
  } else {
    w.u16(OFPET12_EXPERIMENTER).u16(triplet.type).u32(triplet.vendor);
  }
  const room = 0xffff - w.length;
  w.bytes(data.length > room ? data.subarray(0, room) : data);
  return finishMessage(w);
}

/**
 * The error reply to `request` (upstream's ofperr_encode_reply): the request's version and xid,
 * and as much of the request as its length says.
 */
export function encodeErrorReply(name: string, request: Uint8Array): Uint8Array {
  const version = request[0] ?? OFP10;
  const xid = request.length >= 8
    ? ((request[4]! << 24) | (request[5]! << 16) | (request[6]! << 8) | request[7]!) >>> 0
    : 0;
  const length = request.length >= 4 ? (request[2]! << 8) | request[3]! : request.length;
  return encodeErrorMessage(
    name,
    version,
    xid,
    request.subarray(0, Math.min(length, request.length)),
  );
}

/** An OFPET_HELLO_FAILED error with a text (upstream's ofperr_encode_hello), xid 0. */
export function encodeHelloError(name: string, version: number, text: string): Uint8Array {
  return encodeErrorMessage(name, version, 0, new TextEncoder().encode(text));
}

/** A decoded OFPT_ERROR: the error's name and the bytes that followed its type and code. */
export interface DecodedError {
  name: string;
  payload: Uint8Array;
}

/**
 * Decodes an OFPT_ERROR message (upstream's ofperr_decode_msg): undefined when the message is not
 * a well-formed error or its (vendor, type, code) names no known error in its version.
 */
export function decodeErrorMessage(msg: Uint8Array): DecodedError | undefined {
  let raw;
  try {
    raw = pullRaw(msg);
  } catch {
    return undefined;
  }
  if (raw.info.raw !== "OFPT_ERROR") return undefined;
  const d = msg;
  let p = raw.bodyOffset;
  const rd16 = (o: number) => (d[o]! << 8) | d[o + 1]!;
  const rd32 = (o: number) =>
    ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
  let vendor = 0;
  let type = rd16(p);
  let code = rd16(p + 2);
  p += 4;
  if (type === NXET_VENDOR && code === NXVC_VENDOR_ERROR) {
    if (d.length - p < 8) return undefined;
    vendor = rd32(p);
    type = rd16(p + 4);
    code = rd16(p + 6);
    p += 8;
  } else if (type === OFPET12_EXPERIMENTER) {
    if (d.length - p < 4) return undefined;
    vendor = rd32(p);
    type = code;
    code = 0;
    p += 4;
  }
  const name = errorFromTriplet(raw.version, vendor, type, code);
  return name ? { name, payload: d.slice(p) } : undefined;
}
