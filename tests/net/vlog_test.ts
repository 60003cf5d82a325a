import assert from "node:assert/strict";
import {
  formatLogMessage,
  vlogListLevels,
  vlogListPatterns,
  vlogModule,
  vlogSetFromString,
  vlogSetLevels,
} from "../../core/net/vlog.ts";

Deno.test("vlog formats lines in upstream's file pattern", () => {
  const when = new Date(Date.UTC(2026, 10, 24, 18, 0, 0, 123));
  const line = formatLogMessage(
    "%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|%p|%m",
    "bridge",
    4,
    "hi\n",
    7,
    when,
  );
  assert.equal(line, "2026-11-24T18:00:00.123Z|00007|bridge|INFO|hi");
});

Deno.test("vlog pads and justifies fields as printf does", () => {
  const when = new Date(0);
  assert.equal(
    formatLogMessage("[%-8c][%8p][%03N]", "abc", 3, "", 5, when),
    "[abc     ][    WARN][005]",
  );
});

Deno.test("vlog spec sets one module's level at one destination", () => {
  vlogModule("test_a");
  vlogModule("test_b");
  assert.equal(vlogSetFromString("test_a:file:dbg"), undefined);
  const list = vlogListLevels();
  assert.match(list, /^test_a +INFO +INFO +DBG$/m);
  assert.match(list, /^test_b +INFO +INFO +INFO$/m);
  assert.equal(vlogSetFromString("ANY:console:off"), undefined);
  assert.match(vlogListLevels(), /^test_b +OFF +INFO +INFO$/m);
  vlogSetLevels(undefined, undefined, "info");
});

Deno.test("vlog spec errors read as upstream's", () => {
  assert.equal(
    vlogSetFromString("nosuchmodule"),
    'no destination, level, or module "nosuchmodule"',
  );
  assert.equal(vlogSetFromString("file:console"), "cannot specify multiple destinations");
  assert.equal(vlogSetFromString("dbg:info"), "cannot specify multiple levels");
  assert.equal(vlogSetFromString("PATTERN"), "missing destination");
  assert.equal(vlogSetFromString("PATTERN:nowhere:%m"), 'unknown destination "nowhere"');
});

Deno.test("vlog PATTERN spec changes a destination's pattern", () => {
  assert.equal(vlogSetFromString("PATTERN:file:%c|%m"), undefined);
  assert.match(vlogListPatterns(), /^FILE {5}none {30}%c\|%m$/m);
  vlogSetFromString("PATTERN:file:%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|%p|%m");
});

Deno.test("vlog disabled levels are not enabled for a module", () => {
  const module = vlogModule("test_c");
  vlogSetLevels("test_c", undefined, "warn");
  assert.equal(module.isEnabled("info"), false);
  assert.equal(module.isEnabled("err"), true);
});
