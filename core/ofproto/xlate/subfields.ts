// Subfield operations as translation performs them (upstream's mf_read_subfield,
// mf_write_subfield_flow, mf_subfield_copy, nxm_reg_load and the stack actions): bits of a field
// read from and written to the flow, writes going through the field's semantics (the VLAN fields
// set the tag-present bit, as upstream's mf_set_flow_value), and the same writes applied to the
// wildcard mask to record what was looked at. Plain fields (registers, metadata, addresses) take
// a fast bit path that allocates nothing.

import { W_IN_PORT } from "../../datapath/flow.ts";
import type { Subfield } from "../actions/types.ts";
import { readField } from "../fields.ts";
import { formatFieldValue } from "../field_text.ts";
import { readSubfield, readSubfieldNumber, writeSubfield } from "../subfield.ts";
import type { XlateCtx } from "./context.ts";
import { prereqsOk, setFlowValue, type XFlow } from "./xflow.ts";

const SEMANTIC_FIELDS = new Set([
  "vlan_tci",
  "dl_vlan",
  "vlan_vid",
  "dl_vlan_pcp",
  "vlan_pcp",
  "in_port_oxm",
]);

function setBitsBig(value: Uint8Array, ofs: number, nBits: number, src: bigint): void {
  for (let i = 0; i < nBits; i++) {
    const bit = ofs + i;
    const byte = value.length - 1 - (bit >>> 3);
    if (byte < 0) break;
    const m = 1 << (bit & 7);
    if ((src >> BigInt(i)) & 1n) value[byte] = value[byte]! | m;
    else value[byte] = value[byte]! & ~m;
  }
}

/** mf_write_subfield_flow: the low `sf.nBits` bits of `value` into `sf` of `words`. */
export function writeSubfieldFlow(words: XFlow, sf: Subfield, value: bigint | number): void {
  if (!SEMANTIC_FIELDS.has(sf.field.name)) {
    writeSubfield(words, sf, value);
    return;
  }
  const cur = readField(words, sf.field);
  setBitsBig(cur, sf.ofs, sf.nBits, BigInt(value));
  setFlowValue(words, sf.field, cur);
}

/** Sets every bit of `sf` in the wildcard mask (with the field's semantics). */
export function unwildcardSubfield(wc: XFlow, sf: Subfield): void {
  if (sf.nBits <= 32 && !SEMANTIC_FIELDS.has(sf.field.name)) {
    writeSubfield(wc, sf, sf.nBits === 32 ? 0xffffffff : ((1 << sf.nBits) >>> 0) - 1);
    return;
  }
  writeSubfieldFlow(wc, sf, (1n << BigInt(sf.nBits)) - 1n);
}

const OFPP_MAX = 0xff00;
const OFPP11_OFFSET = 0xffff0000;

/** OXM's 32-bit in_port as mf_get_value gives it: reserved ports in the OpenFlow 1.1 range. */
function inPortOxm(flow: XFlow, sf: Subfield): number {
  const port = flow[W_IN_PORT]! & 0xffff;
  const p11 = port < OFPP_MAX ? port : (port + OFPP11_OFFSET) >>> 0;
  return sf.nBits >= 32 ? p11 >>> sf.ofs : (p11 >>> sf.ofs) & ((1 << sf.nBits) >>> 0) - 1;
}

/** mf_read_subfield: the bits of `sf` (with the field's semantics, as for in_port_oxm). */
export function readSubfieldValue(flow: XFlow, sf: Subfield): bigint {
  if (sf.field.name === "in_port_oxm") return BigInt(inPortOxm(flow, sf) >>> 0);
  return readSubfield(flow, sf);
}

export function readSubfieldSmall(flow: XFlow, sf: Subfield): number {
  if (sf.field.name === "in_port_oxm") return inPortOxm(flow, sf) >>> 0;
  return readSubfieldNumber(flow, sf);
}

/** nxm_reg_load: loads `value` into `dst`, matching on `dst`. */
export function regLoad(ctx: XlateCtx, dst: Subfield, value: bigint | number): void {
  unwildcardSubfield(ctx.wc, dst);
  writeSubfieldFlow(ctx.flow, dst, value);
}

/** mf_subfield_copy: only when both fields' prerequisites hold. */
export function subfieldCopy(ctx: XlateCtx, src: Subfield, dst: Subfield): void {
  if (!prereqsOk(dst.field, ctx.flow, ctx.wc) || !prereqsOk(src.field, ctx.flow, ctx.wc)) return;
  unwildcardSubfield(ctx.wc, src);
  unwildcardSubfield(ctx.wc, dst);
  const v = src.nBits <= 32 ? readSubfieldSmall(ctx.flow, src) : readSubfieldValue(ctx.flow, src);
  writeSubfieldFlow(ctx.flow, dst, v);
}

/** nxm_execute_stack_push. */
export function stackPush(ctx: XlateCtx, sf: Subfield): void {
  unwildcardSubfield(ctx.wc, sf);
  ctx.stackPush(readSubfieldValue(ctx.flow, sf), Math.ceil(sf.nBits / 8));
}

/** nxm_execute_stack_pop: false on an empty stack. */
export function stackPop(ctx: XlateCtx, sf: Subfield): boolean {
  const e = ctx.stackPop();
  if (!e) return false;
  unwildcardSubfield(ctx.wc, sf);
  writeSubfieldFlow(ctx.flow, sf, e.value);
  return true;
}

/** xlate_report_subfield: "NXM_NX_REG0[] is now 0x5" (whole fields in the field's format). */
export function reportSubfield(ctx: XlateCtx, sf: Subfield, name: string): void {
  if (!ctx.trace) return;
  let text: string;
  if (sf.ofs === 0 && sf.nBits >= sf.field.nBits) {
    const value = readField(ctx.flow, sf.field);
    if (sf.field.name === "in_port_oxm") {
      new DataView(value.buffer).setUint32(0, inPortOxm(ctx.flow, sf) >>> 0);
    }
    text = formatFieldValue(sf.field, value);
  } else {
    const v = readSubfieldValue(ctx.flow, sf);
    text = v === 0n ? "0" : `0x${v.toString(16)}`;
  }
  ctx.report("detail", `${name} is now ${text}`);
}
