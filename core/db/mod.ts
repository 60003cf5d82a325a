// The OVSDB engine's public surface, for servers, clients and tools. Re-exports only.

export { Database } from "./database.ts";
export type { CommitListener, OpenOptions, TransactContext, TransactOutcome } from "./database.ts";
export type { ExecutionContext } from "./execution.ts";
export { Monitor } from "./monitor.ts";
export type { MonitorVersion } from "./monitor.ts";
export { LockManager } from "./lock.ts";
export type { LockEvent, LockListener } from "./lock.ts";
export { isId, OvsdbError, syntaxError } from "./error.ts";
export { formatG, isObject, parseOvsJson, quoteString, toOvsJson } from "./json.ts";
export type { Json, JsonObject, SerializeOptions } from "./json.ts";
export {
  schemaFromJson,
  schemaFromText,
  schemaToJson,
  SERVER_SCHEMA_JSON,
  serverSchema,
} from "./schema.ts";
export type { ColumnSchema, DatabaseSchema, TableSchema } from "./schema.ts";
export { typeFromJson, typeToEnglish, typeToJson } from "./types.ts";
export type { AtomicType, BaseType, OvsdbType } from "./types.ts";
export {
  atomFromJson,
  atomToJson,
  datumApplyDiff,
  datumDiff,
  datumEquals,
  datumFromJson,
  datumToJson,
  defaultDatum,
  SymbolTable,
} from "./datum.ts";
export type { Atom, Datum } from "./datum.ts";
export { atomFromString, atomToString, datumFromString, datumToString } from "./data_string.ts";
export type { RowChange } from "./transaction.ts";
export { FileStorage } from "./storage.ts";
export { convertDatabase } from "./convert.ts";
export { showLog } from "./show_log.ts";
