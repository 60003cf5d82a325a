// OVSDB errors (RFC 7047 <error> objects) and the member parser every OVSDB JSON reader uses.
// Owns `OvsdbError` {error, details, syntax} with upstream's JSON and string renderings, and
// `MemberParser`, our version of upstream's ovsdb_parser: it checks each member's presence and
// JSON type, records the first problem with upstream's wording ("Parsing X failed: ..."), and
// reports members nobody asked for. Promises: never throws from the parser; errors carry the
// offending JSON as `syntax` (sorted, compact) when upstream does. Must not do I/O.

import { isObject, type Json, type JsonObject, toOvsJson } from "./json.ts";
import { hashOrder } from "./hash_order.ts";

/** An error as RFC 7047 names it, with upstream's details text. */
export class OvsdbError extends Error {
  readonly error: string;
  readonly details: string | undefined;
  readonly syntax: string | undefined;
  /** The system error text, for "I/O error" (upstream's "io-error" member). */
  ioError: string | undefined;

  constructor(error: string, details?: string, syntax?: string) {
    super(details === undefined ? error : `${error}: ${details}`);
    this.name = "OvsdbError";
    this.error = error;
    this.details = details;
    this.syntax = syntax;
    this.ioError = undefined;
  }

  /** The RFC 7047 <error> object (plus upstream's "syntax" extension). */
  toJson(): JsonObject {
    const out: JsonObject = { error: this.error };
    if (this.details !== undefined) out.details = this.details;
    if (this.syntax !== undefined) out.syntax = this.syntax;
    if (this.ioError !== undefined) out["io-error"] = this.ioError;
    return out;
  }

  /** Upstream's ovsdb_error_to_string(): `syntax "S": tag: details`. */
  override toString(): string {
    let s = this.syntax !== undefined ? `syntax "${this.syntax}": ` : "";
    s += this.error;
    if (this.details !== undefined) s += `: ${this.details}`;
    if (this.ioError !== undefined) s += ` (${this.ioError})`;
    return s;
  }

  /** A copy whose details are prefixed with `prefix: ` (upstream's ovsdb_wrap_error). */
  wrap(prefix: string): OvsdbError {
    return new OvsdbError(
      this.error,
      this.details === undefined ? prefix : `${prefix}: ${this.details}`,
      this.syntax,
    );
  }
}

/** Upstream's ovsdb_syntax_error(json, tag, details). */
export function syntaxError(
  json: Json | undefined,
  tag: string | null,
  details: string,
): OvsdbError {
  return new OvsdbError(
    tag ?? "syntax error",
    details,
    json === undefined ? undefined : toOvsJson(json, { sort: true }),
  );
}

/** JSON types a member may have (upstream's OP_* flags). */
export type MemberKind =
  | "null"
  | "boolean"
  | "object"
  | "array"
  | "integer"
  | "real"
  | "number"
  | "string"
  | "id"
  | "any";

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `s` is an OVSDB <id>. */
export function isId(s: string): boolean {
  return ID.test(s);
}

function kindMatches(value: Json, kind: MemberKind): boolean {
  switch (kind) {
    case "any":
      return true;
    case "null":
      return value === null;
    case "boolean":
      return typeof value === "boolean";
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value));
    case "real":
      return typeof value === "number" && !Number.isInteger(value);
    case "number":
      return typeof value === "number" || typeof value === "bigint";
    case "string":
      return typeof value === "string";
    case "id":
      return typeof value === "string" && ID.test(value);
  }
}

/** Upstream's ovsdb_parser: reads members of one JSON object, remembering the first error. */
export class MemberParser {
  readonly json: JsonObject | undefined;
  readonly #name: string;
  readonly #used = new Set<string>();
  #error: OvsdbError | undefined;

  constructor(json: Json, name: string) {
    this.#name = name;
    this.json = isObject(json) ? json : undefined;
    if (!this.json) this.raise("Object expected.");
  }

  /** Records `message` as the parse error unless one is already recorded. */
  raise(message: string): void {
    if (!this.#error) {
      this.#error = syntaxError(
        this.json,
        null,
        `Parsing ${this.#name} failed: ${message}`,
      );
    }
  }

  /** Records `error` unless one is already recorded. */
  put(error: OvsdbError): void {
    if (!this.#error) this.#error = error;
  }

  get error(): OvsdbError | undefined {
    return this.#error;
  }

  /** The member `name` if present and of one of `kinds`; records an error otherwise. */
  member(name: string, kinds: MemberKind[], optional = false): Json | undefined {
    if (!this.json) return undefined;
    if (!Object.hasOwn(this.json, name)) {
      if (!optional) this.raise(`Required '${name}' member is missing.`);
      return undefined;
    }
    const value = this.json[name]!;
    if (kinds.some((k) => kindMatches(value, k))) {
      this.#used.add(name);
      return value;
    }
    this.raise(`Type mismatch for member '${name}'.`);
    return undefined;
  }

  /** Checks for unused members and returns the first error, if any. */
  finish(): OvsdbError | undefined {
    if (!this.#error && this.json) {
      const keys = Object.keys(this.json);
      if (keys.length === this.#used.size) return undefined;
      const unused = hashOrder(keys).filter((k) => !this.#used.has(k));
      if (unused.length > 1) {
        const rest = unused.length - 1;
        this.raise(
          `Member '${unused[0]}' and ${rest} other member${rest > 1 ? "s" : ""} ` +
            "are present but not allowed here.",
        );
      } else if (unused.length === 1) {
        this.raise(`Member '${unused[0]}' is present but not allowed here.`);
      }
    }
    return this.#error;
  }
}
