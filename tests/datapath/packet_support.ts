// Test support for the packet-level datapath tests: a tiny frame builder (headers as byte
// arrays with correct lengths and checksums), hex helpers, and the real ovs-vswitchd on the
// dummy datapath in a fresh directory for differential tests. Test-only.

import { startOvsdbServer } from "../support/ovsdb.ts";
import { run, type RunResult } from "../support/run.ts";
import { needPrograms } from "../support/skip.ts";
import {
  checksumPartial,
  foldChecksum,
  internetChecksum,
  pseudoHeaderIpv4,
  pseudoHeaderIpv6,
} from "../../core/datapath/checksum.ts";

export const REAL_OVS = needPrograms(
  "ovsdb-server",
  "ovsdb-tool",
  "ovs-vsctl",
  "ovs-vswitchd",
  "ovs-appctl",
  "ovs-ofctl",
);

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function mac(text: string): Uint8Array {
  return new Uint8Array(text.split(":").map((x) => parseInt(x, 16)));
}

export function ip4(text: string): Uint8Array {
  return new Uint8Array(text.split(".").map(Number));
}

export function ip6(text: string): Uint8Array {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const words = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    const v = parseInt(w, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

export function u16(v: number): Uint8Array {
  return new Uint8Array([(v >> 8) & 0xff, v & 0xff]);
}

export function u32(v: number): Uint8Array {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

export function payload(n: number): Uint8Array {
  return new Uint8Array(n).map((_, i) => i & 0xff);
}

export const SRC = "50:54:00:00:00:01";
export const DST = "50:54:00:00:02:00";

export function eth(type: number, dst = DST, src = SRC): Uint8Array {
  return concat(mac(dst), mac(src), u16(type));
}

export function vlan(tpid: number, tci: number): Uint8Array {
  return concat(u16(tpid), u16(tci));
}

export interface Ipv4Options {
  src?: string;
  dst?: string;
  proto?: number;
  tos?: number;
  ttl?: number;
  fragOff?: number;
  options?: Uint8Array;
  totalLength?: number;
}

/** An IPv4 header (with checksum) for `l4` bytes of payload. */
export function ipv4(l4: Uint8Array, o: Ipv4Options = {}): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const ihl = 5 + opts.length / 4;
  const h = concat(
    new Uint8Array([0x40 | ihl, o.tos ?? 0]),
    u16(o.totalLength ?? ihl * 4 + l4.length),
    u16(0x1234),
    u16(o.fragOff ?? 0),
    new Uint8Array([o.ttl ?? 64, o.proto ?? 6]),
    u16(0),
    ip4(o.src ?? "10.0.0.1"),
    ip4(o.dst ?? "10.0.0.2"),
    opts,
  );
  const c = internetChecksum(h, 0, h.length);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return h;
}

export interface Ipv6Options {
  src?: string;
  dst?: string;
  next?: number;
  tclass?: number;
  label?: number;
  hlimit?: number;
  payloadLength?: number;
}

export function ipv6(rest: Uint8Array, o: Ipv6Options = {}): Uint8Array {
  return concat(
    u32(((6 << 28) | ((o.tclass ?? 0) << 20) | (o.label ?? 0)) >>> 0),
    u16(o.payloadLength ?? rest.length),
    new Uint8Array([o.next ?? 6, o.hlimit ?? 64]),
    ip6(o.src ?? "2001:db8::1"),
    ip6(o.dst ?? "2001:db8::2"),
  );
}

export function tcp(
  src: number,
  dst: number,
  flags = 0x10,
  data: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return concat(
    u16(src),
    u16(dst),
    u32(1),
    u32(2),
    u16((5 << 12) | flags),
    u16(1024),
    u16(0),
    u16(0),
    data,
  );
}

export function udp(src: number, dst: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(u16(src), u16(dst), u16(8 + data.length), u16(0), data);
}

/** Fills the TCP/UDP/ICMPv6 checksum of `l4` (at `csumAt`) under the IP header `l3`. */
export function withL4Checksum(
  l3: Uint8Array,
  l4: Uint8Array,
  proto: number,
  csumAt: number,
): Uint8Array {
  const both = concat(l3, l4);
  const isV6 = (l3[0]! >> 4) === 6;
  const pseudo = isV6
    ? pseudoHeaderIpv6(both, 0, proto, l4.length)
    : pseudoHeaderIpv4(both, 0, proto, l4.length);
  const out = l4.slice();
  out[csumAt] = 0;
  out[csumAt + 1] = 0;
  const c = foldChecksum(checksumPartial(out, 0, out.length, pseudo));
  out[csumAt] = c >> 8;
  out[csumAt + 1] = c & 0xff;
  return out;
}

/** An Ethernet/IPv4/TCP frame with right checksums. */
export function tcp4Frame(o: Ipv4Options = {}, data = payload(16), flags = 0x18): Uint8Array {
  const seg = tcp(1234, 80, flags, data);
  const l3 = ipv4(seg, { ...o, proto: 6 });
  return concat(eth(0x0800), l3, withL4Checksum(l3, seg, 6, 16));
}

export function udp4Frame(o: Ipv4Options = {}, data = payload(16)): Uint8Array {
  const seg = udp(5000, 53, data);
  const l3 = ipv4(seg, { ...o, proto: 17 });
  return concat(eth(0x0800), l3, withL4Checksum(l3, seg, 17, 6));
}

export function tcp6Frame(o: Ipv6Options = {}, data = payload(16)): Uint8Array {
  const seg = tcp(1234, 80, 0x18, data);
  const l3 = ipv6(seg, { ...o, next: 6 });
  return concat(eth(0x86dd), l3, withL4Checksum(l3, seg, 6, 16));
}

export function udp6Frame(o: Ipv6Options = {}, data = payload(16)): Uint8Array {
  const seg = udp(5000, 53, data);
  const l3 = ipv6(seg, { ...o, next: 17 });
  return concat(eth(0x86dd), l3, withL4Checksum(l3, seg, 17, 6));
}

/** An ICMPv6 neighbor solicitation (135) or advertisement (136) with the given options. */
export function ndFrame(
  type: number,
  target: string,
  options: Uint8Array,
  reserved = 0,
): Uint8Array {
  const msg = concat(new Uint8Array([type, 0, 0, 0]), u32(reserved), ip6(target), options);
  const l3 = ipv6(msg, { next: 58, hlimit: 255 });
  return concat(eth(0x86dd), l3, withL4Checksum(l3, msg, 58, 2));
}

export function lla(type: number, addr: string): Uint8Array {
  return concat(new Uint8Array([type, 1]), mac(addr));
}

export function arp(op: number, sha: string, spa: string, tha: string, tpa: string): Uint8Array {
  return concat(
    u16(1),
    u16(0x0800),
    new Uint8Array([6, 4]),
    u16(op),
    mac(sha),
    ip4(spa),
    mac(tha),
    ip4(tpa),
  );
}

// ---------------------------------------------------------------------------------------------
// The real switch.

export interface RealSwitch {
  dir: string;
  env: Record<string, string>;
  vsctl(...args: string[]): Promise<RunResult>;
  appctl(...args: string[]): Promise<RunResult>;
  ofctl(...args: string[]): Promise<RunResult>;
  stop(): Promise<void>;
}

/**
 * The real ovs-vswitchd --enable-dummy in a fresh directory with bridge br0 (dummy datapath,
 * fail-mode secure) and dummy ports p1 (ofport 1) and p2 (ofport 2, tx_pcap p2-tx.pcap).
 */
export async function startRealSwitch(): Promise<RealSwitch> {
  const server = await startOvsdbServer("real");
  const env = server.env;
  const vsctl = (...args: string[]) => run("ovs-vsctl", ["--timeout=10", ...args], env);
  const init = await run("ovs-vsctl", ["--no-wait", "init"], env);
  if (init.code !== 0) throw new Error(init.stderr);
  const started = await run("ovs-vswitchd", [
    "--enable-dummy",
    "--disable-system",
    "--disable-system-route",
    "--detach",
    "--no-chdir",
    "--pidfile",
    "--log-file",
    "-vconsole:off",
  ], env);
  if (started.code !== 0) throw new Error(started.stderr);
  const dir = server.dir;
  const added = await vsctl(
    "add-br",
    "br0",
    "--",
    "set",
    "bridge",
    "br0",
    "datapath-type=dummy",
    "fail-mode=secure",
    "--",
    "add-port",
    "br0",
    "p1",
    "--",
    "set",
    "Interface",
    "p1",
    "type=dummy",
    "ofport_request=1",
    "--",
    "add-port",
    "br0",
    "p2",
    "--",
    "set",
    "Interface",
    "p2",
    "type=dummy",
    "ofport_request=2",
    `options:tx_pcap=${dir}/p2-tx.pcap`,
  );
  if (added.code !== 0) throw new Error(added.stderr);
  return {
    dir,
    env,
    vsctl,
    appctl: (...args) => run("ovs-appctl", ["--timeout=10", ...args], env),
    ofctl: (...args) => run("ovs-ofctl", args, env),
    async stop() {
      await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], env);
      await server.stop();
    },
  };
}
