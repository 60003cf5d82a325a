// The tree of notes a traced translation leaves (upstream's oftrace_node): bridges, tables,
// actions, details, warnings and errors, nested as translation nests, and its text exactly as
// ofproto/trace prints it (oftrace_node_print_details: four spaces per level, " -> " details,
// " >> " warnings, " >>>> ... <<<<" errors, a dashed line under each bridge). Only built when a
// trace is asked for; translation without a trace never touches this.

export type TraceType =
  | "bridge"
  | "table"
  | "thaw"
  | "action"
  | "detail"
  | "warn"
  | "error"
  | "bucket";

export interface TraceNode {
  readonly type: TraceType;
  readonly text: string;
  readonly subs: TraceNode[];
}

/** Appends a node to `list` and returns the list of its children. */
export function traceReport(list: TraceNode[], type: TraceType, text: string): TraceNode[] {
  const node: TraceNode = { type, text, subs: [] };
  list.push(node);
  return node.subs;
}

function isTerminal(type: TraceType): boolean {
  return type === "action" || type === "detail" || type === "warn" || type === "error" ||
    type === "bucket";
}

/** oftrace_node_print_details. */
export function formatTraceNodes(nodes: readonly TraceNode[], level = 0): string {
  let out = "";
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.type === "bridge") out += "\n";
    const more = i !== nodes.length - 1 || isTerminal(node.type) ? 1 : 0;
    const indent = " ".repeat((level + more) * 4);
    out += indent;
    switch (node.type) {
      case "detail":
        out += ` -> ${node.text}\n`;
        break;
      case "warn":
        out += ` >> ${node.text}\n`;
        break;
      case "error":
        out += ` >>>> ${node.text} <<<<\n`;
        break;
      case "bridge":
        out += `${node.text}\n${indent}${"-".repeat(node.text.length)}\n`;
        break;
      default:
        out += `${node.text}\n`;
    }
    out += formatTraceNodes(node.subs, level + more + more);
  }
  return out;
}
