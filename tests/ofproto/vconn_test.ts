import assert from "node:assert/strict";
import { Vconn } from "../../core/ofproto/vconn.ts";
import { VconnError } from "../../core/ofproto/vconn_error.ts";
import { Pvconn } from "../../core/ofproto/pvconn.ts";
import { Rconn, RconnPacketCounter } from "../../core/ofproto/rconn.ts";
import {
  buildMessage,
  decodeHello,
  encodeEchoReply,
  encodeHello,
  messageXid,
  OfpFramer,
  OFPT_ECHO_REPLY,
  OFPT_ECHO_REQUEST,
  OFPT_ERROR,
  OFPT_HELLO,
  readHeader,
  versionBitmapText,
} from "../../core/ofproto/vconn_wire.ts";
import { timeResume, timeStop, timeWarp } from "../../core/net/timeval.ts";
import { vlogSetLevels, vlogSetLogFile } from "../../core/net/vlog.ts";
import { waitFor } from "../support/run.ts";

const LOG_DIR = Deno.makeTempDirSync({ prefix: "vconn-test-" });
const LOG = `${LOG_DIR}/test.log`;
vlogSetLevels(undefined, "console", "off");
vlogSetLogFile(LOG);
vlogSetLevels("vconn", "file", "dbg");
vlogSetLevels("rconn", "file", "dbg");

function logText(): string {
  return Deno.readTextFileSync(LOG);
}

/** Versions 1 up to `v`, as a bitmap. */
function upTo(v: number): number {
  return ((1 << (v + 1)) - 2) >>> 0;
}

async function withListener<T>(
  allowed: number,
  fn: (pvconn: Pvconn, target: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "vconn-" });
  const pvconn = Pvconn.open(`punix:${dir}/sock`, { allowedVersions: allowed });
  try {
    return await fn(pvconn, `unix:${dir}/sock`);
  } finally {
    pvconn.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A raw peer: bytes in, framed messages out, for checking exactly what a vconn sends. */
class RawPeer {
  readonly #framer = new OfpFramer();
  readonly #messages: Uint8Array[] = [];
  closed = false;
  constructor(readonly conn: Deno.Conn) {
    (async () => {
      const buffer = new Uint8Array(65536);
      try {
        for (;;) {
          const n = await conn.read(buffer);
          if (n === null) break;
          for (const f of this.#framer.feed(buffer.subarray(0, n))) {
            if ("message" in f) this.#messages.push(f.message);
          }
        }
      } catch {
        // Closed.
      }
      this.closed = true;
    })();
  }
  static async connect(target: string): Promise<RawPeer> {
    return new RawPeer(await Deno.connect({ transport: "unix", path: target.slice(5) }));
  }
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
  }
  async next(): Promise<Uint8Array> {
    await waitFor(() => this.#messages.length > 0 || this.closed, 3000, "a message");
    const message = this.#messages.shift();
    if (!message) throw new Error("peer closed");
    return message;
  }
  async waitClosed(): Promise<void> {
    await waitFor(() => this.closed, 3000, "close");
  }
  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already.
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function failure(promise: Promise<unknown>): Promise<VconnError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof VconnError, String(error));
    return error;
  }
  throw new Error("expected a VconnError");
}

// First: warnings are rate limited process-wide (as upstream's), so this one must come early.
Deno.test("a failed negotiation logs upstream's warning on both sides", async () => {
  await withListener(1 << 2, async (pvconn, target) => {
    const client = await Vconn.open(target, { allowedVersions: 1 << 1 });
    const server = await pvconn.accept();
    await failure(client.connect());
    await failure(server.connect());
    const log = logText();
    assert.match(
      log,
      /vconn\|WARN\|unix:\S+: version negotiation failed \(we support version 0x01, peer supports version 0x02\)/,
    );
    assert.match(
      log,
      /vconn\|WARN\|unix#\d+: version negotiation failed \(we support version 0x02, peer supports version 0x01\)/,
    );
  });
});

Deno.test("vconn negotiates the highest common version for every pair of version ranges", async () => {
  for (let b = 1; b <= 6; b++) {
    await withListener(upTo(b), async (pvconn, target) => {
      for (let a = 1; a <= 6; a++) {
        const client = await Vconn.open(target, { allowedVersions: upTo(a) });
        const server = await pvconn.accept();
        await Promise.all([client.connect(), server.connect()]);
        assert.equal(client.version, Math.min(a, b), `client ${a} server ${b}`);
        assert.equal(server.version, Math.min(a, b), `client ${a} server ${b}`);
        assert.equal(client.peerVersions, upTo(b));
        client.close();
        server.close();
      }
    });
  }
});

Deno.test("a version bitmap with gaps travels in a hello element and negotiates within it", async () => {
  const hello = encodeHello(0x12, 1);
  assert.deepEqual(
    [...hello],
    [4, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0x12],
  );
  assert.equal(decodeHello(hello).versions, 0x12);
  assert.deepEqual([...encodeHello(0x7e, 1)], [6, 0, 0, 8, 0, 0, 0, 1]);
  assert.equal(versionBitmapText(0x12), "versions 0x01, 0x04");
  assert.equal(versionBitmapText(0x7e), "version 0x06 and earlier");
  assert.equal(versionBitmapText(0x10), "version 0x04");
  await withListener(0x7e, async (pvconn, target) => {
    const client = await Vconn.open(target, { allowedVersions: 0x12 });
    const server = await pvconn.accept();
    await Promise.all([client.connect(), server.connect()]);
    assert.equal(server.version, 4);
    assert.equal(server.peerVersions, 0x12);
    client.close();
    server.close();
  });
});

Deno.test("a peer with no common version gets OFPHFC_INCOMPATIBLE with upstream's text", async () => {
  await withListener(0, async (pvconn, target) => {
    const peer = await RawPeer.connect(target);
    const server = await pvconn.accept();
    // Version 7 only: a hello of version 7 alone would mean "7 and earlier".
    await peer.write(encodeHello(0x80, 1));
    const hello = await peer.next();
    assert.deepEqual([...hello], [6, 0, 0, 8, ...hello.subarray(4, 8)]);
    const error = await peer.next();
    const header = readHeader(error);
    assert.equal(header.version, 1, "an unknown version's error is sent as OpenFlow 1.0");
    assert.equal(header.type, OFPT_ERROR);
    assert.equal(header.xid, 0);
    assert.deepEqual([...error.subarray(8, 12)], [0, 0, 0, 0], "OFPET_HELLO_FAILED/INCOMPATIBLE");
    assert.equal(
      new TextDecoder().decode(error.subarray(12)),
      "We support version 0x06 and earlier, you support version 0x07, no common versions.",
    );
    assert.equal((await failure(server.connect())).code, "EPROTO");
    await peer.waitClosed();
    peer.close();
  });
});

Deno.test("vconn frames messages split across reads and coalesced in one write, and answers echoes", async () => {
  await withListener(0, async (pvconn, target) => {
    const peer = await RawPeer.connect(target);
    const server = await pvconn.accept();
    const features = buildMessage(1, 5, 77);
    const bytes = concat(buildMessage(1, OFPT_HELLO, 1), features);
    for (const byte of bytes) await peer.write(new Uint8Array([byte]));
    await server.connect();
    assert.deepEqual([...(await server.recv())], [...features]);
    const echo1 = buildMessage(1, OFPT_ECHO_REQUEST, 5, new Uint8Array([1, 2, 3]));
    const echo2 = buildMessage(1, OFPT_ECHO_REQUEST, 6);
    const barrier = buildMessage(1, 18, 7);
    await peer.write(concat(echo1, echo2, barrier));
    assert.equal(readHeader(await server.recv()).type, 18, "echo requests are not delivered");
    await peer.next(); // the server's hello
    const reply1 = await peer.next();
    assert.equal(readHeader(reply1).type, OFPT_ECHO_REPLY);
    assert.equal(messageXid(reply1), 5);
    assert.deepEqual([...reply1.subarray(8)], [1, 2, 3]);
    assert.equal(messageXid(await peer.next()), 6);
    peer.close();
    assert.equal((await failure(server.recv())).code, "EOF");
  });
});

Deno.test("a header length below 8 closes the connection with upstream's log line", async () => {
  await withListener(0, async (pvconn, target) => {
    const peer = await RawPeer.connect(target);
    const server = await pvconn.accept();
    await peer.write(buildMessage(1, OFPT_HELLO, 1));
    await server.connect();
    await peer.write(new Uint8Array([1, 5, 0, 4, 0, 0, 0, 9]));
    const error = await failure(server.recv());
    assert.equal(error.code, "EPROTO");
    await peer.waitClosed();
    assert.match(logText(), /vconn\|ERR\|received too-short ofp_header \(4 bytes\)/);
    peer.close();
  });
});

Deno.test("a message cut short by the peer's close is a protocol error", async () => {
  await withListener(0, async (pvconn, target) => {
    const peer = await RawPeer.connect(target);
    const server = await pvconn.accept();
    await peer.write(buildMessage(1, OFPT_HELLO, 1));
    await server.connect();
    await peer.write(new Uint8Array([1, 5, 0, 20, 0, 0, 0, 9, 1, 2]));
    await new Promise((r) => setTimeout(r, 20));
    peer.close();
    assert.equal((await failure(server.recv())).code, "EPROTO");
    assert.match(logText(), /vconn\|ERR\|connection dropped mid-packet/);
  });
});

Deno.test("vconn wants a hello first and refuses later messages of another version", async () => {
  await withListener(0, async (pvconn, target) => {
    const peer = await RawPeer.connect(target);
    const server = await pvconn.accept();
    await peer.write(buildMessage(1, 5, 1));
    assert.equal((await failure(server.connect())).code, "EPROTO");
    assert.match(logText(), /received message while expecting hello/);
    peer.close();
  });
  await withListener(0, async (pvconn, target) => {
    const peer = await RawPeer.connect(target);
    const server = await pvconn.accept();
    await peer.write(buildMessage(4, OFPT_HELLO, 1));
    await server.connect();
    const wrong = buildMessage(1, 5, 42);
    await peer.write(concat(wrong, buildMessage(4, 5, 43)));
    assert.equal(messageXid(await server.recv()), 43, "the wrong-version message is dropped");
    await peer.next(); // hello
    const error = await peer.next();
    assert.equal(readHeader(error).type, OFPT_ERROR);
    assert.equal(readHeader(error).version, 1);
    assert.equal(messageXid(error), 42);
    assert.deepEqual([...error.subarray(8, 12)], [0, 1, 0, 0], "OFPET_BAD_REQUEST/BAD_VERSION");
    assert.deepEqual([...error.subarray(12)], [...wrong]);
    assert.match(logText(), /received OpenFlow version 0x01 != expected 04/);
    peer.close();
  });
});

/** A switch stand-in: answers requests as `answer` says. */
function serve(server: Vconn, answer: (request: Uint8Array) => Uint8Array[]): void {
  (async () => {
    try {
      for (;;) for (const reply of answer(await server.recv())) server.send(reply);
    } catch {
      // Closed.
    }
  })();
}

function multipart(version: number, xid: number, more: boolean, body: number): Uint8Array {
  return buildMessage(version, 19, xid, new Uint8Array([0, 1, 0, more ? 1 : 0, 0, 0, 0, 0, body]));
}

Deno.test("transact helpers collect multipart replies, use barriers and skip other xids", async () => {
  for (const readAfterWrite of [false, true]) await transactScenario(readAfterWrite);
});

async function transactScenario(readAfterWrite: boolean): Promise<void> {
  await withListener(0, async (pvconn, target) => {
    const client = await Vconn.open(target, { allowedVersions: 1 << 4, readAfterWrite });
    const server = await pvconn.accept();
    await Promise.all([client.connect(), server.connect()]);
    serve(server, (request) => {
      const { type, xid } = readHeader(request);
      switch (type) {
        case 18: // multipart request: a stray message first, then three parts
          return [
            buildMessage(4, OFPT_ECHO_REPLY, xid + 1000),
            multipart(4, xid, true, 1),
            multipart(4, xid, true, 2),
            multipart(4, xid, false, 3),
          ];
        case 14: // flow mod: rejected
          return [buildMessage(4, OFPT_ERROR, xid, new Uint8Array([0, 5, 0, 0]))];
        case 20: // barrier
          return [buildMessage(4, 21, xid)];
        case 5:
          return [buildMessage(4, 6, xid)];
        default:
          return [];
      }
    });
    const parts = await client.transactMultipart([buildMessage(4, 18, 100)]);
    assert.deepEqual(parts.map((p) => p[16]), [1, 2, 3]);
    const reply = await client.transact(buildMessage(4, 5, 200));
    assert.equal(readHeader(reply).type, 6);
    const error = await client.transactNoReply(buildMessage(4, 14, 300));
    assert.equal(error && readHeader(error).type, OFPT_ERROR);
    assert.equal(await client.transactNoReply(buildMessage(4, 13, 301)), undefined);
    const first = await client.transactMultipleNoReply([
      buildMessage(4, 13, 400),
      buildMessage(4, 14, 401),
      buildMessage(4, 14, 402),
    ]);
    assert.equal(first && messageXid(first), 401, "stops at the first request that failed");
    client.close();
    server.close();
  });
}

Deno.test("vconn names upstream's errors for targets it cannot open", async () => {
  assert.equal((await failure(Vconn.open("unix:/nonexistent/socket"))).code, "ENOENT");
  assert.equal(
    (await failure(Vconn.open("unix:/nonexistent/socket"))).message,
    "No such file or directory",
  );
  assert.equal((await failure(Vconn.open("foo:bar"))).code, "EAFNOSUPPORT");
  assert.equal((await failure(Vconn.open("tcp:127.0.0.1:99999"))).code, "EAFNOSUPPORT");
  assert.equal((await failure(Vconn.open("ssl:127.0.0.1:6653"))).code, "ENOPROTOOPT");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  assert.equal((await failure(Vconn.open(`tcp:127.0.0.1:${port}`))).code, "ECONNREFUSED");
});

/** Lets promises and I/O callbacks run. */
async function settle(ms = 30): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

Deno.test("rconn backs off 1, 2, 4 then 8 seconds on the daemon clock, with upstream's logs", async () => {
  timeStop();
  const rconn = new Rconn();
  try {
    rconn.connect("unix:/nonexistent/controller", "br0<->unix:ctl");
    await settle();
    assert.equal(rconn.state, "BACKOFF");
    assert.equal(rconn.isReliable, true);
    const seen: string[] = [];
    for (const step of [1000, 1000, 2000, 4000, 8000, 8000]) {
      timeWarp(step);
      await settle();
      seen.push(rconn.state);
    }
    assert.deepEqual(seen, Array(6).fill("BACKOFF"));
    const log = logText();
    assert.match(
      log,
      /rconn\|WARN\|br0<->unix:ctl: connection failed \(No such file or directory\)/,
    );
    assert.match(log, /rconn\|INFO\|br0<->unix:ctl: waiting 2 seconds before reconnect/);
    assert.match(log, /rconn\|INFO\|br0<->unix:ctl: waiting 4 seconds before reconnect/);
    assert.match(
      log,
      /br0<->unix:ctl: continuing to retry connections in the background but suppressing further logging/,
    );
    assert.doesNotMatch(log, /waiting 8 seconds/);
  } finally {
    rconn.destroy();
    timeResume();
  }
});

Deno.test("rconn probes an idle TCP peer, stays up when answered, and drops it when not", async () => {
  // Echo requests reach these servers, which choose whether to answer.
  const listener = Pvconn.open("ptcp:0:127.0.0.1", { answerEcho: false });
  const port = listener.boundName.split(":")[1];
  timeStop();
  const rconn = new Rconn({ probeInterval: 5 });
  let connects = 0;
  let disconnects = 0;
  rconn.onConnect = () => connects++;
  rconn.onDisconnect = () => disconnects++;
  try {
    rconn.connect(`tcp:127.0.0.1:${port}`);
    assert.equal(rconn.state, "CONNECTING");
    const server = await listener.accept();
    await server.connect();
    server.onMessage = (m) => {
      if (readHeader(m).type === OFPT_ECHO_REQUEST) server.send(encodeEchoReply(m));
    };
    await waitFor(() => rconn.state === "ACTIVE", 2000, "ACTIVE");
    assert.equal(connects, 1);
    timeWarp(5000);
    assert.equal(rconn.state, "IDLE");
    await settle();
    assert.equal(rconn.state, "ACTIVE", "the echo reply makes the connection active again");

    // A peer that stops answering.
    server.close();
    const silent = listener.accept();
    await waitFor(() => rconn.state === "BACKOFF", 2000, "BACKOFF after close");
    assert.equal(disconnects, 1);
    assert.match(logText(), /rconn\|INFO\|tcp:127\.0\.0\.1:\d+: connection closed by peer/);
    timeWarp(1000);
    const quiet = await silent;
    quiet.onMessage = () => {};
    await quiet.connect();
    await waitFor(() => rconn.state === "ACTIVE", 2000, "ACTIVE again");
    timeWarp(5000);
    assert.equal(rconn.state, "IDLE");
    await settle();
    timeWarp(5000);
    assert.equal(rconn.state, "BACKOFF");
    assert.match(
      logText(),
      /rconn\|ERR\|tcp:127\.0\.0\.1:\d+: no response to inactivity probe after 5 seconds, disconnecting/,
    );
    assert.equal(rconn.lastError, "Connection timed out");
    quiet.close();
  } finally {
    rconn.destroy();
    listener.close();
    timeResume();
  }
});

Deno.test("an rconn over an accepted connection ends DISCONNECTED, and counters bound its queue", async () => {
  await withListener(0, async (pvconn, target) => {
    const client = await Vconn.open(target, { allowedVersions: 1 << 1 });
    const accepted = await pvconn.accept();
    const rconn = new Rconn();
    const received: Uint8Array[] = [];
    rconn.onMessage = (m) => received.push(m);
    rconn.connectUnreliably(accepted, "br0<->unix#9");
    await client.connect();
    await waitFor(() => rconn.isConnected, 2000, "connected");
    assert.equal(rconn.version, 1);
    assert.equal(rconn.probeInterval, 5);
    const counter = new RconnPacketCounter();
    let accepted2 = 0;
    for (let i = 0; i < 10; i++) {
      if (rconn.sendWithLimit(buildMessage(1, 10, i), counter, 100)) accepted2++;
    }
    assert.equal(accepted2, 10);
    for (let i = 0; i < 10; i++) assert.equal(messageXid(await client.recv()), i);
    client.send(buildMessage(1, 5, 55));
    await waitFor(() => received.length === 1, 2000, "message");
    client.close();
    await waitFor(() => rconn.state === "DISCONNECTED", 2000, "DISCONNECTED");
    assert.equal(rconn.isAlive, false);
    assert.equal(rconn.send(buildMessage(1, 10, 99)), false);
    const full = new RconnPacketCounter();
    full.nPackets = 100;
    assert.equal(rconn.sendWithLimit(buildMessage(1, 10, 1), full, 100), false);
    rconn.destroy();
  });
});

// Last: its many failures use up the warning rate limit the tests above read logs through.
Deno.test("vconn fails negotiation on both sides for every pair of distinct single versions", async () => {
  for (let b = 1; b <= 6; b++) {
    await withListener(1 << b, async (pvconn, target) => {
      for (let a = 1; a <= 6; a++) {
        const client = await Vconn.open(target, { allowedVersions: 1 << a });
        const server = await pvconn.accept();
        if (a === b) {
          await Promise.all([client.connect(), server.connect()]);
          assert.equal(client.version, a);
        } else {
          // Each side fails; the one whose error message finds the other gone reports the
          // broken pipe, as upstream's does.
          const codes = [
            (await failure(client.connect())).code,
            (await failure(server.connect())).code,
          ];
          for (const code of codes) assert.ok(code === "EPROTO" || code === "EPIPE", code);
          assert.ok(codes.includes("EPROTO"), "the first to fail finds its peer still there");
          assert.equal((await failure(client.recv())).code, codes[0]);
        }
        client.close();
        server.close();
      }
    });
  }
});
