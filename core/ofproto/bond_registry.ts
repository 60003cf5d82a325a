// Every bond of the process (upstream's all_bonds, a hash map keyed by hash_string of the bond's
// name, whose iteration order bond/show and bond/list follow) and the bond/* command texts that
// work over it: bond/list, bond/show, finding a bond by name for the commands that change one,
// and bond/hash with its hash_mac. Bonds register themselves (bond.ts); this file knows them
// only through the small interface below. Pure apart from the registry.

import { hashBytes, hashUint64Basis } from "./xlate/hash.ts";

/** What the registry and the commands need of a bond. */
export interface RegisteredBond {
  readonly name: string;
  /** bond_print_details. */
  formatDetails(): string;
  /** One line of bond/list. */
  formatListLine(): string;
  setActiveMember(member: string): string;
  setMemberEnabled(member: string, enable: boolean): string;
  migrate(hash: string, member: string): string;
}

/** An error reply of a bond/* command (the text upstream sends). */
export class BondCommandError extends Error {}

const BOND_MASK = 0xff;

/** A chained hash map's iteration order, kept up to date across inserts and removals. */
class HmapOrder<T> {
  #mask = 0;
  #n = 0;
  #buckets: { item: T; hash: number }[][] = [[]];

  insert(item: T, hash: number): void {
    this.#buckets[hash & this.#mask]!.unshift({ item, hash: hash >>> 0 });
    this.#n++;
    if (this.#n >>> 1 > this.#mask) this.#expand();
  }

  remove(item: T): void {
    for (const chain of this.#buckets) {
      const i = chain.findIndex((node) => node.item === item);
      if (i >= 0) {
        chain.splice(i, 1);
        this.#n--;
        return;
      }
    }
  }

  #expand(): void {
    let mask = Math.floor(this.#n / 2);
    for (let s = 1; s < 32; s <<= 1) mask |= mask >>> s;
    mask |= (mask & 1) << 1;
    if (mask <= this.#mask) return;
    const old = this.#buckets;
    this.#mask = mask;
    this.#buckets = Array.from({ length: mask + 1 }, () => []);
    for (const chain of old) {
      for (const node of chain) this.#buckets[node.hash & mask]!.unshift(node);
    }
  }

  *[Symbol.iterator](): Generator<T> {
    for (const chain of this.#buckets) for (const node of chain) yield node.item;
  }
}

const allBonds = new HmapOrder<RegisteredBond>();

function hashString(s: string): number {
  const bytes = new TextEncoder().encode(s);
  return hashBytes(bytes, bytes.length, 0);
}

/** Adds `bond` under its current name (bond_reconfigure when the name is new). */
export function registerBond(bond: RegisteredBond): void {
  allBonds.insert(bond, hashString(bond.name));
}

export function unregisterBond(bond: RegisteredBond): void {
  allBonds.remove(bond);
}

/** hash_mac(mac, vlan, basis): the SLB bucket hash. */
export function hashMac(mac: number, vlan: number, basis: number): number {
  return hashUint64Basis((BigInt(vlan & 0xffff) << 48n) | BigInt(mac), basis);
}

function requireBond(name: string): RegisteredBond {
  for (const bond of allBonds) if (bond.name === name) return bond;
  throw new BondCommandError("no such bond");
}

/** bond/list. */
export function bondListText(): string {
  let out = "bond\ttype\trecircID\tmembers\n";
  for (const bond of allBonds) out += bond.formatListLine();
  return out;
}

/** bond/show [port]. */
export function bondShowText(name: string | undefined): string {
  if (name !== undefined) return requireBond(name).formatDetails();
  let out = "";
  for (const bond of allBonds) out += bond.formatDetails();
  return out;
}

/** The bond named `name`, for bond/set-active-member, enable-member, disable-member, migrate. */
export function bondNamed(name: string): RegisteredBond {
  return requireBond(name);
}

/** ovs_scan's "%u" / "%"SCNu32: leading blanks, an optional sign, digits, the rest ignored. */
function scanUnsigned(text: string): number | undefined {
  const m = /^\s*([+-]?)([0-9]+)/.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2]!) & 0xffffffffn;
  return Number(m[1] === "-" ? (0x100000000n - v) & 0xffffffffn : v);
}

/** bond/hash mac [vlan] [basis]. */
export function bondHashText(macText: string, vlanText?: string, basisText?: string): string {
  let vlan = 0;
  if (vlanText !== undefined) {
    const v = scanUnsigned(vlanText);
    if (v === undefined) throw new BondCommandError("invalid vlan");
    vlan = v;
  }
  let basis = 0;
  if (basisText !== undefined) {
    const v = scanUnsigned(basisText);
    if (v === undefined) throw new BondCommandError("invalid basis");
    basis = v;
  }
  const mac =
    /^\s*([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})/
      .exec(macText);
  if (!mac) throw new BondCommandError("invalid mac");
  let value = 0;
  for (let i = 1; i <= 6; i++) value = value * 256 + parseInt(mac[i]!, 16);
  return String(hashMac(value, vlan, basis) & BOND_MASK);
}
