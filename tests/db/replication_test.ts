import assert from "node:assert/strict";
import { startOvsdbServer } from "../support/ovsdb.ts";
import { ovsDirs, run, runOvs } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";

const REAL = needPrograms("ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-appctl");

for (const activeKind of ["ours", "real"] as const) {
  testIf(
    REAL,
    `our ovsdb-server --sync-from replicates ${
      activeKind === "ours" ? "our" : "a real"
    } active server`,
    async () => {
      const active = await startOvsdbServer(activeKind);
      const { dir, env } = await ovsDirs();
      try {
        const vsctl = (db: string, ...args: string[]) =>
          run("ovs-vsctl", [`--db=${db}`, "--no-wait", ...args], env);
        await vsctl(active.remote, "init", "--", "add-br", "br0");
        assert.equal(
          (await run("ovsdb-tool", [
            "create",
            `${dir}/backup.db`,
            "/usr/share/openvswitch/vswitch.ovsschema",
          ], env)).code,
          0,
        );
        const started = await runOvs([
          "ovsdb-server",
          "--detach",
          "--no-chdir",
          "--pidfile",
          "--log-file",
          `--remote=punix:${dir}/db.sock`,
          `--sync-from=${active.remote}`,
          `${dir}/backup.db`,
        ], env);
        assert.equal(started.code, 0, started.stderr);
        const backup = `unix:${dir}/db.sock`;
        // The backup follows the active server, including later changes.
        await vsctl(active.remote, "add-br", "br1");
        const listed = async () => (await vsctl(backup, "list-br")).stdout;
        const deadline = Date.now() + 5000;
        while ((await listed()) !== "br0\nbr1\n" && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(await listed(), "br0\nbr1\n");
        // Its clients cannot write.
        const refused = await vsctl(backup, "add-br", "brb");
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /not allowed when database server is in read only mode/);
        const status = await run(
          "ovs-appctl",
          ["-t", "ovsdb-server", "ovsdb-server/sync-status"],
          env,
        );
        assert.equal(
          status.stdout,
          `state: backup\nreplicating: ${active.remote}\ndatabase: Open_vSwitch\n`,
        );
        const get = await run("ovs-appctl", [
          "-t",
          "ovsdb-server",
          "ovsdb-server/get-active-ovsdb-server",
        ], env);
        assert.equal(get.stdout, `${active.remote}\n`);
        // Disconnected, it becomes active and writable.
        await run("ovs-appctl", [
          "-t",
          "ovsdb-server",
          "ovsdb-server/disconnect-active-ovsdb-server",
        ], env);
        assert.equal(
          (await run("ovs-appctl", ["-t", "ovsdb-server", "ovsdb-server/sync-status"], env)).stdout,
          "state: active\n",
        );
        assert.equal((await vsctl(backup, "add-br", "brb")).code, 0);
      } finally {
        await run("ovs-appctl", ["-t", "ovsdb-server", "exit"], env);
        await Deno.remove(dir, { recursive: true });
        await active.stop();
      }
    },
  );
}
