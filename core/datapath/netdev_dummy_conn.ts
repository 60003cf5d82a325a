// The packet connection of a dummy netdev (upstream's dummy_packet_conn): options:pstream=PASSIVE
// listens, options:stream=ACTIVE connects (with reconnect backoff), and every frame the device
// sends goes to every connected peer as a 2-byte big-endian length and the frame, while frames
// read from peers arrive on the device. This is how upstream's tests join dummy ports of two
// bridges or two daemons. Promises: at most 100 frames queued per peer (more are dropped, as
// upstream drops them); a peer that sends a frame shorter than an Ethernet header is closed
// (EPROTO); an active stream reconnects after 100 ms, doubling. The I/O is asynchronous (Deno
// sockets); the device's `run()` drives reconnection, and received frames are handed over as they
// arrive.

import { openPassiveStream, openStream, type PassiveStream } from "../net/stream.ts";

const MAX_QUEUE = 100;
const ETH_HEADER_LEN = 14;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 60000;

class PeerStream {
  private queued = 0;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly conn: Deno.Conn,
    private readonly onFrame: (frame: Uint8Array) => void,
    private readonly onClose: (peer: PeerStream) => void,
  ) {
    this.readLoop();
  }

  send(frame: Uint8Array): void {
    if (this.closed || this.queued >= MAX_QUEUE) return;
    const message = new Uint8Array(2 + frame.length);
    message[0] = frame.length >> 8;
    message[1] = frame.length & 0xff;
    message.set(frame, 2);
    this.queued++;
    this.writing = this.writing.then(async () => {
      try {
        let done = 0;
        while (done < message.length && !this.closed) {
          done += await this.conn.write(message.subarray(done));
        }
      } catch {
        this.close();
      } finally {
        this.queued--;
      }
    });
  }

  private async readLoop(): Promise<void> {
    let buffer = new Uint8Array(0);
    const chunk = new Uint8Array(65536 + 2);
    try {
      for (;;) {
        const n = await this.conn.read(chunk);
        if (n === null) break;
        const next = new Uint8Array(buffer.length + n);
        next.set(buffer);
        next.set(chunk.subarray(0, n), buffer.length);
        buffer = next;
        while (buffer.length >= 2) {
          const length = (buffer[0]! << 8) | buffer[1]!;
          if (length < ETH_HEADER_LEN) throw new Error("EPROTO");
          if (buffer.length < 2 + length) break;
          this.onFrame(buffer.slice(2, 2 + length));
          buffer = buffer.slice(2 + length);
        }
      }
    } catch {
      // A read error or a bad frame closes the connection, as upstream does.
    }
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    this.onClose(this);
  }
}

export type DummyConnState = "connected" | "disconnected" | "unknown";

export class DummyPacketConn {
  private passive: PassiveStream | undefined;
  private passiveName: string | undefined;
  private activeName: string | undefined;
  private readonly peers = new Set<PeerStream>();
  private active: PeerStream | undefined;
  private connecting = false;
  private backoff = BACKOFF_MIN_MS;
  private nextAttempt = 0;
  private closed = false;

  constructor(private readonly onFrame: (frame: Uint8Array) => void) {}

  /**
   * dummy_packet_conn_set_config: opens the listener or the connection named by the options
   * (keeping one that did not change). Returns a warning to log, if any, in upstream's words.
   */
  configure(pstream: string | undefined, stream: string | undefined): string | undefined {
    if (pstream !== undefined && stream !== undefined) {
      return `Open failed: both ${pstream} and ${stream} are configured`;
    }
    if (this.passiveName !== undefined && pstream === this.passiveName) return undefined;
    if (this.activeName !== undefined && stream === this.activeName) return undefined;
    this.close();
    this.closed = false;
    if (pstream !== undefined) {
      try {
        this.passive = openPassiveStream(pstream, 0);
        this.passiveName = pstream;
        this.acceptLoop(this.passive);
      } catch (e) {
        return `${pstream}: open failed (${e instanceof Error ? e.message : e})`;
      }
    }
    if (stream !== undefined) {
      this.activeName = stream;
      this.backoff = BACKOFF_MIN_MS;
      this.nextAttempt = 0;
      this.connect();
    }
    return undefined;
  }

  private async acceptLoop(passive: PassiveStream): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await passive.accept();
      } catch {
        return;
      }
      if (this.passive !== passive) {
        conn.close();
        return;
      }
      this.peers.add(new PeerStream(conn, this.onFrame, (peer) => this.peers.delete(peer)));
    }
  }

  private connect(): void {
    const name = this.activeName;
    if (name === undefined || this.connecting || this.active) return;
    this.connecting = true;
    openStream(name, 0).then((conn) => {
      this.connecting = false;
      if (this.activeName !== name || this.closed) {
        conn.close();
        return;
      }
      this.backoff = BACKOFF_MIN_MS;
      this.active = new PeerStream(conn, this.onFrame, () => {
        this.active = undefined;
        this.nextAttempt = performance.now() + this.backoff;
      });
    }, () => {
      this.connecting = false;
      this.nextAttempt = performance.now() + this.backoff;
      this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    });
  }

  /** Reconnects an active stream whose backoff has passed (the device's run()). */
  run(): void {
    if (this.activeName !== undefined && !this.active && performance.now() >= this.nextAttempt) {
      this.connect();
    }
  }

  /** Whether any peer is connected (or a listener or connection is configured). */
  get configured(): boolean {
    return this.activeName !== undefined || this.passive !== undefined;
  }

  /** Sends a frame to every connected peer. */
  send(frame: Uint8Array): void {
    if (this.active) this.active.send(frame);
    for (const peer of this.peers) peer.send(frame);
  }

  /** What get_config reports: pstream=NAME or stream=NAME. */
  addConfig(config: Map<string, string>): void {
    if (this.passive) config.set("pstream", this.passiveName!);
    else if (this.activeName !== undefined) config.set("stream", this.activeName);
  }

  /** netdev-dummy/conn-state: only an active stream knows whether it is connected. */
  state(): DummyConnState {
    if (this.activeName === undefined) return "unknown";
    return this.active ? "connected" : "disconnected";
  }

  close(): void {
    this.closed = true;
    this.passive?.close();
    this.passive = undefined;
    this.passiveName = undefined;
    this.activeName = undefined;
    this.active?.close();
    this.active = undefined;
    for (const peer of [...this.peers]) peer.close();
    this.peers.clear();
  }
}
