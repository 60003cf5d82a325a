// Groups and meters over OpenFlow, as upstream's ofproto.c handles them: group-mods (applied to
// the bridge's GroupStore, bucket actions checked against the switch), group statistics,
// descriptions and features; meter-mods (kept here per bridge and installed in the datapath's
// meter table under a datapath meter id from a per-datapath pool, as ofproto-dpif does), meter
// statistics, configurations and features. Deleting a group or meter deletes the flows that use
// it (OFPRR_GROUP_DELETE / OFPRR_METER_DELETE).

import { DpError } from "../datapath/dp_errors.ts";
import type { NetdevDatapath } from "../datapath/dpif.ts";
import { ofpactsGetMeter } from "./actions/mod.ts";
import type { Ofpact } from "./actions/types.ts";
import { OfpError } from "./errors.ts";
import { decodeGroupMod } from "./msg/group.ts";
import { appendGroupDesc } from "./msg/group.ts";
import {
  appendGroupStats,
  decodeGroupStatsRequest,
  encodeGroupFeaturesReply,
} from "./msg/group_stats.ts";
import {
  appendMeterConfig,
  appendMeterStats,
  decodeMeterMod,
  decodeMeterRequest,
  encodeMeterFeaturesReply,
  type MeterConfig,
  OFPM13_ALL,
  OFPM13_MAX,
  OFPMC13_ADD,
  OFPMC13_DELETE,
  OFPMC13_MODIFY,
} from "./msg/meter.ts";
import { MultipartReply } from "./msg/multipart.ts";
import type { HandlerContext } from "./ofconn_handlers.ts";
import { rejectSecondary } from "./ofconn_handlers.ts";
import { checkSwitchResources } from "./ofconn_flows.ts";
import type { Ofproto } from "./ofproto.ts";
import { OFPG_ALL } from "./group_store.ts";

const OFPM13_SLOWPATH = 0xfffffffd;
const OFPM13_CONTROLLER = 0xfffffffe;
const OFPG_ANY = 0xffffffff;
const ALL_OFPACTS = (1n << 64n) - 1n;

function secondsAndNanos(ms: number): { sec: number; nsec: number } {
  const msecs = Math.max(0, ms);
  return { sec: Math.floor(msecs / 1000), nsec: (msecs % 1000) * 1000000 };
}

interface Meter {
  config: MeterConfig;
  providerId: number;
  created: number;
}

/** Datapath meter ids handed out per datapath (ofproto-dpif's backer meter_ids pool). */
const providerPools = new WeakMap<NetdevDatapath, Set<number>>();

function allocProviderId(datapath: NetdevDatapath): number {
  let used = providerPools.get(datapath);
  if (!used) providerPools.set(datapath, used = new Set());
  let id = 0;
  while (used.has(id)) id++;
  used.add(id);
  return id;
}

function freeProviderId(datapath: NetdevDatapath, id: number): void {
  providerPools.get(datapath)?.delete(id);
}

function meterError(error: unknown): OfpError {
  if (!(error instanceof DpError)) return new OfpError("OFPMMFC_UNKNOWN");
  switch (error.errno) {
    case "EFBIG":
    case "ENOMEM":
      return new OfpError("OFPMMFC_OUT_OF_METERS");
    case "EBADF":
      return new OfpError("OFPMMFC_BAD_FLAGS");
    case "EINVAL":
      return new OfpError("OFPMMFC_OUT_OF_BANDS");
    case "ENODEV":
      return new OfpError("OFPMMFC_BAD_BAND");
    default:
      return new OfpError("OFPMMFC_UNKNOWN");
  }
}

/** One bridge's meters. */
export class MeterStore {
  readonly #meters = new Map<number, Meter>();

  constructor(
    readonly datapath: NetdevDatapath,
    readonly ofproto: Ofproto,
    readonly now: () => number,
  ) {}

  has(meterId: number): boolean {
    return this.#meters.has(meterId);
  }

  /** The datapath meter behind an OpenFlow meter (xlate's meter action), if any. */
  providerId(meterId: number): number | undefined {
    return this.#meters.get(meterId)?.providerId;
  }

  ids(): number[] {
    return [...this.#meters.keys()].sort((a, b) => a - b);
  }

  get(meterId: number): Meter | undefined {
    return this.#meters.get(meterId);
  }

  add(config: MeterConfig): void {
    if (this.#meters.has(config.meterId)) throw new OfpError("OFPMMFC_METER_EXISTS");
    const providerId = allocProviderId(this.datapath);
    try {
      this.datapath.meterSet(providerId, config);
    } catch (error) {
      freeProviderId(this.datapath, providerId);
      throw meterError(error);
    }
    this.#meters.set(config.meterId, { config, providerId, created: this.now() });
  }

  modify(config: MeterConfig): void {
    const meter = this.#meters.get(config.meterId);
    if (!meter) throw new OfpError("OFPMMFC_UNKNOWN_METER");
    try {
      this.datapath.meterSet(meter.providerId, config);
    } catch (error) {
      throw meterError(error);
    }
    meter.config = config;
  }

  delete(meterId: number): void {
    const doomed = meterId === OFPM13_ALL ? this.ids() : [meterId];
    for (const id of doomed) {
      const meter = this.#meters.get(id);
      if (!meter) continue;
      this.ofproto.deleteRulesOfMeter((ofpacts: readonly Ofpact[]) =>
        ofpactsGetMeter(ofpacts) === id
      );
      try {
        this.datapath.meterDel(meter.providerId);
      } catch {
        // Already gone from the datapath.
      }
      freeProviderId(this.datapath, meter.providerId);
      this.#meters.delete(id);
    }
  }

  /** How many rules use meter `meterId`. */
  flowCount(meterId: number): number {
    let n = 0;
    for (const rule of this.ofproto.tables.rules()) {
      if (!rule.hidden && ofpactsGetMeter(rule.ofpacts) === meterId) n++;
    }
    return n;
  }

  destroy(): void {
    for (const id of this.ids()) this.delete(id);
  }
}

function handleGroupMod(ctx: HandlerContext): void {
  rejectSecondary(ctx.conn);
  const gm = decodeGroupMod(ctx.message);
  const { ofproto, meters } = ctx.host;
  for (const bucket of gm.buckets) checkSwitchResources(ofproto, meters, bucket.ofpacts);
  if (!ofproto.groups) throw new OfpError("OFPGMFC_BAD_COMMAND");
  if (gm.command === 2 /* OFPGC11_DELETE */ && gm.groupId !== OFPG_ALL && gm.groupId > 0xffffff00) {
    throw new OfpError("OFPGMFC_INVALID_GROUP");
  }
  ofproto.groups.apply(gm);
  ofproto.invalidate();
}

function groupRefCount(ofproto: Ofproto, groupId: number): number {
  let n = 0;
  for (const rule of ofproto.tables.rules()) {
    if (rule.hidden) continue;
    for (const a of rule.ofpacts) if (a.type === "group" && a.groupId === groupId) n++;
  }
  return n;
}

function handleGroupStats(ctx: HandlerContext): void {
  const groupId = decodeGroupStatsRequest(ctx.message);
  const { ofproto } = ctx.host;
  const groups = ofproto.groups?.all() ?? [];
  const chosen = groupId === OFPG_ALL ? groups : groups.filter((g) => g.groupId === groupId);
  if (groupId !== OFPG_ALL && chosen.length === 0) throw new OfpError("OFPGMFC_UNKNOWN_GROUP");
  const reply = new MultipartReply(ctx.message);
  const now = ctx.host.now();
  for (const group of chosen) {
    const d = secondsAndNanos(now - group.created);
    appendGroupStats(reply, {
      groupId: group.groupId,
      refCount: groupRefCount(ofproto, group.groupId),
      packetCount: BigInt(group.packetCount),
      byteCount: BigInt(group.byteCount),
      durationSec: d.sec,
      durationNsec: d.nsec,
      buckets: group.buckets.map((b) => ({
        packetCount: BigInt(b.packetCount),
        byteCount: BigInt(b.byteCount),
      })),
    });
  }
  ctx.replyParts(reply);
}

function handleGroupDesc(ctx: HandlerContext): void {
  const { ofproto } = ctx.host;
  let groupId = OFPG_ALL;
  if (ctx.raw.version >= 0x06 || ctx.raw.info.raw.startsWith("NXST")) {
    const body = ctx.message.subarray(ctx.raw.bodyOffset);
    if (body.length >= 4) {
      groupId = ((body[0]! << 24) | (body[1]! << 16) | (body[2]! << 8) | body[3]!) >>> 0;
    }
  }
  const groups = ofproto.groups?.all() ?? [];
  const chosen = groupId === OFPG_ALL ? groups : groups.filter((g) => g.groupId === groupId);
  const reply = new MultipartReply(ctx.message);
  for (const group of chosen) {
    appendGroupDesc(reply, {
      type: group.typeNumber,
      groupId: group.groupId,
      buckets: group.buckets.map((b) => ({
        weight: b.weight,
        watchPort: b.watchPort,
        watchGroup: b.watchGroup,
        bucketId: b.bucketId,
        ofpacts: b.ofpacts as Ofpact[],
      })),
      props: {
        selectionMethod: group.selectionMethod,
        selectionMethodParam: group.selectionMethodParam,
        fields: group.fields.map((f) => ({ field: f.field, mask: f.mask })),
      },
    });
  }
  ctx.replyParts(reply);
}

function handleGroupFeatures(ctx: HandlerContext): void {
  ctx.reply(encodeGroupFeaturesReply({
    types: 0xf,
    capabilities: 1 << 0 | 1 << 1 | 1 << 2, // select weight, select liveness, chaining
    maxGroups: [0xffffff00, 0xffffff00, 0xffffff00, 0xffffff00],
    ofpacts: [ALL_OFPACTS, ALL_OFPACTS, ALL_OFPACTS, ALL_OFPACTS],
  }, ctx.message));
}

function handleMeterMod(ctx: HandlerContext): void {
  rejectSecondary(ctx.conn);
  const mm = decodeMeterMod(ctx.message);
  const { meters } = ctx.host;
  const id = mm.meter.meterId;
  if (mm.command !== OFPMC13_DELETE) {
    if (id === 0) throw new OfpError("OFPMMFC_INVALID_METER");
    if (id > OFPM13_MAX && id !== OFPM13_SLOWPATH && id !== OFPM13_CONTROLLER) {
      throw new OfpError("OFPMMFC_INVALID_METER");
    }
    if (mm.meter.bands.length > meters.datapath.meterFeatures().maxBands) {
      throw new OfpError("OFPMMFC_OUT_OF_BANDS");
    }
  }
  switch (mm.command) {
    case OFPMC13_ADD:
      meters.add(mm.meter);
      break;
    case OFPMC13_MODIFY:
      meters.modify(mm.meter);
      break;
    case OFPMC13_DELETE:
      if (id) meters.delete(id);
      break;
    default:
      throw new OfpError("OFPMMFC_BAD_COMMAND");
  }
  ctx.host.ofproto.invalidate();
}

function handleMeterRequest(ctx: HandlerContext, stats: boolean): void {
  const id = decodeMeterRequest(ctx.message);
  const { meters } = ctx.host;
  if (id !== OFPM13_ALL && !meters.has(id)) throw new OfpError("OFPMMFC_UNKNOWN_METER");
  const reply = new MultipartReply(ctx.message);
  const now = ctx.host.now();
  for (const meterId of id === OFPM13_ALL ? meters.ids() : [id]) {
    const meter = meters.get(meterId)!;
    if (!stats) {
      appendMeterConfig(reply, meter.config);
      continue;
    }
    let packetsIn = 0;
    let bytesIn = 0;
    let bands: { packets: number; bytes: number }[] = [];
    try {
      const s = meters.datapath.meterGet(meter.providerId);
      packetsIn = s.packetsIn;
      bytesIn = s.bytesIn;
      bands = s.bands;
    } catch {
      continue;
    }
    const d = secondsAndNanos(now - meter.created);
    appendMeterStats(reply, {
      meterId,
      flowCount: meters.flowCount(meterId),
      packetInCount: BigInt(packetsIn),
      byteInCount: BigInt(bytesIn),
      durationSec: d.sec,
      durationNsec: d.nsec,
      bands: bands.map((b) => ({ packetCount: BigInt(b.packets), byteCount: BigInt(b.bytes) })),
    });
  }
  ctx.replyParts(reply);
}

function handleMeterFeatures(ctx: HandlerContext): void {
  ctx.reply(encodeMeterFeaturesReply(ctx.host.meters.datapath.meterFeatures(), ctx.message));
}

export const GROUP_METER_HANDLERS: [string, (ctx: HandlerContext) => void][] = [
  ["GROUP_MOD", handleGroupMod],
  ["GROUP_STATS_REQUEST", handleGroupStats],
  ["GROUP_DESC_STATS_REQUEST", handleGroupDesc],
  ["GROUP_FEATURES_STATS_REQUEST", handleGroupFeatures],
  ["METER_MOD", handleMeterMod],
  ["METER_STATS_REQUEST", (ctx) => handleMeterRequest(ctx, true)],
  ["METER_CONFIG_STATS_REQUEST", (ctx) => handleMeterRequest(ctx, false)],
  ["METER_FEATURES_STATS_REQUEST", handleMeterFeatures],
];

export { OFPG_ANY };
