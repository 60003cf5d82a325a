// A bond: one Port's several interfaces used as one link (upstream's ofproto/bond.c). Owns the
// members' enabled state with up/down delays, the active member (and bond-primary), the 256
// hash buckets that map flows to members — by source MAC and VLAN for balance-slb, by the
// 5-tuple for balance-tcp — their rebalancing every bond-rebalance-interval by the bytes each
// bucket carried, and, for balance-tcp, the recirculation upstream uses: one recirculation ID
// per bond and 256 post-recirculation rules (recirc_id=ID,dp_hash=i/0xff → output:member) kept
// in ofproto's internal table, or the datapath's lb_output buckets instead. Implements what
// translation asks of a bond (XlateBond): admissibility of received packets and the output
// member. Also what the bond/* commands print and change of one bond (it registers itself in
// bond_registry.ts, which lists them all).
//
// Promises: time comes only from the host's clock (the daemon's, so `time/warp` drives
// updelay, downdelay and rebalancing); everything the bond changes outside itself (internal
// rules, recirculation IDs, datapath buckets) goes through its host; where upstream picks at
// random (which member a fresh bucket gets, hash-map order of members) this picks
// deterministically, in member registration order. Never sends packets itself: it says when
// learning packets are due and on which member, and the bundle glue sends them.

import { FLOW_WORDS, type FlowWords, W_DL_SRC } from "../datapath/flow.ts";
import { flowHash5Tuple } from "../datapath/flow_hash.ts";
import { RateLimit, vlogModule } from "../net/vlog.ts";
import { NX_HASH_FIELDS_ETH_SRC, NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP } from "./actions/types.ts";
import type { LacpStatus } from "./lacp.ts";
import { formatMac, isMulticastMac, macFromWords } from "./mac_learning.ts";
import {
  BondCommandError,
  hashMac,
  registerBond,
  type RegisteredBond,
  unregisterBond,
} from "./bond_registry.ts";
import { maskHashFields } from "./xlate/selection.ts";
import type { XlateBond, XlatePort } from "./xlate/view.ts";

const log = vlogModule("bond");
const linkRl = new RateLimit(5, 20);
const activeRl = new RateLimit(5, 20);

export const BOND_BUCKETS = 256;
export const BOND_MASK = 0xff;
/** The priority of the post-recirculation rules in the internal table. */
export const RECIRC_RULE_PRIORITY = 20;

export type BondMode = "balance-tcp" | "balance-slb" | "active-backup";

export function bondModeFromString(s: string): BondMode | undefined {
  return s === "balance-tcp" || s === "balance-slb" || s === "active-backup" ? s : undefined;
}

export interface BondSettings {
  name: string;
  basis: number;
  mode: BondMode;
  /** Milliseconds between rebalances; 0 disables rebalancing. */
  rebalanceInterval: number;
  /** bond-primary (active-backup, or with lacp-fallback-ab), or undefined. */
  primary: string | undefined;
  upDelay: number;
  downDelay: number;
  lacpFallbackAb: boolean;
  useLbOutput: boolean;
  allMembersActive: boolean;
}

/** What a post-recirculation rule tells the bond: the bytes it has carried. */
export interface PostRecircRule {
  readonly byteCount: number;
}

/** What a bond needs from the switch around it. */
export interface BondHost<M extends XlatePort> {
  now(): number;
  /** netdev_get_carrier of the member's device. */
  carrier(member: M): boolean;
  /** The member's device MAC, or undefined when it has none. */
  etherAddr(member: M): Uint8Array | undefined;
  /** recirc_alloc_id: a fresh ID whose frozen state resumes in the internal table. */
  allocRecircId(): number;
  freeRecircId(id: number): void;
  /** ofproto_dpif_add_internal_flow for bucket `bucket` of recirculation `recircId`. */
  addPostRecircRule(recircId: number, bucket: number, ofport: number): PostRecircRule | undefined;
  deletePostRecircRule(recircId: number, bucket: number): void;
  /** Whether the datapath has lb_output (ovs_lb_output_action_supported). */
  lbOutputSupported(): boolean;
  /** dpif_bond_add / dpif_bond_del: the datapath's buckets for lb_output(`recircId`). */
  setLbOutputBuckets?(recircId: number, ofports: readonly number[]): void;
  deleteLbOutputBuckets?(recircId: number): void;
  /** dpif_bond_stats_get: bytes per bucket sent by lb_output(`recircId`). */
  lbOutputBytes?(recircId: number): readonly number[];
}

class BondMember<M> {
  enabled = false;
  mayEnable = false;
  isPrimary = false;
  delayExpires = Infinity;
  /** Rebalancing: the load and the buckets carrying it, heaviest first. */
  txBytes = 0;
  entries: BondEntry<M>[] = [];

  constructor(readonly handle: M, public name: string, readonly ofport: number) {}
}

class BondEntry<M> {
  member: BondMember<M> | undefined;
  txBytes = 0;
  prRule: PostRecircRule | undefined;
  prTxBytes = 0;
}

function macToBig(mac: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < 6; i++) v = (v << 8n) | BigInt(mac[i] ?? 0);
  return v;
}

function macEquals(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a) return false;
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

function macText(mac: Uint8Array): string {
  return formatMac(Number(macToBig(mac)));
}

export {
  BondCommandError,
  bondHashText,
  bondListText,
  bondNamed,
  bondShowText,
  hashMac,
} from "./bond_registry.ts";

export class Bond<M extends XlatePort> implements XlateBond, RegisteredBond {
  name = "";
  mode: BondMode = "active-backup";
  updelay = 0;
  downdelay = 0;
  basis = 0;
  rebalanceInterval = 0;
  primary: string | undefined;
  lacpFallbackAb = false;
  allMembersActive = false;
  lacpStatus: LacpStatus = "off";
  recircId = 0;
  /** Set when flows must be revalidated (bond->bond_revalidate); `run()` reports and clears it. */
  revalidate = false;
  #useLbOutput = false;
  #lbOutputInstalled = false;
  #hash: BondEntry<M>[] | undefined;
  #nextRebalance = 0;
  #sendLearningPackets = false;
  #activeMember: BondMember<M> | undefined;
  #activeMemberMac = new Uint8Array(6);
  #activeMemberChanged = false;
  readonly #members = new Map<XlatePort, BondMember<M>>();
  /** Enabled members, in the order round-robin assignment takes them. */
  #enabled: BondMember<M>[] = [];
  /** The post-recirculation rules installed, by "recircId/bucket". */
  readonly #prRules = new Map<string, { recircId: number; bucket: number; ofport: number }>();
  readonly #host: BondHost<M>;
  #registered = false;

  constructor(settings: BondSettings, host: BondHost<M>) {
    this.#host = host;
    // Upstream reads bond_active_slave into its settings but never uses it: a new bond
    // remembers no previous active member.
    this.reconfigure(settings);
  }

  /** bond_unref: frees the recirculation ID, the internal rules and the datapath buckets. */
  destroy(): void {
    if (this.#registered) unregisterBond(this);
    this.#registered = false;
    if (this.recircId) {
      if (this.#lbOutputInstalled) this.#deleteLbOutputBuckets();
      this.#host.freeRecircId(this.recircId);
      this.recircId = 0;
    }
    this.#hash = undefined;
    this.#updateRecircRules();
    this.#members.clear();
    this.#enabled = [];
  }

  /** bond_reconfigure: returns whether flows need revalidation. */
  reconfigure(s: BondSettings): boolean {
    let revalidate = false;
    if (!this.#registered || this.name !== s.name) {
      if (this.#registered) unregisterBond(this);
      this.name = s.name;
      registerBond(this);
      this.#registered = true;
    }
    this.updelay = s.upDelay;
    this.downdelay = s.downDelay;
    if (this.lacpFallbackAb !== s.lacpFallbackAb) {
      this.lacpFallbackAb = s.lacpFallbackAb;
      revalidate = true;
    }
    if (this.rebalanceInterval !== s.rebalanceInterval) {
      this.rebalanceInterval = s.rebalanceInterval;
      revalidate = true;
    }
    if (this.mode !== s.mode) {
      this.mode = s.mode;
      revalidate = true;
    }
    if (this.basis !== s.basis) {
      this.basis = s.basis;
      revalidate = true;
    }
    if (this.revalidate) {
      revalidate = true;
      this.revalidate = false;
    }
    if (this.primary !== s.primary) {
      this.primary = s.primary;
      revalidate = true;
    }
    this.allMembersActive = this.mode === "balance-slb" ? s.allMembersActive : false;

    if (this.mode !== "active-backup") {
      if (!this.recircId) this.recircId = this.#host.allocRecircId();
    } else if (this.recircId) {
      if (this.#lbOutputInstalled) this.#deleteLbOutputBuckets();
      this.#host.freeRecircId(this.recircId);
      this.recircId = 0;
    }
    if (this.#useLbOutput !== s.useLbOutput) {
      if (s.useLbOutput && !this.#host.lbOutputSupported()) {
        log.warn(`${this.name}: Datapath does not support 'lb_output' action, disabled.`);
      } else {
        this.#useLbOutput = s.useLbOutput;
        if (!this.#useLbOutput && this.#lbOutputInstalled) this.#deleteLbOutputBuckets();
        revalidate = true;
      }
    }
    if (this.mode === "active-backup" || !this.#hash || revalidate) this.#entryReset();
    if (this.#mayRecirc()) this.#updateRecircRules();
    return revalidate;
  }

  // ---- Members ----

  /** bond_member_register: adds `member` or refreshes its name and primary flag. */
  memberRegister(member: M, name: string, ofport: number): void {
    let m = this.#members.get(member);
    if (!m) {
      m = new BondMember(member, name, ofport);
      this.#members.set(member, m);
      this.revalidate = true;
      this.#enableMember(m, this.#host.carrier(member));
    }
    m.name = name;
    m.isPrimary = this.primary !== undefined && this.primary === name;
  }

  /** bond_member_unregister. */
  memberUnregister(member: M): void {
    const m = this.#members.get(member);
    if (!m) return;
    this.revalidate = true;
    this.#enableMember(m, false);
    const wasActive = this.#activeMember === m;
    if (this.#hash) { for (const e of this.#hash) if (e.member === m) e.member = undefined; }
    this.#members.delete(member);
    if (wasActive) {
      this.#chooseActiveMember();
      this.#sendLearningPackets = true;
    }
  }

  /** bond_member_set_may_enable: whether the switch (LACP, carrier) lets `member` work. */
  memberSetMayEnable(member: XlatePort, mayEnable: boolean): void {
    const m = this.#members.get(member);
    if (m) m.mayEnable = mayEnable;
  }

  memberHandles(): M[] {
    return [...this.#members.values()].map((m) => m.handle);
  }

  get activeMember(): M | undefined {
    return this.#activeMember?.handle;
  }

  // ---- Periodic work ----

  /** bond_run: link status, the active member, post-recirculation rules. Returns revalidate. */
  run(lacpStatus: LacpStatus): boolean {
    if (this.lacpStatus !== lacpStatus) {
      this.lacpStatus = lacpStatus;
      this.revalidate = true;
      if (this.#isFallingBackToAb() || !this.#hash) this.#entryReset();
    }
    let primary: BondMember<M> | undefined;
    for (const m of this.#members.values()) {
      this.#linkStatusUpdate(m);
      if (this.mode === "active-backup" && m.isPrimary && m.enabled) primary = m;
    }
    const active = this.#activeMember;
    if (!active || !active.enabled || (primary && active !== primary)) {
      this.#chooseActiveMember();
    }
    if (this.#mayRecirc()) this.#updatePostRecircRules(false);
    const revalidate = this.revalidate;
    this.revalidate = false;
    return revalidate;
  }

  /** bond_wait: the earliest pending delay expiry, or undefined. */
  nextWake(): number | undefined {
    let wake: number | undefined;
    for (const m of this.#members.values()) {
      if (m.delayExpires !== Infinity && (wake === undefined || m.delayExpires < wake)) {
        wake = m.delayExpires;
      }
    }
    return wake;
  }

  #linkStatusUpdate(m: BondMember<M>): void {
    const up = this.#host.carrier(m.handle) && m.mayEnable;
    const now = this.#host.now();
    if ((up === m.enabled) !== (m.delayExpires === Infinity)) {
      log.rateLimited(linkRl, "info", `member ${m.name}: link state ${up ? "up" : "down"}`);
      if (up === m.enabled) {
        m.delayExpires = Infinity;
        log.rateLimited(
          linkRl,
          "info",
          `member ${m.name}: will not be ${up ? "disabled" : "enabled"}`,
        );
      } else {
        const delay = up ? this.updelay : this.downdelay;
        m.delayExpires = now + delay;
        if (delay) {
          log.rateLimited(
            linkRl,
            "info",
            `member ${m.name}: will be ${up ? "enabled" : "disabled"} if it stays ${
              up ? "up" : "down"
            } for ${delay} ms`,
          );
        }
      }
    }
    if (now >= m.delayExpires) this.#enableMember(m, up);
  }

  #enableMember(m: BondMember<M>, enable: boolean): void {
    m.delayExpires = Infinity;
    if (enable === m.enabled) return;
    this.revalidate = true;
    m.enabled = enable;
    if (enable) {
      this.#enabled.push(m);
    } else {
      this.#sendLearningPackets = true;
      this.#enabled = this.#enabled.filter((x) => x !== m);
    }
    log.info(`member ${m.name}: ${enable ? "enabled" : "disabled"}`);
  }

  #findMemberByMac(mac: Uint8Array): BondMember<M> | undefined {
    for (const m of this.#members.values()) {
      if (macEquals(this.#host.etherAddr(m.handle), mac)) return m;
    }
    return undefined;
  }

  /** bond_choose_member. */
  #chooseMember(): BondMember<M> | undefined {
    for (const m of this.#members.values()) if (m.isPrimary && m.enabled) return m;
    const last = this.#findMemberByMac(this.#activeMemberMac);
    if (last && last.enabled) return last;
    for (const m of this.#members.values()) if (m.enabled) return m;
    // Every member is down: the one whose updelay ends first, if any is coming up.
    let best: BondMember<M> | undefined;
    for (const m of this.#members.values()) {
      if (
        m.delayExpires !== Infinity && m.mayEnable &&
        (!best || m.delayExpires < best.delayExpires)
      ) {
        best = m;
      }
    }
    return best;
  }

  #chooseActiveMember(): void {
    const old = this.#activeMember;
    this.#activeMember = this.#chooseMember();
    const active = this.#activeMember;
    if (active) {
      if (active.enabled) {
        log.rateLimited(activeRl, "info", `bond ${this.name}: active member is now ${active.name}`);
      } else {
        log.rateLimited(
          activeRl,
          "info",
          `bond ${this.name}: active member is now ${active.name}, skipping remaining ${
            active.delayExpires - this.#host.now()
          } ms updelay (since no member was enabled)`,
        );
        this.#enableMember(active, true);
      }
      this.#sendLearningPackets = true;
      if (active !== old) this.#activeChanged();
    } else if (old) {
      this.#activeChanged();
      log.rateLimited(activeRl, "info", `bond ${this.name}: all members disabled`);
    }
  }

  #activeChanged(): void {
    const active = this.#activeMember;
    this.#activeMemberMac = active
      ? (this.#host.etherAddr(active.handle)?.slice(0, 6) ?? new Uint8Array(6))
      : new Uint8Array(6);
    this.#activeMemberChanged = true;
  }

  /**
   * bond_get_changed_active_member: the active member's MAC when it changed since last asked
   * (or always, with `force`), for the Port's bond_active_slave column.
   */
  takeChangedActiveMember(force: boolean): Uint8Array | undefined {
    if (!this.#activeMemberChanged && !force) return undefined;
    this.#activeMemberChanged = false;
    return this.#activeMemberMac.slice();
  }

  // ---- Learning packets (SLB and active-backup failover) ----

  #maySendLearningPackets(): boolean {
    return ((this.lacpStatus === "off" &&
      (this.mode === "balance-slb" || this.mode === "active-backup")) ||
      (this.lacpFallbackAb && this.lacpStatus === "configured")) &&
      this.#activeMember !== undefined;
  }

  /** bond_should_send_learning_packets (and resets the request). */
  shouldSendLearningPackets(): boolean {
    const send = this.#sendLearningPackets && this.#maySendLearningPackets();
    this.#sendLearningPackets = false;
    return send;
  }

  /**
   * bond_compose_learning_packet's choice: the member a learning packet from `mac` in `vlan`
   * goes out of (the packet itself is bundle_links.ts's composeRarp).
   */
  learningPacketMember(mac: number, vlan: number): M | undefined {
    const flow = new Uint32Array(FLOW_WORDS);
    flow[W_DL_SRC] = Math.floor(mac / 0x100000000) & 0xffff;
    flow[W_DL_SRC + 1] = mac >>> 0;
    return this.#chooseOutputMember(flow, undefined, vlan)?.handle;
  }

  // ---- Packet processing (XlateBond) ----

  #isFallingBackToAb(): boolean {
    return this.lacpFallbackAb && (this.mode === "balance-slb" || this.mode === "balance-tcp") &&
      this.lacpStatus === "configured";
  }

  /** bond_check_admissibility. */
  admissibility(port: XlatePort, dlDst: number): "accept" | "drop" | "drop-if-moved" {
    const m = this.#members.get(port);
    if (!m) return "drop";
    const verdict = this.#admissibility(m, dlDst);
    if (verdict !== "accept") {
      log.dbg(
        `bond ${this.name}: member ${m.name}: admissibility verdict is to drop pkt${
          verdict === "drop-if-moved" ? " as different port is learned" : ""
        }, active member: ${
          this.#activeMember === m
        }, may_enable: ${m.mayEnable}, enabled: ${m.enabled}, LACP status: ${this.lacpStatus}`,
      );
    }
    return verdict;
  }

  #admissibility(m: BondMember<M>, dlDst: number): "accept" | "drop" | "drop-if-moved" {
    switch (this.lacpStatus) {
      case "negotiated":
        // A member LACP has just let in may carry traffic before the main loop enables it.
        return m.enabled || m.mayEnable ? "accept" : "drop";
      case "configured":
        if (!this.lacpFallbackAb) return "drop";
        break;
      case "off":
        if (this.mode === "balance-tcp") return "drop";
        break;
    }
    if (isMulticastMac(dlDst) && this.#activeMember !== m && !this.allMembersActive) {
      return "drop";
    }
    switch (this.mode) {
      case "balance-tcp":
        if (!this.lacpFallbackAb) return "drop";
        // Falls back to active-backup.
        return this.#activeMember === m ? "accept" : "drop";
      case "active-backup":
        return this.#activeMember === m ? "accept" : "drop";
      case "balance-slb":
        return "drop-if-moved";
    }
  }

  /** bond_choose_output_member. */
  chooseOutput(flow: FlowWords, wc: FlowWords | undefined, vlan: number): XlatePort | undefined {
    return this.#chooseOutputMember(flow, wc, vlan)?.handle;
  }

  #chooseOutputMember(
    flow: FlowWords,
    wc: FlowWords | undefined,
    vlan: number,
  ): BondMember<M> | undefined {
    let mode = this.mode;
    if (this.lacpStatus === "configured") {
      // LACP is configured but did not negotiate: active-backup if allowed, else nothing.
      if (!this.lacpFallbackAb) return undefined;
      mode = "active-backup";
    }
    switch (mode) {
      case "active-backup":
        return this.#activeMember;
      case "balance-tcp":
        if (this.lacpStatus !== "negotiated") return undefined;
        if (wc) maskHashFields(flow, wc, NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP);
        break;
      case "balance-slb":
        if (wc) maskHashFields(flow, wc, NX_HASH_FIELDS_ETH_SRC);
        break;
    }
    const e = this.#lookupEntry(flow, vlan);
    if (!e.member || !e.member.enabled) e.member = this.#nextEnabledMember();
    return e.member;
  }

  /** get_enabled_member: round robin over the enabled members. */
  #nextEnabledMember(): BondMember<M> | undefined {
    const m = this.#enabled.shift();
    if (m) this.#enabled.push(m);
    return m;
  }

  #bucketHash(flow: FlowWords, vlan: number): number {
    return this.mode === "balance-tcp"
      ? flowHash5Tuple(flow, this.basis)
      : hashMac(macFromWords(flow as Uint32Array, W_DL_SRC), vlan, this.basis);
  }

  #lookupEntry(flow: FlowWords, vlan: number): BondEntry<M> {
    if (!this.#hash) this.#hash = newEntries();
    return this.#hash[this.#bucketHash(flow, vlan) & BOND_MASK]!;
  }

  // ---- Recirculation (balance-tcp) ----

  #mayRecirc(): boolean {
    return this.mode === "balance-tcp" && this.recircId !== 0 && !this.#isFallingBackToAb();
  }

  /** bond_use_lb_output_action. */
  get useLbOutput(): boolean {
    return this.#mayRecirc() && this.#useLbOutput;
  }

  /**
   * bond_update_post_recirc_rules (side effects allowed) or
   * bond_get_recirc_id_and_hash_basis: the recirculation to output through, if any.
   */
  recirculation(mayLearn: boolean): { recircId: number; hashBasis: number } | undefined {
    if (!this.#mayRecirc()) return undefined;
    if (mayLearn) this.#updatePostRecircRules(false);
    return { recircId: this.recircId, hashBasis: this.basis };
  }

  /** bond_update_post_recirc_rules__: every bucket gets an enabled member, rules follow. */
  #updatePostRecircRules(force: boolean): void {
    if (!this.#hash) this.#hash = newEntries();
    let update = force;
    const members = [...this.#members.values()];
    this.#hash.forEach((e, i) => {
      if (e.member && e.member.enabled) return;
      update = true;
      // Upstream takes a random member here; registration order keeps runs reproducible.
      e.member = members.length ? members[i % members.length] : undefined;
      if (e.member && !e.member.enabled) e.member = this.#activeMember;
    });
    if (update) this.#updateRecircRules();
  }

  /** update_recirc_rules__: the internal rules (or lb_output buckets) match the buckets. */
  #updateRecircRules(): void {
    const wanted = new Map<string, { recircId: number; bucket: number; ofport: number }>();
    if (this.#hash && this.recircId) {
      if (this.useLbOutput) {
        // The datapath's buckets replace the rules; like upstream, rules already installed
        // stay until the bond goes back to them.
        this.#addLbOutputBuckets();
        return;
      } else {
        this.#hash.forEach((e, bucket) => {
          if (e.member) {
            wanted.set(`${this.recircId}/${bucket}`, {
              recircId: this.recircId,
              bucket,
              ofport: e.member.ofport,
            });
          }
        });
      }
    }
    for (const [key, rule] of wanted) {
      const entry = this.#hash![rule.bucket]!;
      const installed = this.#prRules.get(key);
      if (installed && installed.ofport === rule.ofport && entry.prRule) continue;
      const handle = this.#host.addPostRecircRule(rule.recircId, rule.bucket, rule.ofport);
      if (!handle) {
        log.err(
          `failed to add post recirculation flow recirc_id=${rule.recircId},dp_hash=${rule.bucket}/0xff priority=${RECIRC_RULE_PRIORITY}`,
        );
        continue;
      }
      entry.prRule = handle;
      this.#prRules.set(key, rule);
    }
    for (const [key, rule] of [...this.#prRules]) {
      if (wanted.has(key)) continue;
      this.#host.deletePostRecircRule(rule.recircId, rule.bucket);
      this.#prRules.delete(key);
      const entry = this.#hash?.[rule.bucket];
      if (entry) entry.prRule = undefined;
    }
  }

  #addLbOutputBuckets(): void {
    if (!this.#hash || !this.#host.setLbOutputBuckets) return;
    this.#host.setLbOutputBuckets(
      this.recircId,
      this.#hash.map((e) => e.member ? e.member.ofport : 0xffff),
    );
    this.#lbOutputInstalled = true;
  }

  #deleteLbOutputBuckets(): void {
    this.#host.deleteLbOutputBuckets?.(this.recircId);
    this.#lbOutputInstalled = false;
  }

  /** bond_entry_reset: fresh buckets for the balancing modes, none for active-backup. */
  #entryReset(): void {
    if (this.mode !== "active-backup" && !this.#isFallingBackToAb()) {
      this.#hash = newEntries();
      this.#nextRebalance = this.#host.now() + this.rebalanceInterval;
    } else {
      this.#hash = undefined;
      this.#updateRecircRules();
    }
  }

  // ---- Rebalancing ----

  #isBalanced(): boolean {
    return this.rebalanceInterval !== 0 &&
      (this.mode === "balance-slb" || this.mode === "balance-tcp") &&
      !(this.lacpFallbackAb && this.lacpStatus === "configured");
  }

  /** bond_account: `bytes` more sent for `flow` in `vlan` (SLB, and TCP without recirculation). */
  account(flow: FlowWords, vlan: number, bytes: number): void {
    if (this.#isBalanced()) this.#lookupEntry(flow, vlan).txBytes += bytes;
  }

  /** bond_recirculation_account: bucket loads from the post-recirculation rules' counters. */
  #recirculationAccount(): void {
    const lbBytes = this.useLbOutput ? this.#host.lbOutputBytes?.(this.recircId) : undefined;
    this.#hash?.forEach((e, i) => {
      let bytes: number;
      if (this.useLbOutput) bytes = lbBytes?.[i] ?? 0;
      else if (e.prRule) bytes = e.prRule.byteCount;
      else return;
      if (!e.member) return;
      // A rule replaced without its counters starts again from zero.
      const delta = bytes >= e.prTxBytes ? bytes - e.prTxBytes : bytes;
      e.txBytes += delta;
      e.prTxBytes = bytes;
    });
  }

  /** bond_rebalance: moves buckets from the busiest members to the idlest, when worth it. */
  rebalance(): void {
    const now = this.#host.now();
    if (!this.#isBalanced() || now < this.#nextRebalance || !this.#hash) return;
    this.#nextRebalance = now + this.rebalanceInterval;
    const useRecirc = this.#mayRecirc();
    if (useRecirc) this.#recirculationAccount();

    for (const m of this.#members.values()) {
      m.txBytes = 0;
      m.entries = [];
    }
    // A stable sort, heaviest first, as glibc's qsort (a merge sort) leaves equal loads.
    const sorted = [...this.#hash].sort((a, b) => b.txBytes - a.txBytes);
    for (const e of sorted) {
      if (e.member && e.txBytes) {
        e.member.txBytes += e.txBytes;
        e.member.entries.push(e);
      }
    }
    const bals: BondMember<M>[] = [];
    for (const m of this.#members.values()) if (m.enabled) insertBal(bals, m);
    this.#logBals(bals);

    let rebalanced = false;
    while (bals.length > 1) {
      const from = bals[0]!;
      const to = bals[bals.length - 1]!;
      const overload = from.txBytes - to.txBytes;
      if (overload < Math.floor(to.txBytes / 32) || overload < 100000) break;
      const migrate = chooseEntriesToMigrate(from, to.txBytes);
      if (!migrate.length) {
        bals.shift();
        continue;
      }
      for (const e of migrate) {
        this.#shiftLoad(e, to);
        from.entries = from.entries.filter((x) => x !== e);
        reinsertBal(bals, from);
        reinsertBal(bals, to);
      }
      rebalanced = true;
    }
    // An exponentially weighted moving average: old load halves at each rebalance.
    for (const e of this.#hash) e.txBytes = Math.floor(e.txBytes / 2);
    if (useRecirc && rebalanced) this.#updatePostRecircRules(true);
  }

  #shiftLoad(e: BondEntry<M>, to: BondMember<M>): void {
    const from = e.member!;
    const delta = e.txBytes;
    const bucket = this.#hash!.indexOf(e);
    log.info(
      `bond ${this.name}: shift ${
        Math.floor(delta / 1024)
      }kB of load (with hash ${bucket}) from ${from.name} to ${to.name} (now carrying ${
        Math.floor((from.txBytes - delta) / 1024)
      }kB and ${Math.floor((to.txBytes + delta) / 1024)}kB load, respectively)`,
    );
    from.txBytes -= delta;
    to.txBytes += delta;
    e.member = to;
    this.revalidate = true;
  }

  #logBals(bals: readonly BondMember<M>[]): void {
    if (!log.isEnabled("dbg")) return;
    let text = "";
    for (const m of bals) {
      if (text) text += ",";
      text += ` ${m.name} ${Math.floor(m.txBytes / 1024)}kB`;
      if (!m.enabled) text += " (disabled)";
      if (m.entries.length) {
        text += ` (${
          m.entries.map((e) => `h${this.#hash!.indexOf(e)}: ${Math.floor(e.txBytes / 1024)}kB`)
            .join(" + ")
        })`;
      }
    }
    log.dbg(`bond ${this.name}:${text}`);
  }

  // ---- Texts and unixctl operations ----

  /** bond_print_details: one bond in bond/show. */
  formatDetails(): string {
    const now = this.#host.now();
    const mayRecirc = this.#mayRecirc();
    let out = `---- ${this.name} ----\n`;
    out += `bond_mode: ${this.mode}\n`;
    out += `bond may use recirculation: ${mayRecirc ? "yes" : "no"}, Recirc-ID : ${
      mayRecirc ? this.recircId : -1
    }\n`;
    out += `bond-hash-basis: ${this.basis >>> 0}\n`;
    const lb = this.useLbOutput;
    out += `lb_output action: ${lb ? "enabled" : "disabled"}, bond-id: ${
      lb ? this.recircId : -1
    }\n`;
    if (this.mode === "balance-slb") out += `all members active: ${this.allMembersActive}\n`;
    out += `updelay: ${this.updelay} ms\n`;
    out += `downdelay: ${this.downdelay} ms\n`;
    if (this.#isBalanced()) out += `next rebalance: ${this.#nextRebalance - now} ms\n`;
    out += `lacp_status: ${this.lacpStatus}\n`;
    out += `lacp_fallback_ab: ${this.lacpFallbackAb}\n`;
    const foundPrimary = [...this.#members.values()].some((m) => m.isPrimary);
    out += `active-backup primary: ${this.primary ?? "<none>"}${
      !foundPrimary && this.primary !== undefined ? " (no such member)" : ""
    }\n`;
    const byMac = this.#findMemberByMac(this.#activeMemberMac);
    out += `active member mac: ${macText(this.#activeMemberMac)}(${byMac ? byMac.name : "none"})\n`;
    const sorted = [...this.#members.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
    for (const m of sorted) {
      out += `\nmember ${m.name}: ${m.enabled ? "enabled" : "disabled"}\n`;
      if (m === this.#activeMember) out += "  active member\n";
      if (m.delayExpires !== Infinity) {
        out += `  ${m.enabled ? "downdelay" : "updelay"} expires in ${m.delayExpires - now} ms\n`;
      }
      out += `  may_enable: ${m.mayEnable}\n`;
      if (!this.#isBalanced() || !this.#hash) continue;
      this.#hash.forEach((e, bucket) => {
        if (e.member !== m) return;
        const kb = Math.floor(e.txBytes / 1024);
        if (kb) out += `  hash ${bucket}: ${kb} kB load\n`;
      });
    }
    return out + "\n";
  }

  /** One line of bond/list. */
  formatListLine(): string {
    return `${this.name}\t${this.mode}\t${this.recircId}\t${
      [...this.#members.values()].map((m) => m.name).join(", ")
    }\n`;
  }

  #memberNamed(name: string): BondMember<M> | undefined {
    for (const m of this.#members.values()) if (m.name === name) return m;
    return undefined;
  }

  /** bond/set-active-member. */
  setActiveMember(name: string): string {
    const m = this.#memberNamed(name);
    if (!m) throw new BondCommandError("no such member");
    if (!m.enabled) throw new BondCommandError("cannot make disabled member active");
    if (this.#activeMember === m) return "no change";
    this.revalidate = true;
    this.#activeMember = m;
    log.info(`bond ${this.name}: active member is now ${m.name}`);
    this.#sendLearningPackets = true;
    this.#activeChanged();
    return "done";
  }

  /** bond/enable-member and bond/disable-member. */
  setMemberEnabled(name: string, enable: boolean): string {
    const m = this.#memberNamed(name);
    if (!m) throw new BondCommandError("no such member");
    this.#enableMember(m, enable);
    return enable ? "enabled" : "disabled";
  }

  /** bond/migrate. */
  migrate(hashText: string, memberName: string): string {
    if (this.mode !== "balance-slb") throw new BondCommandError("not an SLB bond");
    if (!/^[0-9]*$/.test(hashText)) throw new BondCommandError("bad hash");
    const bucket = (parseInt(hashText, 10) || 0) & BOND_MASK;
    const m = this.#memberNamed(memberName);
    if (!m) throw new BondCommandError("no such member");
    if (!m.enabled) throw new BondCommandError("cannot migrate to disabled member");
    if (!this.#hash) this.#hash = newEntries();
    this.revalidate = true;
    this.#hash[bucket]!.member = m;
    return "migrated";
  }
}

function newEntries<M>(): BondEntry<M>[] {
  return Array.from({ length: BOND_BUCKETS }, () => new BondEntry<M>());
}

/** insert_bal: keeps `bals` in descending order of load, after members with equal load. */
function insertBal<M>(bals: BondMember<M>[], m: BondMember<M>): void {
  let i = 0;
  while (i < bals.length && !(m.txBytes > bals[i]!.txBytes)) i++;
  bals.splice(i, 0, m);
}

function reinsertBal<M>(bals: BondMember<M>[], m: BondMember<M>): void {
  const i = bals.indexOf(m);
  if (i >= 0) bals.splice(i, 1);
  insertBal(bals, m);
}

/** choose_entries_to_migrate: buckets whose move brings the two loads nearer the middle. */
function chooseEntriesToMigrate<M>(from: BondMember<M>, toTxBytes: number): BondEntry<M>[] {
  const idealTxBytes = Math.floor((from.txBytes + toTxBytes) / 2);
  const idealDelta = idealTxBytes - toTxBytes;
  const threshold = Math.floor(idealDelta / 10);
  if (from.entries.length <= 1) return [];
  const out: BondEntry<M>[] = [];
  let delta = 0;
  for (const e of from.entries) {
    if (delta + e.txBytes <= idealDelta) {
      out.push(e);
      delta += e.txBytes;
    }
    if (idealDelta - delta < threshold) break;
  }
  if (!out.length) {
    // Nothing small enough: the lightest bucket, the last one of the sorted list.
    const closest = from.entries[from.entries.length - 1]!;
    delta = closest.txBytes;
    out.push(closest);
  }
  const newLow = Math.min(from.txBytes - delta, toTxBytes + delta);
  return newLow > toTxBytes && newLow - toTxBytes >= threshold ? out : [];
}
