// The live monitor's web server: one page (with the current state embedded, so it draws at
// once), a JSON snapshot, and a Server-Sent Events stream of deltas — only the rows that changed
// — as the database changes (within 50 ms, through the IDL's monitor) and as the switch's flow,
// datapath and MAC views change (polled every `interval` ms over the control socket). Each event
// carries this server's instance and sequence number as the SSE id, so a reconnecting page
// receives the whole state again only when it missed something (or the monitor restarted). Owns the HTTP listener (loopback by default), the timers
// and the client streams; promises to stop all of them on `close`. Reads only: it never writes
// to the database or the switch.

import { Idl } from "../db/idl.ts";
import { bridgeNames, databaseCollections, switchCollections } from "./snapshot.ts";
import { type Delta, Store } from "./store.ts";
import { monitorPage } from "./page.ts";
import { vlogModule } from "../net/vlog.ts";

const log = vlogModule("monitor");

export interface MonitorOptions {
  db: string;
  target: string;
  hostname: string;
  port: number;
  /** Milliseconds between refreshes of the switch's views. */
  interval: number;
}

const encoder = new TextEncoder();
/** Database changes closer together than this are sent as one delta. */
const DB_COALESCE_MS = 50;
/** A client this many events behind is dropped; it reconnects and gets the whole state. */
const MAX_CLIENT_BACKLOG = 64;

export class MonitorServer {
  readonly #idl: Idl;
  readonly #options: MonitorOptions;
  readonly #store = new Store();
  /** Tells this server's sequence numbers from a restarted one's, in event ids. */
  readonly #instance = crypto.randomUUID().slice(0, 8);
  readonly #clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #dbTimer: ReturnType<typeof setTimeout> | undefined;
  #switchTimer: ReturnType<typeof setTimeout> | undefined;
  #refreshing: Promise<void> | undefined;
  #refreshAgain = false;
  #bridges = "";
  #closed = false;

  constructor(options: MonitorOptions) {
    this.#options = options;
    this.#idl = new Idl(options.db, "Open_vSwitch", { quiet: true });
    this.#idl.onChange = () => this.#scheduleDatabase();
  }

  /** Starts serving; resolves with the URL of the page. */
  async start(): Promise<string> {
    // Serving first makes a bad address or a taken port fail before anything else starts.
    this.#server = Deno.serve(
      { hostname: this.#options.hostname, port: this.#options.port, onListen: () => {} },
      (request) => this.#handle(request),
    );
    this.#idl.start();
    // The first page should show the database; a server slow to answer is shown as it comes.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#idl.waitForSync(),
      new Promise((resolve) => timer = setTimeout(resolve, 1000)),
    ]);
    clearTimeout(timer);
    this.#publish(this.#store.replace("db", databaseCollections(this.#idl)));
    this.#bridges = bridgeNames(this.#idl).join(" ");
    await this.#refreshSwitch();
    const address = this.#server.addr;
    const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
    return `http://${host}:${address.port}/`;
  }

  /** The store, for tests and tools that read the state without HTTP. */
  get store(): Store {
    return this.#store;
  }

  #scheduleDatabase(): void {
    if (this.#dbTimer !== undefined || this.#closed) return;
    this.#dbTimer = setTimeout(() => {
      this.#dbTimer = undefined;
      try {
        this.#publish(this.#store.replace("db", databaseCollections(this.#idl)));
      } catch (error) {
        log.err(`reading the database failed: ${error instanceof Error ? error.stack : error}`);
        return;
      }
      const bridges = bridgeNames(this.#idl).join(" ");
      if (bridges !== this.#bridges) {
        // A new bridge's flows and MAC table should not wait for the next poll.
        this.#bridges = bridges;
        this.#refreshSoon();
      }
    }, DB_COALESCE_MS);
  }

  #refreshSoon(): void {
    if (this.#closed) return;
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return;
    }
    void this.#refreshSwitch();
  }

  #refreshSwitch(): Promise<void> {
    if (this.#refreshing) return this.#refreshing;
    clearTimeout(this.#switchTimer);
    this.#refreshing = (async () => {
      do {
        this.#refreshAgain = false;
        const collections = await switchCollections(
          this.#options.target,
          bridgeNames(this.#idl),
          this.#store,
          Math.max(2000, this.#options.interval * 5),
        );
        if (this.#closed) return;
        this.#publish(this.#store.replace("switch", collections));
      } while (this.#refreshAgain && !this.#closed);
    })().catch((error) => {
      // A bug here must not stop the page; the next poll tries again.
      log.err(
        `refreshing the switch's views failed: ${error instanceof Error ? error.stack : error}`,
      );
    }).finally(() => {
      this.#refreshing = undefined;
      if (!this.#closed) {
        this.#switchTimer = setTimeout(() => void this.#refreshSwitch(), this.#options.interval);
      }
    });
    return this.#refreshing;
  }

  #publish(delta: Delta | undefined): void {
    if (!delta || this.#clients.size === 0) return;
    const bytes = encoder.encode(
      event("delta", this.#id(delta.seq), { ...delta, now: Date.now() }),
    );
    for (const client of this.#clients) {
      if ((client.desiredSize ?? 0) < -MAX_CLIENT_BACKLOG) {
        this.#drop(client);
        continue;
      }
      try {
        client.enqueue(bytes);
      } catch {
        this.#clients.delete(client);
      }
    }
  }

  #drop(client: ReadableStreamDefaultController<Uint8Array>): void {
    this.#clients.delete(client);
    try {
      client.close();
    } catch {
      // Already closed by the browser.
    }
  }

  #fullState(): string {
    return JSON.stringify({ ...this.#store.full(), instance: this.#instance, now: Date.now() });
  }

  #handle(request: Request): Response {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/":
        return new Response(monitorPage(this.#fullState()), {
          headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
        });
      case "/api/snapshot":
        return new Response(this.#fullState(), {
          headers: { "content-type": "application/json", "cache-control": "no-store" },
        });
      case "/api/events":
        return this.#events(request.headers.get("last-event-id") ?? url.searchParams.get("since"));
      default:
        return new Response("not found\n", { status: 404 });
    }
  }

  #id(seq: number): string {
    return `${this.#instance}:${seq}`;
  }

  /** The event stream; `since` is the id of the last state the page holds, if any. */
  #events(since: string | null): Response {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
        this.#clients.add(c);
        const seq = this.#store.seq;
        const id = this.#id(seq);
        c.enqueue(encoder.encode(
          since === id
            ? event("delta", id, { seq, changes: {}, drop: [], now: Date.now() })
            : event("full", id, this.#fullState()),
        ));
      },
      cancel: () => {
        if (controller) this.#clients.delete(controller);
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream",
        // no-transform keeps Deno from compressing, which would hold events back.
        "cache-control": "no-cache, no-transform",
      },
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#dbTimer);
    clearTimeout(this.#switchTimer);
    for (const client of this.#clients) this.#drop(client);
    this.#idl.close();
    await this.#refreshing;
    clearTimeout(this.#switchTimer);
    await this.#server?.shutdown();
  }
}

function event(name: string, id: string, data: unknown): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return `event: ${name}\nid: ${id}\ndata: ${text}\n\n`;
}
