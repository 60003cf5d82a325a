// Parsing of the key attributes a set(...) action holds, as upstream's parse_odp_key_mask_attr
// reads them: named fields in any order, "/mask" after a value, a field left out wildcarded (a
// mask of all ones where a field is given without one), vlan's bitfields, MPLS label stacks and
// tunnel metadata. Each parser takes the text just past "name(" and returns the attribute and the
// position after its closing parenthesis, or undefined; none throws.

import {
  ATTR_LIST,
  type AttrDesc,
  type FieldDesc,
  type FieldKind,
  FRAG_NAMES,
  type KeyAttr,
  newKeyAttr,
  newTunnelKey,
  TNL_F_KEY,
  TUN_FLAG_NAMES,
  type TunnelKey,
  writeBytesBE,
} from "./odp_key_attr.ts";
import { scanInt, scanIntBig, scanIpv4, scanIpv6, scanLiteral, scanMac } from "./scan.ts";

export interface ParsedAttr {
  attr: KeyAttr;
  end: number;
}

type FieldScan = (s: string, pos: number, key: Uint8Array, mask: Uint8Array, fd: FieldDesc) =>
  | number
  | undefined;

function scanNumberField(
  s: string,
  pos: number,
  key: Uint8Array,
  mask: Uint8Array,
  fd: FieldDesc,
): number | undefined {
  const bits = fd.size * 8;
  const v = scanInt(s, pos, bits);
  if (!v) return undefined;
  writeBytesBE(key, fd.offset, fd.size, v.value);
  if (s[v.end] === "/") {
    const m = scanInt(s, v.end + 1, bits);
    if (!m) return undefined;
    writeBytesBE(mask, fd.offset, fd.size, m.value);
    return m.end;
  }
  mask.fill(0xff, fd.offset, fd.offset + fd.size);
  return v.end;
}

const FIELD_SCANNERS: Record<FieldKind, FieldScan> = {
  eth(s, pos, key, mask, fd) {
    const end = scanMac(s, pos, key, fd.offset);
    if (end === undefined) return undefined;
    if (s[end] === "/") {
      const mEnd = scanMac(s, end + 1, mask, fd.offset);
      if (mEnd !== undefined) return mEnd;
    }
    mask.fill(0xff, fd.offset, fd.offset + 6);
    return end;
  },
  ipv4(s, pos, key, mask, fd) {
    const v = scanIpv4(s, pos);
    if (!v) return undefined;
    writeBytesBE(key, fd.offset, 4, v.value);
    if (s[v.end] === "/") {
      const m = scanIpv4(s, v.end + 1);
      if (m) {
        writeBytesBE(mask, fd.offset, 4, m.value);
        return m.end;
      }
    }
    mask.fill(0xff, fd.offset, fd.offset + 4);
    return v.end;
  },
  in6(s, pos, key, mask, fd) {
    const end = scanIpv6(s, pos, key, fd.offset);
    if (end === undefined) return undefined;
    if (s[end] === "/") {
      const mEnd = scanIpv6(s, end + 1, mask, fd.offset);
      if (mEnd !== undefined) return mEnd;
    }
    mask.fill(0xff, fd.offset, fd.offset + 16);
    return end;
  },
  label(s, pos, key, mask, fd) {
    const v = scanInt(s, pos);
    if (!v || v.value & ~0xfffff) return undefined;
    writeBytesBE(key, fd.offset, 4, v.value);
    if (s[v.end] === "/") {
      const m = scanInt(s, v.end + 1);
      if (m && !(m.value & ~0xfffff)) {
        writeBytesBE(mask, fd.offset, 4, m.value);
        return m.end;
      }
    }
    writeBytesBE(mask, fd.offset, 4, 0xfffff);
    return v.end;
  },
  u8u: scanNumberField,
  u8x: scanNumberField,
  be16: scanNumberField,
  be16x: scanNumberField,
  reserved: scanNumberField,
  frag(s, pos, key, mask, fd) {
    const m = /^[a-z]{1,7}/.exec(s.slice(pos));
    if (!m) return undefined;
    const index = FRAG_NAMES.indexOf(m[0]);
    if (index < 0) return undefined;
    key[fd.offset] = index;
    mask[fd.offset] = 0xff;
    return pos + m[0].length;
  },
};

/** SCAN_BEGIN ... SCAN_FINISH over named fields, in any order. */
function parseFields(desc: AttrDesc, s: string, pos: number): ParsedAttr | undefined {
  const attr = newKeyAttr(desc.name);
  let p = pos;
  for (;;) {
    let matched = false;
    for (const fd of desc.fields) {
      const prefix = fd.name + "=";
      if (s.startsWith(prefix, p)) {
        const end = FIELD_SCANNERS[fd.kind](s, p + prefix.length, attr.key, attr.mask, fd);
        if (end === undefined) return undefined;
        p = end;
        matched = true;
        break;
      }
    }
    const c = s[p++];
    if (!(c === "," && matched)) {
      if (c !== ")") return undefined;
      return { attr, end: p };
    }
  }
}

function parseVlan(s: string, pos: number): ParsedAttr | undefined {
  let tci = 0x1000;
  let mask = 0x1000;
  const bitfields: [string, number, number][] = [["vid=", 12, 0], ["pcp=", 3, 13], ["cfi=", 1, 12]];
  let p = pos;
  for (;;) {
    let matched = false;
    for (const [prefix, bits, shift] of bitfields) {
      if (!s.startsWith(prefix, p)) continue;
      const field = ((1 << bits) - 1) << shift;
      const v = scanInt(s, p + prefix.length, 16);
      if (!v || v.value >> bits) return undefined;
      tci = (tci & ~field) | (v.value << shift);
      p = v.end;
      if (s[p] === "/") {
        const m = scanInt(s, p + 1, 16);
        if (!m || m.value >> bits) return undefined;
        mask = (mask & ~field) | (m.value << shift);
        p = m.end;
      } else {
        mask |= field;
      }
      matched = true;
      break;
    }
    const c = s[p++];
    if (!(c === "," && matched)) {
      if (c !== ")") return undefined;
      const attr = newKeyAttr("vlan");
      writeBytesBE(attr.key, 0, 2, tci);
      writeBytesBE(attr.mask, 0, 2, mask);
      return { attr, end: p };
    }
  }
}

function parseMpls(s: string, pos: number): ParsedAttr | undefined {
  const keys = [0, 0, 0];
  const masks = [0, 0, 0];
  const bitfields: [string, number, number][] = [
    ["label=", 20, 12],
    ["tc=", 3, 9],
    ["ttl=", 8, 0],
    ["bos=", 1, 8],
  ];
  let idx = 0;
  let seen = 0;
  let p = pos;
  for (;;) {
    let matched = false;
    for (let fi = 0; fi < bitfields.length; fi++) {
      const [prefix, bits, shift] = bitfields[fi]!;
      if (!s.startsWith(prefix, p)) continue;
      if (seen & (1 << fi)) {
        seen = 0;
        if (++idx === 3) return undefined;
      }
      const field = (((1 << bits) - 1) << shift) >>> 0;
      const v = scanInt(s, p + prefix.length);
      if (!v || v.value >= 2 ** bits) return undefined;
      keys[idx] = ((keys[idx]! & ~field) | (v.value << shift)) >>> 0;
      p = v.end;
      if (s[p] === "/") {
        const m = scanInt(s, p + 1);
        if (!m || m.value >= 2 ** bits) return undefined;
        masks[idx] = ((masks[idx]! & ~field) | (m.value << shift)) >>> 0;
        p = m.end;
      } else {
        masks[idx] = (masks[idx]! | field) >>> 0;
      }
      seen |= 1 << fi;
      matched = true;
      break;
    }
    const c = s[p++];
    if (!(c === "," && matched)) {
      if (c !== ")") return undefined;
      const attr = newKeyAttr("mpls", idx + 1);
      for (let i = 0; i <= idx; i++) {
        writeBytesBE(attr.key, 4 * i, 4, keys[i]!);
        writeBytesBE(attr.mask, 4 * i, 4, masks[i]!);
      }
      return { attr, end: p };
    }
  }
}

function parseSingle(
  desc: AttrDesc,
  s: string,
  pos: number,
  portNames?: ReadonlyMap<string, number>,
): ParsedAttr | undefined {
  const attr = newKeyAttr(desc.name);
  const bits = desc.size * 8;
  const v = scanInt(s, pos, bits);
  let p: number;
  if (v) {
    writeBytesBE(attr.key, 0, desc.size, v.value);
    p = v.end;
    if (!desc.fullyMasked && s[p] === "/") {
      const m = scanInt(s, p + 1, bits);
      if (!m) return undefined;
      writeBytesBE(attr.mask, 0, desc.size, m.value);
      p = m.end;
    } else {
      attr.mask.fill(0xff);
    }
  } else if (desc.shape === "port" && portNames) {
    const close = s.indexOf(")", pos);
    const name = s.slice(pos, close < 0 ? s.length : close);
    const port = portNames.get(name);
    if (port === undefined) return undefined;
    writeBytesBE(attr.key, 0, 4, port);
    attr.mask.fill(0xff);
    p = pos + name.length;
  } else {
    return undefined;
  }
  if (s[p] !== ")") return undefined;
  return { attr, end: p + 1 };
}

function parseTunnel(s: string, pos: number): ParsedAttr | undefined {
  const t = newTunnelKey();
  let p = pos;
  const readIpv4 = (set: (v: number) => void) => {
    const v = scanIpv4(s, p);
    if (!v) return false;
    set(v.value);
    p = v.end;
    return true;
  };
  const readInt = (bits: number, set: (v: number) => void) => {
    const v = scanInt(s, p, bits);
    if (!v) return false;
    set(v.value);
    p = v.end;
    return true;
  };
  for (;;) {
    let ok = true;
    let matched = true;
    if (s.startsWith("tun_id=", p)) {
      p += 7;
      const v = scanIntBig(s, p, 64);
      ok = v !== undefined;
      if (v) {
        t.tunId = v.value;
        t.flags |= TNL_F_KEY;
        p = v.end;
      }
    } else if (s.startsWith("src=", p)) {
      p += 4;
      ok = readIpv4((v) => t.ipv4Src = v);
    } else if (s.startsWith("dst=", p)) {
      p += 4;
      ok = readIpv4((v) => t.ipv4Dst = v);
    } else if (s.startsWith("ipv6_src=", p) || s.startsWith("ipv6_dst=", p)) {
      const target = s.startsWith("ipv6_src=", p) ? t.ipv6Src : t.ipv6Dst;
      const end = scanIpv6(s, p + 9, target);
      ok = end !== undefined;
      if (end !== undefined) p = end;
    } else if (s.startsWith("tos=", p)) {
      p += 4;
      ok = readInt(8, (v) => t.tos = v);
    } else if (s.startsWith("ttl=", p)) {
      p += 4;
      ok = readInt(8, (v) => t.ttl = v);
    } else if (s.startsWith("tp_src=", p)) {
      p += 7;
      ok = readInt(16, (v) => t.tpSrc = v);
    } else if (s.startsWith("tp_dst=", p)) {
      p += 7;
      ok = readInt(16, (v) => t.tpDst = v);
    } else if (s.startsWith("vxlan(gbp(", p)) {
      p += 10;
      if (s.startsWith("id=", p)) {
        p += 3;
        ok = readInt(16, (v) => t.gbpId = v);
      }
      if (s[p] === ",") p++;
      if (ok && s.startsWith("flags=", p)) {
        p += 6;
        ok = readInt(8, (v) => t.gbpFlags = v);
      }
      ok = ok && s.startsWith("))", p);
      p += 2;
    } else if (s.startsWith("erspan(", p)) {
      p += 7;
      ok = parseErspan(s, p, t, (end) => p = end);
    } else if (s.startsWith("flags(", p)) {
      p += 6;
      const close = s.indexOf(")", p);
      if (close < 0) return undefined;
      for (const name of s.slice(p, close).split(/[|,]/).filter((x) => x !== "")) {
        const bit = TUN_FLAG_NAMES.find(([, n]) => n === name);
        if (!bit) return undefined;
        if (bit[0] !== TNL_F_KEY) t.flags |= bit[0];
      }
      p = close + 1;
    } else {
      matched = false;
    }
    if (!ok) return undefined;
    const c = s[p++];
    if (!(c === "," && matched)) {
      if (c !== ")") return undefined;
      return { attr: { name: "tunnel", tunnel: t }, end: p };
    }
  }
}

function parseErspan(s: string, pos: number, t: TunnelKey, done: (end: number) => void): boolean {
  let p = pos;
  const read = (prefix: string, bits: number): number | undefined => {
    if (!s.startsWith(prefix, p)) return 0;
    const v = scanInt(s, p + prefix.length, bits);
    if (!v) return undefined;
    p = v.end;
    return v.value;
  };
  const ver = read("ver=", 8);
  if (ver === undefined) return false;
  if (s[p] === ",") p++;
  if (ver === 1) {
    const idx = read("idx=", 32);
    if (idx === undefined) return false;
    t.erspanIdx = idx;
  } else if (ver === 2) {
    const dir = read("dir=", 8);
    if (dir === undefined) return false;
    if (s[p] === ",") p++;
    const hwid = read("hwid=", 8);
    if (hwid === undefined) return false;
    t.erspanDir = dir;
    t.erspanHwid = hwid;
  } else {
    return false;
  }
  if (s[p] !== ")") return false;
  t.erspanVer = ver;
  done(p + 1);
  return true;
}

/** Parses one attribute (`ipv4(...)`, `tunnel(...)`, ...) at `pos`. */
export function parseKeyAttr(
  s: string,
  pos: number,
  portNames?: ReadonlyMap<string, number>,
): ParsedAttr | undefined {
  if (scanLiteral(s, pos, "tunnel(") !== undefined) return parseTunnel(s, pos + 7);
  for (const desc of ATTR_LIST) {
    const open = desc.name + "(";
    if (!s.startsWith(open, pos)) continue;
    const p = pos + open.length;
    switch (desc.shape) {
      case "fields":
        return parseFields(desc, s, p);
      case "vlan":
        return parseVlan(s, p);
      case "mpls":
        return parseMpls(s, p);
      default:
        return parseSingle(desc, s, p, portNames);
    }
  }
  return undefined;
}
