// The state one ovs-ofctl run shares between its commands, and the connection plumbing they are
// built from (upstream's open_vconn, dump_transaction, transact_noreply, the port and table name
// maps, try_set_protocol and friends). Every message is built with the process-wide xid counter
// in the same order as upstream's tool builds them (a map fetch opens its own connection, a
// protocol change sends its own message and barrier), so the xids printed are upstream's.
// Output goes through the injected writer; failures are OfctlFatal with upstream's wording.

import { ovsRundir } from "../../net/dirs.ts";
import { vlogModule } from "../../net/vlog.ts";
import { OfpError } from "../errors.ts";
import { encodeEmpty } from "../msg/hello.ts";
import {
  decodeFeaturesReply,
  decodeGetConfigReply,
  encodeSetConfig,
  featuresReplyHasPorts,
  type SwitchConfig,
} from "../msg/switch.ts";
import { encodePortDescRequest, type PhyPort, pullPhyPorts } from "../msg/port.ts";
import { ofpToString, type PrintOptions } from "../msg/print.ts";
import {
  encodeSetProtocol,
  FLOW_DUMP_PROTOCOLS,
  protocolFromVersion,
  protocolsToString,
} from "../msg/protocol.ts";
import { decodeTableStatsReply } from "../msg/table_stats.ts";
import { decodeTableFeatures, encodeTableFeaturesRequest } from "../msg/table.ts";
import { allocXid, isStatRequest, multipartMore, pullRaw, statsReplyRaw } from "../msg/raw.ts";
import { parsePort, PortMap } from "../port_text.ts";
import type { TableNames } from "../msg/ports.ts";
import type { Protocols } from "../protocols.ts";
import { WireReader } from "../wire.ts";
import { Vconn } from "../vconn.ts";
import { VconnError } from "../vconn_error.ts";
import { isVconnName } from "../vconn.ts";
import { messageXid, OFP13_VERSION } from "../vconn_wire.ts";
import {
  acceptNames,
  allowedVersions,
  type OfctlConfig,
  OfctlExit,
  OfctlFatal,
  showNames,
} from "./config.ts";

const log = vlogModule("ofctl");

/** Where a tool's text goes: stdout and stderr, injected by cmd/. */
export interface OfctlIo {
  out(text: string): void;
  /** Raw bytes to standard output (compose-packet --pcap). */
  outBytes(data: Uint8Array): void;
  err(text: string): void;
  /** The bytes of file `name`, or of standard input for "-" (rejects with the OS error). */
  readInput(name: string): Promise<Uint8Array>;
}

export type OpenTarget = "mgmt" | "snoop";

/** A table name map (upstream's ofputil_table_map). */
export class TableMap implements TableNames {
  readonly #names = new PortMap();
  put(table: number, name: string): void {
    this.#names.put(table, name);
  }
  nameOf(table: number): string | undefined {
    return this.#names.nameOf(table);
  }
  numberOf(name: string): number | undefined {
    return this.#names.numberOf(name);
  }
}

/**
 * Runs an encoder that, like upstream's, refuses a version by dying ("insert-bucket needs
 * OpenFlow 1.5 or later ..."): its TypeError becomes the fatal error.
 */
export function encodeOrDie<T>(encode: () => T): T {
  try {
    return encode();
  } catch (error) {
    if (error instanceof TypeError && /needs OpenFlow/.test(error.message)) {
      throw new OfctlFatal(error.message);
    }
    throw error;
  }
}

/** "talking to X (reason)" and friends: a VconnError in a command becomes a fatal error. */
export async function run<T>(promise: Promise<T>, what: string): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof VconnError) throw new OfctlFatal(`${what} (${error.message})`);
    throw error;
  }
}

export class OfctlSession {
  readonly #portMaps = new Map<string, PortMap>();
  readonly #tableMaps = new Map<string, TableMap>();

  constructor(readonly config: OfctlConfig, public io: OfctlIo) {}

  // ---- Connections -----------------------------------------------------------------------

  async #openSocket(path: string, target: OpenTarget): Promise<Vconn | undefined> {
    try {
      return await Vconn.open(`unix:${path}`, this.#vconnOptions(target));
    } catch (error) {
      if (error instanceof VconnError && error.code === "ENOENT") return undefined;
      if (error instanceof VconnError) {
        throw new OfctlFatal(`${path}: failed to open socket (${error.message})`);
      }
      throw error;
    }
  }

  #vconnOptions(target: OpenTarget) {
    return {
      allowedVersions: allowedVersions(this.config),
      answerEcho: false,
      recvAnyVersion: target === "snoop",
      readAfterWrite: true,
    };
  }

  /**
   * Connects to a switch named as ovs-ofctl takes it: a vconn name, a socket path, or a bridge
   * (`$OVS_RUNDIR/NAME.mgmt`), and negotiates. Returns the connection and its protocol.
   */
  async openVconn(
    name: string,
    target: OpenTarget = "mgmt",
  ): Promise<{ vconn: Vconn; protocol: Protocols }> {
    const suffix = target === "mgmt" ? "mgmt" : "snoop";
    const rundir = ovsRundir();
    const at = name.indexOf("@");
    const datapathName = at < 0 ? name : name.slice(at + 1);
    let vconn: Vconn | undefined;
    if (name.includes(":")) {
      vconn = await run(Vconn.open(name, this.#vconnOptions(target)), `connecting to ${name}`);
    } else {
      vconn = await this.#openSocket(name, target) ??
        await this.#openSocket(`${rundir}/${name}.${suffix}`, target) ??
        await this.#openSocket(`${rundir}/${datapathName}.${suffix}`, target);
      if (!vconn) throw new OfctlFatal(`${name} is not a bridge or a socket`);
    }
    log.dbg(`connecting to ${vconn.name}`);
    try {
      await vconn.connect();
    } catch (error) {
      if (error instanceof VconnError) {
        throw new OfctlFatal(`${name}: failed to connect to socket (${error.message})`);
      }
      throw error;
    }
    const protocol = protocolFromVersion(vconn.version);
    if (!protocol) {
      throw new OfctlFatal(
        `${name}: unsupported OpenFlow version 0x${vconn.version.toString(16).padStart(2, "0")}`,
      );
    }
    return { vconn, protocol };
  }

  // ---- Name maps -------------------------------------------------------------------------

  /** Whether `name` is one that name maps can be fetched from (an active vconn or a bridge). */
  #mappable(name: string): boolean {
    return !name.includes(":") || isVconnName(name);
  }

  async portMap(name: string): Promise<PortMap> {
    const cached = this.#portMaps.get(name);
    if (cached) return cached;
    const map = new PortMap();
    this.#portMaps.set(name, map);
    if (this.#mappable(name)) {
      const { vconn } = await this.openVconn(name);
      for await (const port of this.ports(vconn)) map.put(port.portNo, port.name);
      vconn.close();
    }
    return map;
  }

  async tableMap(name: string): Promise<TableMap> {
    const cached = this.#tableMaps.get(name);
    if (cached) return cached;
    const map = new TableMap();
    this.#tableMaps.set(name, map);
    if (this.#mappable(name)) {
      const { vconn } = await this.openVconn(name);
      for await (const table of this.tables(vconn)) {
        if (table.name) map.put(table.tableId, table.name);
      }
      vconn.close();
    }
    return map;
  }

  portsToAccept(name: string): Promise<PortMap | undefined> {
    return acceptNames(this.config) ? this.portMap(name) : Promise.resolve(undefined);
  }

  portsToShow(name: string): Promise<PortMap | undefined> {
    return showNames(this.config) ? this.portMap(name) : Promise.resolve(undefined);
  }

  tablesToAccept(name: string): Promise<TableMap | undefined> {
    return acceptNames(this.config) ? this.tableMap(name) : Promise.resolve(undefined);
  }

  tablesToShow(name: string): Promise<TableMap | undefined> {
    return showNames(this.config) ? this.tableMap(name) : Promise.resolve(undefined);
  }

  /** Print options with the names to show for `name`. */
  async showOptions(name: string, verbosity: number): Promise<PrintOptions> {
    const options: PrintOptions = { verbosity };
    const ports = await this.portsToShow(name);
    const tables = await this.tablesToShow(name);
    if (ports) options.portNames = ports;
    if (tables) options.tableNames = tables;
    return options;
  }

  /** The port numbered or named `portName` on `vconnName` (str_to_port_no). */
  async portNumber(vconnName: string, portName: string): Promise<number> {
    const direct = parsePort(portName);
    if (direct !== undefined) return direct;
    const map = await this.portsToAccept(vconnName);
    const named = map ? parsePort(portName, map) : undefined;
    if (named !== undefined) return named;
    throw new OfctlFatal(`${vconnName}: unknown port \`${portName}'`);
  }

  // ---- Iterators over a switch's ports and tables ----------------------------------------

  /** Every port of the switch (upstream's port_iterator): features reply or port desc. */
  async *ports(vconn: Vconn): AsyncGenerator<PhyPort> {
    const version = vconn.version;
    if (version < OFP13_VERSION) {
      const request = encodeEmpty("OFPT_FEATURES_REQUEST", version, allocXid());
      const reply = await run(vconn.transact(request), `talking to ${vconn.name}`);
      if (!isType(reply, "FEATURES_REPLY")) {
        throw new OfctlFatal(`${vconn.name}: received bad features reply`);
      }
      if (featuresReplyHasPorts(reply)) {
        let ports: PhyPort[];
        try {
          ports = decodeFeaturesReply(reply).ports;
        } catch (error) {
          if (!(error instanceof OfpError)) throw error;
          throw new OfctlFatal(
            `${vconn.name}: failed to decode features reply (${error.errorName})`,
          );
        }
        yield* ports;
        return;
      }
    }
    const request = encodePortDescRequest(version, 0xffff, allocXid());
    const xid = messageXid(request);
    await run(vconn.sendBlock(request), "failed to send packet to switch");
    for (let more = true; more;) {
      let reply: Uint8Array;
      do {
        reply = await run(vconn.recv(), "OpenFlow receive failed");
      } while (messageXid(reply) !== xid);
      let ports: PhyPort[];
      try {
        const raw = pullRaw(reply);
        if (raw.info.type !== "PORT_DESC_STATS_REPLY") throw new OfpError("OFPBRC_BAD_TYPE");
        ports = pullPhyPorts(version, new WireReader(reply, raw.bodyOffset));
      } catch (error) {
        if (!(error instanceof OfpError)) throw error;
        throw new OfctlFatal(`received bad reply: ${ofpToString(reply, { verbosity: 1 })}`);
      }
      more = multipartMore(reply);
      yield* ports;
    }
  }

  /** Every table's id and name (upstream's table_iterator): table stats or table features. */
  async *tables(vconn: Vconn): AsyncGenerator<{ tableId: number; name: string }> {
    const version = vconn.version;
    const stats = version < OFP13_VERSION;
    const xid = allocXid();
    const request = stats
      ? encodeEmpty("OFPST_TABLE_REQUEST", version, xid)
      : encodeTableFeaturesRequest(version, xid);
    await run(vconn.sendBlock(request), "failed to send packet to switch");
    for (let more = true; more;) {
      let reply: Uint8Array;
      do {
        reply = await run(vconn.recv(), "OpenFlow receive failed");
      } while (messageXid(reply) !== xid);
      let tables: { tableId: number; name: string }[];
      try {
        const type = pullRaw(reply).info.type;
        if (type !== (stats ? "TABLE_STATS_REPLY" : "TABLE_FEATURES_STATS_REPLY")) {
          throw new OfpError("OFPBRC_BAD_TYPE");
        }
        tables = stats
          ? decodeTableStatsReply(reply).map((t) => t.features)
          : tableNamesFromFeatures(reply) ?? decodeTableFeatures(reply);
      } catch (error) {
        if (!(error instanceof OfpError)) throw error;
        throw new OfctlFatal(`received bad reply: ${ofpToString(reply, { verbosity: 1 })}`);
      }
      more = multipartMore(reply);
      yield* tables;
    }
  }

  // ---- Transactions ----------------------------------------------------------------------

  async print(stream: "out" | "err", message: Uint8Array, name: string, verbosity: number) {
    const text = ofpToString(message, await this.showOptions(name, verbosity));
    if (stream === "out") this.io.out(text);
    else this.io.err(text);
  }

  /**
   * Sends `request` and prints its reply or replies (upstream's dump_transaction): every part of
   * a multipart reply, or the one reply of a plain request.
   */
  async dumpTransaction(vconn: Vconn, request: Uint8Array): Promise<void> {
    const verbosity = this.config.verbosity + 1;
    if (!isStatRequest(request[0]!, request[1]!)) {
      const reply = await run(vconn.transact(request), `talking to ${vconn.name}`);
      await this.print("out", reply, vconn.name, verbosity);
      return;
    }
    const xid = messageXid(request);
    const requestInfo = pullRaw(request).info;
    const replyRaw = statsReplyRaw(requestInfo, request[0]!).raw;
    await run(vconn.sendBlock(request), "failed to send packet to switch");
    for (let done = false; !done;) {
      const reply = await run(vconn.recv(), "OpenFlow packet receive failed");
      if (messageXid(reply) !== xid) {
        log.dbg(
          `received reply with xid ${hex8(messageXid(reply))} != expected ${hex8(xid)}`,
        );
        continue;
      }
      await this.print("out", reply, vconn.name, verbosity);
      let raw: string | undefined;
      let type: string | undefined;
      try {
        const info = pullRaw(reply).info;
        raw = info.raw;
        type = info.type;
      } catch (error) {
        if (!(error instanceof OfpError)) throw error;
      }
      if (type === "ERROR") done = true;
      else if (raw === replyRaw) done = !multipartMore(reply);
      else {
        throw new OfctlFatal(
          `received bad reply: ${
            ofpToString(reply, await this.showOptions(vconn.name, verbosity))
          }`,
        );
      }
    }
  }

  /** Opens `name`, sends the empty request `raw`, prints the reply (dump_trivial_transaction). */
  async dumpTrivialTransaction(name: string, raw: string): Promise<void> {
    const { vconn } = await this.openVconn(name);
    await this.dumpTransaction(vconn, encodeEmpty(raw, vconn.version, allocXid()));
    vconn.close();
  }

  /**
   * Sends requests that answer only on error, each followed by a barrier; on an error prints it
   * to stderr and exits 1 (transact_multiple_noreply).
   */
  async transactNoReply(vconn: Vconn, requests: Uint8Array | Uint8Array[]): Promise<void> {
    const list = Array.isArray(requests) ? requests : [requests];
    const reply = await run(vconn.transactMultipleNoReply(list), `talking to ${vconn.name}`);
    if (reply) {
      await this.print("err", reply, vconn.name, this.config.verbosity + 2);
      throw new OfctlExit(1);
    }
  }

  async fetchSwitchConfig(vconn: Vconn): Promise<SwitchConfig> {
    const request = encodeEmpty("OFPT_GET_CONFIG_REQUEST", vconn.version, allocXid());
    const reply = await run(vconn.transact(request), `talking to ${vconn.name}`);
    if (!isType(reply, "GET_CONFIG_REPLY")) {
      throw new OfctlFatal(`${vconn.name}: bad reply to config request`);
    }
    return decodeGetConfigReply(reply);
  }

  async setSwitchConfig(vconn: Vconn, config: SwitchConfig): Promise<void> {
    await this.transactNoReply(vconn, encodeSetConfig(config, vconn.version, allocXid()));
  }

  // ---- Protocol negotiation --------------------------------------------------------------

  /** Moves the connection to `want` (try_set_protocol); returns the protocol now in effect. */
  async trySetProtocol(
    vconn: Vconn,
    want: Protocols,
    current: Protocols,
  ): Promise<{ ok: boolean; current: Protocols }> {
    let cur = current;
    for (;;) {
      const { message, next } = encodeSetProtocolWithXid(cur, want);
      if (!message) return { ok: cur === want, current: cur };
      const reply = await run(vconn.transactNoReply(message), `talking to ${vconn.name}`);
      if (reply) {
        log.dbg(
          `${vconn.name}: failed to set protocol, switch replied: ${
            ofpToString(reply, { verbosity: 2 })
          }`,
        );
        return { ok: false, current: cur };
      }
      cur = next;
    }
  }

  /** Chooses the best protocol for dumping flows (set_protocol_for_flow_dump). */
  async setProtocolForFlowDump(
    vconn: Vconn,
    current: Protocols,
    usable: Protocols,
  ): Promise<Protocols> {
    const allowed = this.config.allowedProtocols;
    let cur = current;
    for (const p of FLOW_DUMP_PROTOCOLS) {
      if (p & usable & allowed) {
        const result = await this.trySetProtocol(vconn, p, cur);
        cur = result.current;
        if (result.ok) return p;
      }
    }
    const usableText = protocolsToString(usable);
    if (usable & allowed) {
      throw new OfctlFatal(
        `switch does not support any of the usable flow formats (${usableText})`,
      );
    }
    throw new OfctlFatal(
      `none of the usable flow formats (${usableText}) is among the allowed flow formats (${
        protocolsToString(allowed)
      })`,
    );
  }

  /** Opens `name` for a flow table change in a usable protocol (open_vconn_for_flow_mod). */
  async openVconnForFlowMod(
    name: string,
    usable: Protocols,
  ): Promise<{ vconn: Vconn; protocol: Protocols }> {
    const allowed = this.config.allowedProtocols;
    if (!(usable & allowed)) {
      throw new OfctlFatal(
        `none of the usable flow formats (${
          protocolsToString(usable)
        }) is among the allowed flow formats (${protocolsToString(allowed)})`,
      );
    }
    const { vconn, protocol } = await this.openVconn(name);
    if (usable & allowed & protocol) return { vconn, protocol };
    let cur = protocol;
    for (let i = 0; i < 32; i++) {
      const f = (1 << i) >>> 0;
      if (f !== cur && f & usable & allowed) {
        const result = await this.trySetProtocol(vconn, f, cur);
        cur = result.current;
        if (result.ok) return { vconn, protocol: f };
      }
    }
    throw new OfctlFatal(
      `switch does not support any of the usable flow formats (${protocolsToString(usable)})`,
    );
  }
}

/** encodeSetProtocol with an xid taken only when a message is really built, as upstream. */
function encodeSetProtocolWithXid(current: Protocols, want: Protocols) {
  const probe = encodeSetProtocol(current, want, 0);
  if (!probe.message) return probe;
  return encodeSetProtocol(current, want, allocXid());
}

/**
 * The (table, name) pairs of a well-formed table features reply, read straight from each
 * element's fixed header. The name map needs nothing else, and decoding every property of 254
 * tables costs more than a whole command; anything unexpected (undefined) gets the full decoder.
 */
function tableNamesFromFeatures(
  reply: Uint8Array,
): { tableId: number; name: string }[] | undefined {
  const BODY = 16;
  const HEADER = 64;
  const out: { tableId: number; name: string }[] = [];
  const length = (reply[2]! << 8) | reply[3]!;
  if (length !== reply.length) return undefined;
  for (let at = BODY; at < reply.length;) {
    if (reply.length - at < HEADER) return undefined;
    const elementLength = (reply[at]! << 8) | reply[at + 1]!;
    if (elementLength < HEADER || at + elementLength > reply.length) return undefined;
    const nameBytes = reply.subarray(at + 8, at + 40);
    const nul = nameBytes.indexOf(0);
    out.push({
      tableId: reply[at + 2]!,
      name: new TextDecoder().decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul)),
    });
    at += elementLength;
  }
  return out;
}

function isType(message: Uint8Array, type: string): boolean {
  try {
    return pullRaw(message).info.type === type;
  } catch (error) {
    if (error instanceof OfpError) return false;
    throw error;
  }
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}
