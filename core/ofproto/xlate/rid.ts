// Recirculation IDs and the frozen translation state they stand for (upstream's
// ofproto-dpif-rid.c): when translation must stop and continue later — after recirculation
// (MPLS pop, select groups by dp_hash, ct, debug_recirc), or for a controller action whose
// packet-in needs the table id, cookie and metadata at the point it ran, or for a paused
// continuation — it freezes its state under an ID that the datapath carries (recirc(ID)) or the
// userspace action's cookie names.
//
// Promises, as upstream: IDs are allocated from 1 upward in order; a state equal to a live one
// (referenced) gets that one's ID and a new reference; when the last reference goes the state can
// no longer be shared but stays findable by ID until `run()` has passed twice at least 250 ms
// apart. One table serves every bridge of a process (upstream's is global). Single-threaded.

import {
  FLOW_WORDS,
  type FlowWords,
  W_IN_PORT,
  W_METADATA,
  W_REGS,
  W_TUN_ID,
} from "../../datapath/flow.ts";
import type { Ofpact } from "../actions/types.ts";
import type { Field } from "../fields.ts";

/** IDs below this are never reused once the space wraps (upstream's RECIRC_POOL_STATIC_IDS). */
const RECIRC_POOL_STATIC_IDS = 1024;

/** The words of upstream's frozen_metadata: tunnel, metadata, registers, in_port. */
const TUNNEL_FIRST = W_TUN_ID;
const TUNNEL_END = 47;

export interface FrozenState {
  /** The table to resume in when there are no frozen actions. */
  readonly tableId: number;
  /** The bridge to resume in (its UUID bytes). */
  readonly bridgeUuid: Uint8Array;
  /** Flow words with only the frozen metadata (tunnel, metadata, regs, in_port) kept. */
  readonly metadata: FlowWords;
  /** The NXAST_STACK_PUSH stack, bottom first: each entry's value and byte width. */
  readonly stack: readonly { readonly value: bigint; readonly bytes: number }[];
  readonly mirrors: number;
  readonly conntracked: boolean;
  readonly wasMpls: boolean;
  /** The OpenFlow port the packet first entered on, when not a patch port (xport_uuid). */
  readonly xportOfport: number | undefined;
  readonly ofpacts: readonly Ofpact[];
  readonly actionSet: readonly Ofpact[];
  /** A controller action's userdata (for its packet-in). */
  readonly userdata: Uint8Array | undefined;
}

/** frozen_metadata_from_flow: a copy of `flow` keeping only the frozen metadata words. */
export function frozenMetadataFromFlow(flow: FlowWords): FlowWords {
  const md = new Uint32Array(FLOW_WORDS);
  md[W_IN_PORT] = flow[W_IN_PORT]!;
  md[W_METADATA] = flow[W_METADATA]!;
  md[W_METADATA + 1] = flow[W_METADATA + 1]!;
  for (let i = 0; i < 16; i++) md[W_REGS + i] = flow[W_REGS + i]!;
  for (let w = TUNNEL_FIRST; w < TUNNEL_END; w++) md[w] = flow[w]!;
  return md;
}

/** frozen_metadata_to_flow: puts the frozen metadata back into `flow`. */
export function frozenMetadataToFlow(md: FlowWords, flow: FlowWords): void {
  flow[W_IN_PORT] = md[W_IN_PORT]!;
  flow[W_METADATA] = md[W_METADATA]!;
  flow[W_METADATA + 1] = md[W_METADATA + 1]!;
  for (let i = 0; i < 16; i++) flow[W_REGS + i] = md[W_REGS + i]!;
  for (let w = TUNNEL_FIRST; w < TUNNEL_END; w++) flow[w] = md[w]!;
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** A canonical text of any action tree, so that equal actions give equal keys. */
function canonical(value: unknown): string {
  if (value === undefined) return "u";
  if (value === null) return "n";
  switch (typeof value) {
    case "bigint":
      return `b${value.toString(16)}`;
    case "number":
      return `#${value}`;
    case "boolean":
      return value ? "T" : "F";
    case "string":
      return JSON.stringify(value);
  }
  if (value instanceof Uint8Array) return `x${hex(value)}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const obj = value as Record<string, unknown>;
  if ("nBits" in obj && "word" in obj && "name" in obj && "id" in obj) {
    return `f${(obj as unknown as Field).name}`;
  }
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${k}:${canonical(obj[k])}`).join(",")}}`;
}

function stateKey(s: FrozenState): string {
  let md = "";
  for (let i = 0; i < s.metadata.length; i++) md += s.metadata[i]!.toString(16) + ".";
  return [
    s.tableId,
    hex(s.bridgeUuid),
    md,
    s.stack.map((e) => `${e.bytes}:${e.value.toString(16)}`).join("."),
    s.mirrors,
    s.conntracked,
    s.wasMpls,
    s.xportOfport ?? "-",
    canonical(s.ofpacts),
    canonical(s.actionSet),
    s.userdata ? hex(s.userdata) : "-",
  ].join("|");
}

export interface RecircNode {
  readonly id: number;
  readonly state: FrozenState;
  refcount: number;
}

export class RecircTable {
  #nextId = 1;
  readonly #byId = new Map<number, RecircNode>();
  /** Live (referenced) states, by canonical key, for sharing IDs. */
  readonly #byState = new Map<string, RecircNode>();
  readonly #keys = new Map<RecircNode, string>();
  #expiring: RecircNode[] = [];
  #expired: RecircNode[] = [];
  #lastRun = Number.NEGATIVE_INFINITY;

  /** recirc_alloc_id_ctx: the ID of an equal live state (with a new reference) or a new one. */
  alloc(state: FrozenState): number {
    const key = stateKey(state);
    const found = this.#byState.get(key);
    if (found) {
      found.refcount++;
      return found.id;
    }
    const id = this.#newId();
    const node: RecircNode = { id, state, refcount: 1 };
    this.#byId.set(id, node);
    this.#byState.set(key, node);
    this.#keys.set(node, key);
    return id;
  }

  #newId(): number {
    let id: number;
    for (;;) {
      id = this.#nextId++;
      if (this.#nextId > 0xffffffff) this.#nextId = 0;
      if (id === 0) {
        this.#nextId = RECIRC_POOL_STATIC_IDS + 1;
        id = this.#nextId++;
      }
      if (!this.#byId.has(id)) return id;
    }
  }

  /**
   * recirc_alloc_id__: a new ID for `state` even if an equal state is live (a bond's own
   * recirculation, which must not be shared with another bond's).
   */
  allocUnique(state: FrozenState): number {
    const id = this.#newId();
    const node: RecircNode = { id, state, refcount: 1 };
    this.#byId.set(id, node);
    return id;
  }

  /** The node for `id`, live or lingering, or undefined. */
  find(id: number): RecircNode | undefined {
    return this.#byId.get(id);
  }

  /** Takes another reference on a live ID (recirc_id_node_find_and_ref); false if gone. */
  ref(id: number): boolean {
    const node = this.#byId.get(id);
    if (!node || node.refcount === 0) return false;
    node.refcount++;
    return true;
  }

  /** Drops a reference (recirc_free_id); the last one makes the state unshareable. */
  unref(id: number): void {
    const node = this.#byId.get(id);
    if (!node || node.refcount === 0) return;
    if (--node.refcount === 0) {
      const key = this.#keys.get(node);
      if (key !== undefined && this.#byState.get(key) === node) this.#byState.delete(key);
      this.#keys.delete(node);
      this.#expiring.push(node);
    }
  }

  /** recirc_run: forgets unreferenced IDs after two passes at least 250 ms apart. */
  run(now: number): void {
    if (now - this.#lastRun <= 250) return;
    this.#lastRun = now;
    for (const node of this.#expired) this.#byId.delete(node.id);
    this.#expired = this.#expiring;
    this.#expiring = [];
  }

  /** How many IDs are findable (live or lingering). */
  get size(): number {
    return this.#byId.size;
  }
}
