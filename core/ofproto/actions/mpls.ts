// MPLS actions, all four forms: set_mpls_label, set_mpls_tc, set_mpls_ttl, dec_mpls_ttl,
// push_mpls and pop_mpls. OpenFlow 1.0 has them only as Nicira extensions; from 1.2 on the
// label and TC are written as Set-Field. Checking tracks the Ethernet type push and pop change,
// so that later actions are checked against the packet as it will then be.
//
// Promises: upstream's text, bytes and checks.

import { OfpError, ParseError } from "../errors.ts";
import { field, OFP12 } from "../fields.ts";
import {
  getDlType,
  inconsistentMatch,
  isEthTypeMpls,
  packetType,
  setDlType,
  setNwProto,
} from "./check_util.ts";
import { bytesOf, putSetField } from "./field_wire.ts";
import type { ActionKind, CheckContext, Family } from "./kind.ts";
import { nx, of, putRaw, type RawDef } from "./raw.ts";
import { hex04, strToU16, strToU32, strToU8 } from "./text.ts";
import { PT_ETH } from "./types.ts";

function checkSetMpls(_a: unknown, cc: CheckContext): void {
  if (!isEthTypeMpls(getDlType(cc.flow))) inconsistentMatch(cc);
}

const setMplsLabel: ActionKind<"set_mpls_label"> = {
  name: "set_mpls_label",
  format: (a) => `set_mpls_label(${a.label})`,
  encode(a, version, w) {
    if (version < OFP12) putRaw(w, version, "OFPAT_RAW_SET_MPLS_LABEL", a.label);
    else putSetField(w, version, field("mpls_label"), bytesOf(a.label, 4));
  },
  check: checkSetMpls,
};

const setMplsTc: ActionKind<"set_mpls_tc"> = {
  name: "set_mpls_tc",
  format: (a) => `set_mpls_tc(${a.tc})`,
  encode(a, version, w) {
    if (version < OFP12) putRaw(w, version, "OFPAT_RAW_SET_MPLS_TC", a.tc);
    else putSetField(w, version, field("mpls_tc"), bytesOf(a.tc, 1));
  },
  check: checkSetMpls,
};

const setMplsTtl: ActionKind<"set_mpls_ttl"> = {
  name: "set_mpls_ttl",
  format: (a) => `set_mpls_ttl(${a.ttl})`,
  encode(a, version, w) {
    putRaw(w, version, "OFPAT_RAW_SET_MPLS_TTL", a.ttl);
  },
  check: checkSetMpls,
};

const decMplsTtl: ActionKind<"dec_mpls_ttl"> = {
  name: "dec_mpls_ttl",
  format: () => "dec_mpls_ttl",
  encode(_a, version, w) {
    putRaw(w, version, "OFPAT_RAW_DEC_MPLS_TTL");
  },
  check: checkSetMpls,
};

const pushMpls: ActionKind<"push_mpls"> = {
  name: "push_mpls",
  format: (a) => `push_mpls:${hex04(a.ethertype)}`,
  encode(a, version, w) {
    putRaw(w, version, "OFPAT_RAW_PUSH_MPLS", a.ethertype);
  },
  check(a, cc) {
    if (packetType(cc.flow) !== PT_ETH) inconsistentMatch(cc);
    setDlType(cc.flow, a.ethertype);
    // The MPLS payload is opaque: nothing can be assumed about the network protocol.
    setNwProto(cc.flow, 0);
  },
};

const popMpls: ActionKind<"pop_mpls"> = {
  name: "pop_mpls",
  format: (a) => `pop_mpls:${hex04(a.ethertype)}`,
  encode(a, version, w) {
    putRaw(w, version, "OFPAT_RAW_POP_MPLS", a.ethertype);
  },
  check(a, cc) {
    if (packetType(cc.flow) !== PT_ETH || !isEthTypeMpls(getDlType(cc.flow))) {
      inconsistentMatch(cc);
    }
    setDlType(cc.flow, a.ethertype);
  },
};

const raws: RawDef[] = [
  {
    id: "OFPAT_RAW_SET_MPLS_LABEL",
    spots: [nx(1, 1, 30), of(2, 2, 13), of(3, 6, 13, "use Set-Field")],
    body: { kind: "int", bytes: 4 },
    decode: ({ arg }) => ({ type: "set_mpls_label", label: arg }),
  },
  {
    id: "OFPAT_RAW_SET_MPLS_TC",
    spots: [nx(1, 1, 31), of(2, 2, 14), of(3, 6, 14, "use Set-Field")],
    body: { kind: "int", bytes: 1 },
    decode: ({ arg }) => ({ type: "set_mpls_tc", tc: arg }),
  },
  {
    id: "OFPAT_RAW_SET_MPLS_TTL",
    spots: [nx(1, 1, 25), of(2, 2, 15), of(3, 6, 15, "use Set-Field")],
    body: { kind: "int", bytes: 1 },
    decode: ({ arg }) => ({ type: "set_mpls_ttl", ttl: arg }),
  },
  {
    id: "OFPAT_RAW_DEC_MPLS_TTL",
    spots: [nx(1, 1, 26), of(2, 6, 16)],
    body: { kind: "void" },
    decode: () => ({ type: "dec_mpls_ttl" }),
  },
  {
    id: "OFPAT_RAW_PUSH_MPLS",
    spots: [nx(1, 1, 23), of(2, 6, 19)],
    body: { kind: "int", bytes: 2 },
    decode({ arg }) {
      if (!isEthTypeMpls(arg)) throw new OfpError("OFPBAC_BAD_ARGUMENT");
      return { type: "push_mpls", ethertype: arg };
    },
  },
  {
    id: "OFPAT_RAW_POP_MPLS",
    spots: [nx(1, 1, 24), of(2, 6, 20)],
    body: { kind: "int", bytes: 2 },
    decode: ({ arg }) => ({ type: "pop_mpls", ethertype: arg }),
  },
];

export const mplsFamily: Family = {
  kinds: {
    set_mpls_label: setMplsLabel,
    set_mpls_tc: setMplsTc,
    set_mpls_ttl: setMplsTtl,
    dec_mpls_ttl: decMplsTtl,
    push_mpls: pushMpls,
    pop_mpls: popMpls,
  },
  keywords: {
    set_mpls_label(arg) {
      if (arg === "") throw new ParseError("set_mpls_label: expected label.");
      const label = strToU32(arg);
      if (label & ~0xfffff) throw new ParseError(`${arg}: not a valid MPLS label`);
      return { type: "set_mpls_label", label };
    },
    set_mpls_tc(arg) {
      if (arg === "") throw new ParseError("set_mpls_tc: expected tc.");
      const tc = strToU8(arg, "MPLS TC");
      if (tc & ~7) throw new ParseError(`${arg}: not a valid MPLS TC`);
      return { type: "set_mpls_tc", tc };
    },
    set_mpls_ttl(arg) {
      if (arg === "") throw new ParseError("set_mpls_ttl: expected ttl.");
      return { type: "set_mpls_ttl", ttl: strToU8(arg, "MPLS TTL") };
    },
    dec_mpls_ttl: () => ({ type: "dec_mpls_ttl" }),
    push_mpls: (arg) => ({ type: "push_mpls", ethertype: strToU16(arg, "push_mpls") }),
    pop_mpls: (arg) => ({ type: "pop_mpls", ethertype: strToU16(arg, "pop_mpls") }),
  },
  raws,
};
