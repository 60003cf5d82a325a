// The live monitor's single page: HTML and CSS around the script of page_script.ts, with the
// store's whole state embedded (so the page draws at once, before its event stream connects).
// Plain HTML, CSS and JavaScript with no external resources: the page works offline and loads
// nothing but itself and its event stream. The embedded state is JSON with every "<" escaped, so
// no database value can close the script element or open markup.

import { MONITOR_SCRIPT } from "./page_script.ts";

const STYLE = String.raw`
  :root {
    --fg: #1b2230; --muted: #697386; --line: #dde2ea; --soft: #f3f5f9; --accent: #1f6feb;
    --good: #1a7f37; --bad: #c0362c; --warn: #9a6700; --hot: #fff1b8; --row: 24px;
  }
  * { box-sizing: border-box; }
  html, body { height: 100%; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
    color: var(--fg); background: #eef1f6; }
  header { position: sticky; top: 0; z-index: 5; background: #fff;
    border-bottom: 1px solid var(--line); box-shadow: 0 1px 3px rgba(20, 30, 50, .06); }
  .bar { display: flex; gap: 18px; align-items: center; padding: 10px 20px 6px; }
  .bar h1 { font-size: 16px; margin: 0; white-space: nowrap; }
  .bar h1 span { color: var(--muted); font-weight: 400; }
  .health { display: flex; gap: 14px; color: var(--muted); font-size: 13px; white-space: nowrap; }
  .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 5px;
    background: var(--good); vertical-align: 1px; }
  .down .dot { background: var(--bad); }
  .down { color: var(--bad); }
  #filter { margin-left: auto; width: 320px; padding: 6px 10px; border: 1px solid var(--line);
    border-radius: 6px; font: inherit; background: var(--soft); }
  #filter:focus { outline: 2px solid #b6d0fb; background: #fff; }
  nav { display: flex; gap: 2px; padding: 0 14px; overflow-x: auto; }
  nav a { padding: 7px 14px; color: var(--muted); text-decoration: none; white-space: nowrap;
    border-bottom: 2px solid transparent; font-weight: 500; }
  nav a:hover { color: var(--fg); }
  nav a.active { color: var(--accent); border-bottom-color: var(--accent); }
  nav a small { color: var(--muted); font-weight: 400; margin-left: 4px; }
  main { padding: 14px 20px 40px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px;
    margin-bottom: 14px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
  .card h3 { margin: 0 0 8px; font-size: 14px; display: flex; justify-content: space-between; }
  .card h3 a { color: var(--accent); text-decoration: none; }
  .card h3 small { color: var(--muted); font-weight: 400; }
  .kv { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; font-size: 13px; }
  .kv dt { color: var(--muted); }
  .kv dd { margin: 0; font-variant-numeric: tabular-nums; overflow: hidden; text-overflow: ellipsis;
    white-space: nowrap; }
  .kv .wide { grid-column: 1 / -1; }
  .meter { height: 8px; border-radius: 4px; background: var(--soft); overflow: hidden; margin: 6px 0 2px; }
  .meter div { height: 100%; background: var(--accent); transition: width .4s; }
  .meter.high div { background: var(--bad); }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 0 0 14px; }
  section > h2 { font-size: 14px; margin: 0; padding: 9px 12px; border-bottom: 1px solid var(--line);
    display: flex; gap: 12px; align-items: baseline; }
  section > h2 small { color: var(--muted); font-weight: 400; }
  section > h2 .right { margin-left: auto; }
  .notes { margin: 0 0 14px; padding: 8px 12px; border: 1px solid #f0d68a; background: #fffaeb;
    border-radius: 8px; color: var(--warn); font-size: 13px; }
  .notes div { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; }
  .empty { padding: 10px 12px; color: var(--muted); }
  .vt { overflow: auto; position: relative; font: 12px/var(--row) ui-monospace, "SFMono-Regular",
    Menlo, Consolas, monospace; contain: strict; }
  .vt .inner { position: relative; min-width: 100%; }
  .vt .tr { display: flex; height: var(--row);
    border-bottom: 1px solid #eef1f5; cursor: default; }
  .vt .rows { position: relative; }
  .vt .rows .tr { position: absolute; top: 0; left: 0; right: 0; contain: strict; }
  .vt .tr:hover { background: #f5f8ff; }
  .vt .tr.sel { background: #e6efff; }
  .vt .th { position: sticky; top: 0; z-index: 2; background: #f0f3f8; font-weight: 600;
    font-family: system-ui, sans-serif; border-bottom: 1px solid var(--line); cursor: pointer;
    user-select: none; }
  .vt .th > div:hover { color: var(--accent); }
  .vt .tr > div { padding: 0 8px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .vt .empty { padding: 0 12px; font-family: system-ui, sans-serif; }
  .vt .num { text-align: right; font-variant-numeric: tabular-nums; }
  .vt .dim { color: var(--muted); }
  .vt .rows .tr { transition: background 1.2s ease-out; }
  .vt .rows .tr.hot { background: var(--hot); transition: background 0s; }
  .vt .rise { color: #8a4b00; font-weight: 700; }
  .vt .delta { color: var(--good); font-weight: 400; margin-left: 4px; }
  .vt .hidden-flow { color: var(--muted); }
  .details { border-top: 1px solid var(--line); padding: 8px 12px; background: var(--soft);
    font: 12px/1.5 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all;
    max-height: 220px; overflow: auto; }
  .chips { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 12px; }
  .chips a { padding: 2px 10px; border: 1px solid var(--line); border-radius: 12px; background: #fff;
    color: var(--fg); text-decoration: none; font-size: 13px; }
  .chips a.active { background: var(--accent); border-color: var(--accent); color: #fff; }
  .chips a.none { color: var(--muted); }
  .ok { color: var(--good); } .bad { color: var(--bad); }
`;

const BODY = String.raw`
<header>
  <div class="bar">
    <h1>Open vSwitch <span>monitor</span></h1>
    <div class="health">
      <span id="db-health"><span class="dot"></span>database</span>
      <span id="switch-health"><span class="dot"></span>switch</span>
      <span id="updated"></span>
    </div>
    <input id="filter" type="search" placeholder="Filter rows: all words must match  ( / )"
      autocomplete="off" spellcheck="false">
  </div>
  <nav id="tabs"></nav>
</header>
<main id="view"></main>
`;

/** The page with `stateJson` (the store's full state as JSON) embedded. */
export function monitorPage(stateJson: string): string {
  const embedded = stateJson.replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Open vSwitch monitor (ovs-deno)</title>
<style>${STYLE}</style>
</head>
<body>${BODY}
<script id="initial" type="application/json">${embedded}</script>
<script>${MONITOR_SCRIPT}</script>
</body>
</html>
`;
}
