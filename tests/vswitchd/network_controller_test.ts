// A learning controller driving a switch on real devices: Debian's ovs-testcontroller controls
// our ovs-vswitchd, and our ovs-testcontroller controls Debian's ovs-vswitchd, each bridge on the
// netdev datapath with system ports on veth pairs into namespaces. Namespaces ping through the
// flows the controller installs; then the controller is killed: in fail_mode=secure the flows it
// installed keep forwarding but a new conversation goes nowhere, in fail_mode=standalone the
// switch fails open (after three inactivity probes, 15 s) and forwards as a learning switch, and
// once the controller is back its flows take over again.
// Needs root, namespaces and the real Open vSwitch programs (CI has them).

import assert from "node:assert/strict";
import { freePort, MAIN, waitUntil } from "../support/run.ts";
import { firstReason, needPrograms, testIf } from "../support/skip.ts";
import { type Host, needNetworkSwitch, type NetSwitch, startNetSwitch } from "./network_switch.ts";

const NEED = firstReason(
  needNetworkSwitch(),
  needPrograms("ovs-vswitchd", "ovsdb-server", "ovs-testcontroller"),
);

/** ovs-testcontroller listening on `port`: Debian's or ours. */
function startController(
  which: "ours" | "real",
  port: number,
  env: Record<string, string>,
): Deno.ChildProcess {
  const args = [`ptcp:${port}:127.0.0.1`, "-vconsole:off"];
  const [command, argv] = which === "real"
    ? ["ovs-testcontroller", args]
    : [Deno.execPath(), ["run", "-A", "--quiet", MAIN, "ovs-testcontroller", ...args]];
  return new Deno.Command(command, { args: argv, env, stdout: "null", stderr: "piped" }).spawn();
}

async function answered(sw: NetSwitch, from: Host, to: Host, seconds: number): Promise<boolean> {
  const r = await sw.bed.ping(from.ns, to.ip, { count: 1, deadline: seconds });
  return r.received === 1;
}

/** Flows in `dump-flows` output, without the reply's header line. */
function flowCount(dump: string): number {
  return dump.split("\n").filter((l) => l.includes("actions=")).length;
}

const PAIRS = [
  {
    switchWhich: "ours",
    controllerWhich: "real",
    label: "the real ovs-testcontroller drives ours",
  },
  { switchWhich: "real", controllerWhich: "ours", label: "our ovs-testcontroller drives the real" },
] as const;

for (const { switchWhich, controllerWhich, label } of PAIRS) {
  for (const failMode of ["secure", "standalone"] as const) {
    testIf(
      NEED,
      `${label} ovs-vswitchd in fail_mode=${failMode}: namespaces ping through its flows, and ` +
        `with the controller killed ${
          failMode === "secure"
            ? "installed flows still forward but new ones are not made"
            : "the switch fails open to learning until it is back"
        }`,
      async () => {
        const sw = await startNetSwitch(switchWhich);
        let controller: Deno.ChildProcess | undefined;
        try {
          const hosts = [await sw.addHost(1), await sw.addHost(2), await sw.addHost(3)];
          const [h1, h2, h3] = hosts as [Host, Host, Host];
          const br = sw.bed.name("br");
          await sw.addBridge(br, hosts);
          await sw.vsctl("set-fail-mode", br, failMode);
          const port = freePort();
          controller = startController(controllerWhich, port, sw.server.env);
          await sw.vsctl("set-controller", br, `tcp:127.0.0.1:${port}`);
          await waitUntil("the switch connected to its controller", async () => {
            return (await sw.vsctl("get", "controller", br, "is_connected")).trim() === "true";
          }, 15000).catch(async (e) => {
            console.error(await sw.vsctl("list", "controller"), (await sw.log()).slice(-3000));
            throw e;
          });
          // A standalone bridge without controller had its own NORMAL flow; the controller's
          // connection replaced it with nothing, so what forwards now is what the controller did.
          assert.ok(await answered(sw, h1, h2, 10), "h1 reaches h2 through the controller");
          await waitUntil("the controller's flows", async () => {
            return flowCount(await sw.ofctl("dump-flows", br)) > 0;
          }, 15000);
          const dump = await sw.ofctl("dump-flows", br);
          assert.doesNotMatch(dump, /actions=NORMAL/, "no fail-open flow while connected");

          controller.kill("SIGKILL");
          await controller.output();
          controller = undefined;
          await waitUntil("the switch noticed the controller is gone", async () => {
            return (await sw.vsctl("get", "controller", br, "is_connected")).trim() === "false";
          }, 15000);
          if (failMode === "secure") {
            assert.ok(await answered(sw, h1, h2, 5), "flows the controller installed forward");
            // Past the standalone fail-open delay: a secure switch still makes no new flow.
            await new Promise((r) => setTimeout(r, 16000));
            assert.equal(await answered(sw, h1, h3, 2), false, "h1 must not reach h3");
            assert.doesNotMatch(await sw.ofctl("dump-flows", br), /actions=NORMAL/);
          } else {
            // Fail-open's NORMAL flow is hidden (above every OpenFlow priority), as upstream's.
            // ping gives up early once ARP fails, so ask again until the switch has failed open.
            await waitUntil("h1 reaching h3 once the switch fails open", async () => {
              return await answered(sw, h1, h3, 2);
            }, 30000);
            assert.equal(flowCount(await sw.ofctl("dump-flows", br)), 0, "no flow but fail-open's");
            // The controller comes back: fail-open ends and new traffic is the controller's again.
            controller = startController(controllerWhich, port, sw.server.env);
            await waitUntil("the switch reconnected to its controller", async () => {
              return (await sw.vsctl("get", "controller", br, "is_connected")).trim() === "true";
            }, 30000);
            await waitUntil("h2 reaching h3 through the controller's flows", async () => {
              return await answered(sw, h2, h3, 2) &&
                flowCount(await sw.ofctl("dump-flows", br)) > 0;
            }, 20000);
          }
        } finally {
          if (controller) {
            try {
              controller.kill("SIGKILL");
            } catch {
              // It had exited already; its stderr says why.
            }
            const { stderr } = await controller.output();
            const text = new TextDecoder().decode(stderr);
            if (text) console.error(`${controllerWhich} ovs-testcontroller:\n${text}`);
          }
          await sw.stop();
        }
      },
    );
  }
}
