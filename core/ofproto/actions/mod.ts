// The public face of the actions code: the model, text, wire codecs, checks and queries.
// Re-exports only.

export type {
  EncapProp,
  InstructionType,
  LearnSpec,
  Ofpact,
  OfpactOf,
  OfpactType,
  Subfield,
} from "./types.ts";
export * from "./types.ts";
export { type ActionParseContext, parseActions } from "./parse.ts";
export { type ActionFormatOptions, formatActions } from "./format.ts";
export {
  decodeActions,
  decodeInstructions,
  type DecodeOptions,
  encodeActions,
  encodeInstructions,
  isAllowedInActionSet,
} from "./codec.ts";
export { type ActionCheckOptions, checkActions } from "./check.ts";
export {
  actionBitmapFromOpenflow,
  actionBitmapToOpenflow,
  executeActionSet,
  flattened,
  instructionBitmapFromOpenflow,
  instructionBitmapToOpenflow,
  ofpactsEqual,
  ofpactsGetMeter,
  ofpactsOutputToGroup,
  ofpactsOutputToPort,
} from "./query.ts";
export { ofpactName } from "./registry.ts";
export { instructionOf } from "./verify.ts";
export { packetInReasonToString } from "./output.ts";
export type { TableMap } from "../table_names.ts";
export { type LearnedFlow, learnExecute, learnMask } from "./learn_execute.ts";
export { loadSegments, makeRegLoad, makeSetField } from "./set_field.ts";
