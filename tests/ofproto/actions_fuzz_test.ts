// Bounded fuzzing of the actions code (about two seconds, fixed seeds): mutated and random action
// and instruction bytes, for every OpenFlow version, must decode or fail with an OfpError and
// nothing else; whatever decodes must format, re-encode and re-decode (again failing only with
// OfpError). Mutated action strings must parse or fail with a ParseError; what parses must
// check (OfpError only), encode for every version without throwing, and decode back.

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { OfpError, ParseError } from "../../core/ofproto/errors.ts";
import { Match } from "../../core/ofproto/match.ts";
import { newMatchParseContext, parseMatch } from "../../core/ofproto/match_text.ts";
import { vlogSetConsoleEnabled } from "../../core/net/vlog.ts";
import {
  checkActions,
  decodeActions,
  decodeInstructions,
  encodeActions,
  encodeInstructions,
  formatActions,
  type Ofpact,
  parseActions,
} from "../../core/ofproto/actions/mod.ts";

vlogSetConsoleEnabled(false);

const VERSIONS = [1, 2, 3, 4, 5, 6];

/** A small deterministic PRNG (mulberry32), so that failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED_TEXTS = [
  "output:1,mod_vlan_vid:5,load:0x5->reg0[0..3],move:reg0[]->reg1[]",
  "controller(reason=invalid_ttl,max_len=1234,id=5678,userdata=01.02.03.04.05,pause,meter_id=2)",
  "learn(table=2,idle_timeout=10,limit=3,result_dst=reg0[8],NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0x5->reg1[],output:NXM_OF_IN_PORT[])",
  "ct(commit,zone=reg0[0..15],table=3,nat(src=10.0.0.1-10.0.0.9:100-200,random),exec(set_field:1->ct_mark)),ct_clear",
  "ct(commit,nat(dst=[fe80::1]-[fe80::9]:80-90,hash))",
  "bundle_load(symmetric_l4,60,hrw,ofport,reg0[],members:1,2,3),multipath(eth_src,50,hrw,16,0,reg1[0..3])",
  "clone(push_vlan:0x8100,set_field:4101->vlan_vid,output:2),note:01.02.03,sample(probability=1,sampling_port=3,egress)",
  "dec_ttl(1,2,3),push_mpls:0x8847,set_mpls_label(5),set_mpls_tc(1),set_mpls_ttl(4),dec_mpls_ttl,pop_mpls:0x0800",
  "set_tunnel64:0x123456789,set_queue:3,output:4,pop_queue,enqueue:5:6,output(port=1,max_len=100)",
  "encap(nsh(md_type=2,tlv(0x1000,10,0x12345678))),decap(),dec_nsh_ttl,check_pkt_larger(1500)->reg0[0]",
  "meter:3,resubmit(,2,ct),write_actions(set_field:1->reg0,group:4),write_metadata:0x5/0xff,goto_table:5",
  "conjunction(1,2/3),conjunction(4,1/2),note:aa",
  "push:reg0[],pop:reg2[0..15],fin_timeout(idle_timeout=1),exit,mod_nw_ttl:5,mod_tp_src:1,mod_dl_src:00:01:02:03:04:05",
  "set_field:00:11:22:33:44:55/ff:ff:ff:00:00:00->eth_dst,set_field:1.2.3.4->ip_src,set_field:::1->ipv6_dst",
];

const MATCHES = ["", "ip", "tcp", "ipv6", "mpls", "dl_vlan=5", "ct_state=+trk+est,ip"];

/** Every encoding of the seed texts, in every version. */
function seedBytes(): { bytes: Uint8Array; version: number }[] {
  const out: { bytes: Uint8Array; version: number }[] = [];
  for (const text of SEED_TEXTS) {
    const { ofpacts } = parseActions(text);
    for (const match of MATCHES) {
      try {
        checkActions(ofpacts, parseMatch(match, newMatchParseContext()), {
          maxPorts: 0xff00,
          tableId: 255,
          nTables: 255,
        });
      } catch {
        continue;
      }
      break;
    }
    for (const v of VERSIONS) {
      out.push({ bytes: encodeInstructions(ofpacts, v), version: v });
      out.push({ bytes: encodeActions(ofpacts.filter((a) => !isInstruction(a)), v), version: v });
    }
  }
  return out;
}

function isInstruction(a: Ofpact): boolean {
  return ["meter", "clear_actions", "write_actions", "write_metadata", "goto_table"].includes(
    a.type,
  );
}

function mutate(b: Uint8Array, r: () => number): Uint8Array {
  const out = Array.from(b);
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const choice = r();
    const at = Math.floor(r() * Math.max(1, out.length));
    if (choice < 0.35 && out.length) {
      out[at] = Math.floor(r() * 256);
    } else if (choice < 0.55 && out.length) {
      out[at]! ^= 1 << Math.floor(r() * 8);
    } else if (choice < 0.7) {
      // A length field: OpenFlow keeps lengths at even offsets.
      const even = at & ~1;
      if (even + 1 < out.length) {
        const v = [0, 8, 16, 24, 0xffff, Math.floor(r() * 64)][Math.floor(r() * 6)]!;
        out[even] = v >> 8;
        out[even + 1] = v & 0xff;
      }
    } else if (choice < 0.8) {
      out.length = Math.floor(r() * out.length);
    } else if (choice < 0.9) {
      for (let i = 0; i < 8; i++) out.push(Math.floor(r() * 256));
    } else {
      out.splice(at, Math.floor(r() * 16));
    }
  }
  return Uint8Array.from(out);
}

function onlyOfpError(what: string, f: () => void, failures: string[]): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof OfpError)) failures.push(`${what}: ${e instanceof Error ? e.stack : e}`);
  }
}

Deno.test("mutated and random action bytes fail only with OfpError, and what decodes re-encodes", () => {
  const r = rng(0x5eed);
  const seeds = seedBytes();
  const failures: string[] = [];
  const deadline = performance.now() + 1200;
  let runs = 0;
  while (performance.now() < deadline && failures.length < 5) {
    const seed = seeds[Math.floor(r() * seeds.length)]!;
    const bytes = r() < 0.1
      ? Uint8Array.from({ length: Math.floor(r() * 12) * 8 }, () => Math.floor(r() * 256))
      : mutate(seed.bytes, r);
    const hex = Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
    for (const v of VERSIONS) {
      for (const decode of [decodeActions, decodeInstructions]) {
        let decoded: Ofpact[] | undefined;
        onlyOfpError(`decode v${v} ${hex}`, () => {
          decoded = decode(bytes, v);
        }, failures);
        if (!decoded) continue;
        const d = decoded;
        try {
          formatActions(d);
          const again = encodeInstructions(d, v);
          onlyOfpError(`re-decode v${v} ${hex}`, () => decodeInstructions(again, v), failures);
          onlyOfpError(`check v${v} ${hex}`, () => {
            checkActions(d, new Match(), { maxPorts: 0xff00, tableId: 0, nTables: 255 });
          }, failures);
        } catch (e) {
          failures.push(`format/encode v${v} ${hex}: ${e instanceof Error ? e.stack : e}`);
        }
      }
    }
    runs++;
  }
  assertEquals(failures, []);
  assertEquals(runs > 200, true, `only ${runs} inputs tried`);
});

const ALPHABET = '(),:=-> []./0123456789abcdefx_+*"';
const WORDS = [
  "output",
  "ct",
  "nat",
  "exec",
  "learn",
  "load",
  "move",
  "set_field",
  "clone",
  "reg0[]",
  "->",
  "0x",
  "resubmit",
  "write_actions",
  "goto_table",
  "meter",
  "bundle",
  "members:",
  "controller",
  "userdata=",
  "src=",
  "[::1]",
  "1.2.3.4",
  "table=",
  "zone=",
  "commit",
];

function mutateText(s: string, r: () => number): string {
  let out = s;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (out.length + 1));
    const choice = r();
    if (choice < 0.3) {
      out = out.slice(0, at) + ALPHABET[Math.floor(r() * ALPHABET.length)] + out.slice(at);
    } else if (choice < 0.55) {
      out = out.slice(0, at) + out.slice(at + 1 + Math.floor(r() * 4));
    } else if (choice < 0.8) {
      out = out.slice(0, at) + WORDS[Math.floor(r() * WORDS.length)] + out.slice(at);
    } else {
      const from = Math.floor(r() * out.length);
      out = out.slice(0, at) + out.slice(from, from + Math.floor(r() * 20)) + out.slice(at);
    }
  }
  return out;
}

Deno.test("mutated action strings fail only with ParseError, and what parses checks, encodes and decodes", () => {
  const r = rng(0xacdc);
  const failures: string[] = [];
  const matches = MATCHES.map((m) => parseMatch(m, newMatchParseContext()));
  const deadline = performance.now() + 800;
  let runs = 0;
  while (performance.now() < deadline && failures.length < 5) {
    const text = mutateText(SEED_TEXTS[Math.floor(r() * SEED_TEXTS.length)]!, r);
    runs++;
    let ofpacts: Ofpact[];
    try {
      ofpacts = parseActions(text).ofpacts;
    } catch (e) {
      if (!(e instanceof ParseError)) {
        failures.push(`parse ${text}: ${e instanceof Error ? e.stack : e}`);
      }
      continue;
    }
    try {
      formatActions(ofpacts);
      for (const m of matches) {
        onlyOfpError(`check ${text}`, () => {
          checkActions(ofpacts, m, { maxPorts: 0xff00, tableId: 255, nTables: 255 });
        }, failures);
      }
      for (const v of VERSIONS) {
        const bytes = encodeInstructions(ofpacts, v);
        onlyOfpError(`decode v${v} ${text}`, () => decodeInstructions(bytes, v), failures);
      }
    } catch (e) {
      failures.push(`format/encode ${text}: ${e instanceof Error ? e.stack : e}`);
    }
  }
  assertEquals(failures, []);
  assertEquals(runs > 200, true, `only ${runs} inputs tried`);
});
