// The host's IPv4 routes and neighbours as upstream's Linux netdev reads them for in-band
// control: netdev_linux_get_next_hop scans /proc/net/route and takes the first up route whose
// destination covers the address (file order, not longest prefix), and the ARP lookup finds a
// completed neighbour entry (here from /proc/net/arp, as SIOCGARP would). Read-only; throws
// DpError with upstream's errno when nothing matches.

import { DpError } from "./dp_errors.ts";

const RTF_UP = 0x1;
const ATF_COM = 0x2;

/** /proc/net/route writes addresses as host-order hex of the network-order word. */
function procAddress(hex: string): number {
  const n = parseInt(hex, 16) >>> 0;
  return (((n & 0xff) << 24) | ((n >>> 8 & 0xff) << 16) | ((n >>> 16 & 0xff) << 8) |
    (n >>> 24)) >>> 0;
}

function ipNumber(ip: string): number {
  const parts = ip.split(".").map(Number);
  return (((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0);
}

function ipText(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}

/** The gateway ("0.0.0.0" when on-link) and device toward `ip`; DpError ENXIO when none. */
export function nextHop(ip: string, routes = readProc("/proc/net/route")): {
  gateway: string;
  device: string;
} {
  const host = ipNumber(ip);
  for (const line of routes.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = parseInt(f[3]!, 16);
    const dest = procAddress(f[1]!);
    const mask = procAddress(f[7]!);
    if ((flags & RTF_UP) && ((host & mask) >>> 0) === dest) {
      return { gateway: ipText(procAddress(f[2]!)), device: f[0]! };
    }
  }
  throw new DpError("ENXIO");
}

/** The MAC of `ip` on `device` from the neighbour table, or undefined when not known. */
export function arpLookup(
  device: string,
  ip: string,
  table = readProc("/proc/net/arp"),
): Uint8Array | undefined {
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[0] !== ip || f[5] !== device) continue;
    if (!(parseInt(f[2]!, 16) & ATF_COM)) continue;
    return new Uint8Array(f[3]!.split(":").map((b) => parseInt(b, 16)));
  }
  return undefined;
}

function readProc(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}
