// One switch under ovs-testcontroller's control (upstream's lib/learning-switch.c): the
// handshake (features request, set-config with the default miss_send_len, a table-miss flow to
// the controller from OpenFlow 1.3 on, the --with-flows flows after moving the connection to a
// protocol able to carry them), then per packet-in: learn the source MAC's port, choose the
// output (known port, flood, drop, or NORMAL), and send a flow mod and/or a packet-out, honouring
// the switch's buffer id and per-port queues. Echo requests are answered here, not by the
// connection, so that a muted switch answers nothing at all (upstream's lswitch_config.mute,
// which upstream's own ovs-testcontroller never manages to turn on: see cmd/testcontroller.ts).
//
// Messages come in through handleConnect()/handleMessage() and go out through the SwitchLink it
// was given (an Rconn, or a fake in tests); nothing here opens sockets or keeps timers. Time for
// MAC aging comes from core/net/timeval.ts. Log lines and their levels are upstream's, in module
// learning_switch. Malformed messages are logged and dropped, never thrown.

import { extractFlow } from "../datapath/flow_extract.ts";
import { FLOW_WORDS, W_DL_DST, W_DL_SRC, W_IN_PORT } from "../datapath/flow.ts";
import { Packet } from "../datapath/packet.ts";
import { timeMsec } from "../net/timeval.ts";
import { RateLimit, vlogModule } from "../net/vlog.ts";
import { OfpError } from "./errors.ts";
import { OFP13 } from "./fields.ts";
import {
  effectiveWildcards,
  isReservedMac,
  learnedFlowMatch,
  maskFromOfpfw10,
} from "./learning_switch_match.ts";
import { formatMac, macFromWords, MacLearning } from "./mac_learning.ts";
import { Match } from "./match.ts";
import { encodeFlowMod, type FlowMod, OFPFC_ADD } from "./msg/flow_mod.ts";
import { OFPG_ANY } from "./msg/group_stats.ts";
import { encodeEchoReply, encodeEmpty } from "./msg/hello.ts";
import type { Ofpact } from "./msg/ofpacts.ts";
import { decodePacketIn, encodePacketOut, OFPR_NO_MATCH, type PacketOut } from "./msg/packet.ts";
import { OFPP_CONTROLLER, OFPP_FLOOD, OFPP_MAX, OFPP_NONE, OFPP_NORMAL } from "./msg/ports.ts";
import {
  encodeSetProtocol,
  protocolFromVersion,
  protocolToVersion,
  rightmostBit,
} from "./msg/protocol.ts";
import { ofpToString } from "./msg/print.ts";
import { pullRaw } from "./msg/raw.ts";
import { decodeFeaturesReply, encodeSetConfig } from "./msg/switch.ts";
import type { Protocols } from "./protocols.ts";
import { RconnPacketCounter } from "./rconn.ts";
import { allocXid } from "./wire.ts";

const log = vlogModule("learning_switch");
/** Upstream keeps this limit high: these messages help debugging. */
const rl = new RateLimit(30, 300);

/** OFP_DEFAULT_MISS_SEND_LEN. */
export const OFP_DEFAULT_MISS_SEND_LEN = 128;
/** "No queue" and "not buffered" (UINT32_MAX). */
export const LSW_NO_QUEUE = 0xffffffff;
const NO_BUFFER = 0xffffffff;
/** Messages one switch may have waiting in its connection's queue (upstream's queue_tx limit). */
const TX_QUEUE_LIMIT = 10;

/** What to do with packets whose destination is known (upstream's lswitch_mode). */
export type LswitchMode = "normal" | "flood" | "learn";

/** upstream's lswitch_config. */
export interface LswitchConfig {
  /**
   * "learn": MAC learning; "flood": act as a hub; "normal": output known destinations to NORMAL
   * (but, as upstream, nothing is learned in this mode, so it acts as a hub).
   */
  mode: LswitchMode;
  /** 0: exact-match flows; OFPFW10_* bits to wildcard; LSW_DEFAULT_WILDCARDS: L2 only. */
  wildcards: number;
  /** Below 0: install no flows; otherwise their idle timeout (0 = permanent). */
  maxIdle: number;
  /** Flows to add when the switch connects (--with-flows). */
  defaultFlows: readonly FlowMod[];
  /** The protocols able to carry `defaultFlows`. */
  usableProtocols: Protocols;
  /** Queue for output, or LSW_NO_QUEUE. */
  defaultQueue: number;
  /** Port name → queue for packets received on that port (mapped through the features reply). */
  portQueues: ReadonlyMap<string, number>;
  /** Answer nothing the switch sends (for debugging fail-open). */
  mute: boolean;
}

export function defaultLswitchConfig(): LswitchConfig {
  return {
    mode: "learn",
    wildcards: 0,
    maxIdle: 60,
    defaultFlows: [],
    usableProtocols: 0,
    defaultQueue: LSW_NO_QUEUE,
    portQueues: new Map(),
    mute: false,
  };
}

/** The connection a learning switch talks through: what it needs of an Rconn. */
export interface SwitchLink {
  readonly name: string;
  /** The negotiated OpenFlow version (valid once connected). */
  readonly version: number;
  readonly isConnected: boolean;
  /** Queues a message; false when not connected. */
  send(message: Uint8Array): boolean;
  /** Queues a message unless `counter` already holds `limit`; false when dropped. */
  sendWithLimit(message: Uint8Array, counter: RconnPacketCounter, limit: number): boolean;
  /** Drops the connection for good. */
  disconnect(): void;
}

export type LswitchState = "connecting" | "features-reply" | "switching";

/** Shared scratch for flow extraction: packet-ins are handled one at a time. */
const scratchPacket = new Packet();
const scratchFlow = new Uint32Array(FLOW_WORDS);

function hex16(value: bigint): string {
  return value.toString(16).padStart(16, "0");
}

export class LearningSwitch {
  readonly #link: SwitchLink;
  readonly #config: LswitchConfig;
  #state: LswitchState = "connecting";
  #protocol: Protocols = 0;
  #datapathId = 0n;
  readonly #ml: MacLearning<number> | undefined;
  readonly #mask: Uint32Array;
  /** Port numbers (from the features reply) with a queue of their own. */
  readonly #portQueues = new Map<number, number>();
  readonly #namedPorts = new Set<string>();
  readonly #queued = new RconnPacketCounter();

  constructor(link: SwitchLink, config: LswitchConfig) {
    this.#link = link;
    this.#config = config;
    // Upstream learns only in "learn" mode: "normal" then never knows a destination, so it
    // floods everything (through flows) like a hub, and NORMAL is never used.
    this.#ml = config.mode === "learn" ? new MacLearning<number>(timeMsec) : undefined;
    this.#mask = maskFromOfpfw10(effectiveWildcards(config.wildcards));
  }

  get state(): LswitchState {
    return this.#state;
  }

  get datapathId(): bigint {
    return this.#datapathId;
  }

  /** The protocol flow mods and packet-outs are encoded with (after the handshake). */
  get protocol(): Protocols {
    return this.#protocol;
  }

  /** The port `mac` was learned on, if any (for tests and debugging). */
  learnedPort(mac: number): number | undefined {
    return this.#ml?.lookup(mac, 0)?.port;
  }

  /** The connection came up: starts the handshake (once; an accepted connection never returns). */
  handleConnect(): void {
    if (this.#state !== "connecting" || !this.#link.isConnected) return;
    this.#handshake();
    this.#state = "features-reply";
  }

  /** One message from the switch. */
  handleMessage(message: Uint8Array): void {
    this.#ml?.run();
    // A message that beats the connect notification: the handshake still goes first.
    if (this.#state === "connecting") this.handleConnect();
    if (this.#state === "connecting" || this.#config.mute) return;
    let type: string;
    try {
      type = pullRaw(message).info.type;
    } catch (error) {
      if (error instanceof OfpError) return;
      throw error;
    }
    if (this.#state === "features-reply" && type !== "ECHO_REQUEST" && type !== "FEATURES_REPLY") {
      return;
    }
    switch (type) {
      case "ECHO_REQUEST":
        this.#queueTx(encodeEchoReply(message));
        break;
      case "FEATURES_REPLY":
        if (this.#state === "features-reply") {
          if (this.#processFeatures(message)) this.#state = "switching";
          else this.#link.disconnect();
        }
        break;
      case "PACKET_IN":
        this.#processPacketIn(message);
        break;
      case "FLOW_REMOVED":
        break;
      default:
        if (log.isEnabled("dbg")) {
          const text = ofpToString(message, { verbosity: 2 });
          log.rateLimited(
            rl,
            "dbg",
            `${hex16(this.#datapathId)}: OpenFlow packet ignored: ${text}`,
          );
        }
    }
  }

  #handshake(): void {
    const version = this.#link.version;
    this.#queueTx(encodeEmpty("OFPT_FEATURES_REQUEST", version, allocXid()));
    this.#queueTx(
      encodeSetConfig(
        { frag: "normal", invalidTtlToController: false, missSendLen: OFP_DEFAULT_MISS_SEND_LEN },
        version,
        allocXid(),
      ),
    );
    let protocol = protocolFromVersion(version);
    if (version >= OFP13) {
      // From OpenFlow 1.3 a table miss drops: send misses to the controller instead.
      const tableMiss = newFlowMod(Match.catchAll(), 0, [
        { type: "output", port: OFPP_CONTROLLER, maxLen: OFP_DEFAULT_MISS_SEND_LEN },
      ]);
      tableMiss.tableId = 0;
      if (!this.#link.send(encodeFlowMod(tableMiss, protocol, allocXid()))) {
        log.rateLimited(
          rl,
          "info",
          `${this.#link.name}: failed to add default flow (Transport endpoint is not connected)`,
        );
      }
    }
    const flows = this.#config.defaultFlows;
    if (flows.length > 0) {
      const usable = this.#config.usableProtocols;
      let ok = true;
      if (!(protocol & usable)) {
        // Not negotiated: the switch is simply told to use a protocol that works.
        const want = rightmostBit(usable);
        while (ok) {
          const step = encodeSetProtocol(protocol, want, allocXid());
          protocol = step.next;
          if (step.message === undefined) break;
          ok = this.#link.send(step.message);
        }
      }
      if (protocol & usable) {
        for (const fm of flows) {
          if (!ok) break;
          ok = this.#link.send(encodeFlowMod(fm, protocol, allocXid()));
        }
        if (!ok) {
          log.rateLimited(
            rl,
            "info",
            `${this.#link.name}: failed to queue default flows (Transport endpoint is not connected)`,
          );
        }
      } else {
        log.rateLimited(rl, "info", `${this.#link.name}: failed to set usable protocol`);
      }
    }
    this.#protocol = protocol;
  }

  #queueTx(message: Uint8Array): void {
    if (this.#link.sendWithLimit(message, this.#queued, TX_QUEUE_LIMIT)) return;
    if (!this.#link.isConnected) return;
    log.rateLimited(
      rl,
      "info",
      `${hex16(this.#datapathId)}: ${this.#link.name}: tx queue overflow`,
    );
  }

  /** Returns false when the reply does not decode (the connection is then dropped). */
  #processFeatures(message: Uint8Array): boolean {
    let reply;
    try {
      reply = decodeFeaturesReply(message);
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
      log.err(`received invalid switch feature reply (${error.errorName})`);
      return false;
    }
    this.#datapathId = reply.features.datapathId;
    for (const port of reply.ports) {
      const queue = this.#config.portQueues.get(port.name);
      // Each name maps to the first port that has it.
      if (queue === undefined || this.#namedPorts.has(port.name)) continue;
      this.#namedPorts.add(port.name);
      this.#portQueues.set(port.portNo, queue);
    }
    return true;
  }

  /** upstream's lswitch_choose_destination for the flow in scratchFlow. */
  #chooseDestination(inPort: number): number {
    const flow = scratchFlow;
    const src = macFromWords(flow, W_DL_SRC);
    const dst = macFromWords(flow, W_DL_DST);
    const ml = this.#ml;
    if (ml && ml.mayLearn(src, 0)) {
      if (ml.update(src, 0, false, false, inPort)) {
        log.rateLimited(
          rl,
          "dbg",
          `${hex16(this.#datapathId)}: learned that ${formatMac(src)} is on port ${inPort}`,
        );
      }
    }
    if (isReservedMac(dst)) return OFPP_NONE;
    let outPort = OFPP_FLOOD;
    if (ml) {
      const entry = ml.lookup(dst, 0);
      if (entry?.port !== undefined) {
        outPort = entry.port;
        // Never back out of the port it came in on.
        if (outPort === inPort) return OFPP_NONE;
      }
    }
    if (this.#config.mode === "normal" && outPort !== OFPP_FLOOD) return OFPP_NORMAL;
    return outPort;
  }

  #processPacketIn(message: Uint8Array): void {
    let pin;
    try {
      pin = decodePacketIn(message, true);
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
      log.rateLimited(rl, "warn", `failed to decode packet-in: ${error.errorName}`);
      return;
    }
    // Packets sent by an explicit output to the controller belong to someone's experiment.
    if (pin.reason !== OFPR_NO_MATCH) return;

    const inPort = pin.flowMetadata.flow[W_IN_PORT]! & 0xffff;
    scratchPacket.setFrame(pin.packet);
    extractFlow(scratchPacket, scratchFlow);
    scratchFlow[W_IN_PORT] = inPort;

    const outPort = this.#chooseDestination(inPort);
    const queue = this.#portQueues.get(inPort) ?? this.#config.defaultQueue;
    const ofpacts: Ofpact[] = [];
    if (outPort === OFPP_NONE) {
      // Drop: no actions.
    } else if (queue === LSW_NO_QUEUE || outPort >= OFPP_MAX) {
      ofpacts.push({ type: "output", port: outPort, maxLen: 0 });
    } else {
      ofpacts.push({ type: "enqueue", port: outPort, queue });
    }

    const bufferId = pin.bufferId;
    const metadata = new Match();
    metadata.flow[W_IN_PORT] = inPort;
    metadata.mask[W_IN_PORT] = 0xffff;
    const po: PacketOut = {
      packet: bufferId === NO_BUFFER ? pin.packet : new Uint8Array(),
      bufferId,
      flowMetadata: metadata,
      ofpacts,
    };
    const version = protocolToVersion(this.#protocol);

    const maxIdle = this.#config.maxIdle;
    if (maxIdle >= 0 && (!this.#ml || outPort !== OFPP_FLOOD)) {
      // The output is known (or everything floods anyway): a flow handles what follows.
      const fm = newFlowMod(learnedFlowMatch(scratchFlow, this.#mask), 1, ofpacts);
      fm.idleTimeout = maxIdle;
      fm.bufferId = bufferId;
      // Upstream leaves out_group zero here (it matters only to deletes).
      fm.outGroup = 0;
      this.#queueTx(encodeFlowMod(fm, this.#protocol, allocXid()));
      // A buffered packet goes out with the flow; an unbuffered one needs its own packet-out.
      if (bufferId === NO_BUFFER && outPort !== OFPP_NONE) {
        this.#queueTx(encodePacketOut(po, version, allocXid()));
      }
    } else if (bufferId !== NO_BUFFER || outPort !== OFPP_NONE) {
      this.#queueTx(encodePacketOut(po, version, allocXid()));
    }
  }
}

/** An add with upstream's lswitch defaults: table 0xff (the switch chooses), no cookie. */
function newFlowMod(match: Match, priority: number, ofpacts: Ofpact[]): FlowMod {
  return {
    match,
    priority,
    cookie: 0n,
    cookieMask: 0n,
    newCookie: 0n,
    modifyCookie: false,
    tableId: 0xff,
    command: OFPFC_ADD,
    idleTimeout: 0,
    hardTimeout: 0,
    importance: 0,
    bufferId: NO_BUFFER,
    outPort: OFPP_NONE,
    outGroup: OFPG_ANY,
    flags: 0,
    ofpacts,
  };
}
