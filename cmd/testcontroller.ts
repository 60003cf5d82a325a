// ovs-testcontroller: a simple OpenFlow controller that makes every switch connected to it an L2
// learning switch or a hub, as upstream's utilities/ovs-testcontroller.c. This file owns the
// command line (options handled in order, with upstream's C conversions and fatal messages) and
// the main loop: opening the targets (active ones once, passive ones accepting up to 16
// switches), one LearningSwitch per connection, and exiting once nothing is left. The switching
// logic is core/ofproto/learning_switch.ts.

import {
  applyDaemonOption,
  Daemon,
  DAEMON_OPTIONS,
  daemonConfig,
  SSL_OPTIONS,
} from "../core/net/daemon.ts";
import { ovsLogdir, ovsRundir } from "../core/net/dirs.ts";
import {
  type OptionSpec,
  parseCommandLine,
  type ParsedOption,
  UsageError,
} from "../core/net/options.ts";
import { errorText } from "../core/net/stream.ts";
import { applySslOption } from "../core/net/ssl_options.ts";
import { versionText } from "../core/net/version.ts";
import { vlogModule } from "../core/net/vlog.ts";
import { ParseError } from "../core/ofproto/errors.ts";
import {
  defaultLswitchConfig,
  LearningSwitch,
  LSW_NO_QUEUE,
  type LswitchConfig,
} from "../core/ofproto/learning_switch.ts";
import { LSW_DEFAULT_WILDCARDS } from "../core/ofproto/learning_switch_match.ts";
import { OFPFC_ADD } from "../core/ofproto/msg/flow_mod.ts";
import { parseFlowModFile } from "../core/ofproto/msg/flow_text.ts";
import { formatVersionBitmapNames, versionsFromString } from "../core/ofproto/msg/protocol.ts";
import { isPvconnName, Pvconn } from "../core/ofproto/pvconn.ts";
import { Rconn } from "../core/ofproto/rconn.ts";
import { Vconn, type VconnOptions } from "../core/ofproto/vconn.ts";
import { VconnError } from "../core/ofproto/vconn_error.ts";
import { DEFAULT_VERSIONS } from "../core/ofproto/vconn_wire.ts";

const log = vlogModule("controller");

const MAX_SWITCHES = 16;
const MAX_LISTENERS = 16;
/** Seconds of silence before the controller probes a switch (upstream's rconn_create(60, ...)). */
const PROBE_INTERVAL = 60;

const COMMON_OPTIONS = [...DAEMON_OPTIONS, ...SSL_OPTIONS];

function common(name: string): OptionSpec {
  const spec = COMMON_OPTIONS.find((o) => o.name === name);
  if (!spec) throw new TypeError(`no common option --${name}`);
  return spec;
}

/** Upstream's long_options, in its order (getopt lists ambiguous prefixes in this order). */
const OPTIONS: readonly OptionSpec[] = [
  { name: "hub", short: "H", arg: "none" },
  { name: "noflow", short: "n", arg: "none" },
  { name: "normal", short: "N", arg: "none" },
  { name: "wildcards", short: "w", arg: "optional" },
  { name: "max-idle", arg: "required" },
  { name: "mute", arg: "none" },
  { name: "queue", short: "q", arg: "required" },
  { name: "port-queue", short: "Q", arg: "required" },
  { name: "with-flows", arg: "required" },
  common("unixctl"),
  { name: "help", short: "h", arg: "none" },
  ...[
    "detach",
    "no-self-confinement",
    "no-chdir",
    "pidfile",
    "overwrite-pidfile",
    "monitor",
    "user",
  ]
    .map(common),
  { name: "version", short: "V", arg: "none" },
  { name: "protocols", short: "O", arg: "required" },
  ...["verbose", "log-file", "syslog-method", "syslog-target"].map(common),
  ...["private-key", "certificate", "ca-cert", "ssl-protocols", "ssl-ciphers", "peer-ca-cert"]
    .map(common),
];

function usage(program: string): string {
  return `${program}: OpenFlow controller
usage: ${program} [OPTIONS] METHOD
where METHOD is any OpenFlow connection method.

Active OpenFlow connection methods:
  tcp:HOST[:PORT]         PORT (default: 6653) at remote HOST
  ssl:HOST[:PORT]         SSL PORT (default: 6653) at remote HOST
  unix:FILE               Unix domain socket named FILE
Passive OpenFlow connection methods:
  ptcp:[PORT][:IP]        listen to TCP PORT (default: 6653) on IP
  pssl:[PORT][:IP]        listen for SSL on PORT (default: 6653) on IP
  punix:FILE              listen on Unix domain socket FILE
PKI configuration (required to use SSL):
  -p, --private-key=FILE  file with private key
  -c, --certificate=FILE  file with certificate for private key
  -C, --ca-cert=FILE      file with peer CA certificate

Daemon options:
  --detach                run in background as daemon
  --monitor               creates a process to monitor this daemon
  --user=username[:group] changes the effective daemon user:group
  --no-chdir              do not chdir to '/'
  --pidfile[=FILE]        create pidfile (default: ${ovsRundir()}/${program}.pid)
  --overwrite-pidfile     with --pidfile, start even if already running

OpenFlow version options:
  -V, --version           display version information
  -O, --protocols         set allowed OpenFlow versions
                          (default: ${formatVersionBitmapNames(DEFAULT_VERSIONS)})

Logging options:
  -vSPEC, --verbose=SPEC   set logging levels
  -v, --verbose            set maximum verbosity level
  --log-file[=FILE]        enable logging to specified FILE
                           (default: ${ovsLogdir()}/${program}.log)
  --syslog-method=(libc|unix:file|udp:ip:port)
                           specify how to send messages to syslog daemon
  --syslog-target=HOST:PORT  also send syslog msgs to HOST:PORT via UDP

Other options:
  -H, --hub               act as hub instead of learning switch
  -n, --noflow            pass traffic, but don't add flows
  --max-idle=SECS         max idle time for new flows
  -N, --normal            use OFPP_NORMAL action
  -w, --wildcards[=MASK]  wildcard (specified) bits in flows
  -q, --queue=QUEUE-ID    OpenFlow queue ID to use for output
  -Q PORT-NAME:QUEUE-ID   use QUEUE-ID for frames from PORT-NAME
  --with-flows FILE       use the flows from FILE
  --unixctl=SOCKET        override default control socket name
  -h, --help              display this help message
  -V, --version           display version information
`;
}

/** C's strtol over the longest valid prefix, as a `long` (64 bits), saturating. */
function strtol(text: string, base: 10 | 16): bigint {
  let s = text.replace(/^[\t\n\v\f\r ]+/, "");
  let negative = false;
  if (s.startsWith("+") || s.startsWith("-")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (base === 16 && /^0[xX][0-9a-fA-F]/.test(s)) s = s.slice(2);
  const digits = (base === 16 ? /^[0-9a-fA-F]*/ : /^[0-9]*/).exec(s)?.[0] ?? "";
  if (digits === "") return 0n;
  const magnitude = BigInt(base === 16 ? `0x${digits}` : digits);
  const LONG_MAX = (1n << 63n) - 1n;
  if (negative) return magnitude > LONG_MAX + 1n ? -(LONG_MAX + 1n) : -magnitude;
  return magnitude > LONG_MAX ? LONG_MAX : magnitude;
}

/** C's atoi (glibc: strtol truncated to int). */
function atoi(text: string): number {
  return Number(BigInt.asIntN(32, strtol(text, 10)));
}

function asUint32(value: number): number {
  return value >>> 0;
}

class Fatal extends Error {}

interface Settings {
  learnMacs: boolean;
  setUpFlows: boolean;
  actionNormal: boolean;
  wildcards: number;
  maxIdle: number;
  defaultQueue: number;
  portQueues: Map<string, number>;
  flows: LswitchConfig["defaultFlows"];
  usableProtocols: number;
  allowedVersions: number;
}

function addPortQueue(settings: Settings, text: string): void {
  // strtok_r(s, ":") then the rest of the string: leading colons are skipped.
  const start = text.replace(/^:+/, "");
  const colon = start.indexOf(":");
  const name = colon < 0 ? start : start.slice(0, colon);
  const queue = colon < 0 ? "" : start.slice(colon + 1);
  if (name === "" || queue === "") {
    throw new Fatal(
      'argument to -Q or --port-queue should take the form "<port-name>:<queue-id>"',
    );
  }
  if (settings.portQueues.has(name)) {
    throw new Fatal("<port-name> arguments for -Q or --port-queue must be unique");
  }
  settings.portQueues.set(name, asUint32(atoi(queue)));
}

function readFlowFile(name: string): string {
  try {
    return name === "-"
      ? new TextDecoder().decode(readAllStdinSync())
      : Deno.readTextFileSync(name);
  } catch (error) {
    // strerror() text only, without Deno's "(os error N): readfile '...'".
    const text = errorText(error).replace(/: [a-z_]+ '.*'$/, "");
    throw new Fatal(`${name}: open failed (${text})`);
  }
}

function readAllStdinSync(): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (;;) {
    const n = Deno.stdin.readSync(buffer);
    if (n === null || n === 0) break;
    chunks.push(buffer.slice(0, n));
  }
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Applies one of this program's own options, in command-line order, as upstream's switch. */
function applyOption(settings: Settings, option: ParsedOption): void {
  const value = option.value ?? "";
  switch (option.name) {
    case "hub":
      settings.learnMacs = false;
      break;
    case "noflow":
      settings.setUpFlows = false;
      break;
    case "mute":
      // Accepted and ignored: upstream's lswitch_create never copies its config's `mute`, so
      // its --mute changes nothing, and scripts rely on what the real program does.
      break;
    case "normal":
      settings.actionNormal = true;
      break;
    case "wildcards":
      settings.wildcards = option.value === undefined
        ? LSW_DEFAULT_WILDCARDS
        : Number(BigInt.asUintN(32, strtol(value, 16)));
      break;
    case "max-idle":
      if (value === "permanent") {
        settings.maxIdle = 0;
      } else {
        settings.maxIdle = atoi(value);
        if (settings.maxIdle < 1 || settings.maxIdle > 65535) {
          throw new Fatal(
            "--max-idle argument must be between 1 and 65535 or the word 'permanent'",
          );
        }
      }
      break;
    case "queue":
      settings.defaultQueue = asUint32(atoi(value));
      break;
    case "port-queue":
      addPortQueue(settings, value);
      break;
    case "with-flows":
      try {
        // Each file replaces the flows of an earlier one, as upstream's parser does.
        const parsed = parseFlowModFile(readFlowFile(value), value, OFPFC_ADD);
        settings.flows = parsed.fms;
        settings.usableProtocols = parsed.usable;
      } catch (error) {
        if (error instanceof ParseError) throw new Fatal(error.message);
        throw error;
      }
      break;
    case "protocols":
      try {
        settings.allowedVersions = versionsFromString(value);
      } catch (error) {
        if (error instanceof ParseError) throw new Fatal(error.message);
        throw error;
      }
      break;
  }
}

/** The command line, or the exit code when it says to stop (help, version, a bad option). */
async function parseOptions(
  program: string,
  args: string[],
  config: ReturnType<typeof daemonConfig>,
): Promise<{ settings: Settings; targets: string[] } | number> {
  const settings: Settings = {
    learnMacs: true,
    setUpFlows: true,
    actionNormal: false,
    wildcards: 0,
    maxIdle: 60,
    defaultQueue: LSW_NO_QUEUE,
    portQueues: new Map(),
    flows: [],
    usableProtocols: 0,
    allowedVersions: 0,
  };
  const encoder = new TextEncoder();
  try {
    const parsed = parseCommandLine(args, OPTIONS);
    for (const option of parsed.options) {
      if (applyDaemonOption(option, config)) continue;
      if (applySslOption(option)) continue;
      if (option.name === "help") {
        await Deno.stdout.write(encoder.encode(usage(program)));
        return 0;
      }
      if (option.name === "version") {
        await Deno.stdout.write(encoder.encode(versionText(program, true)));
        return 0;
      }
      applyOption(settings, option);
    }
    return { settings, targets: parsed.operands };
  } catch (error) {
    if (error instanceof UsageError || error instanceof Fatal) {
      console.error(`${program}: ${error.message}`);
      return 1;
    }
    if (error instanceof SyntaxError) {
      // A bad -v spec.
      console.error(`${program}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/**
 * Queues rule out --normal and --hub (upstream warns while parsing; here after detaching, so a
 * detached run warns once, not in both processes).
 */
function resolveQueueConflicts(program: string, settings: Settings): void {
  if (settings.portQueues.size === 0 && settings.defaultQueue === LSW_NO_QUEUE) return;
  if (settings.actionNormal) {
    console.error(
      `${program}: queue IDs are incompatible with -N or --normal; not using OFPP_NORMAL`,
    );
    settings.actionNormal = false;
  }
  if (!settings.learnMacs) {
    console.error(`${program}: queue IDs are incompatible with -H or --hub; not acting as hub`);
    settings.learnMacs = true;
  }
}

function lswitchConfig(settings: Settings): LswitchConfig {
  return {
    ...defaultLswitchConfig(),
    mode: settings.actionNormal ? "normal" : settings.learnMacs ? "learn" : "flood",
    wildcards: settings.wildcards,
    maxIdle: settings.setUpFlows ? settings.maxIdle : -1,
    defaultFlows: settings.flows,
    usableProtocols: settings.usableProtocols,
    defaultQueue: settings.defaultQueue,
    portQueues: settings.portQueues,
  };
}

/** The switches and listeners of one run; `finished` resolves when both sets are empty. */
class Controller {
  readonly #config: LswitchConfig;
  readonly #vconnOptions: VconnOptions;
  readonly #switches = new Set<Rconn>();
  readonly #listeners = new Set<Pvconn>();
  #slotWaiters: Array<() => void> = [];
  #closing = false;
  #finish: () => void = () => {};
  readonly finished = new Promise<void>((resolve) => {
    this.#finish = resolve;
  });

  constructor(config: LswitchConfig, allowedVersions: number) {
    this.#config = config;
    // Echo requests go to the learning switch, which answers them unless muted.
    this.#vconnOptions = {
      allowedVersions: allowedVersions || DEFAULT_VERSIONS,
      answerEcho: false,
    };
  }

  /**
   * Opens every target: active ones connect now (and are not retried), passive ones listen.
   * Logs each failure as upstream does; returns false when nothing could be opened.
   */
  async open(targets: readonly string[]): Promise<boolean> {
    // Connect concurrently, report in command-line order.
    const attempts = targets.map((name) =>
      isPvconnName(name) ? Promise.resolve(undefined) : Vconn.open(name, this.#vconnOptions).then(
        (vconn) => vconn,
        (error: unknown) => error,
      )
    );
    let nActive = 0;
    for (let i = 0; i < targets.length; i++) {
      const name = targets[i]!;
      const outcome = await attempts[i];
      if (outcome instanceof Vconn) {
        if (nActive >= MAX_SWITCHES) throw new Fatal(`max ${nActive} switch connections`);
        nActive++;
        this.#addSwitch(outcome);
        continue;
      }
      if (
        outcome !== undefined && !(outcome instanceof VconnError && outcome.code === "EAFNOSUPPORT")
      ) {
        log.err(
          `${name}: connect: ${outcome instanceof Error ? outcome.message : String(outcome)}`,
        );
        continue;
      }
      try {
        const listener = Pvconn.open(name, this.#vconnOptions);
        if (this.#listeners.size >= MAX_LISTENERS) {
          listener.close();
          throw new Fatal(`max ${this.#listeners.size} passive connections`);
        }
        this.#listeners.add(listener);
        this.#acceptLoop(listener);
      } catch (error) {
        if (error instanceof Fatal) throw error;
        log.err(`${name}: connect: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return this.#switches.size > 0 || this.#listeners.size > 0;
  }

  #addSwitch(vconn: Vconn): void {
    const rconn = new Rconn({
      probeInterval: PROBE_INTERVAL,
      allowedVersions: this.#vconnOptions.allowedVersions ?? 0,
      answerEcho: false,
    });
    const sw = new LearningSwitch(rconn, this.#config);
    rconn.onConnect = () => sw.handleConnect();
    rconn.onMessage = (message) => sw.handleMessage(message);
    const check = () => this.#reap(rconn);
    rconn.onDisconnect = () => queueMicrotask(check);
    vconn.closed.then(() => setTimeout(check, 0));
    this.#switches.add(rconn);
    rconn.connectUnreliably(vconn);
  }

  /** Forgets a switch whose connection is gone for good (lswitch_is_alive). */
  #reap(rconn: Rconn): void {
    if (rconn.isAlive || !this.#switches.has(rconn)) return;
    this.#switches.delete(rconn);
    rconn.destroy();
    this.#slotWaiters.shift()?.();
    this.#maybeFinish();
  }

  async #acceptLoop(listener: Pvconn): Promise<void> {
    for (;;) {
      let vconn: Vconn;
      try {
        vconn = await listener.accept();
      } catch {
        if (this.#closing) return;
        listener.close();
        this.#listeners.delete(listener);
        this.#maybeFinish();
        return;
      }
      if (this.#closing) {
        vconn.close();
        return;
      }
      // Upstream stops accepting at 16 switches; a connection that arrives meanwhile waits.
      while (this.#switches.size >= MAX_SWITCHES) {
        await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
      }
      this.#addSwitch(vconn);
    }
  }

  #maybeFinish(): void {
    if (this.#switches.size === 0 && this.#listeners.size === 0) this.#finish();
  }

  close(): void {
    this.#closing = true;
    for (const listener of this.#listeners) listener.close();
    this.#listeners.clear();
    for (const rconn of this.#switches) rconn.destroy();
    this.#switches.clear();
  }
}

export async function main(args: string[], program = "ovs-testcontroller"): Promise<number> {
  const config = daemonConfig(program);
  const parsed = await parseOptions(program, args, config);
  if (typeof parsed === "number") return parsed;
  if (parsed.targets.length < 1) {
    console.error(`${program}: at least one vconn argument required; use --help for usage`);
    return 1;
  }

  const daemon = await Daemon.start(config, [program], args);
  if (typeof daemon === "number") return daemon;
  resolveQueueConflicts(program, parsed.settings);
  const controller = new Controller(
    lswitchConfig(parsed.settings),
    parsed.settings.allowedVersions,
  );
  let opened: boolean;
  try {
    opened = await controller.open(parsed.targets);
  } catch (error) {
    if (!(error instanceof Fatal)) throw error;
    console.error(`${program}: ${error.message}`);
    controller.close();
    await daemon.stop();
    return 1;
  }
  if (!opened) {
    console.error(`${program}: no active or passive switch connections`);
    await daemon.stop();
    return 1;
  }
  daemon.onShutdown(() => controller.close());
  daemon.ready();
  await Promise.race([daemon.exitRequested, controller.finished]);
  await daemon.stop();
  return 0;
}
