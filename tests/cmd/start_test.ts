import assert from "node:assert/strict";
import { alive, MAIN, ovsDirs, run, waitFor } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";

testIf(
  needPrograms("ovs-vsctl", "ovs-appctl"),
  "ovs start runs both daemons in one process that the real tools drive",
  async () => {
    const { dir } = await ovsDirs();
    const env: Record<string, string> = { HOME: dir };
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        MAIN,
        "start",
        `--dir=${dir}/state`,
        "--enable-dummy",
        "-vconsole:off",
      ],
      env,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const tools = { ...env, OVS_RUNDIR: `${dir}/state` };
    try {
      await waitFor(
        () => {
          try {
            return Deno.statSync(`${dir}/state/ovs-vswitchd.pid`).isFile;
          } catch {
            return false;
          }
        },
        15000,
        "ovs start to be ready",
      );
      const pid = Number(Deno.readTextFileSync(`${dir}/state/ovs-vswitchd.pid`).trim());
      assert.equal(pid, child.pid);
      assert.equal(
        Number(Deno.readTextFileSync(`${dir}/state/ovsdb-server.pid`).trim()),
        child.pid,
      );
      // The database was created from the built-in schema, with its Open_vSwitch row.
      const added = await run("ovs-vsctl", [
        "--timeout=10",
        "add-br",
        "br0",
        "--",
        "set",
        "bridge",
        "br0",
        "datapath-type=dummy",
      ], tools);
      assert.equal(added.code, 0, added.stderr);
      assert.equal((await run("ovs-vsctl", ["list-br"], tools)).stdout, "br0\n");
      assert.equal(
        (await run("ovs-vsctl", ["get", "Interface", "br0", "ofport"], tools)).stdout,
        "65534\n",
      );
      const dbs = await run("ovs-appctl", ["-t", "ovsdb-server", "ovsdb-server/list-dbs"], tools);
      assert.equal(dbs.stdout, "Open_vSwitch\n_Server\n");
      const version = await run("ovs-appctl", ["version"], tools);
      assert.equal(version.stdout, "ovs-vswitchd (Open vSwitch) 3.1.0\n");
      // Ctrl-C stops it cleanly.
      child.kill("SIGINT");
      const status = await child.status;
      assert.notEqual(status.code, 1);
      assert.throws(() => Deno.statSync(`${dir}/state/ovs-vswitchd.pid`));
      assert.throws(() => Deno.statSync(`${dir}/state/db.sock`));
      const output = new TextDecoder().decode((await child.output()).stdout);
      assert.match(output, /^ovs start: Open vSwitch 3\.1\.0 \(ovs-deno\) running as pid \d+$/m);
      assert.match(output, new RegExp(`export OVS_RUNDIR=${dir}/state`));
    } finally {
      if (alive(child.pid)) child.kill("SIGKILL");
      await child.status.catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
);
