// The live monitor in a real browser: Debian's Chromium, driven by playwright-core, against
// Debian's Open vSwitch with 5,000 flows on br0. Proves the page draws the switch at once, shows a
// bridge added with ovs-vsctl within a second, shows a flow's counter rise after traffic without a
// reload, and stays responsive (filter, scroll) with that many flows; prints the figures and
// saves a screenshot under test-artifacts/. Skipped, with the reason, when Chromium, the npm
// package or Open vSwitch is missing. The browser is closed whatever happens.

import assert from "node:assert/strict";
import { MonitorServer } from "../../core/monitor/server.ts";
import { vlogSetLevels } from "../../core/net/vlog.ts";
import { firstReason, type SkipReason, testIf } from "../support/skip.ts";
import { addPorts, REAL_OVS, startSwitch } from "../support/switch.ts";
import { controlSocket } from "./control_socket.ts";

vlogSetLevels(undefined, "console", "off");

const CHROMIUM = "/usr/bin/chromium";
// This machine's closed network makes Chromium hang on its background connections without these.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ROOT = new URL("../../", import.meta.url).pathname;
const ARTIFACTS = "test-artifacts";
const FILLER_FLOWS = 5000;
const PACKET = "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800)," +
  "ipv4(src=192.168.0.1,dst=192.168.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)";
/** The row key of `in_port=1,actions=output:2` (table|priority|match). */
const FLOW_KEY = "0|32768|in_port=1";

let playwright: typeof import("playwright-core") | undefined;
let playwrightMissing: SkipReason;
try {
  playwright = await import("playwright-core");
} catch (error) {
  playwrightMissing = `needs the npm package playwright-core (${
    error instanceof Error ? error.message.split("\n")[0] : error
  })`;
}
let chromiumMissing: SkipReason;
try {
  Deno.statSync(CHROMIUM);
} catch {
  chromiumMissing = `needs ${CHROMIUM} (Debian package chromium)`;
}

/** What the page records about itself (window.__monitor.stats in page_script.ts). */
interface PageStats {
  applied: number;
  bytes: number;
  lastApplyMs: number;
  lastPaintMs: number;
  lastLatencyMs: number;
  firstPaintMs: number;
}

testIf(
  firstReason(REAL_OVS, chromiumMissing, playwrightMissing),
  "the monitor page in Chromium shows a new bridge within a second and a flow's counter rise after traffic, with 5,000 flows",
  async () => {
    const started = performance.now();
    const pw = playwright as typeof import("playwright-core");
    const sw = await startSwitch("real", addPorts("br0", 1, 2));
    const profile = await Deno.makeTempDir({ prefix: "monitor-chromium-" });
    let monitor: MonitorServer | undefined;
    let browser: import("playwright-core").BrowserContext | undefined;
    const figures: string[] = [];
    try {
      const flows = [`in_port=1,actions=output:2`];
      for (let i = 0; i < FILLER_FLOWS; i++) {
        flows.push(
          `table=${i % 3},priority=${100 + i % 7},ip,nw_dst=10.${(i >> 8) & 255}.${
            i & 255
          }.1,actions=output:2`,
        );
      }
      await Deno.writeTextFile(`${sw.dir}/flows.txt`, flows.join("\n") + "\n");
      await sw.ofctl("add-flows", "br0", `${sw.dir}/flows.txt`);
      const dumped = (await sw.appctl("bridge/dump-flows", "br0")).trim().split("\n").length;

      monitor = new MonitorServer({
        db: sw.remote,
        // The control socket by path: test modules share one environment, so no OVS_RUNDIR.
        target: await controlSocket(sw.dir),
        hostname: "127.0.0.1",
        port: 0,
        interval: 250,
      });
      const url = await monitor.start();
      await Deno.mkdir(`${ROOT}${ARTIFACTS}`, { recursive: true });

      browser = await pw.chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1400, height: 900 },
        timeout: 20_000,
      });
      const page = browser.pages()[0] ?? await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(String(error)));
      // Page-side code is passed as text: these tests are type-checked without the DOM library.
      const inPage = <T>(script: string) => page.evaluate(script) as Promise<T>;
      const stats = () => inPage<PageStats>("window.__monitor.stats");

      // The whole state arrives with the page: every flow the switch lists, at once.
      const html = await (await fetch(url)).text();
      const loadStart = performance.now();
      await page.goto(`${url}#/bridge/br0`, { waitUntil: "domcontentloaded" });
      await page.waitForSelector(`[data-key="${FLOW_KEY}"]`, { timeout: 5000 });
      const loadMs = performance.now() - loadStart;
      const countText = await page.locator("section", { hasText: "OpenFlow flows" }).locator(
        "h2 small",
      )
        .first().textContent();
      assert.equal(
        countText,
        `${dumped.toLocaleString("en-US")} rows`,
        "the page lists every flow",
      );
      const first = await stats();
      figures.push(
        `page load with ${dumped} flows (${(html.length / 1024).toFixed(0)} KiB): drawn ` +
          `${first.firstPaintMs.toFixed(0)} ms after navigation start; ${loadMs.toFixed(0)} ms ` +
          `from goto() to the row seen by Playwright (with Chromium starting a renderer)`,
      );
      assert.ok(loadMs < 5000, `the page with ${dumped} flows drew in ${loadMs} ms`);

      // A bridge added with ovs-vsctl appears (as a tab) within a second, without a reload.
      await sw.vsctl(
        "--no-wait",
        "add-br",
        "br9",
        "--",
        "set",
        "bridge",
        "br9",
        "datapath-type=dummy",
      );
      const bridgeStart = performance.now();
      await page.waitForSelector(`nav a[data-tab="bridge/br9"]`, { timeout: 1000 });
      figures.push(
        `new bridge shown ${
          (performance.now() - bridgeStart).toFixed(0)
        } ms after ovs-vsctl returned`,
      );

      // Traffic raises the flow's counter on the page; the row flashes with the rise.
      const packets = await page.locator(`[data-key="${FLOW_KEY}"] .packets`).textContent();
      assert.equal(packets, "0");
      for (let i = 0; i < 3; i++) await sw.appctl("netdev-dummy/receive", "p1", PACKET);
      await sw.appctl("revalidator/wait");
      const trafficDone = performance.now();
      await page.waitForFunction(
        `document.querySelector('[data-key="${FLOW_KEY}"] .packets')?.firstChild?.textContent === "3"`,
        undefined,
        { timeout: 3000 },
      );
      const riseMs = performance.now() - trafficDone;
      assert.match(
        (await page.locator(`[data-key="${FLOW_KEY}"] .packets`).textContent()) ?? "",
        /^3\+[1-3]$/,
        "the counter shows its rise",
      );
      assert.match(
        (await page.locator(`[data-key="${FLOW_KEY}"] .bytes`).textContent()) ?? "",
        /^\d{3}\+\d{3}$/,
        "the byte counter shows its rise",
      );
      const afterTraffic = await stats();
      const pollMs = await inPage<number>(
        `window.__monitor.state.rows.get("status/switch").get("switch")[4]`,
      );
      figures.push(
        `counter rise shown ${
          riseMs.toFixed(0)
        } ms after revalidator/wait (polling every 250 ms); ` +
          `server-to-screen ${afterTraffic.lastLatencyMs} ms; ${afterTraffic.applied} deltas ` +
          `averaging ${
            (afterTraffic.bytes / Math.max(1, afterTraffic.applied)).toFixed(0)
          } bytes ` +
          `(the whole state is ${(html.length / 1024).toFixed(0)} KiB); one poll of the switch ` +
          `(dump, parse, diff) ${pollMs} ms`,
      );
      await page.screenshot({ path: `${ROOT}${ARTIFACTS}/monitor.png` });

      // Responsive with 5,000 flows: filtering and scrolling redraw in a frame or two.
      const filterMs = await inPage<number>(`(() => {
        const box = document.getElementById("filter");
        const t0 = performance.now();
        box.value = "nw_dst=10.0.7.1 output:2";
        box.dispatchEvent(new Event("input"));
        return performance.now() - t0;
      })()`);
      const filtered = await page.locator("section", { hasText: "OpenFlow flows" }).locator(
        "h2 small",
      )
        .first().textContent();
      assert.equal(filtered, `1 of ${dumped.toLocaleString("en-US")} rows match the filter`);
      await page.fill("#filter", "");
      const scrollMs = await inPage<number>(`(() => {
        const box = document.querySelectorAll(".vt")[1];
        const t0 = performance.now();
        box.scrollTop = box.scrollHeight / 2;
        box.dispatchEvent(new Event("scroll"));
        return performance.now() - t0;
      })()`);
      figures.push(
        `filter over ${dumped} flows: ${filterMs.toFixed(1)} ms; scroll redraw: ${
          scrollMs.toFixed(1)
        } ms`,
      );
      assert.ok(filterMs < 250, `filtering took ${filterMs} ms`);
      assert.ok(scrollMs < 100, `scrolling took ${scrollMs} ms`);

      // The datapath tab shows the megaflow the traffic installed, and its hits.
      await page.click(`nav a[data-tab="datapath"]`);
      await page.waitForSelector(".vt .rows .tr:not([hidden])");
      assert.match(
        (await page.locator(".card").first().textContent()) ?? "",
        /megaflows\d+ of limit [\d,]+/,
      );
      assert.match(
        (await page.locator(".vt .rows .tr").first().textContent()) ?? "",
        /in_port\(1\)/,
      );
      await page.screenshot({ path: `${ROOT}${ARTIFACTS}/monitor-datapath.png` });

      assert.deepEqual(pageErrors, [], "the page's script raised no error");
      const seconds = (performance.now() - started) / 1000;
      figures.push(`whole test ${seconds.toFixed(1)} s`);
      console.log(
        `monitor browser test:\n  ${
          figures.join("\n  ")
        }\n  screenshots: ${ARTIFACTS}/monitor.png, ` +
          `${ARTIFACTS}/monitor-datapath.png`,
      );
      assert.ok(seconds < 30, `the test took ${seconds} s`);
    } finally {
      await browser?.close();
      await monitor?.close();
      await sw.stop();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
);
