// The datapath action model (upstream's OVS_ACTION_ATTR_*): what a megaflow does to a packet, as
// the slow path builds it and the executor runs it, and its text exactly as upstream's
// format_odp_actions writes it ("Datapath actions:" lines, dpctl/dump-flows `actions:`) and
// odp_actions_from_string reads it (dpctl/add-flow). Promises: format(parse(t)) === t for every
// form upstream round-trips (tests/odp.at); parse fails with DpError EINVAL (E2BIG when the
// Netlink encoding would overflow) exactly where upstream fails; an empty list formats as "drop".
// Forms upstream formats but cannot parse (hash, push_mpls, pop_mpls, push_eth, pop_eth,
// tnl_push) are formatted only. Never imports core/ofproto.

import { type CtAction, ctNlSize, formatCtAction, parseCtAction } from "./dp_action_ct.ts";
import { DpError } from "./dp_errors.ts";
import {
  align4,
  formatKeyAttr,
  formatMplsLse,
  formatVlan,
  isAllOnes,
  type KeyAttr,
  keyAttrNlSize,
} from "./odp_key_attr.ts";
import { parseKeyAttr } from "./odp_key_attr_parse.ts";
import { formatMac, scanDecimal, scanInt, scanLiteral } from "./scan.ts";
import {
  decodeUserCookie,
  encodeUserCookie,
  formatUserCookie,
  parseUserCookie,
} from "./user_cookie.ts";

export type { CtAction, CtNat } from "./dp_action_ct.ts";

/** OVS_HASH_ALG_*. */
export const HASH_ALG_L4 = 0;
export const HASH_ALG_SYM_L4 = 1;

/** The datapath's local port (OVSP_LOCAL) and "no port" (ODPP_NONE). */
export const ODPP_LOCAL = 0;
export const ODPP_NONE = 0xffffffff;

/** Netlink's bound on an attribute's payload (nl_attr_oversized): UINT16_MAX - NLA_HDRLEN. */
export const MAX_NL_PAYLOAD = 65535 - 4;

export type DpAction =
  | { type: "output"; port: number }
  | { type: "lb_output"; bond: number }
  | {
    type: "userspace";
    pid: number;
    /** Opaque cookie bytes handed back with the upcall (see user_cookie.ts). */
    userdata?: Uint8Array;
    /** Whether the upcall carries the actions being executed. */
    actions?: boolean;
    tunnelOutPort?: number;
  }
  | { type: "set"; attr: KeyAttr; masked: boolean }
  | { type: "push_vlan"; tpid: number; tci: number }
  | { type: "pop_vlan" }
  | { type: "push_mpls"; lse: number; ethertype: number }
  | { type: "pop_mpls"; ethertype: number }
  | { type: "add_mpls"; lse: number; ethertype: number; l3Tunnel: boolean }
  | { type: "recirc"; id: number }
  | { type: "hash"; alg: number; basis: number }
  | { type: "clone"; actions: DpAction[] }
  | { type: "sample"; probability: number; actions: DpAction[] }
  | { type: "trunc"; maxLen: number }
  | { type: "meter"; id: number }
  | CtAction
  | { type: "ct_clear" }
  | { type: "check_pkt_len"; size: number; gt: DpAction[]; le: DpAction[] }
  | { type: "push_eth"; src: Uint8Array; dst: Uint8Array }
  | { type: "pop_eth" }
  | { type: "tnl_pop"; port: number }
  | { type: "drop"; reason: number };

/** A set action for `attr`, masked unless its mask is all ones (upstream's parse rule). */
export function setAction(attr: KeyAttr): DpAction {
  const masked = attr.name !== "tunnel" && !isAllOnes(attr.mask);
  return { type: "set", attr, masked };
}

export interface FormatOptions {
  /** Port number to name, when the names option asks for names. */
  portName?: (port: number) => string | undefined;
}

function portText(port: number, options: FormatOptions): string {
  return options.portName?.(port) ?? String(port >>> 0);
}

function formatAction(a: DpAction, o: FormatOptions): string {
  switch (a.type) {
    case "output":
      return portText(a.port, o);
    case "lb_output":
      return `lb_output(${a.bond >>> 0})`;
    case "meter":
      return `meter(${a.id >>> 0})`;
    case "trunc":
      return `trunc(${a.maxLen >>> 0})`;
    case "tnl_pop":
      return `tnl_pop(${portText(a.port, o)})`;
    case "userspace":
      return formatUserspace(a, o);
    case "recirc":
      return `recirc(${a.id === 0 ? "0" : "0x" + (a.id >>> 0).toString(16)})`;
    case "hash":
      if (a.alg === HASH_ALG_L4) return `hash(l4(${a.basis >>> 0}))`;
      if (a.alg === HASH_ALG_SYM_L4) return `hash(sym_l4(${a.basis >>> 0}))`;
      return `hash(Unknown hash algorithm(${a.alg >>> 0}))`;
    case "set":
      return `set(${formatKeyAttr(a.attr, a.masked, o.portName)})`;
    case "push_eth":
      return `push_eth(src=${formatMac(a.src)},dst=${formatMac(a.dst)})`;
    case "pop_eth":
      return "pop_eth";
    case "push_vlan": {
      const tpid = a.tpid === 0x8100 ? "" : `tpid=0x${a.tpid.toString(16).padStart(4, "0")},`;
      return `push_vlan(${tpid}${formatVlan(a.tci, 0xffff, false)})`;
    }
    case "pop_vlan":
      return "pop_vlan";
    case "push_mpls":
      return `push_mpls(${formatMplsLse(a.lse)},eth_type=0x${a.ethertype.toString(16)})`;
    case "pop_mpls":
      return `pop_mpls(eth_type=0x${a.ethertype.toString(16)})`;
    case "add_mpls":
      return `add_mpls(${formatMplsLse(a.lse)},eth_type=0x${a.ethertype.toString(16)})`;
    case "sample": {
      const pct = (100 * (a.probability >>> 0)) / 0xffffffff;
      return `sample(sample=${pct.toFixed(1)}%,actions(${formatDpActions(a.actions, o)}))`;
    }
    case "ct":
      return formatCtAction(a);
    case "ct_clear":
      return "ct_clear";
    case "clone":
      return `clone(${formatDpActions(a.actions, o)})`;
    case "check_pkt_len":
      return `check_pkt_len(size=${a.size},gt(${formatDpActions(a.gt, o)}),le(${
        formatDpActions(a.le, o)
      }))`;
    case "drop":
      return "drop";
  }
}

function formatUserspace(
  a: Extract<DpAction, { type: "userspace" }>,
  o: FormatOptions,
): string {
  let text = `userspace(pid=${a.pid >>> 0}`;
  if (a.userdata) {
    const cookie = decodeUserCookie(a.userdata);
    if (cookie) {
      text += "," + formatUserCookie(cookie, (port) => portText(port, o));
    } else {
      let hex = "";
      for (const byte of a.userdata) hex += byte.toString(16).padStart(2, "0");
      text += `,userdata(${hex})`;
    }
  }
  if (a.actions) text += ",actions";
  if (a.tunnelOutPort !== undefined) text += `,tunnel_out_port=${portText(a.tunnelOutPort, o)}`;
  return text + ")";
}

/** The text of an action list; "drop" when empty. */
export function formatDpActions(actions: readonly DpAction[], options: FormatOptions = {}): string {
  if (actions.length === 0) return "drop";
  let text = "";
  for (let i = 0; i < actions.length; i++) {
    if (i) text += ",";
    text += formatAction(actions[i]!, options);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Netlink size accounting (for upstream's length limits).

export function dpActionNlSize(a: DpAction): number {
  switch (a.type) {
    case "output":
    case "lb_output":
    case "meter":
    case "trunc":
    case "tnl_pop":
    case "recirc":
    case "drop":
    case "push_vlan":
    case "pop_mpls":
      return 8;
    case "pop_vlan":
    case "ct_clear":
    case "pop_eth":
      return 4;
    case "push_mpls":
    case "add_mpls":
    case "hash":
      return 12;
    case "push_eth":
      return 16;
    case "userspace":
      return 4 + 8 + (a.userdata ? 4 + align4(a.userdata.length) : 0) + (a.actions ? 4 : 0) +
        (a.tunnelOutPort !== undefined ? 8 : 0);
    case "set":
      return 4 + keyAttrNlSize(a.attr, a.masked);
    case "clone":
      return 4 + dpActionsNlSize(a.actions);
    case "sample":
      return 4 + 8 + 4 + dpActionsNlSize(a.actions);
    case "check_pkt_len":
      return 4 + 8 + 4 + dpActionsNlSize(a.gt) + 4 + dpActionsNlSize(a.le);
    case "ct":
      return ctNlSize(a);
  }
}

/** Bytes of the action list's Netlink encoding. */
export function dpActionsNlSize(actions: readonly DpAction[]): number {
  let n = 0;
  for (const a of actions) n += dpActionNlSize(a);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Parsing.

const DELIMITERS = ", \t\r\n";
const MAX_NESTING = 32;

class ActionParser {
  private depth = 0;

  constructor(readonly s: string, readonly portNames?: ReadonlyMap<string, number>) {}

  fail(): never {
    throw new DpError("EINVAL");
  }

  skipDelimiters(p: number): number {
    while (p < this.s.length && DELIMITERS.includes(this.s[p]!)) p++;
    return p;
  }

  /** Actions up to (not including) a ')' at nesting `depth`. */
  list(p: number, out: DpAction[]): number {
    const s = this.s;
    for (;;) {
      p = this.skipDelimiters(p);
      if (p >= s.length) this.fail();
      if (s[p] === ")") return p;
      p = this.action(p, out);
    }
  }

  action(p: number, out: DpAction[]): number {
    if (++this.depth >= MAX_NESTING) this.fail();
    const end = this.action__(p, out);
    this.depth--;
    return end;
  }

  private action__(p: number, out: DpAction[]): number {
    const s = this.s;
    const port = scanInt(s, p);
    if (port) {
      out.push({ type: "output", port: port.value });
      return port.end;
    }
    let at = scanLiteral(s, p, "lb_output(");
    if (at !== undefined) {
      const v = scanDecimal(s, at);
      if (v && s[v.end] === ")") {
        out.push({ type: "lb_output", bond: v.value });
        return v.end + 1;
      }
    }
    at = scanLiteral(s, p, "trunc(");
    if (at !== undefined) {
      const v = scanInt(s, at);
      if (v && s[v.end] === ")") {
        out.push({ type: "trunc", maxLen: v.value });
        return v.end + 1;
      }
    }
    if (this.portNames) {
      let len = 0;
      while (p + len < s.length && !DELIMITERS.includes(s[p + len]!)) len++;
      const named = this.portNames.get(s.slice(p, p + len));
      if (named !== undefined) {
        out.push({ type: "output", port: named });
        return p + len;
      }
    }
    at = scanLiteral(s, p, "recirc(");
    if (at !== undefined) {
      const v = scanDecimal(s, at);
      if (v && s[v.end] === ")") {
        out.push({ type: "recirc", id: v.value });
        return v.end + 1;
      }
    }
    if (s.startsWith("userspace(", p)) return this.userspace(p, out);
    if (s.startsWith("set(", p)) {
      const parsed = parseKeyAttr(s, p + 4, this.portNames);
      if (!parsed || s[parsed.end] !== ")") this.fail();
      out.push(setAction(parsed.attr));
      return parsed.end + 1;
    }
    const vlan = this.pushVlan(p, out);
    if (vlan !== undefined) return vlan;
    if (s.startsWith("pop_vlan", p)) {
      out.push({ type: "pop_vlan" });
      return p + 8;
    }
    at = scanLiteral(s, p, "meter(");
    if (at !== undefined) {
      const v = scanInt(s, at, 64);
      if (v && s[v.end] === ")") {
        out.push({ type: "meter", id: v.value >>> 0 });
        return v.end + 1;
      }
    }
    at = scanLiteral(s, p, "sample(sample=");
    if (at !== undefined) {
      const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%,actions\(/.exec(s.slice(at));
      const pct = m ? parseFloat(m[0]) : NaN;
      if (m && pct >= 0 && pct <= 100) {
        const probability = Math.floor(0xffffffff * (pct / 100) + 0.5);
        const actions: DpAction[] = [];
        const end = this.list(at + m[0].length, actions);
        if (s[end + 1] !== ")") this.fail();
        out.push({
          type: "sample",
          probability: probability <= 0 ? 0 : Math.min(probability, 0xffffffff),
          actions,
        });
        return end + 2;
      }
    }
    if (s.startsWith("clone(", p)) {
      const actions: DpAction[] = [];
      const end = this.list(p + 6, actions);
      out.push({ type: "clone", actions });
      return end + 1;
    }
    at = scanLiteral(s, p, "tnl_pop(");
    if (at !== undefined) {
      const v = scanInt(s, at);
      if (v && s[v.end] === ")") {
        out.push({ type: "tnl_pop", port: v.value });
        return v.end + 1;
      }
    }
    if (s.startsWith("ct_clear", p)) {
      out.push({ type: "ct_clear" });
      return p + 8;
    }
    const cpl = this.checkPktLen(p, out);
    if (cpl !== undefined) return cpl;
    const ct = parseCtAction(s, p);
    if (ct === "error") this.fail();
    if (ct) {
      out.push(ct.ct);
      return ct.end;
    }
    const mpls =
      /^add_mpls\(label=([+-]?\w+),tc=(\d+),ttl=(\d+),bos=(\d+),eth_type=0x([0-9a-fA-F]+)\)/
        .exec(s.slice(p));
    if (mpls) {
      const label = scanInt(mpls[1]!, 0);
      if (label) {
        const lse = ((label.value << 12) | ((Number(mpls[2]) & 0xff) << 9) |
          (Number(mpls[3]) & 0xff) | ((Number(mpls[4]) & 0xff) << 8)) >>> 0;
        out.push({
          type: "add_mpls",
          lse,
          ethertype: parseInt(mpls[5]!, 16) & 0xffff,
          l3Tunnel: false,
        });
        return p + mpls[0].length;
      }
    }
    this.fail();
  }

  private userspace(p: number, out: DpAction[]): number {
    const s = this.s;
    const pid = scanInt(s, p + "userspace(pid=".length);
    if (!s.startsWith("userspace(pid=", p) || !pid) this.fail();
    let q = pid.end;
    const action: Extract<DpAction, { type: "userspace" }> = { type: "userspace", pid: pid.value };
    const cookie = parseUserCookie(s, q);
    if (cookie === "error") this.fail();
    if (cookie) {
      action.userdata = encodeUserCookie(cookie.cookie);
      q = cookie.end;
    } else if (s.startsWith(",userdata(", q)) {
      q += 10;
      const bytes: number[] = [];
      for (;;) {
        while (s[q] === " ") q++;
        const pair = /^[0-9a-fA-F]{2}/.exec(s.slice(q, q + 2));
        if (!pair) break;
        bytes.push(parseInt(pair[0], 16));
        q += 2;
      }
      if (s[q] !== ")") this.fail();
      q++;
      // Upstream always sends at least 8 bytes of userdata, zero-padded.
      action.userdata = new Uint8Array(Math.max(8, bytes.length));
      action.userdata.set(bytes);
    } else {
      // No cookie given: upstream still sends a zeroed 48-byte cookie.
      action.userdata = new Uint8Array(48);
    }
    if (s.startsWith(",actions", q)) {
      action.actions = true;
      q += 8;
    }
    at: {
      const tunnel = scanLiteral(s, q, ",tunnel_out_port=");
      if (tunnel !== undefined) {
        const v = scanInt(s, tunnel);
        if (!v || s[v.end] !== ")") break at;
        action.tunnelOutPort = v.value;
        this.checkUserdataSize(action);
        out.push(action);
        return v.end + 1;
      }
    }
    if (s[q] !== ")") this.fail();
    this.checkUserdataSize(action);
    out.push(action);
    return q + 1;
  }

  private checkUserdataSize(action: Extract<DpAction, { type: "userspace" }>): void {
    if (dpActionNlSize(action) - 4 > MAX_NL_PAYLOAD) throw new DpError("E2BIG");
  }

  private pushVlan(p: number, out: DpAction[]): number | undefined {
    const s = this.s;
    if (!s.startsWith("push_vlan(", p)) return undefined;
    const forms: string[][] = [
      ["vid", "pcp"],
      ["vid", "pcp", "cfi"],
      ["tpid", "vid", "pcp"],
      ["tpid", "vid", "pcp", "cfi"],
    ];
    for (const form of forms) {
      const values: Record<string, number> = { tpid: 0x8100, cfi: 1 };
      let q = p + 10;
      let ok = true;
      for (let i = 0; i < form.length && ok; i++) {
        const name = form[i]!;
        const at = scanLiteral(s, q, (i ? "," : "") + name + "=");
        const v = at === undefined ? undefined : scanInt(s, at);
        if (!v) ok = false;
        else {
          values[name] = v.value | 0;
          q = v.end;
        }
      }
      if (!ok || s[q] !== ")") continue;
      const vid = values.vid!;
      const pcp = values.pcp!;
      if (vid & ~0xfff || pcp & ~7) this.fail();
      const tci = (vid | (pcp << 13) | (values.cfi ? 0x1000 : 0)) & 0xffff;
      out.push({ type: "push_vlan", tpid: values.tpid! & 0xffff, tci });
      return q + 1;
    }
    return undefined;
  }

  private checkPktLen(p: number, out: DpAction[]): number | undefined {
    const s = this.s;
    const at = scanLiteral(s, p, "check_pkt_len(size=");
    if (at === undefined) return undefined;
    const size = scanInt(s, at, 16);
    if (!size) return undefined;
    let q = scanLiteral(s, size.end, ",gt(");
    if (q === undefined) return undefined;
    const branch = (start: number, actions: DpAction[]): number =>
      s.slice(start, start + 4).toLowerCase() === "drop" ? start + 4 : this.list(start, actions);
    const gt: DpAction[] = [];
    q = branch(q, gt);
    const le0 = scanLiteral(s, q, "),le(");
    if (le0 === undefined) this.fail();
    const le: DpAction[] = [];
    q = branch(le0, le);
    if (s[q + 1] !== ")") this.fail();
    out.push({ type: "check_pkt_len", size: size.value, gt, le });
    return q + 2;
  }
}

/**
 * Parses datapath actions text (odp_actions_from_string). `portNames` lets bare port names stand
 * for output actions, as dpctl/normalize-actions allows. Throws DpError (EINVAL or E2BIG).
 */
export function parseDpActions(text: string, portNames?: ReadonlyMap<string, number>): DpAction[] {
  if (text.toLowerCase() === "drop") return [{ type: "drop", reason: 0 }];
  const parser = new ActionParser(text, portNames);
  const actions: DpAction[] = [];
  let p = 0;
  let size = 0;
  for (;;) {
    p = parser.skipDelimiters(p);
    if (p >= text.length) break;
    const before = actions.length;
    p = parser.action(p, actions);
    for (let i = before; i < actions.length; i++) size += dpActionNlSize(actions[i]!);
    if (size - 4 > MAX_NL_PAYLOAD) throw new DpError("E2BIG");
    if (p < text.length && !DELIMITERS.includes(text[p]!)) parser.fail();
  }
  return actions;
}
