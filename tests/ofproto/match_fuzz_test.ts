// Bounded fuzzing (about two seconds, fixed seed): random bytes and mutated valid encodings into
// every match decoder, random and mutated text into every match parser. The only acceptable
// failures are OfpError and ParseError; anything decoded must also format and re-encode.

import { OfpError, ParseError } from "../../core/ofproto/errors.ts";
import { FIELDS } from "../../core/ofproto/fields.ts";
import { WireReader, WireWriter } from "../../core/ofproto/wire.ts";
import { Match } from "../../core/ofproto/match.ts";
import { encodeNxm, pullOxmMatch, pullRawMatch, putOxmMatch } from "../../core/ofproto/nx_match.ts";
import {
  nxMatchFromString,
  nxMatchToString,
  pullEntry,
  pullHeader,
} from "../../core/ofproto/nxm_header.ts";
import { decodeOfp10Match, encodeOfp10Match } from "../../core/ofproto/ofp10_match.ts";
import { encodeOfp11Match, pullOfp11Match } from "../../core/ofproto/ofp11_match.ts";
import { formatMatch, parseMatch } from "../../core/ofproto/match_text.ts";
import { normalizeMatch } from "../../core/ofproto/match_normalize.ts";
import { parseFieldValue } from "../../core/ofproto/field_text.ts";
import { parseSubfield } from "../../core/ofproto/subfield.ts";
import { EXTRA_CORPUS, fieldCorpus } from "./match_corpus.ts";
import { vlogSetLevels } from "../../core/net/vlog.ts";

vlogSetLevels(undefined, "console", "off");

function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function expected(e: unknown): boolean {
  return e instanceof OfpError || e instanceof ParseError;
}

function tryDecode(label: string, input: Uint8Array, fn: () => Match | undefined): void {
  let m: Match | undefined;
  try {
    m = fn();
  } catch (e) {
    if (!expected(e)) throw new Error(`${label} on ${hexOf(input)}: ${e}`);
    return;
  }
  if (!m) return;
  // Whatever decodes must format and encode again without surprises.
  formatMatch(m);
  encodeNxm(m, 0);
  encodeNxm(m, 6);
}

const hexOf = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

function validEncodings(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of [...fieldCorpus(), ...EXTRA_CORPUS]) {
    try {
      const m = parseMatch(s + " ");
      out.push(encodeNxm(m, 0), encodeNxm(m, 4));
      const w = new WireWriter();
      putOxmMatch(w, m, 6);
      out.push(w.finish());
      const w10 = new WireWriter();
      encodeOfp10Match(w10, m);
      out.push(w10.finish());
      const w11 = new WireWriter();
      encodeOfp11Match(w11, m);
      out.push(w11.finish());
    } catch {
      // Invalid text has no encoding.
    }
  }
  return out;
}

function decoders(bytes: Uint8Array): Array<[string, () => Match | undefined]> {
  return [
    ["nx strict", () => pullRawMatch(bytes)],
    ["nx loose", () => pullRawMatch(bytes, { strict: false }, { cookie: 0n, mask: 0n })],
    ["oxm", () => pullOxmMatch(new WireReader(bytes))],
    ["ofp11", () => pullOfp11Match(new WireReader(bytes)).match],
    ["ofp10", () => {
      const m = decodeOfp10Match(new WireReader(bytes));
      normalizeMatch(m);
      return m;
    }],
    ["entry", () => {
      pullEntry(new WireReader(bytes), { allowCookie: true });
      return undefined;
    }],
    ["action header", () => {
      pullHeader(new WireReader(bytes), { isAction: true });
      return undefined;
    }],
  ];
}

Deno.test("fuzz: random and mutated bytes make decoders fail only with OfpError", () => {
  const next = rng(0x5eed);
  const valid = validEncodings();
  for (let runs = 0; runs < 2500; runs++) {
    let input: Uint8Array;
    if (runs % 2 === 0) {
      input = Uint8Array.from({ length: next() % 96 }, () => next() & 0xff);
    } else {
      input = valid[next() % valid.length]!.slice();
      const flips = 1 + (next() % 4);
      for (let i = 0; i < flips && input.length; i++) input[next() % input.length] = next() & 0xff;
      if (next() % 4 === 0) input = input.subarray(0, next() % (input.length + 1));
    }
    for (const [label, fn] of decoders(input)) tryDecode(label, input, fn);
  }
});

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz_0123456789xX=,:/.[]()+-|* "';

Deno.test("fuzz: random and mutated text makes parsers fail only with ParseError", () => {
  const next = rng(0xfeed);
  const corpus = [...fieldCorpus(), ...EXTRA_CORPUS];
  for (let runs = 0; runs < 2500; runs++) {
    let s = corpus[next() % corpus.length]!;
    const edits = next() % 4;
    for (let i = 0; i < edits; i++) {
      const at = next() % (s.length + 1);
      const c = ALPHABET[next() % ALPHABET.length]!;
      s = next() % 2 ? s.slice(0, at) + c + s.slice(at) : s.slice(0, at) + s.slice(at + 1);
    }
    const f = FIELDS[next() % FIELDS.length]!;
    const value = s.includes("=") ? s.slice(s.indexOf("=") + 1) : s;
    for (
      const fn of [
        () => formatMatch(parseMatch(s)),
        () => parseFieldValue(f, value),
        () => parseSubfield(s),
        () => nxMatchToString(nxMatchFromString(s)),
      ]
    ) {
      try {
        fn();
      } catch (e) {
        if (!expected(e)) throw new Error(`${JSON.stringify(s)}: ${e}`);
      }
    }
  }
});
