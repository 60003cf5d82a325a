// Test scaffolding for the OpenFlow message tests (core/ofproto/msg): running the real ovs-ofctl
// over many inputs with few shell processes, reading test inputs out of upstream's test suite at
// run time (nothing of it is copied into the project), and a fake switch on a unix socket that
// records what the real ovs-ofctl sends. The code under test is in core/ofproto/msg.

import { firstReason, needPrograms, type SkipReason } from "../support/skip.ts";

export const UPSTREAM_TESTS = "/work/upstream/tests";

/** Skip reason for tests that need the real ovs-ofctl. */
export const NEED_OFCTL: SkipReason = needPrograms("ovs-ofctl", "bash");

function hasFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Skip reason for tests that read inputs from upstream's test suite (and run ovs-ofctl). */
export function needUpstream(...files: string[]): SkipReason {
  const missing = files.filter((f) => !hasFile(`${UPSTREAM_TESTS}/${f}`));
  return firstReason(
    NEED_OFCTL,
    missing.length ? `needs ${missing.join(", ")} under ${UPSTREAM_TESTS}` : undefined,
  );
}

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** What one ovs-ofctl invocation printed. */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** The lines of stderr that ovs-ofctl's fatal errors print (not its log lines). */
export function fatalLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("ovs-ofctl:"));
}

// Each input line holds one invocation's arguments, each ended by \x1f, then a \x1e sentinel
// (so that empty arguments survive bash's field splitting); the loop prints markers around each
// invocation's stdout and stderr and its exit status.
const LOOP = `
d=$(mktemp -d)
while IFS=$'\\x1f' read -r -a args; do
  unset 'args[-1]'
  ovs-ofctl "$@" "\${args[@]}" >"$d/o" 2>"$d/e"; rc=$?
  printf '@@OUT\\n'; cat "$d/o"; printf '@@ERR\\n'; cat "$d/e"; printf '@@RC %d\\n' "$rc"
done
rm -rf "$d"`;

async function runLoop(prefix: string[], lines: string[]): Promise<RunResult[]> {
  const child = new Deno.Command("bash", {
    args: ["-c", LOOP, "loop", ...prefix],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.map((l) => l + "\n").join("")));
  await writer.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  const results: RunResult[] = [];
  const re = /@@OUT\n([\s\S]*?)@@ERR\n([\s\S]*?)@@RC (\d+)\n/g;
  for (const m of text.matchAll(re)) {
    results.push({ stdout: m[1]!, stderr: m[2]!, code: Number(m[3]) });
  }
  if (results.length !== lines.length) {
    throw new Error(`ovs-ofctl loop returned ${results.length} results for ${lines.length} inputs`);
  }
  return results;
}

/**
 * Runs `ovs-ofctl PREFIX... ARGS...` for every argument list in `invocations` (arguments must not
 * contain newlines), in `parallel` shell loops; results in input order.
 */
export async function runOfctlMany(
  prefix: string[],
  invocations: string[][],
  parallel = 2,
): Promise<RunResult[]> {
  const lines = invocations.map((args) => {
    for (const a of args) {
      if (a.includes("\n") || a.includes("\x1e") || a.includes("\x1f")) {
        throw new Error(`unsupported argument ${JSON.stringify(a)}`);
      }
    }
    return args.map((a) => a + "\x1f").join("") + "\x1e";
  });
  const chunks: number[][] = Array.from({ length: parallel }, () => []);
  lines.forEach((_, i) => chunks[i % parallel]!.push(i));
  const outs = await Promise.all(chunks.map((idx) => runLoop(prefix, idx.map((i) => lines[i]!))));
  const results: RunResult[] = new Array(lines.length);
  chunks.forEach((idx, c) => idx.forEach((i, k) => results[i] = outs[c]![k]!));
  return results;
}

/** Runs one ovs-ofctl command. */
export async function runOfctl(args: string[], input?: string): Promise<RunResult> {
  const child = new Deno.Command("ovs-ofctl", {
    args,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), code: out.code };
}

const SEPARATOR_XID = 0xfeedf00d;
const SEPARATOR = new Uint8Array([1, 2, 0, 8, 0xfe, 0xed, 0xf0, 0x0d]);
const SEPARATOR_TEXT = `OFPT_ECHO_REQUEST (xid=0x${
  SEPARATOR_XID.toString(16)
}): 0 bytes of payload\n`;

/**
 * The real `ovs-ofctl ofp-parse` (one process) over well-formed `messages`: each one's text, at
 * verbosity 2 (3 with `more`). Messages are told apart by echo requests put between them.
 */
export async function realOfpParse(messages: Uint8Array[], more = false): Promise<string[]> {
  const file = await Deno.makeTempFile({ suffix: ".ofp" });
  try {
    const parts: Uint8Array[] = [];
    for (const m of messages) parts.push(m, SEPARATOR);
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    await Deno.writeFile(file, all);
    const r = await runOfctl([...(more ? ["-m"] : []), "ofp-parse", file]);
    if (r.code !== 0) throw new Error(`ofp-parse failed: ${r.stderr}`);
    const texts = r.stdout.split(SEPARATOR_TEXT);
    if (texts.length !== messages.length + 1) {
      throw new Error(`ofp-parse printed ${texts.length - 1} messages for ${messages.length}`);
    }
    return texts.slice(0, -1);
  } finally {
    await Deno.remove(file);
  }
}

// ---- inputs from upstream's test suite ----

/** Shell words of `s` (quotes and backslashes as sh treats them; no expansions). */
export function shellWords(s: string): string[] | undefined {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return undefined;
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === "\\" && j + 1 < s.length && '"\\$`\n'.includes(s[j + 1]!)) {
          if (s[j + 1] !== "\n") cur += s[j + 1];
          j++;
        } else {
          cur += s[j];
        }
      }
      if (j >= s.length) return undefined;
      i = j;
      inWord = true;
    } else if (c === "\\") {
      if (s[i + 1] !== "\n") cur += s[i + 1] ?? "";
      i++;
      inWord = true;
    } else if (" \t\n".includes(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** The bracketed argument starting at `start` (just after an opening '['), and its end. */
function bracketed(src: string, start: number): { text: string; end: number } {
  let depth = 1;
  let j = start;
  while (depth && j < src.length) {
    if (src[j] === "[") depth++;
    else if (src[j] === "]") depth--;
    j++;
  }
  return { text: src.slice(start, j - 1), end: j };
}

/** The first argument of each AT_CHECK in an .at file, with the AT_SETUP title around it. */
export function atChecks(file: string): { title: string; command: string }[] {
  const src = Deno.readTextFileSync(`${UPSTREAM_TESTS}/${file}`);
  const out: { title: string; command: string }[] = [];
  let title = "";
  const re = /AT_SETUP\(\[(.*?)\]\)|AT_CHECK\(\[/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (m[1] !== undefined) {
      title = m[1];
      continue;
    }
    const { text, end } = bracketed(src, m.index + m[0].length);
    re.lastIndex = end;
    out.push({ title, command: text.replace(/dnl[^\n]*\n/g, "").replace(/\\\n/g, "") });
  }
  return out;
}

/** One `ovs-ofctl ofp-print HEX [VERBOSITY]` case. */
export interface OfpPrintCase {
  title: string;
  hex: string;
  verbosity?: string;
}

/** Every ofp-print of a hex argument in upstream's ofp-print.at and ofp-errors.at. */
export function upstreamOfpPrintCases(): OfpPrintCase[] {
  const cases: OfpPrintCase[] = [];
  for (const file of ["ofp-print.at", "ofp-errors.at"]) {
    for (const { title, command } of atChecks(file)) {
      if (!command.includes("ofp-print")) continue;
      const words = shellWords(command);
      if (!words || words[0] !== "ovs-ofctl") continue;
      const args = words.slice(1).filter((a) => !a.startsWith("-v"));
      if (args[0] !== "ofp-print" || args[1] === "-" || args[1] === undefined) continue;
      const c: OfpPrintCase = { title, hex: args[1].replace(/\s/g, "") };
      if (args[2] !== undefined) c.verbosity = args[2];
      cases.push(c);
    }
  }
  return cases;
}

/** Flow strings in upstream's tests: flows.txt data blocks and parse-flow/add-flow arguments. */
export function upstreamFlowStrings(files: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (s: string) => {
    const t = s.trim();
    if (t && !t.startsWith("#") && !/[$\\\t]/.test(t) && !seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  };
  for (const file of files) {
    const src = Deno.readTextFileSync(`${UPSTREAM_TESTS}/${file}`);
    for (const m of src.matchAll(/AT_DATA\(\[flows\.txt\], *\[(\[?)\n([\s\S]*?)\]\]?\)/g)) {
      const quoted = m[1] === "[";
      for (const line of m[2]!.split("\n")) {
        if (line.startsWith("dnl")) continue;
        add(quoted ? line : line.replaceAll("[[", "[").replaceAll("]]", "]"));
      }
    }
    for (const m of src.matchAll(/(?:parse-flow|add-flow br0) (['"])([^'"]*)\1/g)) {
      add(m[2]!.replaceAll("[[", "[").replaceAll("]]", "]"));
    }
  }
  return out;
}

/** Group strings in upstream's tests (parse-group/add-group arguments and groups.txt lines). */
export function upstreamGroupStrings(files: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (s: string) => {
    const t = s.trim().replaceAll("[[", "[").replaceAll("]]", "]");
    if (t && !t.startsWith("#") && !/[$\\\t]/.test(t) && !seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  };
  for (const file of files) {
    const src = Deno.readTextFileSync(`${UPSTREAM_TESTS}/${file}`);
    const re = /(?:parse-group|add-group br0|mod-group br0|insert-buckets br0) (['"])([^'"]*)\1/g;
    for (const m of src.matchAll(re)) add(m[2]!);
    for (const m of src.matchAll(/AT_DATA\(\[groups\.txt\], \[dnl\n([\s\S]*?)\]\)/g)) {
      for (const line of m[1]!.split("\n")) add(line);
    }
  }
  return out;
}

// ---- a fake switch for commands that need one ----

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function header(version: number, type: number, length: number, xid: Uint8Array): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = version;
  h[1] = type;
  h[2] = length >> 8;
  h[3] = length & 0xff;
  h.set(xid, 4);
  return h;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The reply the fake switch gives `msg`, if any: just enough for ovs-ofctl to carry on. */
function fakeReply(msg: Uint8Array): Uint8Array | undefined {
  const v = msg[0]!;
  const t = msg[1]!;
  const xid = msg.subarray(4, 8);
  const body = msg.subarray(8);
  const reply = (type: number, b: Uint8Array) => concat(header(v, type, 8 + b.length, xid), b);
  if (t === 2) return reply(3, body);
  if ((v === 1 && t === 18) || (v > 1 && t === 20)) return reply(t + 1, new Uint8Array());
  if (t === 5) return reply(6, new Uint8Array(24));
  if (v >= 5 && t === 33 && body.length >= 8) {
    // Bundle control: the request's reply type (open, close, commit and discard replies).
    const b = body.slice(0, 8);
    b[5] = b[5]! + 1;
    return reply(33, b);
  }
  if ((v === 1 && t === 16) || (v > 1 && t === 18)) {
    const statsType = u16(body, 0);
    let b = concat(body.subarray(0, 2), new Uint8Array(v === 1 ? 2 : 6));
    if (statsType === 0xffff) {
      b = concat(b, body.subarray(b.length, b.length + 8), new Uint8Array(v === 1 ? 4 : 0));
    } else if (statsType === 12) {
      // One table, with the eight properties a table features reply must carry.
      const entry = new Uint8Array(128);
      entry[1] = 128;
      for (let i = 0; i < 8; i++) {
        entry[64 + 8 * i + 1] = 2 * i;
        entry[64 + 8 * i + 3] = 4;
      }
      b = concat(b, entry);
    }
    return reply(t + 1, b);
  }
  return undefined;
}

/**
 * A fake switch: accepts ovs-ofctl's connections on `count` unix sockets (one per invocation, so
 * that concurrent invocations' messages stay apart), speaks OpenFlow 1.0-1.5 hello, answers
 * echo, barrier, features and multipart requests minimally (or as `responder` says), and records
 * every other message received on each socket.
 */
export class FakeSwitch {
  readonly #dir: string;
  readonly #listeners: Deno.UnixListener[] = [];
  readonly #received: Uint8Array[][] = [];
  readonly #done: Promise<void>[] = [];
  /** Replies to give instead of the minimal ones (undefined: the minimal reply). */
  responder: ((msg: Uint8Array) => Uint8Array[] | undefined) | undefined;

  constructor(count = 1) {
    this.#dir = Deno.makeTempDirSync({ prefix: "msg_fakesw_" });
    for (let i = 0; i < count; i++) {
      const listener = Deno.listen({ transport: "unix", path: `${this.#dir}/sock${i}` });
      this.#listeners.push(listener);
      this.#received.push([]);
      this.#done.push(this.#accept(listener, i));
    }
  }

  /** The target to give ovs-ofctl for invocation `i`. */
  target(i = 0): string {
    return `unix:${this.#dir}/sock${i}`;
  }

  /** The messages received on socket `i` (hello excluded). */
  received(i = 0): Uint8Array[] {
    return this.#received[i]!;
  }

  async #accept(listener: Deno.UnixListener, i: number): Promise<void> {
    try {
      for await (const conn of listener) void this.#serve(conn, i);
    } catch {
      // Listener closed.
    }
  }

  async #serve(conn: Deno.Conn, index: number): Promise<void> {
    const hello = new Uint8Array([6, 0, 0, 16, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0x7e]);
    let buf: Uint8Array = new Uint8Array();
    try {
      await conn.write(hello);
      const chunk = new Uint8Array(65536);
      for (;;) {
        const n = await conn.read(chunk);
        if (n === null) break;
        buf = concat(buf, chunk.subarray(0, n));
        while (buf.length >= 8 && buf.length >= u16(buf, 2)) {
          const len = u16(buf, 2);
          if (len < 8) return;
          const msg = buf.slice(0, len);
          buf = buf.slice(len);
          if (msg[1] === 0) continue;
          this.#received[index]!.push(msg);
          const custom = this.responder?.(msg);
          const replies = custom ?? [fakeReply(msg)].filter((r) => r !== undefined);
          for (const r of replies) await conn.write(r);
        }
      }
    } catch {
      // The client went away.
    } finally {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }

  async close(): Promise<void> {
    for (const l of this.#listeners) l.close();
    await Promise.all(this.#done);
    Deno.removeSync(this.#dir, { recursive: true });
  }
}
