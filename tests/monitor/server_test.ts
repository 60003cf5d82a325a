import assert from "node:assert/strict";
import { MonitorServer } from "../../core/monitor/server.ts";
import { vlogSetLevels } from "../../core/net/vlog.ts";
import { startOvsdbServer } from "../support/ovsdb.ts";
import { run } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";

vlogSetLevels(undefined, "console", "off");

testIf(
  needPrograms("ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-vswitchd", "ovs-appctl"),
  "the monitor page pushes database changes and shows the switch's flows, datapath and MAC table",
  async () => {
    const server = await startOvsdbServer("real");
    const env = server.env;
    await run("ovs-vsctl", ["--no-wait", "init"], env);
    const started = await run(
      "ovs-vswitchd",
      [
        "--enable-dummy",
        "--disable-system",
        "--detach",
        "--no-chdir",
        "--pidfile",
        "--log-file",
        "-vconsole:off",
      ],
      env,
    );
    assert.equal(started.code, 0, started.stderr);
    Deno.env.set("OVS_RUNDIR", server.dir);
    const monitor = new MonitorServer({
      db: server.remote,
      target: "ovs-vswitchd",
      hostname: "127.0.0.1",
      port: 0,
      interval: 200,
    });
    try {
      await run(
        "ovs-vsctl",
        ["add-br", "br0", "--", "set", "bridge", "br0", "datapath-type=dummy"],
        env,
      );
      const url = await monitor.start();
      const page = await (await fetch(url)).text();
      assert.match(page, /<title>Open vSwitch monitor/);
      // The page arrives with the current state, so it shows it before the stream connects.
      const embedded = /<script id="initial" type="application\/json">(.*?)<\/script>/s.exec(page);
      assert.ok(embedded, "the page embeds a snapshot");
      const snapshot = JSON.parse(embedded[1]!.replaceAll("<\\/", "</"));
      assert.ok(
        snapshot.tables.some((t: { name: string; rows: string[][] }) =>
          t.name === "Bridge" && t.rows.some((r) => r.includes("br0"))
        ),
      );

      const response = await fetch(`${url}api/events`);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      const nextEvent = async (): Promise<{ kind: string; [key: string]: unknown }> => {
        for (;;) {
          const end = buffer.indexOf("\n\n");
          if (end >= 0) {
            const chunk = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            return JSON.parse(chunk.replace(/^data: /, ""));
          }
          const { value, done } = await reader.read();
          if (done) throw new Error("stream ended");
          buffer += value;
        }
      };
      const full = await nextEvent();
      assert.equal(full.kind, "full");
      // The database change reaches the page without a reload.
      await run("ovs-vsctl", [
        "--no-wait",
        "add-br",
        "br9",
        "--",
        "set",
        "bridge",
        "br9",
        "datapath-type=dummy",
      ], env);
      let sawBridge = false;
      let sawFlows = false;
      for (let i = 0; i < 20 && !(sawBridge && sawFlows); i++) {
        const event = await nextEvent();
        if (event.kind === "db") {
          const tables = event.tables as { name: string; rows: string[][] }[];
          const bridge = tables.find((t) => t.name === "Bridge");
          sawBridge ||= bridge?.rows.some((r) => r.includes("br9")) ?? false;
        }
        if (event.kind === "switch") {
          const views = event.switch as { command: string; ok: boolean; text: string }[];
          sawFlows ||= views.some((v) =>
            v.command === "bridge/dump-flows br0" && v.ok && /table_id=254/.test(v.text)
          );
          assert.ok(
            views.some((v) => v.command === "dpif/show" && /hit:\d+ missed:\d+/.test(v.text)),
          );
        }
      }
      assert.ok(sawBridge, "a new bridge appears through the event stream");
      assert.ok(sawFlows, "the bridge's flows are shown with counters");
      await reader.cancel();
    } finally {
      await monitor.close();
      await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], env);
      await server.stop();
    }
  },
);
