import assert from "node:assert/strict";
import {
  alive,
  FIXTURE_DAEMON,
  killAndWait,
  ovsDirs,
  run,
  runOvs,
  waitFor,
} from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";

/** Starts the fixture daemon detached in a fresh directory. */
async function startFixture(extra: string[] = []) {
  const { dir, env } = await ovsDirs();
  const result = await run(
    Deno.execPath(),
    [
      "run",
      "-A",
      "--quiet",
      FIXTURE_DAEMON,
      "--detach",
      "--no-chdir",
      "--pidfile",
      "--log-file",
      "-vconsole:off",
      ...extra,
    ],
    env,
  );
  assert.equal(result.code, 0, result.stderr);
  const pidfile = `${dir}/fixture-daemon.pid`;
  const pid = Number(Deno.readTextFileSync(pidfile).trim());
  return {
    dir,
    env,
    pid,
    pidfile,
    socket: `${dir}/fixture-daemon.${pid}.ctl`,
    log: () => Deno.readTextFileSync(`${dir}/fixture-daemon.log`),
    async stop() {
      await killAndWait(pid);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("--detach returns once the daemon serves, and its pidfile names the live child", async () => {
  const daemon = await startFixture();
  try {
    assert.ok(alive(daemon.pid), "the pid in the pidfile is alive");
    assert.notEqual(daemon.pid, Deno.pid);
    assert.ok(Deno.statSync(daemon.socket).isSocket, "control socket exists when --detach returns");
    const status = Deno.readTextFileSync(`/proc/${daemon.pid}/status`);
    assert.match(status, /^Name:\s+fixture-daemon$/m, "process is named after the program");
  } finally {
    await daemon.stop();
  }
});

Deno.test("a second daemon refuses to start on a live daemon's pidfile", async () => {
  const daemon = await startFixture();
  try {
    const second = await run(
      Deno.execPath(),
      ["run", "-A", "--quiet", FIXTURE_DAEMON, "--pidfile", "--no-chdir", "--unixctl=second.ctl"],
      daemon.env,
    );
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`already running as pid ${daemon.pid}, aborting`));
    assert.ok(alive(daemon.pid));
  } finally {
    await daemon.stop();
  }
});

Deno.test("ovs-appctl runs commands and reports server errors with exit status 2", async () => {
  const daemon = await startFixture();
  try {
    const version = await runOvs(["ovs-appctl", "-t", "fixture-daemon", "version"], daemon.env);
    assert.deepEqual([version.code, version.stdout], [0, "fixture-daemon (Open vSwitch) 3.1.0\n"]);
    const bySocket = await runOvs(["appctl", "-t", daemon.socket, "version"], daemon.env);
    assert.equal(bySocket.stdout, version.stdout);
    const bad = await runOvs(["ovs-appctl", "-t", "fixture-daemon", "no/such"], daemon.env);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      '"no/such" is not a valid command (use "list-commands" to see a list of valid commands)\n' +
        "ovs-appctl: fixture-daemon: server returned an error\n",
    );
    const tooMany = await runOvs(
      ["ovs-appctl", "-t", "fixture-daemon", "version", "x"],
      daemon.env,
    );
    assert.equal(tooMany.stderr.split("\n")[0], '"version" command takes at most 0 arguments');
    const list = await runOvs(["ovs-appctl", "-t", "fixture-daemon", "list-commands"], daemon.env);
    assert.match(list.stdout, /^The available commands are:\n/);
    assert.match(list.stdout, /^ {2}vlog\/set {16}\{spec \| PATTERN:destination:pattern\}$/m);
    const json = await runOvs(
      ["ovs-appctl", "-t", "fixture-daemon", "-f", "json", "version"],
      daemon.env,
    );
    assert.equal(
      json.stdout,
      '{"reply":"fixture-daemon (Open vSwitch) 3.1.0\\n","reply-format":"plain"}\n',
    );
  } finally {
    await daemon.stop();
  }
});

Deno.test("ovs-appctl without a daemon names the pidfile it could not read", async () => {
  const { dir, env } = await ovsDirs();
  const result = await runOvs(["ovs-appctl", "version"], env);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `ovs-appctl: cannot read pidfile "${dir}/ovs-vswitchd.pid" (No such file or directory)\n`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("vlog/set changes what the daemon logs to its file", async () => {
  const daemon = await startFixture();
  try {
    const appctl = (...args: string[]) =>
      runOvs(["ovs-appctl", "-t", "fixture-daemon", ...args], daemon.env);
    await appctl("fixture/log", "first line");
    assert.match(daemon.log(), /\|\d{5}\|fixture\|INFO\|first line$/m);
    assert.equal((await appctl("vlog/set", "fixture:file:warn")).code, 0);
    await appctl("fixture/log", "hidden line");
    assert.doesNotMatch(daemon.log(), /hidden line/);
    const list = await appctl("vlog/list");
    assert.match(list.stdout, /^fixture +OFF +INFO +WARN$/m);
    await appctl("vlog/set", "fixture:file:dbg");
    await appctl("fixture/log", "shown again");
    assert.match(daemon.log(), /fixture\|INFO\|shown again$/m);
    const bad = await appctl("vlog/set", "nosuch:dbg");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^no destination, level, or module "nosuch"\n/);
  } finally {
    await daemon.stop();
  }
});

Deno.test("vlog/reopen starts a new log file after rotation", async () => {
  const daemon = await startFixture();
  try {
    const appctl = (...args: string[]) =>
      runOvs(["ovs-appctl", "-t", "fixture-daemon", ...args], daemon.env);
    const log = `${daemon.dir}/fixture-daemon.log`;
    Deno.renameSync(log, `${log}.1`);
    assert.equal((await appctl("vlog/reopen")).code, 0);
    await appctl("fixture/log", "after rotation");
    assert.match(Deno.readTextFileSync(log), /fixture\|INFO\|after rotation$/m);
    assert.doesNotMatch(Deno.readTextFileSync(`${log}.1`), /after rotation/);
  } finally {
    await daemon.stop();
  }
});

Deno.test("coverage counters and memory/show answer through unixctl", async () => {
  const daemon = await startFixture();
  try {
    const appctl = (...args: string[]) =>
      runOvs(["ovs-appctl", "-t", "fixture-daemon", ...args], daemon.env);
    const count = await appctl("coverage/read-counter", "unixctl_received");
    assert.match(count.stdout, /^\d+\n$/);
    assert.ok(Number(count.stdout) >= 1);
    const missing = await appctl("coverage/read-counter", "no_such_counter");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^No such counter\n/);
    const show = await appctl("coverage/show");
    assert.match(
      show.stdout,
      /^Event coverage, avg rate over last: 5 seconds, last minute, last hour,/,
    );
    assert.match(
      show.stdout,
      /^unixctl_received +[\d.]+\/sec +[\d.]+\/sec +[\d.]+\/sec +total: \d+$/m,
    );
    assert.equal((await appctl("memory/show")).code, 0);
  } finally {
    await daemon.stop();
  }
});

Deno.test("ovs-appctl --timeout gives up on a daemon that does not answer", async () => {
  const { dir, env } = await ovsDirs();
  const socket = `${dir}/silent.ctl`;
  const listener = Deno.listen({ transport: "unix", path: socket });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) held.push(conn);
  })().catch(() => {});
  try {
    const started = Date.now();
    const result = await runOvs(["ovs-appctl", "--timeout=1", "-t", socket, "version"], env);
    assert.ok(Date.now() - started < 5000);
    assert.notEqual(result.code, 0);
  } finally {
    for (const conn of held) conn.close();
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exit removes the pidfile and control socket", async () => {
  const daemon = await startFixture();
  try {
    const result = await runOvs(["ovs-appctl", "-t", "fixture-daemon", "exit"], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    await waitFor(() => !alive(daemon.pid), 5000, "daemon exit");
    assert.throws(() => Deno.statSync(daemon.pidfile));
    assert.throws(() => Deno.statSync(daemon.socket));
  } finally {
    await daemon.stop();
  }
});

Deno.test("SIGTERM stops the daemon cleanly, removing pidfile and socket", async () => {
  const daemon = await startFixture();
  try {
    Deno.kill(daemon.pid, "SIGTERM");
    await waitFor(() => !alive(daemon.pid), 5000, "daemon exit");
    assert.throws(() => Deno.statSync(daemon.pidfile));
    assert.throws(() => Deno.statSync(daemon.socket));
  } finally {
    await daemon.stop();
  }
});

testIf(needPrograms("ovs-appctl"), "the real ovs-appctl talks to our daemon", async () => {
  const daemon = await startFixture();
  try {
    const version = await run("ovs-appctl", ["-t", "fixture-daemon", "version"], daemon.env);
    assert.deepEqual([version.code, version.stdout], [0, "fixture-daemon (Open vSwitch) 3.1.0\n"]);
    const logged = await run(
      "ovs-appctl",
      ["-t", daemon.socket, "fixture/log", "via real"],
      daemon.env,
    );
    assert.deepEqual([logged.code, logged.stdout], [0, "logged\n"]);
    const bad = await run("ovs-appctl", ["-t", "fixture-daemon", "bogus"], daemon.env);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      '"bogus" is not a valid command (use "list-commands" to see a list of valid commands)\n' +
        "ovs-appctl: fixture-daemon: server returned an error\n",
    );
    const exit = await run("ovs-appctl", ["-t", "fixture-daemon", "exit"], daemon.env);
    assert.equal(exit.code, 0);
    await waitFor(() => !alive(daemon.pid), 5000, "daemon exit");
  } finally {
    await daemon.stop();
  }
});

testIf(
  needPrograms("ovsdb-server", "ovsdb-tool", "ovs-appctl"),
  "our ovs-appctl and the real one print the same for a real ovsdb-server",
  async () => {
    const { dir, env } = await ovsDirs();
    const schema = "/usr/share/openvswitch/vswitch.ovsschema";
    try {
      assert.equal((await run("ovsdb-tool", ["create", `${dir}/conf.db`, schema], env)).code, 0);
      const started = await run(
        "ovsdb-server",
        [
          "--detach",
          "--no-chdir",
          "--pidfile",
          "--log-file",
          `--remote=punix:${dir}/db.sock`,
          `${dir}/conf.db`,
        ],
        env,
      );
      assert.equal(started.code, 0, started.stderr);
      for (
        const args of [["version"], ["list-commands"], ["vlog/set", "x:y"], ["exit", "now"], [
          "nope",
        ]]
      ) {
        const theirs = await run("ovs-appctl", ["-t", "ovsdb-server", ...args], env);
        const ours = await runOvs(["ovs-appctl", "-t", "ovsdb-server", ...args], env);
        assert.deepEqual(
          [ours.code, ours.stdout, ours.stderr],
          [theirs.code, theirs.stdout, theirs.stderr],
          args.join(" "),
        );
      }
    } finally {
      await run("ovs-appctl", ["-t", "ovsdb-server", "exit"], env);
      await Deno.remove(dir, { recursive: true });
    }
  },
);
