// The shape every action family fills in: for each kind of action its upstream name, formatter,
// encoder and consistency check, plus the text keywords it parses and the raw wire actions it
// decodes (raw.ts). The contexts passed to these functions carry what a family needs from the
// surrounding machinery (nested lists, port and table names, the match being checked against),
// so that no family imports the top-level parse/format/codec/check modules and there are no
// import cycles.
//
// Owns only types; the table of all kinds is in registry.ts.

import type { FlowWords } from "../../datapath/flow.ts";
import type { Protocols } from "../protocols.ts";
import type { WireWriter } from "../wire.ts";
import type { PortMap } from "../port_text.ts";
import type { TableMap } from "../table_names.ts";
import type { RawDef } from "./raw.ts";
import type { Ofpact, OfpactOf, OfpactType } from "./types.ts";

/** Where nested actions are being parsed or decoded (upstream's outer_action). */
export type Outer = "clone" | "ct" | "write_actions" | undefined;

export interface ParseState {
  portMap: PortMap | undefined;
  tableMap: TableMap | undefined;
  /** The protocols that can express what has been parsed so far (narrowed by parsers). */
  usable: Protocols;
  /**
   * Parses a nested action list as upstream's ofpacts_parse: depth-limited, verified for
   * nesting inside `outer`. With `resetUsable`, `usable` restarts from "any" first, as
   * upstream's ofpacts_parse_copy does (clone really does lose earlier restrictions).
   */
  parseNested(text: string, outer: Outer, resetUsable: boolean): Ofpact[];
}

/** Parses the argument of one keyword into one action (or throws ParseError). */
export type Parser = (arg: string, ps: ParseState) => Ofpact;

export interface FormatContext {
  portMap: PortMap | undefined;
  tableMap: TableMap | undefined;
  formatList(actions: readonly Ofpact[]): string;
}

export interface EncodeContext {
  /** Appends nested actions as an action list (upstream's ofpacts_put_openflow_actions). */
  encodeList(actions: readonly Ofpact[], version: number, w: WireWriter): void;
}

/**
 * The flow being checked against, as upstream's ofpacts_check sees it: the match's flow words
 * (which actions like push_mpls temporarily change), its mask, and the second VLAN header that
 * our flow layout has no room for.
 */
export interface CheckContext {
  flow: FlowWords;
  mask: FlowWords;
  /** TCI of the second (inner) VLAN header; VLAN_CFI set when present. */
  vlan2: number;
  maxPorts: number;
  tableId: number;
  nTables: number;
  /** Narrowed when the actions are inconsistent with the match (OpenFlow 1.0 tolerates it). */
  usable: Protocols;
  /** Checks nested actions; their changes to the flow are undone afterwards. */
  checkNested(actions: Ofpact[], foldUsable: boolean): void;
}

export interface ActionKind<T extends OfpactType> {
  /** upstream's ofpact_name, used by the parser and in error messages. */
  name: string;
  format(a: OfpactOf<T>, fc: FormatContext): string;
  encode(a: OfpactOf<T>, version: number, w: WireWriter, ec: EncodeContext): void;
  /** Throws OfpError; may annotate `a` and change the flow state in `cc`. */
  check(a: OfpactOf<T>, cc: CheckContext): void;
}

export type KindTable = { [T in OfpactType]: ActionKind<T> };

/** What each family file exports. */
export interface Family {
  kinds: Partial<KindTable>;
  /** Keywords (lowercase) and their parsers. */
  keywords: Record<string, Parser>;
  raws: RawDef[];
}
