// What a packet costs on an AF_PACKET socket from Deno: sendmmsg and recvmmsg per packet at batch
// sizes 1, 8 and 32 (sys_packet.ts, what the system netdev uses), and receiving what trafgen
// sends on a veth pair with recvmmsg against a TPACKET_V3 mmap ring read from JavaScript.
// Needs root and trafgen (netsniff-ng). Usage: deno run -A bench/afpacket_bench.ts [N]

import { Packet } from "../core/datapath/packet.ts";
import { interfaceIndex } from "../core/datapath/sys_link.ts";
import { PacketSocket } from "../core/datapath/sys_packet.ts";
import {
  AF_PACKET,
  closeFd,
  errno,
  ETH_P_ALL,
  Mem,
  openSocket,
  PollSet,
  setIntOption,
  SOCK_RAW,
  SOL_PACKET,
  sys,
} from "../core/datapath/sys_socket.ts";

const N = Number(Deno.args[0] ?? 200000);
const tag = Deno.pid.toString(36);
const A = `ab${tag}a`;
const B = `ab${tag}b`;

function ip(...args: string[]): void {
  const r = new Deno.Command("ip", { args, stderr: "piped" }).outputSync();
  if (r.code !== 0) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
}

function udpFrame(): Uint8Array {
  const f = new Uint8Array(60);
  f.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
  f.set([0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 199, 3, 1, 10, 199, 3, 2], 14);
  f.set([0x03, 0xe8, 0x07, 0xd0, 0, 26, 0, 0], 34);
  return f;
}

function cpuSeconds(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function fill(sender: PacketSocket, batch: number): number {
  const frame = udpFrame();
  const packets = Array.from({ length: batch }, () => {
    const p = new Packet(2048);
    p.setFrame(frame);
    return p;
  });
  const t = performance.now();
  for (let sent = 0; sent < N; sent += batch) sender.transmit(packets, 0, batch);
  return (performance.now() - t) * 1e6 / N;
}

const SECONDS = 3;

/** Starts trafgen on B (one CPU) sending 64-byte UDP frames for `SECONDS`. */
function startTrafgen(): Deno.ChildProcess {
  const cfg = Deno.makeTempFileSync({ suffix: ".cfg" });
  Deno.writeTextFileSync(
    cfg,
    "{ eth(da=02:00:00:00:00:02, sa=02:00:00:00:00:01, type=0x0800), " +
      "ipv4(saddr=10.199.3.1, daddr=10.199.3.2, ttl=64), udp(sp=1000, dp=2000), fill(0x00, 18) }\n",
  );
  return new Deno.Command("timeout", {
    args: [String(SECONDS), "trafgen", "-q", "-P", "1", "-C", "-i", cfg, "-o", B],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

interface Live {
  pps: number;
  cpuNs: number;
  got: number;
}

/** Receives for SECONDS what trafgen sends, with `step` doing one poll-and-receive round. */
async function live(fd: number, step: () => number): Promise<Live> {
  const polls = new PollSet(1);
  polls.add(fd);
  const child = startTrafgen();
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  let got = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    if (polls.wait(5) > 0) got += step();
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - cpu0;
  await child.status;
  return { pps: got / wall, cpuNs: cpu * 1e9 / Math.max(got, 1), got };
}

function mmsgStep(receiver: PacketSocket): () => number {
  const packets = Array.from({ length: 32 }, () => new Packet());
  return () => {
    let got = 0;
    for (let n = receiver.receive(packets, 32); n > 0; n = receiver.receive(packets, 32)) got += n;
    return got;
  };
}

/** A TPACKET_V3 receive ring read from JavaScript, copying each frame into a Packet. */
function openRing(): { fd: number; step: () => number; close(): void } {
  const s = sys();
  const fd = openSocket(AF_PACKET, SOCK_RAW, 0);
  const TPACKET_V3 = 2;
  const PACKET_VERSION = 10;
  const PACKET_RX_RING = 5;
  if (setIntOption(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3)) throw new Error("TPACKET_V3");
  const blockSize = 1 << 18;
  const blocks = 64;
  const req = new Mem(32);
  req.view.setUint32(0, blockSize, true);
  req.view.setUint32(4, blocks, true);
  req.view.setUint32(8, 2048, true);
  req.view.setUint32(12, (blockSize / 2048) * blocks, true);
  req.view.setUint32(16, 1, true); // retire a partly filled block after 1 ms
  if (s.setsockopt(fd, SOL_PACKET, PACKET_RX_RING, req.ptr, 28) < 0) {
    throw new Error(`PACKET_RX_RING errno ${errno()}`);
  }
  const size = blockSize * blocks;
  const map = s.mmap(null, BigInt(size), 3, 1, fd, 0n);
  if (map === null) throw new Error("mmap");
  const ring = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(map, size));
  const view = new DataView(ring.buffer);
  const addr = new Mem(32);
  addr.view.setUint16(0, AF_PACKET, true);
  addr.view.setUint16(2, ETH_P_ALL, false);
  addr.view.setInt32(4, interfaceIndex(A), true);
  if (s.bind(fd, addr.ptr, 20) < 0) throw new Error("bind");
  const packets = Array.from({ length: 32 }, () => new Packet());
  let block = 0;
  const step = () => {
    let got = 0;
    for (;;) {
      const b = block * blockSize;
      if (!(view.getUint32(b + 8, true) & 1)) break; // TP_STATUS_USER
      const count = view.getUint32(b + 12, true);
      let at = b + view.getUint32(b + 16, true);
      for (let i = 0; i < count; i++) {
        const snaplen = view.getUint32(at + 12, true);
        const mac = view.getUint16(at + 24, true);
        const p = packets[got & 31]!;
        p.reset();
        p.buffer.set(ring.subarray(at + mac, at + mac + snaplen), p.start);
        p.length = snaplen;
        got++;
        at += view.getUint32(at, true);
      }
      view.setUint32(b + 8, 0, true);
      block = (block + 1) % blocks;
    }
    return got;
  };
  return {
    fd,
    step,
    close() {
      s.munmap(map, BigInt(size));
      closeFd(fd);
    },
  };
}

ip("link", "add", A, "type", "veth", "peer", "name", B);
try {
  for (const d of [A, B]) {
    Deno.writeTextFileSync(`/proc/sys/net/ipv6/conf/${d}/disable_ipv6`, "1");
    ip("link", "set", d, "up");
  }
  const sender = new PacketSocket(interfaceIndex(B), { vnetHdr: true, receiveNone: true });
  console.log(`send: ${N} frames of 64 bytes into a veth whose peer drops them, ns per frame:`);
  for (const batch of [1, 8, 32]) {
    const cpu0 = cpuSeconds();
    const send = fill(sender, batch);
    const cpu = ((cpuSeconds() - cpu0) * 1e9 / N).toFixed(0);
    console.log(
      `  sendmmsg batch ${String(batch).padStart(2)}: ${send.toFixed(0)} ns (cpu ${cpu})`,
    );
  }
  sender.close();
  console.log(`receive: trafgen on one CPU for ${SECONDS} s, 64-byte frames:`);
  const receiver = new PacketSocket(interfaceIndex(A), { vnetHdr: true });
  const m = await live(receiver.fd, mmsgStep(receiver));
  receiver.close();
  console.log(
    `  recvmmsg batch 32: ${(m.pps / 1000).toFixed(0)} kpps, cpu ${m.cpuNs.toFixed(0)} ns/frame`,
  );
  const ring = openRing();
  const r = await live(ring.fd, ring.step);
  ring.close();
  console.log(
    `  TPACKET_V3 ring:   ${(r.pps / 1000).toFixed(0)} kpps, cpu ${r.cpuNs.toFixed(0)} ns/frame`,
  );
} finally {
  ip("link", "del", A);
}
