// SSL streams in one process: the cipher-list grammar, OpenSSL's error texts, the verification
// of certificate chains, the configuration setters with the log lines upstream writes, and
// ssl:/pssl: streams carrying data both ways, refusing untrusted peers and closing cleanly. Both
// ends share the process-wide configuration here; tests/cmd/ssl_*_test.ts pit programs with
// different credentials, ours and the real ones, against each other.

import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { evaluateCipherList } from "../../core/net/stream_ssl_ciphers.ts";
import {
  alertError,
  alertErrorByName,
  classifyFailure,
  SSL_ERRORS,
  StreamError,
  systemLibraryError,
} from "../../core/net/stream_ssl_errors.ts";
import { certificatesIn, chainError, subjectOneline } from "../../core/net/stream_ssl_x509.ts";
import {
  sslIsConfigured,
  sslResetForTests,
  sslSetCaCertFile,
  sslSetCertificateFile,
  sslSetCiphers,
  sslSetPrivateKeyFile,
  sslSetProtocols,
} from "../../core/net/stream_ssl_config.ts";
import { acceptedStreamName, openPassiveStream, openStream } from "../../core/net/stream.ts";
import { vlogSetLevels, vlogSetLogFile } from "../../core/net/vlog.ts";
import { needPrograms, testIf } from "../support/skip.ts";
import { logLines, makePki, type Pki } from "../cmd/ssl_fixture.ts";

const LOG = await Deno.makeTempFile({ prefix: "stream-ssl-test-", suffix: ".log" });
vlogSetLevels(undefined, "console", "off");
vlogSetLogFile(LOG);

/** The log lines written while `fn` ran, without timestamps. */
async function logged(fn: () => unknown | Promise<unknown>): Promise<string[]> {
  const before = (await Deno.readTextFile(LOG)).length;
  await fn();
  return logLines((await Deno.readTextFile(LOG)).slice(before));
}

Deno.test("cipher lists select the suites OpenSSL's syntax names, among those the engine offers", () => {
  const all = evaluateCipherList("HIGH:!aNULL:!MD5");
  assert.equal(all?.size, 6);
  const minus = evaluateCipherList("HIGH:!aNULL:!MD5:!ECDHE-ECDSA-AES256-GCM-SHA384");
  assert.equal(minus?.size, 5);
  assert.equal(minus?.has("ECDHE-ECDSA-AES256-GCM-SHA384"), false);
  assert.deepEqual(
    [...evaluateCipherList("kECDHE+AESGCM+aRSA") ?? []].sort(),
    ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"],
  );
  assert.deepEqual([...evaluateCipherList("ECDHE-ECDSA-AES256-GCM-SHA384") ?? []], [
    "ECDHE-ECDSA-AES256-GCM-SHA384",
  ]);
  // "!" removes for good, "-" only until added again; unknown words are ignored.
  assert.equal(evaluateCipherList("!CHACHA20:ALL")?.has("ECDHE-RSA-CHACHA20-POLY1305"), false);
  assert.equal(evaluateCipherList("-CHACHA20:ALL")?.has("ECDHE-RSA-CHACHA20-POLY1305"), true);
  assert.equal(evaluateCipherList("BOGUS:AES128")?.size, 2);
  // Nothing selected: SSL_CTX_set_cipher_list's "no cipher match".
  assert.equal(evaluateCipherList("FOO"), undefined);
  assert.equal(evaluateCipherList("RC4:MD5"), undefined);
  assert.equal(evaluateCipherList("ALL:!ALL"), undefined);
});

Deno.test("error texts are OpenSSL's packed codes and reasons", () => {
  assert.equal(alertError(48), "error:0A000418:SSL routines::tlsv1 alert unknown ca");
  assert.equal(alertError(40), "error:0A000410:SSL routines::sslv3 alert handshake failure");
  assert.equal(
    alertErrorByName("CertificateRequired"),
    "error:0A00045C:SSL routines::tlsv13 alert certificate required",
  );
  assert.equal(
    systemLibraryError("ENOENT"),
    "error:80000002:system library::No such file or directory",
  );
  assert.equal(systemLibraryError("EACCES"), "error:8000000D:system library::Permission denied");
  assert.equal(new StreamError("EPROTO").message, "Protocol error");
  assert.equal(new StreamError("ENOPROTOOPT").message, "Protocol not available");
});

Deno.test("engine failures are sorted into the texts upstream logs and the errno callers see", () => {
  assert.deepEqual(classifyFailure(new Error("received fatal alert: UnknownCA")), {
    kind: "ssl",
    text: "error:0A000418:SSL routines::tlsv1 alert unknown ca",
  });
  assert.deepEqual(classifyFailure(new Error("peer sent no certificates")), {
    kind: "ssl",
    text: SSL_ERRORS.peerDidNotReturnCertificate,
  });
  assert.deepEqual(
    classifyFailure(new Error("peer is incompatible: NoCipherSuitesInCommon")),
    { kind: "ssl", text: SSL_ERRORS.noSharedCipher },
  );
  assert.deepEqual(
    classifyFailure(new Error("received corrupt message of type InvalidContentType")),
    { kind: "ssl", text: SSL_ERRORS.wrongVersionNumber },
  );
  assert.deepEqual(
    classifyFailure(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })),
    { kind: "system", code: "ECONNRESET" },
  );
  assert.deepEqual(classifyFailure(new Error("unexpected eof")), {
    kind: "ssl",
    text: SSL_ERRORS.unexpectedEof,
  });
});

const PKI_REASON = needPrograms("openssl");

/** One PKI for the tests below: "a" and "b" from the switch CA, "other" from the controller CA. */
let pkiPromise: Promise<Pki> | undefined;
function pki(): Promise<Pki> {
  pkiPromise ??= makePki({
    signed: [["a", "switch"], ["b", "switch"], ["other", "controller"]],
    selfSigned: ["self"],
  });
  return pkiPromise;
}

function cert(path: string): X509Certificate {
  const found = certificatesIn(Deno.readTextFileSync(path))[0];
  if (!found) throw new Error(`no certificate in ${path}`);
  return found;
}

testIf(PKI_REASON, "a chain is trusted only when it leads to a CA certificate", async () => {
  const p = await pki();
  const switchCa = cert(p.switchCa);
  const controllerCa = cert(p.controllerCa);
  const a = cert(p.get("a").cert);
  const self = cert(p.get("self").cert);
  assert.equal(chainError([a], [switchCa]), undefined);
  assert.equal(chainError([a, switchCa], [switchCa]), undefined);
  assert.equal(chainError([a], [controllerCa]), "unable to get local issuer certificate");
  // Sending the right CA along does not make it trusted.
  assert.equal(
    chainError([a, switchCa], [controllerCa]),
    "self-signed certificate in certificate chain",
  );
  assert.equal(chainError([self], [switchCa]), "self-signed certificate");
  // A self-signed certificate is trusted when it is the CA certificate itself (bootstrap).
  assert.equal(chainError([self], [self]), undefined);
  const tenYears = 10 * 366 * 24 * 3600 * 1000;
  assert.equal(chainError([a], [switchCa], Date.now() + 2 * tenYears), "certificate has expired");
  assert.equal(chainError([a], [switchCa], Date.now() - tenYears), "certificate is not yet valid");
  assert.match(subjectOneline(switchCa), /^\/C=US\/ST=CA\/O=Open vSwitch\/OU=switchca\/CN=/);
});

testIf(PKI_REASON, "setters read files as upstream's and log its texts for bad ones", async () => {
  const p = await pki();
  sslResetForTests();
  assert.equal(sslIsConfigured(), false);
  const missing = `${p.dir}/missing.pem`;
  const empty = `${p.dir}/empty.pem`;
  const garbage = `${p.dir}/garbage.pem`;
  await Deno.writeTextFile(empty, "");
  await Deno.writeTextFile(garbage, "garbage\n");
  const lines = await logged(() => {
    sslSetPrivateKeyFile(missing);
    sslSetCertificateFile(empty);
    sslSetCertificateFile(garbage);
    sslSetCaCertFile(garbage, false);
    sslSetProtocols("TLSv1.3");
    sslSetProtocols(" , ");
    sslSetCiphers("FOO");
  });
  // Each failure logs the oldest error in OpenSSL's queue, so after the first the lines show
  // what the previous failure left behind, as upstream's do.
  assert.deepEqual(lines, [
    "stream_ssl|ERR|SSL_use_PrivateKey_file: error:80000002:system library::No such file or directory",
    "stream_ssl|ERR|SSL_use_certificate_file: error:10080002:BIO routines::system lib",
    "stream_ssl|ERR|SSL_use_certificate_file: error:0A080002:SSL routines::system lib",
    `stream_ssl|ERR|failed to load client certificates from ${garbage}: error:0480006C:PEM routines::no start line`,
    "stream_ssl|ERR|TLSv1.3: SSL protocol not recognized",
    "stream_ssl|ERR|SSL protocol settings invalid",
    "stream_ssl|ERR|SSL_CTX_set_cipher_list: error:0A080009:SSL routines::PEM lib",
  ]);
  assert.equal(sslIsConfigured(), true);
  // A key that does not belong to the certificate already loaded is refused…
  sslResetForTests();
  const mismatch = await logged(() => {
    sslSetCertificateFile(p.get("a").cert);
    sslSetPrivateKeyFile(p.get("b").key);
  });
  assert.deepEqual(mismatch, [
    "stream_ssl|ERR|SSL_use_PrivateKey_file: error:05800074:x509 certificate routines::key values mismatch",
  ]);
  // …and an unchanged file is not read again (no second complaint).
  assert.deepEqual(await logged(() => sslSetPrivateKeyFile(p.get("b").key)), []);
  const none = await logged(() => sslSetCaCertFile("none", false));
  assert.deepEqual(none, [
    "stream_ssl|WARN|Peer certificate validation disabled (this is a security risk)",
  ]);
});

testIf(
  PKI_REASON,
  "a stream without its configuration fails with Protocol not available",
  async () => {
    sslResetForTests();
    const lines = await logged(async () => {
      await assert.rejects(openStream("ssl:127.0.0.1:9", 6640), {
        message: "Protocol not available",
      });
    });
    assert.deepEqual(lines, [
      "stream_ssl|ERR|Private key must be configured to use SSL",
      "stream_ssl|ERR|Certificate must be configured to use SSL",
      "stream_ssl|ERR|CA certificate must be configured to use SSL",
    ]);
  },
);

async function configure(p: Pki, name: string, ca: string): Promise<void> {
  sslResetForTests();
  sslSetPrivateKeyFile(p.get(name).key);
  sslSetCertificateFile(p.get(name).cert);
  sslSetCaCertFile(ca, false);
  await Promise.resolve();
}

async function readAll(conn: Deno.Conn, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const n = await conn.read(out.subarray(at));
    if (n === null) throw new Error(`EOF after ${at} bytes`);
    at += n;
  }
  return out;
}

testIf(PKI_REASON, "ssl streams carry data both ways and close with close_notify", async () => {
  const p = await pki();
  await configure(p, "a", p.switchCa);
  const listener = openPassiveStream("pssl:0:127.0.0.1", 6640);
  assert.match(listener.name, /^pssl:\d+:127\.0\.0\.1$/);
  const port = Number(listener.name.split(":")[1]);
  const accepted = listener.accept();
  const client = await openStream(`ssl:127.0.0.1:${port}`, 6640);
  const server = await accepted;
  assert.match(acceptedStreamName(server) ?? "", /^ssl:127\.0\.0\.1:\d+$/);
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0xff);
  const writing = (async () => {
    let at = 0;
    while (at < big.length) at += await client.write(big.subarray(at));
  })();
  assert.deepEqual(await readAll(server, big.length), big);
  await writing;
  await server.write(new TextEncoder().encode("pong"));
  assert.equal(new TextDecoder().decode(await readAll(client, 4)), "pong");
  client.close();
  // close_notify: the peer sees a clean end of stream, not an error.
  assert.equal(await server.read(new Uint8Array(10)), null);
  server.close();
  listener.close();
});

testIf(
  PKI_REASON,
  "a peer whose certificate does not chain to the CA is refused both ways",
  async () => {
    const p = await pki();
    // Both ends trust the controller CA; both present switch-CA certificates.
    await configure(p, "a", p.controllerCa);
    const listener = openPassiveStream("pssl:0:127.0.0.1", 6640);
    const port = Number(listener.name.split(":")[1]);
    const accepted = listener.accept();
    const lines = await logged(async () => {
      await assert.rejects(openStream(`ssl:127.0.0.1:${port}`, 6640), {
        message: "Protocol error",
      });
      const server = await accepted;
      await assert.rejects(server.read(new Uint8Array(10)), { message: "Protocol error" });
      server.close();
    });
    assert.ok(
      lines.includes(
        "stream_ssl|WARN|SSL_connect: error:0A000086:SSL routines::certificate verify failed",
      ),
      lines.join("\n"),
    );
    assert.ok(lines.some((l) => l.startsWith("stream_ssl|WARN|SSL_accept: ")), lines.join("\n"));
    listener.close();
  },
);

testIf(PKI_REASON, "an explicit protocol list without TLSv1.2 leaves no protocol", async () => {
  const p = await pki();
  await configure(p, "a", p.switchCa);
  const listener = openPassiveStream("pssl:0:127.0.0.1", 6640);
  const port = Number(listener.name.split(":")[1]);
  sslSetProtocols("TLSv1,TLSv1.1");
  const lines = await logged(async () => {
    await assert.rejects(openStream(`ssl:127.0.0.1:${port}`, 6640), { message: "Protocol error" });
  });
  assert.ok(
    lines.includes(
      "stream_ssl|WARN|SSL_connect: error:0A0000BF:SSL routines::no protocols available",
    ),
    lines.join("\n"),
  );
  listener.close();
});

testIf(PKI_REASON, "a TLS 1.2 suite outside --ssl-ciphers is refused", async () => {
  const p = await pki();
  await configure(p, "a", p.switchCa);
  sslSetProtocols("TLSv1.2");
  const listener = openPassiveStream("pssl:0:127.0.0.1", 6640);
  const port = Number(listener.name.split(":")[1]);
  // The certificates are RSA: a list of ECDSA suites leaves nothing to agree on.
  sslSetCiphers("ECDHE-ECDSA-AES256-GCM-SHA384");
  const accepted = listener.accept();
  const lines = await logged(async () => {
    await assert.rejects(openStream(`ssl:127.0.0.1:${port}`, 6640), { message: "Protocol error" });
    (await accepted).close();
  });
  assert.ok(
    lines.includes(
      "stream_ssl|WARN|SSL_connect: error:0A000410:SSL routines::sslv3 alert handshake failure",
    ),
    lines.join("\n"),
  );
  listener.close();
});

testIf(PKI_REASON, "a passive stream on port 0 logs the port the kernel chose", async () => {
  const p = await pki();
  await configure(p, "a", p.switchCa);
  let name = "";
  const lines = await logged(() => {
    const listener = openPassiveStream("pssl:0:127.0.0.1", 6640);
    name = listener.name;
    listener.close();
  });
  const port = name.split(":")[1];
  assert.deepEqual(lines, [`socket_util|INFO|0:127.0.0.1: listening on port ${port}`]);
  // A busy address fails at once, as Deno.listen does.
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  assert.throws(() => openPassiveStream(`pssl:${(busy.addr as Deno.NetAddr).port}:127.0.0.1`, 0));
  busy.close();
});

Deno.test({
  name: "the PKI is removed after the tests",
  sanitizeResources: false,
  fn: async () => {
    sslResetForTests();
    if (pkiPromise) await (await pkiPromise).remove();
    await Deno.remove(LOG);
  },
});
