// An OpenFlow rule in a bridge's flow table (upstream's struct rule): its match and priority (in
// the classifier rule it owns), cookie, timeouts, flags, importance, actions, times and
// statistics. Owns only the rule's own state; which table holds it and how flow-mods change it
// are flow_table.ts's business. Times are milliseconds on the daemon's clock (which `time/warp`
// moves), so timeouts and `duration=` follow virtual time in tests.

import type { Ofpact } from "./actions/types.ts";
import { ClsRule, type Conjunction } from "./classifier.ts";
import type { Match } from "./match.ts";
import type { XlateRule } from "./xlate/view.ts";

/** Flow-mod flags kept with a rule (OFPUTIL_FF_*). */
export const FF_SEND_FLOW_REM = 1 << 0;
export const FF_NO_PKT_COUNTS = 1 << 1;
export const FF_NO_BYT_COUNTS = 1 << 2;
export const FF_CHECK_OVERLAP = 1 << 3;
export const FF_RESET_COUNTS = 1 << 4;
export const FF_EMERG = 1 << 5;
/** Internal only: may set hidden fields; may change read-only tables. */
export const FF_HIDDEN_FIELDS = 1 << 6;
export const FF_NO_READONLY = 1 << 7;
export const FF_STATE = FF_SEND_FLOW_REM | FF_NO_PKT_COUNTS | FF_NO_BYT_COUNTS |
  FF_CHECK_OVERLAP | FF_RESET_COUNTS;

/** Why a rule went away (OFPRR_*). */
export const RR_IDLE_TIMEOUT = 0;
export const RR_HARD_TIMEOUT = 1;
export const RR_DELETE = 2;
export const RR_GROUP_DELETE = 3;
export const RR_METER_DELETE = 4;
export const RR_EVICTION = 5;

/** Priorities above 16 bits can only come from inside the switch (hidden rules). */
export const MAX_OPENFLOW_PRIORITY = 0xffff;

export interface RuleSpec {
  match: Match;
  priority: number;
  tableId: number;
  cookie: bigint;
  idleTimeout: number;
  hardTimeout: number;
  flags: number;
  importance: number;
  ofpacts: readonly Ofpact[];
  conjunctions?: readonly Conjunction[];
  now: number;
}

export class Rule implements XlateRule {
  readonly cr: ClsRule<Rule>;
  tableId: number;
  cookie: bigint;
  idleTimeout: number;
  hardTimeout: number;
  flags: number;
  importance: number;
  ofpacts: readonly Ofpact[];
  /** When the rule was added (kept across modifications). */
  created: number;
  /** When the rule was added or its actions last changed (hard timeouts count from here). */
  modified: number;
  /** When a packet last hit the rule (idle timeouts count from here). */
  used: number;
  packetCount = 0;
  byteCount = 0;
  /** Set while the rule is being removed, for the flow-removed message. */
  removedReason = -1;

  constructor(spec: RuleSpec) {
    this.cr = new ClsRule<Rule>(spec.match, spec.priority, this, spec.conjunctions ?? []);
    this.tableId = spec.tableId;
    this.cookie = spec.cookie;
    this.idleTimeout = spec.idleTimeout;
    this.hardTimeout = spec.hardTimeout;
    this.flags = spec.flags;
    this.importance = spec.importance;
    this.ofpacts = spec.ofpacts;
    this.created = spec.now;
    this.modified = spec.now;
    this.used = spec.now;
  }

  get match(): Match {
    return this.cr.match;
  }

  get priority(): number {
    return this.cr.priority;
  }

  /**
   * A table-miss flow: priority 0 matching everything (upstream's rule_is_table_miss); its
   * controller actions report OFPR_EXPLICIT_MISS.
   */
  get isTableMiss(): boolean {
    return this.cr.priority === 0 && this.cr.match.isCatchAll();
  }

  /** Hidden rules (priority beyond 16 bits) are invisible to OpenFlow. */
  get hidden(): boolean {
    return this.cr.priority > MAX_OPENFLOW_PRIORITY;
  }

  /** Adds traffic the datapath reports for this rule. */
  credit(packets: number, bytes: number, used: number): void {
    this.packetCount += packets;
    this.byteCount += bytes;
    if (used > this.used) this.used = used;
  }

  /** Whether the rule is due to expire at `now`, and why (RR_*), or -1. */
  expiry(now: number): number {
    if (this.hardTimeout && now > this.modified + this.hardTimeout * 1000) return RR_HARD_TIMEOUT;
    if (this.idleTimeout && now > this.used + this.idleTimeout * 1000) return RR_IDLE_TIMEOUT;
    return -1;
  }
}
