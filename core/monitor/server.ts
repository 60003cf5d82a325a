// The live monitor's web server: one page, a JSON snapshot, and a Server-Sent Events stream that
// pushes the database whenever it changes (at most every 200 ms) and the switch's flow, datapath
// and MAC views every second, so the page updates without reloads. Owns the HTTP listener (on a
// loopback address by default) and the timers; promises to stop both on `close`. Reads only:
// it never writes to the database or the switch.

import { Idl } from "../db/idl.ts";
import {
  bridgeNames,
  type CommandView,
  databaseView,
  switchViews,
  type TableView,
} from "./snapshot.ts";
import { MONITOR_PAGE } from "./page.ts";

export interface MonitorOptions {
  db: string;
  target: string;
  hostname: string;
  port: number;
  /** Milliseconds between refreshes of the switch's views. */
  interval: number;
}

interface Snapshot {
  time: string;
  connected: boolean;
  tables: TableView[];
  switch: CommandView[];
}

const encoder = new TextEncoder();

export class MonitorServer {
  readonly #idl: Idl;
  readonly #options: MonitorOptions;
  readonly #clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #switchViews: CommandView[] = [];
  #dbTimer: ReturnType<typeof setTimeout> | undefined;
  #switchTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: MonitorOptions) {
    this.#options = options;
    this.#idl = new Idl(options.db, "Open_vSwitch", { quiet: true });
    this.#idl.onChange = () => this.#scheduleDatabasePush();
  }

  /** Starts serving; resolves with the URL of the page. */
  async start(): Promise<string> {
    this.#idl.start();
    await this.#refreshSwitch();
    this.#server = Deno.serve(
      { hostname: this.#options.hostname, port: this.#options.port, onListen: () => {} },
      (request) => this.#handle(request),
    );
    this.#switchTimer = setInterval(
      () => void this.#refreshSwitch().then(() => this.#push("switch")),
      this.#options.interval,
    );
    const address = this.#server.addr;
    return `http://${address.hostname}:${address.port}/`;
  }

  #snapshot(): Snapshot {
    return {
      time: new Date().toISOString(),
      connected: this.#idl.synced,
      tables: databaseView(this.#idl),
      switch: this.#switchViews,
    };
  }

  async #refreshSwitch(): Promise<void> {
    this.#switchViews = await switchViews(this.#options.target, bridgeNames(this.#idl));
  }

  #scheduleDatabasePush(): void {
    if (this.#dbTimer !== undefined || this.#closed) return;
    this.#dbTimer = setTimeout(() => {
      this.#dbTimer = undefined;
      this.#push("db");
    }, 200);
  }

  #push(kind: "db" | "switch"): void {
    if (this.#clients.size === 0) return;
    const snapshot = this.#snapshot();
    const data = kind === "db"
      ? { kind, time: snapshot.time, connected: snapshot.connected, tables: snapshot.tables }
      : { kind, time: snapshot.time, switch: snapshot.switch };
    const bytes = encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
    for (const client of this.#clients) {
      try {
        client.enqueue(bytes);
      } catch {
        this.#clients.delete(client);
      }
    }
  }

  #handle(request: Request): Response {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/": {
        // "</" is escaped so no value can close the script element early.
        const snapshot = JSON.stringify({ kind: "full", ...this.#snapshot() }).replaceAll(
          "</",
          "<\\/",
        );
        const page = MONITOR_PAGE.replace(
          "<!--INITIAL-->",
          `<script id="initial" type="application/json">${snapshot}</script>`,
        );
        return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
      }
      case "/api/snapshot":
        return Response.json(this.#snapshot());
      case "/api/events": {
        let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
        const body = new ReadableStream<Uint8Array>({
          start: (c) => {
            controller = c;
            this.#clients.add(c);
            const snapshot = this.#snapshot();
            c.enqueue(encoder.encode(`data: ${JSON.stringify({ kind: "full", ...snapshot })}\n\n`));
          },
          cancel: () => {
            if (controller) this.#clients.delete(controller);
          },
        });
        return new Response(body, {
          headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
        });
      }
      default:
        return new Response("not found\n", { status: 404 });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#dbTimer !== undefined) clearTimeout(this.#dbTimer);
    if (this.#switchTimer !== undefined) clearInterval(this.#switchTimer);
    for (const client of this.#clients) {
      try {
        client.close();
      } catch {
        // Already closed by the browser.
      }
    }
    this.#clients.clear();
    this.#idl.close();
    await this.#server?.shutdown();
  }
}
