// bundle, bundle_load and multipath, all four forms: choosing a member port (bundle outputs to
// it, bundle_load writes it to a subfield) or a link number (multipath) by hashing flow fields.
//
// Promises: upstream's text (including its error texts, which quote the whole argument), bytes
// (NXAST_BUNDLE/_BUNDLE_LOAD with their member list, NXAST_MULTIPATH), decode and check rules.

import { OfpError, ParseError } from "../errors.ts";
import { checkDst, checkOutputPort, matchView } from "./check_util.ts";
import { fieldFromHeader32, nxmHeader32 } from "../nxm_header.ts";
import { formatPort, OFPP_CONTROLLER, OFPP_MAX, OFPP_NONE, parsePort } from "../port_text.ts";
import { formatSubfield, parseSubfield } from "../subfield.ts";
import type { ActionKind, Family, Parser } from "./kind.ts";
import { actionsWarn, bundleDecodeWarn, bundleWarn } from "./log.ts";
import { decodeOfsNbits, encodeOfsNbits } from "./output.ts";
import { finishRaw, isAllZeros, nx, type RawDef, startRaw } from "./raw.ts";
import { atoi, sameNoCase, Strtok } from "./text.ts";
import {
  NX_BD_ALG_ACTIVE_BACKUP,
  NX_BD_ALG_HRW,
  NX_MP_ALG_HASH_THRESHOLD,
  NX_MP_ALG_HRW,
  NX_MP_ALG_ITER_HASH,
  NX_MP_ALG_MODULO_N,
  type OfpactOf,
  type Subfield,
} from "./types.ts";

const BUNDLE_MAX_MEMBERS = 2048;
const NXM_OF_IN_PORT = 0x00000002;

const HASH_FIELDS = [
  "eth_src",
  "symmetric_l4",
  "symmetric_l3l4",
  "symmetric_l3l4+udp",
  "nw_src",
  "nw_dst",
  "symmetric_l3",
];

/** upstream's flow_hash_fields_to_str. */
function hashFieldsToString(fields: number): string {
  return HASH_FIELDS[fields] ?? "<unknown>";
}

function hashFieldsFromString(s: string): number | undefined {
  const i = HASH_FIELDS.findIndex((name) => sameNoCase(name, s));
  return i < 0 ? undefined : i;
}

function hashFieldsValid(fields: number): boolean {
  return fields < HASH_FIELDS.length;
}

// ---- bundle ----

function parseBundle(load: boolean): Parser {
  return (s, ps) => {
    const tok = new Strtok(s);
    const fields = tok.next(", ");
    const basis = tok.next(", ");
    const algorithm = tok.next(", ");
    const memberType = tok.next(", ");
    const dst = load ? tok.next(", ") : undefined;
    const memberDelim = tok.next(": ");
    if (
      memberDelim === undefined || fields === undefined || basis === undefined ||
      algorithm === undefined || memberType === undefined
    ) {
      throw new ParseError(`${s}: not enough arguments to bundle action`);
    }
    if (!sameNoCase(memberDelim, "members") && !sameNoCase(memberDelim, "slaves")) {
      throw new ParseError(
        `${s}: missing member delimiter, expected \`members', got \`${memberDelim}'`,
      );
    }
    const members: number[] = [];
    for (;;) {
      const member = tok.next(", []");
      if (member === undefined || members.length >= BUNDLE_MAX_MEMBERS) break;
      const port = parsePort(member, ps.portMap);
      if (port === undefined) throw new ParseError(`${member}: bad port number`);
      members.push(port);
    }
    const hashFields = hashFieldsFromString(fields);
    if (hashFields === undefined) throw new ParseError(`${s}: unknown fields \`${fields}'`);
    let alg: number;
    if (sameNoCase(algorithm, "active_backup")) alg = NX_BD_ALG_ACTIVE_BACKUP;
    else if (sameNoCase(algorithm, "hrw")) alg = NX_BD_ALG_HRW;
    else throw new ParseError(`${s}: unknown algorithm \`${algorithm}'`);
    if (!sameNoCase(memberType, "ofport")) {
      throw new ParseError(`${s}: unknown member_type \`${memberType}'`);
    }
    let dstSf: Subfield | undefined;
    if (load && dst !== undefined) {
      dstSf = parseSubfield(dst);
      if (!nxmHeader32(dstSf.field)) {
        throw new ParseError(`${s}: experimenter OXM field '${dst}' not supported`);
      }
    }
    return {
      type: "bundle",
      algorithm: alg,
      fields: hashFields,
      basis: atoi(basis) & 0xffff,
      dst: dstSf,
      members,
    };
  };
}

/** upstream's bundle_check. */
function bundleCheck(
  a: OfpactOf<"bundle">,
  maxPorts: number,
  view: Parameters<typeof checkDst>[1],
): void {
  if (a.dst) checkDst(a.dst, view);
  for (const port of a.members) {
    if (port !== OFPP_NONE) {
      try {
        checkOutputPort(port, maxPorts);
      } catch (e) {
        bundleWarn(`invalid member ${port}`);
        throw e;
      }
    }
    // Controller members are unsupported: there is no max_len to give them.
    if (port === OFPP_CONTROLLER) {
      bundleWarn("unsupported controller member");
      throw new OfpError("OFPBAC_BAD_OUT_PORT");
    }
  }
}

const bundle: ActionKind<"bundle"> = {
  name: "bundle",
  format(a, fc) {
    const alg = a.algorithm === NX_BD_ALG_HRW
      ? "hrw"
      : a.algorithm === NX_BD_ALG_ACTIVE_BACKUP
      ? "active_backup"
      : "<unknown>";
    let s = `${a.dst ? "bundle_load" : "bundle"}(${
      hashFieldsToString(a.fields)
    },${a.basis},${alg},ofport,`;
    if (a.dst) s += `${formatSubfield(a.dst)},`;
    s += "members:" + a.members.map((p) => formatPort(p, fc.portMap)).join(",");
    return s + ")";
  },
  encode(a, version, w) {
    const start = startRaw(w, version, a.dst ? "NXAST_RAW_BUNDLE_LOAD" : "NXAST_RAW_BUNDLE");
    w.u16(a.algorithm).u16(a.fields).u16(a.basis).u32(NXM_OF_IN_PORT).u16(a.members.length);
    if (a.dst) w.u16(encodeOfsNbits(a.dst.ofs, a.dst.nBits)).u32(nxmHeader32(a.dst.field));
    else w.u16(0).u32(0);
    w.zeros(4);
    for (const port of a.members) w.u16(port);
    finishRaw(w, start, 32);
  },
  check(a, cc) {
    bundleCheck(a, cc.maxPorts, matchView(cc));
  },
};

function decodeBundle(bytes: Uint8Array, load: boolean): OfpactOf<"bundle"> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const algorithm = view.getUint16(10);
  const fields = view.getUint16(12);
  const basis = view.getUint16(14);
  const memberType = view.getUint32(16);
  const nMembers = view.getUint16(20);
  const ofsNbits = view.getUint16(22);
  const dstHeader = view.getUint32(24);
  let error: string | undefined = "OFPBAC_BAD_ARGUMENT";
  if (!hashFieldsValid(fields)) {
    bundleDecodeWarn(`unsupported fields ${fields}`);
  } else if (nMembers > BUNDLE_MAX_MEMBERS) {
    bundleDecodeWarn("too many members");
  } else if (algorithm !== NX_BD_ALG_HRW && algorithm !== NX_BD_ALG_ACTIVE_BACKUP) {
    bundleDecodeWarn(`unsupported algorithm ${algorithm}`);
  } else if (memberType !== NXM_OF_IN_PORT) {
    bundleDecodeWarn(`unsupported member type ${memberType}`);
  } else {
    error = undefined;
  }
  if (!isAllZeros(bytes, 28, 32)) {
    bundleDecodeWarn("reserved field is nonzero");
    error = "OFPBAC_BAD_ARGUMENT";
  }
  let dst: Subfield | undefined;
  if (load) {
    const field = fieldFromHeader32(dstHeader);
    if (!field) throw new OfpError("OFPBAC_BAD_SET_TYPE");
    dst = { field, ...decodeOfsNbits(ofsNbits) };
    if (dst.nBits < 16) {
      bundleDecodeWarn("bundle_load action requires at least 16 bit destination.");
      error = "OFPBAC_BAD_ARGUMENT";
    }
  } else if (ofsNbits || dstHeader) {
    bundleDecodeWarn("bundle action has nonzero reserved fields");
    error = "OFPBAC_BAD_ARGUMENT";
  }
  const members: number[] = [];
  if (bytes.length - 32 < 2 * nMembers) {
    bundleDecodeWarn(
      `Nicira action ${load ? "bundle_load" : "bundle"} only has ${bytes.length - 32} bytes ` +
        `allocated for members.  ${2 * nMembers} bytes are required for ${nMembers} members.`,
    );
    error = "OFPBAC_BAD_LEN";
  } else {
    for (let i = 0; i < nMembers; i++) members.push(view.getUint16(32 + 2 * i));
  }
  if (error) throw new OfpError(error);
  const a: OfpactOf<"bundle"> = { type: "bundle", algorithm, fields, basis, dst, members };
  bundleCheck(a, OFPP_MAX, undefined);
  return a;
}

// ---- multipath ----

const MP_ALGORITHMS: [string, number][] = [
  ["modulo_n", NX_MP_ALG_MODULO_N],
  ["hash_threshold", NX_MP_ALG_HASH_THRESHOLD],
  ["hrw", NX_MP_ALG_HRW],
  ["iter_hash", NX_MP_ALG_ITER_HASH],
];

const parseMultipath: Parser = (s) => {
  const tok = new Strtok(s);
  const fields = tok.next(", ");
  const basis = tok.next(", ");
  const algorithm = tok.next(", ");
  const nLinksText = tok.next(", ");
  const arg = tok.next(", ");
  const dst = tok.next(", ");
  if (
    dst === undefined || fields === undefined || basis === undefined ||
    algorithm === undefined || nLinksText === undefined || arg === undefined
  ) {
    throw new ParseError(`${s}: not enough arguments to multipath action`);
  }
  const hashFields = hashFieldsFromString(fields);
  if (hashFields === undefined) throw new ParseError(`${s}: unknown fields \`${fields}'`);
  const alg = MP_ALGORITHMS.find(([name]) => sameNoCase(name, algorithm));
  if (!alg) throw new ParseError(`${s}: unknown algorithm \`${algorithm}'`);
  const nLinks = atoi(nLinksText);
  if (nLinks < 1 || nLinks > 65536) {
    throw new ParseError(`${s}: n_links ${nLinks} is not in valid range 1 to 65536`);
  }
  const dstSf = parseSubfield(dst);
  if (!nxmHeader32(dstSf.field)) {
    throw new ParseError(`${s}: experimenter OXM field '${dst}' not supported`);
  }
  if (dstSf.nBits < 16 && nLinks > 2 ** dstSf.nBits) {
    throw new ParseError(
      `${s}: ${dstSf.nBits}-bit destination field has ${
        2 ** dstSf.nBits
      } possible values, less than specified n_links ${nLinks}`,
    );
  }
  return {
    type: "multipath",
    fields: hashFields,
    basis: atoi(basis) & 0xffff,
    algorithm: alg[1],
    maxLink: (nLinks - 1) & 0xffff,
    arg: atoi(arg) >>> 0,
    dst: dstSf,
  };
};

const multipath: ActionKind<"multipath"> = {
  name: "multipath",
  format(a) {
    const alg = MP_ALGORITHMS.find(([, v]) => v === a.algorithm)?.[0] ?? "<unknown>";
    return `multipath(${hashFieldsToString(a.fields)},${a.basis},${alg},${a.maxLink + 1},${a.arg},${
      formatSubfield(a.dst)
    })`;
  },
  encode(a, version, w) {
    const start = startRaw(w, version, "NXAST_RAW_MULTIPATH");
    w.u16(a.fields).u16(a.basis).u16(0).u16(a.algorithm).u16(a.maxLink).u32(a.arg).u16(0);
    w.u16(encodeOfsNbits(a.dst.ofs, a.dst.nBits)).u32(nxmHeader32(a.dst.field));
    finishRaw(w, start, 32);
  },
  check(a, cc) {
    checkDst(a.dst, matchView(cc));
  },
};

function log2Ceil(n: number): number {
  let bits = 0;
  while (2 ** bits < n) bits++;
  return bits;
}

const raws: RawDef[] = [
  {
    id: "NXAST_RAW_BUNDLE",
    spots: [nx(1, 6, 12)],
    body: { kind: "struct", size: 32, variable: true },
    decode: ({ bytes }) => decodeBundle(bytes, false),
  },
  {
    id: "NXAST_RAW_BUNDLE_LOAD",
    spots: [nx(1, 6, 13)],
    body: { kind: "struct", size: 32, variable: true },
    decode: ({ bytes }) => decodeBundle(bytes, true),
  },
  {
    id: "NXAST_RAW_MULTIPATH",
    spots: [nx(1, 6, 10)],
    body: { kind: "struct", size: 32, variable: false },
    decode({ body }) {
      const fields = body.u16();
      const basis = body.u16();
      body.skip(2);
      const algorithm = body.u16();
      const maxLink = body.u16();
      const arg = body.u32();
      body.skip(2);
      const { ofs, nBits } = decodeOfsNbits(body.u16());
      const field = fieldFromHeader32(body.u32());
      if (!field) throw new OfpError("OFPBAC_BAD_SET_TYPE");
      if (!hashFieldsValid(fields)) {
        actionsWarn(`unsupported fields ${fields}`);
        throw new OfpError("OFPBAC_BAD_ARGUMENT");
      }
      if (!MP_ALGORITHMS.some(([, v]) => v === algorithm)) {
        actionsWarn(`unsupported algorithm ${algorithm}`);
        throw new OfpError("OFPBAC_BAD_ARGUMENT");
      }
      const minBits = log2Ceil(maxLink + 1);
      if (nBits < minBits) {
        actionsWarn(
          `multipath action requires at least ${minBits} bits for ${maxLink + 1} links`,
        );
        throw new OfpError("OFPBAC_BAD_ARGUMENT");
      }
      const dst = { field, ofs, nBits };
      checkDst(dst, undefined);
      return { type: "multipath", fields, basis, algorithm, maxLink, arg, dst };
    },
  },
];

export const bundleMultipathFamily: Family = {
  kinds: { bundle, multipath },
  keywords: {
    bundle: parseBundle(false),
    bundle_load: parseBundle(true),
    multipath: parseMultipath,
  },
  raws,
};
