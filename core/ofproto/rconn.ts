// A reliable OpenFlow connection (upstream's rconn): a Vconn that is re-opened with exponential
// backoff when it fails (1 s doubling to the maximum, 8 s by default), probed with echo requests
// when the peer goes quiet, and fronted by a send queue whose per-source counters let the switch
// bound what one source (packet-ins, say) may queue. An "unreliable" rconn wraps an accepted
// connection and only reports its end. States, their names (VOID, BACKOFF, CONNECTING, ACTIVE,
// IDLE, DISCONNECTED) and log lines are upstream's, since the Controller table's status column and
// upstream's tests show them.
//
// Upstream's rconn keeps its own state machine rather than lib/reconnect's (its backoff resets
// and log lines differ), so this file does too; core/net/reconnect.ts stays the JSON-RPC one.
// Time comes from core/net/timeval.ts, so `time/stop` and `time/warp` drive backoff and probes.
// Owns the current Vconn and its monitors; delivers messages through `onMessage`.

import { coverageCounter } from "../net/coverage.ts";
import { cancelTimer, setTimerAt, timeMsec } from "../net/timeval.ts";
import { vlogModule } from "../net/vlog.ts";
import { Vconn } from "./vconn.ts";
import { VconnError } from "./vconn_error.ts";
import {
  encodeEchoReply,
  encodeEchoRequest,
  OFP10_VERSION,
  OFPT_ECHO_REQUEST,
  readHeader,
} from "./vconn_wire.ts";

const log = vlogModule("rconn");
const discardedCounter = coverageCounter("rconn_discarded");
const overflowCounter = coverageCounter("rconn_overflow");
const queuedCounter = coverageCounter("rconn_queued");
const sentCounter = coverageCounter("rconn_sent");

export type RconnState = "VOID" | "BACKOFF" | "CONNECTING" | "ACTIVE" | "IDLE" | "DISCONNECTED";

const MAX_MONITORS = 8;
/** Bytes handed to the Vconn before the rconn's own queue holds the rest. */
const VCONN_HIGH_WATER = 65536;

/** Counts what one source has queued on rconns and not yet handed to the connection. */
export class RconnPacketCounter {
  nPackets = 0;
  nBytes = 0;
}

function isConnectedState(state: RconnState): boolean {
  return state === "ACTIVE" || state === "IDLE";
}

/** Unix sockets need no probes: the kernel reports a dead peer (stream_or_pstream_needs_probes). */
export function targetNeedsProbes(target: string): boolean {
  return !/^p?unix:/.test(target);
}

/**
 * Whether a received message shows that the peer accepted us (is_admitted_msg): anything but the
 * handshake, configuration and description traffic a controller sends before deciding.
 */
function isAdmittedMessage(message: Uint8Array): boolean {
  const { version, type } = readHeader(message);
  if (type <= 3 || (type >= 5 && type <= 9)) return false;
  if (version === OFP10_VERSION) return !(type === 20 || type === 21);
  if (version <= 0x04 && (type === 22 || type === 23)) return false;
  if (version >= 0x04 && (type === 26 || type === 27)) return false;
  if ((type === 18 || type === 19) && message.length >= 10) {
    const multipart = (message[8]! << 8) | message[9]!;
    return ![6, 7, 8, 12, 14].includes(multipart);
  }
  return true;
}

export interface RconnOptions {
  /** Seconds of silence before an echo request; 0 disables (values below 5 become 5). */
  probeInterval?: number;
  /** Seconds between attempts at most (default 8). */
  maxBackoff?: number;
  /** Versions allowed on each connection (0 or absent: 1.0 to 1.5). */
  allowedVersions?: number;
  /** Answer the peer's echo requests without delivering them (default true). */
  answerEcho?: boolean;
}

interface Queued {
  message: Uint8Array;
  counter: RconnPacketCounter | undefined;
}

export class Rconn {
  /** Every message received, in order. */
  onMessage: (message: Uint8Array) => void = () => {};
  /** The connection came up (entered ACTIVE from elsewhere). */
  onConnect: () => void = () => {};
  /** The connection went down (left ACTIVE/IDLE). */
  onDisconnect: () => void = () => {};

  #state: RconnState = "VOID";
  #stateEntered: number;
  #vconn: Vconn | undefined;
  #name = "void";
  #target = "void";
  #reliable = false;
  #txq: Queued[] = [];
  #pumping = false;
  #backoff = 0;
  #maxBackoff: number;
  #backoffDeadline = Number.NEGATIVE_INFINITY;
  #lastConnected = Number.NEGATIVE_INFINITY;
  #lastDisconnected = Number.NEGATIVE_INFINITY;
  #seqno = 0;
  #lastError: string | undefined;
  #probablyAdmitted = false;
  #lastAdmitted: number;
  #probeInterval = 0;
  #lastActivity: number;
  #monitors: Vconn[] = [];
  readonly #allowedVersions: number;
  readonly #answerEcho: boolean;
  #version = -1;
  #timer: number | undefined;
  /** Bumped whenever the current connection attempt is abandoned, to ignore late callbacks. */
  #generation = 0;
  #destroyed = false;

  constructor(options: RconnOptions = {}) {
    const now = timeMsec();
    this.#stateEntered = now;
    this.#lastAdmitted = now;
    this.#lastActivity = now;
    this.#maxBackoff = options.maxBackoff ? options.maxBackoff * 1000 : 8000;
    this.setProbeInterval(options.probeInterval ?? 5);
    this.#allowedVersions = options.allowedVersions ?? 0;
    this.#answerEcho = options.answerEcho ?? true;
  }

  get state(): RconnState {
    return this.#state;
  }
  get name(): string {
    return this.#name;
  }
  set name(name: string) {
    this.#name = name;
  }
  get target(): string {
    return this.#target;
  }
  get isReliable(): boolean {
    return this.#reliable;
  }
  /** Not VOID and not DISCONNECTED: connected or trying to be. */
  get isAlive(): boolean {
    return this.#state !== "VOID" && this.#state !== "DISCONNECTED";
  }
  get isConnected(): boolean {
    return isConnectedState(this.#state);
  }
  get isAdmitted(): boolean {
    return this.isConnected && this.#lastAdmitted >= this.#lastConnected;
  }
  /** Seconds since the peer last (probably) admitted us; 0 while admitted. */
  get failureDuration(): number {
    return this.isAdmitted ? 0 : Math.floor((timeMsec() - this.#lastAdmitted) / 1000);
  }
  /** The version of the current or last connection, -1 before the first. */
  get version(): number {
    return this.#version;
  }
  get allowedVersions(): number {
    return this.#allowedVersions;
  }
  /** Milliseconds on the daemon clock; -Infinity if never. */
  get lastConnected(): number {
    return this.#lastConnected;
  }
  get lastDisconnected(): number {
    return this.#lastDisconnected;
  }
  get stateEntered(): number {
    return this.#stateEntered;
  }
  /** Changes each time the connection comes up or goes down. */
  get seqno(): number {
    return this.#seqno;
  }
  /** The error text of the last disconnection ("End of file" for a close by the peer). */
  get lastError(): string | undefined {
    return this.#lastError;
  }
  /** Messages waiting in the rconn's own queue. */
  get txqLength(): number {
    return this.#txq.length;
  }
  get probeInterval(): number {
    return this.#probeInterval;
  }
  get maxBackoff(): number {
    return this.#maxBackoff / 1000;
  }
  /** The live connection, when connected. */
  get vconn(): Vconn | undefined {
    return this.isConnected ? this.#vconn : undefined;
  }

  setProbeInterval(seconds: number): void {
    this.#probeInterval = seconds ? Math.max(5, seconds) : 0;
    this.#schedule();
  }

  setMaxBackoff(seconds: number): void {
    this.#maxBackoff = Math.max(1, seconds) * 1000;
    if (this.#state === "BACKOFF" && this.#backoff > this.#maxBackoff) {
      this.#backoff = this.#maxBackoff;
      const maxDeadline = timeMsec() + this.#maxBackoff;
      if (this.#backoffDeadline > maxDeadline) this.#backoffDeadline = maxDeadline;
    }
    this.#schedule();
  }

  /** Connects to `target`, reconnecting as needed; `name` replaces the target in logs. */
  connect(target: string, name?: string): void {
    this.#disconnectQuietly();
    this.#setTarget(target, name);
    this.#reliable = true;
    if (!targetNeedsProbes(target)) this.#probeInterval = 0;
    this.#reconnect();
  }

  /** Uses an accepted connection; when it ends the rconn goes DISCONNECTED and stays so. */
  connectUnreliably(vconn: Vconn, name?: string): void {
    this.#disconnectQuietly();
    this.#setTarget(vconn.name, name);
    this.#reliable = false;
    this.#transition("CONNECTING");
    this.#awaitHello(vconn, this.#generation);
  }

  /** Drops a live connection so that a reliable rconn reconnects. */
  reconnect(): void {
    if (isConnectedState(this.#state)) {
      log.info(`${this.#name}: disconnecting`);
      this.#disconnect(undefined);
    }
  }

  /** Drops everything and goes VOID. */
  disconnect(): void {
    this.#disconnectQuietly();
  }

  destroy(): void {
    this.#disconnectQuietly();
    this.#flushQueue();
    for (const monitor of this.#monitors) monitor.close();
    this.#monitors = [];
    this.#destroyed = true;
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Queues `message` for the peer. Returns false (and drops it) when not connected, as upstream
   * returns ENOTCONN.
   */
  send(message: Uint8Array, counter?: RconnPacketCounter): boolean {
    if (!this.isConnected) return false;
    queuedCounter.inc();
    this.#copyToMonitors(message);
    if (counter) {
      counter.nPackets++;
      counter.nBytes += message.length;
    }
    this.#txq.push({ message, counter });
    this.#pumpTx();
    return true;
  }

  /** Like send(), but drops the message when `counter` already has `limit` queued. */
  sendWithLimit(message: Uint8Array, counter: RconnPacketCounter, limit: number): boolean {
    if (counter.nPackets >= limit) {
      overflowCounter.inc();
      return false;
    }
    return this.send(message, counter);
  }

  /** Copies every message sent or received to `vconn` from now on (at most 8 monitors). */
  addMonitor(vconn: Vconn): void {
    if (this.#monitors.length >= MAX_MONITORS) {
      log.dbg(`too many monitor connections, discarding ${vconn.name}`);
      vconn.close();
      return;
    }
    log.info(`new monitor connection from ${vconn.name}`);
    vconn.setRecvAnyVersion();
    vconn.onMessage = () => {};
    this.#monitors.push(vconn);
    vconn.closed.then((error) => {
      const index = this.#monitors.indexOf(vconn);
      if (index < 0) return;
      log.dbg(`${this.#name}: closing monitor connection to ${vconn.name}: ${error.message}`);
      this.#monitors.splice(index, 1);
    });
  }

  #copyToMonitors(message: Uint8Array): void {
    for (const monitor of [...this.#monitors]) {
      try {
        monitor.send(message.slice());
      } catch {
        // Its `closed` handler removes it.
      }
    }
  }

  #setTarget(target: string, name: string | undefined): void {
    this.#name = name ?? target;
    this.#target = target;
  }

  #disconnectQuietly(): void {
    if (this.#state === "VOID") return;
    this.#generation++;
    this.#vconn?.close();
    this.#vconn = undefined;
    this.#setTarget("void", undefined);
    this.#reliable = false;
    this.#backoff = 0;
    this.#backoffDeadline = Number.NEGATIVE_INFINITY;
    this.#transition("VOID");
  }

  #loggingAttempts(): boolean {
    return this.#backoff < this.#maxBackoff;
  }

  #reconnect(): void {
    if (this.#loggingAttempts()) log.info(`${this.#name}: connecting...`);
    const generation = ++this.#generation;
    const target = this.#target;
    const opening = Vconn.open(target, {
      allowedVersions: this.#allowedVersions,
      answerEcho: false,
    });
    if (targetNeedsProbes(target)) {
      // A TCP connect completes later: upstream is already CONNECTING while it does.
      this.#backoffDeadline = timeMsec() + this.#backoff;
      this.#transition("CONNECTING");
    }
    opening.then(
      (vconn) => {
        if (generation !== this.#generation) {
          vconn.close();
          return;
        }
        if (this.#state !== "CONNECTING") {
          this.#backoffDeadline = timeMsec() + this.#backoff;
          this.#transition("CONNECTING");
        }
        this.#awaitHello(vconn, generation);
      },
      (error: VconnError) => {
        if (generation !== this.#generation) return;
        if (this.#state === "CONNECTING") {
          this.#connectFailed(error);
          return;
        }
        log.warn(`${this.#name}: connection failed (${error.message})`);
        this.#backoffDeadline = Number.POSITIVE_INFINITY;
        this.#disconnect(error);
      },
    );
  }

  #connectFailed(error: VconnError): void {
    if (this.#loggingAttempts()) log.info(`${this.#name}: connection failed (${error.message})`);
    this.#disconnect(error);
  }

  #awaitHello(vconn: Vconn, generation: number): void {
    this.#vconn = vconn;
    vconn.connect().then(
      () => {
        if (generation !== this.#generation) return;
        if (this.#reliable) log.info(`${this.#name}: connected`);
        else log.dbg(`${this.#name}: connected`);
        this.#version = vconn.version;
        this.#transition("ACTIVE");
        this.#lastConnected = this.#stateEntered;
        vconn.closed.then((error) => {
          if (generation !== this.#generation || !isConnectedState(this.#state)) return;
          this.#reportError(error);
          this.#disconnect(error);
        });
        // The owner resets its per-session state in onConnect: that must come before the
        // messages that arrived with the hello (a peer that does not wait, such as ovs-ofctl
        // sending NXT_FLOW_MOD_TABLE_ID and then a flow-mod), or it would undo them.
        this.onConnect();
        vconn.onMessage = (message) => this.#receive(message);
        for (let m = vconn.tryRecv(); m; m = vconn.tryRecv()) this.#receive(m);
      },
      (error: VconnError) => {
        if (generation !== this.#generation) return;
        this.#connectFailed(error);
      },
    );
  }

  #receive(message: Uint8Array): void {
    if (!isConnectedState(this.#state)) return;
    this.#copyToMonitors(message);
    const now = timeMsec();
    if (
      this.#probablyAdmitted || isAdmittedMessage(message) || now - this.#lastConnected >= 30000
    ) {
      this.#probablyAdmitted = true;
      this.#lastAdmitted = now;
    }
    this.#lastActivity = now;
    if (this.#state === "IDLE") this.#transition("ACTIVE");
    if (this.#answerEcho && readHeader(message).type === OFPT_ECHO_REQUEST) {
      this.send(encodeEchoReply(message));
      return;
    }
    this.onMessage(message);
  }

  async #pumpTx(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#txq.length > 0 && isConnectedState(this.#state) && this.#vconn) {
        const vconn = this.#vconn;
        if (vconn.backlog >= VCONN_HIGH_WATER) {
          await vconn.flush();
          continue;
        }
        const item = this.#txq.shift()!;
        try {
          vconn.send(item.message);
        } catch (error) {
          this.#txq.unshift(item);
          if (error instanceof VconnError && isConnectedState(this.#state)) {
            this.#reportError(error);
            this.#disconnect(error);
          }
          return;
        }
        sentCounter.inc();
        if (item.counter) {
          item.counter.nPackets--;
          item.counter.nBytes -= item.message.length;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  #reportError(error: VconnError): void {
    if (error.code === "EOF") {
      const text = `${this.#name}: connection closed by peer`;
      if (this.#reliable) log.info(text);
      else log.dbg(text);
    } else {
      log.warn(`${this.#name}: connection dropped (${error.message})`);
    }
  }

  #disconnect(error: VconnError | undefined): void {
    this.#lastError = error?.message;
    this.#generation++;
    this.#vconn?.close();
    this.#vconn = undefined;
    const now = timeMsec();
    if (this.#reliable) {
      if (
        this.#state === "CONNECTING" || this.#state === "ACTIVE" || this.#state === "IDLE"
      ) {
        this.#lastDisconnected = now;
        this.#flushQueue();
      }
      if (now >= this.#backoffDeadline) {
        this.#backoff = 1000;
      } else if (this.#backoff < this.#maxBackoff / 2) {
        this.#backoff = Math.max(1000, 2 * this.#backoff);
        log.info(
          `${this.#name}: waiting ${Math.floor(this.#backoff / 1000)} seconds before reconnect`,
        );
      } else {
        if (this.#loggingAttempts()) {
          log.info(
            `${this.#name}: continuing to retry connections in the background but suppressing further logging`,
          );
        }
        this.#backoff = this.#maxBackoff;
      }
      this.#backoffDeadline = now + this.#backoff;
      this.#transition("BACKOFF");
    } else {
      this.#lastDisconnected = now;
      this.#flushQueue();
      this.#transition("DISCONNECTED");
    }
  }

  #flushQueue(): void {
    for (const item of this.#txq) {
      if (item.counter) {
        item.counter.nPackets--;
        item.counter.nBytes -= item.message.length;
      }
      discardedCounter.inc();
    }
    this.#txq = [];
  }

  #transition(state: RconnState): void {
    const wasConnected = isConnectedState(this.#state);
    const nowConnected = isConnectedState(state);
    if (wasConnected !== nowConnected) this.#seqno++;
    if (nowConnected && !wasConnected) this.#probablyAdmitted = false;
    log.dbg(`${this.#name}: entering ${state}`);
    this.#state = state;
    this.#stateEntered = timeMsec();
    this.#schedule();
    if (wasConnected && !nowConnected) this.onDisconnect();
  }

  /** Milliseconds after entering the current state when something is due (upstream's timeout). */
  #timeout(): number {
    switch (this.#state) {
      case "VOID":
      case "DISCONNECTED":
        return Number.POSITIVE_INFINITY;
      case "BACKOFF":
        return this.#backoff;
      case "CONNECTING":
        return Math.max(1000, this.#backoff);
      case "ACTIVE":
        if (!this.#probeInterval) return Number.POSITIVE_INFINITY;
        return Math.max(this.#lastActivity, this.#stateEntered) + this.#probeInterval * 1000 -
          this.#stateEntered;
      case "IDLE":
        return this.#probeInterval ? this.#probeInterval * 1000 : Number.POSITIVE_INFINITY;
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    this.#timer = undefined;
    if (this.#destroyed) return;
    const deadline = this.#stateEntered + this.#timeout();
    if (Number.isFinite(deadline)) this.#timer = setTimerAt(deadline, () => this.#run());
  }

  #run(): void {
    this.#timer = undefined;
    const now = timeMsec();
    if (now < this.#stateEntered + this.#timeout()) {
      this.#schedule();
      return;
    }
    switch (this.#state) {
      case "BACKOFF":
        this.#reconnect();
        break;
      case "CONNECTING":
        if (this.#loggingAttempts()) log.info(`${this.#name}: connection timed out`);
        this.#backoffDeadline = Number.POSITIVE_INFINITY;
        this.#disconnect(new VconnError("ETIMEDOUT"));
        break;
      case "ACTIVE": {
        const base = Math.max(this.#lastActivity, this.#stateEntered);
        log.dbg(
          `${this.#name}: idle ${
            Math.floor((now - base) / 1000)
          } seconds, sending inactivity probe`,
        );
        this.#transition("IDLE");
        this.send(encodeEchoRequest(this.#version));
        break;
      }
      case "IDLE":
        log.err(
          `${this.#name}: no response to inactivity probe after ${
            Math.floor((now - this.#stateEntered) / 1000)
          } seconds, disconnecting`,
        );
        this.#disconnect(new VconnError("ETIMEDOUT"));
        break;
      default:
        this.#schedule();
    }
  }
}
