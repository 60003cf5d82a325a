import assert from "node:assert/strict";
import { testIf } from "../support/skip.ts";
import {
  assertNoMismatches,
  compareScript,
  maskTimes,
  REAL_SWITCH,
  startRealSwitch,
} from "./ofctl_fixture.ts";

const FLOWS = `priority=5,in_port=1,actions=output:2
table=1,priority=7,ip,nw_src=10.0.0.1,actions=drop
cookie=0x5,tcp,tp_dst=80,actions=mod_vlan_vid:5,output:1
priority=0,actions=drop
udp,idle_timeout=60,actions=output:3
arp,actions=NORMAL
`;

const FLOWS2 = `priority=5,in_port=1,actions=output:2
table=1,priority=7,ip,nw_src=10.0.0.1,actions=output:1
cookie=0x6,tcp,tp_dst=80,actions=mod_vlan_vid:5,output:1
arp,actions=NORMAL
in_port=3,actions=drop
`;

testIf(
  REAL_SWITCH,
  "replace-flows and diff-flows agree with the real tool, and a dump --no-names --no-stats restores the table (ovs-save)",
  async () => {
    const sw = await startRealSwitch();
    try {
      const file1 = `${sw.dir}/flows1.txt`;
      const file2 = `${sw.dir}/flows2.txt`;
      await Deno.writeTextFile(file1, FLOWS);
      await Deno.writeTextFile(file2, FLOWS2);
      const mismatches: string[] = [];
      for (const options of [[], ["-O", "OpenFlow13"], ["-O", "OpenFlow15"]]) {
        mismatches.push(
          ...await compareScript(sw, options, [
            { args: ["replace-flows", "br0", file1] },
            // Rules of one priority come out in the order of the switch's hash tables, which
            // the history of each run's replace-flows decides.
            { args: ["--no-stats", "dump-flows", "br0"], unordered: true },
            // diff-flows walks its tables in an order of its own (upstream's is a hash's).
            { args: ["diff-flows", "br0", file2], unordered: true },
            { args: ["diff-flows", file1, file2], unordered: true },
            { args: ["diff-flows", file1, "br0"], unordered: true },
            { args: ["replace-flows", "br0", file2] },
            { args: ["--no-stats", "dump-flows", "br0"], unordered: true },
            { args: ["--readd", "replace-flows", "br0", file2] },
            { args: ["diff-flows", "br0", file2], unordered: true },
            { args: ["replace-flows", "br0", `${sw.dir}/nonexistent`] },
            { args: ["diff-flows", "br0", "nosuchbridge"] },
          ]),
        );
      }
      assertNoMismatches(mismatches);

      // The ovs-save round trip, with our tool doing the saving and the restoring.
      const options = ["-O", "OpenFlow13"];
      assert.equal((await sw.real([...options, "replace-flows", "br0", file1])).code, 0);
      const before = await sw.real([...options, "--no-stats", "dump-flows", "br0"]);
      const saved = await sw.ours([...options, "--no-names", "--no-stats", "dump-flows", "br0"]);
      assert.equal(saved.code, 0, saved.stderr);
      const savedFile = `${sw.dir}/saved.txt`;
      await Deno.writeTextFile(savedFile, saved.stdout);
      assert.equal((await sw.real(["del-flows", "br0"])).code, 0);
      const restore = await sw.ours([...options, "replace-flows", "br0", savedFile]);
      assert.equal(restore.code, 0, restore.stderr);
      const after = await sw.real([...options, "--no-stats", "dump-flows", "br0"]);
      // The same rules, each as it was; rules of one priority may come out in another order.
      const rules = (text: string) => maskTimes(text).split("\n").sort().join("\n");
      assert.equal(rules(after.stdout), rules(before.stdout));
      const diff = await sw.ours([...options, "diff-flows", "br0", savedFile]);
      assert.deepEqual([diff.code, diff.stdout], [0, ""]);
    } finally {
      await sw.stop();
    }
  },
);
