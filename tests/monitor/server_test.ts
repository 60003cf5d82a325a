import assert from "node:assert/strict";
import { MonitorServer } from "../../core/monitor/server.ts";
import { parseDpifShow } from "../../core/monitor/parse.ts";
import type { Delta, FullState, Row } from "../../core/monitor/store.ts";
import { vlogSetLevels } from "../../core/net/vlog.ts";
import { testIf } from "../support/skip.ts";
import { addPorts, REAL_OVS, startSwitch } from "../support/switch.ts";
import { controlSocket } from "./control_socket.ts";
import { run, runOvs } from "../support/run.ts";

vlogSetLevels(undefined, "console", "off");

const PACKET_FROM_P1 =
  "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800)," +
  "ipv4(src=192.168.0.1,dst=192.168.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)";
const PACKET_FROM_P2 =
  "in_port(2),eth(src=50:54:00:00:00:09,dst=50:54:00:00:00:05),eth_type(0x0800)," +
  "ipv4(src=192.168.0.2,dst=192.168.0.1,proto=1,tos=0,ttl=64,frag=no),icmp(type=0,code=0)";

interface StreamEvent {
  name: string;
  id: string;
  data: (FullState | Delta) & { now: number };
}

/** Reads Server-Sent Events off `response`. */
function eventReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(timeout = 3000): Promise<StreamEvent> {
      const deadline = Date.now() + timeout;
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const fields = new Map<string, string>();
          for (const line of buffer.slice(0, end).split("\n")) {
            const colon = line.indexOf(": ");
            fields.set(line.slice(0, colon), line.slice(colon + 2));
          }
          buffer = buffer.slice(end + 2);
          return {
            name: fields.get("event") ?? "",
            id: fields.get("id") ?? "",
            data: JSON.parse(fields.get("data") ?? "null"),
          };
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) =>
            timer = setTimeout(() => reject(new Error("no event in time")), deadline - Date.now())
          ),
        ]).finally(() => clearTimeout(timer));
        if (chunk.done) throw new Error("stream ended");
        buffer += chunk.value;
      }
    },
    /** Waits for a delta that `test` accepts, applying nothing; fails after `timeout` ms. */
    async until(test: (delta: Delta) => boolean, timeout = 3000): Promise<Delta> {
      const deadline = Date.now() + timeout;
      for (;;) {
        const event = await this.next(Math.max(1, deadline - Date.now()));
        if (event.name === "delta" && test(event.data as Delta)) return event.data as Delta;
      }
    },
    cancel: () => reader.cancel(),
  };
}

function rowsOf(state: FullState, name: string): Map<string, Row> {
  return new Map(state.collections[name]?.rows ?? []);
}

function column(state: FullState, name: string, column: string): number {
  return state.collections[name]?.columns.indexOf(column) ?? -1;
}

/**
 * The monitor against one switch, ours or the real one: the same checks, so the monitor must
 * parse our bridge/dump-flows, fdb/show, dpif/show, upcall/show and dpctl/dump-flows as it parses
 * upstream's.
 */
async function monitorScenario(which: "ours" | "real"): Promise<void> {
  const sw = await startSwitch(which, addPorts("br0", 1, 2));
  await sw.ofctl("add-flow", "br0", "in_port=1,actions=output:2");
  await sw.ofctl("add-flow", "br0", "in_port=2,actions=NORMAL");
  const monitor = new MonitorServer({
    db: sw.remote,
    // The control socket by path: test modules share one environment, so no OVS_RUNDIR.
    target: await controlSocket(sw.dir),
    hostname: "127.0.0.1",
    port: 0,
    interval: 200,
  });
  const readers: ReturnType<typeof eventReader>[] = [];
  try {
    const url = await monitor.start();
    const page = await (await fetch(url)).text();
    assert.match(page, /<title>Open vSwitch monitor/);
    const embedded = /<script id="initial" type="application\/json">(.*?)<\/script>/s.exec(page);
    assert.ok(embedded, "the page embeds the state");
    const state: FullState = JSON.parse(embedded[1]!);

    // What the page holds is what the real tools print.
    assert.deepEqual([...rowsOf(state, "bridges").keys()], ["br0"]);
    assert.ok([...rowsOf(state, "db/Bridge").values()].some((r) => r.includes("br0")));
    const dumped = (await sw.appctl("bridge/dump-flows", "br0")).trim().split("\n");
    assert.equal(rowsOf(state, "flows/br0").size, dumped.length);
    assert.ok(rowsOf(state, "flows/br0").has("0|32768|in_port=1"));
    const dpif = parseDpifShow(await sw.appctl("dpif/show")).items;
    const datapaths = rowsOf(state, "datapaths");
    assert.deepEqual([...datapaths.keys()], dpif.map((d) => d.name));
    assert.equal(
      datapaths.get("dummy@ovs-dummy")?.[column(state, "datapaths", "limit")],
      Number(/\(limit (\d+)\)/.exec(await sw.appctl("upcall/show"))?.[1]),
    );
    assert.deepEqual(
      [...rowsOf(state, "ports/br0").keys()].sort(),
      ["br0", "p1", "p2"],
    );
    assert.equal(rowsOf(state, "dpports/br0").get("p2")?.[0], 2);
    assert.deepEqual([...rowsOf(state, "errors")], [], "every reply of the real switch parses");

    // A page that holds the current state reconnects without being sent it again.
    const instance = (state as FullState & { instance: string }).instance;
    const current = await fetch(`${url}api/events?since=${instance}:${state.seq}`);
    const resumed = eventReader(current);
    readers.push(resumed);
    const hello = await resumed.next();
    assert.equal(hello.name, "delta");
    assert.equal(hello.id, `${instance}:${state.seq}`);
    await resumed.cancel();

    const events = eventReader(await fetch(`${url}api/events?since=another:${state.seq}`));
    readers.push(events);
    const full = await events.next();
    assert.equal(full.name, "full", "a page holding another server's state gets the whole state");

    // A bridge added with ovs-vsctl arrives as a delta, well within a second.
    const before = Date.now();
    await sw.vsctl(
      "--no-wait",
      "add-br",
      "br9",
      "--",
      "set",
      "bridge",
      "br9",
      "datapath-type=dummy",
    );
    const added = await events.until(
      (d) => d.changes["bridges"]?.set.some(([k]) => k === "br9") ?? false,
      1000,
    );
    assert.ok(Date.now() - before < 1000);
    assert.ok(
      !added.changes["bridges"]?.set.some(([k]) => k === "br0"),
      "an unchanged row is not resent",
    );

    // Traffic: the flow's counters rise, the megaflow shows up, NORMAL learns a MAC.
    for (let i = 0; i < 3; i++) await sw.appctl("netdev-dummy/receive", "p1", PACKET_FROM_P1);
    await sw.appctl("netdev-dummy/receive", "p2", PACKET_FROM_P2);
    await sw.appctl("revalidator/wait");
    let counted: Delta | undefined;
    let macSeen = false;
    let megaflowSeen = false;
    await events.until((delta) => {
      if (
        delta.changes["flows/br0"]?.set.some(([k, row]) =>
          k === "0|32768|in_port=1" && row[4] === 3
        )
      ) {
        counted = delta;
      }
      macSeen ||= delta.changes["fdb/br0"]?.set.some(([key, row]) =>
        key === "0|50:54:00:00:00:09" && row[0] === "2"
      ) ?? false;
      megaflowSeen ||= delta.changes["megaflows"]?.set.some(([key]) =>
        key.includes("in_port(1)")
      ) ??
        false;
      return counted !== undefined && macSeen && megaflowSeen;
    });
    assert.ok(
      counted!.changes["flows/br0"]!.set.length <= 2,
      "only the flows that counted packets are sent",
    );
    const snapshot: FullState = await (await fetch(`${url}api/snapshot`)).json();
    const fdbText = await sw.appctl("fdb/show", "br0");
    assert.equal(rowsOf(snapshot, "fdb/br0").size, fdbText.trim().split("\n").length - 1);

    // A switch that stops answering is shown as such; its last views stay.
    await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], sw.env);
    await events.until((d) => d.changes["status/switch"]?.set[0]?.[1][1] === 0);
    const after: FullState = await (await fetch(`${url}api/snapshot`)).json();
    assert.ok(rowsOf(after, "flows/br0").has("0|32768|in_port=1"));
  } finally {
    for (const reader of readers) await reader.cancel().catch(() => {});
    await monitor.close();
    await sw.stop();
  }
}

testIf(
  REAL_OVS,
  "the monitor shows what the real switch reports and streams only the changes: a new bridge, counters, MACs, a lost switch",
  () => monitorScenario("real"),
);

testIf(
  REAL_OVS,
  "the monitor shows what our switch reports as it does the real one's: rows, deltas, counters, MACs, a lost switch",
  () => monitorScenario("ours"),
);

Deno.test(
  "ovs monitor --help lists its options and a bad port is refused",
  async () => {
    const help = await runOvs(["monitor", "--help"]);
    assert.equal(help.code, 0);
    for (
      const option of ["--db=REMOTE", "-t, --target", "--host=ADDRESS", "-p, --port", "--interval"]
    ) {
      assert.ok(help.stdout.includes(option), option);
    }
    const bad = await runOvs(["monitor", "--port=70000"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^ovs monitor: bad --port "70000"/);
  },
);
