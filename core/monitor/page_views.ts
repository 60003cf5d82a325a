// The live monitor page's script, part two: the tabs and what each shows — an overview (each
// datapath's hits, misses and megaflow count against its limit; each bridge's ports, flows and
// MACs), one tab per bridge (ports, OpenFlow flows with counters, MAC table), the datapath
// (megaflows) and the database (every table). Builds on part one (page_script.ts): state,
// VirtualTable, el(), formatting. Plain browser JavaScript inside a template string: no
// backticks, no dollar-brace.

export const MONITOR_VIEWS = String.raw`
// --- layout helpers ----------------------------------------------------------------------
function card(title, href, note, pairs) {
  const node = el("div", "card");
  const h3 = el("h3");
  if (href) { const a = el("a", "", title); a.href = href; h3.append(a); } else h3.append(title);
  if (note) h3.append(el("small", "", note));
  const dl = el("dl", "kv");
  for (const [label, value] of pairs) {
    if (value === undefined) continue;
    if (value instanceof Node) {
      const dd = el("dd", "wide");
      dd.append(value);
      dl.append(dd);
      continue;
    }
    dl.append(el("dt", "", label), el("dd", "", value === null || value === "" ? "\u2014" : value));
  }
  node.append(h3, dl);
  return node;
}
function meter(used, limit) {
  const box = el("div", "meter" + (limit && used / limit > 0.8 ? " high" : ""));
  const bar = el("div");
  bar.style.width = limit ? Math.min(100, (100 * used) / limit).toFixed(1) + "%" : "0%";
  box.append(bar);
  return box;
}
function section(title, table, hint) {
  const node = el("section");
  const h2 = el("h2", "", title);
  const count = el("small");
  h2.append(count);
  if (hint) h2.append(el("small", "right", hint));
  node.append(h2, table.root);
  table.options.onCount = (shown, total) => {
    count.textContent = shown === total ? fmtInt(total) + (total === 1 ? " row" : " rows")
      : fmtInt(shown) + " of " + fmtInt(total) + " rows match the filter";
  };
  return node;
}
function notes(filter) {
  const box = el("div", "notes");
  for (const [command, row] of rowsOf("errors")) {
    if (filter(command)) box.append(el("div", "", command + ": " + row[0]));
  }
  box.hidden = box.childNodes.length === 0;
  return box;
}
const HINT = "click a header to sort, a row for details";
const tall = () => Math.max(260, window.innerHeight - 300);
const short = () => 320;
function col(collection, name) { return (row) => row[ix(collection)[name]]; }
function sumColumn(collection, name) {
  const at = ix(collection)[name];
  let sum = 0;
  for (const row of rowsOf(collection).values()) sum += row[at] || 0;
  return sum;
}

// --- cards -------------------------------------------------------------------------------
function datapathCards() {
  const cards = [];
  const at = ix("datapaths");
  for (const [name, row] of rowsOf("datapaths")) {
    const hit = row[at.hit], missed = row[at.missed], flows = row[at.flows], limit = row[at.limit];
    const lookups = hit + missed;
    cards.push(card(name, "#/datapath", "datapath", [
      ["hit", fmtInt(hit)],
      ["missed", fmtInt(missed)],
      ["hit rate", lookups ? ((100 * hit) / lookups).toFixed(1) + "%" : null],
      ["megaflows", flows === null ? null : fmtInt(flows) + " of limit " + fmtInt(limit)],
      ["", flows === null ? undefined : meter(flows, limit)],
      ["avg / max", row[at.avg] === null ? null : fmtInt(row[at.avg]) + " / " + fmtInt(row[at.max])],
      ["dump duration", row[at.dump_ms] === null ? null : row[at.dump_ms] + " ms"],
    ]));
  }
  return cards;
}
function bridgeCard(name, row) {
  const at = ix("bridges");
  const flows = "flows/" + name;
  return card(name, "#/bridge/" + encodeURIComponent(name), row[at.datapath_type] + " bridge", [
    ["interfaces", fmtInt(rowsOf("ports/" + name).size)],
    ["OpenFlow flows", fmtInt(rowsOf(flows).size)],
    ["packets matched", fmtInt(sumColumn(flows, "n_packets"))],
    ["MAC entries", fmtInt(rowsOf("fdb/" + name).size)],
    ["datapath id", row[at.datapath_id]],
    ["fail mode", row[at.fail_mode]],
    ["controllers", row[at.controllers]],
  ]);
}

// --- tables ------------------------------------------------------------------------------
function flowTable(bridge) {
  const name = "flows/" + bridge;
  const v = (column) => col(name, column);
  const match = (row) => row[ix(name).match];
  return new VirtualTable({
    collection: name,
    empty: "No OpenFlow flows (or the switch has not answered for this bridge yet).",
    maxHeight: tall,
    columns: [
      { label: "table", width: "58px", min: 58, cls: "num", value: v("table") },
      { label: "priority", width: "74px", min: 74, cls: "num", value: v("priority") },
      { label: "match", width: "minmax(260px, 3fr)", min: 260, value: match,
        text: (m) => m === "" ? "(any)" : m },
      { label: "actions", width: "minmax(200px, 2fr)", min: 200, value: v("actions") },
      { label: "n_packets", width: "130px", min: 130, cls: "num count packets", counter: true,
        value: v("n_packets"), text: fmtInt },
      { label: "n_bytes", width: "140px", min: 140, cls: "num count bytes", counter: true,
        value: v("n_bytes"), text: fmtInt },
      { label: "duration", width: "84px", min: 84, cls: "num dim",
        live: true, value: (row) => -row[ix(name).created], text: (created) => fmtAge(serverNow() + created) },
    ],
    // As ovs-ofctl --sort would list them: by table, highest priority first, then match.
    order: (row) => {
      const at = ix(name);
      return pad(row[at.table], 3) + pad(65535 - row[at.priority], 5) + row[at.match];
    },
    search: (row) => {
      const at = ix(name);
      return "table=" + row[at.table] + " priority=" + row[at.priority] + " " + row[at.match] +
        " actions=" + row[at.actions];
    },
    detail: (row) => {
      const at = ix(name);
      const match = row[at.match];
      return "table=" + row[at.table] + ", duration=" + fmtAge(serverNow() - row[at.created]) +
        ", n_packets=" + row[at.n_packets] + ", n_bytes=" + row[at.n_bytes] + "\n" +
        "table=" + row[at.table] + ",priority=" + row[at.priority] + (match ? "," + match : "") +
        ",actions=" + row[at.actions];
    },
    rowClass: (row) => (row[ix(name).table] === 254 ? "hidden-flow" : ""),
  });
}
function portTable(bridge) {
  const name = "ports/" + bridge;
  const v = (column) => col(name, column);
  // (Every bridge has at least its local port; an empty table means the rows are on their way.)
  const dp = (row) => rowsOf("dpports/" + bridge).get(row[ix(name).interface]);
  return new VirtualTable({
    collection: name,
    maxHeight: short,
    columns: [
      { label: "interface", width: "minmax(110px, 1fr)", min: 110, value: v("interface") },
      { label: "port", width: "minmax(90px, 1fr)", min: 90, value: v("port") },
      { label: "ofport", width: "70px", min: 70, cls: "num", value: v("ofport"),
        text: (n) => n === 65534 ? "LOCAL" : n === null ? "" : String(n) },
      { label: "dp port", width: "70px", min: 70, cls: "num",
        value: (row) => { const d = dp(row); return d ? d[ix("dpports/" + bridge).dp_port] : null; } },
      { label: "type", width: "110px", min: 110, value: v("type") },
      { label: "admin / link", width: "100px", min: 100,
        value: (row) => row[ix(name).admin_state] + " / " + row[ix(name).link_state] },
      { label: "MAC", width: "140px", min: 140, value: v("mac") },
      { label: "rx packets", width: "110px", min: 110, cls: "num count", counter: true,
        value: v("rx_packets"), text: fmtInt },
      { label: "rx bytes", width: "120px", min: 120, cls: "num", value: v("rx_bytes"), text: fmtInt },
      { label: "tx packets", width: "110px", min: 110, cls: "num count", counter: true,
        value: v("tx_packets"), text: fmtInt },
      { label: "tx bytes", width: "120px", min: 120, cls: "num", value: v("tx_bytes"), text: fmtInt },
      { label: "error", width: "minmax(100px, 1fr)", min: 100, cls: "bad", value: v("error") },
    ],
    order: (row) => pad(row[ix(name).ofport] ?? 99999, 5) + row[ix(name).interface],
    search: (row) => row.join(" "),
    detail: (row) => state.cols.get(name).map((c, i) => c + ": " + (row[i] === null ? "" : row[i])).join("\n"),
  });
}
function macTable(bridge) {
  const name = "fdb/" + bridge;
  const v = (column) => col(name, column);
  return new VirtualTable({
    collection: name,
    empty: "No MAC learned yet (the switch learns with actions=NORMAL).",
    maxHeight: short,
    columns: [
      { label: "port", width: "100px", min: 100, value: v("port") },
      { label: "VLAN", width: "70px", min: 70, cls: "num", value: v("vlan") },
      { label: "MAC", width: "minmax(160px, 1fr)", min: 160, value: v("mac") },
      { label: "age", width: "90px", min: 90, cls: "num dim", live: true, value: (row) => -(row[ix(name).seen] ?? Infinity),
        text: (seen) => seen === -Infinity ? "static" : fmtAge(serverNow() + seen) },
    ],
    order: (row, key) => pad(Number(row[ix(name).port]) || 99999, 5) + row[ix(name).port] + key,
    search: (row) => row[ix(name).port] + " vlan=" + row[ix(name).vlan] + " " + row[ix(name).mac],
    detail: (row) => " port  VLAN  MAC                Age\n" + row.slice(0, 3).join("  "),
  });
}
function megaflowTable() {
  const name = "megaflows";
  const v = (column) => col(name, column);
  return new VirtualTable({
    collection: name,
    empty: "No megaflows: the datapath caches none right now.",
    maxHeight: tall,
    columns: [
      { label: "megaflow (key/mask)", width: "minmax(360px, 3fr)", min: 360, value: v("flow") },
      { label: "packets", width: "120px", min: 120, cls: "num count", counter: true, value: v("packets"), text: fmtInt },
      { label: "bytes", width: "130px", min: 130, cls: "num count", counter: true, value: v("bytes"), text: fmtInt },
      { label: "used", width: "84px", min: 84, cls: "num dim", live: true, value: (row) => -(row[ix(name).used] ?? Infinity),
        text: (used) => used === -Infinity ? "never" : fmtAge(serverNow() + used) },
      { label: "flags", width: "70px", min: 70, value: v("flags") },
      { label: "actions", width: "minmax(160px, 1fr)", min: 160, value: v("actions") },
    ],
    // Busiest first.
    order: (row) => pad(1e15 - row[ix(name).packets], 16),
    search: (row) => row[ix(name).flow] + " actions:" + row[ix(name).actions],
    detail: (row) => row[ix(name).flow] + ", packets:" + row[ix(name).packets] + ", bytes:" +
      row[ix(name).bytes] + ", actions:" + row[ix(name).actions],
  });
}
function databaseTable(table) {
  const name = "db/" + table;
  const columns = state.cols.get(name) || [];
  const order = columns.map((_, i) => i);
  const nameAt = columns.indexOf("name");
  if (nameAt >= 0) { order.splice(nameAt, 1); order.unshift(nameAt); }
  const sample = [...rowsOf(name).values()].slice(0, 200);
  const specs = [{ label: "_uuid", width: "90px", min: 90, cls: "dim", value: (row, key) => key,
    text: (uuid) => uuid.slice(0, 8) }];
  for (const i of order) {
    let longest = columns[i].length;
    for (const row of sample) longest = Math.max(longest, Math.min(48, String(row[i]).length));
    const px = Math.round(Math.min(380, Math.max(70, longest * 7.3 + 18)));
    specs.push({ label: columns[i], width: px + "px", min: px, value: (row) => row[i] });
  }
  return new VirtualTable({
    collection: name,
    maxHeight: tall,
    columns: specs,
    search: (row, key) => key + " " + row.join(" "),
    detail: (row, key) => "_uuid: " + key + "\n" + order.map((i) => columns[i] + ": " + row[i]).join("\n"),
  });
}

// --- views -------------------------------------------------------------------------------
// Each view: root, update(dirty set, or null for everything), refilter(), tick().
function overviewView() {
  const root = el("div");
  return {
    root,
    update() {
      const cards = el("div", "cards");
      cards.append(...datapathCards());
      for (const [name, row] of rowsOf("bridges")) cards.append(bridgeCard(name, row));
      if (cards.childNodes.length === 0) cards.append(el("div", "empty", "No bridges yet."));
      root.replaceChildren(notes(() => true), cards);
    },
    refilter() {},
    tick() {},
  };
}
function bridgeView(bridge) {
  const root = el("div");
  const head = el("div");
  const tables = { ["ports/" + bridge]: portTable(bridge), ["flows/" + bridge]: flowTable(bridge),
    ["fdb/" + bridge]: macTable(bridge) };
  root.append(head,
    section("Ports", tables["ports/" + bridge]),
    section("OpenFlow flows", tables["flows/" + bridge], HINT),
    section("MAC table", tables["fdb/" + bridge]));
  const related = (command) => command.endsWith(" " + bridge) || !/ /.test(command);
  return {
    root,
    update(dirty) {
      const row = rowsOf("bridges").get(bridge);
      const cards = el("div", "cards");
      if (row) cards.append(bridgeCard(bridge, row));
      cards.append(...datapathCards());
      head.replaceChildren(notes(related), cards);
      for (const name of Object.keys(tables)) {
        if (!dirty || dirty.has(name) || (name.startsWith("ports/") && dirty.has("dpports/" + bridge))) {
          tables[name].setRows(rowsOf(name));
        }
      }
    },
    refilter() { for (const name of Object.keys(tables)) tables[name].refresh(); },
    tick() { for (const name of Object.keys(tables)) tables[name].paint(); },
  };
}
function datapathView() {
  const root = el("div");
  const head = el("div");
  const table = megaflowTable();
  root.append(head, section("Megaflows (dpctl/dump-flows)", table, HINT));
  return {
    root,
    update(dirty) {
      const cards = el("div", "cards");
      cards.append(...datapathCards());
      head.replaceChildren(notes((command) => !/ /.test(command)), cards);
      if (!dirty || dirty.has("megaflows")) table.setRows(rowsOf("megaflows"));
    },
    refilter() { table.refresh(); },
    tick() { table.paint(); },
  };
}
function databaseView(tableName) {
  const root = el("div");
  const chips = el("div", "chips");
  const name = "db/" + tableName;
  let table = databaseTable(tableName);
  let body = section(tableName + " table", table, HINT);
  root.append(chips, body);
  return {
    root,
    update(dirty) {
      if (table.columns.length !== (state.cols.get(name) || []).length + 1) {
        // The table's columns arrived (or changed) after this view was made.
        table = databaseTable(tableName);
        const next = section(tableName + " table", table, HINT);
        body.replaceWith(next);
        body = next;
        dirty = null;
      }
      const links = [];
      for (const collection of [...state.cols.keys()].sort()) {
        if (!collection.startsWith("db/")) continue;
        const t = collection.slice(3);
        const size = rowsOf(collection).size;
        const a = el("a", (t === tableName ? "active" : "") + (size ? "" : " none"), t + " " + size);
        a.href = "#/database/" + encodeURIComponent(t);
        links.push(a);
      }
      chips.replaceChildren(...links);
      if (!dirty || dirty.has(name)) table.setRows(rowsOf(name));
    },
    refilter() { table.refresh(); },
    tick() {},
  };
}

// --- routing -----------------------------------------------------------------------------
let currentView = null;
let currentRoute = "";
function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const kind = parts[0], name = parts.slice(1).join("/");
  if (kind === "bridge" && rowsOf("bridges").has(name)) return { id: "bridge/" + name, make: () => bridgeView(name) };
  if (kind === "datapath") return { id: "datapath", make: datapathView };
  if (kind === "database") {
    const table = name || "Open_vSwitch";
    return { id: "database/" + table, make: () => databaseView(table) };
  }
  return { id: "overview", make: overviewView };
}
function paintTabs(id) {
  const tabs = [["overview", "#/", "Overview"]];
  for (const name of rowsOf("bridges").keys()) tabs.push(["bridge/" + name, "#/bridge/" + encodeURIComponent(name), name]);
  tabs.push(["datapath", "#/datapath", "Datapath"], ["database", "#/database", "Database"]);
  $("tabs").replaceChildren(...tabs.map(([tab, href, label]) => {
    const a = el("a", id === tab || id.startsWith(tab + "/") && tab === "database" ? "active" : "", label);
    a.href = href;
    a.dataset.tab = tab;
    return a;
  }));
}
// Sets a health badge only when what it says changes (it is asked every paint and second).
function badge(id, up, label, title) {
  const box = $(id);
  const said = (up ? "1" : "0") + label + title;
  if (box.said === said) return;
  box.said = said;
  box.className = up ? "" : "down";
  box.replaceChildren(el("span", "dot"), label);
  box.title = title;
}
function paintHealth() {
  const db = rowsOf("status/db").get("db");
  const dbAt = ix("status/db");
  const dbUp = db && db[dbAt.connected] === 1;
  badge("db-health", dbUp, dbUp ? "database" : "database unreachable",
    db ? db[dbAt.remote] + (db[dbAt.error] ? ": " + db[dbAt.error] : "") : "");
  const sw = rowsOf("status/switch").get("switch");
  const swAt = ix("status/switch");
  const swUp = sw && sw[swAt.ok] === 1;
  badge("switch-health", swUp, swUp ? "switch" : "switch unreachable", sw
    ? sw[swAt.target] + (sw[swAt.message] ? ": " + sw[swAt.message] : " answered in " + sw[swAt.took_ms] + " ms")
    : "");
  const updated = $("updated");
  updated.className = state.streamDown ? "down" : "";
  const text = state.streamDown ? "monitor unreachable, retrying\u2026"
    : sw ? "updated " + fmtAge(serverNow() - sw[swAt.time]) + " ago" : "";
  if (updated.textContent !== text) updated.textContent = text;
}
function paintAll() {
  const t0 = performance.now();
  const r = route();
  const tabsChanged = state.dirty.has("*") || state.dirty.has("bridges") || r.id !== currentRoute;
  if (tabsChanged) paintTabs(r.id);
  if (!currentView || r.id !== currentRoute) {
    currentRoute = r.id;
    currentView = r.make();
    $("view").replaceChildren(currentView.root);
    currentView.update(null);
  } else if (state.dirty.size) {
    currentView.update(state.dirty);
  }
  state.dirty.clear();
  paintHealth();
  stats.lastSeq = state.seq;
  stats.lastFrameMs = performance.now() - t0;
}
`;
