// A bridge's OpenFlow tables and what flow-mods do to them, with upstream's semantics
// (ofproto/ofproto.c): add (replace an identical rule, keep or reset its counters, check
// overlap, evict when a table is full), modify and modify-strict (change the actions of the
// rules matched loosely or strictly, or add a flow when none matches and the cookie allows),
// delete and delete-strict (with cookie, out_port and out_group filters), timeouts and the
// collection of rules for statistics. Owns rules, tables and table configuration; it speaks no
// OpenFlow wire format and sends nothing: what other parts must hear about (flow removed,
// monitor events, the tables changing so cached flows must be revalidated) is reported through
// `FlowTableEvents`. Promises: a flow-mod that fails changes nothing.

import type { Ofpact } from "./actions/types.ts";
import { Classifier, type Conjunction, isLooseMatch } from "./classifier.ts";
import { OfpError } from "./errors.ts";
import type { Match } from "./match.ts";
import {
  FF_CHECK_OVERLAP,
  FF_NO_READONLY,
  FF_RESET_COUNTS,
  FF_STATE,
  MAX_OPENFLOW_PRIORITY,
  RR_DELETE,
  RR_EVICTION,
  Rule,
} from "./rule.ts";

export const OFPFC_ADD = 0;
export const OFPFC_MODIFY = 1;
export const OFPFC_MODIFY_STRICT = 2;
export const OFPFC_DELETE = 3;
export const OFPFC_DELETE_STRICT = 4;

export const OFPTT_ALL = 0xff;
export const OFPG_ANY = 0xffffffff;
export const OFPP_ANY = 0xffff;
export const OFP_DEFAULT_PRIORITY = 0x8000;
const COOKIE_ALL = 0xffffffffffffffffn;

/** A flow-mod as ofproto applies it (upstream's ofputil_flow_mod). */
export interface FlowModRequest {
  command: number;
  match: Match;
  priority: number;
  cookie: bigint;
  cookieMask: bigint;
  /** The cookie to install, or 2^64-1 for none. */
  newCookie: bigint;
  modifyCookie: boolean;
  tableId: number;
  idleTimeout: number;
  hardTimeout: number;
  bufferId: number;
  outPort: number;
  outGroup: number;
  flags: number;
  importance: number;
  ofpacts: readonly Ofpact[];
}

/** What a flow-mod's criteria select (upstream's rule_criteria). */
export interface RuleCriteria {
  tableId: number;
  match: Match;
  /** For strict selection; ignored by loose. */
  priority: number;
  cookie: bigint;
  cookieMask: bigint;
  outPort: number;
  outGroup: number;
  includeHidden: boolean;
  includeReadonly: boolean;
}

/** How a table behaves on a miss, as OFPTC_* table-mod config sets it. */
export type TableMissConfig = "default" | "controller" | "continue" | "drop";

export class OfTable {
  readonly cls: Classifier<Rule>;
  name = "";
  /** Limit on flows (Flow_Table:flow_limit), or Infinity. */
  maxFlows = Infinity;
  /** Flow_Table:overflow_policy=evict (upstream's EVICTION_CLIENT). */
  evictByClient = false;
  /** OpenFlow 1.4 table-mod eviction=on (EVICTION_OPENFLOW). */
  evictByOpenflow = false;
  /** Table-mod vacancy events: thresholds in percent, and the event armed next, if on. */
  vacancyDown = 0;
  vacancyUp = 0;
  vacancyEvent: "up" | "down" | undefined;
  /**
   * False only when a walk found no rule with a timeout and none has been inserted since, so
   * that expiry and eviction skip tables of permanent rules (a 100k-rule table would otherwise
   * be walked at every revalidation).
   */
  mayExpire = false;
  readonly: boolean;
  miss: TableMissConfig = "default";
  /** Packets looked up and matched, for table stats. */
  lookups = 0;
  matched = 0;

  constructor(readonly tableId: number, readonlyTable = false) {
    this.cls = new Classifier<Rule>();
    this.readonly = readonlyTable;
  }

  get count(): number {
    return this.cls.count;
  }

  /** Whether a full table evicts (either way of asking), by importance then age. */
  get evict(): boolean {
    return this.evictByClient || this.evictByOpenflow;
  }

  /** Free space in percent (oftable_vacancy). */
  get vacancy(): number {
    if (this.maxFlows === Infinity || this.maxFlows === 0) return 100;
    if (this.count >= this.maxFlows) return 0;
    return Math.floor((this.maxFlows - this.count) * 100 / this.maxFlows);
  }
}

export interface FlowTableEvents {
  /** A rule left the table (deleted, expired, evicted, replaced by none). */
  ruleRemoved?(rule: Rule, reason: number): void;
  /** A rule was added or its actions or cookie changed ("added"/"modified" monitor events). */
  ruleAdded?(rule: Rule, replaced: Rule | undefined, command: number): void;
  /** Anything in the tables changed: cached translations are stale. */
  changed?(): void;
}

/** Checks actions against the switch (ports, groups, meters, tables); throws OfpError. */
export type ActionChecker = (ofpacts: readonly Ofpact[], match: Match, tableId: number) => void;

/** Whether `ofpacts` may send to `port` (out_port filter); OFPP_ANY matches everything. */
export type OutputFilter = (ofpacts: readonly Ofpact[], port: number) => boolean;
export type GroupFilter = (ofpacts: readonly Ofpact[], group: number) => boolean;

export interface FlowTableOptions {
  nTables: number;
  now: () => number;
  events?: FlowTableEvents;
  checkActions?: ActionChecker;
  outputsTo: OutputFilter;
  outputsToGroup: GroupFilter;
  /** Conjunctions of a new rule's actions (for the classifier). */
  conjunctions?: (ofpacts: readonly Ofpact[]) => Conjunction[];
}

/** One undoable change to the tables, for transactions (bundles). */
type JournalEntry =
  | { op: "insert"; rule: Rule; displaced: Rule | undefined }
  | { op: "remove"; rule: Rule };

export class FlowTables {
  readonly tables: OfTable[];
  readonly #options: FlowTableOptions;
  #journal: JournalEntry[] | undefined;
  #deferred: (() => void)[] | undefined;

  constructor(options: FlowTableOptions) {
    this.#options = options;
    this.tables = Array.from({ length: options.nTables }, (_, i) => new OfTable(i));
  }

  get nTables(): number {
    return this.tables.length;
  }

  /**
   * Runs `fn` as one transaction: if it throws, every rule it inserted or removed is put back
   * and no event of it is heard; otherwise its events are delivered when it returns.
   */
  transaction<T>(fn: () => T): T {
    if (this.#journal) return fn();
    const journal: JournalEntry[] = [];
    const deferred: (() => void)[] = [];
    this.#journal = journal;
    this.#deferred = deferred;
    try {
      const result = fn();
      this.#journal = undefined;
      this.#deferred = undefined;
      for (const event of deferred) event();
      return result;
    } catch (error) {
      this.#journal = undefined;
      this.#deferred = undefined;
      for (const entry of journal.reverse()) {
        const cls = this.tables[entry.rule.tableId]!.cls;
        if (entry.op === "insert") {
          cls.remove(entry.rule.cr);
          if (entry.displaced) {
            cls.insert(entry.displaced.cr);
            noteTimeouts(this.tables[entry.rule.tableId]!, entry.displaced);
          }
        } else {
          cls.insert(entry.rule.cr);
          noteTimeouts(this.tables[entry.rule.tableId]!, entry.rule);
          entry.rule.removedReason = -1;
        }
      }
      throw error;
    }
  }

  #emit(event: () => void): void {
    if (this.#deferred) this.#deferred.push(event);
    else event();
  }

  #insertRule(rule: Rule): void {
    const table = this.tables[rule.tableId]!;
    noteTimeouts(table, rule);
    const displaced = table.cls.insert(rule.cr)?.payload;
    this.#journal?.push({ op: "insert", rule, displaced });
  }

  table(tableId: number): OfTable | undefined {
    return this.tables[tableId];
  }

  #checkTableId(tableId: number): void {
    if (tableId !== OFPTT_ALL && tableId >= this.tables.length) {
      throw new OfpError("OFPBRC_BAD_TABLE_ID");
    }
  }

  /** Applies a flow-mod; throws OfpError (and changes nothing) when upstream would refuse it. */
  apply(fm: FlowModRequest): void {
    switch (fm.command) {
      case OFPFC_ADD:
        this.#checkBuffer(fm);
        this.#add(fm);
        break;
      case OFPFC_MODIFY:
      case OFPFC_MODIFY_STRICT:
        this.#checkBuffer(fm);
        this.#modify(fm, fm.command === OFPFC_MODIFY_STRICT);
        break;
      case OFPFC_DELETE:
      case OFPFC_DELETE_STRICT:
        this.#deleteMatching(fm, fm.command === OFPFC_DELETE_STRICT);
        break;
      default:
        throw new OfpError("OFPFMFC_BAD_COMMAND");
    }
  }

  #checkBuffer(fm: FlowModRequest): void {
    // The table is chosen and checked before the buffer, as upstream orders its checks.
    this.#checkTableId(fm.tableId);
    if (fm.bufferId !== 0xffffffff) throw new OfpError("OFPBRC_BUFFER_UNKNOWN");
  }

  #newRule(fm: FlowModRequest, tableId: number, match: Match, priority: number): Rule {
    const ofpacts = fm.ofpacts;
    return new Rule({
      match,
      priority,
      tableId,
      cookie: fm.newCookie === COOKIE_ALL ? 0n : fm.newCookie,
      idleTimeout: fm.idleTimeout,
      hardTimeout: fm.hardTimeout,
      flags: fm.flags & FF_STATE,
      importance: fm.importance,
      ofpacts,
      conjunctions: this.#options.conjunctions?.(ofpacts) ?? [],
      now: this.#options.now(),
    });
  }

  #pickTable(fm: FlowModRequest): OfTable {
    const tableId = fm.tableId === OFPTT_ALL ? 0 : fm.tableId;
    const table = this.tables[tableId];
    if (!table) throw new OfpError("OFPBRC_BAD_TABLE_ID");
    if (table.readonly && !(fm.flags & FF_NO_READONLY)) throw new OfpError("OFPBRC_EPERM");
    return table;
  }

  #add(fm: FlowModRequest): void {
    const table = this.#pickTable(fm);
    this.#options.checkActions?.(fm.ofpacts, fm.match, table.tableId);
    const rule = this.#newRule(fm, table.tableId, fm.match.clone(), fm.priority);
    const old = table.cls.findExactly(rule.match, rule.priority)?.payload;
    let evicted: Rule | undefined;
    if (!old) {
      if ((fm.flags & FF_CHECK_OVERLAP) && table.cls.overlaps(rule.match, rule.priority)) {
        throw new OfpError("OFPFMFC_OVERLAP");
      }
      if (table.count >= table.maxFlows) {
        evicted = this.#chooseEviction(table);
        if (!evicted) throw new OfpError("OFPFMFC_TABLE_FULL");
      }
    }
    if (old) this.#replace(old, rule, fm, true);
    if (evicted) this.#remove(evicted, RR_EVICTION);
    this.#insertRule(rule);
    this.#emit(() => this.#options.events?.ruleAdded?.(rule, old, fm.command));
    this.#emit(() => this.#options.events?.changed?.());
  }

  /** Carries over what a replacement keeps from the rule it replaces (replace_rule_start). */
  #replace(old: Rule, rule: Rule, fm: FlowModRequest, modifyCookie: boolean): void {
    const changeCookie = modifyCookie && fm.newCookie !== COOKIE_ALL &&
      rule.cookie !== old.cookie;
    if (fm.command !== OFPFC_ADD) {
      rule.idleTimeout = old.idleTimeout;
      rule.hardTimeout = old.hardTimeout;
      rule.importance = old.importance;
      rule.flags = old.flags;
      rule.created = old.created;
    }
    if (!changeCookie) rule.cookie = old.cookie;
    if (!(fm.flags & FF_RESET_COUNTS)) {
      rule.packetCount = old.packetCount;
      rule.byteCount = old.byteCount;
      rule.used = old.used;
    }
    old.removedReason = -1;
    // The caller inserts the new rule, which displaces the old one in place: a subtable that
    // held only the old rule is kept, so dump order and ties stay upstream's.
  }

  #modify(fm: FlowModRequest, strict: boolean): void {
    const criteria = this.#criteria(fm, strict, false);
    const rules = this.collect(criteria, strict);
    if (rules.length === 0) {
      if (fm.newCookie !== COOKIE_ALL && fm.cookieMask === 0n) this.#add(fm);
      return;
    }
    for (const old of rules) {
      this.#options.checkActions?.(fm.ofpacts, old.match, old.tableId);
    }
    for (const old of rules) {
      const rule = this.#newRule(fm, old.tableId, old.match, old.priority);
      this.#replace(old, rule, fm, fm.modifyCookie);
      this.#insertRule(rule);
      this.#emit(() => this.#options.events?.ruleAdded?.(rule, old, fm.command));
    }
    this.#emit(() => this.#options.events?.changed?.());
  }

  #deleteMatching(fm: FlowModRequest, strict: boolean): void {
    const rules = this.collect(this.#criteria(fm, strict, true), strict);
    for (const rule of rules) this.#remove(rule, RR_DELETE);
    if (rules.length) this.#emit(() => this.#options.events?.changed?.());
  }

  #criteria(fm: FlowModRequest, strict: boolean, withOutputs: boolean): RuleCriteria {
    return {
      tableId: fm.tableId,
      match: fm.match,
      priority: strict ? fm.priority : 0,
      cookie: fm.cookie,
      cookieMask: fm.cookieMask,
      outPort: withOutputs ? fm.outPort : OFPP_ANY,
      outGroup: withOutputs ? fm.outGroup : OFPG_ANY,
      includeHidden: strict && fm.priority > MAX_OPENFLOW_PRIORITY,
      includeReadonly: (fm.flags & FF_NO_READONLY) !== 0,
    };
  }

  /**
   * The rules `criteria` select, loosely or strictly (collect_rules_loose/strict). Throws
   * OFPBRC_BAD_TABLE_ID for a bad table, and OFPBRC_EPERM when only read-only rules matched.
   */
  collect(criteria: RuleCriteria, strict: boolean): Rule[] {
    this.#checkTableId(criteria.tableId);
    const out: Rule[] = [];
    let readonlySkipped = 0;
    const consider = (rule: Rule) => {
      if (criteria.tableId !== OFPTT_ALL && rule.tableId !== criteria.tableId) return;
      if (((rule.cookie ^ criteria.cookie) & criteria.cookieMask) !== 0n) return;
      if (rule.hidden && !criteria.includeHidden) return;
      if (
        criteria.outPort !== OFPP_ANY && !this.#options.outputsTo(rule.ofpacts, criteria.outPort)
      ) return;
      if (
        criteria.outGroup !== OFPG_ANY &&
        !this.#options.outputsToGroup(rule.ofpacts, criteria.outGroup)
      ) return;
      if (this.tables[rule.tableId]!.readonly && !criteria.includeReadonly) {
        readonlySkipped++;
        return;
      }
      out.push(rule);
    };
    // "All tables" skips the hidden internal one (upstream's FOR_EACH_MATCHING_TABLE).
    const tables = criteria.tableId === OFPTT_ALL
      ? this.tables.filter((t) => !t.readonly)
      : [this.tables[criteria.tableId]!];
    for (const table of tables) {
      if (strict) {
        const found = table.cls.findExactly(criteria.match, criteria.priority);
        if (found) consider(found.payload);
      } else if (criteria.match.isCatchAll()) {
        table.cls.forEach((cr) => consider(cr.payload));
      } else {
        table.cls.forEachLoose(criteria.match, (cr) => consider(cr.payload));
      }
    }
    if (out.length === 0 && readonlySkipped) throw new OfpError("OFPBRC_EPERM");
    return out;
  }

  /** Removes one rule for `reason` (RR_*), telling the listeners. */
  #remove(rule: Rule, reason: number): void {
    const table = this.tables[rule.tableId];
    if (!table || !rule.cr.inClassifier) return;
    table.cls.remove(rule.cr);
    this.#journal?.push({ op: "remove", rule });
    rule.removedReason = reason;
    this.#emit(() => this.#options.events?.ruleRemoved?.(rule, reason));
  }

  /** Deletes every rule of every table but the read-only ones (upstream's ofproto_flush__). */
  flush(): void {
    const doomed: Rule[] = [];
    for (const table of this.tables) {
      if (table.readonly) continue;
      table.cls.forEach((cr) => doomed.push(cr.payload));
    }
    this.removeRules(doomed, RR_DELETE);
  }

  /** Removes rules for an internal reason (group or meter deleted, expiry). */
  removeRules(rules: readonly Rule[], reason: number): void {
    for (const rule of rules) this.#remove(rule, reason);
    if (rules.length) this.#emit(() => this.#options.events?.changed?.());
  }

  /**
   * Evicts from a table over its limit until it fits, when it may evict (upstream's
   * evict_rules_from_table after a limit is lowered); returns how many went.
   */
  evictToLimit(tableId: number): number {
    const table = this.tables[tableId];
    if (!table) return 0;
    let n = 0;
    while (table.count > table.maxFlows) {
      const victim = this.#chooseEviction(table);
      if (!victim) break;
      this.#remove(victim, RR_EVICTION);
      n++;
    }
    if (n) this.#emit(() => this.#options.events?.changed?.());
    return n;
  }

  /** Expires rules whose idle or hard timeout has passed at `now`; returns how many. */
  expire(now: number): number {
    const due: [Rule, number][] = [];
    for (const table of this.tables) {
      if (table.count === 0 || !table.mayExpire) continue;
      let timed = 0;
      table.cls.forEach((cr) => {
        const rule = cr.payload;
        if (!rule.idleTimeout && !rule.hardTimeout) return;
        timed++;
        const reason = rule.expiry(now);
        if (reason >= 0) due.push([rule, reason]);
      });
      if (timed === 0) table.mayExpire = false;
    }
    for (const [rule, reason] of due) this.#remove(rule, reason);
    if (due.length) this.#options.events?.changed?.();
    return due.length;
  }

  /**
   * The rule eviction removes from a full table: of the rules that can expire (upstream evicts
   * no others), the least important, then the one expiring first (in upstream's 1024 ms
   * units), as its eviction groups order them (simplified to one group).
   */
  #chooseEviction(table: OfTable): Rule | undefined {
    if (!table.evict || !table.mayExpire) return undefined;
    let victim: Rule | undefined;
    let victimKey = Infinity;
    table.cls.forEach((cr) => {
      const rule = cr.payload;
      if (!rule.idleTimeout && !rule.hardTimeout) return;
      const key = rule.importance * 2 ** 32 + Math.floor(expiration(rule) / 1024);
      if (key < victimKey) {
        victimKey = key;
        victim = rule;
      }
    });
    return victim;
  }

  /** Every rule of every table (including hidden ones), table by table. */
  *rules(): Generator<Rule> {
    for (const table of this.tables) {
      const list: Rule[] = [];
      table.cls.forEach((cr) => list.push(cr.payload));
      yield* list;
    }
  }

  /** Whether `a` agrees with `b` loosely (exported for flow monitors and stats filters). */
  static looseMatch(rule: Match, criteria: Match): boolean {
    return isLooseMatch(rule, criteria);
  }
}

/** When a rule with a timeout expires (time_msec), counting from its last use or change. */
function expiration(rule: Rule): number {
  let at = Infinity;
  if (rule.hardTimeout) at = rule.modified + rule.hardTimeout * 1000;
  if (rule.idleTimeout) at = Math.min(at, rule.used + rule.idleTimeout * 1000);
  return at;
}

function noteTimeouts(table: OfTable, rule: Rule): void {
  if (rule.idleTimeout || rule.hardTimeout) table.mayExpire = true;
}
