// Test support for the classifier tests and bench: a deterministic random source, a small reader
// for the match text of upstream's classifier tests (the fields they use, in ovs-ofctl syntax),
// and a readable dump of flow words. Not the project's flow parser: only what these tests need.

import { FLOW_WORDS, type FlowWords } from "../../core/datapath/flow.ts";
import { type Field, fieldByName, writeField } from "../../core/ofproto/fields.ts";
import { Match } from "../../core/ofproto/match.ts";

/** xorshift32: the same sequence for the same seed. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = (seed * 2654435761) >>> 0 || 1;
  }
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }
  /** 0 <= n < limit. */
  int(limit: number): number {
    return this.next() % limit;
  }
  /** A random value of `bits` bits. */
  bits(bits: number): number {
    return bits >= 32 ? this.next() : this.next() & ((1 << bits) - 1);
  }
}

const PROTOCOLS: Record<string, [number, number | undefined]> = {
  ip: [0x0800, undefined],
  ipv6: [0x86dd, undefined],
  arp: [0x0806, undefined],
  tcp: [0x0800, 6],
  udp: [0x0800, 17],
  icmp: [0x0800, 1],
  tcp6: [0x86dd, 6],
  udp6: [0x86dd, 17],
  icmp6: [0x86dd, 58],
};

/** nw_frag's words as upstream prints them: value and mask of the two fragment bits. */
const FRAGS: Record<string, [bigint, bigint]> = {
  no: [0n, 3n],
  yes: [1n, 1n],
  first: [1n, 3n],
  later: [3n, 3n],
  not_later: [0n, 2n],
};

const TCP_FLAGS: Record<string, number> = {
  fin: 0x001,
  syn: 0x002,
  rst: 0x004,
  psh: 0x008,
  ack: 0x010,
  urg: 0x020,
  ece: 0x040,
  cwr: 0x080,
  ns: 0x100,
};

function bytesOf(value: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

function prefixBig(len: number, bits: number): bigint {
  return len === 0 ? 0n : ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - len)) - 1n);
}

function parseIpv4(text: string): bigint {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) {
    throw new SyntaxError(`bad IPv4 ${text}`);
  }
  return BigInt(((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0);
}

function parseIpv6(text: string): bigint {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups = tail === undefined
    ? left
    : [...left, ...new Array<string>(8 - left.length - right.length).fill("0"), ...right];
  if (groups.length !== 8) throw new SyntaxError(`bad IPv6 ${text}`);
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  return v;
}

function parseMac(text: string): bigint {
  return BigInt("0x" + text.split(":").join(""));
}

/** The field's value and mask from text in the field's syntax. */
function parseValue(f: Field, text: string): [bigint, bigint] {
  const bits = f.nBytes * 8;
  const all = (1n << BigInt(bits)) - 1n;
  const [v, m] = text.split("/") as [string, string | undefined];
  if (f.format === "ipv4") {
    const value = parseIpv4(v);
    if (m === undefined) return [value, all];
    return [value, m.includes(".") ? parseIpv4(m) : prefixBig(Number(m), 32)];
  }
  if (f.format === "ipv6") {
    const value = parseIpv6(v);
    if (m === undefined) return [value, all];
    return [value, m.includes(":") ? parseIpv6(m) : prefixBig(Number(m), 128)];
  }
  if (f.format === "ethernet") {
    return [parseMac(v), m === undefined ? all : parseMac(m)];
  }
  if (f.format === "tcp_flags") {
    if (/^[+-]/.test(v)) {
      let value = 0n;
      let mask = 0n;
      for (const [, sign, name] of v.matchAll(/([+-])([a-z]+)/g)) {
        const bit = BigInt(TCP_FLAGS[name!]!);
        mask |= bit;
        if (sign === "+") value |= bit;
      }
      return [value, mask];
    }
    let value = 0n;
    for (const name of v.split("|")) value |= BigInt(TCP_FLAGS[name]!);
    return [value, 0xfffn];
  }
  return [BigInt(v), m === undefined ? all : BigInt(m)];
}

/**
 * A match from ovs-ofctl-style text ("in_port=1,tcp,nw_dst=10.0.0.0/8"). With `implyEthernet`,
 * matching any field beyond metadata also matches packet_type=Ethernet, as OpenFlow matches do
 * (upstream's match_add_ethernet_prereq).
 */
export function parseMatch(text: string, implyEthernet = false): Match {
  const match = new Match();
  let ethernet = false;
  const set = (f: Field, value: bigint, mask: bigint) => {
    match.set(f, bytesOf(value, f.nBytes), bytesOf(mask, f.nBytes));
    if (f.prerequisite !== "none") ethernet = true;
  };
  for (const token of text.split(",").map((t) => t.trim()).filter((t) => t !== "")) {
    if (token === "eth") {
      set(fieldByName("packet_type")!, 0n, 0xffffffffn);
      continue;
    }
    const frag = /^(?:nw_frag|ip_frag)=(\w+)$/.exec(token);
    if (frag) {
      const [value, mask] = FRAGS[frag[1]!] ?? [0n, 0n];
      set(fieldByName("ip_frag")!, value, mask);
      continue;
    }
    const proto = PROTOCOLS[token];
    if (proto) {
      set(fieldByName("dl_type")!, BigInt(proto[0]), 0xffffn);
      if (proto[1] !== undefined) set(fieldByName("nw_proto")!, BigInt(proto[1]), 0xffn);
      continue;
    }
    const eq = token.indexOf("=");
    if (eq < 0) throw new SyntaxError(`bad token ${token}`);
    const name = token.slice(0, eq);
    const f = fieldByName(
      name === "icmpv6_type" ? "icmp_type" : name === "icmpv6_code" ? "icmp_code" : name,
    );
    if (!f) throw new SyntaxError(`unknown field ${name}`);
    const [value, mask] = parseValue(f, token.slice(eq + 1));
    set(f, value & mask, mask);
  }
  if (implyEthernet && ethernet) set(fieldByName("packet_type")!, 0n, 0xffffffffn);
  return match;
}

/** Nonzero words as "index:value[/mask]", for readable failures. */
export function describeWords(flow: FlowWords, mask?: FlowWords): string {
  const parts: string[] = [];
  for (let i = 0; i < FLOW_WORDS; i++) {
    const m = mask ? mask[i]! : 0xffffffff;
    if (m === 0 || (!mask && flow[i] === 0)) continue;
    const v = (flow[i]! & m) >>> 0;
    parts.push(mask ? `${i}:${v.toString(16)}/${m.toString(16)}` : `${i}:${v.toString(16)}`);
  }
  return parts.join(" ");
}

/** Writes a field of a flow from text, for flows built by hand. */
export function setFlowField(flow: FlowWords, name: string, text: string): void {
  const f = fieldByName(name);
  if (!f) throw new SyntaxError(`unknown field ${name}`);
  writeField(flow, f, bytesOf(parseValue(f, text)[0], f.nBytes));
}
