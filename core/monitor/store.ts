// The live monitor's state as named collections of keyed rows (a flow table, a MAC table, a
// database table ...), and the deltas between two states. Each collection belongs to one source
// (the database or the switch); a source's refresh replaces all of its collections at once, and
// the store answers with only what changed — rows set, rows deleted, collections dropped — so a
// page with thousands of flows receives a few rows a second, not the whole table. Promises: a
// client that applies `full()` and then every delta in order holds exactly the store's state.
// Knows nothing of HTTP or of what the rows mean.

/** A cell: text, a number, or nothing (e.g. a MAC entry that never ages). */
export type Cell = string | number | null;
export type Row = Cell[];

export interface Collection {
  /** Column names, in row order. */
  columns: string[];
  rows: Map<string, Row>;
}

/** What changed in one collection; `columns` is sent when the collection is new or reshaped. */
export interface CollectionDelta {
  columns?: string[];
  set: [string, Row][];
  del: string[];
}

export interface Delta {
  seq: number;
  changes: Record<string, CollectionDelta>;
  drop: string[];
}

export interface FullState {
  seq: number;
  collections: Record<string, { columns: string[]; rows: [string, Row][] }>;
}

export type Source = "db" | "switch";

function sameRow(a: Row, b: Row): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

export class Store {
  readonly #collections = new Map<string, Collection>();
  readonly #owners = new Map<string, Source>();
  #seq = 0;

  /** Increases with every change; a client that has seen `seq` needs only later deltas. */
  get seq(): number {
    return this.#seq;
  }

  get(name: string): Collection | undefined {
    return this.#collections.get(name);
  }

  /** Names of the collections, sorted. */
  names(): string[] {
    return [...this.#collections.keys()].sort();
  }

  /**
   * Makes `next` the whole of `source`'s collections: those it omits are dropped. Returns what
   * changed, or undefined when nothing did.
   */
  replace(source: Source, next: ReadonlyMap<string, Collection>): Delta | undefined {
    const changes: Record<string, CollectionDelta> = {};
    const drop: string[] = [];
    for (const [name, owner] of this.#owners) {
      if (owner === source && !next.has(name)) drop.push(name);
    }
    for (const name of drop) {
      this.#collections.delete(name);
      this.#owners.delete(name);
    }
    for (const [name, collection] of next) {
      const owner = this.#owners.get(name);
      if (owner !== undefined && owner !== source) {
        throw new RangeError(`collection "${name}" belongs to ${owner}, not ${source}`);
      }
      const before = this.#collections.get(name);
      this.#collections.set(name, collection);
      this.#owners.set(name, source);
      const delta = before && sameColumns(before.columns, collection.columns)
        ? rowChanges(before.rows, collection.rows)
        : { columns: collection.columns, set: [...collection.rows], del: [] };
      if (delta.columns || delta.set.length || delta.del.length) changes[name] = delta;
    }
    if (drop.length === 0 && Object.keys(changes).length === 0) return undefined;
    return { seq: ++this.#seq, changes, drop };
  }

  full(): FullState {
    const collections: FullState["collections"] = {};
    for (const name of this.names()) {
      const collection = this.#collections.get(name) as Collection;
      collections[name] = { columns: collection.columns, rows: [...collection.rows] };
    }
    return { seq: this.#seq, collections };
  }
}

function rowChanges(before: Map<string, Row>, after: Map<string, Row>): CollectionDelta {
  const set: [string, Row][] = [];
  const del: string[] = [];
  for (const [key, row] of after) {
    const old = before.get(key);
    if (!old || !sameRow(old, row)) set.push([key, row]);
  }
  for (const key of before.keys()) if (!after.has(key)) del.push(key);
  return { set, del };
}

/**
 * A point in time estimated from a coarse age ("duration=3s", "Age 12"), kept from the previous
 * estimate while the two agree within `slack` ms, so a steady flow's creation time does not
 * change (and need not be resent) every second.
 */
export function steadyTime(previous: Cell | undefined, estimate: number, slack = 2000): number {
  return typeof previous === "number" && Math.abs(previous - estimate) <= slack
    ? previous
    : Math.round(estimate);
}
