// Connection tracking actions, all four forms: ct (commit, force, table, zone as a number or a
// subfield, alg, nat, exec(...) with its nested actions), ct_clear, and nat (which is only valid
// nested inside ct; at top level the verifier rejects it, as upstream does).
//
// Promises: upstream's text (nat printed outside exec, flags only with a range), bytes
// (NXAST_CT followed by its nested actions, NXAST_NAT with the range fields it has), decode rules
// (a ct without commit may only carry argument-less nat) and match checks.

import {
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  W_CT_STATE,
} from "../../datapath/flow.ts";
import { OfpError, ParseError } from "../errors.ts";
import { ovsScan } from "../text_scan.ts";
import {
  checkSrc,
  CS_INVALID,
  getDlType,
  isDlTypeIpAny,
  matchView,
  nwProto,
} from "./check_util.ts";
import { fieldFromHeader32, nxmHeader32 } from "../nxm_header.ts";
import { formatSubfield, parseSubfield } from "../subfield.ts";
import { formatTable, tableFromString } from "../table_names.ts";
import type { ActionKind, Family, Parser } from "./kind.ts";
import { actionsWarn } from "./log.ts";
import { decodeOfsNbits, encodeOfsNbits } from "./output.ts";
import { finishRaw, nx, putRaw, type RawDef, startRaw } from "./raw.ts";
import { formatIpv4, formatIpv6, inetPton6, KeyValueScanner, strToU16 } from "./text.ts";
import {
  NX_CT_F_COMMIT,
  NX_CT_F_FORCE,
  NX_CT_RECIRC_NONE,
  NX_NAT_F_DST,
  NX_NAT_F_MASK,
  NX_NAT_F_PERSISTENT,
  NX_NAT_F_PROTO_HASH,
  NX_NAT_F_PROTO_RANDOM,
  NX_NAT_F_SRC,
  type Ofpact,
  type OfpactOf,
} from "./types.ts";

const IPPORT_FTP = 21;
const IPPORT_TFTP = 69;

const NX_NAT_RANGE_IPV4_MIN = 1 << 0;
const NX_NAT_RANGE_IPV4_MAX = 1 << 1;
const NX_NAT_RANGE_IPV6_MIN = 1 << 2;
const NX_NAT_RANGE_IPV6_MAX = 1 << 3;
const NX_NAT_RANGE_PROTO_MIN = 1 << 4;
const NX_NAT_RANGE_PROTO_MAX = 1 << 5;

// ---- nat ----

function emptyNat(): OfpactOf<"nat"> {
  return {
    type: "nat",
    flags: 0,
    rangeAf: "none",
    ipv4Min: 0,
    ipv4Max: 0,
    ipv6Min: new Uint8Array(16),
    ipv6Max: new Uint8Array(16),
    protoMin: 0,
    protoMax: 0,
  };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function isZero(a: Uint8Array): boolean {
  return a.every((b) => b === 0);
}

/** ovs_scan_len of an IPv4 address at `n`: the address and the new position. */
function scanIp(s: string, n: number): { ip: number; n: number } | undefined {
  const r = ovsScan(s, "%hhu.%hhu.%hhu.%hhu", n);
  if (!r) return undefined;
  const [a, b, c, d] = r.values.map((v) => Number(v));
  return { ip: ((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0, n: r.end };
}

/** ovs_scan_len of an IPv6 address, bare or in brackets: the text and the new position. */
function scanIp6(s: string, n: number): { text: string; n: number } | undefined {
  const bare = ovsScan(s, "%46[0123456789abcdefABCDEF:.]", n);
  if (bare) return { text: bare.values[0] as string, n: bare.end };
  const bracketed = ovsScan(s, "[%46[0123456789abcdefABCDEF:.]]", n);
  if (bracketed) return { text: bracketed.values[0] as string, n: bracketed.end };
  return undefined;
}

/** upstream's str_to_nat_range. */
function parseNatRange(s: string, a: OfpactOf<"nat">): void {
  const invalid = () => new ParseError(`invalid nat range "${s}"`);
  let n = 0;
  a.rangeAf = "none";
  const v4 = scanIp(s, n);
  if (v4) {
    a.rangeAf = "ipv4";
    a.ipv4Min = v4.ip;
    n = v4.n;
    if (s[n] === "-") {
      n++;
      const max = scanIp(s, n);
      if (!max || max.ip < a.ipv4Min) throw invalid();
      a.ipv4Max = max.ip;
      n = max.n;
    }
  } else {
    const v6 = scanIp6(s, n);
    if (v6) n = v6.n;
    const min = v6 ? inetPton6(v6.text) : undefined;
    if (min) {
      a.rangeAf = "ipv6";
      a.ipv6Min = min;
      if (s[n] === "-") {
        n++;
        const m6 = scanIp6(s, n);
        if (m6) n = m6.n;
        const max = m6 ? inetPton6(m6.text) : undefined;
        if (!max || compareBytes(max, min) < 0) throw invalid();
        a.ipv6Max = max;
      }
    }
  }
  if (a.rangeAf !== "none" && s[n] === ":") {
    n++;
    const min = ovsScan(s, "%hu", n);
    if (!min) throw invalid();
    a.protoMin = Number(min.values[0]);
    n = min.end;
    if (s[n] === "-") {
      n++;
      const max = ovsScan(s, "%hu", n);
      if (!max || Number(max.values[0]) < a.protoMin) throw invalid();
      a.protoMax = Number(max.values[0]);
      n = max.end;
    }
  }
  if (n !== s.length) {
    throw new ParseError(`garbage (${s.slice(n)}) after nat range "${s}" (pos: ${n})`);
  }
}

const parseNat: Parser = (arg) => {
  const a = emptyNat();
  const kv = new KeyValueScanner(arg);
  for (let e = kv.next(); e; e = kv.next()) {
    if (e.key === "src") {
      a.flags |= NX_NAT_F_SRC;
      parseNatRange(e.value, a);
    } else if (e.key === "dst") {
      a.flags |= NX_NAT_F_DST;
      parseNatRange(e.value, a);
    } else if (e.key === "persistent") {
      a.flags |= NX_NAT_F_PERSISTENT;
    } else if (e.key === "hash") {
      a.flags |= NX_NAT_F_PROTO_HASH;
    } else if (e.key === "random") {
      a.flags |= NX_NAT_F_PROTO_RANDOM;
    } else {
      throw new ParseError(`invalid key "${e.key}" in "nat" argument`);
    }
  }
  if (a.flags & NX_NAT_F_SRC && a.flags & NX_NAT_F_DST) {
    throw new ParseError(`May only specify one of "src" or "dst".`);
  }
  if (!(a.flags & (NX_NAT_F_SRC | NX_NAT_F_DST))) {
    if (a.flags) throw new ParseError(`Flags allowed only with "src" or "dst".`);
    if (a.rangeAf !== "none") throw new ParseError(`Range allowed only with "src" or "dst".`);
  }
  if (a.flags & NX_NAT_F_PROTO_HASH && a.flags & NX_NAT_F_PROTO_RANDOM) {
    throw new ParseError(`Both "hash" and "random" are not allowed.`);
  }
  return a;
};

function formatNat(a: OfpactOf<"nat">): string {
  let s = "nat";
  if (!(a.flags & (NX_NAT_F_SRC | NX_NAT_F_DST))) return s;
  s += "(" + (a.flags & NX_NAT_F_SRC ? "src" : "dst");
  if (a.rangeAf !== "none") {
    s += "=";
    if (a.rangeAf === "ipv4") {
      s += formatIpv4(a.ipv4Min);
      if (a.ipv4Max && a.ipv4Max !== a.ipv4Min) s += `-${formatIpv4(a.ipv4Max)}`;
    } else {
      const bracket = (addr: Uint8Array) => a.protoMin ? `[${formatIpv6(addr)}]` : formatIpv6(addr);
      s += bracket(a.ipv6Min);
      if (!isZero(a.ipv6Max) && compareBytes(a.ipv6Max, a.ipv6Min) !== 0) {
        s += `-${bracket(a.ipv6Max)}`;
      }
    }
    if (a.protoMin) {
      s += `:${a.protoMin}`;
      if (a.protoMax && a.protoMax !== a.protoMin) s += `-${a.protoMax}`;
    }
    s += ",";
    if (a.flags & NX_NAT_F_PERSISTENT) s += "persistent,";
    if (a.flags & NX_NAT_F_PROTO_HASH) s += "hash,";
    if (a.flags & NX_NAT_F_PROTO_RANDOM) s += "random,";
    if (s.endsWith(",")) s = s.slice(0, -1);
  }
  return s + ")";
}

const nat: ActionKind<"nat"> = {
  name: "nat",
  format: formatNat,
  encode(a, version, w) {
    const start = startRaw(w, version, "NXAST_RAW_NAT");
    w.zeros(2).u16(a.flags);
    const presentAt = w.length;
    w.u16(0);
    let present = 0;
    if (a.rangeAf === "ipv4") {
      if (a.ipv4Min) {
        w.u32(a.ipv4Min);
        present |= NX_NAT_RANGE_IPV4_MIN;
      }
      if (a.ipv4Max) {
        w.u32(a.ipv4Max);
        present |= NX_NAT_RANGE_IPV4_MAX;
      }
    } else if (a.rangeAf === "ipv6") {
      if (!isZero(a.ipv6Min)) {
        w.bytes(a.ipv6Min);
        present |= NX_NAT_RANGE_IPV6_MIN;
      }
      if (!isZero(a.ipv6Max)) {
        w.bytes(a.ipv6Max);
        present |= NX_NAT_RANGE_IPV6_MAX;
      }
    }
    if (a.rangeAf !== "none") {
      if (a.protoMin) {
        w.u16(a.protoMin);
        present |= NX_NAT_RANGE_PROTO_MIN;
      }
      if (a.protoMax) {
        w.u16(a.protoMax);
        present |= NX_NAT_RANGE_PROTO_MAX;
      }
    }
    finishRaw(w, start, 16);
    w.setU16(presentAt, present);
  },
  check(a, cc) {
    const dlType = getDlType(cc.flow);
    if (
      !isDlTypeIpAny(dlType) || (a.rangeAf === "ipv4" && dlType !== ETH_TYPE_IP) ||
      (a.rangeAf === "ipv6" && dlType !== ETH_TYPE_IPV6)
    ) {
      throw new OfpError("OFPBAC_MATCH_INCONSISTENT");
    }
  },
};

function decodeNat(bytes: Uint8Array): OfpactOf<"nat"> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const a = emptyNat();
  a.flags = view.getUint16(12);
  const present = view.getUint16(14);
  const bad = () => new OfpError("OFPBAC_BAD_ARGUMENT");
  if (
    (a.flags & ~NX_NAT_F_MASK) || (a.flags & NX_NAT_F_SRC && a.flags & NX_NAT_F_DST) ||
    (a.flags & NX_NAT_F_PROTO_HASH && a.flags & NX_NAT_F_PROTO_RANDOM)
  ) {
    throw bad();
  }
  let pos = 16;
  const take = (n: number): Uint8Array | undefined => {
    if (bytes.length - pos < n) return undefined;
    const out = bytes.slice(pos, pos + n);
    pos += n;
    return out;
  };
  const u32 = (b: Uint8Array) => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (present & NX_NAT_RANGE_IPV4_MIN) {
    if (present & (NX_NAT_RANGE_IPV6_MIN | NX_NAT_RANGE_IPV6_MAX)) throw bad();
    const min = take(4);
    if (!min || !u32(min)) throw bad();
    a.ipv4Min = u32(min);
    a.rangeAf = "ipv4";
    if (present & NX_NAT_RANGE_IPV4_MAX) {
      const max = take(4);
      if (!max) throw bad();
      a.ipv4Max = u32(max);
      if (a.ipv4Max < a.ipv4Min) throw bad();
    }
  } else if (present & NX_NAT_RANGE_IPV4_MAX) {
    throw bad();
  } else if (present & NX_NAT_RANGE_IPV6_MIN) {
    const min = take(16);
    if (!min || isZero(min)) throw bad();
    a.ipv6Min = min;
    a.rangeAf = "ipv6";
    if (present & NX_NAT_RANGE_IPV6_MAX) {
      const max = take(16);
      if (!max) throw bad();
      a.ipv6Max = max;
      if (compareBytes(max, min) < 0) throw bad();
    }
  } else if (present & NX_NAT_RANGE_IPV6_MAX) {
    throw bad();
  }
  if (present & NX_NAT_RANGE_PROTO_MIN) {
    if (a.rangeAf === "none") throw bad();
    const min = take(2);
    if (!min || (min[0] === 0 && min[1] === 0)) throw bad();
    a.protoMin = (min[0]! << 8) | min[1]!;
    if (present & NX_NAT_RANGE_PROTO_MAX) {
      const max = take(2);
      if (!max) throw bad();
      a.protoMax = (max[0]! << 8) | max[1]!;
      if (a.protoMax < a.protoMin) throw bad();
    }
  } else if (present & NX_NAT_RANGE_PROTO_MAX) {
    throw bad();
  }
  return a;
}

// ---- ct ----

const parseCt: Parser = (arg, ps) => {
  const a: OfpactOf<"ct"> = {
    type: "ct",
    flags: 0,
    zoneImm: 0,
    zoneSrc: undefined,
    alg: 0,
    recircTable: NX_CT_RECIRC_NONE,
    actions: [],
  };
  const kv = new KeyValueScanner(arg);
  for (let e = kv.next(); e; e = kv.next()) {
    const { key, value } = e;
    if (key === "commit") {
      a.flags |= NX_CT_F_COMMIT;
    } else if (key === "force") {
      a.flags |= NX_CT_F_FORCE;
    } else if (key === "table") {
      const table = tableFromString(value, ps.tableMap);
      if (table === undefined) throw new ParseError(`unknown table ${value}`);
      if (table === NX_CT_RECIRC_NONE) throw new ParseError("invalid table 0xff");
      a.recircTable = table;
    } else if (key === "zone") {
      try {
        a.zoneImm = strToU16(value, "zone");
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        a.zoneSrc = parseSubfield(value);
      }
    } else if (key === "alg") {
      if (value === "ftp") a.alg = IPPORT_FTP;
      else if (value === "tftp") a.alg = IPPORT_TFTP;
      else throw new ParseError(`invalid conntrack helper "${value}"`);
    } else if (key === "nat") {
      a.actions.push(parseNat(value, ps));
    } else if (key === "exec") {
      const outerUsable = ps.usable;
      const nested = ps.parseNested(value, "ct", true);
      ps.usable &= outerUsable;
      a.actions.push(...nested);
    } else {
      throw new ParseError(`invalid argument to "ct" action: \`${key}'`);
    }
  }
  if (a.flags & NX_CT_F_FORCE && !(a.flags & NX_CT_F_COMMIT)) {
    throw new ParseError(`"force" flag requires "commit" flag.`);
  }
  return a;
};

const ct: ActionKind<"ct"> = {
  name: "ct",
  format(a, fc) {
    let s = "ct(";
    if (a.flags & NX_CT_F_COMMIT) s += "commit,";
    if (a.flags & NX_CT_F_FORCE) s += "force,";
    if (a.recircTable !== NX_CT_RECIRC_NONE) {
      s += `table=${formatTable(a.recircTable, fc.tableMap)},`;
    }
    if (a.zoneSrc) s += `zone=${formatSubfield(a.zoneSrc)},`;
    else if (a.zoneImm) s += `zone=${a.zoneImm},`;
    let rest: Ofpact[] = a.actions;
    const first = rest[0];
    if (first?.type === "nat") {
      s += formatNat(first) + ",";
      rest = rest.slice(1);
    }
    if (rest.length) s += `exec(${fc.formatList(rest)}),`;
    if (a.alg === IPPORT_FTP) s += "alg=ftp,";
    else if (a.alg === IPPORT_TFTP) s += "alg=tftp,";
    else if (a.alg) s += `alg=${a.alg},`;
    if (s.endsWith(",")) s = s.slice(0, -1);
    return s + ")";
  },
  encode(a, version, w, ec) {
    const start = startRaw(w, version, "NXAST_RAW_CT");
    w.u16(a.flags);
    if (a.zoneSrc) {
      w.u32(nxmHeader32(a.zoneSrc.field)).u16(encodeOfsNbits(a.zoneSrc.ofs, a.zoneSrc.nBits));
    } else {
      w.u32(0).u16(a.zoneImm);
    }
    w.u8(a.recircTable).zeros(3).u16(a.alg);
    ec.encodeList(a.actions, version, w);
    w.setU16(start + 2, w.length - start);
  },
  check(a, cc) {
    const ctState = cc.flow[W_CT_STATE]!;
    if (
      !isDlTypeIpAny(getDlType(cc.flow)) ||
      (ctState & CS_INVALID && a.flags & NX_CT_F_COMMIT) ||
      (a.alg === IPPORT_FTP && nwProto(cc.flow) !== IPPROTO_TCP) ||
      (a.alg === IPPORT_TFTP && nwProto(cc.flow) !== IPPROTO_UDP)
    ) {
      // Datapath flow installation would fail, so this is a hard error even for OpenFlow 1.0.
      throw new OfpError("OFPBAC_MATCH_INCONSISTENT");
    }
    if (a.zoneSrc) {
      checkSrc(a.zoneSrc, matchView(cc));
      return;
    }
    cc.checkNested(a.actions, true);
  },
};

const ctClear: ActionKind<"ct_clear"> = {
  name: "ct_clear",
  format: () => "ct_clear",
  encode(_a, version, w) {
    putRaw(w, version, "NXAST_RAW_CT_CLEAR");
  },
  check() {},
};

const raws: RawDef[] = [
  {
    id: "NXAST_RAW_CT",
    spots: [nx(1, 6, 35)],
    body: { kind: "struct", size: 24, variable: true },
    decode({ bytes, decodeNested }) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const flags = view.getUint16(10);
      if (flags & NX_CT_F_FORCE && !(flags & NX_CT_F_COMMIT)) {
        throw new OfpError("OFPBAC_BAD_ARGUMENT");
      }
      const zoneHeader = view.getUint32(12);
      let zoneSrc;
      let zoneImm = 0;
      if (zoneHeader) {
        const field = fieldFromHeader32(zoneHeader);
        if (!field) throw new OfpError("OFPBAC_BAD_SET_TYPE");
        zoneSrc = { field, ...decodeOfsNbits(view.getUint16(16)) };
        checkSrc(zoneSrc, undefined);
        if (zoneSrc.nBits !== 16) {
          actionsWarn(`zone n_bits ${zoneSrc.nBits} not within valid range [16..16]`);
          throw new OfpError("OFPBAC_BAD_SET_LEN");
        }
      } else {
        zoneImm = view.getUint16(16);
      }
      const actions = decodeNested(bytes.subarray(24), "ct");
      if (actions.length && !(flags & NX_CT_F_COMMIT)) {
        for (const n of actions) {
          if (n.type !== "nat" || n.flags || n.rangeAf !== "none") {
            actionsWarn(
              "CT action requires commit flag if actions other than NAT without arguments " +
                "are specified.",
            );
            throw new OfpError("OFPBAC_BAD_ARGUMENT");
          }
        }
      }
      return {
        type: "ct",
        flags,
        zoneImm,
        zoneSrc,
        alg: view.getUint16(22),
        recircTable: bytes[18]!,
        actions,
      };
    },
  },
  {
    id: "NXAST_RAW_CT_CLEAR",
    spots: [nx(1, 6, 43)],
    body: { kind: "void" },
    decode: () => ({ type: "ct_clear" }),
  },
  {
    id: "NXAST_RAW_NAT",
    spots: [nx(1, 6, 36)],
    body: { kind: "struct", size: 16, variable: true },
    decode: ({ bytes }) => decodeNat(bytes),
  },
];

export const ctFamily: Family = {
  kinds: { ct, ct_clear: ctClear, nat },
  keywords: { ct: parseCt, ct_clear: () => ({ type: "ct_clear" }), nat: parseNat },
  raws,
};
