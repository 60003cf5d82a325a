// VLAN actions, all four forms: set_vlan_vid / mod_vlan_vid and set_vlan_pcp / mod_vlan_pcp
// (OpenFlow 1.0's "mod" forms push a tag when there is none, 1.1's "set" forms do not),
// strip_vlan / pop_vlan and push_vlan. For OpenFlow 1.2+ the set forms become Set-Field of
// vlan_vid/vlan_pcp; the mod forms get a push_vlan first when checking found no tag in the match.
//
// Promises: upstream's text, bytes and checks (including the two-header VLAN limit of push_vlan).

import { ETH_TYPE_VLAN_8021AD, ETH_TYPE_VLAN_8021Q, VLAN_CFI } from "../../datapath/flow.ts";
import { OfpError, ParseError } from "../errors.ts";
import { field, OFP10, OFP11 } from "../fields.ts";
import { P_OF11_UP } from "../protocols.ts";
import { inconsistentMatch, setVlanTci, vlanTci } from "./check_util.ts";
import { bytesOf, putSetField } from "./field_wire.ts";
import type { ActionKind, CheckContext, Family, Parser } from "./kind.ts";
import { of, putRaw, type RawDef } from "./raw.ts";
import { hexAlt, strToU16, strToU8 } from "./text.ts";

const VLAN_VID = field("vlan_vid");
const VLAN_PCP = field("vlan_pcp");
const OFPVID12_PRESENT = 0x1000;

function isVlanEthertype(t: number): boolean {
  return t === ETH_TYPE_VLAN_8021Q || t === ETH_TYPE_VLAN_8021AD;
}

function parseVid(push: boolean): Parser {
  return (arg) => {
    const vid = strToU16(arg, "VLAN VID");
    if (vid & ~0xfff) throw new ParseError(`${arg}: not a valid VLAN VID`);
    return { type: "set_vlan_vid", vlanVid: vid, pushVlanIfNeeded: push, flowHasVlan: false };
  };
}

function parsePcp(push: boolean): Parser {
  return (arg) => {
    const pcp = strToU8(arg, "VLAN PCP");
    if (pcp & ~7) throw new ParseError(`${arg}: not a valid VLAN PCP`);
    return { type: "set_vlan_pcp", vlanPcp: pcp, pushVlanIfNeeded: push, flowHasVlan: false };
  };
}

/** Remembers whether the match has a tag (for 1.1+ encoding) and marks one present. */
function checkSetVlan(
  a: { pushVlanIfNeeded: boolean; flowHasVlan: boolean },
  cc: CheckContext,
): void {
  a.flowHasVlan = (vlanTci(cc.flow) & VLAN_CFI) !== 0;
  if (!a.flowHasVlan && !a.pushVlanIfNeeded) inconsistentMatch(cc);
  setVlanTci(cc.flow, vlanTci(cc.flow) | VLAN_CFI);
}

const setVlanVid: ActionKind<"set_vlan_vid"> = {
  name: "set_vlan_vid",
  format(a) {
    return `${a.pushVlanIfNeeded ? "mod_vlan_vid" : "set_vlan_vid"}:${a.vlanVid}`;
  },
  encode(a, version, w) {
    if (version > OFP10 && a.pushVlanIfNeeded && !a.flowHasVlan) {
      putRaw(w, version, "OFPAT_RAW11_PUSH_VLAN", ETH_TYPE_VLAN_8021Q);
    }
    if (version === OFP10) {
      putRaw(w, version, "OFPAT_RAW10_SET_VLAN_VID", a.vlanVid);
    } else if (version === OFP11) {
      putRaw(w, version, "OFPAT_RAW11_SET_VLAN_VID", a.vlanVid);
    } else {
      putSetField(w, version, VLAN_VID, bytesOf(a.vlanVid | OFPVID12_PRESENT, 2));
    }
  },
  check: checkSetVlan,
};

const setVlanPcp: ActionKind<"set_vlan_pcp"> = {
  name: "set_vlan_pcp",
  format(a) {
    return `${a.pushVlanIfNeeded ? "mod_vlan_pcp" : "set_vlan_pcp"}:${a.vlanPcp}`;
  },
  encode(a, version, w) {
    if (version > OFP10 && a.pushVlanIfNeeded && !a.flowHasVlan) {
      putRaw(w, version, "OFPAT_RAW11_PUSH_VLAN", ETH_TYPE_VLAN_8021Q);
    }
    if (version === OFP10) {
      putRaw(w, version, "OFPAT_RAW10_SET_VLAN_PCP", a.vlanPcp);
    } else if (version === OFP11) {
      putRaw(w, version, "OFPAT_RAW11_SET_VLAN_PCP", a.vlanPcp);
    } else {
      putSetField(w, version, VLAN_PCP, bytesOf(a.vlanPcp, 1));
    }
  },
  check: checkSetVlan,
};

const stripVlan: ActionKind<"strip_vlan"> = {
  name: "strip_vlan",
  format(a) {
    return a.popVlan ? "pop_vlan" : "strip_vlan";
  },
  encode(_a, version, w) {
    putRaw(w, version, version === OFP10 ? "OFPAT_RAW10_STRIP_VLAN" : "OFPAT_RAW11_POP_VLAN");
  },
  check(_a, cc) {
    if (!(vlanTci(cc.flow) & VLAN_CFI)) inconsistentMatch(cc);
    // Pop: the inner header (if any) becomes the outer one.
    setVlanTci(cc.flow, cc.vlan2);
    cc.vlan2 = 0;
  },
};

const pushVlan: ActionKind<"push_vlan"> = {
  name: "push_vlan",
  format(a) {
    return `push_vlan:${hexAlt(a.ethertype)}`;
  },
  encode(a, version, w) {
    // OpenFlow 1.0 has no push: a following mod_vlan_vid/pcp does it.
    if (version !== OFP10) putRaw(w, version, "OFPAT_RAW11_PUSH_VLAN", a.ethertype);
  },
  check(_a, cc) {
    if (cc.vlan2 & VLAN_CFI) throw new OfpError("OFPBAC_BAD_TAG");
    cc.vlan2 = vlanTci(cc.flow);
    setVlanTci(cc.flow, VLAN_CFI);
  },
};

const raws: RawDef[] = [
  {
    id: "OFPAT_RAW10_SET_VLAN_VID",
    spots: [of(1, 1, 1)],
    body: { kind: "int", bytes: 2 },
    decode: ({ arg }) => decodeVid(arg, true),
  },
  {
    id: "OFPAT_RAW10_SET_VLAN_PCP",
    spots: [of(1, 1, 2)],
    body: { kind: "int", bytes: 1 },
    decode: ({ arg }) => decodePcp(arg, true),
  },
  {
    id: "OFPAT_RAW11_SET_VLAN_VID",
    spots: [of(2, 2, 1), of(3, 6, 1, "use Set-Field")],
    body: { kind: "int", bytes: 2 },
    decode: ({ arg }) => decodeVid(arg, false),
  },
  {
    id: "OFPAT_RAW11_SET_VLAN_PCP",
    spots: [of(2, 2, 2), of(3, 6, 2, "use Set-Field")],
    body: { kind: "int", bytes: 1 },
    decode: ({ arg }) => decodePcp(arg, false),
  },
  {
    id: "OFPAT_RAW11_PUSH_VLAN",
    spots: [of(2, 6, 17)],
    body: { kind: "int", bytes: 2 },
    decode({ arg }) {
      if (!isVlanEthertype(arg)) throw new OfpError("OFPBAC_BAD_ARGUMENT");
      return { type: "push_vlan", ethertype: arg };
    },
  },
  {
    id: "OFPAT_RAW10_STRIP_VLAN",
    spots: [of(1, 1, 3)],
    body: { kind: "void" },
    decode: () => ({ type: "strip_vlan", popVlan: false }),
  },
  {
    id: "OFPAT_RAW11_POP_VLAN",
    spots: [of(2, 6, 18)],
    body: { kind: "void" },
    decode: () => ({ type: "strip_vlan", popVlan: true }),
  },
];

function decodeVid(vid: number, push: boolean) {
  if (vid & ~0xfff) throw new OfpError("OFPBAC_BAD_ARGUMENT");
  return {
    type: "set_vlan_vid" as const,
    vlanVid: vid,
    pushVlanIfNeeded: push,
    flowHasVlan: false,
  };
}

function decodePcp(pcp: number, push: boolean) {
  if (pcp & ~7) throw new OfpError("OFPBAC_BAD_ARGUMENT");
  return {
    type: "set_vlan_pcp" as const,
    vlanPcp: pcp,
    pushVlanIfNeeded: push,
    flowHasVlan: false,
  };
}

export const vlanFamily: Family = {
  kinds: {
    set_vlan_vid: setVlanVid,
    set_vlan_pcp: setVlanPcp,
    strip_vlan: stripVlan,
    push_vlan: pushVlan,
  },
  keywords: {
    set_vlan_vid: parseVid(false),
    mod_vlan_vid: parseVid(true),
    set_vlan_pcp: parsePcp(false),
    mod_vlan_pcp: parsePcp(true),
    strip_vlan: () => ({ type: "strip_vlan", popVlan: false }),
    pop_vlan: () => ({ type: "strip_vlan", popVlan: true }),
    push_vlan(arg, ps) {
      ps.usable &= P_OF11_UP;
      const ethertype = strToU16(arg, "ethertype");
      if (!isVlanEthertype(ethertype)) {
        throw new ParseError(`${arg}: not a valid VLAN ethertype`);
      }
      return { type: "push_vlan", ethertype };
    },
  },
  raws,
};
