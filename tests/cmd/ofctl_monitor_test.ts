import assert from "node:assert/strict";
import { MAIN, run, type RunResult, waitFor } from "../support/run.ts";
import { testIf } from "../support/skip.ts";
import { REAL_SWITCH, startRealSwitch, type TestSwitch } from "./ofctl_fixture.ts";

type Tool = "real" | "ours";

/** ovs-ofctl run through a shell, so that the daemon's standard error is a file. */
function monitorCommand(tool: Tool, args: string[], log: string, env: Record<string, string>) {
  const command = tool === "real"
    ? ["ovs-ofctl"]
    : [Deno.execPath(), "run", "-A", "--quiet", MAIN, "ovs-ofctl"];
  return run("sh", ["-c", `"$@" 2>"${log}"`, "sh", ...command, ...args], env);
}

function appctl(sw: TestSwitch, ...args: string[]): Promise<RunResult> {
  return run("ovs-appctl", ["-t", "ovs-ofctl", ...args], sw.env);
}

async function exitMonitor(sw: TestSwitch, tool: Tool): Promise<void> {
  const pidfile = `${sw.dir}/ovs-ofctl.pid`;
  assert.equal((await appctl(sw, "exit")).code, 0);
  await waitFor(
    () => {
      try {
        Deno.statSync(pidfile);
        return false;
      } catch {
        return true;
      }
    },
    5000,
    `${tool} monitor to exit and remove its pidfile`,
  );
}

/** Runs `scenario` against a detached monitor of each tool; returns what each printed. */
async function bothMonitors(
  sw: TestSwitch,
  args: string[],
  scenario: (tool: Tool) => Promise<void>,
): Promise<Record<Tool, { stdout: string; log: string }>> {
  const out = {} as Record<Tool, { stdout: string; log: string }>;
  for (const tool of ["real", "ours"] as const) {
    await sw.real(["-O", "OpenFlow15", "del-flows", "br0"]);
    const log = `${sw.dir}/monitor-${tool}.log`;
    const detach = await monitorCommand(
      tool,
      [...args, "--detach", "--no-chdir", "--pidfile"],
      log,
      sw.env,
    );
    assert.equal(detach.code, 0, `${tool} monitor --detach: ${detach.stderr}`);
    await scenario(tool);
    await exitMonitor(sw, tool);
    out[tool] = { stdout: detach.stdout, log: Deno.readTextFileSync(log) };
  }
  return out;
}

const PACKET = "505400000005000000000007080045000014000000004000ffffffff00000000";

testIf(
  REAL_SWITCH,
  "ovs-ofctl monitor --detach prints what the switch sends and obeys ofctl/send, ofctl/barrier, block and exit",
  async () => {
    const sw = await startRealSwitch();
    try {
      const result = await bothMonitors(sw, ["monitor", "br0", "65534"], async () => {
        const sent = await appctl(sw, "ofctl/send", "0109000c0123456700000080");
        assert.equal(sent.stdout, "sent\n");
        const bad = await appctl(sw, "ofctl/send", "0109000c01234567000000");
        assert.deepEqual([bad.code, bad.stderr.split("\n")[0]], [
          2,
          "Message size does not match length in OpenFlow header",
        ]);
        assert.equal((await appctl(sw, "ofctl/barrier")).code, 0);
        const packetOut = await sw.real([
          "packet-out",
          "br0",
          `in_port=1 packet=${PACKET} actions=controller`,
        ]);
        assert.equal(packetOut.code, 0, packetOut.stderr);
        assert.equal((await appctl(sw, "ofctl/block")).code, 0);
        assert.equal((await appctl(sw, "ofctl/block")).stdout, "already blocking\n");
        assert.equal((await appctl(sw, "ofctl/unblock")).code, 0);
        assert.equal((await appctl(sw, "ofctl/unblock")).stdout, "already unblocked\n");
        const out = await appctl(
          sw,
          "ofctl/packet-out",
          `in_port=1 packet=${PACKET} actions=controller`,
        );
        assert.equal(out.code, 0, out.stderr);
        assert.equal((await appctl(sw, "ofctl/barrier")).code, 0);
      });
      assert.equal(result.ours.log, result.real.log);
      assert.match(result.real.log, /OFPT_BARRIER_REPLY/);
      assert.match(result.real.log, /NXT_PACKET_IN2/);
    } finally {
      await sw.stop();
    }
  },
);

testIf(
  REAL_SWITCH,
  "ovs-ofctl monitor watches flow changes, takes -P for packet-ins, and switches its output file",
  async () => {
    const sw = await startRealSwitch();
    try {
      const watch = await bothMonitors(
        sw,
        ["-O", "OpenFlow13", "monitor", "br0", "watch:!initial,in_port=2"],
        async () => {
          for (const flow of ["in_port=2,actions=output:1", "in_port=1,actions=output:2"]) {
            assert.equal((await sw.real(["add-flow", "br0", flow])).code, 0);
          }
          assert.equal((await sw.real(["del-flows", "br0", "in_port=2"])).code, 0);
          assert.equal((await appctl(sw, "ofctl/barrier")).code, 0);
        },
      );
      assert.equal(watch.ours.stdout, watch.real.stdout, "watch: replies go to stdout");
      assert.equal(watch.ours.log, watch.real.log);
      assert.match(watch.real.log, /event=ADDED/);

      const outputs: Record<string, string> = {};
      const pin = await bothMonitors(
        sw,
        ["-P", "nxt_packet_in", "monitor", "br0", "65534"],
        async (tool) => {
          assert.equal(
            (await sw.real(["add-flow", "br0", "in_port=2,actions=controller"])).code,
            0,
          );
          const file = `${sw.dir}/second-${tool}.log`;
          assert.equal((await appctl(sw, "ofctl/set-output-file", file)).code, 0);
          const received = await run(
            "ovs-appctl",
            ["netdev-dummy/receive", "p2", PACKET],
            sw.env,
          );
          assert.equal(received.code, 0, received.stderr);
          assert.equal((await appctl(sw, "ofctl/barrier")).code, 0);
          outputs[tool] = Deno.readTextFileSync(file);
        },
      );
      assert.equal(pin.ours.log, pin.real.log);
      assert.equal(outputs.ours, outputs.real);
      assert.match(outputs.real!, /NXT_PACKET_IN /);
    } finally {
      await sw.stop();
    }
  },
);
