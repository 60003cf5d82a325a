// The live monitor's single page: HTML, CSS and a small script that draws the snapshot embedded in
// the page (at the INITIAL marker), then listens to the server's event stream and redraws only the
// section that changed. Renders with textContent and document
// fragments (no HTML built from data), so database values cannot inject markup, and thousands of
// flows stay fast. A filter box narrows every section to lines matching what is typed.

export const MONITOR_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Open vSwitch monitor (ovs-deno)</title>
<style>
  :root { --fg: #1d2330; --muted: #667085; --line: #d8dde6; --accent: #1f6feb; --bad: #b42318; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: #f6f8fb; }
  header { position: sticky; top: 0; z-index: 1; display: flex; gap: 16px; align-items: center;
    padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 16px; margin: 0; }
  #status { color: var(--muted); }
  #status.down { color: var(--bad); }
  input[type=search] { margin-left: auto; width: 280px; padding: 6px 10px; border: 1px solid var(--line);
    border-radius: 6px; font: inherit; }
  nav { padding: 8px 20px; display: flex; flex-wrap: wrap; gap: 6px; }
  nav a { color: var(--accent); text-decoration: none; padding: 2px 8px; border: 1px solid var(--line);
    border-radius: 12px; background: #fff; font-size: 13px; }
  main { padding: 0 20px 40px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 14px 0; }
  section h2 { font-size: 14px; margin: 0; padding: 8px 12px; border-bottom: 1px solid var(--line);
    display: flex; justify-content: space-between; }
  section h2 small { color: var(--muted); font-weight: normal; }
  .scroll { overflow: auto; max-height: 480px; }
  table { border-collapse: collapse; width: max-content; min-width: 100%;
    font: 12px/1.4 ui-monospace, monospace; }
  th, td { text-align: left; vertical-align: top; padding: 3px 8px; border-bottom: 1px solid #eef1f5; }
  th { position: sticky; top: 0; background: #f0f3f8; white-space: nowrap; }
  td { white-space: pre-wrap; word-break: break-word; max-width: 46ch; }
  td.uuid { color: var(--muted); white-space: nowrap; }
  pre { margin: 0; padding: 8px 12px; font: 12px/1.45 ui-monospace, monospace; white-space: pre; }
  .error pre { color: var(--bad); }
  .empty { padding: 8px 12px; color: var(--muted); }
</style>
</head>
<body>
<header>
  <h1>Open vSwitch monitor</h1>
  <span id="status">connecting…</span>
  <input id="filter" type="search" placeholder="filter lines and rows…">
</header>
<nav id="nav"></nav>
<main>
  <div id="switch"></div>
  <div id="tables"></div>
</main>
<!--INITIAL-->
<script>
"use strict";
const state = { tables: [], switch: [], connected: false, time: "" };
const filterBox = document.getElementById("filter");

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function matches(text) {
  const f = filterBox.value.trim().toLowerCase();
  return f === "" || text.toLowerCase().includes(f);
}

function drawSwitch() {
  const root = document.getElementById("switch");
  const frag = document.createDocumentFragment();
  for (const view of state.switch) {
    const section = el("section", undefined, view.ok ? "" : "error");
    section.id = "cmd-" + view.command.replace(/[^a-z0-9]+/gi, "-");
    const lines = view.text.split("\\n").filter((l) => l !== "");
    const shown = lines.filter(matches);
    const h2 = el("h2", view.command);
    h2.append(el("small", shown.length + " of " + lines.length + " lines"));
    section.append(h2);
    const box = el("div", undefined, "scroll");
    box.append(shown.length ? el("pre", shown.join("\\n")) : el("div", "(nothing)", "empty"));
    section.append(box);
    frag.append(section);
  }
  root.replaceChildren(frag);
}

function drawTables() {
  const root = document.getElementById("tables");
  const nav = document.getElementById("nav");
  const frag = document.createDocumentFragment();
  const navFrag = document.createDocumentFragment();
  const empty = [];
  for (const table of state.tables) {
    const rows = table.rows.filter((r) => matches(r.join(" ")));
    const link = el("a", table.name + " (" + table.rows.length + ")");
    link.href = "#table-" + table.name;
    navFrag.append(link);
    if (table.rows.length === 0) {
      // Empty tables get one line between them, not a section each.
      empty.push(table.name);
      continue;
    }
    const section = el("section");
    section.id = "table-" + table.name;
    const h2 = el("h2", table.name + " table");
    h2.append(el("small", rows.length + " of " + table.rows.length + " rows"));
    section.append(h2);
    if (rows.length === 0) {
      section.append(el("div", "(no rows)", "empty"));
    } else {
      const box = el("div", undefined, "scroll");
      // The row's name (when the table has one) leads, then the rest; UUIDs are shortened.
      const order = table.columns.map((_, i) => i);
      const nameAt = table.columns.indexOf("name");
      if (nameAt > 0) order.splice(order.indexOf(nameAt), 1), order.splice(1, 0, nameAt);
      const t = el("table");
      const head = el("tr");
      for (const i of order) head.append(el("th", table.columns[i]));
      t.append(head);
      for (const r of rows) {
        const tr = el("tr");
        for (const i of order) {
          const cell = r[i] ?? "";
          if (i === 0) {
            const td = el("td", cell.slice(0, 8), "uuid");
            td.title = cell;
            tr.append(td);
          } else tr.append(el("td", cell));
        }
        t.append(tr);
      }
      box.append(t);
      section.append(box);
    }
    frag.append(section);
  }
  if (empty.length) {
    const section = el("section");
    for (const name of empty) {
      const anchor = el("span");
      anchor.id = "table-" + name;
      section.append(anchor);
    }
    section.append(el("div", "Empty tables: " + empty.join(", "), "empty"));
    frag.append(section);
  }
  root.replaceChildren(frag);
  nav.replaceChildren(navFrag);
}

function drawStatus() {
  const status = document.getElementById("status");
  status.textContent = (state.connected ? "database connected" : "database unreachable") +
    " · updated " + state.time.replace("T", " ").replace(/\\..*/, "");
  status.className = state.connected ? "" : "down";
}

filterBox.addEventListener("input", () => { drawSwitch(); drawTables(); });

function apply(data) {
  state.time = data.time;
  if (data.kind === "full" || data.kind === "db") {
    state.tables = data.tables;
    state.connected = data.connected;
    drawTables();
  }
  if (data.kind === "full" || data.kind === "switch") {
    state.switch = data.switch;
    drawSwitch();
  }
  drawStatus();
}

// The page arrives with a snapshot, so it shows everything at once; the stream keeps it current.
const initial = document.getElementById("initial");
if (initial) apply(JSON.parse(initial.textContent));
const events = new EventSource("/api/events");
events.onmessage = (event) => apply(JSON.parse(event.data));
events.onerror = () => {
  const status = document.getElementById("status");
  status.textContent = "monitor unreachable, retrying…";
  status.className = "down";
};
</script>
</body>
</html>
`;
