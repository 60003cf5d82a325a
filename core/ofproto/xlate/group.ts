// Groups (upstream's xlate_group_action and friends): all and indirect groups run every bucket,
// fast-failover the first live one, select groups one chosen by upstream's methods — by default
// dp_hash when the buckets' weights fit 256 hash values (the datapath hashes, then recirculates;
// the bucket is looked up from the hash map afterwards), else the legacy symmetric L4 hash with
// the highest-scoring live bucket; selection_method=hash hashes the given fields. Each bucket is
// an action set run on a clone of the flow. Liveness comes from watch ports (may_enable) and
// watch groups.

import { W_DP_HASH } from "../../datapath/flow.ts";
import { NX_HASH_FIELDS_SYMMETRIC_L4 } from "../actions/types.ts";
import { readField } from "../fields.ts";
import type { XlateCtx } from "./context.ts";
import { finishFreezing, triggerFreeze, triggerRecirculateWithHash } from "./freeze.ts";
import { hashBytes, hashInt, hashUint64 } from "./hash.ts";
import { hashSymmetricL4, maskHashFields } from "./selection.ts";
import { type ActionsXlator, executeActionSet, resubmitResourceCheck } from "./table.ts";
import { WATCH_GROUP_NONE, WATCH_PORT_NONE, type XlateBucket, type XlateGroup } from "./view.ts";
import { maskFieldMasked, prereqsOk } from "./xflow.ts";

const OFPP_CONTROLLER = 0xfffd;
const MAX_LIVENESS_RECURSION = 128;
const MAX_SELECT_GROUP_HASH_VALUES = 256;
const OVS_HASH_ALG_L4 = 0;
const OVS_HASH_ALG_SYM_L4 = 1;
const MAX_HASH_ALG = 1;

/** What ofproto-dpif derives from a select group's buckets (group_set_selection_method). */
interface SelectConfig {
  method: "default" | "hash" | "dp_hash";
  hashMask: number;
  hashMap: XlateBucket[];
  hashAlg: number;
  hashBasis: number;
}

const selectCache = new WeakMap<
  XlateGroup,
  { buckets: readonly XlateBucket[]; cfg: SelectConfig }
>();

/** group_setup_dp_hash_table: the Webster distribution of hash values over buckets. */
function setupDpHashTable(
  buckets: readonly XlateBucket[],
  maxHash: number,
): SelectConfig | undefined {
  if (buckets.length === 0) return undefined;
  let total = 0;
  let minWeight = 0xffff;
  for (const b of buckets) {
    if (b.weight > 0 && b.weight < minWeight) minWeight = b.weight;
    total += b.weight;
  }
  if (total === 0) return undefined;
  const minSlots = Math.ceil(total / minWeight);
  let pow2 = 1;
  while (pow2 < minSlots) pow2 *= 2;
  const nHash = Math.max(16, pow2);
  if (nHash > MAX_SELECT_GROUP_HASH_VALUES || (maxHash !== 0 && nHash > maxHash)) return undefined;
  const webster = buckets.map((b) => ({ bucket: b, divisor: 1, value: b.weight }));
  const hashMap: XlateBucket[] = [];
  for (let h = 0; h < nHash; h++) {
    let winner = webster[0]!;
    for (let i = 1; i < webster.length; i++) {
      if (webster[i]!.value > winner.value) winner = webster[i]!;
    }
    winner.divisor += 2;
    winner.value = winner.bucket.weight / winner.divisor;
    hashMap.push(winner.bucket);
  }
  return { method: "dp_hash", hashMask: nHash - 1, hashMap, hashAlg: 0, hashBasis: 0 };
}

function selectConfig(group: XlateGroup): SelectConfig {
  const cached = selectCache.get(group);
  if (cached && cached.buckets === group.buckets) return cached.cfg;
  const fallback: SelectConfig = {
    method: "default",
    hashMask: 0,
    hashMap: [],
    hashAlg: 0,
    hashBasis: 0,
  };
  let cfg = fallback;
  if (group.selectionMethod === "") {
    const t = setupDpHashTable(group.buckets, 256);
    if (t) cfg = { ...t, hashAlg: OVS_HASH_ALG_SYM_L4, hashBasis: 0 };
  } else if (group.selectionMethod === "dp_hash") {
    const t = setupDpHashTable(group.buckets, 0);
    if (t) {
      let alg = Number(group.selectionMethodParam >> 32n);
      if (alg > OVS_HASH_ALG_SYM_L4) alg = OVS_HASH_ALG_L4;
      cfg = { ...t, hashAlg: alg, hashBasis: Number(group.selectionMethodParam & 0xffffffffn) };
    }
  } else if (group.fields.length > 0) {
    cfg = { ...fallback, method: "hash" };
  }
  selectCache.set(group, { buckets: group.buckets, cfg });
  return cfg;
}

function hasLiveness(b: XlateBucket): boolean {
  return b.watchPort !== WATCH_PORT_NONE || b.watchGroup !== WATCH_GROUP_NONE;
}

function groupIsAlive(ctx: XlateCtx, groupId: number, depth: number): boolean {
  const g = ctx.bridge.group(groupId);
  return g ? firstLiveBucket(ctx, g, depth) !== undefined : false;
}

/** bucket_is_alive. */
function bucketIsAlive(ctx: XlateCtx, g: XlateGroup, b: XlateBucket, depth: number): boolean {
  if (depth >= MAX_LIVENESS_RECURSION) {
    ctx.reportError(`bucket chaining exceeded ${MAX_LIVENESS_RECURSION} links`);
    return false;
  }
  if (g.type === "select" && b.weight === 0) return false;
  return !hasLiveness(b) ||
    (b.watchPort !== WATCH_PORT_NONE && b.watchPort !== OFPP_CONTROLLER &&
      (ctx.bridge.port(b.watchPort)?.mayEnable ?? false)) ||
    (b.watchGroup !== WATCH_GROUP_NONE && groupIsAlive(ctx, b.watchGroup, depth + 1));
}

const PORT_NAMES: Record<number, string> = {
  0xfff8: "IN_PORT",
  0xfff9: "TABLE",
  0xfffa: "NORMAL",
  0xfffb: "FLOOD",
  0xfffc: "ALL",
  0xfffd: "CONTROLLER",
  0xfffe: "LOCAL",
  0xffff: "ANY",
};

function reportNotLive(ctx: XlateCtx, b: XlateBucket): void {
  if (!ctx.trace) return;
  let s = "";
  if (b.watchPort !== WATCH_PORT_NONE) s += `port ${PORT_NAMES[b.watchPort] ?? b.watchPort}`;
  if (b.watchGroup !== WATCH_GROUP_NONE) {
    if (s.length) s += " and ";
    s += `port ${b.watchGroup}`;
  }
  ctx.report("detail", `bucket ${b.bucketId}: not live due to ${s}`);
}

function firstLiveBucket(ctx: XlateCtx, g: XlateGroup, depth: number): XlateBucket | undefined {
  for (const b of g.buckets) {
    if (bucketIsAlive(ctx, g, b, depth)) return b;
    reportNotLive(ctx, b);
  }
  return undefined;
}

function bestLiveBucket(ctx: XlateCtx, g: XlateGroup, basis: number): XlateBucket | undefined {
  let best: XlateBucket | undefined;
  let bestScore = 0;
  for (const b of g.buckets) {
    if (bucketIsAlive(ctx, g, b, 0)) {
      const score = (hashInt(b.bucketId, basis) & 0xffff) * b.weight;
      if (score >= bestScore) {
        best = b;
        bestScore = score;
      }
      ctx.report("detail", `bucket ${b.bucketId}: score ${score}`);
    } else {
      reportNotLive(ctx, b);
    }
  }
  return best;
}

function pickHashFields(ctx: XlateCtx, g: XlateGroup): XlateBucket | undefined {
  let basis = hashUint64(g.selectionMethodParam);
  for (const hf of g.fields) {
    if (!prereqsOk(hf.field, ctx.flow, ctx.wc)) continue;
    const value = readField(ctx.flow, hf.field);
    for (let i = 0; i < value.length; i++) value[i] = value[i]! & (hf.mask[i] ?? 0);
    basis = hashBytes(value, hf.field.nBytes, basis);
    maskFieldMasked(ctx.wc, hf.field, hf.mask);
  }
  return bestLiveBucket(ctx, g, basis);
}

function pickDpHash(ctx: XlateCtx, g: XlateGroup, cfg: SelectConfig): XlateBucket | undefined {
  const dpHash = ctx.flow[W_DP_HASH]!;
  if (!dpHash) {
    let alg = cfg.hashAlg;
    if (alg > MAX_HASH_ALG) alg = OVS_HASH_ALG_L4;
    triggerRecirculateWithHash(ctx, alg, cfg.hashBasis);
    return undefined;
  }
  ctx.wc[W_DP_HASH] = (ctx.wc[W_DP_HASH]! | cfg.hashMask) >>> 0;
  for (let i = 0; i <= cfg.hashMask; i++) {
    const b = cfg.hashMap[(dpHash + i) & cfg.hashMask]!;
    if (bucketIsAlive(ctx, g, b, 0)) return b;
  }
  return undefined;
}

function pickSelect(ctx: XlateCtx, g: XlateGroup): XlateBucket | undefined {
  if (ctx.wasMpls) {
    triggerFreeze(ctx);
    return undefined;
  }
  const cfg = selectConfig(g);
  switch (cfg.method) {
    case "default":
      maskHashFields(ctx.flow, ctx.wc, NX_HASH_FIELDS_SYMMETRIC_L4);
      return bestLiveBucket(ctx, g, hashSymmetricL4(ctx.flow, 0));
    case "hash":
      return pickHashFields(ctx, g);
    case "dp_hash":
      return pickDpHash(ctx, g, cfg);
  }
}

/** xlate_group_bucket: a bucket's action set on a clone of the flow. */
function xlateBucket(
  ctx: XlateCtx,
  b: XlateBucket,
  isLastAction: boolean,
  doActions: ActionsXlator,
): void {
  const oldTrace = ctx.trace;
  if (ctx.trace) ctx.trace = ctx.report("bucket", `bucket ${b.bucketId}`);
  const list = executeActionSet(b.ofpacts);
  const oldFlow = ctx.save(ctx.flow);
  const oldWasMpls = ctx.wasMpls;
  ctx.depth++;
  doActions(ctx, list, isLastAction, true);
  ctx.depth--;
  if (ctx.freezing) finishFreezing(ctx);
  ctx.flow.set(oldFlow);
  ctx.release();
  ctx.wasMpls = oldWasMpls;
  ctx.exit = false;
  if (ctx.error === "Too many MPLS labels" || ctx.error === "Unsupported packet type") {
    ctx.error = "OK";
  }
  ctx.trace = oldTrace;
}

/**
 * xlate_group_action: true when the group does not exist (which ends the action list, as
 * upstream).
 */
export function xlateGroupAction(
  ctx: XlateCtx,
  groupId: number,
  isLastAction: boolean,
  doActions: ActionsXlator,
): boolean {
  if (!resubmitResourceCheck(ctx)) return false;
  const g = ctx.bridge.group(groupId);
  if (!g) {
    ctx.report("warn", `output to nonexistent group ${groupId}`);
    return true;
  }
  if (g.type === "all" || g.type === "indirect") {
    const n = g.buckets.length;
    for (let i = 0; i < n; i++) {
      xlateBucket(ctx, g.buckets[i]!, isLastAction && i === n - 1, doActions);
    }
    ctx.groups.push({ group: g, bucket: undefined });
    return false;
  }
  const b = g.type === "select" ? pickSelect(ctx, g) : firstLiveBucket(ctx, g, 0);
  if (b) {
    ctx.report("detail", `using bucket ${b.bucketId}`);
    xlateBucket(ctx, b, isLastAction, doActions);
    ctx.groups.push({ group: g, bucket: b });
  } else {
    ctx.report("detail", "no live bucket");
  }
  return false;
}
