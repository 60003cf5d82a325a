// bench/vsctl: our ovs-vsctl against the real one, both driving the real ovsdb-server 3.1 (so only
// the client differs), in the same run: 1000 add-port in one transaction joined with `--`, and
// 1000 add-port one process each. Prints seconds and the ratio ours/real (lower is better).
//
// Usage: deno run -A bench/vsctl_bench.ts [--quick]

const quick = Deno.args.includes("--quick");
const N = quick ? 100 : 1000;
const SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";
const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  const output = await new Deno.Command(command, { args, env, stdout: "null", stderr: "piped" })
    .output();
  if (!output.success) throw new Error(`${command}: ${new TextDecoder().decode(output.stderr)}`);
}

async function withServer<T>(
  fn: (db: string, env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "vsctl-bench-" });
  const env = { OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir };
  await run("ovsdb-tool", ["create", `${dir}/conf.db`, SCHEMA], env);
  await run("ovsdb-server", [
    "--detach",
    "--no-chdir",
    "--pidfile",
    `--remote=punix:${dir}/db.sock`,
    `${dir}/conf.db`,
  ], env);
  try {
    return await fn(`--db=unix:${dir}/db.sock`, env);
  } finally {
    await run("ovs-appctl", ["-t", "ovsdb-server", "exit"], env).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

type Vsctl = (args: string[], env: Record<string, string>) => Promise<void>;
const ours: Vsctl = (args, env) =>
  run(Deno.execPath(), ["run", "-A", "--quiet", MAIN, "ovs-vsctl", ...args], env);
const real: Vsctl = (args, env) => run("ovs-vsctl", args, env);

async function oneTransaction(vsctl: Vsctl): Promise<number> {
  return await withServer(async (db, env) => {
    await vsctl([db, "--no-wait", "add-br", "br0"], env);
    const args = [db, "--no-wait"];
    for (let i = 0; i < N; i++) args.push("--", "add-port", "br0", `p${i}`);
    const started = performance.now();
    await vsctl(args, env);
    return (performance.now() - started) / 1000;
  });
}

async function oneByOne(vsctl: Vsctl): Promise<number> {
  return await withServer(async (db, env) => {
    await vsctl([db, "--no-wait", "add-br", "br0"], env);
    const started = performance.now();
    for (let i = 0; i < N; i++) await vsctl([db, "--no-wait", "add-port", "br0", `p${i}`], env);
    return (performance.now() - started) / 1000;
  });
}

for (
  const [label, measure] of [[`${N} add-port, one transaction`, oneTransaction], [
    `${N} add-port, one process each`,
    oneByOne,
  ]] as const
) {
  const a = await measure(ours);
  const b = await measure(real);
  console.log(
    `${label.padEnd(36)} ours ${a.toFixed(3).padStart(8)} s   real ${
      b.toFixed(3).padStart(8)
    } s   ours/real ${(a / b).toFixed(2)} (lower is better)`,
  );
}
