// The reconnection state machine Open vSwitch uses for every long-lived connection (OVSDB
// clients, OpenFlow controllers): exponential backoff between attempts (1 s doubling to 8 s by
// default), inactivity probes (after 5 s idle by default, disconnect after another interval
// without an answer), and passive listening. Pure: it is told the time and events, and answers
// what to do next; it performs no I/O and owns no timers. Log messages follow upstream's wording
// so that logs read the same.

import { formatG } from "./printf.ts";
import { vlogModule } from "./vlog.ts";

const log = vlogModule("reconnect");

export const DEFAULT_MIN_BACKOFF = 1000;
export const DEFAULT_MAX_BACKOFF = 8000;
export const DEFAULT_PROBE_INTERVAL = 5000;

export type ReconnectState =
  | "VOID"
  | "BACKOFF"
  | "CONNECTING"
  | "ACTIVE"
  | "IDLE"
  | "RECONNECT"
  | "LISTENING";

/** What the owner should do now. */
export type ReconnectAction = "connect" | "disconnect" | "probe" | undefined;

/** An error for `disconnected`: "eof" for a clean close by the peer, a reason text otherwise. */
export type DisconnectReason = "eof" | string | undefined;

function isConnected(state: ReconnectState): boolean {
  return state === "ACTIVE" || state === "IDLE";
}

export class Reconnect {
  name = "void";
  minBackoff = DEFAULT_MIN_BACKOFF;
  maxBackoff = DEFAULT_MAX_BACKOFF;
  probeInterval = DEFAULT_PROBE_INTERVAL;
  passive = false;
  /** Logs informational messages at INFO (the default) or DBG. */
  quiet = false;

  state: ReconnectState = "VOID";
  stateEntered: number;
  backoff = 0;
  lastActivity: number;
  lastConnected = Number.POSITIVE_INFINITY;
  lastDisconnected = Number.POSITIVE_INFINITY;
  lastReceiveAttempt: number;
  maxTries = Number.POSITIVE_INFINITY;
  backoffFreeTries = 0;
  attemptedConnections = 0;
  successfulConnections = 0;
  totalConnectedDuration = 0;
  /** Changes each time the connection comes up or goes down. */
  seqno = 0;

  constructor(now: number) {
    this.stateEntered = now;
    this.lastActivity = now;
    this.lastReceiveAttempt = now;
  }

  #info(message: string): void {
    if (this.quiet) log.dbg(message);
    else log.info(message);
  }

  /** Sets the backoff bounds; a min below 1 s is raised to 1 s as upstream does. */
  setBackoff(minBackoff: number, maxBackoff: number): void {
    this.minBackoff = Math.max(minBackoff, 1000);
    this.maxBackoff = maxBackoff ? Math.max(maxBackoff, 1000) : DEFAULT_MAX_BACKOFF;
    if (this.minBackoff > this.maxBackoff) this.maxBackoff = this.minBackoff;
    if (this.state === "BACKOFF" && this.backoff > this.maxBackoff) this.backoff = this.maxBackoff;
  }

  /** 0 disables probing; other values below 1 s become 1 s. */
  setProbeInterval(interval: number): void {
    this.probeInterval = interval ? Math.max(1000, interval) : 0;
  }

  setMaxTries(tries: number): void {
    this.maxTries = tries;
  }

  #mayRetry(): boolean {
    if (this.maxTries > 0) {
      this.maxTries--;
      return true;
    }
    return false;
  }

  setPassive(passive: boolean, now: number): void {
    if (this.passive === passive) return;
    this.passive = passive;
    const restart = passive
      ? this.state === "CONNECTING" || this.state === "RECONNECT"
      : this.state === "LISTENING" && this.#mayRetry();
    if (restart) {
      this.#transition(now, "BACKOFF");
      this.backoff = 0;
    }
  }

  isEnabled(): boolean {
    return this.state !== "VOID";
  }

  enable(now: number): void {
    if (this.state === "VOID" && this.#mayRetry()) {
      this.#transition(now, "BACKOFF");
      this.backoff = 0;
    }
  }

  disable(now: number): void {
    if (this.state !== "VOID") this.#transition(now, "VOID");
  }

  forceReconnect(now: number): void {
    if (this.state === "CONNECTING" || isConnected(this.state)) {
      this.#transition(now, "RECONNECT");
    }
  }

  /** The connection (or attempt) ended; chooses the next backoff. */
  disconnected(now: number, reason: DisconnectReason): void {
    if (this.state === "BACKOFF" || this.state === "VOID") return;
    if (isConnected(this.state)) {
      if (reason !== undefined && reason !== "eof") {
        log.warn(`${this.name}: connection dropped (${reason})`);
      } else if (reason === "eof") this.#info(`${this.name}: connection closed by peer`);
      else this.#info(`${this.name}: connection dropped`);
    } else if (this.state === "LISTENING") {
      if (reason !== undefined && reason !== "eof") {
        log.warn(`${this.name}: error listening for connections (${reason})`);
      } else this.#info(`${this.name}: error listening for connections`);
    } else if (this.backoff < this.maxBackoff) {
      const type = this.passive ? "listen" : "connection";
      if (reason !== undefined && reason !== "eof") {
        log.info(`${this.name}: ${type} attempt failed (${reason})`);
      } else this.#info(`${this.name}: ${type} attempt timed out`);
    }

    if (isConnected(this.state)) this.lastDisconnected = now;
    if (!this.#mayRetry()) {
      this.#transition(now, "VOID");
      return;
    }

    if (this.backoffFreeTries > 1) {
      this.backoffFreeTries--;
      this.backoff = 0;
    } else if (
      isConnected(this.state) &&
      (this.lastActivity - this.lastConnected >= this.backoff || this.passive)
    ) {
      this.backoff = this.passive ? 0 : this.minBackoff;
    } else if (this.backoff < this.minBackoff) {
      this.backoff = this.minBackoff;
    } else if (this.backoff < this.maxBackoff / 2) {
      this.backoff *= 2;
      this.#info(
        `${this.name}: waiting ${formatG(this.backoff / 1000, 3)} seconds before ${
          this.passive ? "trying to listen again" : "reconnect"
        }`,
      );
    } else {
      if (this.backoff < this.maxBackoff) {
        log.info(
          `${this.name}: continuing to ${
            this.passive ? "try to listen" : "reconnect"
          } in the background but suppressing further logging`,
        );
      }
      this.backoff = this.maxBackoff;
    }
    this.#transition(now, "BACKOFF");
  }

  connecting(now: number): void {
    if (this.state === "CONNECTING") return;
    if (this.passive) this.#info(`${this.name}: listening...`);
    else if (this.backoff < this.maxBackoff) this.#info(`${this.name}: connecting...`);
    this.#transition(now, "CONNECTING");
  }

  listening(now: number): void {
    if (this.state === "LISTENING") return;
    this.#info(`${this.name}: listening...`);
    this.#transition(now, "LISTENING");
  }

  listenError(now: number, reason: string): void {
    if (this.state === "LISTENING") this.disconnected(now, reason);
  }

  connected(now: number): void {
    if (isConnected(this.state)) return;
    this.connecting(now);
    this.#info(`${this.name}: connected`);
    this.#transition(now, "ACTIVE");
    this.lastConnected = now;
  }

  connectFailed(now: number, reason: string): void {
    this.connecting(now);
    this.disconnected(now, reason);
  }

  /** Something arrived from the peer: the connection is alive. */
  activity(now: number): void {
    if (this.state === "IDLE") this.#transition(now, "ACTIVE");
    this.lastActivity = now;
  }

  receiveAttempted(now: number): void {
    this.lastReceiveAttempt = now;
  }

  #transition(now: number, state: ReconnectState): void {
    if (this.state === "CONNECTING") {
      this.attemptedConnections++;
      if (state === "ACTIVE") this.successfulConnections++;
    }
    if (isConnected(this.state) !== isConnected(state)) {
      if (isConnected(this.state)) this.totalConnectedDuration += now - this.lastConnected;
      this.seqno++;
    }
    log.dbg(`${this.name}: entering ${state}`);
    this.state = state;
    this.stateEntered = now;
  }

  /** When something next needs doing, or +Infinity. */
  deadline(now: number): number {
    switch (this.state) {
      case "VOID":
      case "LISTENING":
        return Number.POSITIVE_INFINITY;
      case "BACKOFF":
        return this.stateEntered + this.backoff;
      case "CONNECTING":
        return this.stateEntered + Math.max(1000, this.backoff);
      case "ACTIVE":
      case "IDLE": {
        if (!this.probeInterval) return Number.POSITIVE_INFINITY;
        const base = this.state === "ACTIVE"
          ? Math.max(this.lastActivity, this.stateEntered)
          : this.stateEntered;
        const expiration = base + this.probeInterval;
        return now < expiration || this.lastReceiveAttempt >= expiration ? expiration : now + 1;
      }
      case "RECONNECT":
        return this.stateEntered;
    }
  }

  /** Milliseconds until `run` has something to do, or undefined for never. */
  timeout(now: number): number | undefined {
    const deadline = this.deadline(now);
    return Number.isFinite(deadline) ? Math.max(0, deadline - now) : undefined;
  }

  /** Advances the machine to `now` and says what the owner must do. */
  run(now: number): ReconnectAction {
    if (now < this.deadline(now)) return undefined;
    switch (this.state) {
      case "VOID":
      case "LISTENING":
        return undefined;
      case "BACKOFF":
        return "connect";
      case "CONNECTING":
        return "disconnect";
      case "ACTIVE":
        log.dbg(
          `${this.name}: idle ${
            now - Math.max(this.lastActivity, this.stateEntered)
          } ms, sending inactivity probe`,
        );
        this.#transition(now, "IDLE");
        return "probe";
      case "IDLE":
        log.err(
          `${this.name}: no response to inactivity probe after ${
            formatG((now - this.stateEntered) / 1000, 3)
          } seconds, disconnecting`,
        );
        return "disconnect";
      case "RECONNECT":
        return "disconnect";
    }
  }

  isConnected(): boolean {
    return isConnected(this.state);
  }
}
