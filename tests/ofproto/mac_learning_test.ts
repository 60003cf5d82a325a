// The MAC learning table against upstream's behaviour: learning, moves, aging on a fake clock,
// fair eviction (upstream's tests/ofproto-dpif.at "MAC table overflow" cases, whose expected
// tables depend on the heap's tie-breaking), static entries, the gratuitous-ARP lock, and the
// exact fdb/show and fdb/stats-show texts.

import assert from "node:assert/strict";
import { coverageRead } from "../../core/net/coverage.ts";
import {
  formatMac,
  isMulticastMac,
  MAC_DEFAULT_MAX,
  macFromWords,
  MacLearning,
  parseMac,
} from "../../core/ofproto/mac_learning.ts";

const OFPP_LOCAL = 0xfffe;

/** A table on a fake clock (ms), ports are OpenFlow port numbers. */
function table(idle?: number) {
  const clock = { ms: 1_000_000 };
  const ml = new MacLearning<number>(() => clock.ms, idle);
  const warp = (ms: number) => {
    clock.ms += ms;
    ml.run();
  };
  return { ml, clock, warp };
}

const portName = (port: number) => (port === OFPP_LOCAL ? "LOCAL" : String(port));
const mac = (text: string) => parseMac(text)!;

/** fdb/show with ages replaced, as upstream's tests filter it (`sed 's/[0-9]\{1,\}$/?/'`). */
function shown(ml: MacLearning<number>): string {
  return ml.formatFdbShow(portName).replace(/[0-9]+$/gm, "?");
}

/** fdb/show without ages, sorted, as upstream's `sed 's/ *[0-9]\{1,\}$//' | sort`. */
function sortedWithoutAge(ml: MacLearning<number>): string {
  return ml.formatFdbShow(portName).split("\n").filter((l) => l !== "")
    .map((l) => l.replace(/ *[0-9]+$/, "")).sort().join("\n") + "\n";
}

Deno.test("MAC helpers: parse, format, multicast, flow words", () => {
  assert.equal(formatMac(mac("50:54:00:00:00:05")), "50:54:00:00:00:05");
  assert.equal(formatMac(mac("a:b:c:d:e:f")), "0a:0b:0c:0d:0e:0f");
  assert.equal(parseMac("50:54:00:00:00"), undefined);
  assert.equal(parseMac("50:54:00:00:00:0g"), undefined);
  assert.equal(isMulticastMac(mac("01:00:5e:00:00:01")), true);
  assert.equal(isMulticastMac(mac("ff:ff:ff:ff:ff:ff")), true);
  assert.equal(isMulticastMac(mac("50:54:00:00:00:05")), false);
  assert.equal(macFromWords(Uint32Array.of(0x5054, 0x00000005), 0), mac("50:54:00:00:00:05"));
});

Deno.test("learning: upstream's 'ofproto-dpif - MAC learning' table contents and order", () => {
  const { ml } = table();
  assert.equal(ml.formatFdbShow(portName), " port  VLAN  MAC                Age\n");
  assert.equal(ml.update(mac("50:54:00:00:00:05"), 0, false, false, 3), true);
  assert.equal(
    shown(ml),
    " port  VLAN  MAC                Age\n    3     0  50:54:00:00:00:05    ?\n",
  );
  assert.equal(ml.update(mac("50:54:00:00:00:06"), 0, false, false, 1), true);
  assert.equal(
    ml.formatFdbShow(portName),
    " port  VLAN  MAC                Age\n" +
      "    3     0  50:54:00:00:00:05    0\n" +
      "    1     0  50:54:00:00:00:06    0\n",
  );
  // The same MAC seen on another port moves there and becomes the most recently used.
  assert.equal(ml.update(mac("50:54:00:00:00:05"), 0, false, false, 2), true);
  assert.equal(
    shown(ml),
    " port  VLAN  MAC                Age\n" +
      "    1     0  50:54:00:00:00:06    ?\n" +
      "    2     0  50:54:00:00:00:05    ?\n",
  );
  assert.equal(ml.stats.moved, 1);
  assert.equal(ml.stats.learned, 2);
  assert.equal(ml.lookup(mac("50:54:00:00:00:05"), 0)?.port, 2);
  assert.equal(ml.lookup(mac("50:54:00:00:00:05"), 1), undefined, "VLANs are separate tables");
  // A port leaving the bridge takes its entries with it.
  assert.deepEqual(ml.forgetPort(1).map((e) => formatMac(e.mac)), ["50:54:00:00:00:06"]);
  assert.equal(
    shown(ml),
    " port  VLAN  MAC                Age\n    2     0  50:54:00:00:00:05    ?\n",
  );
});

Deno.test("learning: multicast sources, flood VLANs and OFPP_NONE are never learned", () => {
  const { ml } = table();
  assert.equal(ml.update(mac("01:00:5e:00:00:01"), 0, false, false, 1), false);
  assert.equal(ml.mayLearn(mac("01:00:5e:00:00:01"), 0), false);
  assert.equal(ml.setFloodVlans(new Set([10])), true);
  assert.equal(ml.setFloodVlans(new Set([10])), false);
  assert.equal(ml.update(mac("50:54:00:00:00:01"), 10, false, false, 1), false);
  assert.equal(ml.update(mac("50:54:00:00:00:01"), 11, false, false, undefined), false);
  assert.equal(ml.count, 0);
  ml.update(mac("50:54:00:00:00:01"), 11, false, false, 1);
  assert.equal(ml.lookup(mac("50:54:00:00:00:01"), 11)?.port, 1);
  assert.equal(ml.lookup(mac("ff:ff:ff:ff:ff:ff"), 11), undefined);
});

Deno.test("aging: entries expire after mac-aging-time on the given clock, ages count seconds", () => {
  const { ml, warp, clock } = table();
  assert.equal(ml.idleTime, 300);
  ml.update(mac("50:54:00:00:00:01"), 0, false, false, 1);
  warp(100_000);
  ml.update(mac("50:54:00:00:00:02"), 0, false, false, 2);
  warp(50_000);
  assert.match(ml.formatFdbShow(portName), /00:01 {2}150\n.*00:02 {3}50\n$/s);
  const revision = ml.revision;
  // Refreshing an entry that is at least a second old resets its age without a change.
  assert.equal(ml.update(mac("50:54:00:00:00:01"), 0, false, false, 1), false);
  assert.equal(ml.revision, revision, "a refresh is no learning change");
  assert.match(ml.formatFdbShow(portName), /00:02 {3}50\n.*00:01 {4}0\n$/s);
  warp(249_999);
  assert.equal(ml.count, 2);
  warp(1);
  assert.equal(ml.count, 1, "00:02 expired 300 s after it was learned");
  assert.ok(ml.revision > revision);
  assert.equal(ml.stats.expired, 1);
  assert.equal(ml.nextWakeup(), (Math.floor(clock.ms / 1000) + 50) * 1000);
  warp(50_000);
  assert.equal(ml.count, 0);
  assert.equal(ml.nextWakeup(), undefined);
  assert.equal(ml.run(), false, "nothing changed since the last run");
});

Deno.test("aging: mac-aging-time is clamped to 15..3600 and shifts the entries' expiry", () => {
  const { ml, warp } = table(5);
  assert.equal(ml.idleTime, 15);
  ml.update(mac("50:54:00:00:00:01"), 0, false, false, 1);
  warp(10_000);
  ml.setIdleTime(100);
  assert.equal(ml.idleTime, 100);
  assert.match(ml.formatFdbShow(portName), /00:01 {3}10\n$/);
  warp(80_000);
  assert.equal(ml.count, 1);
  warp(10_000);
  assert.equal(ml.count, 0);
  ml.setIdleTime(100000);
  assert.equal(ml.idleTime, 3600);
});

Deno.test("eviction: upstream's 'MAC table overflow' evicts the oldest entry", () => {
  const { ml, warp } = table();
  ml.setMaxEntries(10);
  for (let i = 0; i < 10; i++) {
    ml.update(mac(`50:54:00:00:00:0${i}`), 0, false, false, 3);
    warp(1000);
  }
  ml.update(mac("50:54:00:00:00:10"), 0, false, false, 3);
  const expected = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    .map((i) => `    3     0  50:54:00:00:00:${String(i).padStart(2, "0")}`).join("\n");
  assert.equal(sortedWithoutAge(ml), `${expected}\n port  VLAN  MAC                Age\n`);
  assert.equal(ml.stats.evicted, 1);
  ml.setMaxEntries(1);
  assert.equal(ml.maxEntries, 10, "mac-table-size is at least 10");
  assert.equal(new MacLearning<number>(() => 0).maxEntries, MAC_DEFAULT_MAX);
});

Deno.test("eviction: upstream's 'MAC table overflow fairness' keeps the same entries", () => {
  const { ml, warp } = table();
  ml.setMaxEntries(10);
  for (let i = 0; i < 10; i++) {
    ml.update(mac(`50:54:00:00:00:0${i}`), 0, false, false, Math.floor(i / 2) + 1);
    warp(1000);
  }
  for (const d of "0123456789abcdef") {
    ml.update(mac(`50:54:00:00:0${d}:ff`), 0, false, false, 6);
    warp(1000);
  }
  assert.equal(
    sortedWithoutAge(ml),
    [
      "    1     0  50:54:00:00:00:01",
      "    2     0  50:54:00:00:00:03",
      "    3     0  50:54:00:00:00:04",
      "    3     0  50:54:00:00:00:05",
      "    4     0  50:54:00:00:00:07",
      "    5     0  50:54:00:00:00:08",
      "    5     0  50:54:00:00:00:09",
      "    6     0  50:54:00:00:0d:ff",
      "    6     0  50:54:00:00:0e:ff",
      "    6     0  50:54:00:00:0f:ff",
      " port  VLAN  MAC                Age",
    ].join("\n") + "\n",
  );
  assert.equal(ml.stats.evicted, 16);
});

Deno.test("static entries: upstream's 'static-mac add/del/flush'", () => {
  const { ml } = table();
  ml.update(mac("50:54:00:00:00:01"), 0, false, false, 1);
  ml.update(mac("50:54:00:00:00:02"), 0, false, false, 2);
  ml.addStatic(mac("50:54:00:00:01:01"), 0, 1);
  ml.addStatic(mac("50:54:00:00:02:02"), 0, 2);
  assert.equal(
    sortedWithoutAge(ml).split("\n").filter((l) => !l.includes("port")).join("\n"),
    "    1     0  50:54:00:00:00:01\n" +
      "    1     0  50:54:00:00:01:01  static\n" +
      "    2     0  50:54:00:00:00:02\n" +
      "    2     0  50:54:00:00:02:02  static\n",
  );
  assert.equal(ml.deleteStatic(mac("50:54:00:00:01:01"), 0), true);
  assert.equal(ml.deleteStatic(mac("50:54:00:00:01:01"), 0), false);
  assert.equal(ml.deleteStatic(mac("50:54:00:00:00:01"), 0), false, "dynamic entries stay");
  assert.doesNotMatch(ml.formatFdbShow(portName), /50:54:00:00:01:01/);
  for (const d of "0123456789abcdef") {
    ml.update(mac(`50:54:00:00:0${d}:ff`), 0, false, false, 1);
    ml.addStatic(mac(`50:54:00:0${d}:00:ff`), 0, 2);
  }
  for (const d of "0123456789abcdef") ml.addStatic(mac(`50:54:00:0${d}:00:ff`), 0, 2);
  ml.flush();
  assert.match(ml.formatStatsShow("br0"), /^ {2}Current static MAC entries in the table : 17$/m);
  assert.equal(ml.count, 17, "only dynamic entries are flushed");
});

Deno.test("static entries: upstream's 'static-mac mac moves' — packets never move them", () => {
  const { ml } = table();
  ml.update(mac("50:54:00:00:00:00"), 0, false, false, 1);
  const before = ml.lookup(mac("50:54:00:00:00:00"), 0)!;
  assert.equal(before.isStatic, false);
  ml.addStatic(mac("50:54:00:00:00:00"), 0, 1);
  assert.equal(ml.lookup(mac("50:54:00:00:00:00"), 0)?.isStatic, true);
  ml.addStatic(mac("50:54:00:00:00:00"), 0, 2);
  assert.equal(ml.staticCount, 1, "converting twice counts one static entry");
  const moves = coverageRead("mac_learning_static_none_move") ?? 0;
  assert.equal(ml.update(mac("50:54:00:00:00:00"), 0, false, false, 1), false);
  assert.equal(ml.update(mac("50:54:00:00:00:00"), 0, false, false, 2), false);
  assert.equal(coverageRead("mac_learning_static_none_move"), moves + 1);
  assert.equal(
    sortedWithoutAge(ml),
    "    2     0  50:54:00:00:00:00  static\n port  VLAN  MAC                Age\n",
  );
});

Deno.test("static entries: upstream's 'static-mac learned mac age out' — only dynamic expire", () => {
  const { ml, warp } = table(5);
  ml.addStatic(mac("50:54:00:00:01:01"), 0, 1);
  ml.addStatic(mac("50:54:00:00:02:02"), 0, 2);
  ml.update(mac("60:54:00:00:00:01"), 0, false, false, 1);
  ml.update(mac("60:54:00:00:00:02"), 0, false, false, 2);
  warp(20_000);
  assert.match(ml.formatStatsShow("br0"), /^ {2}Total number of expired MAC entries {5}: 2$/m);
  assert.equal(ml.count, 2);
});

Deno.test("gratuitous ARP: a lock keeps bond reflections from moving the entry for 5 s", () => {
  const { ml, clock } = table();
  const m = mac("50:54:00:00:00:07");
  assert.equal(ml.update(m, 0, true, false, 1), true, "learned from a gratuitous ARP");
  // A reflection of the same gratuitous ARP arriving over a bond member does not move it.
  assert.equal(ml.update(m, 0, true, true, 9), false);
  assert.equal(ml.lookup(m, 0)?.port, 1);
  clock.ms += 4_000;
  assert.equal(ml.update(m, 0, true, true, 9), false);
  assert.equal(ml.lookup(m, 0)?.port, 1);
  clock.ms += 1_000;
  assert.equal(ml.update(m, 0, true, true, 9), true, "the lock lasts 5 seconds");
  assert.equal(ml.lookup(m, 0)?.port, 9);
  // Ordinary packets from a bond move entries regardless of any lock.
  assert.equal(ml.update(m, 0, true, false, 1), true);
  assert.equal(ml.update(m, 0, false, true, 9), true);
  assert.equal(ml.lookup(m, 0)?.port, 9);
});

Deno.test("revision changes on learning, moves, expiry and flush, not on lookups", () => {
  const { ml, warp } = table();
  const r0 = ml.revision;
  ml.update(mac("50:54:00:00:00:01"), 0, false, false, 1);
  const r1 = ml.revision;
  assert.ok(r1 > r0);
  ml.lookup(mac("50:54:00:00:00:01"), 0);
  assert.equal(ml.update(mac("50:54:00:00:00:01"), 0, false, false, 1), false);
  assert.equal(ml.revision, r1);
  assert.equal(ml.run(), true, "run reports the learning since the previous run");
  assert.equal(ml.run(), false);
  ml.update(mac("50:54:00:00:00:01"), 0, false, false, 2);
  const r2 = ml.revision;
  assert.ok(r2 > r1);
  ml.flush();
  assert.ok(ml.revision > r2);
  warp(1000);
});

Deno.test("fdb/show and fdb/stats-show texts are upstream's, LOCAL included", () => {
  const { ml, warp } = table();
  ml.update(mac("aa:55:aa:55:00:01"), 0, false, false, OFPP_LOCAL);
  ml.update(mac("50:54:00:00:00:05"), 4095, false, false, 12345);
  warp(7000);
  ml.addStatic(mac("50:54:00:00:00:06"), 10, 3);
  assert.equal(
    ml.formatFdbShow(portName),
    " port  VLAN  MAC                Age\n" +
      "LOCAL     0  aa:55:aa:55:00:01    7\n" +
      "12345  4095  50:54:00:00:00:05    7\n" +
      "    3    10  50:54:00:00:00:06  static\n",
  );
  assert.equal(
    ml.formatStatsShow("br0"),
    'Statistics for bridge "br0":\n' +
      "  Current/maximum MAC entries in the table: 3/8192\n" +
      "  Current static MAC entries in the table : 1\n" +
      "  Total number of learned MAC entries     : 2\n" +
      "  Total number of expired MAC entries     : 0\n" +
      "  Total number of evicted MAC entries     : 0\n" +
      "  Total number of port moved MAC entries  : 0\n",
  );
  ml.clearStatistics();
  assert.match(ml.formatStatsShow("br0"), /learned MAC entries {5}: 0\n/);
});

Deno.test("movePort re-homes entries (a bundle replaced by another)", () => {
  const { ml } = table();
  ml.update(mac("50:54:00:00:00:01"), 0, false, false, 1);
  ml.update(mac("50:54:00:00:00:02"), 0, false, false, 2);
  ml.movePort(1, 7);
  assert.equal(ml.lookup(mac("50:54:00:00:00:01"), 0)?.port, 7);
  assert.equal(ml.forgetPort(1).length, 0);
  assert.equal(ml.forgetPort(7).length, 1);
  assert.equal(ml.count, 1);
});
