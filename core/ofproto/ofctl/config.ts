// ovs-ofctl's global options (upstream's parse_options): getopt rules, the long and short option
// table in upstream's order (which --option prints), each option's checks and error texts, and the protocol arithmetic that follows them
// (OpenFlow 1.0 only unless -O says otherwise; --bundle implying 1.4; -F narrowed to what the
// allowed versions speak). Produces an OfctlConfig; prints nothing (errors are OfctlFatal).

import { applyDaemonOption, type DaemonConfig, daemonConfig } from "../../net/daemon.ts";
import { type OptionSpec, parseCommandLine, UsageError } from "../../net/options.ts";
import { applySslOption } from "../../net/ssl_options.ts";
import { ParseError } from "../errors.ts";
import { type Field, fieldByName } from "../fields.ts";
import { type PacketInFormat, packetInFormatFromString } from "../msg/connection.ts";
import {
  formatVersionBitmapNames,
  protocolsFromString,
  protocolsFromVersionBitmap,
  protocolsToString,
  protocolsToVersionBitmap,
  versionsFromString,
} from "../msg/protocol.ts";
import { P_ANY, P_OF13_UP, P_OF14_OXM, type Protocols } from "../protocols.ts";
import { DEFAULT_VERSIONS } from "../vconn_wire.ts";

/** A fatal error: "ovs-ofctl: MESSAGE" on stderr and exit `code` (1 unless said otherwise). */
export class OfctlFatal extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
    this.name = "OfctlFatal";
  }
}

/** Exits with `code` without printing anything (diff-flows' 2, help's 0). */
export class OfctlExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = "OfctlExit";
  }
}

export interface SortCriterion {
  /** Undefined sorts by priority. */
  field: Field | undefined;
  order: "asc" | "desc";
}

export interface OfctlConfig {
  program: string;
  /** The command line as given (a detached monitor re-executes it). */
  args: readonly string[];
  /**
   * Version bitmap connections allow, as upstream keeps it: 0 stands for the default versions
   * (read it through allowedVersions()).
   */
  allowedVersions: number;
  /** -F, narrowed to the allowed versions. */
  allowedProtocols: Protocols;
  /** -P, or undefined to let monitor choose. */
  packetInFormat: PacketInFormat | undefined;
  /** -m counts. */
  verbosity: number;
  strict: boolean;
  readd: boolean;
  bundle: boolean;
  mayCreate: boolean;
  timestamp: boolean;
  readOnly: boolean;
  raw: boolean;
  pcap: boolean;
  color: boolean;
  /** --names (true), --no-names (false), neither (undefined: names only on a terminal). */
  useNames: boolean | undefined;
  showStats: boolean;
  sort: SortCriterion[];
  unixctlPath: string | undefined;
  /** Seconds before dying of SIGALRM; 0 for never. */
  timeout: number;
  daemon: DaemonConfig;
  /** Whether stdout is a terminal (decides names by default and --color=auto). */
  stdoutIsTty: boolean;
  help: boolean;
  printOptions: boolean;
  version: boolean;
}

const OFCTL_OPTIONS: readonly OptionSpec[] = [
  { name: "timeout", short: "t", arg: "required" },
  { name: "strict", arg: "none" },
  { name: "readd", arg: "none" },
  { name: "flow-format", short: "F", arg: "required" },
  { name: "packet-in-format", short: "P", arg: "required" },
  { name: "more", short: "m", arg: "none" },
  { name: "timestamp", arg: "none" },
  { name: "sort", arg: "optional" },
  { name: "rsort", arg: "optional" },
  { name: "names", arg: "none" },
  { name: "no-names", arg: "none" },
  { name: "stats", arg: "none" },
  { name: "no-stats", arg: "none" },
  { name: "unixctl", arg: "required" },
  { name: "help", short: "h", arg: "none" },
  { name: "option", short: "o", arg: "none" },
  { name: "bundle", arg: "none" },
  { name: "color", arg: "optional" },
  { name: "may-create", arg: "none" },
  { name: "pcap", arg: "none" },
  { name: "raw", arg: "none" },
  { name: "read-only", arg: "none" },
  { name: "detach", arg: "none" },
  { name: "no-self-confinement", arg: "none" },
  { name: "no-chdir", arg: "none" },
  { name: "pidfile", arg: "optional" },
  { name: "overwrite-pidfile", arg: "none" },
  { name: "monitor", arg: "none" },
  { name: "user", arg: "required" },
  { name: "version", short: "V", arg: "none" },
  { name: "protocols", short: "O", arg: "required" },
  { name: "verbose", short: "v", arg: "optional" },
  { name: "log-file", arg: "optional" },
  { name: "syslog-method", arg: "required" },
  { name: "syslog-target", arg: "required" },
  { name: "private-key", short: "p", arg: "required" },
  { name: "certificate", short: "c", arg: "required" },
  { name: "ca-cert", short: "C", arg: "required" },
  { name: "ssl-protocols", arg: "required" },
  { name: "ssl-ciphers", arg: "required" },
];

/** The options table as `--option` prints it (ovs_cmdl_print_options). */
export function optionList(): string {
  let out = "";
  for (const option of OFCTL_OPTIONS) {
    const arg = option.arg === "required" ? "ARG" : option.arg === "optional" ? "[ARG]" : "";
    out += `--${option.name}${arg ? "=" + arg : ""}\n`;
    if (option.short) out += `-${option.short} ${arg}\n`;
  }
  return out;
}

function parseUnsigned(text: string): number | undefined {
  return /^\d+$/.test(text) && Number(text) <= 0xffffffff ? Number(text) : undefined;
}

/**
 * Parses ovs-ofctl's command line into a configuration and the command words. Throws OfctlFatal
 * with upstream's texts.
 */
export function parseOfctlCommandLine(
  program: string,
  args: readonly string[],
  stdoutIsTty: boolean,
): { config: OfctlConfig; words: string[] } {
  let parsed;
  try {
    parsed = parseCommandLine(args, OFCTL_OPTIONS);
  } catch (error) {
    if (error instanceof UsageError) throw new OfctlFatal(error.message);
    throw error;
  }
  const config: OfctlConfig = {
    program,
    args,
    allowedVersions: 1 << 1,
    allowedProtocols: P_ANY,
    packetInFormat: undefined,
    verbosity: 0,
    strict: false,
    readd: false,
    bundle: false,
    mayCreate: false,
    timestamp: false,
    readOnly: false,
    raw: false,
    pcap: false,
    color: false,
    useNames: undefined,
    showStats: true,
    sort: [],
    unixctlPath: undefined,
    timeout: 0,
    daemon: daemonConfig(program),
    stdoutIsTty,
    help: false,
    printOptions: false,
    version: false,
  };
  let versions = 1 << 1;
  for (const option of parsed.options) {
    const value = option.value ?? "";
    switch (option.name) {
      case "timeout": {
        const secs = parseUnsigned(value);
        if (!secs) throw new OfctlFatal(`value ${value} on -t or --timeout is invalid`);
        config.timeout = secs;
        break;
      }
      case "flow-format":
        try {
          config.allowedProtocols = protocolsFromString(value);
        } catch (error) {
          if (error instanceof ParseError) throw new OfctlFatal(error.message);
          throw error;
        }
        if (!config.allowedProtocols) throw new OfctlFatal(`${value}: invalid flow format(s)`);
        break;
      case "packet-in-format": {
        const format = packetInFormatFromString(value);
        if (!format) throw new OfctlFatal(`unknown packet-in format \`${value}'`);
        config.packetInFormat = format;
        break;
      }
      case "more":
        config.verbosity++;
        break;
      case "help":
        config.help = true;
        return { config, words: [] };
      case "option":
        config.printOptions = true;
        return { config, words: [] };
      case "version":
        config.version = true;
        return { config, words: [] };
      case "bundle":
        config.bundle = true;
        break;
      case "strict":
        config.strict = true;
        break;
      case "read-only":
        config.readOnly = true;
        break;
      case "readd":
        config.readd = true;
        break;
      case "timestamp":
        config.timestamp = true;
        break;
      case "sort":
      case "rsort":
        config.sort.push(sortCriterion(option.name === "sort" ? "asc" : "desc", option.value));
        break;
      case "names":
        config.useNames = true;
        break;
      case "no-names":
        config.useNames = false;
        break;
      case "stats":
        config.showStats = true;
        break;
      case "no-stats":
        config.showStats = false;
        break;
      case "unixctl":
        config.unixctlPath = value;
        break;
      case "color":
        config.color = colorChoice(option.value, stdoutIsTty);
        break;
      case "may-create":
        config.mayCreate = true;
        break;
      case "pcap":
        config.pcap = true;
        break;
      case "raw":
        config.raw = true;
        break;
      case "protocols":
        try {
          versions = versionsFromString(value);
        } catch (error) {
          if (error instanceof ParseError) throw new OfctlFatal(error.message);
          throw error;
        }
        break;
      case "private-key":
      case "certificate":
      case "ca-cert":
      case "ssl-protocols":
      case "ssl-ciphers":
        applySslOption(option);
        break;
      default:
        try {
          applyDaemonOption(option, config.daemon);
        } catch (error) {
          throw new OfctlFatal(error instanceof Error ? error.message : String(error));
        }
    }
  }
  if (config.timeout === 0) {
    const env = Deno.env.get("OVS_CTL_TIMEOUT");
    if (env) config.timeout = parseUnsigned(env) ?? 0;
  }
  if (config.sort.length) config.sort.push({ field: undefined, order: "desc" });

  // Upstream keeps a raw bitmap in which 0 means "the default versions"; so do we.
  let raw = versions;
  if (config.bundle && !((raw || DEFAULT_VERSIONS) & protocolsToVersionBitmap(P_OF13_UP))) {
    raw |= protocolsToVersionBitmap(P_OF14_OXM);
    raw &= protocolsToVersionBitmap(P_OF13_UP);
  }
  const allowed = raw || DEFAULT_VERSIONS;
  const versionProtocols = protocolsFromVersionBitmap(allowed);
  if (!(config.allowedProtocols & versionProtocols)) {
    throw new OfctlFatal(
      `None of the enabled OpenFlow versions (${
        formatVersionBitmapNames(allowed)
      }) supports any of the enabled flow formats (${
        protocolsToString(config.allowedProtocols)
      }).  (Use -O to enable additional OpenFlow versions or -F to enable additional flow formats.)`,
    );
  }
  config.allowedProtocols &= versionProtocols;
  config.allowedVersions = raw & protocolsToVersionBitmap(config.allowedProtocols);
  return { config, words: parsed.operands };
}

function sortCriterion(order: "asc" | "desc", name: string | undefined): SortCriterion {
  if (name === undefined || name.toLowerCase() === "priority") return { field: undefined, order };
  const field = fieldByName(name);
  if (!field) throw new OfctlFatal(`${name}: unknown field name`);
  return { field, order };
}

function colorChoice(value: string | undefined, tty: boolean): boolean {
  if (value === undefined) return tty;
  const lower = value.toLowerCase();
  if (["always", "yes", "force"].includes(lower)) return true;
  if (["never", "no", "none"].includes(lower)) return false;
  if (["auto", "tty", "if-tty"].includes(lower)) return tty;
  throw new OfctlFatal(`incorrect value \`${value}' for --color`);
}

/** The versions connections allow (get_allowed_ofp_versions). */
export function allowedVersions(config: OfctlConfig): number {
  return config.allowedVersions || DEFAULT_VERSIONS;
}

/** Whether names are shown in output (upstream's should_show_names). */
export function showNames(config: OfctlConfig): boolean {
  return config.useNames === true || (config.useNames === undefined && config.stdoutIsTty);
}

/** Whether names are accepted in input (upstream's should_accept_names). */
export function acceptNames(config: OfctlConfig): boolean {
  return config.useNames !== false;
}
