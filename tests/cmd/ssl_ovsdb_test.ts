// OVSDB over SSL between our programs and the real Open vSwitch: our ovsdb-server on pssl:
// serving the real ovsdb-client and ovs-vsctl, our clients against the real ovsdb-server, with
// mutual authentication (a client the CA did not sign, or one without a certificate, is
// refused), SSL settings read from the database through `db:` references, and the CA
// certificate bootstrapped from the server (--bootstrap-ca-cert, --peer-ca-cert), as upstream's
// ovsdb-server.at and ovs-vsctl.at check them.

import assert from "node:assert/strict";
import { startOvsdbServer, type TestServer } from "../support/ovsdb.ts";
import { ovsDirs, run, runOvs, type RunResult } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";
import { logLines, makePki, type Pki, sslArgs, waitForPort } from "./ssl_fixture.ts";

const REAL = needPrograms("ovsdb-server", "ovsdb-tool", "ovsdb-client", "ovs-vsctl", "ovs-pki");

let pkiPromise: Promise<Pki> | undefined;
function pki(): Promise<Pki> {
  pkiPromise ??= makePki({
    signed: [["server", "switch"], ["client", "switch"], ["intruder", "controller"], [
      "ctlserver",
      "controller",
    ]],
    selfSigned: ["selfserver"],
  });
  return pkiPromise;
}

type Which = "ours" | "real";

function tool(which: Which, name: string, args: string[], env: Record<string, string>) {
  return which === "ours" ? runOvs([name, ...args], env) : run(name, args, env);
}

/** An ovsdb-server listening on pssl:0:127.0.0.1 with `server`'s credentials, and its port. */
async function sslServer(
  which: Which,
  p: Pki,
  extra: string[] = sslArgs(p, "server", p.switchCa),
): Promise<{ server: TestServer; port: number }> {
  const server = await startOvsdbServer(which, ["--remote=pssl:0:127.0.0.1", ...extra]);
  const port = await waitForPort(() => serverLog(server));
  return { server, port };
}

function serverLog(server: TestServer): Promise<string> {
  return Deno.readTextFile(`${server.dir}/ovsdb-server.log`).catch(() => "");
}

function expectOk(what: string, result: RunResult): string {
  assert.equal(result.code, 0, `${what}: ${result.stderr}`);
  return result.stdout;
}

async function interop(serverWhich: Which, clientWhich: Which): Promise<void> {
  const p = await pki();
  const { server, port } = await sslServer(serverWhich, p);
  const env = server.env;
  const ssl = `ssl:127.0.0.1:${port}`;
  const creds = sslArgs(p, "client", p.switchCa);
  try {
    expectOk(
      "add-br",
      await tool(
        clientWhich,
        "ovs-vsctl",
        [`--db=${ssl}`, ...creds, "--no-wait", "add-br", "br0"],
        env,
      ),
    );
    // The same answers over ssl: as over unix:.
    const viaSsl = expectOk(
      "dump",
      await tool(clientWhich, "ovsdb-client", [...creds, "dump", ssl], env),
    );
    const viaUnix = expectOk(
      "dump",
      await tool(clientWhich, "ovsdb-client", ["dump", server.remote], env),
    );
    assert.equal(viaSsl, viaUnix);
    assert.match(viaSsl, /br0/);
    const showSsl = expectOk(
      "show",
      await tool(clientWhich, "ovs-vsctl", [`--db=${ssl}`, ...creds, "show"], env),
    );
    const showUnix = expectOk(
      "show",
      await tool(clientWhich, "ovs-vsctl", [`--db=${server.remote}`, "show"], env),
    );
    assert.equal(showSsl, showUnix);
    // Clients that are done close with close_notify: the server has nothing to complain about.
    assert.deepEqual(
      logLines(await serverLog(server)).filter((l) => /\|(WARN|ERR|EMER)\|/.test(l)),
      [],
    );

    // A client whose certificate another CA signed is refused by the server.
    const intruder = await tool(clientWhich, "ovsdb-client", [
      ...sslArgs(p, "intruder", p.switchCa),
      "list-dbs",
      ssl,
    ], env);
    assert.equal(intruder.code, 1, intruder.stdout);
    assert.doesNotMatch(intruder.stdout, /Open_vSwitch/);
    // A client that does not trust the server's CA refuses the server.
    const distrust = await tool(clientWhich, "ovsdb-client", [
      ...sslArgs(p, "client", p.controllerCa),
      "list-dbs",
      ssl,
    ], env);
    assert.equal(distrust.code, 1);
    assert.match(
      distrust.stderr,
      /SSL_connect: error:0A000086:SSL routines::certificate verify failed/,
    );
    assert.match(distrust.stderr, /failed to connect to "ssl:127\.0\.0\.1:\d+" \(Protocol error\)/);
    const log = await serverLog(server);
    assert.match(
      log,
      /stream_ssl\|WARN\|SSL_accept: error:0A000086:SSL routines::certificate verify failed/,
    );
  } finally {
    await server.stop();
  }
}

testIf(
  REAL,
  "our ovsdb-server on pssl: serves the real ovsdb-client and ovs-vsctl as on unix:",
  () => interop("ours", "real"),
);

testIf(
  REAL,
  "our ovsdb-client and ovs-vsctl over ssl: get from the real server what unix: gives",
  () => interop("real", "ours"),
);

testIf(REAL, "our ovsdb-server refuses a TLS client without a certificate", async () => {
  const p = await pki();
  const { server, port } = await sslServer("ours", p);
  try {
    // stdin stays open a moment, so that s_client does not hang up before the answer comes.
    const probe = await run("sh", [
      "-c",
      `sleep 1 | openssl s_client -connect 127.0.0.1:${port} -CAfile ${p.switchCa} -quiet`,
    ]);
    // OpenSSL's words for the alert our server sends, as upstream's server sends it.
    assert.match(probe.stderr, /tlsv13 alert certificate required/);
    assert.match(
      await serverLog(server),
      /SSL_accept: error:0A0000C7:SSL routines::peer did not return a certificate/,
    );
  } finally {
    await server.stop();
  }
});

/** Upstream's "SSL db: implementation": every SSL setting read from a database row. */
testIf(REAL, "our ovsdb-server takes its SSL settings from db: references", async () => {
  const p = await pki();
  const { dir, env } = await ovsDirs();
  try {
    const schema = `${dir}/schema`;
    await Deno.writeTextFile(
      schema,
      JSON.stringify({
        name: "mydb",
        tables: {
          SSL: {
            columns: Object.fromEntries(
              ["private_key", "certificate", "ca_cert", "ssl_protocols", "ssl_ciphers"].map((c) => [
                c,
                { type: "string" },
              ]),
            ),
          },
        },
      }),
    );
    const db = `${dir}/db`;
    expectOk("create", await run("ovsdb-tool", ["create", db, schema], env));
    const row = {
      private_key: p.get("server").key,
      certificate: p.get("server").cert,
      ca_cert: p.switchCa,
      ssl_protocols: "TLSv1.2,TLSv1.1",
      ssl_ciphers: "HIGH:!aNULL:!MD5:!ECDHE-ECDSA-AES256-GCM-SHA384",
    };
    expectOk(
      "transact",
      await run("ovsdb-tool", [
        "transact",
        db,
        JSON.stringify(["mydb", { op: "insert", table: "SSL", row }]),
      ], env),
    );
    expectOk(
      "ovsdb-server",
      await runOvs([
        "ovsdb-server",
        "--log-file",
        "--detach",
        "--no-chdir",
        "--pidfile",
        ...["private_key", "certificate", "ca_cert"].map((c, i) =>
          `--${["private-key", "certificate", "ca-cert"][i]}=db:mydb,SSL,${c}`
        ),
        "--ssl-protocols=db:mydb,SSL,ssl_protocols",
        "--ssl-ciphers=db:mydb,SSL,ssl_ciphers",
        "--remote=pssl:0:127.0.0.1",
        db,
      ], env),
    );
    const port = await waitForPort(() => Deno.readTextFile(`${dir}/ovsdb-server.log`));
    const select = JSON.stringify([
      "mydb",
      { op: "select", table: "SSL", where: [], columns: ["private_key"] },
    ]);
    const client = (protocols: string, ciphers: string) =>
      Promise.all((["real", "ours"] as const).map((which) =>
        tool(which, "ovsdb-client", [
          ...sslArgs(p, "client", p.switchCa),
          `--ssl-protocols=${protocols}`,
          `--ssl-ciphers=${ciphers}`,
          "transact",
          `ssl:127.0.0.1:${port}`,
          select,
        ], env)
      ));
    for (const result of await client("TLSv1.2,TLSv1.1", "HIGH:!aNULL:!MD5")) {
      assert.equal(
        result.stdout,
        JSON.stringify([{ rows: [{ private_key: row.private_key }] }]) + "\n",
      );
    }
    // TLSv1 alone is no protocol the server has.
    for (const result of await client("TLSv1", "HIGH:!aNULL:!MD5")) {
      assert.equal(result.code, 1);
      assert.match(result.stderr, /failed to connect to "ssl:127\.0\.0\.1:\d+"/);
    }
    // No cipher in common: upstream's test greps for this phrase.
    for (const result of await client("TLSv1.2,TLSv1.1", "ECDHE-ECDSA-AES256-GCM-SHA384")) {
      assert.equal(result.code, 1);
      assert.match(result.stderr, /sslv3 alert handshake failure/);
    }
    await run("ovs-appctl", ["-t", "ovsdb-server", "exit"], env);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

testIf(REAL, "bad db: references stop ovsdb-server with upstream's message", async () => {
  const { dir, env } = await ovsDirs();
  try {
    const db = `${dir}/conf.db`;
    expectOk(
      "create",
      await run("ovsdb-tool", ["create", db, "/usr/share/openvswitch/vswitch.ovsschema"], env),
    );
    for (
      const options of [
        ["--private-key=db:nodb,SSL,private_key"],
        ["--certificate=db:Open_vSwitch,NoTable,x"],
        ["--ca-cert=db:Open_vSwitch,SSL,nocol"],
        ["--bootstrap-ca-cert=db:Open_vSwitch,Bridge,ports"],
        ["--ssl-ciphers=db:Open_vSwitch,SSL", "--ssl-protocols=db:x,y,z"],
      ]
    ) {
      const args = [`--remote=punix:${dir}/x.sock`, `--unixctl=${dir}/x.ctl`, ...options, db];
      const [real, ours] = await Promise.all([
        run("ovsdb-server", args, env),
        runOvs(["ovsdb-server", ...args], env),
      ]);
      assert.equal(ours.code, real.code, options.join(" "));
      assert.equal(ours.stderr, real.stderr, options.join(" "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Upstream's "bootstrap ca cert" and "peer ca cert": the client saves the top of the chain the
 * server sends (its own self-signed certificate, or the CA certificate --peer-ca-cert sends),
 * drops that first connection, and is verified on the next.
 */
async function bootstrap(serverWhich: Which, clientWhich: Which, peer: boolean): Promise<void> {
  const p = await pki();
  const serverArgs = peer
    ? [...sslArgs(p, "ctlserver", p.switchCa), `--peer-ca-cert=${p.controllerCa}`]
    : sslArgs(p, "selfserver", p.switchCa);
  const { server, port } = await sslServer(serverWhich, p, serverArgs);
  const cacert = `${server.dir}/cacert.pem`;
  const vsctl = (...args: string[]) =>
    tool(clientWhich, "ovs-vsctl", [
      "-t",
      "5",
      `--db=ssl:127.0.0.1:${port}`,
      `--private-key=${p.get("client").key}`,
      `--certificate=${p.get("client").cert}`,
      `--bootstrap-ca-cert=${cacert}`,
      ...args,
    ], server.env);
  try {
    const first = await vsctl("show");
    assert.equal(first.code, 1, "the bootstrapping connection is torn down");
    const saved = await Deno.readTextFile(cacert);
    const expected = peer ? p.controllerCa : p.get("selfserver").cert;
    const certOf = (text: string) =>
      /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text)?.[0];
    assert.equal(certOf(saved), certOf(await Deno.readTextFile(expected)));
    expectOk("add-br", await vsctl("--no-wait", "add-br", "br0"));
    assert.equal(expectOk("list-br", await vsctl("--no-wait", "list-br")), "br0\n");
  } finally {
    await server.stop();
  }
}

testIf(
  REAL,
  "our ovs-vsctl bootstraps the CA certificate from our ovsdb-server",
  () => bootstrap("ours", "ours", false),
);

testIf(
  REAL,
  "the real ovs-vsctl bootstraps the CA certificate our server sends with --peer-ca-cert",
  () => bootstrap("ours", "real", true),
);

testIf(
  REAL,
  "our ovs-vsctl bootstraps the CA certificate the real server sends",
  () => bootstrap("real", "ours", true),
);

testIf(REAL, "our ovsdb-server connects out to an ssl: remote", async () => {
  const p = await pki();
  const { dir, env } = await ovsDirs();
  const db = `${dir}/conf.db`;
  try {
    expectOk(
      "create",
      await run("ovsdb-tool", ["create", db, "/usr/share/openvswitch/vswitch.ovsschema"], env),
    );
    // The real ovsdb-client waits on pssl: for the server to call.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const waiting = run("ovsdb-client", [
      ...sslArgs(p, "client", p.switchCa),
      "--timeout=20",
      "list-dbs",
      `pssl:${port}:127.0.0.1`,
    ], env);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expectOk(
      "ovsdb-server",
      await runOvs([
        "ovsdb-server",
        "--detach",
        "--no-chdir",
        "--pidfile",
        "--log-file",
        ...sslArgs(p, "server", p.switchCa),
        `--remote=ssl:127.0.0.1:${port}`,
        db,
      ], env),
    );
    const listed = await waiting;
    assert.equal(listed.stdout, "Open_vSwitch\n_Server\n", listed.stderr);
    assert.deepEqual(
      logLines(await Deno.readTextFile(`${dir}/ovsdb-server.log`)).filter((l) =>
        /\|(WARN|ERR)\|/.test(l)
      ),
      [],
    );
    await run("ovs-appctl", ["-t", "ovsdb-server", "exit"], env);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

testIf(REAL, "our ovs-vswitchd reaches its database over ssl: with -p, -c and -C", async () => {
  const p = await pki();
  const { server, port } = await sslServer("real", p);
  const env = server.env;
  try {
    expectOk("init", await run("ovs-vsctl", ["--no-wait", "init"], env));
    expectOk(
      "ovs-vswitchd",
      await runOvs([
        "ovs-vswitchd",
        "--enable-dummy",
        "--disable-system",
        "--detach",
        "--no-chdir",
        "--pidfile",
        "--log-file",
        "-vconsole:off",
        ...sslArgs(p, "client", p.switchCa),
        `ssl:127.0.0.1:${port}`,
      ], env),
    );
    // Without --no-wait: returns once our switch, over SSL, has applied the change.
    expectOk(
      "add-br",
      await run("ovs-vsctl", [
        "--timeout=10",
        "add-br",
        "br0",
        "--",
        "set",
        "bridge",
        "br0",
        "datapath-type=dummy",
      ], env),
    );
    const log = await Deno.readTextFile(`${server.dir}/ovs-vswitchd.log`);
    assert.match(log, new RegExp(`reconnect\\|INFO\\|ssl:127\\.0\\.0\\.1:${port}: connected`));
    await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], env);
    assert.deepEqual(
      logLines(await serverLog(server)).filter((l) => /\|(WARN|ERR|EMER)\|/.test(l)),
      [],
    );
  } finally {
    await server.stop();
  }
});

Deno.test({
  name: "the SSL OVSDB test PKI is removed",
  fn: async () => {
    if (pkiPromise) await (await pkiPromise).remove();
  },
});
