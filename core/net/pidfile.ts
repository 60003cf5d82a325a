// Pidfiles as upstream daemons keep them: $OVS_RUNDIR/<program>.pid holding "PID\n", written
// atomically (temporary file, then rename) once the daemon serves, removed at exit. Owns
// creating, checking and removing them. Promises that a live daemon's pidfile is never
// overwritten (a second daemon refuses to start) and that a stale one (its process is gone) is
// replaced. Like upstream, the daemon holds a POSIX lock on its pidfile for its whole life, so
// real Open vSwitch tools recognise it as live; /proc is the fallback where locks cannot be read.

import { absFileName, ovsRundir } from "./dirs.ts";
import { lockFileForLife, lockHolder } from "./libc.ts";

/** Whether process `pid` exists. */
export function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** The pid in `path`, or the reason it cannot be read (as upstream's strerror text). */
export function readPidfile(path: string): number | string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "No such file or directory";
    return error instanceof Error ? error.message : String(error);
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return "Invalid argument";
  // Upstream daemons hold a POSIX lock on their pidfile; an unlocked one is stale.
  const holder = lockHolder(path);
  if (holder === 0) return "No such process";
  if (holder === undefined && !processExists(pid)) return "No such process";
  if (holder !== undefined && holder !== pid && pid !== Deno.pid) {
    return `locked by pid ${holder} but file says ${pid}`;
  }
  return pid;
}

/** The pidfile path for `--pidfile[=FILE]`: FILE against $OVS_RUNDIR, or <program>.pid there. */
export function pidfileName(option: string | undefined, program: string): string {
  return option === undefined || option === ""
    ? `${ovsRundir()}/${program}.pid`
    : absFileName(ovsRundir(), option);
}

/**
 * Checks that no live process owns `path`. Returns an error text like upstream's
 * ("already running as pid N, aborting"), or undefined when the way is clear.
 */
export function checkPidfile(path: string, overwrite: boolean): string | undefined {
  if (overwrite) return undefined;
  const pid = readPidfile(path);
  if (typeof pid === "number" && pid !== Deno.pid) {
    return `${path}: already running as pid ${pid}, aborting`;
  }
  return undefined;
}

/** Writes `pid` to `path` atomically. */
export function writePidfile(path: string, pid: number = Deno.pid): void {
  const temporary = `${path}.tmp`;
  Deno.writeTextFileSync(temporary, `${pid}\n`);
  // Lock before the rename so the file is never visible unlocked.
  lockFileForLife(temporary);
  Deno.renameSync(temporary, path);
}

/** Removes `path` if it still names this process. */
export function removePidfile(path: string, pid: number = Deno.pid): void {
  try {
    const text = Deno.readTextFileSync(path);
    if (Number.parseInt(text.trim(), 10) === pid) Deno.removeSync(path);
  } catch {
    // Already gone.
  }
}
