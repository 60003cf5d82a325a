// Logging as Open vSwitch does it ("vlog"): named modules, each with a level per destination
// (console, syslog, file), upstream's patterns and line format, and the spec language shared by
// `-v`/`--verbose` and `vlog/set`. Owns the process-wide module registry and the log file.
// Promises: a line is formatted only when some destination wants it; the file is appended to and
// can be reopened (logrotate). Must not import anything above core/net.
//
// Syslog is accepted as a destination (levels and pattern are kept and listed, as scripts set
// them), but lines are delivered only to the console and the log file.

export const LEVELS = ["off", "emer", "err", "warn", "info", "dbg"] as const;
export type VlogLevel = typeof LEVELS[number];
export const DESTINATIONS = ["syslog", "console", "file"] as const;
export type VlogDestination = typeof DESTINATIONS[number];

const LEVEL_NAMES = ["OFF", "EMER", "ERR", "WARN", "INFO", "DBG"] as const;
const OFF = 0;
const EMER = 1;
const ERR = 2;
const WARN = 3;
const INFO = 4;
const DBG = 5;

export interface VlogModule {
  readonly name: string;
  emer(message: string): void;
  err(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  dbg(message: string): void;
  /** Whether a message at `level` would reach any destination. */
  isEnabled(level: VlogLevel): boolean;
  /** Logs at `level` unless `limit` says this module has spoken too often lately. */
  rateLimited(limit: RateLimit, level: VlogLevel, message: string): void;
}

interface ModuleState extends VlogModule {
  /** Minimum level per destination, indexed like DESTINATIONS. */
  levels: [number, number, number];
  minLevel: number;
}

const DEFAULT_PATTERNS: Record<VlogDestination, string> = {
  syslog: "ovs|%05N|%c%T|%p|%m",
  console: "%D{%Y-%m-%dT%H:%M:%SZ}|%05N|%c%T|%p|%m",
  file: "%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|%p|%m",
};

/** The prefix upstream's libc syslog method puts before each syslog line. */
const SYSLOG_PREFIX = "<%B> %D{%h %e %T} %E %A:";

const modules = new Map<string, ModuleState>();
const patterns: Record<VlogDestination, string> = { ...DEFAULT_PATTERNS };
let messageNumber = 0;
let programName = "ovs";
let logFileName: string | undefined;
let logFile: Deno.FsFile | undefined;
let consoleEnabled = true;
const encoder = new TextEncoder();

/** Names the program for `%A` and for the default log file name. */
export function vlogSetProgramName(name: string): void {
  programName = name;
}

function levelIndex(level: VlogLevel): number {
  return LEVELS.indexOf(level);
}

function destinationIndex(destination: VlogDestination): number {
  return DESTINATIONS.indexOf(destination);
}

function recomputeMinLevel(module: ModuleState): void {
  const consoleLevel = module.levels[1];
  const fileLevel = logFile ? module.levels[2] : OFF;
  module.minLevel = Math.max(consoleLevel, fileLevel, module.levels[0]);
}

/** Returns the module named `name`, registering it (at INFO everywhere) on first use. */
export function vlogModule(name: string): VlogModule {
  const existing = modules.get(name);
  if (existing) return existing;
  const emit = (level: number, message: string) => {
    if (module.minLevel >= level) deliver(module, level, message);
  };
  const module: ModuleState = {
    name,
    levels: [INFO, INFO, INFO],
    minLevel: INFO,
    emer: (m) => emit(EMER, m),
    err: (m) => emit(ERR, m),
    warn: (m) => emit(WARN, m),
    info: (m) => emit(INFO, m),
    dbg: (m) => emit(DBG, m),
    isEnabled: (level) => module.minLevel >= levelIndex(level),
    rateLimited(limit, level, message) {
      const index = levelIndex(level);
      if (module.minLevel < index) return;
      const dropped = limit.take();
      if (dropped === undefined) return;
      deliver(
        module,
        index,
        dropped > 0 ? `${message} (${dropped} messages like this dropped)` : message,
      );
    },
  };
  modules.set(name, module);
  recomputeMinLevel(module);
  return module;
}

/**
 * A token bucket of `perMinute` messages a minute with bursts of `burst`, as upstream's
 * VLOG_RATE_LIMIT_INIT. `take()` returns undefined when the message must be dropped, else the
 * number dropped since the last one that passed.
 */
export class RateLimit {
  #tokens: number;
  #last = Date.now();
  #dropped = 0;
  constructor(readonly perMinute: number, readonly burst: number) {
    this.#tokens = burst;
  }
  take(): number | undefined {
    const now = Date.now();
    this.#tokens = Math.min(
      this.burst,
      this.#tokens + ((now - this.#last) * this.perMinute) / 60000,
    );
    this.#last = now;
    if (this.#tokens < 1) {
      this.#dropped++;
      return undefined;
    }
    this.#tokens--;
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** strftime for the conversions log patterns use, plus `###` for milliseconds as upstream. */
export function formatTime(format: string, date: Date, utc: boolean): string {
  const year = utc ? date.getUTCFullYear() : date.getFullYear();
  const month = utc ? date.getUTCMonth() : date.getMonth();
  const day = utc ? date.getUTCDate() : date.getDate();
  const hours = utc ? date.getUTCHours() : date.getHours();
  const minutes = utc ? date.getUTCMinutes() : date.getMinutes();
  const seconds = utc ? date.getUTCSeconds() : date.getSeconds();
  const weekday = utc ? date.getUTCDay() : date.getDay();
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== "%" || i + 1 >= format.length) {
      out += c;
      continue;
    }
    const conversion = format[++i];
    switch (conversion) {
      case "Y":
        out += String(year);
        break;
      case "m":
        out += pad2(month + 1);
        break;
      case "d":
        out += pad2(day);
        break;
      case "H":
        out += pad2(hours);
        break;
      case "M":
        out += pad2(minutes);
        break;
      case "S":
        out += pad2(seconds);
        break;
      case "b":
        out += MONTHS[month];
        break;
      case "a":
        out += DAYS[weekday];
        break;
      case "s":
        out += String(Math.floor(date.getTime() / 1000));
        break;
      case "%":
        out += "%";
        break;
      default:
        out += `%${conversion}`;
    }
  }
  return out.replace("###", String(date.getTime() % 1000).padStart(3, "0"));
}

function takeBraces(pattern: string, at: number, fallback: string): [string, number] {
  if (pattern[at] !== "{") return [fallback, at];
  const close = pattern.indexOf("}", at + 1);
  const end = close < 0 ? pattern.length : close;
  return [pattern.slice(at + 1, end), end + 1];
}

/** Renders one log line from `pattern` (upstream's %-conversions with width, `-` and `0`). */
export function formatLogMessage(
  pattern: string,
  moduleName: string,
  level: number,
  message: string,
  number: number,
  now: Date,
): string {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i++];
    if (c !== "%") {
      out += c;
      continue;
    }
    let leftJustify = false;
    let padChar = " ";
    if (pattern[i] === "-") {
      leftJustify = true;
      i++;
    }
    if (pattern[i] === "0") {
      padChar = "0";
      i++;
    }
    let width = 0;
    while (i < pattern.length && /[0-9]/.test(pattern[i] ?? "")) {
      width = width * 10 + Number(pattern[i]);
      i++;
    }
    const conversion = pattern[i++];
    let piece = "";
    switch (conversion) {
      case "A":
        piece = programName;
        break;
      case "c":
        [, i] = takeBraces(pattern, i, "");
        piece = moduleName;
        break;
      case "d":
      case "D": {
        let format: string;
        [format, i] = takeBraces(pattern, i, "%Y-%m-%d %H:%M:%S.###");
        piece = formatTime(format, now, conversion === "D");
        break;
      }
      case "E":
        piece = Deno.hostname();
        break;
      case "m":
        piece = message.replace(/\n+$/, "");
        break;
      case "N":
        piece = String(number);
        break;
      case "n":
        piece = "\n";
        break;
      case "p":
        piece = LEVEL_NAMES[level] ?? "";
        break;
      case "P":
        piece = String(Deno.pid);
        break;
      case "r":
        piece = String(Math.round(performance.now()));
        break;
      case "t":
        piece = "main";
        break;
      case "T":
        piece = "";
        break;
      case "B":
        piece = String(8 * 16 + ([1, 1, 3, 4, 5, 7][level] ?? 5));
        break;
      default:
        piece = conversion ?? "";
    }
    if (piece.length < width) {
      piece = leftJustify ? piece.padEnd(width, padChar) : piece.padStart(width, padChar);
    }
    out += piece;
  }
  return out;
}

function deliver(module: ModuleState, level: number, message: string): void {
  const number = ++messageNumber;
  const now = new Date();
  if (consoleEnabled && module.levels[1] >= level) {
    const line = formatLogMessage(patterns.console, module.name, level, message, number, now);
    try {
      Deno.stderr.writeSync(encoder.encode(line + "\n"));
    } catch {
      // A closed stderr (detached daemon) must never take the daemon down.
    }
  }
  if (logFile && module.levels[2] >= level) {
    const line = formatLogMessage(patterns.file, module.name, level, message, number, now);
    try {
      logFile.writeSync(encoder.encode(line + "\n"));
    } catch {
      // A full disk loses log lines, never the daemon.
    }
  }
}

/** Sets `level` for `module` (all when undefined) at `destination` (all when undefined). */
export function vlogSetLevels(
  module: string | undefined,
  destination: VlogDestination | undefined,
  level: VlogLevel,
): void {
  const targets = module === undefined ? [...modules.values()] : [modules.get(module)];
  const value = levelIndex(level);
  for (const target of targets) {
    if (!target) continue;
    if (destination === undefined) target.levels = [value, value, value];
    else target.levels[destinationIndex(destination)] = value;
    recomputeMinLevel(target);
  }
}

function isLevel(word: string): word is VlogLevel {
  return (LEVELS as readonly string[]).includes(word);
}

function isDestination(word: string): word is VlogDestination {
  return (DESTINATIONS as readonly string[]).includes(word);
}

/**
 * Applies one spec in upstream's language (`module:destination:level` in any order, any part
 * optional, `ANY` as a wildcard; or `PATTERN:destination:pattern`). Returns an error message, or
 * undefined on success.
 */
export function vlogSetFromString(spec: string): string | undefined {
  const words = spec.split(/[ ,:\t]+/).filter((w) => w !== "");
  const first = words[0]?.toLowerCase();
  if (first === "pattern") {
    const destination = words[1]?.toLowerCase();
    if (destination === undefined) return "missing destination";
    const rest = spec.replace(/^\s*pattern[ ,:\t]+[^ ,:\t]+[ ,:\t]?/i, "");
    if (destination === "any") {
      for (const d of DESTINATIONS) patterns[d] = rest;
      return undefined;
    }
    if (!isDestination(destination)) return `unknown destination "${words[1]}"`;
    patterns[destination] = rest;
    return undefined;
  }
  if (first === "facility") return undefined;
  let module: string | undefined;
  let destination: VlogDestination | undefined;
  let level: VlogLevel | undefined;
  for (const original of words) {
    const word = original.toLowerCase();
    if (word === "any") continue;
    if (isDestination(word)) {
      if (destination !== undefined) return "cannot specify multiple destinations";
      destination = word;
    } else if (isLevel(word)) {
      if (level !== undefined) return "cannot specify multiple levels";
      level = word;
    } else if (modules.has(original)) {
      if (module !== undefined) return "cannot specify multiple modules";
      module = original;
    } else {
      return `no destination, level, or module "${original}"`;
    }
  }
  vlogSetLevels(module, destination, level ?? "dbg");
  return undefined;
}

/** `-v`/`--verbose`: no argument means debug everywhere; otherwise a spec. Throws on error. */
export function vlogSetVerbosity(spec: string | undefined): void {
  if (spec === undefined || spec === "") {
    vlogSetLevels(undefined, undefined, "dbg");
    return;
  }
  const error = vlogSetFromString(spec);
  if (error !== undefined) throw new SyntaxError(`processing "${spec}": ${error}`);
}

/** The text of `vlog/list`. */
export function vlogListLevels(): string {
  let out = "                 console    syslog    file\n";
  out += "                 -------    ------    ------\n";
  const lines = [...modules.values()].map((m) =>
    `${m.name.padEnd(16)}  ${(LEVEL_NAMES[m.levels[1]] ?? "").padStart(4)}       ${
      (LEVEL_NAMES[m.levels[0]] ?? "").padStart(4)
    }       ${(LEVEL_NAMES[m.levels[2]] ?? "").padStart(4)}\n`
  );
  lines.sort();
  return out + lines.join("");
}

/** The text of `vlog/list-pattern`. */
export function vlogListPatterns(): string {
  let out = "         prefix                            format\n";
  out += "         ------                            ------\n";
  for (const d of DESTINATIONS) {
    const prefix = d === "syslog" ? SYSLOG_PREFIX : "none";
    out += `${d.toUpperCase().padEnd(7)}  ${prefix.padEnd(32)}  ${patterns[d]}\n`;
  }
  return out;
}

/** The default log file name: $OVS_LOGDIR/<program>.log. */
export function vlogDefaultFileName(logdir: string): string {
  return `${logdir}/${programName}.log`;
}

/** Starts appending to `fileName`; throws (with the OS reason) when it cannot be opened. */
export function vlogSetLogFile(fileName: string): void {
  const file = Deno.openSync(fileName, { append: true, create: true, mode: 0o640 });
  logFile?.close();
  logFile = file;
  const reopened = logFileName === fileName;
  logFileName = fileName;
  for (const module of modules.values()) recomputeMinLevel(module);
  if (!reopened) vlogModule("vlog").info(`opened log file ${fileName}`);
}

/** Reopens the log file (after rotation). Returns an error text, or undefined. */
export function vlogReopenLogFile(): string | undefined {
  if (logFileName === undefined) return "Logging to file not configured";
  try {
    vlogSetLogFile(logFileName);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Closes the log file; logging to it stops until it is reopened. */
export function vlogCloseLogFile(): void {
  logFile?.close();
  logFile = undefined;
  for (const module of modules.values()) recomputeMinLevel(module);
}

/** The current log file name, if any. */
export function vlogLogFileName(): string | undefined {
  return logFileName;
}

/** Stops or resumes writing to stderr (a detached daemon has none). */
export function vlogSetConsoleEnabled(enabled: boolean): void {
  consoleEnabled = enabled;
}

/** Names of all registered modules, sorted. */
export function vlogModuleNames(): string[] {
  return [...modules.keys()].sort();
}
