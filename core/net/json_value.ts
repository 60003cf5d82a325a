// JSON values as Open vSwitch exchanges them. Owns the `Json` type shared by every protocol
// layer, and a parser and serialiser that keep 64-bit integers exact (OVSDB integers and
// OpenFlow counters exceed 2^53): integers outside the safe range become `bigint`. The compact
// serialiser matches upstream's `json_to_string(…, 0)` for the values JSON-RPC carries; OVSDB's
// exact number and pretty formatting lives in core/db. Never throws anything but SyntaxError.

export type Json =
  | null
  | boolean
  | number
  | bigint
  | string
  | Json[]
  | { [key: string]: Json };

export type JsonObject = { [key: string]: Json };

interface ReviverContext {
  source?: string;
}

const INTEGER = /^-?\d+$/;

function revive(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (
    typeof value === "number" && !Number.isSafeInteger(value) && context?.source !== undefined &&
    INTEGER.test(context.source)
  ) {
    return BigInt(context.source);
  }
  return value;
}

/** Parses one JSON text. Throws SyntaxError with the parser's reason on malformed input. */
export function parseJson(text: string): Json {
  return JSON.parse(text, revive as (key: string, value: unknown) => unknown) as Json;
}

interface RawJsonFactory {
  rawJSON(text: string): unknown;
}

function replace(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return (JSON as unknown as RawJsonFactory).rawJSON(String(value));
  return value;
}

/** Compact serialisation (no spaces), keeping bigints exact. */
export function stringifyJson(value: Json): string {
  return JSON.stringify(value, replace);
}

/** Whether `value` is a JSON object (not an array, not null). */
export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
