// The OVSDB log file record format (upstream's ovsdb/log.c): each record is a header line
// `OVSDB JSON <length> <sha1-hex>\n` followed by <length> bytes of JSON text that end in "\n",
// the SHA-1 covering exactly those bytes. Owns encoding one record and decoding a whole file's
// bytes into records, stopping at the first bad record with upstream's error text and the
// offset where good data ends (so a torn or corrupt tail can be truncated). Promises: never
// throws on bad bytes (returns the error instead). Must not do I/O.

import { createHash } from "node:crypto";
import { type Json, parseOvsJson, toOvsJson } from "./json.ts";
import { isObject } from "./json.ts";
import { OvsdbError } from "./error.ts";

export const MAGIC = "OVSDB JSON";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

export function sha1Hex(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}

/** Encodes one record holding `json` (serialised compactly, in upstream's member order). */
export function encodeRecord(json: Json): Uint8Array {
  const body = encoder.encode(toOvsJson(json) + "\n");
  const header = encoder.encode(`${MAGIC} ${body.length} ${sha1Hex(body)}\n`);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
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
    const actual = sha1Hex(body);
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
