// Runs programs for tests: our `ovs` faces through main.ts (exactly as a user's shell would),
// real Open vSwitch programs, and test fixtures, capturing exit code and output. Also makes the
// per-test directory that plays OVS_RUNDIR/OVS_LOGDIR/OVS_DBDIR, so parallel tests never meet.

const ROOT = new URL("../../", import.meta.url).pathname;

export const MAIN = `${ROOT}main.ts`;
export const FIXTURE_DAEMON = `${ROOT}tests/support/fixture_daemon.ts`;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command args` with `env` added to this process's environment. */
export async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  stdin?: string,
): Promise<RunResult> {
  const child = new Deno.Command(command, {
    args,
    env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs one of our faces: `ovs FACE args`. */
export function runOvs(args: string[], env: Record<string, string> = {}, stdin?: string) {
  return run(Deno.execPath(), ["run", "-A", "--quiet", MAIN, ...args], env, stdin);
}

/** A fresh directory used as OVS_RUNDIR, OVS_LOGDIR, OVS_DBDIR and OVS_SYSCONFDIR. */
export async function ovsDirs(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await Deno.makeTempDir({ prefix: "ovs-test-" });
  return {
    dir,
    env: {
      OVS_RUNDIR: dir,
      OVS_LOGDIR: dir,
      OVS_DBDIR: dir,
      OVS_SYSCONFDIR: dir,
    },
  };
}

/** Whether process `pid` is alive (what `kill -0` tells). */
export function alive(pid: number): boolean {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/** Waits until `predicate` holds, polling, or throws after `ms`. */
export async function waitFor(
  predicate: () => boolean,
  ms = 5000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the async `check` holds, polling every `intervalMs`, or throws after `ms`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  ms = 10000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a listener a test starts). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Kills `pid` if alive and waits for it to go. */
export async function killAndWait(pid: number): Promise<void> {
  if (!alive(pid)) return;
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    return;
  }
  await waitFor(() => !alive(pid), 5000, `pid ${pid} to exit`);
}
