// An in-memory OVSDB transaction (upstream's ovsdb/transaction.c). Owns the copy-on-write
// bookkeeping of one transaction over a set of `Table`s and the commit-time checks, in
// upstream's order: drop no-op changes, strong reference counting ("referential integrity
// violation"), garbage collection of unreferenced non-root rows, maxRows, weak reference
// cleanup (with the "constraint violation" texts when a column becomes too small), index
// uniqueness (upstream's "Transaction causes multiple rows ..." text), and new `_version`s.
// Promises: changes are applied to the tables as operations run (so later operations see
// them); `abort()` restores every table exactly; after `precommit()` succeeds, `commit()`
// makes reference counts final and `changes()` lists what changed. Must not do I/O.

import { OvsdbError } from "./error.ts";
import {
  type Atom,
  compareAtoms,
  compareDatums,
  type Datum,
  datumEquals,
  datumToJson,
  ZERO_UUID,
} from "./datum.ts";
import { type BaseType, hasStrongRefs } from "./types.ts";
import type { ColumnSchema } from "./schema.ts";
import { cloneRow, type Row, rowColumnsToString, type Table } from "./table.ts";
import { toOvsJson } from "./json.ts";

export interface TxnRow {
  table: Table;
  uuid: string;
  /** The committed row, or null when inserted by this transaction. */
  old: Row | null;
  /** The row as the transaction leaves it (owned by the transaction), or null if deleted. */
  new: Row | null;
  /** Strong references to this row after the transaction. */
  nRefs: number;
  /** Indexes of columns that differ between old and new (filled in by precommit). */
  changed: Set<number>;
}

/** One committed change, as monitors and the storage log see it. */
export interface RowChange {
  table: Table;
  uuid: string;
  old: Row | null;
  new: Row | null;
  changed: Set<number>;
}

const isStrong = (b: BaseType | null) =>
  b !== null && b.refTable !== undefined && b.refType === "strong";
const isWeak = (b: BaseType | null) =>
  b !== null && b.refTable !== undefined && b.refType === "weak";

export class Transaction {
  readonly tables: Map<string, Table>;
  readonly #rows = new Map<Table, Map<string, TxnRow>>();
  /** `#all()`'s answer until the next row is added or dropped. */
  #allCache: TxnRow[] | undefined;
  readonly comments: string[] = [];
  /** Steps that take back `commit()`, newest last (see `rollback`). */
  #undo: Array<() => void> | undefined;

  constructor(tables: Map<string, Table>) {
    this.tables = tables;
  }

  #find(table: Table, uuid: string): TxnRow | undefined {
    return this.#rows.get(table)?.get(uuid);
  }

  #add(r: TxnRow): TxnRow {
    let m = this.#rows.get(r.table);
    if (!m) this.#rows.set(r.table, m = new Map());
    m.set(r.uuid, r);
    this.#allCache = undefined;
    return r;
  }

  #drop(r: TxnRow): void {
    this.#rows.get(r.table)?.delete(r.uuid);
    this.#allCache = undefined;
  }

  /** Every row of the transaction, table by table: a snapshot, which callers must not change. */
  #all(): TxnRow[] {
    if (this.#allCache === undefined) {
      const out: TxnRow[] = [];
      for (const m of this.#rows.values()) for (const r of m.values()) out.push(r);
      this.#allCache = out;
    }
    return this.#allCache;
  }

  /** Whether a row with `uuid` may be created in `table` (not present, not deleted here). */
  mayCreate(table: Table, uuid: string): boolean {
    return !table.get(uuid) && !this.#find(table, uuid);
  }

  /** Inserts `row` (owned by the transaction from now on), with a fresh `_version`. */
  insert(table: Table, row: Row): void {
    row.fields[1] = { keys: [crypto.randomUUID()], values: null };
    table.put(row);
    this.#add({ table, uuid: row.uuid, old: null, new: row, nRefs: 0, changed: new Set() });
  }

  /** A writable version of `row`, which must be a current row of `table`. */
  modify(table: Table, row: Row): Row {
    const existing = this.#find(table, row.uuid);
    if (existing?.new) return existing.new;
    const copy = cloneRow(row);
    table.put(copy);
    this.#add({
      table,
      uuid: row.uuid,
      old: row,
      new: copy,
      nRefs: table.refCount(row.uuid),
      changed: new Set(),
    });
    return copy;
  }

  /** Deletes current row `uuid` of `table` (upstream's ovsdb_txn_row_delete). */
  delete(table: Table, uuid: string): void {
    const r = this.#find(table, uuid);
    const current = table.get(uuid);
    table.remove(uuid);
    if (!r) {
      this.#add({
        table,
        uuid,
        old: current ?? null,
        new: null,
        nRefs: table.refCount(uuid),
        changed: new Set(),
      });
    } else if (r.old) {
      r.new = null;
    } else {
      this.#drop(r);
    }
  }

  /** Undoes every change. */
  abort(): void {
    for (const r of [...this.#all()].reverse()) {
      if (r.old) r.table.put(r.old);
      else r.table.remove(r.uuid);
    }
    this.#rows.clear();
    this.#allCache = undefined;
  }

  /**
   * Shows the tables as they were before this transaction (while its record is being written,
   * readers must see only durable data); `show()` puts its changes back.
   */
  hide(): void {
    for (const r of [...this.#all()].reverse()) {
      if (r.old) r.table.put(r.old);
      else r.table.remove(r.uuid);
    }
  }

  /** Puts this transaction's changes back after `hide()`. */
  show(): void {
    for (const r of this.#all()) {
      if (r.new) r.table.put(r.new);
      else r.table.remove(r.uuid);
    }
  }

  #findOrMake(table: Table, uuid: string): TxnRow | undefined {
    const r = this.#find(table, uuid);
    if (r) return r;
    const row = table.get(uuid);
    if (!row) return undefined;
    this.modify(table, row);
    return this.#find(table, uuid);
  }

  #refTable(b: BaseType): Table {
    return this.tables.get(b.refTable!)!;
  }

  #adjustRefs(src: Row, table: Table, column: ColumnSchema, d: Datum, delta: number): void {
    const sides: [BaseType | null, Atom[] | null][] = [
      [column.type.key, d.keys],
      [column.type.value, d.values],
    ];
    for (const [base, atoms] of sides) {
      if (!isStrong(base) || !atoms) continue;
      const target = this.#refTable(base!);
      for (const a of atoms) {
        const uuid = a as string;
        if (uuid === src.uuid) continue;
        const tr = this.#findOrMake(target, uuid);
        if (!tr) {
          throw new OvsdbError(
            "referential integrity violation",
            `Table ${table.schema.name} column ${column.name} row ${src.uuid} references ` +
              `nonexistent row ${uuid} in table ${target.schema.name}.`,
          );
        }
        tr.nRefs += delta;
      }
    }
  }

  #deleteGarbage(r: TxnRow): void {
    if (r.table.schema.isRoot || !r.new) return;
    const row = r.new;
    r.new = null;
    r.table.remove(r.uuid);
    for (const c of r.table.schema.byIndex) r.changed.add(c.index);
    if (!r.old) this.#drop(r);
    for (const c of r.table.schema.columns.values()) {
      const d = row.fields[c.index]!;
      for (const [base, atoms] of [[c.type.key, d.keys], [c.type.value, d.values]] as const) {
        if (!isStrong(base) || !atoms) continue;
        const target = this.#refTable(base!);
        for (const a of atoms) {
          if (a === row.uuid) continue;
          const tr = this.#findOrMake(target, a as string);
          if (tr && tr.new && --tr.nRefs === 0) this.#deleteGarbage(tr);
        }
      }
    }
  }

  /** Runs every commit-time check; throws OvsdbError. Returns false for a no-op. */
  precommit(): boolean {
    for (const r of this.#all()) {
      if (r.old && r.new) {
        for (const c of r.table.schema.byIndex) {
          if (!datumEquals(r.old.fields[c.index]!, r.new.fields[c.index]!)) r.changed.add(c.index);
        }
        if (r.changed.size === 0) {
          r.table.put(r.old);
          this.#drop(r);
        }
      } else {
        for (const c of r.table.schema.byIndex) r.changed.add(c.index);
      }
    }
    if (this.#all().length === 0) return false;

    // Strong reference counts; rows pulled in by this loop only have their counts adjusted.
    for (const r of this.#all()) {
      for (const c of r.table.schema.columns.values()) {
        if (!r.changed.has(c.index) || !hasStrongRefs(c.type)) continue;
        if (r.old && !r.new) this.#adjustRefs(r.old, r.table, c, r.old.fields[c.index]!, -1);
        else if (!r.old && r.new) this.#adjustRefs(r.new, r.table, c, r.new.fields[c.index]!, 1);
        else if (r.old && r.new) {
          const [added, removed] = addedRemoved(r.old.fields[c.index]!, r.new.fields[c.index]!);
          this.#adjustRefs(r.old, r.table, c, removed, -1);
          this.#adjustRefs(r.new, r.table, c, added, 1);
        }
      }
    }
    for (const r of this.#all()) {
      if (!r.new && r.nRefs > 0) {
        throw new OvsdbError(
          "referential integrity violation",
          `cannot delete ${r.table.schema.name} row ${r.uuid} because of ${r.nRefs} remaining reference(s)`,
        );
      }
    }
    for (const r of this.#all()) if (r.new && r.nRefs === 0) this.#deleteGarbage(r);

    for (const table of this.#rows.keys()) {
      if (table.size > table.schema.maxRows) {
        throw new OvsdbError(
          "constraint violation",
          `transaction causes "${table.schema.name}" table to contain ${table.size} rows, ` +
            `greater than the schema-defined limit of ${table.schema.maxRows} row(s)`,
        );
      }
    }
    this.#assessWeakRefs();
    this.#checkIndexes();
    for (const r of this.#all()) {
      if (r.old && r.new && r.changed.size > 0) {
        r.changed.add(1);
        r.new.fields[1] = { keys: [crypto.randomUUID()], values: null };
      }
    }
    return true;
  }

  #assessWeakRefs(): void {
    const deleted = new Set<string>();
    for (const r of this.#all()) {
      if (r.old && !r.new) deleted.add(`${r.table.schema.name}/${r.uuid}`);
    }
    if (deleted.size) {
      for (const table of this.tables.values()) {
        const weakCols = [...table.schema.columns.values()].filter((c) =>
          isWeak(c.type.key) || isWeak(c.type.value)
        );
        if (!weakCols.length) continue;
        for (const row of [...table.iterate()]) {
          const hit = weakCols.some((c) => {
            const d = row.fields[c.index]!;
            return (isWeak(c.type.key) &&
              d.keys.some((k) => deleted.has(`${c.type.key.refTable}/${k}`))) ||
              (isWeak(c.type.value) && d.values !== null &&
                d.values.some((v) => deleted.has(`${c.type.value!.refTable}/${v}`)));
          });
          if (hit) this.#findOrMake(table, row.uuid);
        }
      }
    }
    for (const r of this.#all()) {
      if (!r.new) continue;
      for (const c of r.table.schema.columns.values()) {
        const keyWeak = isWeak(c.type.key);
        const valueWeak = isWeak(c.type.value);
        if (!keyWeak && !valueWeak) continue;
        const d = r.new.fields[c.index]!;
        const exists = (b: BaseType, a: Atom) => this.#refTable(b).get(a as string) !== undefined;
        const keep: number[] = [];
        let zero = false;
        d.keys.forEach((k, i) => {
          const keyOk = !keyWeak || exists(c.type.key, k);
          const valueOk = !valueWeak || exists(c.type.value!, d.values![i]!);
          if (keyOk && valueOk) keep.push(i);
          else if ((!keyOk && k === ZERO_UUID) || (!valueOk && d.values![i] === ZERO_UUID)) {
            zero = true;
          }
        });
        if (keep.length === d.keys.length) continue;
        const removedCount = d.keys.length - keep.length;
        r.new.fields[c.index] = {
          keys: keep.map((i) => d.keys[i]!),
          values: d.values ? keep.map((i) => d.values![i]!) : null,
        };
        r.changed.add(c.index);
        if (keep.length < c.type.min) {
          if (zero && !r.old) {
            throw new OvsdbError(
              "constraint violation",
              `Weak reference column "${c.name}" in "${r.table.schema.name}" row ${r.uuid} ` +
                "(inserted within this transaction) contained all-zeros UUID (probably as the " +
                "default value for this column) but deleting this value caused a constraint " +
                "volation because this column is not allowed to be empty.",
            );
          }
          throw new OvsdbError(
            "constraint violation",
            `Deletion of ${removedCount} weak reference(s) to deleted (or never-existing) rows ` +
              `from column "${c.name}" in "${r.table.schema.name}" row ${r.uuid} ` +
              `${r.old ? "" : "(inserted within this transaction) "}caused this column to ` +
              "become empty, but constraints on this column disallow an empty column.",
          );
        }
      }
    }
  }

  #checkIndexes(): void {
    for (const [table, rows] of this.#rows) {
      table.schema.indexes.forEach((index, i) => {
        const seen = new Map<string, Row>();
        for (const r of rows.values()) {
          if (!r.new) continue;
          const key = indexKey(r.new, index);
          const inTxn = seen.get(key);
          if (inTxn) throw this.#duplicate(table, index, inTxn, r.new);
          seen.set(key, r.new);
          // A committed row holding the key that this transaction did not touch.
          const uuid = table.indexes[i]!.get(key);
          const committed = uuid === undefined || rows.has(uuid) ? undefined : table.get(uuid);
          if (committed) throw this.#duplicate(table, index, committed, r.new);
        }
      });
    }
  }

  #duplicate(table: Table, index: ColumnSchema[], a: Row, b: Row): OvsdbError {
    const comparable = [...table.schema.columns.values()]
      .filter((c) => c.type.key.type !== "uuid" && c.type.value?.type !== "uuid")
      .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    let cmp = 0;
    for (const c of comparable) {
      cmp = compareDatums(a.fields[c.index]!, b.fields[c.index]!);
      if (cmp) break;
    }
    if (cmp < 0) [a, b] = [b, a];
    const names = index.map((c, i) => {
      const delim = i === 0
        ? ""
        : index.length === 2
        ? " and "
        : i === index.length - 1
        ? ", and "
        : ", ";
      return `${delim}"${c.name}"`;
    }).join("");
    const indexText = `column${index.length > 1 ? "s" : ""} ${names}`;
    const describe = (row: Row, title: string) => {
      const r = this.#find(table, row.uuid);
      let s = `${title} row, with UUID ${row.uuid}, `;
      const changed = r ? [...r.changed].some((i) => i >= 1) : false;
      if (!r || !changed) {
        s +=
          "existed in the database before this transaction and was not modified by the transaction.";
      } else if (!r.old) s += "was inserted by this transaction.";
      else if (index.every((c) => datumEquals(r.old!.fields[c.index]!, r.new!.fields[c.index]!))) {
        s += "existed in the database before this transaction, which modified some of the row's " +
          "columns but not any columns in this index.";
      } else {
        s += `had the following index values before the transaction: ${
          rowColumnsToString(r.old, index)
        }.`;
      }
      return s;
    };
    return new OvsdbError(
      "constraint violation",
      `Transaction causes multiple rows in "${table.schema.name}" table to have identical values ` +
        `(${rowColumnsToString(a, index)}) for index on ${indexText}.  ${describe(a, "First")}  ${
          describe(b, "Second")
        }`,
    );
  }

  /** Makes reference counts final. Call after a successful precommit. */
  commit(): void {
    const undo: Array<() => void> = [];
    for (const r of this.#all()) {
      const previous = r.table.refs.get(r.uuid);
      undo.push(() => {
        if (previous === undefined) r.table.refs.delete(r.uuid);
        else r.table.refs.set(r.uuid, previous);
      });
      if (r.new && r.nRefs) r.table.refs.set(r.uuid, r.nRefs);
      else r.table.refs.delete(r.uuid);
      r.table.schema.indexes.forEach((index, i) => {
        const map = r.table.indexes[i]!;
        const remember = (key: string) => {
          const before = map.get(key);
          undo.push(() => {
            if (before === undefined) map.delete(key);
            else map.set(key, before);
          });
        };
        if (r.old) {
          const key = indexKey(r.old, index);
          if (map.get(key) === r.uuid) {
            remember(key);
            map.delete(key);
          }
        }
        if (r.new) {
          const key = indexKey(r.new, index);
          remember(key);
          map.set(key, r.uuid);
        }
      });
    }
    this.#undo = undo;
  }

  /**
   * Undoes a committed transaction: reference counts, indexes and rows as they were before it.
   * Only valid for the newest committed transaction (undo newer ones first), which is how a
   * database whose group commit failed takes back everything that was not made durable.
   */
  rollback(): void {
    const undo = this.#undo ?? [];
    for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
    this.#undo = undefined;
    this.abort();
  }

  /** The changes of a committed transaction, table by table. */
  changes(): RowChange[] {
    return this.#all().filter((r) => (r.old || r.new) && r.changed.size > 0).map((r) => ({
      table: r.table,
      uuid: r.uuid,
      old: r.old,
      new: r.new,
      changed: r.changed,
    }));
  }
}

/** The key of `row` in a unique index over `columns`. */
export function indexKey(row: Row, columns: ColumnSchema[]): string {
  return toOvsJson(columns.map((c) => datumToJson(row.fields[c.index]!, c.type)), {
    insertionOrder: true,
  });
}

/** Upstream's ovsdb_datum_added_removed(): atoms only in `b`, atoms only in `a` (both sorted). */
export function addedRemoved(a: Datum, b: Datum): [Datum, Datum] {
  const added: Datum = { keys: [], values: b.values ? [] : null };
  const removed: Datum = { keys: [], values: a.values ? [] : null };
  const push = (d: Datum, from: Datum, i: number) => {
    d.keys.push(from.keys[i]!);
    if (d.values) d.values.push(from.values![i]!);
  };
  let i = 0;
  let j = 0;
  while (i < a.keys.length || j < b.keys.length) {
    const c = i >= a.keys.length
      ? 1
      : j >= b.keys.length
      ? -1
      : compareAtoms(a.keys[i]!, b.keys[j]!);
    if (c < 0) push(removed, a, i++);
    else if (c > 0) push(added, b, j++);
    else {
      if (a.values && b.values && compareAtoms(a.values[i]!, b.values[j]!) !== 0) {
        push(removed, a, i);
        push(added, b, j);
      }
      i++;
      j++;
    }
  }
  return [added, removed];
}
