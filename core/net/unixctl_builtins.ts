// The unixctl commands every daemon serves besides list-commands and version: vlog/* (levels,
// patterns, log file reopen and close), coverage/show, coverage/read-counter and memory/show.
// Owns only the glue between those commands and vlog, coverage and the memory reporters that
// modules register. Registering twice is harmless.

import { coverageRead, coverageSample, coverageShow } from "./coverage.ts";
import { registerUnixctl, UnixctlError } from "./unixctl.ts";
import { setPeriodic } from "./timeval.ts";
import {
  vlogCloseLogFile,
  vlogListLevels,
  vlogListPatterns,
  vlogLogFileName,
  vlogReopenLogFile,
  vlogSetFromString,
} from "./vlog.ts";

/** A module's contribution to memory/show: counts that track its memory use ("rules": 12). */
export type MemoryReporter = () => Record<string, number>;

const memoryReporters: MemoryReporter[] = [];

/** Adds a reporter whose counts memory/show prints. */
export function registerMemoryReporter(reporter: MemoryReporter): void {
  memoryReporters.push(reporter);
}

/** memory/show's text: "name:count" pairs sorted by name, space separated, as upstream. */
export function memoryReport(): string {
  const usage = new Map<string, number>();
  for (const reporter of memoryReporters) {
    for (const [name, value] of Object.entries(reporter())) {
      usage.set(name, (usage.get(name) ?? 0) + value);
    }
  }
  return [...usage.keys()].sort().map((name) => `${name}:${usage.get(name)}`).join(" ");
}

let registered = false;
let stopSampling: (() => void) | undefined;

export function registerCommonUnixctl(): void {
  if (registered) return;
  registered = true;
  registerUnixctl("vlog/set", "{spec | PATTERN:destination:pattern}", 0, 1 << 30, (args) => {
    for (const spec of args) {
      const error = vlogSetFromString(spec);
      if (error !== undefined) throw new UnixctlError(error);
    }
    return "";
  });
  registerUnixctl("vlog/list", "", 0, 0, () => vlogListLevels());
  registerUnixctl("vlog/list-pattern", "", 0, 0, () => vlogListPatterns());
  registerUnixctl("vlog/reopen", "", 0, 0, () => {
    const error = vlogReopenLogFile();
    if (error !== undefined) throw new UnixctlError(error);
    return "";
  });
  registerUnixctl("vlog/close", "", 0, 0, () => {
    if (vlogLogFileName() !== undefined) vlogCloseLogFile();
    return "";
  });
  registerUnixctl("vlog/enable-rate-limit", "[module]...", 0, 1 << 30, () => "");
  registerUnixctl("vlog/disable-rate-limit", "[module]...", 0, 1 << 30, () => "");
  registerUnixctl("coverage/show", "", 0, 0, () => coverageShow());
  registerUnixctl("coverage/read-counter", "COUNTER", 1, 1, (args) => {
    const count = coverageRead(args[0] ?? "");
    if (count === undefined) throw new UnixctlError("No such counter");
    return `${count}\n`;
  });
  registerUnixctl("memory/show", "", 0, 0, () => memoryReport());
  stopSampling ??= setPeriodic(1000, coverageSample);
}

/** Stops the once-a-second coverage sampling (for clean shutdown of embedded daemons). */
export function stopCommonUnixctl(): void {
  stopSampling?.();
  stopSampling = undefined;
}
