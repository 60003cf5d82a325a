// The actions text parser (upstream's ofpacts_parse_instructions / ofpacts_parse_actions): the
// text after `actions=`, a comma- or space-separated list of keywords with `:VALUE`, `=VALUE` or
// `(VALUE)` arguments, bare port names as output, `drop` alone. Narrows the usable protocols as
// the family parsers report, enforces upstream's size and nesting limits ("input too big",
// "Action nested too deeply") and verifies the result (verify.ts).
//
// Promises: throws ParseError with upstream's message, and nothing else.

import { ParseError } from "../errors.ts";
import { P_ANY, P_OF15_UP, type Protocols } from "../protocols.ts";
import { OFP11 } from "../fields.ts";
import { parsePort, type PortMap } from "../port_text.ts";
import type { TableMap } from "../table_names.ts";
import type { Outer, ParseState } from "./kind.ts";
import { parserFor } from "./registry.ts";
import { ofpactSize } from "./size.ts";
import { KeyValueScanner } from "./text.ts";
import type { Ofpact } from "./types.ts";
import { ACTIONS_ONLY, ALL_INSTRUCTIONS, verifyActions, VerifyError } from "./verify.ts";

const MAX_PARSE_DEPTH = 100;
const MAX_SIZE = 0xffff;

export interface ActionParseContext {
  /** Port names (ovs-ofctl --names). */
  portMap?: PortMap;
  /** Table names. */
  tableMap?: TableMap;
  /**
   * Whether instructions (write_actions, goto_table ...) may appear, as in a flow's actions
   * (the default); false for action lists such as group buckets and packet-outs.
   */
  instructions?: boolean;
}

class State implements ParseState {
  portMap: PortMap | undefined;
  tableMap: TableMap | undefined;
  usable: Protocols = P_ANY;
  depth = 0;

  constructor(ctx: ActionParseContext) {
    this.portMap = ctx.portMap;
    this.tableMap = ctx.tableMap;
  }

  parseNested(text: string, outer: Outer, resetUsable: boolean): Ofpact[] {
    if (resetUsable) this.usable = P_ANY;
    return parseList(text, this, false, outer);
  }
}

function parseList(text: string, st: State, allowInstructions: boolean, outer: Outer): Ofpact[] {
  if (st.depth >= MAX_PARSE_DEPTH) throw new ParseError("Action nested too deeply");
  st.depth++;
  try {
    const out: Ofpact[] = [];
    let size = 0;
    let drop = false;
    const kv = new KeyValueScanner(text);
    for (let e = kv.next(); e; e = kv.next()) {
      const { key, value } = e;
      const parser = parserFor(key);
      if (parser) {
        try {
          out.push(parser(value, st));
        } finally {
          // In a context without instructions, meter can only be OpenFlow 1.5's meter action.
          if (key.toLowerCase() === "meter" && !allowInstructions) st.usable &= P_OF15_UP;
        }
      } else if (key.toLowerCase() === "drop") {
        drop = true;
        continue;
      } else if (key.toLowerCase() === "apply_actions") {
        throw new ParseError("apply_actions is the default instruction");
      } else {
        const port = parsePort(key, st.portMap);
        if (port === undefined) throw new ParseError(`unknown action ${key}`);
        out.push({ type: "output", port, maxLen: 0 });
      }
      size += ofpactSize(out[out.length - 1]!);
      if (size > MAX_SIZE) throw new ParseError("input too big");
    }
    if (drop && out.length) {
      throw new ParseError(`"drop" must not be accompanied by any other action or instruction`);
    }
    try {
      verifyActions(out, OFP11, allowInstructions ? ALL_INSTRUCTIONS : ACTIONS_ONLY, outer);
    } catch (e) {
      if (e instanceof VerifyError) throw new ParseError(e.text);
      throw e;
    }
    return out;
  } finally {
    st.depth--;
  }
}

/**
 * Parses the text of a flow's `actions=` (or, with `instructions: false`, a plain action
 * list). Returns the actions and the protocols that can express them.
 */
export function parseActions(
  text: string,
  context: ActionParseContext = {},
): { ofpacts: Ofpact[]; usable: Protocols } {
  const st = new State(context);
  const ofpacts = parseList(text, st, context.instructions ?? true, undefined);
  return { ofpacts, usable: st.usable };
}
