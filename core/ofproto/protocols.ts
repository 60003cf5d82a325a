// OpenFlow "protocols" as upstream's ofputil_protocol: a bitmask of wire version plus flow
// format (OpenFlow 1.0 standard match or NXM, with or without the table-id extension; the
// standard match of 1.1; OXM of 1.2 to 1.5). Parsers narrow a set of usable protocols as they
// meet features that need one (an NXM-only field, an OpenFlow 1.1+ instruction), and tools pick
// one to speak. This file owns the bits and the named sets; naming, parsing and negotiation
// helpers build on them elsewhere.

export const P_OF10_STD = 1 << 0;
export const P_OF10_STD_TID = 1 << 1;
export const P_OF10_NXM = 1 << 2;
export const P_OF10_NXM_TID = 1 << 3;
export const P_OF11_STD = 1 << 4;
export const P_OF12_OXM = 1 << 5;
export const P_OF13_OXM = 1 << 6;
export const P_OF14_OXM = 1 << 7;
export const P_OF15_OXM = 1 << 8;

export const P_NONE = 0;
export const P_OF10_STD_ANY = P_OF10_STD | P_OF10_STD_TID;
export const P_OF10_NXM_ANY = P_OF10_NXM | P_OF10_NXM_TID;
export const P_OF10_ANY = P_OF10_STD_ANY | P_OF10_NXM_ANY;
export const P_ANY_OXM = P_OF12_OXM | P_OF13_OXM | P_OF14_OXM | P_OF15_OXM;
export const P_NXM_OF11_UP = P_OF10_NXM_ANY | P_OF11_STD | P_ANY_OXM;
export const P_NXM_OXM_ANY = P_OF10_NXM_ANY | P_ANY_OXM;
export const P_OF11_UP = P_OF11_STD | P_ANY_OXM;
export const P_OF15_UP = P_OF15_OXM;
export const P_OF14_UP = P_OF14_OXM | P_OF15_UP;
export const P_OF13_UP = P_OF13_OXM | P_OF14_UP;
export const P_OF12_UP = P_OF12_OXM | P_OF13_UP;
export const P_ANY = (1 << 9) - 1;
export const P_TID = P_OF10_STD_TID | P_OF10_NXM_TID | P_OF11_STD | P_ANY_OXM;

/** A set of protocols (bitwise OR of P_* bits). */
export type Protocols = number;
