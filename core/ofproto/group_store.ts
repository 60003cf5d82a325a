// A bridge's group table and what group-mods do to it, with upstream's semantics
// (ofproto/ofproto.c): add (refusing an existing id or more groups of a type than the features
// allow), modify (the group is replaced, keeping its creation time), add-or-modify, delete (one
// or all, deleting the flows that output to the groups), and OpenFlow 1.5's insert-bucket and
// remove-bucket with their bucket-id positions. Also each group's and bucket's statistics.
// Owns groups only; deleting the flows that referenced a deleted group is the caller's (through
// `groupsDeleted`). Promises: a group-mod that fails changes nothing.

import type { Ofpact } from "./actions/types.ts";
import { OfpError } from "./errors.ts";
import type { Bucket, GroupMod } from "./msg/group.ts";
import {
  OFPG15_BUCKET_ALL,
  OFPG15_BUCKET_FIRST,
  OFPG15_BUCKET_LAST,
  OFPG15_BUCKET_MAX,
  OFPGC11_ADD,
  OFPGC11_ADD_OR_MOD,
  OFPGC11_DELETE,
  OFPGC11_MODIFY,
  OFPGC15_INSERT_BUCKET,
  OFPGC15_REMOVE_BUCKET,
} from "./msg/group.ts";
import type { XlateBucket, XlateGroup, XlateHashField } from "./xlate/view.ts";

export const OFPG_MAX = 0xffffff00;
export const OFPG_ALL = 0xfffffffc;

/** Group types by OFPGT11_* number. */
const TYPE_NAMES = ["all", "select", "indirect", "ff"] as const;

/** Upstream's group features: the most groups of each type ofproto-dpif allows. */
export const MAX_GROUPS_PER_TYPE = 0xffffff00;

export class GroupBucket implements XlateBucket {
  packetCount = 0;
  byteCount = 0;
  constructor(
    readonly bucketId: number,
    readonly weight: number,
    readonly watchPort: number,
    readonly watchGroup: number,
    readonly ofpacts: readonly Ofpact[],
  ) {}

  static from(b: Bucket): GroupBucket {
    return new GroupBucket(b.bucketId, b.weight, b.watchPort, b.watchGroup, b.ofpacts);
  }

  clone(): GroupBucket {
    const copy = new GroupBucket(
      this.bucketId,
      this.weight,
      this.watchPort,
      this.watchGroup,
      this.ofpacts,
    );
    return copy;
  }
}

export class Group implements XlateGroup {
  packetCount = 0;
  byteCount = 0;
  modified: number;

  constructor(
    readonly groupId: number,
    readonly typeNumber: number,
    readonly buckets: readonly GroupBucket[],
    readonly selectionMethod: "" | "hash" | "dp_hash",
    readonly selectionMethodParam: bigint,
    readonly fields: readonly XlateHashField[],
    readonly created: number,
  ) {
    this.modified = created;
  }

  get type(): "all" | "select" | "indirect" | "ff" {
    return TYPE_NAMES[this.typeNumber] ?? "all";
  }

  /** Credits traffic to the group and one of its buckets. */
  credit(bucket: GroupBucket | undefined, packets: number, bytes: number): void {
    this.packetCount += packets;
    this.byteCount += bytes;
    if (bucket) {
      bucket.packetCount += packets;
      bucket.byteCount += bytes;
    }
  }
}

export interface GroupStoreOptions {
  now: () => number;
  /** Checks bucket actions against the switch; throws OfpError. */
  checkBucket?: (ofpacts: readonly Ofpact[]) => void;
  /** Groups that went away: the caller deletes the flows that output to them. */
  groupsDeleted?: (groups: readonly Group[]) => void;
  changed?: () => void;
}

function selectionMethod(text: string): "" | "hash" | "dp_hash" {
  return text === "hash" || text === "dp_hash" ? text : "";
}

export class GroupStore {
  readonly #groups = new Map<number, Group>();
  readonly #options: GroupStoreOptions;

  constructor(options: GroupStoreOptions) {
    this.#options = options;
  }

  get(groupId: number): Group | undefined {
    return this.#groups.get(groupId);
  }

  /** Every group, by ascending id (the order stats replies use here). */
  all(): Group[] {
    return [...this.#groups.values()].sort((a, b) => a.groupId - b.groupId);
  }

  get size(): number {
    return this.#groups.size;
  }

  countOfType(typeNumber: number): number {
    let n = 0;
    for (const g of this.#groups.values()) if (g.typeNumber === typeNumber) n++;
    return n;
  }

  /** Runs `fn`; if it throws, the groups are as they were before (bundles). */
  transaction<T>(fn: () => T): T {
    const saved = new Map(this.#groups);
    try {
      return fn();
    } catch (error) {
      this.#groups.clear();
      for (const [id, group] of saved) this.#groups.set(id, group);
      throw error;
    }
  }

  apply(gm: GroupMod): void {
    switch (gm.command) {
      case OFPGC11_ADD:
        this.#add(gm);
        break;
      case OFPGC11_MODIFY:
      case OFPGC15_INSERT_BUCKET:
      case OFPGC15_REMOVE_BUCKET:
        this.#modify(gm);
        break;
      case OFPGC11_ADD_OR_MOD:
        if (this.#groups.has(gm.groupId)) this.#modify(gm);
        else this.#add(gm);
        break;
      case OFPGC11_DELETE:
        this.#delete(gm.groupId);
        break;
      default:
        throw new OfpError("OFPGMFC_BAD_COMMAND");
    }
    this.#options.changed?.();
  }

  #build(gm: GroupMod, typeNumber: number, buckets: GroupBucket[], created: number): Group {
    if (gm.groupId > OFPG_MAX) throw new OfpError("OFPGMFC_INVALID_GROUP");
    if (typeNumber > 3) throw new OfpError("OFPGMFC_BAD_TYPE");
    for (const bucket of buckets) this.#options.checkBucket?.(bucket.ofpacts);
    return new Group(
      gm.groupId,
      typeNumber,
      buckets,
      selectionMethod(gm.props.selectionMethod),
      gm.props.selectionMethodParam,
      gm.props.fields.map((f) => ({ field: f.field, mask: f.mask })),
      created,
    );
  }

  #add(gm: GroupMod): void {
    if (this.#groups.has(gm.groupId)) throw new OfpError("OFPGMFC_GROUP_EXISTS");
    if (this.countOfType(gm.type) >= MAX_GROUPS_PER_TYPE) {
      throw new OfpError("OFPGMFC_OUT_OF_GROUPS");
    }
    const group = this.#build(gm, gm.type, gm.buckets.map(GroupBucket.from), this.#options.now());
    this.#groups.set(group.groupId, group);
  }

  #modify(gm: GroupMod): void {
    const old = this.#groups.get(gm.groupId);
    if (!old) throw new OfpError("OFPGMFC_UNKNOWN_GROUP");
    const bucketCommand = gm.command === OFPGC15_INSERT_BUCKET ||
      gm.command === OFPGC15_REMOVE_BUCKET;
    // Bucket commands keep the group's type and properties (EXT-570).
    const typeNumber = bucketCommand ? old.typeNumber : gm.type;
    const effective: GroupMod = bucketCommand
      ? {
        ...gm,
        type: old.typeNumber,
        props: {
          selectionMethod: old.selectionMethod,
          selectionMethodParam: old.selectionMethodParam,
          fields: old.fields.map((f) => ({ field: f.field, mask: f.mask })),
        },
      }
      : gm;
    if (old.typeNumber !== typeNumber && this.countOfType(typeNumber) >= MAX_GROUPS_PER_TYPE) {
      throw new OfpError("OFPGMFC_OUT_OF_GROUPS");
    }
    let buckets = gm.buckets.map(GroupBucket.from);
    if (gm.command === OFPGC15_INSERT_BUCKET) {
      buckets = insertBuckets(old.buckets, buckets, gm.commandBucketId);
    } else if (gm.command === OFPGC15_REMOVE_BUCKET) {
      buckets = removeBuckets(old.buckets, gm.commandBucketId);
    }
    const group = this.#build(effective, typeNumber, buckets, old.created);
    group.modified = this.#options.now();
    this.#groups.set(group.groupId, group);
  }

  #delete(groupId: number): void {
    const doomed: Group[] = [];
    if (groupId === OFPG_ALL) {
      doomed.push(...this.#groups.values());
      this.#groups.clear();
    } else {
      const group = this.#groups.get(groupId);
      if (group) {
        doomed.push(group);
        this.#groups.delete(groupId);
      }
    }
    if (doomed.length) this.#options.groupsDeleted?.(doomed);
  }
}

/** OpenFlow 1.5 insert-bucket: the new buckets go first, last, or after `commandBucketId`. */
function insertBuckets(
  old: readonly GroupBucket[],
  added: GroupBucket[],
  commandBucketId: number,
): GroupBucket[] {
  if (commandBucketId <= OFPG15_BUCKET_MAX && !old.some((b) => b.bucketId === commandBucketId)) {
    throw new OfpError("OFPGMFC_UNKNOWN_BUCKET");
  }
  const ids = new Set<number>();
  for (const b of [...added, ...old]) {
    if (ids.has(b.bucketId)) throw new OfpError("OFPGMFC_BUCKET_EXISTS");
    ids.add(b.bucketId);
  }
  const kept = old.map((b) => b.clone());
  if (commandBucketId === OFPG15_BUCKET_LAST) return [...kept, ...added];
  if (commandBucketId === OFPG15_BUCKET_FIRST) return [...added, ...kept];
  const at = kept.findIndex((b) => b.bucketId === commandBucketId);
  return [...kept.slice(0, at + 1), ...added, ...kept.slice(at + 1)];
}

/** OpenFlow 1.5 remove-bucket: first, last, all, or the bucket with `commandBucketId`. */
function removeBuckets(old: readonly GroupBucket[], commandBucketId: number): GroupBucket[] {
  if (commandBucketId === OFPG15_BUCKET_ALL) return [];
  let skip: GroupBucket | undefined;
  if (commandBucketId === OFPG15_BUCKET_FIRST) skip = old[0];
  else if (commandBucketId === OFPG15_BUCKET_LAST) skip = old[old.length - 1];
  else {
    skip = old.find((b) => b.bucketId === commandBucketId);
    if (!skip) throw new OfpError("OFPGMFC_UNKNOWN_BUCKET");
  }
  return old.filter((b) => b !== skip).map((b) => b.clone());
}
