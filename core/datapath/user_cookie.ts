// The cookie the slow path puts in a userspace(...) action's userdata (upstream's struct
// user_action_cookie, 48 bytes in host order as ofproto-dpif memcpy's it) and its text forms
// inside userspace(...): sFlow(...), slow_path(...), flow_sample(...), ipfix(...),
// controller(...). Promises: encode and decode agree byte for byte with x86-64 upstream, so
// dpctl prints the same text for the same userdata; anything that is not a known 48-byte cookie
// is shown as raw userdata(...). No I/O.

import { formatFlags, parseFlags } from "./flags_text.ts";
import { scanInt, scanIntBig, scanLiteral } from "./scan.ts";

export const USER_COOKIE_SIZE = 48;

export const COOKIE_SFLOW = 1;
export const COOKIE_SLOW_PATH = 2;
export const COOKIE_FLOW_SAMPLE = 3;
export const COOKIE_IPFIX = 4;
export const COOKIE_CONTROLLER = 5;

/** OFPP_NONE, what a cookie parsed from text carries as its OpenFlow in_port. */
export const OFPP_NONE = 0xffff;

/** Slow-path reasons, bit i named SLOW_PATH_REASONS[i] (upstream's enum slow_path_reason). */
export const SLOW_PATH_REASONS = ["cfm", "bfd", "lacp", "stp", "lldp", "action", "match"];
export const SLOW_PATH_REASON_MASK = (1 << SLOW_PATH_REASONS.length) - 1;

export function slowPathReasonName(bit: number): string | undefined {
  const index = Math.log2(bit);
  return Number.isInteger(index) ? SLOW_PATH_REASONS[index] : undefined;
}

/** nx_action_sample_direction. */
export const SAMPLE_DEFAULT = 0;
export const SAMPLE_INGRESS = 1;
export const SAMPLE_EGRESS = 2;

interface CookieBase {
  /** OpenFlow input port, or OFPP_NONE. */
  ofpInPort: number;
  /** The ofproto's UUID as 16 bytes (struct uuid's four host-order words, in order). */
  ofprotoUuid: Uint8Array;
}

export type UserActionCookie =
  & CookieBase
  & (
    | { type: "sflow"; vlanTci: number; output: number }
    | { type: "slow_path"; reason: number }
    | {
      type: "flow_sample";
      probability: number;
      collectorSetId: number;
      obsDomainId: number;
      obsPointId: number;
      outputOdpPort: number;
      direction: number;
    }
    | { type: "ipfix"; outputOdpPort: number }
    | {
      type: "controller";
      dontSend: boolean;
      continuation: boolean;
      reason: number;
      recircId: number;
      ruleCookie: bigint;
      controllerId: number;
      maxLen: number;
    }
  );

const TYPE_CODES = {
  sflow: COOKIE_SFLOW,
  slow_path: COOKIE_SLOW_PATH,
  flow_sample: COOKIE_FLOW_SAMPLE,
  ipfix: COOKIE_IPFIX,
  controller: COOKIE_CONTROLLER,
} as const;

/** The 48 userdata bytes of `cookie`. */
export function encodeUserCookie(cookie: UserActionCookie): Uint8Array {
  const out = new Uint8Array(USER_COOKIE_SIZE);
  const v = new DataView(out.buffer);
  v.setUint16(0, TYPE_CODES[cookie.type], true);
  v.setUint32(4, cookie.ofpInPort, true);
  out.set(cookie.ofprotoUuid.subarray(0, 16), 8);
  switch (cookie.type) {
    case "sflow":
      v.setUint16(24, cookie.vlanTci, false);
      v.setUint32(28, cookie.output, true);
      break;
    case "slow_path":
      v.setUint32(28, cookie.reason, true);
      break;
    case "flow_sample":
      v.setUint16(24, cookie.probability, true);
      v.setUint32(28, cookie.collectorSetId, true);
      v.setUint32(32, cookie.obsDomainId, true);
      v.setUint32(36, cookie.obsPointId, true);
      v.setUint32(40, cookie.outputOdpPort, true);
      v.setUint32(44, cookie.direction, true);
      break;
    case "ipfix":
      v.setUint32(24, cookie.outputOdpPort, true);
      break;
    case "controller":
      out[24] = cookie.dontSend ? 1 : 0;
      out[25] = cookie.continuation ? 1 : 0;
      v.setUint16(26, cookie.reason, true);
      v.setUint32(28, cookie.recircId, true);
      v.setBigUint64(32, cookie.ruleCookie, false);
      v.setUint16(40, cookie.controllerId, true);
      v.setUint16(42, cookie.maxLen, true);
      break;
  }
  return out;
}

/** The cookie in `userdata`, or undefined when it is not a 48-byte cookie of a known type. */
export function decodeUserCookie(userdata: Uint8Array): UserActionCookie | undefined {
  if (userdata.length !== USER_COOKIE_SIZE) return undefined;
  const v = new DataView(userdata.buffer, userdata.byteOffset, userdata.byteLength);
  const base: CookieBase = {
    ofpInPort: v.getUint32(4, true),
    ofprotoUuid: userdata.slice(8, 24),
  };
  switch (v.getUint16(0, true)) {
    case COOKIE_SFLOW:
      return {
        ...base,
        type: "sflow",
        vlanTci: v.getUint16(24, false),
        output: v.getUint32(28, true),
      };
    case COOKIE_SLOW_PATH:
      return { ...base, type: "slow_path", reason: v.getUint32(28, true) };
    case COOKIE_FLOW_SAMPLE:
      return {
        ...base,
        type: "flow_sample",
        probability: v.getUint16(24, true),
        collectorSetId: v.getUint32(28, true),
        obsDomainId: v.getUint32(32, true),
        obsPointId: v.getUint32(36, true),
        outputOdpPort: v.getUint32(40, true),
        direction: v.getUint32(44, true),
      };
    case COOKIE_IPFIX:
      return { ...base, type: "ipfix", outputOdpPort: v.getUint32(24, true) };
    case COOKIE_CONTROLLER:
      return {
        ...base,
        type: "controller",
        dontSend: userdata[24] !== 0,
        continuation: userdata[25] !== 0,
        reason: v.getUint16(26, true),
        recircId: v.getUint32(28, true),
        ruleCookie: v.getBigUint64(32, false),
        controllerId: v.getUint16(40, true),
        maxLen: v.getUint16(42, true),
      };
    default:
      return undefined;
  }
}

/** The cookie's text inside userspace(...), without the leading comma. */
export function formatUserCookie(
  cookie: UserActionCookie,
  portName: (port: number) => string,
): string {
  switch (cookie.type) {
    case "sflow":
      return `sFlow(vid=${cookie.vlanTci & 0xfff},pcp=${
        cookie.vlanTci >> 13
      },output=${cookie.output})`;
    case "slow_path":
      return `slow_path(${formatFlags(cookie.reason, slowPathReasonName, ",")})`;
    case "flow_sample": {
      const direction = cookie.direction === SAMPLE_INGRESS
        ? ",ingress"
        : cookie.direction === SAMPLE_EGRESS
        ? ",egress"
        : "";
      return `flow_sample(probability=${cookie.probability},collector_set_id=${cookie.collectorSetId},obs_domain_id=${cookie.obsDomainId},obs_point_id=${cookie.obsPointId},output_port=${
        portName(cookie.outputOdpPort)
      }${direction})`;
    }
    case "ipfix":
      return `ipfix(output_port=${portName(cookie.outputOdpPort)})`;
    case "controller":
      return `controller(reason=${cookie.reason},dont_send=${
        cookie.dontSend ? 1 : 0
      },continuation=${cookie.continuation ? 1 : 0},recirc_id=${cookie.recircId},rule_cookie=${
        cookie.ruleCookie === 0n ? "0" : "0x" + cookie.ruleCookie.toString(16)
      },controller_id=${cookie.controllerId},max_len=${cookie.maxLen})`;
  }
}

/** A field sequence `name=%i` separated as in `spec`; returns the values and the end. */
function scanSequence(
  s: string,
  pos: number,
  names: readonly string[],
  bits: readonly number[],
): { values: bigint[]; end: number } | undefined {
  const values: bigint[] = [];
  let p = pos;
  for (let i = 0; i < names.length; i++) {
    const at = scanLiteral(s, p, (i ? "," : "") + names[i] + "=");
    if (at === undefined) return undefined;
    const v = names[i] === "rule_cookie" ? scanHexCookie(s, at) : scanIntBig(s, at, bits[i]);
    if (!v) return undefined;
    values.push(v.value);
    p = v.end;
  }
  return { values, end: p };
}

function scanHexCookie(s: string, pos: number): { value: bigint; end: number } | undefined {
  let p = pos;
  if (s[p] === "0" && (s[p + 1] === "x" || s[p + 1] === "X")) p += 2;
  const m = /^[0-9a-fA-F]+/.exec(s.slice(p));
  if (!m) return s[pos] === "0" ? { value: 0n, end: pos + 1 } : undefined;
  return { value: BigInt.asUintN(64, BigInt("0x" + m[0])), end: p + m[0].length };
}

const ZERO_UUID = new Uint8Array(16);

/**
 * A cookie form at `pos` (just after "userspace(pid=N"): `,sFlow(...)` etc. Returns the cookie
 * and the end, `undefined` when no form is there, or "error" when a form starts but is bad.
 */
export function parseUserCookie(
  s: string,
  pos: number,
): { cookie: UserActionCookie; end: number } | undefined | "error" {
  const base = (): CookieBase => ({ ofpInPort: OFPP_NONE, ofprotoUuid: ZERO_UUID.slice() });
  let at = scanLiteral(s, pos, ",sFlow(");
  if (at !== undefined) {
    const seq = scanSequence(s, at, ["vid", "pcp", "output"], [32, 32, 32]);
    if (seq && s[seq.end] === ")") {
      const [vid = 0n, pcp = 0n, output = 0n] = seq.values;
      let tci = (Number(vid) | (Number(pcp) << 13)) & 0xffff;
      if (tci) tci |= 0x1000;
      return {
        cookie: { ...base(), type: "sflow", vlanTci: tci, output: Number(output) },
        end: seq.end + 1,
      };
    }
  }
  at = scanLiteral(s, pos, ",slow_path(");
  if (at !== undefined) {
    const flags = parseFlags(s, at, slowPathReasonName, ")", SLOW_PATH_REASON_MASK);
    if (!flags || s[flags.end] !== ")") return "error";
    return {
      cookie: { ...base(), type: "slow_path", reason: flags.value },
      end: flags.end + 1,
    };
  }
  at = scanLiteral(s, pos, ",flow_sample(");
  if (at !== undefined) {
    const seq = scanSequence(
      s,
      at,
      ["probability", "collector_set_id", "obs_domain_id", "obs_point_id", "output_port"],
      [32, 32, 32, 32, 32],
    );
    if (seq) {
      let p = seq.end;
      let direction = SAMPLE_DEFAULT;
      if (s.startsWith(",ingress", p)) {
        direction = SAMPLE_INGRESS;
        p += 8;
      } else if (s.startsWith(",egress", p)) {
        direction = SAMPLE_EGRESS;
        p += 7;
      }
      if (s[p] !== ")") return "error";
      const [probability = 0n, collector = 0n, domain = 0n, point = 0n, output = 0n] = seq.values;
      return {
        cookie: {
          ...base(),
          type: "flow_sample",
          probability: Number(probability) & 0xffff,
          collectorSetId: Number(collector),
          obsDomainId: Number(domain),
          obsPointId: Number(point),
          outputOdpPort: Number(output),
          direction,
        },
        end: p + 1,
      };
    }
  }
  at = scanLiteral(s, pos, ",ipfix(output_port=");
  if (at !== undefined) {
    const v = scanInt(s, at);
    if (v && s[v.end] === ")") {
      return { cookie: { ...base(), type: "ipfix", outputOdpPort: v.value }, end: v.end + 1 };
    }
  }
  at = scanLiteral(s, pos, ",controller(");
  if (at !== undefined) {
    const seq = scanSequence(
      s,
      at,
      [
        "reason",
        "dont_send",
        "continuation",
        "recirc_id",
        "rule_cookie",
        "controller_id",
        "max_len",
      ],
      [16, 8, 8, 32, 64, 16, 16],
    );
    if (seq && s[seq.end] === ")") {
      const [reason = 0n, dontSend = 0n, cont = 0n, recirc = 0n, rule = 0n, id = 0n, max = 0n] =
        seq.values;
      return {
        cookie: {
          ...base(),
          type: "controller",
          reason: Number(reason),
          dontSend: dontSend !== 0n,
          continuation: cont !== 0n,
          recircId: Number(recirc),
          ruleCookie: rule,
          controllerId: Number(id),
          maxLen: Number(max),
        },
        end: seq.end + 1,
      };
    }
  }
  return undefined;
}
