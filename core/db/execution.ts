// Executes the operations of one RFC 7047 "transact" request (upstream's ovsdb/execution.c)
// against a `Transaction`: insert, select, update, mutate, delete, wait, commit, abort, comment,
// assert. Owns parsing of each operation with upstream's member checks and error texts, and the
// result shapes ({"uuid":[...]}, {"rows":[...]}, {"count":n}, {}). Promises: stops at the first
// error, which replaces that operation's result, and pads the remaining results with null; a
// "wait" that is not yet satisfied is reported as `blocked` so a server can retry it later.
// Must not commit, write storage or notify monitors (database.ts does that).

import { type Json, type JsonObject, toOvsJson } from "./json.ts";
import { MemberParser, OvsdbError, syntaxError } from "./error.ts";
import {
  checkDatumConstraints,
  compareDatums,
  datumEquals,
  datumToJson,
  isUuid,
  SymbolTable,
} from "./datum.ts";
import { columnSetFromJson, type DatabaseSchema, type TableSchema } from "./schema.ts";
import { type Clause, conditionFromJson, conditionUuid, evaluateCondition } from "./condition.ts";
import { applyMutations, mutationsFromJson } from "./mutation.ts";
import { newRow, type Row, rowFromJson, rowToJson, type Table } from "./table.ts";
import type { Transaction } from "./transaction.ts";

/** What the executing session may do, and how long its request has waited. */
export interface ExecutionContext {
  /** Whether the session holds lock `name` (for "assert"). */
  ownsLock?: (name: string) => boolean;
  /** Milliseconds since the request first arrived (for "wait" timeouts). */
  elapsedMs?: number;
  /** Whether "wait" may block (a server with triggers); otherwise "not supported". */
  canBlock?: boolean;
  /** Whether the server is read-only. */
  readOnly?: boolean;
  /** The server itself maintaining a reserved database (`_Server`), which clients may not write. */
  internal?: boolean;
}

export type ExecutionOutcome =
  /** `results` is the array of operation results, or a single error object for bad params. */
  | { kind: "results"; results: Json[]; failed: boolean; durable: boolean; badParams?: Json }
  | { kind: "blocked"; timeoutMs: number };

interface Exec {
  schema: DatabaseSchema;
  tables: Map<string, Table>;
  txn: Transaction;
  symtab: SymbolTable;
  ctx: ExecutionContext;
  durable: boolean;
  timeoutMs: number;
}

type Executor = (x: Exec, p: MemberParser, result: JsonObject) => void;

function parseTable(x: Exec, p: MemberParser): Table | undefined {
  const name = p.member("table", ["id"]);
  if (typeof name !== "string") return undefined;
  const table = x.tables.get(name);
  if (!table) p.raise(`No table named ${name}.`);
  return table;
}

function check(p: MemberParser): void {
  if (p.error) throw p.error;
}

/** Rows of `table` matching `where`, in upstream's order. */
export function query(table: Table, where: Clause[]): Row[] {
  const uuid = conditionUuid(where);
  if (uuid !== undefined) {
    const row = table.get(uuid);
    return row && evaluateCondition(row, where) ? [row] : [];
  }
  const out: Row[] = [];
  table.forEach((row) => {
    if (evaluateCondition(row, where)) out.push(row);
  });
  return out;
}

const insert: Executor = (x, p, result) => {
  const table = parseTable(x, p);
  const uuidJson = p.member("uuid", ["string"], true);
  const uuidName = p.member("uuid-name", ["id"], true);
  const rowJson = p.member("row", ["object"]);
  check(p);
  let uuid: string | undefined;
  if (typeof uuidJson === "string") {
    if (!isUuid(uuidJson)) throw syntaxError(uuidJson, null, "bad uuid");
    uuid = uuidJson.toLowerCase();
    if (!x.txn.mayCreate(table!, uuid)) {
      throw syntaxError(
        uuidJson,
        "duplicate uuid",
        "This UUID would duplicate a UUID already present within the table or deleted " +
          "within the same transaction.",
      );
    }
  }
  if (typeof uuidName === "string") {
    const symbol = x.symtab.insert(uuidName);
    if (symbol.created) {
      throw syntaxError(
        uuidName,
        "duplicate uuid-name",
        'This "uuid-name" appeared on an earlier "insert" operation.',
      );
    }
    if (uuid) symbol.uuid = uuid;
    else uuid = symbol.uuid;
    symbol.created = true;
  }
  uuid ??= crypto.randomUUID();
  const row = newRow(table!.schema, uuid);
  row.fields[0] = { keys: [uuid], values: null };
  for (const [c, d] of rowFromJson(rowJson!, table!.schema, x.symtab)) row.fields[c.index] = d;
  for (const c of table!.schema.columns.values()) {
    const d = row.fields[c.index]!;
    if (d.keys.length === 1) checkDatumConstraints(d, c.type);
  }
  x.txn.insert(table!, row);
  result.uuid = ["uuid", uuid];
};

function distinct(rows: Row[], columns: TableSchema["byIndex"]): Row[] {
  if (columns.some((c) => c.index === 0)) return rows;
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = toOvsJson(columns.map((c) => datumToJson(r.fields[c.index]!, c.type)), {
      insertionOrder: true,
    });
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const select: Executor = (x, p, result) => {
  const table = parseTable(x, p);
  const where = p.member("where", ["array"]);
  const columnsJson = p.member("columns", ["array"], true);
  const sortJson = p.member("sort", ["array"], true);
  check(p);
  const cond = conditionFromJson(table!.schema, where!, x.symtab);
  const columns = columnSetFromJson(columnsJson, table!.schema);
  const sort = sortJson === undefined ? [] : columnSetFromJson(sortJson, table!.schema);
  let rows = distinct(query(table!, cond), columns);
  if (sort.length) {
    rows = [...rows].sort((a, b) => {
      for (const c of sort) {
        const r = compareDatums(a.fields[c.index]!, b.fields[c.index]!);
        if (r) return r;
      }
      return 0;
    });
  }
  result.rows = rows.map((r) => rowToJson(r, columns));
};

const update: Executor = (x, p, result) => {
  const table = parseTable(x, p);
  const where = p.member("where", ["array"]);
  const rowJson = p.member("row", ["object"]);
  check(p);
  const values = rowFromJson(rowJson!, table!.schema, x.symtab);
  for (const c of values.keys()) {
    if (!c.mutable) {
      throw syntaxError(
        p.json,
        "constraint violation",
        `Cannot update immutable column ${c.name} in table ${table!.schema.name}.`,
      );
    }
  }
  const cond = conditionFromJson(table!.schema, where!, x.symtab);
  let count = 0;
  for (const row of query(table!, cond)) {
    count++;
    if ([...values].every(([c, d]) => datumEquals(row.fields[c.index]!, d))) continue;
    const rw = x.txn.modify(table!, row);
    for (const [c, d] of values) rw.fields[c.index] = d;
  }
  result.count = BigInt(count);
};

const mutate: Executor = (x, p, result) => {
  const table = parseTable(x, p);
  const where = p.member("where", ["array"]);
  const mutationsJson = p.member("mutations", ["array"]);
  check(p);
  const mutations = mutationsFromJson(table!.schema, mutationsJson!, x.symtab);
  const cond = conditionFromJson(table!.schema, where!, x.symtab);
  const rows = query(table!, cond);
  if (mutations.length === 0) {
    result.count = BigInt(rows.length);
    return;
  }
  let count = 0;
  for (const row of rows) {
    const rw = x.txn.modify(table!, row);
    count++;
    result.count = BigInt(count);
    rw.fields = applyMutations(rw.fields, mutations);
  }
  result.count = BigInt(count);
};

const remove: Executor = (x, p, result) => {
  const where = p.member("where", ["array"]);
  const table = parseTable(x, p);
  check(p);
  const cond = conditionFromJson(table!.schema, where!, x.symtab);
  const rows = query(table!, cond);
  for (const row of rows) x.txn.delete(table!, row.uuid);
  result.count = BigInt(rows.length);
};

class NotYet extends Error {}

const wait: Executor = (x, p) => {
  const timeout = p.member("timeout", ["integer"], true);
  const where = p.member("where", ["array"]);
  const columnsJson = p.member("columns", ["array"], true);
  const until = p.member("until", ["string"]);
  const rowsJson = p.member("rows", ["array"]);
  const table = parseTable(x, p);
  check(p);
  const cond = conditionFromJson(table!.schema, where!, x.symtab);
  const columns = columnSetFromJson(columnsJson, table!.schema);
  let timeoutMs = Infinity;
  if (timeout !== undefined) {
    timeoutMs = Number(timeout);
    if (timeoutMs < 0) throw syntaxError(timeout, null, "timeout must be nonnegative");
    if (timeoutMs < x.timeoutMs) x.timeoutMs = timeoutMs;
  }
  if (until !== "==" && until !== "!=") {
    throw syntaxError(until!, null, '"until" must be "==" or "!="');
  }
  const keyOf = (r: Row) =>
    toOvsJson(columns.map((c) => datumToJson(r.fields[c.index]!, c.type)), {
      insertionOrder: true,
    });
  const expected = new Set<string>();
  for (const rj of rowsJson as Json[]) {
    const row = newRow(table!.schema, "00000000-0000-0000-0000-000000000000");
    for (const [c, d] of rowFromJson(rj, table!.schema, x.symtab)) row.fields[c.index] = d;
    expected.add(keyOf(row));
  }
  const actual = new Set<string>();
  let equal = true;
  for (const r of query(table!, cond)) {
    const k = keyOf(r);
    if (!expected.has(k)) {
      equal = false;
      break;
    }
    actual.add(k);
  }
  if (equal) equal = actual.size === expected.size;
  if ((until === "==") !== equal) {
    const elapsed = x.ctx.elapsedMs ?? 0;
    if (timeout !== undefined && elapsed >= timeoutMs) {
      throw new OvsdbError(
        "timed out",
        elapsed ? `"wait" timed out after ${elapsed} ms` : '"where" clause test failed',
      );
    }
    if (x.ctx.canBlock) throw new NotYet();
    throw new OvsdbError("not supported", "triggers not supported");
  }
};

const commit: Executor = (x, p) => {
  const durable = p.member("durable", ["boolean"]);
  if (durable === true) x.durable = true;
};

const abort: Executor = () => {
  throw new OvsdbError("aborted", "aborted by request");
};

const comment: Executor = (x, p) => {
  const text = p.member("comment", ["string"]);
  if (typeof text === "string") x.txn.comments.push(text);
};

const assertLock: Executor = (x, p) => {
  const name = p.member("lock", ["id"]);
  if (typeof name !== "string") return;
  if (x.ctx.ownsLock?.(name)) return;
  throw new OvsdbError("not owner", `Asserted lock ${name} not held.`);
};

const EXECUTORS: Record<string, { readOnly: boolean; run: Executor }> = {
  insert: { readOnly: false, run: insert },
  select: { readOnly: true, run: select },
  update: { readOnly: false, run: update },
  mutate: { readOnly: false, run: mutate },
  delete: { readOnly: false, run: remove },
  wait: { readOnly: true, run: wait },
  commit: { readOnly: false, run: commit },
  abort: { readOnly: true, run: abort },
  comment: { readOnly: true, run: comment },
  assert: { readOnly: true, run: assertLock },
};

function toError(e: unknown): OvsdbError {
  if (e instanceof OvsdbError) return e;
  return new OvsdbError("internal error", e instanceof Error ? e.message : String(e));
}

/**
 * Runs the operations of `params` (["db-name", op...]) in `txn`. The caller commits or aborts
 * `txn` depending on the outcome.
 */
export function executeOperations(
  schema: DatabaseSchema,
  tables: Map<string, Table>,
  txn: Transaction,
  params: Json,
  ctx: ExecutionContext,
): ExecutionOutcome {
  if (!Array.isArray(params) || params.length === 0 || params[0] !== schema.name) {
    const error = !Array.isArray(params)
      ? syntaxError(params, null, "array expected")
      : syntaxError(params, null, "database name expected as first parameter");
    return {
      kind: "results",
      results: [],
      failed: true,
      durable: false,
      badParams: error.toJson(),
    };
  }
  const x: Exec = {
    schema,
    tables,
    txn,
    symtab: new SymbolTable(),
    ctx,
    durable: false,
    timeoutMs: Infinity,
  };
  const n = params.length - 1;
  const results: Json[] = [];
  let failed = false;
  for (let i = 1; i <= n; i++) {
    const p = new MemberParser(params[i]!, `ovsdb operation ${i} of ${n}`);
    const result: JsonObject = {};
    const op = p.member("op", ["id"]);
    let error: OvsdbError | undefined;
    let readOnly = false;
    if (typeof op === "string") {
      const executor = EXECUTORS[op];
      if (executor) {
        readOnly = executor.readOnly;
        try {
          executor.run(x, p, result);
        } catch (e) {
          if (e instanceof NotYet) {
            return { kind: "blocked", timeoutMs: x.timeoutMs };
          }
          error = toError(e);
        }
      } else p.raise(`No operation "${op}"`);
    }
    const parseError = p.finish();
    if (parseError) error = parseError;
    if (!readOnly && !error) {
      if (ctx.readOnly) {
        error = new OvsdbError(
          "not allowed",
          `${op} operation not allowed when database server is in read only mode`,
        );
      } else if (schema.name.startsWith("_") && !ctx.internal) {
        error = new OvsdbError(
          "not allowed",
          `${op} operation not allowed on table in reserved database ${schema.name}`,
        );
      }
    }
    if (error) {
      results.push(error.toJson());
      failed = true;
      break;
    }
    results.push(result);
  }
  while (results.length < n) results.push(null);
  return { kind: "results", results, failed, durable: x.durable };
}
