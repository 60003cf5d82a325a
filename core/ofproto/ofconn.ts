// One OpenFlow connection of a bridge (upstream's ofconn): the reliable or accepted rconn it
// runs on, whether it is a controller ("primary") or a service connection (ovs-ofctl through the
// management socket), and the per-connection protocol state upstream keeps — role, the
// negotiated protocol with its flow format (NXT_SET_FLOW_FORMAT, the table-id extension),
// packet-in format, controller id, miss_send_len, invalid-TTL reporting, asynchronous message
// configuration, open bundles, and flow monitors. Owns that state and sending on the
// connection; what messages mean is ofconn_handlers.ts's business.

import { vlogModule } from "../net/vlog.ts";
import {
  type AsyncConfig,
  defaultAsyncConfig,
  OAM_PACKET_IN,
  type PacketInFormat,
  ROLE_EQUAL,
  ROLE_SECONDARY,
} from "./msg/connection.ts";
import { protocolFromVersion } from "./msg/protocol.ts";
import { P_NONE, type Protocols } from "./protocols.ts";
import { Rconn, RconnPacketCounter } from "./rconn.ts";

const log = vlogModule("connmgr");

export type OfconnType = "primary" | "service";

/** OFP_DEFAULT_MISS_SEND_LEN. */
export const DEFAULT_MISS_SEND_LEN = 128;
/** Packet-ins queued per connection before new ones are dropped (controller_queue_size). */
export const DEFAULT_PACKET_IN_QUEUE = 100;

/** One message of an open bundle, in the order added. */
export interface BundledMessage {
  message: Uint8Array;
  type: string;
}

export interface OpenBundle {
  id: number;
  flags: number;
  messages: BundledMessage[];
  state: "open" | "closed";
}

export class Ofconn {
  role = ROLE_EQUAL;
  /** P_NONE until the hello exchange settles a version. */
  protocol: Protocols = P_NONE;
  packetInFormat: PacketInFormat = "standard";
  controllerId = 0;
  missSendLen: number;
  invalidTtlToController = false;
  /** Set by OFPT_SET_ASYNC; undefined means the version's default. */
  asyncConfig: AsyncConfig | undefined;
  readonly bundles = new Map<number, OpenBundle>();
  readonly packetInCounter = new RconnPacketCounter();
  packetInQueueSize = DEFAULT_PACKET_IN_QUEUE;
  /** Packet-in rate limiting (controller_rate_limit / burst), 0 for none. */
  rateLimit = 0;
  burstLimit = 0;
  #tokens = 0;
  #lastRefill = 0;
  /**
   * Upstream's ofconn keeps OFPUTIL_P_NONE after the hello exchange until ofconn_get_protocol
   * first runs (an async message is considered, or a flow-mod, packet-out, features request
   * ... is handled); until then the connection counts as wanting table-miss packet-ins, even
   * at OpenFlow 1.3. This mirrors that.
   */
  #protocolSettled = false;
  /** Called when settling the protocol changed wantsPacketInOnMiss(). */
  onWantMissChanged: (() => void) | undefined;
  /** Flow-mods done and not yet logged (ofconn_report_flow_mod), and when to log them. */
  #nAdd = 0;
  #nDelete = 0;
  #nModify = 0;
  #firstOp = -Infinity;
  #lastOp = -Infinity;
  nextOpReport = Infinity;
  #opBackoff = -Infinity;

  constructor(
    readonly rconn: Rconn,
    readonly type: OfconnType,
    readonly target: string,
  ) {
    this.missSendLen = type === "primary" ? DEFAULT_MISS_SEND_LEN : 0;
  }

  get version(): number {
    return this.rconn.version;
  }

  get isConnected(): boolean {
    return this.rconn.isConnected;
  }

  /** Called when a (new) OpenFlow session starts: state goes back to its defaults. */
  reset(): void {
    this.role = ROLE_EQUAL;
    this.protocol = this.rconn.version > 0 ? protocolFromVersion(this.rconn.version) : P_NONE;
    this.packetInFormat = "standard";
    this.controllerId = 0;
    this.missSendLen = this.type === "primary" ? DEFAULT_MISS_SEND_LEN : 0;
    this.invalidTtlToController = false;
    this.asyncConfig = undefined;
    this.bundles.clear();
    this.#protocolSettled = false;
  }

  /** ofconn_report_flow_mod: `command` (OFPFC_*) succeeded on this connection at `now`. */
  reportFlowMod(command: number, now: number): void {
    if (command === 0) this.#nAdd++;
    else if (command === 1 || command === 2) this.#nModify++;
    else this.#nDelete++;
    if (this.nextOpReport === Infinity) {
      this.#firstOp = now;
      this.nextOpReport = Math.max(now + 10 * 1000, this.#opBackoff);
      this.#opBackoff = this.nextOpReport + 60 * 1000;
    }
    this.#lastOp = now;
  }

  /** ofconn_log_flow_mods: "N flow_mods in the last S s (A adds, D deletes, M modifications)". */
  logFlowMods(now: number): void {
    const n = this.#nAdd + this.#nDelete + this.#nModify;
    if (n) {
      const ago = Math.trunc((now - this.#firstOp) / 1000);
      const interval = Math.trunc((this.#lastOp - this.#firstOp) / 1000);
      let text = `${n} flow_mods `;
      if (interval === ago) text += `in the last ${ago} s`;
      else if (interval) text += `in the ${interval} s starting ${ago} s ago`;
      else text += `${ago} s ago`;
      const kinds: string[] = [];
      if (this.#nAdd) kinds.push(`${this.#nAdd} adds`);
      if (this.#nDelete) kinds.push(`${this.#nDelete} deletes`);
      if (this.#nModify) kinds.push(`${this.#nModify} modifications`);
      log.info(`${this.rconn.name}: ${text} (${kinds.join(", ")})`);
      this.#nAdd = this.#nDelete = this.#nModify = 0;
    }
    this.nextOpReport = Infinity;
  }

  /** ofconn_get_protocol's side effect: the negotiated protocol now counts. */
  settleProtocol(): void {
    if (this.#protocolSettled || !this.isConnected || this.version <= 0) return;
    const before = this.wantsPacketInOnMiss();
    this.#protocolSettled = true;
    if (this.wantsPacketInOnMiss() !== before) this.onWantMissChanged?.();
  }

  asyncConfigNow(): AsyncConfig {
    return this.asyncConfig ?? defaultAsyncConfig(this.version > 0 ? this.version : 1);
  }

  /**
   * Whether this connection wants an asynchronous message of `oam` type for `reason`
   * (ofconn_receives_async_msg): service connections only once they set a miss_send_len.
   */
  receivesAsync(oam: number, reason: number): boolean {
    this.settleProtocol();
    if (!this.isConnected || this.protocol === P_NONE) return false;
    if (this.type === "service" && !this.missSendLen) return false;
    const ac = this.asyncConfigNow();
    const masks = this.role === ROLE_SECONDARY ? ac.secondary : ac.primary;
    return ((masks[oam] ?? 0) & (1 << reason)) !== 0;
  }

  /** Whether table misses should produce packet-ins for this connection (OpenFlow < 1.3). */
  wantsPacketInOnMiss(): boolean {
    // Upstream has an ofconn only while its session is up (an active target's is created on
    // connecting and destroyed on disconnecting), so one not connected counts for nothing.
    if (this.controllerId !== 0 || !this.isConnected) return false;
    if (!this.#protocolSettled) return true;
    return this.protocol === P_NONE || this.version < 0x04;
  }

  send(message: Uint8Array): void {
    this.rconn.send(message);
  }

  /** Sends a packet-in, honouring the rate limit and the queue bound. */
  sendPacketIn(message: Uint8Array, now: number): void {
    if (this.rateLimit > 0) {
      const elapsed = Math.max(0, now - this.#lastRefill) / 1000;
      this.#lastRefill = now;
      const burst = this.burstLimit || Math.max(1, Math.floor(this.rateLimit / 4));
      this.#tokens = Math.min(burst, this.#tokens + elapsed * this.rateLimit);
      if (this.#tokens < 1) return;
      this.#tokens -= 1;
    }
    if (!this.rconn.sendWithLimit(message, this.packetInCounter, this.packetInQueueSize)) {
      log.info(`${this.rconn.name}: dropping packet-in due to queue overflow`);
    }
  }

  setRateLimit(rate: number, burst: number): void {
    this.rateLimit = rate > 0 ? Math.max(100, rate) : 0;
    this.burstLimit = burst > 0 ? Math.max(1, burst) : 0;
    this.#tokens = this.burstLimit || this.rateLimit / 4;
  }

  static wantsMissOnAny(conns: Iterable<Ofconn>): boolean {
    for (const c of conns) if (c.wantsPacketInOnMiss()) return true;
    return false;
  }
}

export { OAM_PACKET_IN };
