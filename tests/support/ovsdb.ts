// Starts ovsdb-server for tests — ours (through main.ts, as a user would) or the real one — on a
// fresh database in a fresh directory, and gives the paths and a stop function. Lets one test run
// the same client script against both and compare.

import { alive, killAndWait, ovsDirs, run, runOvs, waitFor } from "./run.ts";

export const VSWITCH_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";

export interface TestServer {
  dir: string;
  env: Record<string, string>;
  remote: string;
  db: string;
  stop(): Promise<void>;
}

/** Creates conf.db with the real ovsdb-tool and starts `which` server on it, detached. */
export async function startOvsdbServer(
  which: "ours" | "real",
  extraArgs: string[] = [],
): Promise<TestServer> {
  const { dir, env } = await ovsDirs();
  const db = `${dir}/conf.db`;
  const created = await run("ovsdb-tool", ["create", db, VSWITCH_SCHEMA], env);
  if (created.code !== 0) throw new Error(`ovsdb-tool create: ${created.stderr}`);
  const args = [
    "--detach",
    "--no-chdir",
    "--pidfile",
    "--log-file",
    `--remote=punix:${dir}/db.sock`,
    ...extraArgs,
    db,
  ];
  const started = which === "ours"
    ? await runOvs(["ovsdb-server", ...args], env)
    : await run("ovsdb-server", args, env);
  if (started.code !== 0) throw new Error(`${which} ovsdb-server: ${started.stderr}`);
  return {
    dir,
    env,
    remote: `unix:${dir}/db.sock`,
    db,
    async stop() {
      await reapVswitchd(dir);
      await run("ovs-appctl", ["-t", "ovsdb-server", "exit"], env);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * An ovs-vswitchd whose pidfile is in `dir` and that is still running (its `exit` was never sent,
 * or, as Debian's 3.1 sometimes does on the dummy datapath, it hung on the way out) gets two
 * seconds more and then SIGKILL, so no test leaves a daemon behind once its directory is gone.
 */
async function reapVswitchd(dir: string): Promise<void> {
  const text = await Deno.readTextFile(`${dir}/ovs-vswitchd.pid`).catch(() => "");
  const pid = Number(text.trim());
  if (!pid) return;
  await waitFor(() => !alive(pid), 2000).catch(() => undefined);
  await killAndWait(pid);
}

/** Replaces UUIDs (and their ovs-vsctl short forms) so outputs of two servers compare. */
export function maskUuids(text: string): string {
  return text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>");
}
