// A match: flow words plus a mask of the same layout (upstream's struct match = flow +
// flow_wildcards). This file owns the representation and the generic, field-driven ways to set
// and read it; text syntax lives in match_text.ts and wire forms in the codecs. Promises: the
// invariant `flow & mask == flow` holds after every setter, so two matches that mean the same
// compare equal word by word; setters never touch bits outside their field.
//
// Both arrays are MATCH_WORDS long (the datapath's FLOW_WORDS plus the OpenFlow-only words that
// flow.ts lays out after them) and share one buffer: allocating typed-array storage is the
// dominant cost of a Match, so there is exactly one allocation per match. tun_metadata<n> values
// sit in the option area at places a TLV map decides: `tunTable` (the switch's, for matches it
// decoded) or `tunMd` (the match's own allocation, as ovs-ofctl's matches have; tun_metadata.ts).

import { MATCH_WORDS } from "../datapath/flow.ts";
import { type Field, readField, writeField } from "./fields.ts";
import type { TunMetadataAllocation, TunMetadataMap } from "./tun_metadata.ts";

export class Match {
  readonly flow: Uint32Array;
  readonly mask: Uint32Array;
  /** Where this match's tun_metadata<n> values sit when it has no TLV map (made on first use). */
  tunMd: TunMetadataAllocation | undefined = undefined;
  /** The switch's TLV map the match was decoded with, if any. */
  tunTable: TunMetadataMap | undefined = undefined;

  /**
   * A match over `flow` and `mask` when both are given at full length (they are used, not
   * copied); shorter arrays (a datapath key of FLOW_WORDS) are copied and padded with zeros.
   */
  constructor(flow?: Uint32Array, mask?: Uint32Array) {
    if (flow && mask && flow.length >= MATCH_WORDS && mask.length >= MATCH_WORDS) {
      this.flow = flow;
      this.mask = mask;
      return;
    }
    const buffer = new ArrayBuffer(8 * MATCH_WORDS);
    this.flow = new Uint32Array(buffer, 0, MATCH_WORDS);
    this.mask = new Uint32Array(buffer, 4 * MATCH_WORDS, MATCH_WORDS);
    if (flow) this.flow.set(flow.length > MATCH_WORDS ? flow.subarray(0, MATCH_WORDS) : flow);
    if (mask) this.mask.set(mask.length > MATCH_WORDS ? mask.subarray(0, MATCH_WORDS) : mask);
  }

  /** A match of everything (all bits wildcarded). */
  static catchAll(): Match {
    return new Match();
  }

  clone(): Match {
    const copy = new Match();
    copy.flow.set(this.flow);
    copy.mask.set(this.mask);
    copy.tunMd = this.tunMd?.clone();
    copy.tunTable = this.tunTable;
    return copy;
  }

  /** Sets `field` to `value` under `mask` (all ones when omitted), keeping the invariant. */
  set(f: Field, value: Uint8Array, mask?: Uint8Array): void {
    const full = mask ?? allOnes(f.nBytes);
    const masked = new Uint8Array(f.nBytes);
    for (let i = 0; i < f.nBytes; i++) masked[i] = (value[i] ?? 0) & (full[i] ?? 0);
    writeField(this.mask, f, full);
    writeField(this.flow, f, masked);
    // Bits outside the field's storage (nw_tos's ECN bits) must stay clear in both.
    this.normalizeField(f);
  }

  /** Wildcards `field` entirely. */
  clear(f: Field): void {
    const zero = new Uint8Array(f.nBytes);
    writeField(this.mask, f, zero);
    writeField(this.flow, f, zero);
  }

  value(f: Field): Uint8Array {
    return readField(this.flow, f);
  }

  maskOf(f: Field): Uint8Array {
    return readField(this.mask, f);
  }

  /** Re-applies the mask to the flow within one field's words. */
  normalizeField(f: Field): void {
    for (let w = f.word; w < f.word + f.nWords; w++) {
      this.flow[w] = (this.flow[w]! & this.mask[w]!) >>> 0;
    }
  }

  /** Re-applies the mask to the whole flow. */
  normalize(): void {
    const flow = this.flow;
    const mask = this.mask;
    for (let i = 0; i < MATCH_WORDS; i++) flow[i] = (flow[i]! & mask[i]!) >>> 0;
  }

  equals(other: Match): boolean {
    const a = this.flow;
    const b = other.flow;
    const am = this.mask;
    const bm = other.mask;
    for (let i = 0; i < MATCH_WORDS; i++) {
      if (a[i] !== b[i] || am[i] !== bm[i]) return false;
    }
    return true;
  }

  /** Whether every bit is wildcarded. */
  isCatchAll(): boolean {
    const mask = this.mask;
    for (let i = 0; i < MATCH_WORDS; i++) if (mask[i] !== 0) return false;
    return true;
  }
}

function allOnes(n: number): Uint8Array {
  return new Uint8Array(n).fill(0xff);
}
