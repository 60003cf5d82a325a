// The Link Aggregation Control Protocol (IEEE 802.1AX, upstream's lib/lacp.c): one Lacp per
// bonded Port with `lacp=active|passive`, its members (the Port's interfaces) with their
// partner information, the current/expired/defaulted receive machine with fast (1 s) or slow
// (30 s) transmit periods and three periods of receive timeout, the choice of the aggregator
// (which members are attached), and the PDUs it exchanges (110 bytes after the Ethernet header,
// one field table driving encode and decode). Also the `lacp/show` and `lacp/show-stats` texts,
// exactly as upstream prints them, over a process-wide registry in creation order.
//
// Promises: time comes only from the injected clock (the daemon's, so `time/warp` drives the
// timers); `run()` sends through the callback it is given and never re-enters itself; a
// malformed PDU is counted and ignored, never thrown. Knows members only as opaque handles; it
// does not decide whether a bond member is enabled (bond.ts does, from `memberMayEnable`).

import { RateLimit, vlogModule } from "../net/vlog.ts";
import { formatMac } from "./mac_learning.ts";

const log = vlogModule("lacp");
const rxRl = new RateLimit(1, 5);
const loopbackRl = new RateLimit(1, 10);

/** Actor/partner state bits. */
export const LACP_STATE_ACT = 0x01;
export const LACP_STATE_TIME = 0x02;
export const LACP_STATE_AGG = 0x04;
export const LACP_STATE_SYNC = 0x08;
export const LACP_STATE_COL = 0x10;
export const LACP_STATE_DIST = 0x20;
export const LACP_STATE_DEF = 0x40;
export const LACP_STATE_EXP = 0x80;

export const LACP_FAST_TIME_TX = 1000;
export const LACP_SLOW_TIME_TX = 30000;
const LACP_RX_MULTIPLIER = 3;

/** The slow-protocols destination and Ethertype LACP PDUs travel with. */
export const ETH_ADDR_LACP = new Uint8Array([0x01, 0x80, 0xc2, 0x00, 0x00, 0x02]);
export const ETH_TYPE_LACP = 0x8809;
export const LACP_PDU_LEN = 110;

/** lacp_status (the bond asks for it; "off" when a Port has no LACP). */
export type LacpStatus = "negotiated" | "configured" | "off";

export interface LacpSettings {
  name: string;
  /** System ID, six bytes, nonzero. */
  sysId: Uint8Array;
  sysPriority: number;
  active: boolean;
  fast: boolean;
  fallbackAb: boolean;
}

export interface LacpMemberSettings {
  name: string;
  portId: number;
  portPriority: number;
  /** Aggregation key, 0 for the default (the key member's port ID). */
  key: number;
}

/** struct lacp_info: one side's identity and state, 15 bytes on the wire. */
export interface LacpInfo {
  sysPriority: number;
  sysId: Uint8Array;
  key: number;
  portPriority: number;
  portId: number;
  state: number;
}

function zeroInfo(): LacpInfo {
  return { sysPriority: 0, sysId: new Uint8Array(6), key: 0, portPriority: 0, portId: 0, state: 0 };
}

function copyInfo(info: LacpInfo): LacpInfo {
  return { ...info, sysId: info.sysId.slice() };
}

// ---- PDU codec: one table for lacp_info, one for the PDU around it ----

type InfoField = "sysPriority" | "sysId" | "key" | "portPriority" | "portId" | "state";
const INFO_LAYOUT: readonly { field: InfoField; offset: number; size: 1 | 2 | 6 }[] = [
  { field: "sysPriority", offset: 0, size: 2 },
  { field: "sysId", offset: 2, size: 6 },
  { field: "key", offset: 8, size: 2 },
  { field: "portPriority", offset: 10, size: 2 },
  { field: "portId", offset: 12, size: 2 },
  { field: "state", offset: 14, size: 1 },
];

/** The PDU's fixed bytes (type, length) and where the two lacp_info blocks sit. */
const PDU_LAYOUT = {
  subtype: { offset: 0, value: 1 },
  version: { offset: 1, value: 1 },
  actorType: { offset: 2, value: 1 },
  actorLen: { offset: 3, value: 20 },
  actor: 4,
  partnerType: { offset: 22, value: 2 },
  partnerLen: { offset: 23, value: 20 },
  partner: 24,
  collectorType: { offset: 42, value: 3 },
  collectorLen: { offset: 43, value: 16 },
  /** collector_delay (2 bytes) stays 0, as upstream sends it. */
} as const;

const SUBTYPE_LACP = 1;
const SUBTYPE_MARKER = 2;

function encodeInfo(info: LacpInfo, out: Uint8Array, at: number): void {
  for (const { field, offset, size } of INFO_LAYOUT) {
    if (field === "sysId") {
      out.set(info.sysId.subarray(0, 6), at + offset);
    } else if (size === 2) {
      const v = info[field] as number;
      out[at + offset] = (v >>> 8) & 0xff;
      out[at + offset + 1] = v & 0xff;
    } else {
      out[at + offset] = (info[field] as number) & 0xff;
    }
  }
}

function decodeInfo(bytes: Uint8Array, at: number): LacpInfo {
  const info = zeroInfo();
  for (const { field, offset, size } of INFO_LAYOUT) {
    if (field === "sysId") {
      info.sysId = bytes.slice(at + offset, at + offset + 6);
    } else if (size === 2) {
      info[field] = (bytes[at + offset]! << 8) | bytes[at + offset + 1]!;
    } else {
      info[field] = bytes[at + offset]!;
    }
  }
  return info;
}

/** compose_lacp_pdu: the 110 bytes after the Ethernet header. */
export function encodeLacpPdu(actor: LacpInfo, partner: LacpInfo): Uint8Array {
  const pdu = new Uint8Array(LACP_PDU_LEN);
  for (
    const key of [
      "subtype",
      "version",
      "actorType",
      "actorLen",
      "partnerType",
      "partnerLen",
      "collectorType",
      "collectorLen",
    ] as const
  ) {
    pdu[PDU_LAYOUT[key].offset] = PDU_LAYOUT[key].value;
  }
  encodeInfo(actor, pdu, PDU_LAYOUT.actor);
  encodeInfo(partner, pdu, PDU_LAYOUT.partner);
  return pdu;
}

export type ParsedPdu =
  | { subtype: "lacp"; actor: LacpInfo; partner: LacpInfo }
  | { subtype: "marker" }
  | { subtype: "unused" };

/** parse_lacp_packet: `payload` is what follows the Ethernet (and VLAN) header. */
export function decodeLacpPdu(payload: Uint8Array): ParsedPdu {
  if (payload.length < LACP_PDU_LEN) {
    // Upstream needs all 110 bytes before it looks at any of them.
    return { subtype: "unused" };
  }
  const byte = (k: "subtype" | "actorType" | "actorLen" | "partnerType" | "partnerLen") =>
    payload[PDU_LAYOUT[k].offset];
  if (
    byte("subtype") === SUBTYPE_LACP && byte("actorType") === 1 && byte("actorLen") === 20 &&
    byte("partnerType") === 2 && byte("partnerLen") === 20
  ) {
    return {
      subtype: "lacp",
      actor: decodeInfo(payload, PDU_LAYOUT.actor),
      partner: decodeInfo(payload, PDU_LAYOUT.partner),
    };
  }
  return byte("subtype") === SUBTYPE_MARKER ? { subtype: "marker" } : { subtype: "unused" };
}

function infoEquals(a: LacpInfo, b: LacpInfo): boolean {
  return a.sysPriority === b.sysPriority && macEquals(a.sysId, b.sysId) && a.key === b.key &&
    a.portPriority === b.portPriority && a.portId === b.portId && a.state === b.state;
}

function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

function macCompare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function macText(mac: Uint8Array): string {
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + (mac[i] ?? 0);
  return formatMac(v);
}

/**
 * memcmp of two priority infos (struct lacp_info in wire order: sys_priority, sys_id, key,
 * port_priority, port_id, state); the lower is the higher priority.
 */
function compareInfo(a: LacpInfo, b: LacpInfo): number {
  const ea = new Uint8Array(15);
  const eb = new Uint8Array(15);
  encodeInfo(a, ea, 0);
  encodeInfo(b, eb, 0);
  for (let i = 0; i < 15; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return 0;
}

/** info_tx_equal: whether a change between two actor infos needs no PDU. */
function infoTxEqual(a: LacpInfo, b: LacpInfo): boolean {
  const watched = LACP_STATE_ACT | LACP_STATE_TIME | LACP_STATE_SYNC | LACP_STATE_AGG;
  return !((a.state ^ b.state) & watched) && a.portId === b.portId &&
    a.portPriority === b.portPriority && a.key === b.key && a.sysPriority === b.sysPriority &&
    macEquals(a.sysId, b.sysId);
}

/** upstream's struct timer: zero (already expired) until set. */
class Timer {
  at = 0;
  set(now: number, duration: number): void {
    this.at = now + duration;
  }
  expired(now: number): boolean {
    return now >= this.at;
  }
}

type MemberStatus = "current" | "expired" | "defaulted";

class LacpMember<M> {
  portId = 0;
  portPriority = 0;
  key = 0;
  name = "";
  status: MemberStatus = "defaulted";
  attached = false;
  carrierUp = false;
  partner: LacpInfo = zeroInfo();
  nttActor: LacpInfo = zeroInfo();
  readonly tx = new Timer();
  readonly rx = new Timer();
  rxPdus = 0;
  rxBadPdus = 0;
  rxMarkerPdus = 0;
  txPdus = 0;
  linkExpired = 0;
  linkDefaulted = 0;
  carrierChanged = 0;

  constructor(readonly handle: M) {}
}

/** Every Lacp, in creation order (lacp/show lists them so). */
const allLacps: Lacp<unknown>[] = [];

export class Lacp<M> {
  name = "";
  sysId = new Uint8Array(6);
  sysPriority = 0;
  active = false;
  fast = false;
  negotiated = false;
  /** Set when the attached members must be recomputed (lacp->update). */
  update = false;
  fallbackAb = false;
  readonly #members = new Map<M, LacpMember<M>>();
  #keyMember: LacpMember<M> | undefined;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
    allLacps.push(this as Lacp<unknown>);
  }

  /** lacp_unref: forgets the Lacp (and its members). */
  destroy(): void {
    const i = allLacps.indexOf(this as Lacp<unknown>);
    if (i >= 0) allLacps.splice(i, 1);
    this.#members.clear();
    this.#keyMember = undefined;
  }

  configure(s: LacpSettings): void {
    this.name = s.name;
    if (!macEquals(this.sysId, s.sysId) || this.sysPriority !== s.sysPriority) {
      this.sysId = s.sysId.slice(0, 6);
      this.sysPriority = s.sysPriority;
      this.update = true;
    }
    this.active = s.active;
    this.fast = s.fast;
    if (this.fallbackAb !== s.fallbackAb) {
      this.fallbackAb = s.fallbackAb;
      this.update = true;
    }
  }

  /** lacp_status. */
  get status(): LacpStatus {
    return this.negotiated ? "negotiated" : "configured";
  }

  memberRegister(handle: M, s: LacpMemberSettings): void {
    let m = this.#members.get(handle);
    if (!m) {
      m = new LacpMember(handle);
      this.#members.set(handle, m);
      this.#setDefaulted(m);
      this.#keyMember ??= m;
    }
    m.name = s.name;
    if (m.portId !== s.portId || m.portPriority !== s.portPriority || m.key !== s.key) {
      m.portId = s.portId;
      m.portPriority = s.portPriority;
      m.key = s.key;
      this.update = true;
      if (this.active || this.negotiated) this.#setExpired(m);
    }
  }

  memberUnregister(handle: M): void {
    const m = this.#members.get(handle);
    if (!m) return;
    this.#members.delete(handle);
    this.update = true;
    if (this.#keyMember === m) this.#keyMember = this.#members.values().next().value;
  }

  hasMember(handle: M): boolean {
    return this.#members.has(handle);
  }

  memberHandles(): M[] {
    return [...this.#members.keys()];
  }

  /** lacp_member_carrier_changed. */
  memberCarrierChanged(handle: M, carrierUp: boolean): void {
    const m = this.#members.get(handle);
    if (!m) return;
    if (m.status === "current" || this.active) this.#setExpired(m);
    if (m.carrierUp !== carrierUp) {
      m.carrierUp = carrierUp;
      m.carrierChanged++;
    }
  }

  /** lacp_member_may_enable (called only while the member's carrier is up). */
  memberMayEnable(handle: M): boolean {
    const m = this.#members.get(handle);
    if (!m) return false;
    m.carrierUp = true;
    return this.#mayEnable(m);
  }

  /**
   * Whether `handle` may be enabled as things stand, without the carrier latch that
   * memberMayEnable sets (for the port state computed between two port_run passes).
   */
  memberMayEnableNow(handle: M): boolean {
    const m = this.#members.get(handle);
    return m ? this.#mayEnable(m) : false;
  }

  /** lacp_member_is_current: partner information is not the default. */
  memberIsCurrent(handle: M): boolean {
    const m = this.#members.get(handle);
    return m ? m.status !== "defaulted" : false;
  }

  /**
   * lacp_process_packet: a frame received on `handle` whose Ethertype is LACP's. `payload` is
   * what follows its Ethernet header. Returns whether the member may now be enabled.
   */
  processPacket(handle: M, payload: Uint8Array): boolean {
    const m = this.#members.get(handle);
    if (!m) return false;
    m.rxPdus++;
    const pdu = decodeLacpPdu(payload);
    if (pdu.subtype === "marker") {
      m.rxMarkerPdus++;
      log.dbg(`${this.name}: received a LACP marker PDU.`);
      return false;
    }
    if (pdu.subtype !== "lacp") {
      m.rxBadPdus++;
      log.rateLimited(rxRl, "warn", `${this.name}: received an unparsable LACP PDU.`);
      return false;
    }
    if (!m.carrierUp) {
      log.rateLimited(
        rxRl,
        "info",
        `${m.name}: carrier state is DOWN, dropping received LACP PDU.`,
      );
      return false;
    }
    m.status = "current";
    m.rx.set(this.#now(), LACP_RX_MULTIPLIER * (this.fast ? LACP_FAST_TIME_TX : LACP_SLOW_TIME_TX));
    m.nttActor = pdu.partner;
    if (!infoEquals(m.partner, pdu.actor)) {
      this.update = true;
      m.partner = pdu.actor;
    }
    return this.#mayEnable(m);
  }

  /** lacp_run: timers, the aggregator choice, and the PDUs due (sent through `send`). */
  run(send: (handle: M, pdu: Uint8Array) => void): void {
    const now = this.#now();
    for (const m of this.#members.values()) {
      if (!m.rx.expired(now)) continue;
      if (m.status === "current") {
        this.#setExpired(m);
        m.linkExpired++;
      } else if (m.status === "expired") {
        this.#setDefaulted(m);
        m.linkDefaulted++;
      }
    }
    if (this.update) this.#updateAttached();
    for (const m of this.#members.values()) {
      if (!this.#mayTx(m)) continue;
      const actor = this.#actor(m);
      if (m.tx.expired(now) || !infoTxEqual(actor, m.nttActor)) {
        m.nttActor = actor;
        send(m.handle, encodeLacpPdu(actor, m.partner));
        m.txPdus++;
        m.tx.set(
          now,
          m.partner.state & LACP_STATE_TIME ? LACP_FAST_TIME_TX : LACP_SLOW_TIME_TX,
        );
      }
    }
  }

  /** lacp_wait: the earliest time `run()` has something to do, or undefined. */
  nextWake(): number | undefined {
    let wake: number | undefined;
    const consider = (t: number) => {
      if (wake === undefined || t < wake) wake = t;
    };
    for (const m of this.#members.values()) {
      if (this.#mayTx(m)) consider(m.tx.at);
      if (m.status !== "defaulted") consider(m.rx.at);
    }
    return wake;
  }

  // ---- The state machine's pieces ----

  #mayEnable(m: LacpMember<M>): boolean {
    return m.attached &&
      (!!(m.partner.state & LACP_STATE_SYNC) || (this.fallbackAb && m.status === "defaulted"));
  }

  #mayTx(m: LacpMember<M>): boolean {
    return m.carrierUp && (this.active || m.status !== "defaulted");
  }

  #setDefaulted(m: LacpMember<M>): void {
    m.partner = zeroInfo();
    this.update = true;
    m.status = "defaulted";
  }

  #setExpired(m: LacpMember<M>): void {
    m.status = "expired";
    m.partner.state |= LACP_STATE_TIME;
    m.partner.state &= ~LACP_STATE_SYNC;
    m.rx.set(this.#now(), LACP_RX_MULTIPLIER * LACP_FAST_TIME_TX);
  }

  /** member_get_actor. */
  #actor(m: LacpMember<M>): LacpInfo {
    let state = 0;
    if (this.active) state |= LACP_STATE_ACT;
    if (this.fast) state |= LACP_STATE_TIME;
    if (m.attached) state |= LACP_STATE_SYNC;
    if (m.status === "defaulted") state |= LACP_STATE_DEF;
    if (m.status === "expired") state |= LACP_STATE_EXP;
    if (this.#members.size > 1) state |= LACP_STATE_AGG;
    if (m.attached || !this.negotiated) state |= LACP_STATE_COL | LACP_STATE_DIST;
    return {
      state,
      key: this.#aggregationKey(),
      portPriority: m.portPriority,
      portId: m.portId,
      sysPriority: this.sysPriority,
      sysId: this.sysId.slice(),
    };
  }

  #aggregationKey(): number {
    const k = this.#keyMember;
    if (!k) return 0;
    return k.key ? k.key : k.portId;
  }

  /** member_get_priority: the higher-priority system's view of the link, key and state zeroed. */
  #priority(m: LacpMember<M>): LacpInfo {
    const actorPriority = this.sysPriority;
    const partnerPriority = m.partner.sysPriority;
    let pri: LacpInfo;
    if (actorPriority < partnerPriority) pri = this.#actor(m);
    else if (partnerPriority < actorPriority) pri = copyInfo(m.partner);
    else if (macCompare(this.sysId, m.partner.sysId) < 0) pri = this.#actor(m);
    else pri = copyInfo(m.partner);
    pri.key = 0;
    pri.state = 0;
    return pri;
  }

  /** lacp_update_attached: which members join the aggregator, and whether any does. */
  #updateAttached(): void {
    this.update = false;
    let lead: LacpMember<M> | undefined;
    let leadCurrent: LacpMember<M> | undefined;
    let leadEnable = false;
    let leadPri: LacpInfo | undefined;

    for (const m of this.#members.values()) {
      if (m.status === "current" && m.attached) {
        const pri = this.#priority(m);
        if (!leadCurrent || compareInfo(pri, leadPri!) < 0) {
          leadCurrent = m;
          lead = m;
          leadPri = pri;
          leadEnable = true;
        }
      }
    }

    for (const m of this.#members.values()) {
      m.attached = false;
      if (macEquals(m.partner.sysId, this.sysId)) {
        log.rateLimited(
          loopbackRl,
          "warn",
          `member ${m.name}: Loopback detected. Interface is connected to its own bond`,
        );
        continue;
      }
      if (m.status === "defaulted") {
        if (this.fallbackAb) m.attached = true;
        continue;
      }
      const pri = this.#priority(m);
      const enable = this.#mayEnable(m);
      if (!leadCurrent || macEquals(m.partner.sysId, leadCurrent.partner.sysId)) {
        m.attached = true;
      }
      if (
        m.attached &&
        (!lead || (enable && !leadEnable) ||
          (enable === leadEnable && compareInfo(pri, leadPri!) < 0))
      ) {
        lead = m;
        leadEnable = enable;
        leadPri = pri;
      }
    }

    this.negotiated = lead !== undefined;
    if (lead) {
      for (const m of this.#members.values()) {
        if (
          (this.fallbackAb && m.status === "defaulted") || lead.partner.key !== m.partner.key ||
          !macEquals(lead.partner.sysId, m.partner.sysId)
        ) {
          m.attached = false;
        }
      }
    }
  }

  // ---- Texts ----

  /** lacp_print_details. */
  formatDetails(): string {
    let out = `---- ${this.name} ----\n`;
    out += `  status: ${this.active ? "active" : "passive"}${
      this.negotiated ? " negotiated" : ""
    }\n`;
    out += `  sys_id: ${macText(this.sysId)}\n`;
    out += `  sys_priority: ${this.sysPriority}\n`;
    out += `  aggregation key: ${this.#keyMember ? this.#aggregationKey() : "none"}\n`;
    out += `  lacp_time: ${this.fast ? "fast" : "slow"}\n`;
    for (const m of this.#sortedMembers()) {
      const actor = this.#actor(m);
      out += `\nmember: ${m.name}: ${m.status} ${m.attached ? "attached" : "detached"}\n`;
      out += `  port_id: ${m.portId}\n`;
      out += `  port_priority: ${m.portPriority}\n`;
      out += `  may_enable: ${this.#mayEnable(m)}\n`;
      out += `\n  actor sys_id: ${macText(actor.sysId)}\n`;
      out += `  actor sys_priority: ${actor.sysPriority}\n`;
      out += `  actor port_id: ${actor.portId}\n`;
      out += `  actor port_priority: ${actor.portPriority}\n`;
      out += `  actor key: ${actor.key}\n`;
      out += `  actor state:${stateText(actor.state)}\n\n`;
      out += `  partner sys_id: ${macText(m.partner.sysId)}\n`;
      out += `  partner sys_priority: ${m.partner.sysPriority}\n`;
      out += `  partner port_id: ${m.partner.portId}\n`;
      out += `  partner port_priority: ${m.partner.portPriority}\n`;
      out += `  partner key: ${m.partner.key}\n`;
      out += `  partner state:${stateText(m.partner.state)}\n`;
    }
    return out;
  }

  /** lacp_print_stats. */
  formatStats(): string {
    let out = `---- ${this.name} statistics ----\n`;
    for (const m of this.#sortedMembers()) {
      out += `\nmember: ${m.name}:\n`;
      out += `  TX PDUs: ${m.txPdus}\n`;
      out += `  RX PDUs: ${m.rxPdus}\n`;
      out += `  RX Bad PDUs: ${m.rxBadPdus}\n`;
      out += `  RX Marker Request PDUs: ${m.rxMarkerPdus}\n`;
      out += `  Link Expired: ${m.linkExpired}\n`;
      out += `  Link Defaulted: ${m.linkDefaulted}\n`;
      out += `  Carrier Status Changed: ${m.carrierChanged}\n`;
    }
    return out;
  }

  #sortedMembers(): LacpMember<M>[] {
    // shash_sort: by name, bytewise.
    return [...this.#members.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
  }
}

function stateText(state: number): string {
  const names: [number, string][] = [
    [LACP_STATE_ACT, "activity"],
    [LACP_STATE_TIME, "timeout"],
    [LACP_STATE_AGG, "aggregation"],
    [LACP_STATE_SYNC, "synchronized"],
    [LACP_STATE_COL, "collecting"],
    [LACP_STATE_DIST, "distributing"],
    [LACP_STATE_DEF, "defaulted"],
    [LACP_STATE_EXP, "expired"],
  ];
  let out = "";
  for (const [bit, name] of names) if (state & bit) out += ` ${name}`;
  return out;
}

/** lacp/show [port] and lacp/show-stats [port]: the reply text, or the error upstream gives. */
export function lacpUnixctlText(
  which: "show" | "show-stats",
  name: string | undefined,
): { ok: true; text: string } | { ok: false; error: string } {
  const print = (l: Lacp<unknown>) => which === "show" ? l.formatDetails() : l.formatStats();
  if (name !== undefined) {
    const found = allLacps.find((l) => l.name === name);
    if (!found) return { ok: false, error: "no such lacp object" };
    return { ok: true, text: print(found) };
  }
  return { ok: true, text: allLacps.map(print).join("") };
}
