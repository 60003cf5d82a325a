// Tabular output as upstream's lib/table.c prints it for ovsdb-client and ovs-vsctl: a table is a
// caption, headings and rows of cells; it prints as an aligned text table, a list of
// "heading: value" lines, CSV, HTML or JSON, with cells rendered as OVSDB strings, bare values
// or JSON. Owns only formatting: callers build tables. Promises upstream's exact spacing
// (columns padded to the widest cell, trailing spaces trimmed, a blank line between tables).

import { type Atom, type Datum, datumFromJson } from "./datum.ts";
import { atomToString, datumToString } from "./data_string.ts";
import type { Json } from "./json.ts";
import { toOvsJson } from "./json.ts";
import type { AtomicType, OvsdbType } from "./types.ts";
import { formatTime } from "../net/vlog.ts";

export type TableFormat = "table" | "list" | "html" | "csv" | "json";
export type CellFormat = "string" | "bare" | "json";

export interface TableStyle {
  format: TableFormat;
  cellFormat: CellFormat;
  headings: boolean;
  /** Pretty-print JSON output (--pretty). */
  pretty: boolean;
}

export const DEFAULT_STYLE: TableStyle = {
  format: "table",
  cellFormat: "string",
  headings: true,
  pretty: false,
};

/** A cell: literal text, or a JSON value rendered through its OVSDB type. */
export type Cell = { text: string } | { json: Json; type?: OvsdbType };

export interface Table {
  caption?: string;
  headings: string[];
  rows: Cell[][];
  /** Print the time before the table (--timestamp). */
  timestamp?: boolean;
}

/** Upstream's "bare" rendering: strings unquoted, elements space-separated, pairs as k=v. */
export function datumToBare(datum: Datum, type: OvsdbType): string {
  const bare = (atom: Atom, atomic: AtomicType) =>
    atomic === "string" ? String(atom) : atomToString(atom, atomic);
  return datum.keys.map((key, i) => {
    const value = datum.values?.[i];
    return type.value && value !== undefined
      ? `${bare(key, type.key.type)}=${bare(value, type.value.type)}`
      : bare(key, type.key.type);
  }).join(" ");
}

function cellText(cell: Cell | undefined, style: TableStyle): string {
  if (!cell) return "";
  if ("text" in cell) return cell.text;
  if (style.cellFormat === "json" || !cell.type) return toOvsJson(cell.json, { sort: true });
  try {
    const datum = datumFromJson(cell.json, cell.type);
    return style.cellFormat === "string"
      ? datumToString(datum, cell.type)
      : datumToBare(datum, cell.type);
  } catch {
    return toOvsJson(cell.json, { sort: true });
  }
}

function timestamp(): string {
  return formatTime("%Y-%m-%d %H:%M:%S.###", new Date(), true);
}

function trimEnd(line: string): string {
  return line.replace(/ +$/, "");
}

function formatText(table: Table, style: TableStyle): string {
  const texts = table.rows.map((row) => table.headings.map((_, x) => cellText(row[x], style)));
  const widths = table.headings.map((heading, x) => {
    let width = 0;
    for (const row of texts) width = Math.max(width, (row[x] ?? "").length);
    return style.headings ? Math.max(width, heading.length) : width;
  });
  const lines: string[] = [];
  if (style.headings) {
    lines.push(trimEnd(table.headings.map((h, x) => h.padEnd(widths[x] ?? 0)).join(" ")));
    lines.push(trimEnd(widths.map((w) => "-".repeat(w)).join(" ")));
  }
  for (const row of texts) {
    lines.push(trimEnd(row.map((text, x) => text.padEnd(widths[x] ?? 0)).join(" ")));
  }
  return lines.map((l) => l + "\n").join("");
}

function formatList(table: Table, style: TableStyle): string {
  let out = "";
  table.rows.forEach((row, y) => {
    if (y > 0) out += "\n";
    table.headings.forEach((heading, x) => {
      const text = cellText(row[x], style);
      out += style.headings ? `${heading.padEnd(20)}: ${text}\n` : `${text}\n`;
    });
  });
  return out;
}

function csvCell(text: string): string {
  return /[\n",]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function formatCsv(table: Table, style: TableStyle): string {
  let out = "";
  if (style.headings) out += table.headings.map(csvCell).join(",") + "\n";
  for (const row of table.rows) {
    out += table.headings.map((_, x) => csvCell(cellText(row[x], style))).join(",") + "\n";
  }
  return out;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c,
  );
}

const UUID_PREFIX = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

function htmlCell(element: string, content: string): string {
  let out = `    <${element}>`;
  let rest = content;
  while (rest.length > 0) {
    const uuid = UUID_PREFIX.exec(rest);
    if (uuid) {
      out += `<a href="#${uuid[0]}">${uuid[0].slice(0, 8)}</a>`;
      rest = rest.slice(uuid[0].length);
    } else {
      out += escapeHtml(rest[0] ?? "");
      rest = rest.slice(1);
    }
  }
  return `${out}</${element}>\n`;
}

function formatHtml(table: Table, style: TableStyle): string {
  let out = table.timestamp ? `${timestamp()}\n` : "";
  out += "<table border=1>\n";
  if (table.caption !== undefined) out += htmlCell("caption", table.caption);
  if (style.headings) {
    out += "  <tr>\n";
    for (const heading of table.headings) out += htmlCell("th", heading);
    out += "  </tr>\n";
  }
  for (const row of table.rows) {
    out += "  <tr>\n";
    table.headings.forEach((_, x) => (out += htmlCell("td", cellText(row[x], style))));
    out += "  </tr>\n";
  }
  return out + "</table>\n";
}

function formatJson(table: Table, style: TableStyle): string {
  const out: { [key: string]: Json } = {};
  if (table.caption !== undefined) out["caption"] = table.caption;
  if (table.timestamp) out["time"] = timestamp();
  out["headings"] = table.headings;
  out["data"] = table.rows.map((row) =>
    table.headings.map((_, x) => {
      const cell = row[x];
      if (!cell) return null;
      if ("text" in cell) return cell.text;
      return cell.json;
    })
  );
  return toOvsJson(out, { sort: true, pretty: style.pretty }) + "\n";
}

/**
 * Formats tables one after another, as a sequence of table_print calls does: every table but the
 * first is preceded by a blank line (in the text, list and CSV formats).
 */
export class TablePrinter {
  #first = true;
  constructor(readonly style: TableStyle) {}

  format(table: Table): string {
    const style = this.style;
    if (style.format === "html") return formatHtml(table, style);
    if (style.format === "json") return formatJson(table, style);
    let out = this.#first ? "" : "\n";
    this.#first = false;
    if (table.timestamp) out += `${timestamp()}\n`;
    if (table.caption !== undefined) out += `${table.caption}\n`;
    if (style.format === "table") return out + formatText(table, style);
    if (style.format === "list") return out + formatList(table, style);
    return out + formatCsv(table, style);
  }
}
