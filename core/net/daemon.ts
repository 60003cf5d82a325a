// Daemon plumbing shared by ovsdb-server, ovs-vswitchd and `ovs-ofctl monitor --detach`: the
// common options (--detach, --pidfile, --log-file, --unixctl, -v …), detaching, the pidfile, the
// control socket with its built-in commands, and clean shutdown on SIGTERM/SIGINT/SIGHUP or
// `exit`. Owns the process's lifecycle. Promises, as upstream's tests rely on: with --detach the
// parent returns only once the child serves and its pidfile names the child; at exit the pidfile
// and control socket are removed. Deno cannot fork, so detaching re-executes this program with
// the same arguments and waits for the child to report readiness on a pipe.

import { ovsLogdir, ovsRundir } from "./dirs.ts";
import { absFileName } from "./dirs.ts";
import { type OptionSpec, parseCommandLine, type ParsedOption, UsageError } from "./options.ts";
import { versionText } from "./version.ts";
import { checkPidfile, pidfileName, removePidfile, writePidfile } from "./pidfile.ts";
import { registerUnixctl, UnixctlError, UnixctlServer, unixctlSetProgramName } from "./unixctl.ts";
import { registerCommonUnixctl } from "./unixctl_builtins.ts";
import { redirectStdioToDevNull, setProcessName, startNewSession } from "./libc.ts";
import {
  vlogDefaultFileName,
  vlogModule,
  vlogSetConsoleEnabled,
  vlogSetLevels,
  vlogSetLogFile,
  vlogSetProgramName,
  vlogSetVerbosity,
} from "./vlog.ts";
import { errorText } from "./stream.ts";
import { applySslOption, isSslOption, SSL_OPTIONS } from "./ssl_options.ts";

const log = vlogModule("daemon");

/** Set in the environment of the re-executed child of `--detach`. */
const DETACHED_CHILD = "OVS_DENO_DETACHED_CHILD";
const READY_LINE = "ovs-deno-ready\n";

/** Options every daemon takes (daemon(8), vlog(8) and unixctl sections of upstream's man pages). */
export const DAEMON_OPTIONS: readonly OptionSpec[] = [
  { name: "detach", arg: "none" },
  { name: "no-chdir", arg: "none" },
  { name: "pidfile", arg: "optional" },
  { name: "overwrite-pidfile", arg: "none" },
  { name: "monitor", arg: "none" },
  { name: "user", arg: "required" },
  { name: "no-self-confinement", arg: "none" },
  { name: "unixctl", arg: "required" },
  ...[
    { name: "verbose", short: "v", arg: "optional" },
    { name: "log-file", arg: "optional" },
    { name: "syslog-method", arg: "required" },
    { name: "syslog-target", arg: "required" },
  ] as const,
];

/** Options every tool takes for logging (-v, --log-file …) without daemon behaviour. */
export const VLOG_OPTIONS: readonly OptionSpec[] = DAEMON_OPTIONS.filter((o) =>
  ["verbose", "log-file", "syslog-method", "syslog-target"].includes(o.name)
);

export interface DaemonConfig {
  program: string;
  detach: boolean;
  chdir: boolean;
  /** Pidfile path, or undefined for none. */
  pidfile: string | undefined;
  overwritePidfile: boolean;
  monitor: boolean;
  /** Log file path, or undefined for none. */
  logFile: string | undefined;
  /** Control socket path as given with --unixctl (undefined: the default name). */
  unixctl: string | undefined;
  /** Whether `exit` takes `--cleanup` (ovs-vswitchd) or no argument (ovsdb-server). */
  exitTakesCleanup: boolean;
  /**
   * Keep the caller's standard error in the detached daemon (upstream's
   * daemon_save_fd(STDERR_FILENO)): `ovs-ofctl monitor --detach 2>FILE` prints into FILE.
   */
  saveStderr?: boolean;
  /**
   * SSL options to apply once the log file is open, in the process that serves (so that their
   * errors are logged once, where upstream logs them), not in the parent of --detach.
   */
  sslOptions?: ParsedOption[];
}

/** A fresh configuration for `program` with upstream's defaults (no pidfile, no log file). */
export function daemonConfig(program: string): DaemonConfig {
  vlogSetProgramName(program);
  unixctlSetProgramName(program);
  return {
    program,
    detach: false,
    chdir: true,
    pidfile: undefined,
    overwritePidfile: false,
    monitor: false,
    logFile: undefined,
    unixctl: undefined,
    exitTakesCleanup: false,
  };
}

/**
 * Applies one parsed option if it is a common daemon or vlog option. Returns false for options
 * the caller must handle. Throws SyntaxError for a bad -v spec.
 */
export function applyDaemonOption(option: ParsedOption, config: DaemonConfig): boolean {
  switch (option.name) {
    case "detach":
      config.detach = true;
      return true;
    case "no-chdir":
      config.chdir = false;
      return true;
    case "pidfile":
      config.pidfile = pidfileName(option.value, config.program);
      return true;
    case "overwrite-pidfile":
      config.overwritePidfile = true;
      return true;
    case "monitor":
      config.monitor = true;
      return true;
    case "user":
    case "no-self-confinement":
    case "syslog-method":
    case "syslog-target":
      return true;
    case "unixctl":
      config.unixctl = option.value;
      return true;
    case "verbose":
      vlogSetVerbosity(option.value);
      return true;
    case "log-file":
      config.logFile = option.value === undefined || option.value === ""
        ? vlogDefaultFileName(ovsLogdir())
        : absFileName(ovsLogdir(), option.value);
      return true;
    default:
      return false;
  }
}

/** Whether this process is the re-executed child of `--detach`. */
function isDetachedChild(): boolean {
  return Deno.env.get(DETACHED_CHILD) === "1";
}

/** The command line that runs this same program again (source checkout or compiled binary). */
export function selfCommand(): { command: string; prefix: string[] } {
  const main = Deno.mainModule;
  if (main.startsWith("file:") && !Deno.execPath().endsWith(".ts")) {
    const path = new URL(main).pathname;
    if (path.endsWith(".ts") || path.endsWith(".js")) {
      const config = path.replace(/[^/]*$/, "deno.json");
      let configArgs: string[] = [];
      try {
        if (Deno.statSync(config).isFile) configArgs = ["--config", config];
      } catch {
        // No deno.json beside the entry point: run without one.
      }
      return { command: Deno.execPath(), prefix: ["run", "-A", "--quiet", ...configArgs, path] };
    }
  }
  return { command: Deno.execPath(), prefix: [] };
}

/**
 * The parent's side of --detach: runs the child, relays what it prints on stderr while it starts,
 * and returns the exit code to use: 0 once the child reports that it serves.
 */
async function detachParent(
  face: string[],
  args: readonly string[],
  saveStderr = false,
): Promise<number> {
  const self = selfCommand();
  const child = new Deno.Command(self.command, {
    args: [...self.prefix, ...face, ...args],
    env: { [DETACHED_CHILD]: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: saveStderr ? "inherit" : "piped",
  }).spawn();
  const stderrRelay = saveStderr ? Promise.resolve() : (async () => {
    const reader = child.stderr.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        await Deno.stderr.write(value);
      }
    } catch {
      // The child closed stderr after detaching.
    } finally {
      reader.releaseLock();
    }
  })();
  const reader = child.stdout.getReader();
  let seen = "";
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
    const ready = seen.indexOf(READY_LINE);
    // What the child prints before it serves is the caller's (ovs-ofctl monitor's watch: replies).
    const printed = ready < 0
      ? seen.slice(0, Math.max(0, seen.length - READY_LINE.length))
      : seen.slice(0, ready);
    if (printed) {
      await Deno.stdout.write(new TextEncoder().encode(printed));
      seen = seen.slice(printed.length);
    }
    if (ready >= 0) {
      reader.releaseLock();
      child.unref();
      return 0;
    }
  }
  const status = await child.status;
  await stderrRelay;
  return status.code === 0 ? 1 : status.code;
}

/** A running daemon: its control socket, pidfile and exit handling. */
export class Daemon {
  readonly config: DaemonConfig;
  readonly unixctl: UnixctlServer | undefined;
  /** Resolves when the daemon should stop; `cleanup` is true for `exit --cleanup`. */
  readonly exitRequested: Promise<{ cleanup: boolean }>;
  #requestExit: (value: { cleanup: boolean }) => void = () => {};
  #cleanups: Array<() => void | Promise<void>> = [];
  #pidfileWritten = false;
  #stopped = false;

  private constructor(config: DaemonConfig, unixctl: UnixctlServer | undefined) {
    this.config = config;
    this.unixctl = unixctl;
    this.exitRequested = new Promise((resolve) => {
      this.#requestExit = resolve;
    });
  }

  /**
   * Starts daemon life. In the parent of --detach this waits for the child and returns its exit
   * code (a number); the caller must return it at once. Otherwise it checks the pidfile, opens
   * the log file and the control socket, and returns the Daemon. `face` is the dispatch words
   * (e.g. ["ovsdb-server"]) and `args` the arguments, for re-execution.
   */
  static async start(
    config: DaemonConfig,
    face: string[],
    args: readonly string[],
  ): Promise<Daemon | number> {
    if (config.detach && !isDetachedChild()) {
      return await detachParent(face, args, config.saveStderr ?? false);
    }
    setProcessName(config.program);
    if (config.pidfile !== undefined) {
      const conflict = checkPidfile(config.pidfile, config.overwritePidfile);
      if (conflict !== undefined) {
        console.error(`${config.program}: ${conflict}`);
        return 1;
      }
    }
    if (config.logFile !== undefined) {
      try {
        vlogSetLogFile(config.logFile);
      } catch (error) {
        console.error(`${config.program}: ${config.logFile}: open failed (${errorText(error)})`);
        return 1;
      }
    }
    for (const option of config.sslOptions ?? []) applySslOption(option);
    let unixctl: UnixctlServer | undefined;
    try {
      unixctl = UnixctlServer.create(config.unixctl);
    } catch (error) {
      const path = config.unixctl ?? `${config.program}.${Deno.pid}.ctl`;
      console.error(
        `${config.program}: ${path}: could not initialize control socket (${errorText(error)})`,
      );
      return 1;
    }
    const daemon = new Daemon(config, unixctl);
    registerCommonUnixctl();
    const cleanupArgs = config.exitTakesCleanup ? 1 : 0;
    registerUnixctl(
      "exit",
      config.exitTakesCleanup ? "[--cleanup]" : "",
      0,
      cleanupArgs,
      (cmdArgs) => {
        const cleanup = cmdArgs[0] === "--cleanup";
        if (cmdArgs.length === 1 && !cleanup) {
          throw new UnixctlError(
            `unknown option ${cmdArgs[0]}`,
          );
        }
        // Reply first; stop on the next turn so the client gets its answer.
        setTimeout(() => daemon.#requestExit({ cleanup }), 0);
        return "";
      },
    );
    daemon.#installSignalHandlers();
    return daemon;
  }

  /** Runs `fn` at shutdown, before the pidfile and control socket go (last added runs first). */
  onShutdown(fn: () => void | Promise<void>): void {
    this.#cleanups.push(fn);
  }

  /** Declares the daemon serving: writes the pidfile and releases the --detach parent. */
  ready(): void {
    if (this.config.pidfile !== undefined) {
      writePidfile(this.config.pidfile);
      this.#pidfileWritten = true;
    }
    if (isDetachedChild()) {
      startNewSession();
      if (this.config.chdir) Deno.chdir("/");
      try {
        Deno.stdout.writeSync(new TextEncoder().encode(READY_LINE));
      } catch {
        // The parent died; keep serving.
      }
      vlogSetConsoleEnabled(false);
      vlogSetLevels(undefined, "console", "off");
      // Nothing more goes to the parent's pipes: they close when it exits.
      redirectStdioToDevNull(this.config.saveStderr ?? false);
    }
  }

  #installSignalHandlers(): void {
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      const handler = async () => {
        log.info(`received ${signal}, exiting`);
        await this.stop();
        for (const s of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
          try {
            Deno.removeSignalListener(s, handler);
          } catch {
            // Not registered.
          }
        }
        // Die by the signal, as upstream's fatal-signal handler does, so the exit status says so.
        Deno.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]);
      };
      Deno.addSignalListener(signal, handler);
    }
  }

  /** Requests shutdown as `exit` does. */
  requestExit(cleanup = false): void {
    this.#requestExit({ cleanup });
  }

  /** Runs shutdown hooks, closes the control socket and removes the pidfile. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const fn of this.#cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        log.warn(`error during shutdown: ${errorText(error)}`);
      }
    }
    this.unixctl?.close();
    if (this.#pidfileWritten && this.config.pidfile !== undefined) {
      removePidfile(this.config.pidfile);
    }
  }
}

/** The "daemon options" section of a daemon's --help, with today's default paths. */
export function daemonUsage(program: string): string {
  return `Daemon options:
  --detach                run in the background, returning once serving
  --monitor               accepted for compatibility (restarting is systemd's job)
  --user=USER[:GROUP]     accepted for compatibility
  --no-chdir              stay in the current directory when detached
  --pidfile[=FILE]        write a pidfile (default: ${ovsRundir()}/${program}.pid)
  --overwrite-pidfile     with --pidfile, start even if another daemon holds it
`;
}

/** The "logging options" section of --help. */
export function vlogUsage(program: string): string {
  return `Logging options:
  -vSPEC, --verbose=SPEC  set log levels (as vlog/set)
  -v, --verbose           log everything everywhere
  --log-file[=FILE]       log to FILE (default: ${ovsLogdir()}/${program}.log)
  --syslog-method=METHOD  accepted for compatibility
  --syslog-target=HOST:PORT  accepted for compatibility
`;
}

/** SSL options the daemons accept (ssl_options.ts owns them). */
export { SSL_OPTIONS };

const HELP_VERSION: readonly OptionSpec[] = [
  { name: "help", short: "h", arg: "none" },
  { name: "version", short: "V", arg: "none" },
];

/**
 * A daemon face's command line: its own `options` plus --help, --version, the SSL options and
 * every common daemon option. Prints getopt-style errors, help and version itself; returns the
 * exit code then, else the operands and the options left for the face to handle. SSL options go
 * to `config.sslOptions`, which Daemon.start applies in order, unless `keepSslOptions`
 * (ovsdb-server, which resolves `db:` values) asks for them among the options returned.
 */
export async function parseDaemonCommandLine(
  program: string,
  args: readonly string[],
  options: readonly OptionSpec[],
  config: DaemonConfig,
  usage: () => string,
  { keepSslOptions = false }: { keepSslOptions?: boolean } = {},
): Promise<{ operands: string[]; options: ParsedOption[] } | number> {
  let parsed;
  try {
    parsed = parseCommandLine(args, [
      ...options,
      ...SSL_OPTIONS,
      ...HELP_VERSION,
      ...DAEMON_OPTIONS,
    ]);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${program}: ${error.message}`);
    return 1;
  }
  const rest: ParsedOption[] = [];
  const ssl: ParsedOption[] = [];
  const encoder = new TextEncoder();
  for (const option of parsed.options) {
    try {
      if (applyDaemonOption(option, config)) continue;
    } catch (error) {
      console.error(`${program}: ${error instanceof Error ? error.message : error}`);
      return 1;
    }
    if (option.name === "help") {
      await Deno.stdout.write(encoder.encode(usage()));
      return 0;
    }
    if (option.name === "version") {
      await Deno.stdout.write(encoder.encode(versionText(program)));
      return 0;
    }
    if (!keepSslOptions && isSslOption(option.name)) {
      ssl.push(option);
      continue;
    }
    rest.push(option);
  }
  config.sslOptions = ssl;
  return { operands: parsed.operands, options: rest };
}
