// A bridge's OpenFlow connections (upstream's connmgr.c and fail-open.c): the management socket
// `punix:$OVS_RUNDIR/<bridge>.mgmt` that ovs-ofctl uses (service connections), the controllers
// the database names (active targets reconnect with backoff; passive ones listen), the fail mode
// (standalone with no controller: ofproto's own `priority=0 actions=NORMAL` flow; standalone with
// controllers that all stay away past the probe interval: a hidden NORMAL flow until one comes
// back; secure: nothing), and the asynchronous messages every connection may want — packet-ins,
// flow-removed, port-status, role-status — each filtered by the connection's async config and
// role. Owns the connections and listeners; message handling is ofconn_handlers.ts's.

import { ovsRundir } from "../net/dirs.ts";
import { timeMsec } from "../net/timeval.ts";
import { vlogModule } from "../net/vlog.ts";
import { Match } from "./match.ts";
import { encodePacketIn, newPacketIn } from "./msg/packet.ts";
import { encodeFlowRemoved } from "./msg/monitor.ts";
import { encodePortStatus, OFPPR_MODIFY, type PhyPort } from "./msg/port.ts";
import {
  encodeRoleStatus,
  OAM_FLOW_REMOVED,
  OAM_PACKET_IN,
  OAM_PORT_STATUS,
  OAM_ROLE_STATUS,
  ROLE_PRIMARY,
  ROLE_SECONDARY,
} from "./msg/connection.ts";
import { MultipartAssembler } from "./msg/multipart.ts";
import { Ofconn } from "./ofconn.ts";
import { handleOpenflow, type SwitchHost } from "./ofconn_handlers.ts";
import { OFPG_ANY, OFPP_ANY } from "./flow_table.ts";
import { OFPFC_ADD, OFPFC_DELETE_STRICT } from "./flow_table.ts";
import { FF_HIDDEN_FIELDS, FF_NO_READONLY, FF_SEND_FLOW_REM, type Rule } from "./rule.ts";
import { Pvconn } from "./pvconn.ts";
import { Rconn } from "./rconn.ts";
import type { PacketInDescription } from "./xlate/packet_in.ts";
import { isPvconnName } from "./pvconn.ts";
import { InBand, type InBandLookups, type InBandRemote } from "./in_band.ts";

const log = vlogModule("connmgr");

/** The priority of fail-open's hidden flow (upstream's FAIL_OPEN_PRIORITY). */
const FAIL_OPEN_PRIORITY = 0xf0f0f0;
const OFPP_NORMAL = 0xfffa;

export type FailMode = "standalone" | "secure";

/** A Controller row, as connmgr needs it. */
export interface ControllerConfig {
  target: string;
  /** Seconds; 0 disables probing. */
  probeInterval: number;
  /** Seconds. */
  maxBackoff: number;
  rateLimit: number;
  burstLimit: number;
  queueSize: number;
  /** Controller:type "primary" (default) or "service". */
  type: "primary" | "service";
  /** Reached through the bridge's own ports (connection_mode in-band, the default). */
  inBand?: boolean;
}

/** What in-band control needs beyond the controllers (bridge_configure_remotes). */
export interface InBandSettings {
  /** Managers reached in band (collect_in_band_managers). */
  extraRemotes: InBandRemote[];
  /** other_config:in-band-queue, or -1. */
  queue: number;
  lookups: InBandLookups;
}

/** What the database's Controller row should say about a target now. */
export interface ControllerStatus {
  isConnected: boolean;
  role: "other" | "master" | "slave";
  status: Map<string, string>;
}

interface Endpoint {
  config: ControllerConfig;
  /** Active targets: one reliable connection. */
  conn: Ofconn | undefined;
  /** Passive targets: the listener and the connections it accepted. */
  listener: Pvconn | undefined;
  accepted: Set<Ofconn>;
}

export class Connmgr {
  readonly #host: SwitchHost;
  readonly #bridge: string;
  readonly #services = new Set<Ofconn>();
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #assemblers = new WeakMap<Ofconn, MultipartAssembler>();
  #mgmt: Pvconn | undefined;
  #failMode: FailMode = "secure";
  #allowedVersions = 0;
  #failOpenActive = false;
  #closed = false;
  #inBand: InBand | undefined;
  #inBandSettings: InBandSettings | undefined;

  constructor(bridge: string, host: SwitchHost) {
    this.#bridge = bridge;
    this.#host = host;
  }

  /** Opens the management socket (always there, as upstream's). */
  start(): void {
    const name = `punix:${ovsRundir()}/${this.#bridge}.mgmt`;
    try {
      this.#mgmt = Pvconn.open(name);
    } catch (error) {
      log.err(`${this.#bridge}: failed to listen on ${name}: ${String(error)}`);
      return;
    }
    void this.#acceptLoop(this.#mgmt, (conn) => this.#services.add(conn), "service");
  }

  async #acceptLoop(
    listener: Pvconn,
    keep: (conn: Ofconn) => void,
    type: "primary" | "service",
  ): Promise<void> {
    while (!this.#closed && !listener.isClosed) {
      let vconn;
      try {
        vconn = await listener.accept();
      } catch {
        return;
      }
      const rconn = new Rconn({ allowedVersions: this.#allowedVersions, probeInterval: 0 });
      const conn = new Ofconn(rconn, type, vconn.name);
      this.#wire(conn, () => {
        // ofconn_destroy: what the connection changed is logged as it goes.
        conn.logFlowMods(timeMsec());
        this.#services.delete(conn);
        for (const ep of this.#endpoints.values()) ep.accepted.delete(conn);
        rconn.destroy();
        this.#connectionsChanged();
      });
      keep(conn);
      // ofconn_make_name: "BRIDGE<->PEER", as the connection's log lines name it.
      rconn.connectUnreliably(vconn, `${this.#bridge}<->${vconn.name}`);
      this.#connectionsChanged();
    }
  }

  #wire(conn: Ofconn, gone: (() => void) | undefined): void {
    const assembler = new MultipartAssembler();
    conn.onWantMissChanged = () => this.#connectionsChanged();
    this.#assemblers.set(conn, assembler);
    conn.rconn.onConnect = () => {
      conn.reset();
      assembler.clear();
      this.#connectionsChanged();
    };
    conn.rconn.onDisconnect = () => {
      assembler.clear();
      this.#connectionsChanged();
      if (gone && !conn.rconn.isReliable) gone();
    };
    conn.rconn.onMessage = (message) => {
      const before = conn.protocol;
      void handleOpenflow(conn, this.#host, assembler, message).then(() => {
        if (conn.protocol !== before) this.#connectionsChanged();
      });
    };
  }

  /** Every connection, controllers first. */
  *connections(): Generator<Ofconn> {
    for (const ep of this.#endpoints.values()) {
      if (ep.conn) yield ep.conn;
      yield* ep.accepted;
    }
    yield* this.#services;
  }

  hasControllers(): boolean {
    for (const ep of this.#endpoints.values()) if (ep.config.type === "primary") return true;
    return false;
  }

  /** Versions allowed on every connection (the Bridge's protocols column; 0: all). */
  setAllowedVersions(bitmap: number): void {
    if (bitmap === this.#allowedVersions) return;
    this.#allowedVersions = bitmap;
    // Existing controller connections reconnect to renegotiate, as upstream does.
    for (const [target, ep] of [...this.#endpoints]) {
      this.#closeEndpoint(ep);
      this.#endpoints.delete(target);
      this.#openEndpoint(ep.config);
    }
  }

  setControllers(configs: readonly ControllerConfig[]): void {
    const hadControllers = this.hasControllers();
    const wanted = new Map(configs.map((c) => [c.target, c]));
    for (const [target, ep] of [...this.#endpoints]) {
      if (!wanted.has(target)) {
        this.#closeEndpoint(ep);
        this.#endpoints.delete(target);
      }
    }
    for (const config of configs) {
      const ep = this.#endpoints.get(config.target);
      if (!ep) {
        this.#openEndpoint(config);
        continue;
      }
      ep.config = config;
      for (const conn of ep.conn ? [ep.conn] : ep.accepted) this.#reconfigure(conn, config);
    }
    if (hadControllers !== this.hasControllers()) this.#flushed();
    this.#connectionsChanged();
    this.#updateInBand();
  }

  #reconfigure(conn: Ofconn, config: ControllerConfig): void {
    conn.rconn.setMaxBackoff(config.maxBackoff);
    conn.rconn.setProbeInterval(config.probeInterval ? Math.max(config.probeInterval, 5) : 0);
    conn.setRateLimit(config.rateLimit, config.burstLimit);
    conn.packetInQueueSize = config.queueSize;
  }

  #openEndpoint(config: ControllerConfig): void {
    const ep: Endpoint = { config, conn: undefined, listener: undefined, accepted: new Set() };
    this.#endpoints.set(config.target, ep);
    if (isPvconnName(config.target)) {
      try {
        ep.listener = Pvconn.open(config.target, { allowedVersions: this.#allowedVersions });
      } catch (error) {
        log.err(`${this.#bridge}: ${config.target}: listen failed: ${String(error)}`);
        return;
      }
      void this.#acceptLoop(ep.listener, (conn) => {
        ep.accepted.add(conn);
        this.#reconfigure(conn, config);
      }, config.type);
      return;
    }
    const rconn = new Rconn({
      allowedVersions: this.#allowedVersions,
      probeInterval: config.probeInterval,
      maxBackoff: config.maxBackoff,
    });
    const conn = new Ofconn(rconn, config.type, config.target);
    this.#wire(conn, undefined);
    this.#reconfigure(conn, config);
    ep.conn = conn;
    rconn.connect(config.target, `${this.#bridge}<->${config.target}`);
  }

  #closeEndpoint(ep: Endpoint): void {
    ep.conn?.rconn.destroy();
    ep.listener?.close();
    for (const conn of ep.accepted) conn.rconn.destroy();
    ep.accepted.clear();
  }

  setFailMode(mode: FailMode): void {
    if (mode === this.#failMode) return;
    this.#failMode = mode;
    this.#updateFailOpen();
    if (!this.hasControllers()) this.#flushed();
  }

  get failMode(): FailMode {
    return this.#failMode;
  }

  /**
   * Flushes every visible flow, then (upstream's connmgr_flushed) with no controllers in
   * standalone mode installs the learning-switch flow `priority=0 actions=NORMAL`. Upstream
   * does this when the fail mode changes with no controllers, and when controllers come or go.
   */
  #flushed(): void {
    const tables = this.#host.ofproto.tables;
    const base = {
      match: new Match(),
      cookie: 0n,
      cookieMask: 0n,
      newCookie: 0n,
      modifyCookie: false,
      idleTimeout: 0,
      hardTimeout: 0,
      bufferId: 0xffffffff,
      outPort: OFPP_ANY,
      outGroup: OFPG_ANY,
      importance: 0,
    };
    tables.flush();
    if (!this.hasControllers() && this.#failMode === "standalone") {
      tables.apply({
        ...base,
        command: OFPFC_ADD,
        priority: 0,
        tableId: 0,
        flags: 0,
        ofpacts: [{ type: "output", port: OFPP_NORMAL, maxLen: 0 }],
      });
    }
  }

  #updateFailOpen(): void {
    if (!(this.hasControllers() && this.#failMode === "standalone") && this.#failOpenActive) {
      this.#setFailOpen(false);
    }
  }

  #setFailOpen(on: boolean): void {
    if (on === this.#failOpenActive) return;
    this.#failOpenActive = on;
    const tables = this.#host.ofproto.tables;
    const base = {
      match: new Match(),
      priority: FAIL_OPEN_PRIORITY,
      cookie: 0n,
      cookieMask: 0n,
      newCookie: 0n,
      modifyCookie: false,
      tableId: 0,
      idleTimeout: 0,
      hardTimeout: 0,
      bufferId: 0xffffffff,
      outPort: OFPP_ANY,
      outGroup: OFPG_ANY,
      flags: FF_HIDDEN_FIELDS | FF_NO_READONLY,
      importance: 0,
    };
    if (on) {
      log.warn(
        `Could not connect to controller (or switch failed controller's post-connection ` +
          `admission control policy) for ${this.#failureSeconds()} seconds, failing open`,
      );
      // Upstream flushes every OpenFlow (and so datapath) flow on failing open, then adds its
      // hidden NORMAL flow.
      tables.flush();
      tables.apply({
        ...base,
        command: OFPFC_ADD,
        ofpacts: [{ type: "output", port: OFPP_NORMAL, maxLen: 0 }],
      });
    } else {
      log.warn("No longer in fail-open mode");
      tables.apply({ ...base, command: OFPFC_DELETE_STRICT, ofpacts: [] });
    }
  }

  #failureSeconds(): number {
    let since = Infinity;
    for (const ep of this.#endpoints.values()) {
      if (ep.conn && ep.config.type === "primary") {
        since = Math.min(since, Math.floor(ep.conn.rconn.failureDuration));
      }
    }
    return Number.isFinite(since) ? since : 0;
  }

  /**
   * update_in_band_remotes: the in-band controllers' addresses (tcp: and ssl: targets with an
   * IPv4 address, port 6653 by default) plus the managers'. In-band control starts with the
   * first remote; with none left it removes its flows on the next run, then stops.
   */
  setInBand(settings: InBandSettings): void {
    this.#inBandSettings = settings;
    this.#updateInBand();
  }

  get hasInBand(): boolean {
    return this.#inBand !== undefined;
  }

  #updateInBand(): void {
    const settings = this.#inBandSettings;
    if (!settings) return;
    const remotes: InBandRemote[] = [];
    for (const ep of this.#endpoints.values()) {
      if (!ep.config.inBand) continue;
      const m = /^(?:tcp|ssl):(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(ep.config.target);
      if (m) remotes.push({ ip: m[1]!, port: m[2] ? Number(m[2]) : 6653 });
    }
    remotes.push(...settings.extraRemotes);
    if (remotes.length && !this.#inBand) {
      this.#inBand = new InBand(this.#bridge, this.#host.ofproto.tables, settings.lookups);
    }
    if (this.#inBand) {
      this.#inBand.setQueue(settings.queue);
      this.#inBand.setRemotes(remotes);
      this.#host.ofproto.hasInBand = true;
    }
  }

  /** Periodic work: in-band flows; fail-open when every controller has been away too long. */
  run(): void {
    // ofconn_run: each connection's flow_mods are logged 10 s after the first, then each minute.
    const now = timeMsec();
    for (const conn of this.connections()) if (now >= conn.nextOpReport) conn.logFlowMods(now);
    if (this.#inBand && !this.#inBand.run(timeMsec() / 1000)) {
      this.#inBand = undefined;
      this.#host.ofproto.hasInBand = false;
    }
    if (!(this.hasControllers() && this.#failMode === "standalone")) return;
    let anyAdmitted = false;
    let maxProbe = 0;
    let failure = Infinity;
    for (const ep of this.#endpoints.values()) {
      if (ep.config.type !== "primary") continue;
      maxProbe = Math.max(maxProbe, ep.config.probeInterval || 5);
      const conns = ep.conn ? [ep.conn] : [...ep.accepted];
      for (const conn of conns) if (conn.rconn.isAdmitted) anyAdmitted = true;
      if (ep.conn) failure = Math.min(failure, ep.conn.rconn.failureDuration);
      else if (ep.accepted.size === 0) failure = Math.min(failure, Infinity);
    }
    if (anyAdmitted) {
      this.#setFailOpen(false);
      return;
    }
    const trigger = maxProbe * 3;
    if (Number.isFinite(failure) && failure >= trigger) this.#setFailOpen(true);
  }

  #connectionsChanged(): void {
    const want = Ofconn.wantsMissOnAny(this.connections());
    const ofproto = this.#host.ofproto;
    // update_want_packet_in_on_miss only counts: upstream revalidates nothing, so cached misses
    // keep their old packet-in behaviour until something else revalidates them.
    ofproto.packetInOnMiss = want;
  }

  // ---- Asynchronous messages ----

  packetIn(pin: PacketInDescription): void {
    const now = timeMsec();
    const model = newPacketIn(pin.packet);
    model.totalLen = pin.totalLen;
    model.bufferId = 0xffffffff;
    model.reason = pin.reason;
    model.tableId = pin.tableId;
    model.cookie = pin.cookie;
    model.flowMetadata = pin.metadata;
    if (pin.userdata) model.userdata = pin.userdata;
    if (pin.continuation) {
      model.bridge = pin.continuation.bridgeUuid;
      model.stack = pin.continuation.stack.map((e) => bigBytes(e.value, e.bytes));
      model.mirrors = pin.continuation.mirrors;
      model.conntracked = pin.continuation.conntracked;
      model.actions = [...pin.continuation.actions];
      model.actionSet = [...pin.continuation.actionSet];
      model.odpPort = pin.continuation.odpPort;
    }
    for (const conn of this.connections()) {
      if (conn.controllerId !== pin.controllerId) continue;
      if (!conn.receivesAsync(OAM_PACKET_IN, pin.reason)) continue;
      let message: Uint8Array;
      try {
        message = encodePacketIn(model, conn.version, conn.packetInFormat);
      } catch (error) {
        log.warn(`${conn.rconn.name}: cannot encode packet-in: ${String(error)}`);
        continue;
      }
      conn.sendPacketIn(message, now);
    }
  }

  flowRemoved(rule: Rule, reason: number): void {
    if (!(rule.flags & FF_SEND_FLOW_REM) || rule.hidden) return;
    const now = timeMsec();
    const duration = Math.max(0, now - rule.created);
    const fr = {
      match: rule.match,
      cookie: rule.cookie,
      priority: rule.priority,
      reason,
      tableId: rule.tableId,
      durationSec: Math.floor(duration / 1000),
      durationNsec: (duration % 1000) * 1000000,
      idleTimeout: rule.idleTimeout,
      hardTimeout: rule.hardTimeout,
      packetCount: BigInt(rule.packetCount),
      byteCount: BigInt(rule.byteCount),
    };
    for (const conn of this.connections()) {
      if (!conn.receivesAsync(OAM_FLOW_REMOVED, reason)) continue;
      try {
        conn.send(encodeFlowRemoved(fr, conn.protocol));
      } catch (error) {
        log.warn(`${conn.rconn.name}: cannot encode flow removed: ${String(error)}`);
      }
    }
  }

  /**
   * connmgr_send_port_status: `old` is the port as last announced; a modification that looks the
   * same in a connection's OpenFlow version (a LIVE bit to an OpenFlow 1.0 controller) is not
   * sent to it.
   */
  portStatus(pp: PhyPort, reason: number, source: Ofconn | undefined, old?: PhyPort): void {
    for (const conn of this.connections()) {
      if (!conn.receivesAsync(OAM_PORT_STATUS, reason)) continue;
      // Before 1.5 a port-mod's own connection hears nothing of it (EXT-338).
      if (conn === source && conn.version < 0x06) continue;
      const message = encodePortStatus({ reason, desc: pp }, conn.version);
      if (reason === OFPPR_MODIFY && old) {
        const before = encodePortStatus({ reason, desc: old }, conn.version);
        if (before.length === message.length && before.every((b, i) => b === message[i])) {
          continue;
        }
      }
      conn.send(message);
    }
  }

  roleStatus(conn: Ofconn, role: number, reason: number): void {
    if (!conn.receivesAsync(OAM_ROLE_STATUS, reason)) return;
    const message = encodeRoleStatus(
      { role, reason, generationId: this.#host.ofproto.electionId ?? 0xffffffffffffffffn },
      conn.version,
    );
    if (message) conn.send(message);
  }

  /** The status columns of each Controller row, by target. */
  controllerStatus(): Map<string, ControllerStatus> {
    const out = new Map<string, ControllerStatus>();
    const now = timeMsec();
    for (const [target, ep] of this.#endpoints) {
      const conn = ep.conn ?? [...ep.accepted][0];
      const status = new Map<string, string>();
      let isConnected = false;
      let role: ControllerStatus["role"] = "other";
      if (conn) {
        const r = conn.rconn;
        isConnected = r.isConnected;
        role = conn.role === ROLE_PRIMARY
          ? "master"
          : conn.role === ROLE_SECONDARY
          ? "slave"
          : "other";
        status.set("state", r.state);
        if (r.lastError) status.set("last_error", r.lastError);
        if (Number.isFinite(r.lastConnected)) {
          status.set("sec_since_connect", String(Math.floor((now - r.lastConnected) / 1000)));
        }
        if (Number.isFinite(r.lastDisconnected)) {
          status.set("sec_since_disconnect", String(Math.floor((now - r.lastDisconnected) / 1000)));
        }
      } else if (ep.listener) {
        status.set("state", "ACTIVE");
      }
      out.set(target, { isConnected, role, status });
    }
    return out;
  }

  close(): void {
    this.#closed = true;
    this.#mgmt?.close();
    for (const conn of this.#services) conn.rconn.destroy();
    this.#services.clear();
    for (const ep of this.#endpoints.values()) this.#closeEndpoint(ep);
    this.#endpoints.clear();
  }
}

function bigBytes(value: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let v = value;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
