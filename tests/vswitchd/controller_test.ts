// Controllers and fail modes, our ovs-vswitchd against the real one: the same story played on
// both switches (dummy datapath, frames in with netdev-dummy/receive, frames out in tx_pcap
// files), each controlled by Debian's ovs-testcontroller over TCP. Checked at every step: the
// frames each port sent, the flows the controller installed (durations masked), and the
// Controller row's status. Then the controller goes away: in fail_mode=secure the switch keeps
// its flows and forwards nothing new; in fail_mode=standalone, once the controller has been gone
// for three probe intervals, the switch fails open and forwards as a learning switch.

import assert from "node:assert/strict";
import { readPcapFile } from "../../core/datapath/pcap.ts";
import { freePort, run, waitUntil } from "../support/run.ts";
import { firstReason, needPrograms, testIf } from "../support/skip.ts";
import { addPorts, maskTimes, REAL_OVS, startSwitch, type Switch } from "../support/switch.ts";

const NEED = firstReason(REAL_OVS, needPrograms("ovs-testcontroller"));

const A = "50:54:00:00:00:01";
const B = "50:54:00:00:00:02";
const C = "50:54:00:00:00:03";

function frame(src: string, dst: string, from: string, to: string): string {
  return `eth(src=${src},dst=${dst}),eth_type(0x0800),ipv4(src=${from},dst=${to},proto=17,tos=0,ttl=64,frag=no),udp(src=7,dst=9)`;
}

interface Rig {
  sw: Switch;
  controller: Deno.ChildProcess;
}

async function startRig(which: "ours" | "real", failMode: string): Promise<Rig> {
  const sw = await startSwitch(which, addPorts("br0", 1, 2, 3));
  for (const n of [1, 2, 3]) {
    await sw.vsctl("set", "Interface", `p${n}`, `options:tx_pcap=${sw.dir}/p${n}.pcap`);
  }
  await sw.vsctl("set-fail-mode", "br0", failMode);
  const port = freePort();
  const controller = new Deno.Command("ovs-testcontroller", {
    args: [`ptcp:${port}:127.0.0.1`, "-vconsole:off"],
    env: sw.env,
    stdout: "null",
    stderr: "null",
  }).spawn();
  await sw.vsctl("set-controller", "br0", `tcp:127.0.0.1:${port}`);
  await waitUntil(`${which} switch connected`, async () => {
    const r = await sw.tool("ovs-vsctl", ["get", "controller", "br0", "is_connected"]);
    return r.stdout.trim() === "true";
  });
  return { sw, controller };
}

async function stopRig(rig: Rig): Promise<void> {
  try {
    rig.controller.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  await rig.controller.status;
  await rig.sw.stop();
}

/** How many frames each port has sent so far. */
async function sentCounts(sw: Switch): Promise<number[]> {
  const counts: number[] = [];
  for (const n of [1, 2, 3]) {
    try {
      counts.push((await readPcapFile(`${sw.dir}/p${n}.pcap`)).length);
    } catch {
      counts.push(0);
    }
  }
  return counts;
}

async function flows(sw: Switch): Promise<string> {
  const text = await sw.ofctl("dump-flows", "br0");
  return maskTimes(text).split("\n").slice(1).map((l) => l.replace(/idle_age=\d+/, "idle_age=?"))
    .sort().join("\n");
}

async function inject(sw: Switch, port: number, packet: string): Promise<void> {
  await sw.appctl("netdev-dummy/receive", `p${port}`, packet);
  // Let the controller answer and the switch apply what it sent.
  await sw.ofctl("dump-flows", "br0");
  await new Promise((r) => setTimeout(r, 150));
  await sw.appctl("revalidator/wait");
}

const STORY: readonly (readonly [number, string])[] = [
  [1, frame(A, B, "10.0.0.1", "10.0.0.2")],
  [2, frame(B, A, "10.0.0.2", "10.0.0.1")],
  [1, frame(A, B, "10.0.0.1", "10.0.0.2")],
  [1, frame(A, B, "10.0.0.1", "10.0.0.2")],
];

for (const failMode of ["secure", "standalone"]) {
  testIf(
    NEED,
    `with the real ovs-testcontroller, our switch in fail_mode=${failMode} forwards and ` +
      `installs flows as the real switch does, and without it ${
        failMode === "secure" ? "forwards nothing new" : "fails open to learning"
      }`,
    async () => {
      const ours = await startRig("ours", failMode);
      const real = await startRig("real", failMode);
      try {
        for (const [step, [port, packet]] of STORY.entries()) {
          await inject(ours.sw, port, packet);
          await inject(real.sw, port, packet);
          assert.deepEqual(
            await sentCounts(ours.sw),
            await sentCounts(real.sw),
            `frames sent after step ${step}`,
          );
          assert.equal(await flows(ours.sw), await flows(real.sw), `flows after step ${step}`);
        }
        // The controller goes away.
        for (const rig of [ours, real]) {
          rig.controller.kill("SIGKILL");
          await rig.controller.status;
        }
        for (const rig of [ours, real]) {
          await waitUntil("controller disconnected", async () => {
            const r = await rig.sw.tool("ovs-vsctl", ["get", "controller", "br0", "is_connected"]);
            return r.stdout.trim() === "false";
          });
          // Past three probe intervals (5 s each by default) on the daemon's clock.
          await rig.sw.appctl("time/warp", "20000", "1000");
        }
        const newcomer = frame(C, A, "10.0.0.3", "10.0.0.1");
        await inject(ours.sw, 3, newcomer);
        await inject(real.sw, 3, newcomer);
        const oursSent = await sentCounts(ours.sw);
        assert.deepEqual(oursSent, await sentCounts(real.sw), "frames sent without controller");
        assert.equal(await flows(ours.sw), await flows(real.sw), "flows without controller");
        const trace = ["ofproto/trace", "br0", `in_port=3,dl_src=${C},dl_dst=${A}`];
        const a = await ours.sw.appctl(...trace);
        const b = await real.sw.appctl(...trace);
        // Recirculation ids depend on each daemon's history of translations, not on behaviour;
        // the order in which a flood visits ports follows the real daemon's pointer hashes.
        const actions = (text: string) =>
          text.split("\n").filter((l) => l.startsWith("Datapath actions"))
            .map((l) => l.replace(/recirc_id=\d+/g, "recirc_id=?"))
            .map((l) =>
              /^Datapath actions: [0-9,]+$/.test(l)
                ? "Datapath actions: " + l.slice(18).split(",").sort().join(",")
                : l
            ).join();
        assert.equal(actions(a), actions(b), "translation without controller");
        const status = await run("ovs-vsctl", ["get", "controller", "br0", "status"], ours.sw.env);
        assert.match(status.stdout, /state=(BACKOFF|CONNECTING)/);
      } finally {
        await stopRig(ours);
        await stopRig(real);
      }
    },
  );
}
