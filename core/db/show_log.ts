// `ovsdb-tool show-log` for standalone database files: prints each record of a decoded log as
// upstream does (record number, schema identity, UTC date, comment, and with -m/-mm the changed
// tables and rows, tracking row names across records). Owns only that formatting; output goes
// through the injected `out` function. Must not open files or exit.

import { isObject, type Json, type JsonObject, toOvsJson } from "./json.ts";
import { hashOrder } from "./hash_order.ts";
import { type DatabaseSchema, schemaFromJson } from "./schema.ts";
import { datumFromJson } from "./datum.ts";
import { datumToString } from "./data_string.ts";
import type { LogRecord } from "./log.ts";

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Formats milliseconds since the epoch as upstream's " %Y-%m-%d %H:%M:%S.###" in UTC. */
export function formatLogDate(ms: number): string {
  const d = new Date(ms);
  return ` ${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.` +
    pad(d.getUTCMilliseconds(), 3);
}

function entries(obj: JsonObject): [string, Json][] {
  return hashOrder(Object.keys(obj)).map((k) => [k, obj[k]!]);
}

function printChanges(
  json: JsonObject,
  names: Map<string, string>,
  schema: DatabaseSchema | undefined,
  verbosity: number,
  out: (s: string) => void,
): void {
  const diff = json._is_diff === true;
  let i = 0;
  for (const [table, rows] of entries(json)) {
    if (table.startsWith("_") || !isObject(rows)) continue;
    if (i++ === 0) out("\n");
    const ts = schema?.tables.get(table);
    for (const [uuid, columns] of entries(rows)) {
      const oldName = names.get(uuid);
      let newName: string | undefined;
      if (isObject(columns) && columns.name !== undefined) {
        newName = toOvsJson(columns.name, { sort: true });
      }
      let line = `  table ${table}`;
      if (oldName === undefined) {
        line += newName !== undefined
          ? ` insert row ${newName} (${uuid.slice(0, 8)}):\n`
          : ` insert row ${uuid.slice(0, 8)}:\n`;
      } else {
        line += ` row ${oldName} (${uuid.slice(0, 8)})${diff ? " diff" : ""}:\n`;
      }
      out(line);
      if (isObject(columns)) {
        if (verbosity > 1) {
          for (const [column, value] of entries(columns)) {
            const cs = ts?.columns.get(column);
            let text: string | undefined;
            if (cs) {
              try {
                text = datumToString(datumFromJson(value, cs.type), cs.type);
              } catch {
                text = undefined;
              }
            }
            out(`    ${column}=${text ?? toOvsJson(value, { sort: true })}\n`);
          }
        }
        if (newName !== undefined && (oldName === undefined || oldName !== newName)) {
          names.set(uuid, newName);
        } else if (oldName === undefined) {
          names.set(uuid, uuid.slice(0, 8));
        }
      } else if (columns === null) {
        out("    delete row\n");
        names.delete(uuid);
      }
    }
  }
}

/** Prints `records` as `ovsdb-tool show-log` with `verbosity` -m flags. Throws OvsdbError. */
export function showLog(records: LogRecord[], verbosity: number, out: (s: string) => void): void {
  const names = new Map<string, string>();
  let schema: DatabaseSchema | undefined;
  records.forEach((record, i) => {
    out(`record ${i}:`);
    if (i === 0) {
      schema = schemaFromJson(record.json);
      out(` "${schema.name}" schema, version="${schema.version}", cksum="${schema.cksum}"\n`);
    } else if (isObject(record.json)) {
      const json = record.json;
      const date = json._date;
      if (typeof date === "bigint" || (typeof date === "number" && Number.isInteger(date))) {
        let t = Number(date);
        if (t < 2147483647) t *= 1000;
        out(formatLogDate(t));
      }
      if (typeof json._comment === "string") out(` "${json._comment}"`);
      if (verbosity > 0) printChanges(json, names, schema, verbosity, out);
    }
    out("\n");
  });
}
