// Oracle-free checks of the smaller text syntaxes of core/ofproto/msg: mod-table settings (with
// the versions each allows and upstream's error texts, as the real ovs-ofctl 3.1 prints them),
// command words at the start of flow and group lines, flow-stats request widening and the
// protocol ovs-ofctl chooses.

import assert from "node:assert/strict";
import { ParseError } from "../../core/ofproto/errors.ts";
import { parseTableMod } from "../../core/ofproto/msg/table_text.ts";
import {
  chooseProtocol,
  FLOW_CMD_ANY,
  parseFlowModStr,
  parseFlowStatsRequestStr,
  takeCommandName,
} from "../../core/ofproto/msg/flow_text.ts";
import { GROUP_CMD_ANY, parseGroupModStr } from "../../core/ofproto/msg/group_text.ts";
import {
  OFPFC_ADD,
  OFPFC_DELETE,
  OFPFC_DELETE_STRICT,
  OFPFC_MODIFY,
  OFPFC_MODIFY_STRICT,
} from "../../core/ofproto/msg/flow_mod.ts";
import {
  OFPGC11_ADD,
  OFPGC11_ADD_OR_MOD,
  OFPGC11_DELETE,
  OFPGC15_INSERT_BUCKET,
} from "../../core/ofproto/msg/group.ts";
import { OFPG_ALL } from "../../core/ofproto/msg/group_stats.ts";
import {
  P_ANY,
  P_OF10_NXM,
  P_OF10_NXM_TID,
  P_OF10_STD,
  P_OF10_STD_TID,
  P_OF13_OXM,
  P_OF13_UP,
} from "../../core/ofproto/protocols.ts";

function parseError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e.message;
    throw e;
  }
  return "(no error)";
}

Deno.test("mod-table settings give the table mod and the versions that carry it", () => {
  const v = (...versions: number[]) => versions.reduce((b, x) => b | (1 << x), 0);
  const controller = parseTableMod("3", "controller");
  assert.equal(controller.tm.tableId, 3);
  assert.equal(controller.tm.miss, "controller");
  assert.equal(controller.usableVersions, v(2, 3));
  const evict = parseTableMod("all", "evict");
  assert.equal(evict.tm.tableId, 0xff);
  assert.equal(evict.tm.eviction, "on");
  assert.equal(evict.usableVersions, v(5, 6));
  const vacancy = parseTableMod("0", "vacancy:10,20");
  assert.equal(vacancy.tm.vacancy, "on");
  assert.deepEqual(vacancy.tm.tableVacancy, { vacancyDown: 10, vacancyUp: 20, vacancy: 0 });
  // Any prefix of "vacancy" before the colon means vacancy, as upstream's strncmp has it.
  assert.equal(parseTableMod("0", "vac:1,2").tm.vacancy, "on");
  assert.equal(parseTableMod("0", "novacancy").tm.vacancy, "off");
  const named = parseTableMod("1", "name:fast");
  assert.equal(named.name, "fast");
  assert.equal(named.usableVersions, v(4, 5, 6));
});

Deno.test("bad mod-table settings fail with upstream's texts", () => {
  const cases: [string, string, string][] = [
    ["0", "bogus", "invalid table_mod setting bogus"],
    ["x", "drop", 'unknown table "x"'],
    ["254", "continue", "last table's flow miss handling can not be continue"],
    [
      "0",
      "vacancy:30,20",
      "Invalid vacancy range, vacancy up should be greater than vacancy " +
      "down (OFPBPC_BAD_VALUE)",
    ],
    ["0", "vacancy", "Vacancy down value missing"],
    ["0", "vacancy:10", "Vacancy up value missing"],
    ["0", "vacancy:x,20", 'Invalid vacancy down value "x"'],
    ["0", "vacancy:101,2", 'Invalid vacancy down value "101"'],
    ["all", "name:foo", "invalid table_mod setting name:foo"],
  ];
  for (const [table, setting, message] of cases) {
    assert.equal(parseError(() => parseTableMod(table, setting)), message, setting);
  }
});

Deno.test("a flow line's first word selects its command by prefix, add when none", () => {
  const cmd = (text: string) => parseFlowModStr(text, FLOW_CMD_ANY).fm.command;
  assert.equal(cmd("in_port=1,actions=drop"), OFPFC_ADD);
  assert.equal(cmd("add in_port=1,actions=drop"), OFPFC_ADD);
  assert.equal(cmd("a in_port=1,actions=drop"), OFPFC_ADD);
  assert.equal(cmd("modify in_port=1,actions=drop"), OFPFC_MODIFY);
  assert.equal(cmd("modify_strict in_port=1,actions=drop"), OFPFC_MODIFY_STRICT);
  assert.equal(cmd("delete in_port=1"), OFPFC_DELETE);
  assert.equal(cmd("  d in_port=1"), OFPFC_DELETE);
  assert.equal(cmd("delete_strict priority=5"), OFPFC_DELETE_STRICT);
  assert.equal(cmd(",in_port=1,actions=drop"), OFPFC_ADD);
  const names = [["alpha", 1], ["beta", 2]] as const;
  assert.deepEqual(takeCommandName("gamma x", names, 9), { command: 9, rest: "gamma x" });
  assert.deepEqual(takeCommandName(" be x", names, 9), { command: 2, rest: " x" });
});

Deno.test("flow mod keys are allowed only for the commands upstream allows them for", () => {
  assert.equal(
    parseError(() => parseFlowModStr("out_port=1,actions=drop", OFPFC_ADD)),
    "unknown keyword out_port",
  );
  assert.equal(
    parseError(() => parseFlowModStr("importance=1,actions=drop", OFPFC_MODIFY)),
    "unknown keyword importance",
  );
  assert.equal(
    parseError(() => parseFlowModStr("cookie=1", OFPFC_DELETE)),
    "cannot set cookie (to match on a cookie, specify a mask, e.g. cookie=1/-1)",
  );
  assert.equal(
    parseError(() => parseFlowModStr("cookie=1/1,actions=drop", OFPFC_ADD)),
    "flow additions cannot use a cookie mask",
  );
  const del = parseFlowModStr("cookie=0x10/0xf0,out_port=2,priority=7", OFPFC_DELETE_STRICT).fm;
  assert.equal(del.cookie, 0x10n);
  assert.equal(del.cookieMask, 0xf0n);
  assert.equal(del.outPort, 2);
  assert.equal(del.priority, 7);
  // A modify without a cookie sets none; with one it sets it.
  assert.equal(parseFlowModStr("actions=drop", OFPFC_MODIFY).fm.newCookie, 0n);
  const mod = parseFlowModStr("cookie=5,actions=drop", OFPFC_MODIFY).fm;
  assert.equal(mod.newCookie, 5n);
  assert.equal(mod.modifyCookie, true);
});

Deno.test("flow stats requests need no table-id extension", () => {
  const { fsr, usable } = parseFlowStatsRequestStr("table=3,out_port=5", false);
  assert.equal(fsr.tableId, 3);
  assert.equal(fsr.outPort, 5);
  assert.equal(usable & P_OF10_STD, P_OF10_STD);
  assert.equal(usable & P_OF10_NXM, P_OF10_NXM);
});

Deno.test("ovs-ofctl's protocol choice is the lowest usable allowed protocol", () => {
  assert.equal(chooseProtocol(P_ANY, P_ANY), P_OF10_STD);
  assert.equal(chooseProtocol(P_OF10_NXM_TID | P_OF13_OXM, P_ANY), P_OF10_NXM_TID);
  assert.equal(chooseProtocol(P_OF13_UP, P_OF10_STD | P_OF10_STD_TID), undefined);
  assert.equal(chooseProtocol(P_OF13_UP, P_ANY), P_OF13_OXM);
});

Deno.test("a group line's first word selects its command by prefix", () => {
  const cmd = (text: string) => parseGroupModStr(text, GROUP_CMD_ANY).gm;
  assert.equal(cmd("group_id=1,type=all,bucket=output:1").command, OFPGC11_ADD);
  assert.equal(cmd("add_or_mod group_id=1,type=all").command, OFPGC11_ADD_OR_MOD);
  assert.equal(
    cmd("insert_bucket group_id=1,command_bucket_id=last,bucket=output:1").command,
    OFPGC15_INSERT_BUCKET,
  );
  const all = cmd("delete");
  assert.equal(all.command, OFPGC11_DELETE);
  assert.equal(all.groupId, OFPG_ALL);
  assert.equal(
    parseError(() => parseGroupModStr("group_id=1,type=all,bucket=output:1", OFPGC11_DELETE)),
    "bucket is not needed",
  );
});
