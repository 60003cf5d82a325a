// Registers tests that depend on something the machine may lack (a real Open vSwitch program,
// root, network namespaces). When the need is unmet the test is still registered, as ignored,
// with the reason in its name, so every skip is visible in the report. Never hides a failure:
// when the need is met the test runs exactly as written.

/** A reason to skip, or undefined when the need is met. */
export type SkipReason = string | undefined;

const programCache = new Map<string, boolean>();

/** Whether `name` is an executable on PATH. */
export function hasProgram(name: string): boolean {
  const cached = programCache.get(name);
  if (cached !== undefined) return cached;
  let found = false;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) {
        found = true;
        break;
      }
    } catch {
      // Not in this directory.
    }
  }
  programCache.set(name, found);
  return found;
}

/** The reason to skip when any of `programs` is missing. */
export function needPrograms(...programs: string[]): SkipReason {
  const missing = programs.filter((p) => !hasProgram(p));
  return missing.length ? `needs ${missing.join(", ")} (not installed)` : undefined;
}

/** The reason to skip when not running as root. */
export function needRoot(): SkipReason {
  return Deno.uid() === 0 ? undefined : "needs root";
}

/** The first reason among several, or undefined when all needs are met. */
export function firstReason(...reasons: SkipReason[]): SkipReason {
  return reasons.find((r) => r !== undefined);
}

/** Registers `fn` as a test that runs only when `reason` is undefined. */
export function testIf(
  reason: SkipReason,
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
): void {
  if (reason === undefined) {
    Deno.test({ name, fn });
  } else {
    Deno.test({ name: `${name} [skipped: ${reason}]`, ignore: true, fn });
  }
}
