import assert from "node:assert/strict";
import { parseCommandLine, UsageError } from "../../core/net/options.ts";
import type { OptionSpec } from "../../core/net/options.ts";

const SPECS: OptionSpec[] = [
  { name: "pidfile", arg: "optional" },
  { name: "detach", arg: "none" },
  { name: "target", short: "t", arg: "required" },
  { name: "verbose", short: "v", arg: "optional" },
  { name: "timeout", short: "T", arg: "required" },
];

Deno.test("options accept unique prefixes of long names", () => {
  const parsed = parseCommandLine(["--pid", "--det"], SPECS);
  assert.deepEqual(parsed.options.map((o) => o.name), ["pidfile", "detach"]);
});

Deno.test("optional arguments bind only with '='", () => {
  const parsed = parseCommandLine(["--pidfile", "x.db", "--pidfile=/run/a.pid"], SPECS);
  assert.deepEqual(parsed.options, [
    { name: "pidfile", value: undefined },
    { name: "pidfile", value: "/run/a.pid" },
  ]);
  assert.deepEqual(parsed.operands, ["x.db"]);
});

Deno.test("short options take attached or separate arguments", () => {
  const parsed = parseCommandLine(["-vconsole:off", "-t", "x", "-T5", "-v"], SPECS);
  assert.deepEqual(parsed.options, [
    { name: "verbose", value: "console:off" },
    { name: "target", value: "x" },
    { name: "timeout", value: "5" },
    { name: "verbose", value: undefined },
  ]);
});

Deno.test("operands are permuted after options unless parsing stops at the first", () => {
  assert.deepEqual(parseCommandLine(["a", "--detach", "b"], SPECS).operands, ["a", "b"]);
  const stopped = parseCommandLine(["-t", "x", "cmd", "--detach"], SPECS, { stopAtOperand: true });
  assert.deepEqual(stopped.operands, ["cmd", "--detach"]);
  assert.deepEqual(parseCommandLine(["--", "--detach"], SPECS).operands, ["--detach"]);
});

Deno.test("options errors use getopt's wording", () => {
  assert.throws(
    () => parseCommandLine(["--nope"], SPECS),
    new UsageError("unrecognized option '--nope'"),
  );
  assert.throws(() => parseCommandLine(["-q"], SPECS), new UsageError("invalid option -- 'q'"));
  assert.throws(
    () => parseCommandLine(["--target"], SPECS),
    new UsageError("option '--target' requires an argument"),
  );
  assert.throws(
    () => parseCommandLine(["-t"], SPECS),
    new UsageError("option requires an argument -- 't'"),
  );
  assert.throws(
    () => parseCommandLine(["--detach=1"], SPECS),
    new UsageError("option '--detach' doesn't allow an argument"),
  );
  assert.throws(() => parseCommandLine(["--t"], SPECS), /ambiguous/);
});
