// The texts of tables, as `ovs-ofctl dump-tables`, `dump-table-features`, `dump-table-desc` and
// ofp-print show them (upstream's ofputil_table_features_format and friends): features with
// upstream's abbreviations of field lists ("eth_{src,dst}", "reg0...reg15"), the "(same ...)"
// and "ditto" compression of a table that repeats the one before, stats lines, descriptions.
// Pure formatting over the models of table.ts and table_stats.ts; and the mod-table setting
// parser (upstream's parse_ofp_table_mod).

import { ParseError } from "../errors.ts";
import { FIELDS, OFP11, OFP12, OFP13, OFP14, OFP15 } from "../fields.ts";
import { strToInt, Strtok } from "../actions/text.ts";
import { tableFromString } from "../table_names.ts";
import { formatOfpactBitmap } from "./ofpact_bitmap.ts";
import { formatTable, type TableNames } from "./ports.ts";
import {
  defaultTableMod,
  OFPTT_ALL,
  type TableActionFeatures,
  type TableFeatures,
  type TableInstructionFeatures,
  type TableMod,
} from "./table.ts";
import type { TableDesc, TableStats, TableStatus } from "./table_stats.ts";
import { bitNames } from "./text_util.ts";

const OVSINST_NAMES = [
  "meter",
  "apply_actions",
  "clear_actions",
  "write_actions",
  "write_metadata",
  "goto_table",
];

function isAllDigits(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

function areNamesSequential(a: string, b: string): boolean {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length && i === b.length) return false;
  const ra = a.slice(i);
  const rb = b.slice(i);
  return isAllDigits(ra) && isAllDigits(rb) && ra.length < 10 && rb.length < 10 &&
    parseInt(ra, 10) + 1 === parseInt(rb, 10);
}

function sequentialRun(ids: readonly string[], from: number, n: number): number {
  for (let i = 1;; i++) {
    if (i >= n || !areNamesSequential(ids[from + i - 1]!, ids[from + i]!)) return i === 2 ? 1 : i;
  }
}

function commonPrefix(a: string, b: string): number {
  let ret = 0;
  for (let i = 0;; i++) {
    if (i >= a.length || i >= b.length || a[i] !== b[i]) return ret;
    if (a[i] === "_") ret = i + 1;
  }
}

function prefixRun(
  ids: readonly string[],
  from: number,
  n: number,
  prefixLen: number,
): { run: number; extra: number } {
  if (n < 2) return { run: n, extra: 0 };
  const extra = commonPrefix(ids[from]!.slice(prefixLen), ids[from + 1]!.slice(prefixLen));
  if (!extra) return { run: 1, extra: 0 };
  let i = 2;
  while (i < n && commonPrefix(ids[from]!.slice(prefixLen), ids[from + i]!.slice(prefixLen))) i++;
  return { run: i, extra };
}

function printNames(ids: readonly string[], from: number, n: number, prefixLen: number): string {
  let s = "";
  let group = 0;
  while (n > 0) {
    if (group++) s += prefixLen ? "," : " ";
    const { run: pRun, extra } = prefixRun(ids, from, n, prefixLen);
    const sRun = sequentialRun(ids, from, n);
    const run = Math.max(pRun, sRun);
    if (sRun >= pRun) {
      s += ids[from]!.slice(prefixLen);
      if (run > 1) s += "..." + ids[from + run - 1]!.slice(prefixLen);
    } else {
      s += ids[from]!.slice(prefixLen, prefixLen + extra) + "{" +
        printNames(ids, from, run, prefixLen + extra) + "}";
    }
    from += run;
    n -= run;
  }
  return s;
}

/** " name name ..." of a field bitmap, abbreviated as upstream (empty for none). */
export function formatFieldBitmap(bits: bigint): string {
  const ids = FIELDS.filter((f) => bits & (1n << BigInt(f.id))).map((f) => f.name);
  return ids.length ? " " + printNames(ids, 0, ids.length, 0) : "";
}

function actionFeaturesText(taf: TableActionFeatures): string {
  let s = "";
  if (taf.ofpacts) s += "        actions: " + formatOfpactBitmap(taf.ofpacts) + "\n";
  if (taf.setFields) {
    s += "        supported on Set-Field:" + formatFieldBitmap(taf.setFields) + "\n";
  }
  return s;
}

function actionFeaturesEqual(a: TableActionFeatures, b: TableActionFeatures): boolean {
  return a.ofpacts === b.ofpacts && a.setFields === b.setFields;
}

function actionFeaturesEmpty(a: TableActionFeatures): boolean {
  return !a.ofpacts && !a.setFields;
}

function instructionFeaturesText(
  tif: TableInstructionFeatures,
  prev: TableInstructionFeatures | undefined,
): string {
  let s = "";
  if (tif.next) {
    let line = "      next tables: ";
    let start = -1;
    const parts: string[] = [];
    for (let t = 0; t <= 255; t++) {
      const set = t < 255 && (tif.next & (1n << BigInt(t))) !== 0n;
      if (set && start < 0) start = t;
      if (!set && start >= 0) {
        parts.push(t === start + 1 ? `${start}` : `${start}-${t - 1}`);
        start = -1;
      }
    }
    line += parts.join(",");
    if (line.endsWith(" ")) line += "none";
    s += line + "\n";
  }
  if (tif.instructions) {
    if (prev && tif.instructions === prev.instructions) {
      s += "      (same instructions)\n";
    } else {
      const names: string[] = [];
      for (let i = 0; i < 32; i++) {
        if (tif.instructions & (1 << i)) names.push(OVSINST_NAMES[i] ?? String(i));
      }
      s += "      instructions: " + names.join(" ") + "\n";
    }
  }
  if (
    prev && actionFeaturesEqual(tif.write, prev.write) &&
    actionFeaturesEqual(tif.apply, prev.apply) && tif.write.setFields
  ) {
    s += "      (same actions)\n";
  } else if (!actionFeaturesEqual(tif.write, tif.apply)) {
    s += "      Write-Actions features:\n" + actionFeaturesText(tif.write);
    s += "      Apply-Actions features:\n" + actionFeaturesText(tif.apply);
  } else if (tif.write.ofpacts || tif.write.setFields) {
    s += "      Write-Actions and Apply-Actions features:\n" + actionFeaturesText(tif.write);
  }
  return s;
}

function nextEqual(a: bigint, aId: number, b: bigint, bId: number): boolean {
  if (bId === aId + 1 && a & (1n << BigInt(bId)) && !(b & (1n << BigInt(bId)))) {
    return ((a ^ b) & ~(1n << BigInt(bId))) === 0n;
  }
  if (aId === bId + 1) return nextEqual(b, bId, a, aId);
  return a === b;
}

function instructionFeaturesEqual(
  a: TableInstructionFeatures,
  aId: number,
  b: TableInstructionFeatures,
  bId: number,
): boolean {
  return nextEqual(a.next, aId, b.next, bId) && a.instructions === b.instructions &&
    actionFeaturesEqual(a.write, b.write) && actionFeaturesEqual(a.apply, b.apply);
}

function instructionFeaturesEmpty(t: TableInstructionFeatures): boolean {
  return !t.next && !t.instructions && actionFeaturesEmpty(t.write) && actionFeaturesEmpty(t.apply);
}

function featuresEqual(a: TableFeatures, b: TableFeatures): boolean {
  return a.metadataMatch === b.metadataMatch && a.metadataWrite === b.metadataWrite &&
    a.missConfig === b.missConfig && a.supportsEviction === b.supportsEviction &&
    a.supportsVacancyEvents === b.supportsVacancyEvents && a.maxEntries === b.maxEntries &&
    instructionFeaturesEqual(a.nonmiss, a.tableId, b.nonmiss, b.tableId) &&
    instructionFeaturesEqual(a.miss, a.tableId, b.miss, b.tableId) && a.match === b.match;
}

function featuresEmpty(tf: TableFeatures): boolean {
  return !tf.metadataMatch && !tf.metadataWrite && tf.missConfig === "default" &&
    tf.supportsEviction === undefined && tf.supportsVacancyEvents === undefined &&
    !tf.maxEntries && instructionFeaturesEmpty(tf.nonmiss) && instructionFeaturesEmpty(tf.miss) &&
    !tf.match;
}

function statsEqual(a: TableStats, b: TableStats): boolean {
  return a.activeCount === b.activeCount && a.lookupCount === b.lookupCount &&
    a.matchedCount === b.matchedCount;
}

const ALL = (1n << BigInt(FIELDS.length)) - 1n;

function matchesText(f: TableFeatures, mask: boolean, wc: boolean, title: string): string {
  const m = mask ? f.mask : ~f.mask & ALL;
  const w = wc ? f.wildcard : ~f.wildcard & ALL;
  const bm = f.match & m & w;
  return bm ? `      ${title}:` + formatFieldBitmap(bm) + "\n" : "";
}

/** Tracks the run of "ditto" tables between calls, as upstream's first/last_ditto. */
export interface DittoState {
  first: number;
  last: number;
}

export function newDittoState(): DittoState {
  return { first: -1, last: -1 };
}

/** Closes a run of ditto tables (upstream's ofputil_table_features_format_finish). */
export function formatTableFeaturesFinish(d: DittoState): string {
  if (d.first < 0) return "";
  return d.first === d.last
    ? `\n  table ${d.first}: ditto\n`
    : `\n  tables ${d.first}...${d.last}: ditto\n`;
}

const TF_COMMAND_TEXT: Record<string, string> = {
  replace: "replace",
  modify: "modify",
  enable: "enable",
  disable: "disable",
};

/** One table's features (and stats) after `prev` (upstream's ofputil_table_features_format). */
export function formatTableFeatures(
  features: TableFeatures,
  prev: TableFeatures | undefined,
  stats: TableStats | undefined,
  prevStats: TableStats | undefined,
  ditto: DittoState,
): string {
  let s = "";
  if (!prev && features.command !== "replace") {
    s += `\n  command: ${TF_COMMAND_TEXT[features.command] ?? "***bad command***"}`;
  }
  const table = features.tableId;
  const prevTable = prev ? prev.tableId : 0;
  const sameStats = !stats || (prevStats !== undefined && statsEqual(stats, prevStats));
  const sameFeatures = prev !== undefined && featuresEqual(features, prev);
  if (sameStats && sameFeatures && !features.name) {
    if (ditto.first < 0) ditto.first = table;
    ditto.last = table;
    return s;
  }
  s += formatTableFeaturesFinish(ditto);
  ditto.first = -1;
  s += `\n  table ${table}`;
  if (features.name) s += ` ("${features.name}")`;
  s += ":";
  if (sameStats && sameFeatures) return s + " ditto";
  s += "\n";
  if (stats) {
    s += `    active=${stats.activeCount}, lookup=${stats.lookupCount}, ` +
      `matched=${stats.matchedCount}\n`;
  }
  if (sameFeatures) {
    if (!featuresEmpty(features)) s += "    (same features)\n";
    return s;
  }
  if (features.metadataMatch || features.metadataWrite) {
    const hx = (v: bigint) => (v ? `0x${v.toString(16)}` : "0");
    s += `    metadata: match=${hx(features.metadataMatch)} write=${hx(features.metadataWrite)}\n`;
  }
  if (features.missConfig !== "default") s += `    config=${features.missConfig}\n`;
  if (features.supportsEviction !== undefined) {
    s += `    eviction: ${features.supportsEviction ? "" : "not "}supported\n`;
  }
  if (features.supportsVacancyEvents !== undefined) {
    s += `    vacancy events: ${features.supportsVacancyEvents ? "" : "not "}supported\n`;
  }
  if (features.maxEntries) s += `    max_entries=${features.maxEntries}\n`;
  const prevNonmiss = prev?.nonmiss;
  const prevMiss = prev?.miss;
  if (
    prev && instructionFeaturesEqual(features.nonmiss, table, prev.nonmiss, prevTable) &&
    instructionFeaturesEqual(features.miss, table, prev.miss, prevTable)
  ) {
    if (!instructionFeaturesEmpty(features.nonmiss)) s += "    (same instructions)\n";
  } else if (!instructionFeaturesEqual(features.nonmiss, table, features.miss, table)) {
    s += "    instructions (other than table miss):\n" +
      instructionFeaturesText(features.nonmiss, prevNonmiss);
    s += "    instructions (table miss):\n" + instructionFeaturesText(features.miss, prevMiss);
  } else if (!instructionFeaturesEmpty(features.nonmiss)) {
    s += "    instructions (table miss and others):\n" +
      instructionFeaturesText(features.nonmiss, prevNonmiss);
  }
  if (features.match) {
    if (prev && features.match === prev.match) {
      s += "    (same matching)\n";
    } else {
      s += "    matching:\n";
      s += matchesText(features, true, true, "arbitrary mask");
      s += matchesText(features, false, true, "exact match or wildcard");
      s += matchesText(features, false, false, "must exact match");
    }
  }
  return s;
}

const EVICTION_FLAGS: Record<number, string> = { 1: "OTHER", 2: "IMPORTANCE", 4: "LIFETIME" };

function evictionFlagsText(flags: number): string {
  return flags !== 0xffffffff ? bitNames(flags, (b) => EVICTION_FLAGS[b], "|") : "(default)";
}

/** A table description (upstream's ofputil_table_desc_format). */
export function formatTableDesc(td: TableDesc, names?: TableNames): string {
  let s = `\n  table ${formatTable(td.tableId, names)}:\n`;
  s += `   eviction=${td.eviction === "invalid" ? "***error***" : td.eviction} eviction_flags=` +
    evictionFlagsText(td.evictionFlags) + "\n";
  s += `   vacancy=${td.vacancy}`;
  if (td.vacancy === "on") {
    s += ` vacancy_down=${td.tableVacancy.vacancyDown}%` +
      ` vacancy_up=${td.tableVacancy.vacancyUp}% vacancy=${td.tableVacancy.vacancy}%`;
  }
  return s + "\n";
}

export function formatTableStatus(ts: TableStatus, names?: TableNames): string {
  let s = "";
  if (ts.reason === 3) s += " reason=VACANCY_DOWN";
  else if (ts.reason === 4) s += " reason=VACANCY_UP";
  return s + "\ntable_desc:-" + formatTableDesc(ts.desc, names);
}

/** What parseTableMod returns: the table mod, a new table name if one was set, the versions. */
export interface ParsedTableMod {
  tm: TableMod;
  /** The name from a "name:NAME" setting (sent as a table features request, 1.3+). */
  name: string | undefined;
  /** Bitmap (1 << version) of the OpenFlow versions that can carry the setting. */
  usableVersions: number;
}

const V11_12 = (1 << OFP11) | (1 << OFP12);
const V14_15 = (1 << OFP14) | (1 << OFP15);

function parseVacancy(tm: TableMod, setting: string): void {
  const tok = new Strtok(setting);
  tok.next(":");
  const down = tok.next(",");
  if (down === undefined) throw new ParseError("Vacancy down value missing");
  const d = strToInt(down);
  if (d === undefined || d < 0 || d > 100) {
    throw new ParseError(`Invalid vacancy down value "${down}"`);
  }
  const up = tok.next(",");
  if (up === undefined) throw new ParseError("Vacancy up value missing");
  const u = strToInt(up);
  if (u === undefined || u < 0 || u > 100) throw new ParseError(`Invalid vacancy up value "${up}"`);
  if (d > u) {
    throw new ParseError(
      "Invalid vacancy range, vacancy up should be greater than vacancy down (OFPBPC_BAD_VALUE)",
    );
  }
  tm.tableVacancy.vacancyDown = d;
  tm.tableVacancy.vacancyUp = u;
}

/**
 * upstream's parse_ofp_table_mod: `ovs-ofctl mod-table TABLE SETTING` (TABLE a number, a name
 * or "all"; SETTING controller, continue, drop, evict, noevict, vacancy:DOWN,UP, novacancy or
 * name:NAME). Throws ParseError with upstream's texts.
 */
export function parseTableMod(
  tableId: string,
  setting: string,
  tableMap?: TableNames,
): ParsedTableMod {
  let id: number | undefined;
  if (tableId.toLowerCase() === "all") id = OFPTT_ALL;
  else id = tableFromString(tableId, tableMap);
  if (id === undefined) throw new ParseError(`unknown table "${tableId}"`);
  const tm = defaultTableMod(id);
  let name: string | undefined;
  let usableVersions = 0;
  const colon = setting.indexOf(":");
  const head = colon >= 0 ? setting.slice(0, colon) : setting;
  if (setting === "controller" || setting === "continue" || setting === "drop") {
    tm.miss = setting;
    usableVersions = V11_12;
  } else if (setting === "evict" || setting === "noevict") {
    tm.eviction = setting === "evict" ? "on" : "off";
    usableVersions = V14_15;
  } else if ("vacancy".startsWith(head)) {
    tm.vacancy = "on";
    usableVersions = V14_15;
    parseVacancy(tm, setting);
  } else if (setting === "novacancy") {
    tm.vacancy = "off";
    usableVersions = V14_15;
  } else if (id !== OFPTT_ALL && setting.startsWith("name:")) {
    name = setting.slice(5);
    usableVersions = (1 << OFP13) | V14_15;
  } else {
    throw new ParseError(`invalid table_mod setting ${setting}`);
  }
  if (id === 0xfe && tm.miss === "continue") {
    throw new ParseError("last table's flow miss handling can not be continue");
  }
  return { tm, name, usableVersions };
}
