import assert from "node:assert/strict";
import { Reconnect } from "../../core/net/reconnect.ts";
import { vlogSetLevels } from "../../core/net/vlog.ts";

vlogSetLevels("reconnect", "console", "off");

Deno.test("reconnect backs off 1, 2, 4, 8, 8 seconds between failed attempts", () => {
  const fsm = new Reconnect(0);
  fsm.name = "tcp:127.0.0.1:6640";
  let now = 0;
  fsm.enable(now);
  assert.equal(fsm.run(now), "connect");
  const waits: number[] = [];
  for (let i = 0; i < 5; i++) {
    fsm.connectFailed(now, "Connection refused");
    const wait = fsm.timeout(now) ?? -1;
    waits.push(wait);
    now += wait;
    assert.equal(fsm.run(now), "connect");
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 8000]);
});

Deno.test("reconnect probes an idle connection, then disconnects when the probe goes unanswered", () => {
  const fsm = new Reconnect(0);
  fsm.enable(0);
  fsm.connected(0);
  assert.equal(fsm.run(4999), undefined);
  // Like upstream, expiry counts only once a receive was attempted after the deadline.
  assert.equal(fsm.run(5000), undefined);
  fsm.receiveAttempted(5000);
  assert.equal(fsm.run(5000), "probe");
  assert.equal(fsm.state, "IDLE");
  fsm.receiveAttempted(9000);
  assert.equal(fsm.run(9999), undefined);
  fsm.receiveAttempted(10000);
  assert.equal(fsm.run(10000), "disconnect");
});

Deno.test("reconnect returns to active when the peer answers a probe", () => {
  const fsm = new Reconnect(0);
  fsm.enable(0);
  fsm.connected(0);
  fsm.receiveAttempted(5000);
  assert.equal(fsm.run(5000), "probe");
  fsm.activity(5100);
  assert.equal(fsm.state, "ACTIVE");
  assert.equal(fsm.run(6000), undefined);
});

Deno.test("reconnect reconnects at once after a long-lived connection drops", () => {
  const fsm = new Reconnect(0);
  fsm.enable(0);
  fsm.connected(0);
  fsm.activity(60000);
  fsm.disconnected(60000, "eof");
  assert.equal(fsm.state, "BACKOFF");
  assert.equal(fsm.timeout(60000), 1000);
});

Deno.test("reconnect without probing never times out a quiet connection", () => {
  const fsm = new Reconnect(0);
  fsm.setProbeInterval(0);
  fsm.enable(0);
  fsm.connected(0);
  assert.equal(fsm.timeout(0), undefined);
  assert.equal(fsm.run(1e9), undefined);
});

Deno.test("reconnect changes seqno on each connect and disconnect", () => {
  const fsm = new Reconnect(0);
  fsm.enable(0);
  const start = fsm.seqno;
  fsm.connected(0);
  assert.equal(fsm.seqno, start + 1);
  fsm.disconnected(10, "eof");
  assert.equal(fsm.seqno, start + 2);
});
