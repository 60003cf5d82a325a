// Splits a byte stream into the JSON texts Open vSwitch sends back to back with no delimiter
// (JSON-RPC over OVSDB and unixctl sockets). Owns only framing: it finds where each top-level
// object or array ends, however the bytes were split or coalesced by reads, and hands each text to
// the caller. Promises bounded memory: a text longer than `maxBytes` or nested deeper than
// upstream's 1000 levels is refused with an error, never buffered without end. Does not parse
// values (see json_value.ts) and never throws past `feed`: errors come back as results.

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Upstream's parser refuses deeper nesting with this limit. */
export const MAX_NESTING = 1000;
/** Default bound on one JSON text; large OVSDB transactions stay well below it. */
export const DEFAULT_MAX_TEXT_BYTES = 64 * 1024 * 1024;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

export type FramerResult = { text: string } | { error: string };

/**
 * Incremental framer. Feed it chunks as they arrive; it returns the complete texts (or the first
 * error, after which the stream is unusable, as upstream drops such a connection).
 */
export class JsonFramer {
  #buffer: Uint8Array;
  #length = 0;
  /** Bytes of the buffer already scanned. */
  #scanned = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #failed: string | undefined;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });

  constructor(readonly maxBytes: number = DEFAULT_MAX_TEXT_BYTES) {
    this.#buffer = new Uint8Array(Math.min(65536, Math.max(16, maxBytes)));
  }

  /** Bytes held for an incomplete text. */
  get pending(): number {
    return this.#length;
  }

  /** The error that stopped the framer, if any. */
  get error(): string | undefined {
    return this.#failed;
  }

  /** Adds `chunk` and returns every text it completed, in order. */
  feed(chunk: Uint8Array): FramerResult[] {
    const results: FramerResult[] = [];
    if (this.#failed !== undefined) return [{ error: this.#failed }];
    let offset = 0;
    while (offset < chunk.length) {
      const room = this.maxBytes - this.#length;
      const take = Math.min(room, chunk.length - offset);
      if (take <= 0) {
        this.#fail(`input exceeds maximum message size ${this.maxBytes} bytes`, results);
        return results;
      }
      this.#append(chunk.subarray(offset, offset + take));
      offset += take;
      if (!this.#scan(results)) return results;
    }
    return results;
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#length + bytes.length;
    if (needed > this.#buffer.length) {
      let size = this.#buffer.length * 2;
      while (size < needed) size *= 2;
      const grown = new Uint8Array(Math.min(size, Math.max(needed, this.maxBytes)));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(bytes, this.#length);
    this.#length = needed;
  }

  #fail(message: string, results: FramerResult[]): void {
    this.#failed = message;
    results.push({ error: message });
  }

  /** Scans new bytes; returns false once the framer has failed. */
  #scan(results: FramerResult[]): boolean {
    const buffer = this.#buffer;
    let start = 0;
    for (let i = this.#scanned; i < this.#length; i++) {
      const byte = buffer[i] ?? 0;
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === BACKSLASH) this.#escaped = true;
        else if (byte === QUOTE) this.#inString = false;
        continue;
      }
      if (this.#depth === 0) {
        if (isWhitespace(byte)) {
          if (i === start) start++;
          continue;
        }
        if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET) {
          this.#fail("syntax error at beginning of input", results);
          return false;
        }
      }
      if (byte === QUOTE) this.#inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        if (++this.#depth > MAX_NESTING) {
          this.#fail(`input exceeds maximum nesting depth ${MAX_NESTING}`, results);
          return false;
        }
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        if (--this.#depth === 0) {
          let text: string;
          try {
            text = this.#decoder.decode(buffer.subarray(start, i + 1));
          } catch {
            this.#fail("invalid UTF-8 in input", results);
            return false;
          }
          results.push({ text });
          start = i + 1;
        }
      }
    }
    // Drop what was consumed; keep the incomplete tail at the front of the buffer.
    if (start > 0) {
      buffer.copyWithin(0, start, this.#length);
      this.#length -= start;
    }
    this.#scanned = this.#length;
    return true;
  }
}
