// Monitors (RFC 7047 "monitor" and upstream's "monitor_cond"/"monitor_cond_since" extensions;
// ovsdb/monitor.c). Owns parsing of <monitor-requests> (columns, select, where) and composing
// <table-updates> (version 1: {"old","new"}), <table-updates2> (versions 2 and 3: "initial",
// "insert", "delete", "modify" with datum diffs) from the database's current rows and from each
// committed transaction's changes. Promises: rows are reported in the same member shapes as
// upstream; a modify that touches no monitored column is not reported; with a "where"
// condition, rows entering or leaving the condition are reported as insert or delete.
// Monitors with the same parameters (`signature`) compose and serialise each transaction's
// update once between them (`updateText`), which is what makes fan-out to many clients cheap.
// Must not do I/O; the server sends what `update()` or `updateText()` returns.

import { isObject, type Json, type JsonObject, toOvsJson } from "./json.ts";
import { OvsdbError, syntaxError } from "./error.ts";
import { datumDiff, datumToJson, isDefaultDatum } from "./datum.ts";
import { type Clause, conditionFromJson, evaluateCondition } from "./condition.ts";
import type { ColumnSchema } from "./schema.ts";
import type { Row, Table } from "./table.ts";
import type { RowChange } from "./transaction.ts";

export type MonitorVersion = 1 | 2 | 3;

interface Select {
  initial: boolean;
  insert: boolean;
  delete: boolean;
  modify: boolean;
}

interface MonitoredTable {
  table: Table;
  columns: ColumnSchema[];
  select: Select;
  where: Clause[] | undefined;
}

type UpdateType = "initial" | "insert" | "delete" | "modify";

/** Upstream sorts monitored columns by the address of their schema structs, which follows
 * the order the schema created them: our column index. */
const byCreation = (a: ColumnSchema, b: ColumnSchema) => a.index - b.index;

function parseSelect(json: Json | undefined): Select {
  const all: Select = { initial: true, insert: true, delete: true, modify: true };
  if (json === undefined) return all;
  if (!isObject(json)) throw syntaxError(json, null, "select must be an object");
  for (const k of ["initial", "insert", "delete", "modify"] as const) {
    const v = json[k];
    if (v === undefined) continue;
    if (typeof v !== "boolean") throw syntaxError(json, null, `"${k}" must be a boolean`);
    all[k] = v;
  }
  return all;
}

/**
 * Serialised updates per transaction (its changes array, shared by every listener) and monitor
 * signature; "" when the transaction changed nothing such a monitor reports.
 */
const updateTexts = new WeakMap<RowChange[], Map<string, string>>();

/** One client's monitor over one database. */
export class Monitor {
  readonly version: MonitorVersion;
  readonly #tables: MonitoredTable[] = [];
  /** The parameters that decide what this monitor reports, as one string. */
  #signature = "";
  readonly #whereTexts = new Map<Table, string>();

  /** Parses <monitor-requests> against `tables`. Throws OvsdbError. */
  constructor(tables: Map<string, Table>, requests: Json, version: MonitorVersion) {
    this.version = version;
    if (!isObject(requests)) {
      throw syntaxError(requests, null, "monitor-requests must be an object");
    }
    for (const [name, reqs] of Object.entries(requests)) {
      const table = tables.get(name);
      if (!table) throw syntaxError(requests, null, `no table named ${name}`);
      for (const req of Array.isArray(reqs) ? reqs : [reqs]) {
        if (!isObject(req)) throw syntaxError(req, null, "monitor request must be an object");
        let columns: ColumnSchema[];
        if (req.columns === undefined) {
          columns = [...table.schema.columns.values()].filter((c) => c.index !== 0);
        } else {
          if (!Array.isArray(req.columns)) {
            throw syntaxError(req, null, "array of column names expected");
          }
          columns = req.columns.map((n) => {
            const c = typeof n === "string" ? table.schema.columns.get(n) : undefined;
            if (!c) throw syntaxError(req, null, `${String(n)} is not a valid column name`);
            return c;
          });
        }
        const where = req.where === undefined || version === 1
          ? undefined
          : conditionFromJson(table.schema, req.where);
        if (where !== undefined) this.#whereTexts.set(table, toOvsJson(req.where ?? null));
        const existing = this.#tables.find((t) => t.table === table);
        if (existing) {
          for (const c of columns) {
            if (existing.columns.includes(c)) {
              throw new OvsdbError(
                "syntax error",
                `column ${c.name} mentioned more than once`,
              );
            }
            existing.columns.push(c);
            existing.columns.sort(byCreation);
          }
        } else {
          columns.sort(byCreation);
          this.#tables.push({ table, columns, select: parseSelect(req.select), where });
        }
      }
    }
  }

  /** Replaces the condition of `table` (monitor_cond_change). Throws OvsdbError. */
  setCondition(tableName: string, where: Json): void {
    const mt = this.#tables.find((t) => t.table.schema.name === tableName);
    if (!mt) throw syntaxError(where, null, `no table named ${tableName}`);
    mt.where = conditionFromJson(mt.table.schema, where);
    this.#whereTexts.set(mt.table, toOvsJson(where));
    this.#signature = "";
  }

  /** A string equal for two monitors exactly when they report the same updates. */
  get signature(): string {
    if (this.#signature === "") {
      const parts = [String(this.version)];
      for (const mt of this.#tables) {
        const s = mt.select;
        parts.push(
          `${mt.table.schema.name}:${mt.columns.map((c) => c.index).join(",")}:` +
            `${+s.initial}${+s.insert}${+s.delete}${+s.modify}:` +
            (mt.where === undefined ? "" : this.#whereTexts.get(mt.table) ?? ""),
        );
      }
      this.#signature = parts.join("|");
    }
    return this.#signature;
  }

  /**
   * The update for one committed transaction as serialised JSON, or undefined when nothing
   * monitored changed. Computed once per transaction for all monitors with this signature.
   */
  updateText(changes: RowChange[]): string | undefined {
    let texts = updateTexts.get(changes);
    if (!texts) updateTexts.set(changes, texts = new Map());
    const signature = this.signature;
    let text = texts.get(signature);
    if (text === undefined) {
      const update = this.update(changes);
      text = update === undefined ? "" : toOvsJson(update);
      texts.set(signature, text);
    }
    return text === "" ? undefined : text;
  }

  #matches(mt: MonitoredTable, row: Row | null): boolean {
    return row !== null && (mt.where === undefined || evaluateCondition(row, mt.where));
  }

  #compose(
    mt: MonitoredTable,
    type: UpdateType,
    old: Row | null,
    neu: Row | null,
    changed: Set<number> | null,
  ): Json | undefined {
    if (!mt.select[type]) return undefined;
    if (type === "modify" && changed && !mt.columns.some((c) => changed.has(c.index))) {
      return undefined;
    }
    if (this.version === 1) {
      const out: JsonObject = {};
      if (type === "delete" || type === "modify") {
        const o: JsonObject = {};
        for (const c of mt.columns) {
          if (type === "delete" || changed?.has(c.index)) {
            o[c.name] = datumToJson(old!.fields[c.index]!, c.type);
          }
        }
        out.old = o;
      }
      if (type !== "delete") {
        const n: JsonObject = {};
        for (const c of mt.columns) n[c.name] = datumToJson(neu!.fields[c.index]!, c.type);
        out.new = n;
      }
      return out;
    }
    if (type === "delete") return { delete: null };
    const body: JsonObject = {};
    for (const c of mt.columns) {
      if (type === "modify") {
        if (!changed?.has(c.index)) continue;
        body[c.name] = datumToJson(
          datumDiff(old!.fields[c.index]!, neu!.fields[c.index]!, c.type),
          c.type,
        );
      } else if (!isDefaultDatum(neu!.fields[c.index]!, c.type)) {
        body[c.name] = datumToJson(neu!.fields[c.index]!, c.type);
      }
    }
    return { [type]: body };
  }

  /** The initial contents (the reply to the monitor request). */
  initial(): JsonObject {
    const out: JsonObject = {};
    for (const mt of this.#tables) {
      if (!mt.select.initial) continue;
      for (const row of mt.table.iterate()) {
        if (!this.#matches(mt, row)) continue;
        const u = this.#compose(mt, "initial", null, row, null);
        if (u === undefined) continue;
        const t = (out[mt.table.schema.name] ??= {}) as JsonObject;
        t[row.uuid] = u;
      }
    }
    return out;
  }

  /** The update for one committed transaction, or undefined when nothing monitored changed. */
  update(changes: RowChange[]): JsonObject | undefined {
    let out: JsonObject | undefined;
    for (const ch of changes) {
      const mt = this.#tables.find((t) => t.table === ch.table);
      if (!mt) continue;
      const wasIn = this.#matches(mt, ch.old);
      const isIn = this.#matches(mt, ch.new);
      let u: Json | undefined;
      if (wasIn && isIn) u = this.#compose(mt, "modify", ch.old, ch.new, ch.changed);
      else if (wasIn) u = this.#compose(mt, "delete", ch.old, null, null);
      else if (isIn) u = this.#compose(mt, "insert", null, ch.new, null);
      if (u === undefined) continue;
      out ??= {};
      const t = (out[mt.table.schema.name] ??= {}) as JsonObject;
      t[ch.uuid] = u;
    }
    return out;
  }
}
