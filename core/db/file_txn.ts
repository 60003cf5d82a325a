// Transaction records in upstream's file format (ovsdb/file.c): turning committed changes into
// `{"<table>":{"<uuid>":<row or null>},"_comment":…,"_is_diff":true,"_date":ms}` and replaying
// such records (with or without "_is_diff") into a `Transaction`. Owns only that mapping.
// Promises: inserted rows list their persistent non-default columns, modified rows list the
// datum diff of each changed persistent column, deleted rows are null, exactly as upstream
// writes them; replay errors use upstream's wording. Must not do I/O.

import { isObject, type Json, type JsonObject } from "./json.ts";
import { syntaxError } from "./error.ts";
import {
  datumApplyDiff,
  datumDiff,
  datumFromJson,
  datumToJson,
  isDefaultDatum,
  transientDatumFromJson,
} from "./datum.ts";
import { newRow, type Table } from "./table.ts";
import type { RowChange, Transaction } from "./transaction.ts";

/** The file record for `changes`, or undefined when nothing persistent changed. */
export function changesToFileJson(changes: RowChange[]): JsonObject | undefined {
  let out: JsonObject | undefined;
  for (const ch of changes) {
    let row: Json | undefined;
    if (!ch.new) row = null;
    else {
      const obj: JsonObject = {};
      let any = !ch.old;
      for (const c of ch.table.schema.columns.values()) {
        if (c.index === 0 || !c.persistent) continue;
        const d = ch.new.fields[c.index]!;
        if (ch.old ? !ch.changed.has(c.index) : isDefaultDatum(d, c.type)) continue;
        obj[c.name] = ch.old
          ? datumToJson(datumDiff(ch.old.fields[c.index]!, d, c.type), c.type)
          : datumToJson(d, c.type);
        any = true;
      }
      if (any) row = obj;
    }
    if (row === undefined) continue;
    out ??= {};
    const name = ch.table.schema.name;
    const t = (out[name] ??= {}) as JsonObject;
    t[ch.uuid] = row;
  }
  return out;
}

/** Adds upstream's annotations ("_comment", "_is_diff", "_date") to a record. */
export function annotate(
  json: JsonObject | undefined,
  comment: string | undefined,
  dateMs: number,
): JsonObject {
  const out = json ?? {};
  if (comment !== undefined) out._comment = comment;
  out._is_diff = true;
  out._date = BigInt(dateMs);
  return out;
}

/** Replays a transaction record into `txn`. Throws OvsdbError. */
export function replayFileTxn(
  json: Json,
  tables: Map<string, Table>,
  txn: Transaction,
  converting = false,
): void {
  if (!isObject(json)) throw syntaxError(json, null, "object expected");
  const isDiff = json._is_diff === true;
  for (const [name, value] of Object.entries(json)) {
    const table = tables.get(name);
    if (!table) {
      if (name === "_date" && typeof value === "bigint") continue;
      if (name === "_date" && typeof value === "number" && Number.isInteger(value)) continue;
      if (name === "_is_diff" && typeof value === "boolean") continue;
      if (name === "_comment" || converting) continue;
      throw syntaxError(json, "unknown table", `No table named ${name}.`);
    }
    if (!isObject(value)) throw syntaxError(value, null, "object expected");
    for (const [uuid, rowJson] of Object.entries(value)) {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
        throw syntaxError(value, null, `"${uuid}" is not a valid UUID`);
      }
      replayRow(table, uuid.toLowerCase(), rowJson, isDiff, txn, converting);
    }
  }
}

function replayRow(
  table: Table,
  uuid: string,
  json: Json,
  isDiff: boolean,
  txn: Transaction,
  converting: boolean,
): void {
  const existing = table.get(uuid);
  if (json === null) {
    if (!existing) {
      throw syntaxError(undefined, null, `transaction deletes row ${uuid} that does not exist`);
    }
    txn.delete(table, uuid);
    return;
  }
  if (!isObject(json)) throw syntaxError(json, null, "row must be JSON object");
  const row = existing ? txn.modify(table, existing) : newRow(table.schema, uuid);
  if (!existing) row.fields[0] = { keys: [uuid], values: null };
  for (const [name, value] of Object.entries(json)) {
    const c = table.schema.columns.get(name);
    if (!c) {
      if (converting) continue;
      throw syntaxError(json, "unknown column", `No column ${name} in table ${table.schema.name}.`);
    }
    if (existing && isDiff) {
      const diff = transientDatumFromJson(value, c.type);
      row.fields[c.index] = datumApplyDiff(row.fields[c.index]!, diff, c.type);
    } else {
      row.fields[c.index] = datumFromJson(value, c.type);
    }
  }
  if (!existing) txn.insert(table, row);
}
