// Database conversion to a new schema (upstream's ovsdb_convert in ovsdb/file.c): copies every
// row of every table that the new schema keeps, keeping only columns it keeps, converting each
// datum to the new column type. Promises: the source is untouched; a datum that does not fit
// its new type fails the whole conversion with an OvsdbError; the result has no storage.
// Must not do I/O.

import { Database } from "./database.ts";
import type { DatabaseSchema } from "./schema.ts";
import { datumFromJson, datumToJson } from "./datum.ts";
import { newRow } from "./table.ts";
import { Transaction } from "./transaction.ts";

/** A new, unbacked database with `src`'s data in `schema`. Throws OvsdbError. */
export function convertDatabase(src: Database, schema: DatabaseSchema): Database {
  const dst = new Database(schema);
  const txn = new Transaction(dst.tables);
  try {
    for (const [name, srcTable] of src.tables) {
      const dstTable = dst.tables.get(name);
      if (!dstTable) continue;
      for (const row of srcTable.iterate()) {
        const out = newRow(dstTable.schema, row.uuid);
        out.fields[0] = { keys: [row.uuid], values: null };
        for (const c of dstTable.schema.columns.values()) {
          if (c.index < 2) continue;
          const old = srcTable.schema.columns.get(c.name);
          if (!old) continue;
          out.fields[c.index] = datumFromJson(
            datumToJson(row.fields[old.index]!, old.type),
            c.type,
          );
        }
        txn.insert(dstTable, out);
      }
    }
    txn.precommit();
    txn.commit();
  } catch (e) {
    txn.abort();
    throw e;
  }
  return dst;
}
