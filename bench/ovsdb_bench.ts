// bench/ovsdb: our ovsdb-server against the real one (Debian's 3.1), measured in the same run
// with the same clients: single-row transactions per second from 1 client (one at a time, and
// with many in flight) and from 16 clients, 1000 `ovs-vsctl add-port` in one transaction and one
// by one, monitor fan-out to 100 clients, and resident memory holding 100k rows. Prints one line
// per measure with the ratio ours/real (higher is better for rates, lower for times and memory),
// and for our server the average number of transactions that shared one fdatasync. Our server
// syncs every commit to disk before replying; the real one does not unless a transaction asks.
//
// Usage: deno run -A bench/ovsdb_bench.ts [--quick] [--only=ours|real] [--filter=TEXT]
//          [--rounds=N] [--prof=DIR]
//   --rounds=N  runs each measure N times on each server, alternating, and keeps the best
//   --prof=DIR  runs our server with --cpu-prof, profiles written to DIR

import { JsonRpcConnection } from "../core/net/jsonrpc_connection.ts";
import type { Json } from "../core/net/json_value.ts";

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const quick = Deno.args.includes("--quick");
const only = flag("only");
const filter = flag("filter");
const profDir = flag("prof");
const rounds = Number(flag("rounds") ?? 1);
const SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";
const MAIN = new URL("../main.ts", import.meta.url).pathname;

interface Server {
  name: "ours" | "real";
  dir: string;
  env: Record<string, string>;
  socket: string;
  pid: number;
}

async function run(command: string, args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(command, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(
      `${command} ${args.slice(0, 3).join(" ")}: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return new TextDecoder().decode(output.stdout);
}

async function start(which: "ours" | "real"): Promise<Server> {
  const dir = await Deno.makeTempDir({ prefix: `ovsdb-bench-${which}-` });
  const env = { OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir };
  await run("ovsdb-tool", ["create", `${dir}/conf.db`, SCHEMA], env);
  const args = [
    "--detach",
    "--no-chdir",
    "--pidfile",
    `--remote=punix:${dir}/db.sock`,
    `${dir}/conf.db`,
  ];
  if (which === "ours" && profDir) {
    // Profiled: run in the foreground of a child process (a detached daemon is re-executed
    // without the profiler), and wait for its pidfile.
    const prof = ["--cpu-prof", `--cpu-prof-dir=${profDir}`];
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", ...prof, MAIN, "ovsdb-server", ...args.slice(1)],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    for (let i = 0; i < 200; i++) {
      try {
        await Deno.stat(`${dir}/ovsdb-server.pid`);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  } else if (which === "ours") {
    await run(Deno.execPath(), ["run", "-A", "--quiet", MAIN, "ovsdb-server", ...args], env);
  } else await run("ovsdb-server", args, env);
  const pid = Number((await Deno.readTextFile(`${dir}/ovsdb-server.pid`)).trim());
  await run("ovs-vsctl", [`--db=unix:${dir}/db.sock`, "--no-wait", "init"], env);
  return { name: which, dir, env, socket: `${dir}/db.sock`, pid };
}

async function stop(server: Server): Promise<void> {
  try {
    Deno.kill(server.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
  for (let i = 0; i < 100; i++) {
    try {
      Deno.kill(server.pid, "SIGCONT");
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await Deno.remove(server.dir, { recursive: true });
}

/** Our server's count of fdatasyncs and of records they covered (coverage counters). */
async function syncCounters(server: Server): Promise<{ syncs: number; records: number }> {
  if (server.name !== "ours") return { syncs: 0, records: 0 };
  const ctl = `${server.dir}/ovsdb-server.${server.pid}.ctl`;
  const read = async (name: string) =>
    Number(
      (await run("ovs-appctl", ["-t", ctl, "coverage/read-counter", name], server.env)).trim(),
    );
  return { syncs: await read("ovsdb_log_sync"), records: await read("ovsdb_log_record") };
}

async function connect(server: Server): Promise<JsonRpcConnection> {
  const conn = await Deno.connect({ transport: "unix", path: server.socket });
  const connection = new JsonRpcConnection(conn, { name: server.name });
  connection.start();
  return connection;
}

function insertQos(i: number): Json {
  return ["Open_vSwitch", { op: "insert", table: "QoS", row: { type: `bench-${i}` } }];
}

/**
 * Single-row transactions from `clients` clients, each keeping `inFlight` requests outstanding
 * (1: one at a time); returns transactions/s.
 */
async function transactionRate(
  server: Server,
  clients: number,
  perClient: number,
  inFlight = 1,
): Promise<number> {
  const connections = await Promise.all(Array.from({ length: clients }, () => connect(server)));
  const started = performance.now();
  await Promise.all(connections.map(async (connection, c) => {
    let next = 0;
    const lane = async () => {
      while (next < perClient) {
        const i = next++;
        await connection.call("transact", insertQos(c * 1e6 + i) as Json[]);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  }));
  const seconds = (performance.now() - started) / 1000;
  for (const connection of connections) connection.close();
  return (clients * perClient) / seconds;
}

/** Seconds for `n` add-port commands, in one ovs-vsctl transaction or one by one. */
async function addPorts(
  server: Server,
  n: number,
  oneTransaction: boolean,
  tag: string,
): Promise<number> {
  const db = `--db=unix:${server.socket}`;
  await run("ovs-vsctl", [db, "--no-wait", "--may-exist", "add-br", `b${tag}`], server.env);
  const started = performance.now();
  if (oneTransaction) {
    const args = [db, "--no-wait"];
    for (let i = 0; i < n; i++) args.push("--", "add-port", `b${tag}`, `p${tag}-${i}`);
    await run("ovs-vsctl", args, server.env);
  } else {
    for (let i = 0; i < n; i++) {
      await run("ovs-vsctl", [db, "--no-wait", "add-port", `b${tag}`, `p${tag}-${i}`], server.env);
    }
  }
  return (performance.now() - started) / 1000;
}

/** Updates per second delivered to `watchers` monitoring clients while `commits` rows arrive. */
async function monitorFanout(server: Server, watchers: number, commits: number): Promise<number> {
  const connections: JsonRpcConnection[] = [];
  for (let i = 0; i < watchers; i++) connections.push(await connect(server));
  let received = 0;
  const expected = watchers * commits;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  for (const connection of connections) {
    connection.onMessage = (message) => {
      if (message.type === "notify" && message.method === "update2") {
        const updates = message.params[1];
        const qos = updates && typeof updates === "object" && !Array.isArray(updates)
          ? (updates as Record<string, Json>)["QoS"]
          : undefined;
        received += qos && typeof qos === "object" ? Object.keys(qos).length : 0;
        if (received >= expected) done();
      }
    };
    await connection.call("monitor_cond", [
      "Open_vSwitch",
      "bench",
      {
        QoS: [{
          columns: ["type"],
          select: { initial: false, insert: true, delete: false, modify: false },
        }],
      },
    ]);
  }
  const writer = await connect(server);
  const started = performance.now();
  for (let i = 0; i < commits; i++) await writer.call("transact", insertQos(9e6 + i) as Json[]);
  await finished;
  const seconds = (performance.now() - started) / 1000;
  writer.close();
  for (const connection of connections) connection.close();
  return expected / seconds;
}

/** Resident memory (MiB) of the server after it holds `rows` more rows. */
async function memoryFor(server: Server, rows: number): Promise<number> {
  const connection = await connect(server);
  const batch = 1000;
  for (let i = 0; i < rows; i += batch) {
    const ops: Json[] = ["Open_vSwitch"];
    for (let j = i; j < Math.min(rows, i + batch); j++) {
      ops.push({
        op: "insert",
        table: "QoS",
        row: { type: `m-${j}`, external_ids: ["map", [["k", `${j}`]]] },
      });
    }
    await connection.call("transact", ops);
  }
  connection.close();
  const status = await Deno.readTextFile(`/proc/${server.pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

interface Measure {
  label: string;
  unit: string;
  higherIsBetter: boolean;
  /** Whether the transactions-per-fdatasync figure means something for this measure. */
  syncs: boolean;
  run: (server: Server) => Promise<number>;
}

const scale = quick ? 0.1 : 1;
const MEASURES: Measure[] = [
  {
    label: "single-row transactions, 1 client",
    unit: "txn/s",
    higherIsBetter: true,
    syncs: true,
    run: (s) => transactionRate(s, 1, Math.round(2000 * scale)),
  },
  {
    label: "single-row transactions, 1 client, 32 in flight",
    unit: "txn/s",
    higherIsBetter: true,
    syncs: true,
    run: (s) => transactionRate(s, 1, Math.round(8000 * scale), 32),
  },
  {
    label: "single-row transactions, 16 clients",
    unit: "txn/s",
    higherIsBetter: true,
    syncs: true,
    run: (s) => transactionRate(s, 16, Math.round(500 * scale)),
  },
  {
    label: "1000 ovs-vsctl add-port, one transaction",
    unit: "s",
    higherIsBetter: false,
    syncs: false,
    run: (s) => addPorts(s, Math.round(1000 * scale), true, "one"),
  },
  {
    label: "1000 ovs-vsctl add-port, one by one",
    unit: "s",
    higherIsBetter: false,
    syncs: false,
    run: (s) => addPorts(s, Math.round(1000 * scale), false, "each"),
  },
  {
    label: "monitor fan-out to 100 clients",
    unit: "updates/s",
    higherIsBetter: true,
    syncs: false,
    run: (s) => monitorFanout(s, 100, Math.round(200 * scale)),
  },
  {
    label: "resident memory with 100k more rows",
    unit: "MiB",
    higherIsBetter: false,
    syncs: false,
    run: (s) => memoryFor(s, Math.round(100000 * scale)),
  },
];

function format(value: number | undefined, unit: string): string {
  if (value === undefined) return `${"-".padStart(9)} ${unit.padEnd(9)}`;
  return `${value.toFixed(value < 10 ? 3 : 0).padStart(9)} ${unit.padEnd(9)}`;
}

const servers = (["ours", "real"] as const).filter((w) => only === undefined || only === w);
for (const measure of MEASURES) {
  if (filter !== undefined && !measure.label.includes(filter)) continue;
  const best: Record<string, number> = {};
  let perSync: number | undefined;
  for (let round = 0; round < rounds; round++) {
    for (const which of servers) {
      const server = await start(which);
      try {
        const before = await syncCounters(server);
        const value = await measure.run(server);
        const after = await syncCounters(server);
        const previous = best[which];
        const better = previous === undefined ||
          (measure.higherIsBetter ? value > previous : value < previous);
        if (better) best[which] = value;
        if (which === "ours" && measure.syncs && after.syncs > before.syncs) {
          perSync = (after.records - before.records) / (after.syncs - before.syncs);
        }
      } finally {
        await stop(server);
      }
    }
  }
  const ours = best["ours"];
  const real = best["real"];
  const ratio = ours !== undefined && real ? (ours / real).toFixed(2) : "-";
  console.log(
    `${measure.label.padEnd(48)} ours ${format(ours, measure.unit)} real ${
      format(real, measure.unit)
    } ours/real ${ratio}${measure.higherIsBetter ? " (higher is better)" : " (lower is better)"}${
      perSync === undefined ? "" : `  [ours: ${perSync.toFixed(1)} txn/fdatasync]`
    }`,
  );
}
