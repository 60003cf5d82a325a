// The live monitor page's script, part one: the state (collections of keyed rows, as the store
// of store.ts sends them), the event stream that keeps it current by deltas, and the virtual
// table that draws only the rows in view, so a bridge with thousands of flows scrolls and
// filters at once. Part two (page_views.ts) lays out the tabs. Plain browser JavaScript, no
// libraries; draws with textContent only (no HTML built from data), so values cannot inject
// markup. Written without backticks or dollar-brace, since it lives in a template string.

import { MONITOR_VIEWS } from "./page_views.ts";

const CORE = String.raw`
"use strict";
const $ = (id) => document.getElementById(id);
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// --- state -------------------------------------------------------------------------------
const state = {
  seq: -1,
  instance: "",
  skew: 0,           // server clock minus ours, so ages shown are the server's
  cols: new Map(),   // collection -> column names
  index: new Map(),  // collection -> { column name: position }
  rows: new Map(),   // collection -> Map(key -> row)
  changed: new Map(),// collection -> Map(key -> { at, before })
  dirty: new Set(),
  stream: null,
  streamDown: false,
};
// Figures the browser test reads (and anyone curious, from the console).
const stats = {
  applied: 0, bytes: 0, lastApplyMs: 0, lastPaintMs: 0, lastFrameMs: 0, lastLatencyMs: 0,
  paints: 0, lastSeq: -1, firstPaintMs: 0,
};
window.__monitor = { state, stats };

function serverNow() { return Date.now() + state.skew; }
function rowsOf(name) { return state.rows.get(name) || new Map(); }
function ix(name) { return state.index.get(name) || {}; }
function setColumns(name, columns) {
  state.cols.set(name, columns);
  const index = {};
  columns.forEach((c, i) => { index[c] = i; });
  state.index.set(name, index);
}

function applyFull(message) {
  state.cols.clear(); state.index.clear(); state.rows.clear(); state.changed.clear();
  for (const name of Object.keys(message.collections)) {
    const c = message.collections[name];
    setColumns(name, c.columns);
    state.rows.set(name, new Map(c.rows));
    state.dirty.add(name);
  }
  state.dirty.add("*");
  state.seq = message.seq;
  state.instance = message.instance;
  state.skew = message.now - Date.now();
}

// False when the delta does not follow what we hold (then the whole state is fetched again).
function applyDelta(message) {
  state.skew = message.now - Date.now();
  if (message.seq === state.seq && Object.keys(message.changes).length === 0) return true;
  if (message.seq !== state.seq + 1) return false;
  const at = Date.now();
  for (const name of message.drop) {
    state.cols.delete(name); state.index.delete(name); state.rows.delete(name);
    state.changed.delete(name); state.dirty.add(name); state.dirty.add("*");
  }
  for (const name of Object.keys(message.changes)) {
    const change = message.changes[name];
    let rows = state.rows.get(name);
    if (change.columns || !rows) {
      setColumns(name, change.columns || []);
      rows = new Map();
      state.rows.set(name, rows);
      state.changed.delete(name);
      state.dirty.add("*");
    }
    let changed = state.changed.get(name);
    if (!changed) { changed = new Map(); state.changed.set(name, changed); }
    for (const [key, row] of change.set) {
      const before = rows.get(key);
      if (before) changed.set(key, { at, before });
      rows.set(key, row);
    }
    for (const key of change.del) { rows.delete(key); changed.delete(key); }
    state.dirty.add(name);
  }
  state.seq = message.seq;
  return true;
}

function connect(since) {
  if (state.stream) state.stream.close();
  const url = "/api/events" + (since === undefined ? "" : "?since=" + encodeURIComponent(since));
  const stream = new EventSource(url);
  state.stream = stream;
  stream.addEventListener("full", (event) => {
    const t0 = performance.now();
    applyFull(JSON.parse(event.data));
    stats.lastApplyMs = performance.now() - t0;
    state.streamDown = false;
    requestPaint();
  });
  stream.addEventListener("delta", (event) => {
    const t0 = performance.now();
    const message = JSON.parse(event.data);
    if (!applyDelta(message)) { connect(); return; }
    stats.applied++;
    stats.lastApplyMs = performance.now() - t0;
    stats.bytes += event.data.length;
    state.streamDown = false;
    // From the server sending the delta to the page showing it (one machine, one clock).
    requestPaint(() => { stats.lastLatencyMs = Date.now() - message.now; });
  });
  stream.onerror = () => { state.streamDown = true; requestPaint(); };
}

// --- formatting --------------------------------------------------------------------------
// One formatter for the page: making one per call (toLocaleString) costs tens of microseconds,
// which thousands of rows turn into seconds.
const integerFormat = new Intl.NumberFormat("en-US");
// Natural order ("10.0.2.1" before "10.0.10.1") by zero-padding digit runs, once per string:
// a collator with numeric ordering does the same but made sorting 5,000 flows take 200 ms.
const naturalKeys = new Map();
function naturalKey(text) {
  let key = naturalKeys.get(text);
  if (key === undefined) {
    if (naturalKeys.size > 200000) naturalKeys.clear();
    key = text.replace(/\d+/g, (digits) => digits.padStart(12, "0"));
    naturalKeys.set(text, key);
  }
  return key;
}
function fmtInt(n) { return n === null || n === undefined ? "" : integerFormat.format(n); }
function fmtAge(ms) {
  if (ms === null || ms === undefined || !isFinite(ms)) return "";
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n) => (n < 10 ? "0" : "") + n;
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + two(s % 60) + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h" + two(Math.floor(s / 60) % 60) + "m";
  return Math.floor(s / 86400) + "d" + two(Math.floor(s / 3600) % 24) + "h";
}
// Sort values of default orders: numbers padded so that text order is numeric order.
function pad(n, width) { return String(Math.max(0, Math.floor(n))).padStart(width, "0"); }
function compareValues(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = naturalKey(String(a)), y = naturalKey(String(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

// --- filter ------------------------------------------------------------------------------
const filterBox = $("filter");
let filterWords = [];
const searchCache = new WeakMap();
function matchesFilter(row, key, searchText) {
  if (filterWords.length === 0) return true;
  let text = searchCache.get(row);
  if (text === undefined) { text = searchText(row, key).toLowerCase(); searchCache.set(row, text); }
  for (const word of filterWords) if (!text.includes(word)) return false;
  return true;
}

// --- virtual table -----------------------------------------------------------------------
// Columns: { label, width (CSS grid track), cls, value(row, key) -> raw, text(raw, row, key),
// counter (true: flash and show the rise when it grows) }. Only the rows in view exist in the
// document; scrolling repositions a small pool of row elements.
const ROW_HEIGHT = 24;
class VirtualTable {
  constructor(options) {
    this.options = options;
    this.entries = [];
    this.sort = null;  // { column, descending }
    this.selected = null;
    this.pool = [];
    this.root = el("div");
    this.box = el("div", "vt");
    this.inner = el("div", "inner");
    this.head = el("div", "tr th");
    this.body = el("div", "rows");
    this.details = el("div", "details");
    this.details.hidden = true;
    this.note = el("div", "empty");
    this.note.hidden = true;
    this.inner.append(this.head, this.body, this.note);
    this.box.append(this.inner);
    this.root.append(this.box, this.details);
    this.box.addEventListener("scroll", () => this.paint(), { passive: true });
    this.body.addEventListener("click", (event) => {
      const tr = event.target.closest(".tr");
      if (!tr) return;
      this.selected = this.selected === tr.dataset.key ? null : tr.dataset.key;
      this.paint();
    });
    this.setColumns(options.columns);
  }

  setColumns(columns) {
    this.columns = columns;
    // Rows are flex boxes with the same basis and growth per column, so cells line up; a grid
    // per row lined them up too but doubled the cost of laying out a screen of rows.
    this.flex = columns.map((c) => {
      const width = /(\d+)px(?:, *(\d+)fr)?/.exec(c.width || "minmax(120px, 1fr)");
      return (width[2] || "0") + " 0 " + width[1] + "px";
    });
    this.inner.style.minWidth = columns.reduce((sum, c) => sum + (c.min || 110), 0) + "px";
    this.head.replaceChildren();
    columns.forEach((column, i) => {
      // Headers align as their column does, without its colours.
      const cell = el("div", /\bnum\b/.test(column.cls || "") ? "num" : "", column.label);
      cell.style.flex = this.flex[i];
      cell.title = "sort by " + column.label;
      cell.addEventListener("click", () => {
        const same = this.sort && this.sort.column === i;
        this.sort = same && this.sort.descending ? null : { column: i, descending: same };
        this.refresh();
      });
      this.head.append(cell);
    });
    for (const tr of this.pool) tr.remove();
    this.pool = [];
  }

  // Filters and sorts the rows, then draws what is in view.
  setRows(rows) { this.rows = rows; this.refresh(); }
  refresh() {
    const options = this.options;
    const entries = [];
    for (const [key, row] of this.rows || []) {
      if (matchesFilter(row, key, options.search)) entries.push([key, row]);
    }
    // Each entry's sort value is computed once, then compared (decorate, sort, undecorate).
    const byKey = (a, b) => (a[1][0] < b[1][0] ? -1 : a[1][0] > b[1][0] ? 1 : 0);
    let decorated = null;
    if (this.sort) {
      const column = this.columns[this.sort.column];
      const sign = this.sort.descending ? -1 : 1;
      decorated = entries.map((e) => [column.value(e[1], e[0]), e]);
      decorated.sort((a, b) => sign * compareValues(a[0], b[0]) || byKey(a, b));
    } else if (options.order) {
      decorated = entries.map((e) => [options.order(e[1], e[0]), e]);
      decorated.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : byKey(a, b)));
    }
    if (decorated) for (let i = 0; i < decorated.length; i++) entries[i] = decorated[i][1];
    this.head.childNodes.forEach((cell, i) => {
      const mark = this.sort && this.sort.column === i ? (this.sort.descending ? " \u25be" : " \u25b4") : "";
      cell.textContent = this.columns[i].label + mark;
    });
    this.entries = entries;
    const total = this.rows ? this.rows.size : 0;
    const height = Math.min(options.maxHeight(), (Math.max(entries.length, 1) + 1) * ROW_HEIGHT + 2);
    this.box.style.height = height + "px";
    this.viewHeight = height;
    this.body.style.height = entries.length * ROW_HEIGHT + "px";
    this.note.hidden = entries.length > 0;
    this.note.textContent = total ? "No row matches the filter." : options.empty || "Nothing here.";
    if (options.onCount) options.onCount(entries.length, total);
    this.paint();
  }

  // Entry i is always drawn by pool[i % size] at i * ROW_HEIGHT, so a scroll redraws only the
  // rows it reveals, and a refresh only the cells whose row changed or that show an age.
  paint() {
    const t0 = performance.now();
    const size = Math.ceil((this.viewHeight || this.box.clientHeight) / ROW_HEIGHT) + 10;
    const first = Math.max(0, Math.floor(this.box.scrollTop / ROW_HEIGHT) - 5);
    const last = Math.min(this.entries.length, first + size);
    if (this.pool.length !== size) {
      for (const tr of this.pool) tr.remove();
      this.pool = [];
      for (let j = 0; j < size; j++) {
        const tr = el("div", "tr");
        this.columns.forEach((column, i) => {
          const cell = el("div", column.cls || "");
          cell.style.flex = this.flex[i];
          tr.append(cell);
        });
        tr.hidden = true;
        this.body.append(tr);
        this.pool.push(tr);
      }
    }
    const changed = state.changed.get(this.options.collection);
    const now = Date.now();
    for (let i = first; i < first + size; i++) {
      const tr = this.pool[i % size];
      if (i >= last) {
        if (!tr.hidden) { tr.hidden = true; tr.drawn = null; }
        continue;
      }
      const [key, row] = this.entries[i];
      if (tr.hidden) tr.hidden = false;
      if (tr.index !== i) { tr.style.transform = "translateY(" + i * ROW_HEIGHT + "px)"; tr.index = i; }
      const fresh = !tr.drawn || tr.drawn.key !== key || tr.drawn.row !== row;
      if (fresh) tr.dataset.key = key;
      const change = changed && changed.get(key);
      const recent = change && now - change.at < 1500 ? change : null;
      const wasHot = tr.drawn && tr.drawn.hot;
      let hot = false;
      for (let c = 0; c < this.columns.length; c++) {
        const column = this.columns[c];
        if (!fresh && !column.live && !(column.counter && (recent || wasHot))) continue;
        const cell = tr.childNodes[c];
        const raw = column.value(row, key);
        const text = column.text ? column.text(raw, row, key) : (raw === null || raw === undefined ? "" : String(raw));
        const rise = column.counter && recent ? raw - column.value(recent.before, key) : 0;
        if (rise > 0) {
          hot = true;
          cell.textContent = text;
          cell.append(el("span", "delta", "+" + fmtInt(rise)));
          cell.classList.add("rise");
          continue;
        }
        if (cell.textContent !== text || cell.childNodes.length > 1) cell.textContent = text;
        if (column.counter) cell.classList.remove("rise");
        if (fresh) {
          const title = text.length > 24 ? text : "";
          if (cell.title !== title) cell.title = title;
        }
      }
      let cls = "tr";
      if (hot) cls += " hot";
      if (key === this.selected) cls += " sel";
      if (this.options.rowClass) cls += " " + this.options.rowClass(row, key);
      if (tr.className !== cls) tr.className = cls;
      tr.drawn = { key, row, hot };
    }
    this.paintDetails();
    stats.lastPaintMs = performance.now() - t0;
    stats.paints++;
  }

  paintDetails() {
    if (this.selected === null) { this.details.hidden = true; return; }
    const row = this.rows && this.rows.get(this.selected);
    this.details.hidden = false;
    this.details.textContent = row ? this.options.detail(row, this.selected) : "(this row is gone)";
  }
}

let paintRequested = false;
let afterPaint = [];
function requestPaint(then) {
  if (then) afterPaint.push(then);
  if (paintRequested) return;
  paintRequested = true;
  requestAnimationFrame(() => {
    paintRequested = false;
    paintAll();
    const callbacks = afterPaint;
    afterPaint = [];
    for (const callback of callbacks) callback();
  });
}
`;

const START = String.raw`
filterBox.addEventListener("input", () => {
  filterWords = filterBox.value.toLowerCase().split(/\s+/).filter((w) => w !== "");
  if (currentView) currentView.refilter();
});
// "/" jumps to the filter, Escape clears it, as in most log and table viewers.
document.addEventListener("keydown", (event) => {
  if (event.key === "/" && document.activeElement !== filterBox) {
    event.preventDefault();
    filterBox.focus();
  } else if (event.key === "Escape" && document.activeElement === filterBox) {
    filterBox.value = "";
    filterBox.dispatchEvent(new Event("input"));
  }
});
window.addEventListener("hashchange", () => { state.dirty.add("*"); paintAll(); });
window.addEventListener("resize", () => { if (currentView) currentView.refilter(); });
// Ages and durations move on their own; rows in view are redrawn every second.
setInterval(() => { if (currentView) currentView.tick(); paintHealth(); }, 1000);
const initial = $("initial");
if (initial) applyFull(JSON.parse(initial.textContent));
paintAll();
stats.firstPaintMs = performance.now();
connect(initial ? state.instance + ":" + state.seq : undefined);
`;

export const MONITOR_SCRIPT = `(function () {${CORE}${MONITOR_VIEWS}${START}})();`;
