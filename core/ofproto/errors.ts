// The two ways OpenFlow code fails, shared by every codec and parser in core/ofproto:
// - `OfpError`: a protocol error with upstream's symbolic name (`OFPBRC_BAD_LEN`,
//   `OFPBAC_BAD_OUT_PORT`, `NXBRC_NXM_BAD_PREREQ`, ...). Decoders throw it for malformed
//   messages; the switch turns it into an OFPT_ERROR whose type and code depend on the
//   connection's version (the table in ofp_errors.ts); tools print its name as upstream does.
// - `ParseError`: a flow, match or action text that does not parse; its message is upstream's
//   error text, which the tools print after "ovs-ofctl: ".
// Owns no table and no I/O.

/** An OpenFlow protocol error, named as upstream names it (without the OFPERR_ prefix). */
export class OfpError extends Error {
  constructor(readonly errorName: string, detail?: string) {
    super(detail ? `${errorName}: ${detail}` : errorName);
    this.name = "OfpError";
  }
}

/** A text (flow, match, actions, group, meter) that does not parse, with upstream's wording. */
export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParseError";
  }
}
