// bench/ovsdb: our ovsdb-server against the real one (Debian's 3.1), measured in the same run
// with the same clients: single-row transactions per second from 1 and from 16 clients, 1000
// `ovs-vsctl add-port` in one transaction and one by one, monitor fan-out to 100 clients, and
// resident memory holding 100k rows. Prints one line per measure with the ratio ours/real
// (higher is better for rates, lower for times and memory). Our server syncs every commit to
// disk before replying; the real one does not unless a transaction asks for durability.
//
// Usage: deno run -A bench/ovsdb_bench.ts [--quick]

import { JsonRpcConnection } from "../core/net/jsonrpc_connection.ts";
import type { Json } from "../core/net/json_value.ts";

const quick = Deno.args.includes("--quick");
const SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";
const MAIN = new URL("../main.ts", import.meta.url).pathname;

interface Server {
  name: string;
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
  if (which === "ours") {
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
  await new Promise((r) => setTimeout(r, 200));
  await Deno.remove(server.dir, { recursive: true });
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

/** Sequential single-row transactions from `clients` clients; returns transactions/s. */
async function transactionRate(
  server: Server,
  clients: number,
  perClient: number,
): Promise<number> {
  const connections = await Promise.all(Array.from({ length: clients }, () => connect(server)));
  const started = performance.now();
  await Promise.all(connections.map(async (connection, c) => {
    for (let i = 0; i < perClient; i++) {
      await connection.call("transact", insertQos(c * 1e6 + i) as Json[]);
    }
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
  run: (server: Server) => Promise<number>;
}

const scale = quick ? 0.1 : 1;
const MEASURES: Measure[] = [
  {
    label: "single-row transactions, 1 client",
    unit: "txn/s",
    higherIsBetter: true,
    run: (s) => transactionRate(s, 1, Math.round(2000 * scale)),
  },
  {
    label: "single-row transactions, 16 clients",
    unit: "txn/s",
    higherIsBetter: true,
    run: (s) => transactionRate(s, 16, Math.round(250 * scale)),
  },
  {
    label: "1000 ovs-vsctl add-port, one transaction",
    unit: "s",
    higherIsBetter: false,
    run: (s) => addPorts(s, Math.round(1000 * scale), true, "one"),
  },
  {
    label: "1000 ovs-vsctl add-port, one by one",
    unit: "s",
    higherIsBetter: false,
    run: (s) => addPorts(s, Math.round(1000 * scale), false, "each"),
  },
  {
    label: "monitor fan-out to 100 clients",
    unit: "updates/s",
    higherIsBetter: true,
    run: (s) => monitorFanout(s, 100, Math.round(200 * scale)),
  },
  {
    label: "resident memory with 100k more rows",
    unit: "MiB",
    higherIsBetter: false,
    run: (s) => memoryFor(s, Math.round(100000 * scale)),
  },
];

const results: string[] = [];
for (const measure of MEASURES) {
  const values: Record<string, number> = {};
  for (const which of ["ours", "real"] as const) {
    const server = await start(which);
    try {
      values[which] = await measure.run(server);
    } finally {
      await stop(server);
    }
  }
  const ours = values["ours"] ?? 0;
  const real = values["real"] ?? 0;
  const ratio = real === 0 ? 0 : ours / real;
  const line = `${measure.label.padEnd(42)} ours ${ours.toFixed(ours < 10 ? 3 : 0).padStart(9)} ${
    measure.unit.padEnd(9)
  } real ${real.toFixed(real < 10 ? 3 : 0).padStart(9)} ${measure.unit.padEnd(9)} ours/real ${
    ratio.toFixed(2)
  }${measure.higherIsBetter ? " (higher is better)" : " (lower is better)"}`;
  console.log(line);
  results.push(line);
}
