// OpenFlow over SSL between our programs and the real Open vSwitch: ovs-ofctl to a switch's
// pssl: controller listener configured with `ovs-vsctl set-ssl`, ours to the real switch and the
// real one to ours, with mutual authentication; our ovs-testcontroller on pssl: taking the real
// switch's connection; our switch connecting out to the real ovs-testcontroller on ssl:.

import assert from "node:assert/strict";
import { maskTimes, REAL_OVS, startSwitch, type Switch, type Which } from "../support/switch.ts";
import { ovsDirs, run, runOvs } from "../support/run.ts";
import { firstReason, needPrograms, testIf } from "../support/skip.ts";
import { logLines, makePki, type Pki, sslArgs, waitForPort } from "./ssl_fixture.ts";

const REAL = firstReason(REAL_OVS, needPrograms("ovs-testcontroller", "ovs-pki"));

let pkiPromise: Promise<Pki> | undefined;
function pki(): Promise<Pki> {
  pkiPromise ??= makePki({
    signed: [["switch", "switch"], ["ofctl", "switch"], ["controller", "controller"], [
      "intruder",
      "controller",
    ]],
  });
  return pkiPromise;
}

/** br0 with `set-ssl` (the switch's credentials, trusting `ca`) and the given controllers. */
async function sslSwitch(which: Which, p: Pki, ca: string, controller: string): Promise<Switch> {
  const { key, cert } = p.get("switch");
  return await startSwitch(which, [
    "--",
    "set-ssl",
    key,
    cert,
    ca,
    "--",
    "set-controller",
    "br0",
    controller,
    "--",
    "set",
    "controller",
    "br0",
    "connection-mode=out-of-band",
  ]);
}

const FLOWS = "priority=5,in_port=1,actions=drop\npriority=7,ip,nw_dst=10.0.0.1,actions=output:2\n";

/** Our ovs-ofctl and the real one, over ssl: to `sw`'s pssl: listener, print the same. */
async function compareOfctl(sw: Switch, p: Pki): Promise<void> {
  const port = await waitForPort(() => sw.log());
  const target = `ssl:127.0.0.1:${port}`;
  await sw.tool("ovs-ofctl", ["add-flows", "br0", "-"], { stdin: FLOWS });
  const creds = sslArgs(p, "ofctl", p.switchCa);
  for (const command of [["dump-flows"], ["show"], ["-O", "OpenFlow13", "dump-flows"]]) {
    const args = [...creds, ...command, target];
    const [real, ours] = await Promise.all([
      sw.tool("ovs-ofctl", args),
      sw.tool("ovs-ofctl", args, { ours: true }),
    ]);
    assert.equal(real.code, 0, real.stderr);
    assert.equal(maskTimes(ours.stdout), maskTimes(real.stdout), command.join(" "));
    assert.equal(ours.code, 0);
  }
  // Refused both ways. Without credentials, with the same words.
  const args = ["dump-flows", target];
  const [real, ours] = await Promise.all([
    sw.tool("ovs-ofctl", args),
    sw.tool("ovs-ofctl", args, { ours: true }),
  ]);
  assert.equal(real.code, 1);
  assert.equal(ours.code, real.code);
  assert.deepEqual(logLines(ours.stderr), logLines(real.stderr));
  // With a certificate the switch's CA did not sign. Even the real ovs-ofctl words this as the
  // race between its first write and the switch's alert falls (broken pipe, or the alert); our
  // switch can refuse only after the handshake, so a tool sees the connection end instead.
  const intruder = [...sslArgs(p, "intruder", p.switchCa), "dump-flows", target];
  for (
    const result of await Promise.all([
      sw.tool("ovs-ofctl", intruder),
      sw.tool("ovs-ofctl", intruder, { ours: true }),
    ])
  ) {
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /failed to connect to socket \((Broken pipe|Input\/output error|Connection reset by peer)\)/,
    );
    assert.doesNotMatch(result.stdout, /NXST_FLOW/);
  }
}

testIf(
  REAL,
  "our ovs-ofctl over ssl: to the real switch prints what the real one prints",
  async () => {
    const p = await pki();
    const sw = await sslSwitch("real", p, p.switchCa, "pssl:0:127.0.0.1");
    try {
      await compareOfctl(sw, p);
    } finally {
      await sw.stop();
    }
  },
);

testIf(
  REAL,
  "our switch's pssl: listener serves ovs-ofctl and refuses an untrusted one",
  async () => {
    const p = await pki();
    const sw = await sslSwitch("ours", p, p.switchCa, "pssl:0:127.0.0.1");
    try {
      await compareOfctl(sw, p);
      assert.match(
        await sw.log(),
        /stream_ssl\|WARN\|SSL_accept: error:0A000086:SSL routines::certificate verify failed/,
      );
    } finally {
      await sw.stop();
    }
  },
);

/**
 * `controllerWhich`'s ovs-testcontroller on pssl: (the controller's credentials, trusting the
 * switch CA) and `switchWhich`'s switch (trusting the controller CA) connecting to it on ssl:.
 */
async function controllerScenario(switchWhich: Which, controllerWhich: Which): Promise<void> {
  const p = await pki();
  const { dir, env } = await ovsDirs();
  const log = `${dir}/ovs-testcontroller.log`;
  let sw: Switch | undefined;
  try {
    const args = [
      "--detach",
      "--no-chdir",
      "--pidfile",
      `--log-file=${log}`,
      ...sslArgs(p, "controller", p.switchCa),
      "pssl:0:127.0.0.1",
    ];
    const started = controllerWhich === "ours"
      ? await runOvs(["ovs-testcontroller", ...args], env)
      : await run("ovs-testcontroller", args, env);
    assert.equal(started.code, 0, started.stderr);
    const port = await waitForPort(() => Deno.readTextFile(log));
    sw = await sslSwitch(switchWhich, p, p.controllerCa, `ssl:127.0.0.1:${port}`);
    // The learning switch's table-miss flow arrives over the SSL connection.
    const deadline = Date.now() + 15000;
    while (!/actions=CONTROLLER/.test(await sw.ofctl("dump-flows", "br0"))) {
      if (Date.now() > deadline) throw new Error(`no flow from the controller:\n${await sw.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(await sw.log(), new RegExp(`br0<->ssl:127\\.0\\.0\\.1:${port}: connected`));
    assert.deepEqual(
      logLines(await Deno.readTextFile(log)).filter((l) => /\|(WARN|ERR)\|/.test(l)),
      [],
    );
  } finally {
    await run("ovs-appctl", ["-t", "ovs-testcontroller", "exit"], env);
    const pid = await Deno.readTextFile(`${dir}/ovs-testcontroller.pid`).catch(() => "");
    if (pid.trim()) {
      try {
        Deno.kill(Number(pid.trim()), "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    await sw?.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

testIf(
  REAL,
  "our ovs-testcontroller on pssl: takes the real switch's ssl: connection",
  () => controllerScenario("real", "ours"),
);

testIf(
  REAL,
  "our switch connects over ssl: to the real ovs-testcontroller",
  () => controllerScenario("ours", "real"),
);

Deno.test({
  name: "the SSL OpenFlow test PKI is removed",
  fn: async () => {
    if (pkiPromise) await (await pkiPromise).remove();
  },
});
