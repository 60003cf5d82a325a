// OpenFlow port numbers as text and across versions, as upstream's ofp-port.c: reserved names
// (IN_PORT, LOCAL, ANY ...), decimal numbers, the OpenFlow 1.1+ 32-bit mapping (0xffffff00 and up
// is 0xff00 and up internally) and `PortMap`, the name table behind `ovs-ofctl --names`, which
// quotes names that are not plain identifiers. Port numbers inside core/ofproto are always the
// 16-bit OpenFlow 1.0 values; only codecs see 32-bit ones. Logs upstream's warnings through vlog
// (module ofp_port) and never prints.

import { vlogModule } from "../net/vlog.ts";
import { OfpError } from "./errors.ts";
import { OFPP_LOCAL, OFPP_NONE } from "./port_numbers.ts";
import { strToUint } from "./text_scan.ts";

export { OFPP_LOCAL, OFPP_NONE };

/** One more than the highest ordinary port number. */
export const OFPP_MAX = 0xff00;
export const OFPP_FIRST_RESV = 0xfff7;
export const OFPP_UNSET = 0xfff7;
export const OFPP_IN_PORT = 0xfff8;
export const OFPP_TABLE = 0xfff9;
export const OFPP_NORMAL = 0xfffa;
export const OFPP_FLOOD = 0xfffb;
export const OFPP_ALL = 0xfffc;
export const OFPP_CONTROLLER = 0xfffd;
export const OFPP_LAST_RESV = 0xffff;
/** OpenFlow 1.1+ calls OFPP_NONE "ANY". */
export const OFPP_ANY = OFPP_NONE;

/** OpenFlow 1.1+ port numbers: OFPP11_MAX and the offset between the two numberings. */
export const OFPP11_MAX = 0xffffff00;
export const OFPP11_OFFSET = 0xffff0000;

const log = vlogModule("ofp_port");

/** Reserved names in upstream's order; "NONE" is accepted as a synonym of ANY. */
const RESERVED: ReadonlyArray<readonly [string, number]> = [
  ["IN_PORT", OFPP_IN_PORT],
  ["TABLE", OFPP_TABLE],
  ["NORMAL", OFPP_NORMAL],
  ["FLOOD", OFPP_FLOOD],
  ["ALL", OFPP_ALL],
  ["CONTROLLER", OFPP_CONTROLLER],
  ["LOCAL", OFPP_LOCAL],
  ["ANY", OFPP_ANY],
  ["UNSET", OFPP_UNSET],
];

/** ofputil_port_get_reserved_name. */
export function reservedPortName(port: number): string | undefined {
  for (const [name, value] of RESERVED) if (value === port) return name;
  return undefined;
}

/**
 * A map between port names and numbers (upstream's namemap): a name or a number that appears
 * twice with different partners becomes ambiguous and is not used in either direction.
 */
export class PortMap {
  readonly #byName = new Map<string, { number: number; duplicate: boolean }>();
  readonly #byNumber = new Map<number, { name: string; node: { duplicate: boolean } }>();

  put(number: number, name: string): void {
    const named = this.#byName.get(name);
    if (named) {
      if (named.number !== number) named.duplicate = true;
      return;
    }
    const numbered = this.#byNumber.get(number);
    if (numbered) {
      numbered.node.duplicate = true;
      return;
    }
    const node = { number, duplicate: false };
    this.#byName.set(name, node);
    this.#byNumber.set(number, { name, node });
  }

  /** The unambiguous name of `number`, if any. */
  nameOf(number: number): string | undefined {
    const entry = this.#byNumber.get(number);
    return entry && !entry.node.duplicate ? entry.name : undefined;
  }

  /** The unambiguous number named `name`, if any. */
  numberOf(name: string): number | undefined {
    const node = this.#byName.get(name);
    return node && !node.duplicate ? node.number : undefined;
  }
}

const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number) => c >= 48 && c <= 57;

/** A port or table name needs quotes unless it is a letter followed by letters and digits. */
export function nameNeedsQuotes(name: string): boolean {
  if (!name.length || !isAlpha(name.charCodeAt(0))) return true;
  for (let i = 1; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isAlpha(c) && !isDigit(c)) return true;
  }
  return false;
}

const SHORT_ESCAPES: Record<number, string> = {
  0x08: "\\b",
  0x09: "\\t",
  0x0a: "\\n",
  0x0c: "\\f",
  0x0d: "\\r",
  0x22: '\\"',
  0x5c: "\\\\",
};

/** json_string_escape: a JSON string literal as upstream serializes one. */
export function jsonQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    const short = SHORT_ESCAPES[c];
    if (short) out += short;
    else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/** json_string_unescape of the text between quotes; undefined when it is not valid. */
export function jsonUnquote(inner: string): string | undefined {
  let out = "";
  for (let i = 0; i < inner.length;) {
    const ch = inner[i]!;
    if (ch === '"') return undefined;
    if (ch !== "\\") {
      out += ch;
      i++;
      continue;
    }
    const esc = inner[i + 1];
    i += 2;
    switch (esc) {
      case '"':
      case "\\":
      case "/":
        out += esc;
        break;
      case "b":
        out += "\b";
        break;
      case "f":
        out += "\f";
        break;
      case "n":
        out += "\n";
        break;
      case "r":
        out += "\r";
        break;
      case "t":
        out += "\t";
        break;
      case "u": {
        const hex = inner.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
        const code = parseInt(hex, 16);
        if (code === 0) return undefined;
        out += String.fromCharCode(code);
        i += 4;
        break;
      }
      default:
        return undefined;
    }
  }
  return out;
}

/** namemap_put_name: a name, quoted when it needs to be. */
export function quoteName(name: string): string {
  return nameNeedsQuotes(name) ? jsonQuote(name) : name;
}

/**
 * ofputil_port_from_string: a port number (decimal, OpenFlow 1.0 or 1.1+ numbering), a reserved
 * name (any case), or a name from `portMap` (quoted or not). Undefined when it is none of these;
 * callers word the error.
 */
export function parsePort(s: string, portMap?: PortMap): number | undefined {
  if (s.startsWith("-")) {
    log.warn(`Negative value ${s} is not a valid port number.`);
    return undefined;
  }
  const port32 = strToUint(s, 10);
  if (port32 !== undefined) {
    if (port32 < OFPP_MAX) return port32;
    if (port32 < OFPP_FIRST_RESV) {
      log.warn(
        `port ${port32} is a reserved OF1.0 port number that will be translated to ` +
          `${port32 + OFPP11_OFFSET} when talking to an OF1.1 or later controller`,
      );
      return port32;
    }
    if (port32 <= OFPP_LAST_RESV) {
      warnDeprecatedOnce(port32);
      return port32;
    }
    if (port32 < OFPP11_MAX) {
      log.warn(
        `port ${port32} is outside the supported range 0 through ffff or 0x${
          OFPP11_MAX.toString(16)
        } through 0xffffffff`,
      );
      return undefined;
    }
    return port32 - OFPP11_OFFSET;
  }
  const upper = s.toUpperCase();
  if (upper === "NONE") return OFPP_NONE;
  for (const [name, value] of RESERVED) if (upper === name) return value;
  if (!portMap) return undefined;
  if (!s.startsWith('"')) return portMap.numberOf(s);
  if (s.length > 1 && s.endsWith('"')) {
    const name = jsonUnquote(s.slice(1, -1));
    if (name !== undefined) return portMap.numberOf(name);
  }
  return undefined;
}

let warnedDeprecated = false;
function warnDeprecatedOnce(port: number): void {
  if (warnedDeprecated) return;
  warnedDeprecated = true;
  log.warn(
    `referring to port ${formatPort(port)} as ${port} is deprecated for compatibility with ` +
      `OpenFlow 1.1 and later`,
  );
}

/** ofputil_format_port: the reserved name, else the mapped name (quoted if needed), else decimal. */
export function formatPort(port: number, portMap?: PortMap): string {
  const reserved = reservedPortName(port);
  if (reserved) return reserved;
  const name = portMap?.nameOf(port);
  if (name !== undefined) return quoteName(name);
  return String(port);
}

/** ofputil_port_from_ofp11: OFPBAC_BAD_OUT_PORT for numbers neither mapping covers. */
export function portFromOfp11(port32: number): number {
  const p = port32 >>> 0;
  if (p < OFPP_MAX) return p;
  if (p >= OFPP11_MAX) return p - OFPP11_OFFSET;
  log.warn(
    `port ${p} is outside the supported range 0 through ${OFPP_MAX - 1} or 0x${
      OFPP11_MAX.toString(16)
    } through 0xffffffff`,
  );
  throw new OfpError("OFPBAC_BAD_OUT_PORT", `port ${p} out of range`);
}

/** The same mapping without logging or throwing: OFPP_NONE for numbers out of range. */
export function portFromOfp11Quiet(port32: number): number {
  const p = port32 >>> 0;
  if (p < OFPP_MAX) return p;
  if (p >= OFPP11_MAX) return p - OFPP11_OFFSET;
  return OFPP_NONE;
}

/** ofputil_port_to_ofp11. */
export function portToOfp11(port: number): number {
  return port < OFPP_MAX ? port : (port + OFPP11_OFFSET) >>> 0;
}
