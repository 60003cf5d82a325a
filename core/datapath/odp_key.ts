// The datapath flow key in text, upstream's lib/odp-util.c as the tools see it: parsing a flow
// such as `in_port(1),eth(...),eth_type(0x0800),ipv4(...)` into key and mask flow words
// (odp_flow_from_string, then odp_flow_key_to_flow and odp_flow_key_to_mask), and printing key
// and mask flow words exactly as `ovs-appctl dpctl/dump-flows` prints a userspace datapath's
// flows (odp_flow_key_from_flow/_mask, then odp_flow_format).
//
// Promises: bad syntax raises OdpParseError with upstream's message and nothing else escapes;
// a key that parses but does not make a sensible flow is reported through `fitness` with
// upstream's text in `error`, for the caller to reject as upstream's caller would. The
// "Megaflow:" OpenFlow-style text is not this module's (core/ofproto formats matches).

import { type FlowWords, newFlowWords } from "./flow.ts";
import { formatOdpAttrs, type OdpFormatOptions } from "./odp_format.ts";
import { flowToOdpAttrs, type OdpFitness, type OdpSupport } from "./odp_flow.ts";
import { FitError, odpAttrsToFlow } from "./odp_to_flow.ts";
import { OdpParseError, parseOdpAttrs } from "./odp_parse.ts";

export { OdpParseError };
export type { OdpFitness, OdpFormatOptions, OdpSupport };

export interface ParsedOdpFlow {
  key: FlowWords;
  mask: FlowWords;
  /** How the key fits (odp_flow_key_to_flow); anything but "perfect" is refused by dpif-netdev. */
  fitness: OdpFitness;
  /** How the mask fits (odp_flow_key_to_mask). */
  maskFitness: OdpFitness;
  /** Upstream's error text when a fitness is "error". */
  error?: string;
}

/**
 * Parses datapath flow text. A field without "/mask" is matched exactly, an attribute left out
 * is wildcarded (recirc_id excepted, exact 0 as upstream), as dpctl/add-flow sees it.
 */
export function parseOdpFlow(
  text: string,
  portNames?: (name: string) => number | undefined,
): ParsedOdpFlow {
  const attrs = parseOdpAttrs(text, portNames);
  const key = newFlowWords();
  const mask = newFlowWords();
  const err = new FitError();
  const fitness = odpAttrsToFlow(attrs.key, key, null, err);
  if (fitness === "error") {
    return { key, mask, fitness, maskFitness: "error", error: err.message };
  }
  const maskErr = new FitError();
  let maskFitness: OdpFitness = "perfect";
  if (attrs.mask.length) {
    maskFitness = odpAttrsToFlow(attrs.mask, mask, key, maskErr);
  }
  const result: ParsedOdpFlow = { key, mask, fitness, maskFitness };
  if (maskFitness === "error") result.error = maskErr.message;
  return result;
}

export interface FormatOdpFlowOptions extends OdpFormatOptions, OdpSupport {}

/**
 * Prints a key and its mask as dpctl/dump-flows does (non-verbose leaves wildcarded attributes
 * and fields out; `verbose` is dump-flows -m). With `mask` null the key alone is printed, every
 * attribute exact, as upstream's odp_flow_key_format does in logs (pass verbose: true for that).
 */
export function formatOdpFlow(
  key: FlowWords,
  mask: FlowWords | null | undefined,
  options: FormatOdpFlowOptions = {},
): string {
  const keyAttrs = flowToOdpAttrs(key, mask ?? null, false, options);
  const maskAttrs = mask ? flowToOdpAttrs(key, mask, true, options) : null;
  return formatOdpAttrs(keyAttrs, maskAttrs, options);
}

/** A key as upstream's odp_flow_key_format prints it (verbose, no mask): upcall logs. */
export function formatOdpKey(key: FlowWords, options: FormatOdpFlowOptions = {}): string {
  return formatOdpAttrs(flowToOdpAttrs(key, null, false, options), null, {
    ...options,
    verbose: true,
  });
}

/**
 * Reprints flow text straight from its parsed attributes, without going through flow words
 * (upstream's `ovstest test-odp parse-wc-keys`): how the text itself reads back.
 */
export function reformatOdpFlowText(text: string, options: OdpFormatOptions = {}): string {
  const attrs = parseOdpAttrs(text);
  return formatOdpAttrs(attrs.key, attrs.mask, options);
}
