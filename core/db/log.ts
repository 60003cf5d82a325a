// The OVSDB log file record format (upstream's ovsdb/log.c): each record is a header line
// `OVSDB JSON <length> <sha1-hex>\n` followed by <length> bytes of JSON text that end in "\n",
// the SHA-1 covering exactly those bytes. Owns encoding one record and decoding a whole file's
// bytes into records, stopping at the first bad record with upstream's error text and the
// offset where good data ends (so a torn or corrupt tail can be truncated). Promises: never
// throws on bad bytes (returns the error instead). Must not do I/O.

import { type Json, parseOvsJson, toOvsJson } from "./json.ts";
import { sha1HexRange } from "./sha1.ts";
import { isObject } from "./json.ts";
import { OvsdbError } from "./error.ts";

export const MAGIC = "OVSDB JSON";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

export function sha1Hex(bytes: Uint8Array): string {
  return sha1HexRange(bytes);
}

/** Room for the longest header: magic, a 20-digit length, the digest, spaces and newline. */
const HEADER_MAX = MAGIC.length + 1 + 20 + 1 + 40 + 1;

/** Encodes one record holding `json` (serialised compactly, in upstream's member order). */
export function encodeRecord(json: Json): Uint8Array {
  return encodeRecords([json]);
}

/**
 * Encodes records back to back into one buffer (what one group commit writes), each body
 * encoded once, straight into place.
 */
export function encodeRecords(records: readonly Json[]): Uint8Array {
  const texts = records.map((json) => toOvsJson(json) + "\n");
  let room = 0;
  for (const text of texts) room += HEADER_MAX + 3 * text.length;
  const out = new Uint8Array(room);
  let end = 0;
  for (const text of texts) {
    // The body goes after room for the header; the finished record then moves down to `end`.
    const bodyStart = end + HEADER_MAX;
    const { written } = encoder.encodeInto(text, out.subarray(bodyStart));
    const header = `${MAGIC} ${written} ${sha1HexRange(out, bodyStart, bodyStart + written)}\n`;
    const headerStart = bodyStart - header.length;
    encoder.encodeInto(header, out.subarray(headerStart, bodyStart));
    if (headerStart !== end) out.copyWithin(end, headerStart, bodyStart + written);
    end += header.length + written;
  }
  return out.subarray(0, end);
}

export interface LogRecord {
  json: Json;
  /** Offset of the record's header. */
  offset: number;
  /** Offset just past the record. */
  end: number;
}

export interface DecodedLog {
  records: LogRecord[];
  /** Offset just past the last good record. */
  goodEnd: number;
  /** Why reading stopped before the end of the data, if it did. */
  error?: OvsdbError;
}

const HEADER = /^([A-Z][A-Z ]*[A-Z]) (\d+) ([0-9a-f]{40})$/;

/** Decodes every record in `data` (the bytes of a file named `name`). */
export function decodeLog(data: Uint8Array, name: string): DecodedLog {
  const records: LogRecord[] = [];
  let offset = 0;
  const stop = (details: string): DecodedLog => ({
    records,
    goodEnd: offset,
    error: new OvsdbError("syntax error", details),
  });
  while (offset < data.length) {
    const nl = data.indexOf(0x0a, offset);
    const lineEnd = nl < 0 ? data.length : nl;
    const header = decoder.decode(data.subarray(offset, Math.min(lineEnd, offset + 127)));
    const m = HEADER.exec(header);
    if (nl < 0 || !m || m[1] !== MAGIC) {
      if (nl < 0 && m === null && records.length > 0 && header.startsWith("OVSDB")) {
        return stop(`${name}: parse error at offset ${offset} in header line "${header}"`);
      }
      return stop(`${name}: parse error at offset ${offset} in header line "${header}"`);
    }
    const dataOffset = nl + 1;
    const length = Number(m[2]);
    if (dataOffset + length > data.length) {
      return stop(
        `${name}: error reading ${length} bytes starting at offset ${dataOffset} (End of file)`,
      );
    }
    const body = data.subarray(dataOffset, dataOffset + length);
    const actual = sha1HexRange(data, dataOffset, dataOffset + length);
    if (actual !== m[3]) {
      return stop(
        `${name}: ${length} bytes starting at offset ${dataOffset} have SHA-1 hash ${actual} ` +
          `but should have hash ${m[3]}`,
      );
    }
    let json: Json;
    try {
      json = parseOvsJson(decoder.decode(body));
    } catch (e) {
      return stop(
        `${name}: ${length} bytes starting at offset ${dataOffset} are not valid JSON (${
          (e as Error).message
        })`,
      );
    }
    if (!isObject(json)) {
      return stop(
        `${name}: ${length} bytes starting at offset ${dataOffset} are not a JSON object`,
      );
    }
    records.push({ json, offset, end: dataOffset + length });
    offset = dataOffset + length;
  }
  return { records, goodEnd: offset };
}
