// ovsdb-tool: offline work on standalone OVSDB database files, as upstream's ovsdb/ovsdb-tool.c.
// Options, then a command table whose rows call into core/db. Defaults: database
// $OVS_DBDIR/conf.db, schema $OVS_PKGDATADIR/vswitch.ovsschema. Errors print
// "ovsdb-tool: ..." on stderr and exit 1, with upstream's texts. Only this file touches stdout
// and stderr.

import { ovsDbdir, ovsPkgdatadir } from "../core/net/dirs.ts";
import { versionText } from "../core/net/version.ts";
import { vlogSetVerbosity } from "../core/net/vlog.ts";
import { OvsdbError } from "../core/db/error.ts";
import { parseOvsJson, toOvsJson } from "../core/db/json.ts";
import {
  type DatabaseSchema,
  isValidVersion,
  schemaFromJson,
  schemaToJson,
} from "../core/db/schema.ts";
import { Database } from "../core/db/database.ts";
import { FileStorage, strerror, syncDirectory } from "../core/db/storage.ts";
import { showLog } from "../core/db/show_log.ts";
import { vswitchSchemaJson } from "../core/db/schemas/vswitch_schema.ts";
import { convertDatabase } from "../core/db/convert.ts";

const PROGRAM = "ovsdb-tool";
const encoder = new TextEncoder();

class Fatal extends Error {}

function fatal(message: string): never {
  throw new Fatal(message);
}

interface Ctx {
  args: string[];
  verbosity: number;
  out: (s: string) => void;
}

const defaultDb = () => `${ovsDbdir()}/conf.db`;
const defaultSchema = () => `${ovsPkgdatadir()}/vswitch.ovsschema`;

function check<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OvsdbError) fatal(e.toString());
    throw e;
  }
}

async function checkAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof OvsdbError) fatal(e.toString());
    throw e;
  }
}

/**
 * The schema named on the command line, else the default file, else — on a machine without
 * Open vSwitch's schema file — the built-in Open_vSwitch schema.
 */
async function schemaArgument(path: string | undefined): Promise<DatabaseSchema> {
  if (path !== undefined) return await readSchemaFile(path);
  try {
    Deno.statSync(defaultSchema());
  } catch {
    return schemaFromJson(vswitchSchemaJson());
  }
  return await readSchemaFile(defaultSchema());
}

async function readSchemaFile(path: string): Promise<DatabaseSchema> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const reason = strerror(e);
    fatal(
      `failed to read schema: "${path}" could not be read as JSON (error opening "${path}": ${reason})`,
    );
  }
  let json;
  try {
    json = parseOvsJson(text);
  } catch (e) {
    fatal(`failed to read schema: "${path}" could not be read as JSON (${(e as Error).message})`);
  }
  try {
    return schemaFromJson(json);
  } catch (e) {
    if (e instanceof OvsdbError) {
      fatal(e.wrap(`failed to parse "${path}" as ovsdb schema`).toString());
    }
    throw e;
  }
}

async function readDbSchema(path: string): Promise<DatabaseSchema> {
  const opened = await checkAsync(() => FileStorage.open(path, { readOnly: true }));
  opened.storage.close();
  return check(() => schemaFromJson(opened.records[0]!.json));
}

/** The magic of a database file's first record header ("OVSDB JSON" or "CLUSTER"). */
async function fileMagic(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    fatal(`I/O error: ${path}: open failed (${strerror(e)})`);
  }
  const line = new TextDecoder().decode(bytes.subarray(0, 128)).split("\n")[0]!;
  const m = /^(OVSDB JSON|CLUSTER) \d+ [0-9a-f]{40}$/.exec(line);
  if (!m) fatal(`syntax error: ${path}: parse error at offset 0 in header line "${line}"`);
  return m[1]!;
}

async function notClustered(path: string): Promise<void> {
  if ((await fileMagic(path)) !== "CLUSTER") fatal(`${path}: not a clustered database`);
  fatal(`${path}: clustered databases are not supported`);
}

async function openDb(path: string, readOnly: boolean): Promise<Database> {
  return await checkAsync(() => Database.open(path, { readOnly, strict: true }));
}

async function create(c: Ctx): Promise<void> {
  const schema = await schemaArgument(c.args[1]);
  const db = await checkAsync(() => Database.create(c.args[0] ?? defaultDb(), schema));
  db.close();
}

async function compactOrConvert(
  src: string,
  dst: string | undefined,
  schema: DatabaseSchema | undefined,
  comment: string,
): Promise<void> {
  const db = await openDb(src, true);
  const out = schema ? check(() => convertDatabase(db, schema)) : db;
  db.close();
  const records = [schemaToJson(out.schema), out.snapshot(comment, false)];
  if (dst === undefined) {
    const tmp = `${src}.tmp`;
    await Deno.remove(tmp).catch(() => {});
    const storage = await checkAsync(() => FileStorage.create(tmp, records));
    storage.close();
    try {
      await Deno.rename(tmp, src);
      await syncDirectory(src);
    } catch (e) {
      fatal(`failed to rename "${tmp}" to "${src}" (${strerror(e)})`);
    }
  } else {
    await Deno.remove(dst).catch(() => {});
    const storage = await checkAsync(() => FileStorage.create(dst, records));
    storage.close();
  }
}

async function transact(c: Ctx, rw: boolean): Promise<void> {
  const path = c.args.length >= 2 ? c.args[0]! : defaultDb();
  const text = c.args[c.args.length - 1]!;
  let request;
  try {
    request = parseOvsJson(text);
  } catch (e) {
    fatal(`"${text}": ${(e as Error).message}`);
  }
  const db = await openDb(path, !rw);
  try {
    const results = await db.execute(request);
    c.out(toOvsJson(results, { sort: true }) + "\n");
  } finally {
    db.close();
  }
}

function parseVersion(s: string): [number, number, number] {
  if (!isValidVersion(s)) fatal(`${s}: not an OVSDB version number in format x.y.z`);
  const [x, y, z] = s.split(".").map(Number) as [number, number, number];
  return [x, y, z];
}

type Command = {
  usage: string | null;
  min: number;
  max: number;
  run: (c: Ctx) => Promise<void | number>;
};

const COMMANDS: Record<string, Command> = {
  create: { usage: "[db [schema]]", min: 0, max: 2, run: create },
  compact: {
    usage: "[db [dst]]",
    min: 0,
    max: 2,
    run: (c) =>
      compactOrConvert(
        c.args[0] ?? defaultDb(),
        c.args[1],
        undefined,
        "compacted by ovsdb-tool 3.1.0",
      ),
  },
  convert: {
    usage: "[db [schema [dst]]]",
    min: 0,
    max: 3,
    run: async (c) => {
      const schema = await schemaArgument(c.args[1]);
      await compactOrConvert(
        c.args[0] ?? defaultDb(),
        c.args[2],
        schema,
        "converted by ovsdb-tool 3.1.0",
      );
    },
  },
  "needs-conversion": {
    usage: null,
    min: 0,
    max: 2,
    run: async (c) => {
      const a = await readDbSchema(c.args[0] ?? defaultDb());
      const b = await schemaArgument(c.args[1]);
      const same =
        toOvsJson(schemaToJson(a), { sort: true }) === toOvsJson(schemaToJson(b), { sort: true });
      c.out(same ? "no\n" : "yes\n");
    },
  },
  "db-name": {
    usage: "[db]",
    min: 0,
    max: 1,
    run: async (c) => c.out((await readDbSchema(c.args[0] ?? defaultDb())).name + "\n"),
  },
  "db-version": {
    usage: "[db]",
    min: 0,
    max: 1,
    run: async (c) => c.out((await readDbSchema(c.args[0] ?? defaultDb())).version + "\n"),
  },
  "db-cksum": {
    usage: "[db]",
    min: 0,
    max: 1,
    run: async (c) => c.out((await readDbSchema(c.args[0] ?? defaultDb())).cksum + "\n"),
  },
  "db-is-clustered": {
    usage: "db",
    min: 1,
    max: 1,
    run: async (c) => (await fileMagic(c.args[0]!)) === "CLUSTER" ? 0 : 2,
  },
  "db-is-standalone": {
    usage: "db",
    min: 1,
    max: 1,
    run: async (c) => (await fileMagic(c.args[0]!)) === "OVSDB JSON" ? 0 : 2,
  },
  // Clustered databases are not supported: these report what upstream does for standalone files.
  "db-cid": { usage: "db", min: 1, max: 1, run: (c) => notClustered(c.args[0]!) },
  "db-sid": { usage: "db", min: 1, max: 1, run: (c) => notClustered(c.args[0]!) },
  "db-local-address": { usage: "db", min: 1, max: 1, run: (c) => notClustered(c.args[0]!) },
  "schema-name": {
    usage: "[schema]",
    min: 0,
    max: 1,
    run: async (c) => c.out((await schemaArgument(c.args[0])).name + "\n"),
  },
  "schema-version": {
    usage: "[schema]",
    min: 0,
    max: 1,
    run: async (c) => c.out((await schemaArgument(c.args[0])).version + "\n"),
  },
  "schema-cksum": {
    usage: "[schema]",
    min: 0,
    max: 1,
    run: async (c) => c.out((await schemaArgument(c.args[0])).cksum + "\n"),
  },
  query: { usage: "[db] trns", min: 1, max: 2, run: (c) => transact(c, false) },
  transact: { usage: "[db] trns", min: 1, max: 2, run: (c) => transact(c, true) },
  "show-log": {
    usage: "[db]",
    min: 0,
    max: 1,
    run: async (c) => {
      const path = c.args[0] ?? defaultDb();
      const opened = await checkAsync(() => FileStorage.open(path, { readOnly: true }));
      opened.storage.close();
      check(() => showLog(opened.records, c.verbosity, c.out));
      if (opened.tailError) fatal(opened.tailError.toString());
    },
  },
  "compare-versions": {
    usage: "a op b",
    min: 3,
    max: 3,
    run: (c) => {
      const a = parseVersion(c.args[0]!);
      const b = parseVersion(c.args[2]!);
      const cmp = a[0] !== b[0]
        ? Math.sign(a[0] - b[0])
        : a[1] !== b[1]
        ? Math.sign(a[1] - b[1])
        : Math.sign(a[2] - b[2]);
      const ops: Record<string, boolean> = {
        "<": cmp < 0,
        "<=": cmp <= 0,
        "==": cmp === 0,
        ">=": cmp >= 0,
        ">": cmp > 0,
        "!=": cmp !== 0,
      };
      const result = ops[c.args[1]!];
      if (result === undefined) fatal(`${c.args[1]}: not a relational operator`);
      return Promise.resolve(result ? 0 : 2);
    },
  },
  help: { usage: null, min: 0, max: Infinity, run: (c) => Promise.resolve(c.out(usage())) },
  "list-commands": {
    usage: null,
    min: 0,
    max: Infinity,
    run: (c) => {
      let s = "The available commands are:\n";
      for (const [name, cmd] of Object.entries(COMMANDS)) {
        if (cmd.usage !== null) s += `  ${name.padEnd(24)}${cmd.usage}\n`;
      }
      c.out(s);
      return Promise.resolve();
    },
  },
};

function usage(): string {
  return `${PROGRAM}: Open vSwitch database management utility
usage: ${PROGRAM} [OPTIONS] COMMAND [ARG...]
  create [DB [SCHEMA]]    create DB with the given SCHEMA
  compact [DB [DST]]      compact DB in-place (or to DST)
  convert [DB [SCHEMA [DST]]]   convert DB to SCHEMA (to DST)
  db-name [DB]            report name of schema used by DB
  db-version [DB]         report version of schema used by DB
  db-cksum [DB]           report checksum of schema used by DB
  db-is-clustered DB      test whether DB is clustered
  db-is-standalone DB     test whether DB is standalone
  schema-name [SCHEMA]    report SCHEMA's name
  schema-version [SCHEMA] report SCHEMA's schema version
  schema-cksum [SCHEMA]   report SCHEMA's checksum
  compare-versions A OP B  compare OVSDB schema version numbers
  query [DB] TRNS         execute read-only transaction on DB
  transact [DB] TRNS      execute read/write transaction on DB
  [-m]... show-log [DB]   print DB's log entries
The default DB is ${defaultDb()}.
The default SCHEMA is ${defaultSchema()}.

Logging options:
  -vSPEC, --verbose=SPEC   set logging levels
  -v, --verbose            set maximum verbosity level

Other options:
  -m, --more                  increase show-log verbosity
  --rbac-role=ROLE            RBAC role for transact and query commands
  -h, --help                  display this help message
  -V, --version               display version information
`;
}

/** Runs ovsdb-tool with `args`; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return run(
    args,
    (s) => writeAllSync(Deno.stdout, encoder.encode(s)),
    (s) => writeAllSync(Deno.stderr, encoder.encode(s)),
  );
}

function writeAllSync(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let n = 0;
  while (n < bytes.length) n += w.writeSync(bytes.subarray(n));
}

/** Runs ovsdb-tool with `args`, writing through `stdout` and `stderr`; returns the exit code. */
export async function run(
  args: string[],
  stdout: (s: string) => void,
  stderr: (s: string) => void,
): Promise<number> {
  let verbosity = 0;
  const rest: string[] = [];
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (!a.startsWith("-") || a === "-") {
        rest.push(a);
        continue;
      }
      if (a === "--") {
        rest.push(...args.slice(i + 1));
        break;
      }
      if (a === "-h" || a === "--help") {
        stdout(usage());
        return 0;
      }
      if (a === "-V" || a === "--version") {
        stdout(versionText(PROGRAM));
        return 0;
      }
      if (a === "--more") verbosity++;
      else if (/^-m+$/.test(a)) verbosity += a.length - 1;
      else if (a.startsWith("--rbac-role")) {
        if (!a.includes("=")) i++;
      } else if (a === "-v" || a === "--verbose") vlogSetVerbosity(undefined);
      else if (a.startsWith("--verbose=")) vlogSetVerbosity(a.slice(10));
      else if (a.startsWith("-v")) vlogSetVerbosity(a.slice(2));
      else {
        stderr(`${PROGRAM}: unrecognized option '${a}'\n`);
        return 1;
      }
    }
    if (rest.length === 0) fatal("missing command name; use --help for help");
    const [name, ...cmdArgs] = rest as [string, ...string[]];
    const cmd = COMMANDS[name];
    if (!cmd) fatal(`unknown command '${name}'; use --help for help`);
    if (cmdArgs.length < cmd.min) {
      fatal(`'${name}' command requires at least ${cmd.min} arguments`);
    }
    if (cmdArgs.length > cmd.max) {
      fatal(`'${name}' command takes at most ${cmd.max} arguments`);
    }
    const code = await cmd.run({ args: cmdArgs, verbosity, out: stdout });
    return typeof code === "number" ? code : 0;
  } catch (e) {
    if (e instanceof Fatal || e instanceof SyntaxError) {
      stderr(`${PROGRAM}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
