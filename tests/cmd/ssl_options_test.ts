// The SSL options and what a user sees when they are wrong, compared with the real programs:
// the same option sets given to the real ovsdb-client and ours (and ovs-vsctl, ovs-ofctl),
// against the real ovsdb-server on pssl:, must print the same lines and exit alike — missing,
// empty and garbage files, a key that is not the certificate's in either order, "none" for the
// CA, bad protocol and cipher lists, and an untrusted server.

import assert from "node:assert/strict";
import { startOvsdbServer } from "../support/ovsdb.ts";
import { run, runOvs } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";
import { logLines, makePki, waitForPort } from "./ssl_fixture.ts";

const REAL = needPrograms("ovsdb-server", "ovsdb-tool", "ovsdb-client", "ovs-vsctl", "ovs-ofctl");

testIf(REAL, "bad SSL options give the real ovsdb-client's messages and exit codes", async () => {
  const p = await makePki({
    signed: [["server", "switch"], ["client", "switch"], ["other", "switch"]],
  });
  const server = await startOvsdbServer("real", [
    "--remote=pssl:0:127.0.0.1",
    `--private-key=${p.get("server").key}`,
    `--certificate=${p.get("server").cert}`,
    `--ca-cert=${p.switchCa}`,
  ]);
  try {
    const port = await waitForPort(() => Deno.readTextFile(`${server.dir}/ovsdb-server.log`));
    const target = `ssl:127.0.0.1:${port}`;
    const missing = `${p.dir}/missing.pem`;
    const empty = `${p.dir}/empty.pem`;
    const garbage = `${p.dir}/garbage.pem`;
    const blank = `${p.dir}/blank.pem`;
    await Deno.writeTextFile(empty, "");
    await Deno.writeTextFile(garbage, "garbage\n");
    await Deno.writeTextFile(blank, "  \n\n");
    const { key, cert } = p.get("client");
    const good = [`-p${key}`, `-c${cert}`, `-C${p.switchCa}`];
    const cases: string[][] = [
      [],
      [`-C${p.switchCa}`],
      [`--private-key=${missing}`, `--certificate=${cert}`, `--ca-cert=${p.switchCa}`],
      [`-p${key}`, `-c${missing}`, `-C${p.switchCa}`],
      [`-p${key}`, `-c${cert}`, `-C${missing}`],
      [`-p${garbage}`, `-c${garbage}`, `-C${garbage}`],
      [`-p${empty}`, `-c${empty}`, `-C${empty}`],
      [`-p${blank}`, `-c${blank}`, `-C${blank}`],
      [`-p${p.dir}`, `-c${p.dir}`, `-C${p.dir}`],
      [`-p${cert}`, `-c${key}`, `-C${key}`],
      // A key that is not the certificate's: dropped when the certificate comes second…
      [`-p${p.get("other").key}`, `-c${cert}`, `-C${p.switchCa}`],
      // …refused when it comes second.
      [`-c${cert}`, `-p${p.get("other").key}`, `-C${p.switchCa}`],
      [`-p${key}`, `-c${cert}`, "-Cnone"],
      [...good, "--ssl-protocols=TLSv1.3"],
      [...good, "--ssl-protocols= , "],
      [...good, "--ssl-protocols=tlsv1.2,TLSv1.1,bogus"],
      [...good, "--ssl-protocols=TLSv1,TLSv1.1,TLSv1.2"],
      [...good, "--ssl-ciphers=FOO"],
      [...good, "--ssl-ciphers=HIGH:!aNULL:!MD5"],
      [...good, "--ssl-protocols=TLSv1.2", "--ssl-ciphers=ECDHE-ECDSA-AES256-GCM-SHA384"],
      [`-p${key}`, `-c${cert}`, `-C${p.controllerCa}`],
      [`-p${key}`, `-c${cert}`, `--bootstrap-ca-cert=${p.switchCa}`],
      // OpenSSL logs only the oldest of the errors a failure queues; the next failure logs
      // what was left.
      [`-p${missing}`, `-c${garbage}`, `-C${garbage}`],
      [`-p${key}`, `-c${missing}`, `-C${garbage}`],
      [`-p${p.get("other").key}`, `-c${cert}`, `-C${missing}`],
      [`-c${cert}`, `-p${p.get("other").key}`, `-C${garbage}`],
      [`-p${garbage}`, `-c${cert}`, `-C${p.switchCa}`, "--ssl-ciphers=FOO"],
    ];
    const failures: string[] = [];
    // A few at a time: each of ours is a Deno process.
    for (let i = 0; i < cases.length; i += 4) {
      await Promise.all(
        cases.slice(i, i + 4).map(async (options) => {
          const args = [...options, "list-dbs", target];
          const [real, ours] = await Promise.all([
            run("ovsdb-client", args, server.env),
            runOvs(["ovsdb-client", ...args], server.env),
          ]);
          const same = real.code === ours.code && real.stdout === ours.stdout &&
            JSON.stringify(logLines(real.stderr)) === JSON.stringify(logLines(ours.stderr));
          if (!same) {
            failures.push(
              `${options.join(" ")}\n  real ${real.code}: ${real.stdout}${real.stderr}\n` +
                `  ours ${ours.code}: ${ours.stdout}${ours.stderr}`,
            );
          }
        }),
      );
    }
    assert.deepEqual(failures, []);

    // The other tools say it their way: ovs-vsctl and ovs-ofctl without credentials.
    const [vsctlReal, vsctlOurs] = await Promise.all([
      run("ovs-vsctl", [`--db=${target}`, "show"], server.env),
      runOvs(["ovs-vsctl", `--db=${target}`, "show"], server.env),
    ]);
    assert.equal(vsctlOurs.code, vsctlReal.code);
    assert.deepEqual(logLines(vsctlOurs.stderr), logLines(vsctlReal.stderr));
    const [ofctlReal, ofctlOurs] = await Promise.all([
      run("ovs-ofctl", [`-p${missing}`, "show", target], server.env),
      runOvs(["ovs-ofctl", `-p${missing}`, "show", target], server.env),
    ]);
    assert.equal(ofctlOurs.code, ofctlReal.code);
    assert.deepEqual(logLines(ofctlOurs.stderr), logLines(ofctlReal.stderr));
  } finally {
    await server.stop();
    await p.remove();
  }
});

testIf(REAL, "the tools accept the SSL options upstream's take, and only those", async () => {
  // ovs-ofctl has no --bootstrap-ca-cert or --peer-ca-cert; ovsdb-client has no --peer-ca-cert.
  const unknown: Array<[string, string]> = [
    ["ovs-ofctl", "--bootstrap-ca-cert"],
    ["ovs-ofctl", "--peer-ca-cert"],
    ["ovsdb-client", "--peer-ca-cert"],
  ];
  for (const [tool, option] of unknown) {
    const args = [option, "x", "--version"];
    const [real, ours] = await Promise.all([run(tool, args), runOvs([tool, ...args])]);
    assert.equal(ours.code, real.code, `${tool} ${option}`);
    assert.equal(ours.stderr.replace(/^\S+: /, ""), real.stderr.replace(/^\S+: /, ""));
  }
  for (
    const [tool, args] of [
      ["ovsdb-client", [
        "--bootstrap-ca-cert=/nonexistent",
        "--ssl-protocols=TLSv1.2",
        "--version",
      ]],
      ["ovs-ofctl", ["-p", "/nonexistent-key", "--ssl-ciphers=HIGH", "--version"]],
    ] as const
  ) {
    const [real, ours] = await Promise.all([run(tool, [...args]), runOvs([tool, ...args])]);
    assert.equal(ours.code, 0);
    assert.equal(ours.code, real.code);
    assert.deepEqual(logLines(ours.stderr), logLines(real.stderr), `${tool} ${args.join(" ")}`);
  }
});
