// The clone action, all four forms: `clone(ACTIONS)` runs its nested actions on a copy of the
// packet. On the wire it is NXAST_CLONE (an extension header followed by the nested actions).
//
// Promises: upstream's text, bytes and checks. Note upstream's quirk, kept on purpose: parsing
// clone restarts the set of usable protocols, forgetting restrictions of earlier actions.

import type { ActionKind, Family } from "./kind.ts";
import { nx, type RawDef, startRaw } from "./raw.ts";

const clone: ActionKind<"clone"> = {
  name: "clone",
  format: (a, fc) => `clone(${fc.formatList(a.actions)})`,
  encode(a, version, w, ec) {
    const start = startRaw(w, version, "NXAST_RAW_CLONE");
    w.zeros(6);
    ec.encodeList(a.actions, version, w);
    w.setU16(start + 2, w.length - start);
  },
  check(a, cc) {
    cc.checkNested(a.actions, true);
  },
};

const raws: RawDef[] = [
  {
    id: "NXAST_RAW_CLONE",
    spots: [nx(1, 6, 42)],
    body: { kind: "struct", size: 16, variable: true },
    decode: ({ bytes, decodeNested }) => ({
      type: "clone",
      actions: decodeNested(bytes.subarray(16), undefined),
    }),
  },
];

export const cloneFamily: Family = {
  kinds: { clone },
  keywords: {
    clone: (arg, ps) => ({ type: "clone", actions: ps.parseNested(arg, "clone", true) }),
  },
  raws,
};
