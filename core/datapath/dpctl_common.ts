// What every dpctl command shares: the parameters both faces pass (writers, options, the injected
// flow-key codec and filter parser), upstream's error line format ("PROGRAM: MESSAGE (strerror)"),
// errno codes, and how a command finds its datapath (argv[1] when it names one, else the only
// one). Used by dpctl.ts and dpctl_flows.ts only.

import { type Errno, errnoOf, STRERROR } from "./dp_errors.ts";
import {
  datapathNames,
  datapathTypes,
  type NetdevDatapath,
  openDatapath,
  parseDatapathName,
} from "./dpif.ts";
import type { FlowWords } from "./flow.ts";
import { formatOdpFlow, parseOdpFlow } from "./odp_key.ts";

/** The codec of core/datapath/odp_key.ts, what the daemon and ovs-dpctl use. */
export const ODP_FLOW_CODEC: FlowKeyCodec = {
  parse(text, portNames) {
    const parsed = parseOdpFlow(text, (name) => portNames.get(name));
    return {
      key: parsed.key,
      mask: parsed.mask,
      fits: parsed.fitness === "perfect" && parsed.maskFitness === "perfect",
    };
  },
  format(key, mask, options) {
    return formatOdpFlow(key, mask, options);
  },
};

/** The flow-key text codec dpctl needs (odp_flow_from_string / odp_flow_format). */
export interface FlowKeyCodec {
  /**
   * Parses key text (without a "ufid:" prefix); throws an Error whose message upstream prints.
   * `fits` is false when the attributes do not make a flow the datapath accepts.
   */
  parse(
    text: string,
    portNames: ReadonlyMap<string, number>,
  ): { key: FlowWords; mask: FlowWords; fits: boolean };
  format(
    key: FlowWords,
    mask: FlowWords,
    options: { verbose: boolean; portName?: (port: number) => string | undefined },
  ): string;
}

export interface DpctlParams {
  /** dpctl/* through ovs-appctl (true) or the ovs-dpctl tool (false). */
  isAppctl: boolean;
  /** Program name for error messages ("ovs-vswitchd", "ovs-dpctl"). */
  programName: string;
  verbosity: number;
  names: boolean;
  printStatistics: boolean;
  zeroStatistics: boolean;
  mayCreate: boolean;
  readOnly: boolean;
  /** Writes normal output. */
  output(text: string): void;
  /** Writes error output (the unixctl face sends it in the same reply). */
  error(text: string): void;
  codec: FlowKeyCodec;
  /** Parses dump-flows' filter=... (OpenFlow syntax) into datapath key/mask words. */
  parseFilter?: (
    text: string,
    portNames: ReadonlyMap<string, number>,
  ) => { key: FlowWords; mask: FlowWords };
  /** Reads add-flows/mod-flows/del-flows files ("-" is standard input). */
  readFile?: (path: string) => string;
  /** The clock used for "used:" (milliseconds, the datapath's clock by default). */
  now?: () => number;
  /** Usage text for "help". */
  usage?: () => void;
}

export type Handler = (args: string[], p: DpctlParams) => number;

export interface DpctlCommand {
  name: string;
  usage: string;
  minArgs: number;
  maxArgs: number;
  handler: Handler;
  readWrite: boolean;
}

const ERRNO_CODES: Partial<Record<Errno, number>> = {
  EINVAL: 22,
  EEXIST: 17,
  ENOENT: 2,
  ENODEV: 19,
  EBUSY: 16,
  EFBIG: 27,
  E2BIG: 7,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
};

export function code(errno: Errno): number {
  return ERRNO_CODES[errno] ?? 22;
}

export function dpctlError(p: DpctlParams, errno: Errno | undefined, message: string): void {
  p.error(`${p.programName}: ${message}${errno ? ` (${STRERROR[errno]})` : ""}\n`);
}

// ---------------------------------------------------------------------------------------------
// Opening datapaths.

export function getOneDp(p: DpctlParams): string | undefined {
  let count = 0;
  let name: string | undefined;
  for (const type of datapathTypes()) {
    const names = datapathNames(type);
    count += names.length;
    if (!name && count === 1) name = `${type}@${names[0]}`;
  }
  if (!count) dpctlError(p, undefined, "no datapaths exist");
  else if (count > 1) dpctlError(p, undefined, "multiple datapaths, specify one");
  return count === 1 ? name : undefined;
}

export function dpExists(text: string): boolean {
  const { type, name } = parseDatapathName(text);
  return datapathTypes().includes(type) && datapathNames(type).includes(name);
}

export function parsedDpifOpen(text: string, create: boolean): NetdevDatapath {
  const { type, name } = parseDatapathName(text);
  return openDatapath(type, name, create);
}

/** opt_dpif_open: argv[1] when it names a datapath, else the only datapath. */
export function optDpifOpen(
  args: string[],
  p: DpctlParams,
  maxArgs: number,
): NetdevDatapath | number {
  let dpName: string | undefined;
  if (args.length > 1 && dpExists(args[1]!)) dpName = args[1];
  else if (args.length !== maxArgs) dpName = getOneDp(p);
  if (!dpName) {
    dpctlError(p, "EINVAL", "datapath not found");
    return code("EINVAL");
  }
  try {
    return parsedDpifOpen(dpName, false);
  } catch (e) {
    dpctlError(p, errnoOf(e), "opening datapath");
    return code(errnoOf(e));
  }
}
