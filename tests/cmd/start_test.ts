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

/** The command line that runs `args` as the unprivileged user nobody, when this test is root. */
function asUnprivileged(args: string[]): string[] {
  if (Deno.uid() !== 0) return args;
  return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...args];
}

testIf(
  Deno.uid() === 0 ? needPrograms("setpriv", "ovs-vsctl") : needPrograms("ovs-vsctl"),
  "ovs start runs as an unprivileged user: its own database, sockets and dummy bridges",
  async () => {
    const { dir } = await ovsDirs();
    await Deno.chmod(dir, 0o777);
    const home = `${dir}/home`;
    await Deno.mkdir(home, { mode: 0o777 });
    if (Deno.uid() === 0) await Deno.chown(home, 65534, 65534);
    // A user of its own: no HOME, Deno cache or run directory of root's.
    const [command, ...args] = asUnprivileged([
      "env",
      "-i",
      "PATH=/usr/bin:/bin",
      `HOME=${home}`,
      `DENO_DIR=${home}/deno`,
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      MAIN,
      "start",
      "--enable-dummy",
      "-vconsole:off",
    ]);
    const child = new Deno.Command(command!, { args, stdout: "piped", stderr: "piped" }).spawn();
    // The default place: ~/.local/share/ovs-deno.
    const state = `${home}/.local/share/ovs-deno`;
    const tools = { OVS_RUNDIR: state };
    try {
      await waitFor(
        () => {
          try {
            return Deno.statSync(`${state}/ovs-vswitchd.pid`).isFile;
          } catch {
            return false;
          }
        },
        20000,
        "ovs start to be ready",
      );
      if (Deno.uid() === 0) assert.equal(Deno.statSync(`${state}/conf.db`).uid, 65534);
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
      child.kill("SIGTERM");
      await child.status;
      assert.throws(() => Deno.statSync(`${state}/ovs-vswitchd.pid`));
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.output().catch(() => undefined);
      await Deno.remove(dir, { recursive: true });
    }
  },
);
