// A match: flow words plus a mask of the same layout (upstream's struct match = flow +
// flow_wildcards). This file owns the representation and the generic, field-driven ways to set
// and read it; text syntax lives in match_text.ts and wire forms in the codecs. Promises: the
// invariant `flow & mask == flow` holds after every setter, so two matches that mean the same
// compare equal word by word; setters never touch bits outside their field.

import { FLOW_WORDS, type FlowWords } from "../datapath/flow.ts";
import { type Field, readField, writeField } from "./fields.ts";

export class Match {
  readonly flow: FlowWords;
  readonly mask: FlowWords;

  constructor(flow?: FlowWords, mask?: FlowWords) {
    this.flow = flow ?? new Uint32Array(FLOW_WORDS);
    this.mask = mask ?? new Uint32Array(FLOW_WORDS);
  }

  /** A match of everything (all bits wildcarded). */
  static catchAll(): Match {
    return new Match();
  }

  clone(): Match {
    return new Match(this.flow.slice(), this.mask.slice());
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
    for (let i = 0; i < FLOW_WORDS; i++) this.flow[i] = (this.flow[i]! & this.mask[i]!) >>> 0;
  }

  equals(other: Match): boolean {
    for (let i = 0; i < FLOW_WORDS; i++) {
      if (this.flow[i] !== other.flow[i] || this.mask[i] !== other.mask[i]) return false;
    }
    return true;
  }

  /** Whether every bit is wildcarded. */
  isCatchAll(): boolean {
    for (let i = 0; i < FLOW_WORDS; i++) if (this.mask[i] !== 0) return false;
    return true;
  }
}

function allOnes(n: number): Uint8Array {
  return new Uint8Array(n).fill(0xff);
}
