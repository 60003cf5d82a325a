// Command-line parsing with GNU getopt_long's rules, which every upstream tool uses: long options
// by unique prefix, `--opt=value` or `--opt value` for required arguments, `--opt[=value]` only
// for optional ones, clustered short options (`-vconsole:off`, `-O OpenFlow13`), `--` to end
// options, and operands either permuted to the end (the default) or ending option parsing
// (`stopAtOperand`, as a leading `+` does in getopt). Errors carry getopt's own wording so tools
// print exactly what upstream prints. Pure: no I/O.

export type ArgumentKind = "none" | "required" | "optional";

export interface OptionSpec {
  /** Long name without dashes. */
  name: string;
  /** Single-character short name, if any. */
  short?: string;
  arg: ArgumentKind;
}

export interface ParsedOption {
  name: string;
  value: string | undefined;
}

export interface ParsedCommandLine {
  options: ParsedOption[];
  operands: string[];
}

/** A usage error; `message` is getopt's text without the program prefix. */
export class UsageError extends Error {}

function findLong(specs: readonly OptionSpec[], given: string): OptionSpec {
  const exact = specs.find((s) => s.name === given);
  if (exact) return exact;
  const candidates = specs.filter((s) => s.name.startsWith(given));
  if (candidates.length === 1) return candidates[0] as OptionSpec;
  if (candidates.length > 1) {
    const names = candidates.map((c) => `'--${c.name}'`).join(" ");
    throw new UsageError(`option '--${given}' is ambiguous; possibilities: ${names}`);
  }
  throw new UsageError(`unrecognized option '--${given}'`);
}

/** Parses `args` against `specs`. Throws UsageError with getopt's message. */
export function parseCommandLine(
  args: readonly string[],
  specs: readonly OptionSpec[],
  { stopAtOperand = false }: { stopAtOperand?: boolean } = {},
): ParsedCommandLine {
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  let i = 0;
  while (i < args.length) {
    const arg = args[i++] as string;
    if (arg === "--") {
      operands.push(...args.slice(i));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const given = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = findLong(specs, given);
      if (spec.arg === "none") {
        if (eq >= 0) throw new UsageError(`option '--${spec.name}' doesn't allow an argument`);
        options.push({ name: spec.name, value: undefined });
      } else if (eq >= 0) {
        options.push({ name: spec.name, value: arg.slice(eq + 1) });
      } else if (spec.arg === "required") {
        if (i >= args.length) throw new UsageError(`option '--${spec.name}' requires an argument`);
        options.push({ name: spec.name, value: args[i++] });
      } else {
        options.push({ name: spec.name, value: undefined });
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] as string;
        const spec = specs.find((s) => s.short === letter);
        if (!spec) throw new UsageError(`invalid option -- '${letter}'`);
        if (spec.arg === "none") {
          options.push({ name: spec.name, value: undefined });
          continue;
        }
        const rest = arg.slice(j + 1);
        if (rest !== "") {
          options.push({ name: spec.name, value: rest });
        } else if (spec.arg === "required") {
          if (i >= args.length) throw new UsageError(`option requires an argument -- '${letter}'`);
          options.push({ name: spec.name, value: args[i++] });
        } else {
          options.push({ name: spec.name, value: undefined });
        }
        break;
      }
      continue;
    }
    operands.push(arg);
    if (stopAtOperand) {
      operands.push(...args.slice(i));
      break;
    }
  }
  return { options, operands };
}

/** The last value given for `name`, `true` if given without a value, undefined if absent. */
export function optionValue(parsed: ParsedCommandLine, name: string): string | true | undefined {
  let found: string | true | undefined;
  for (const option of parsed.options) {
    if (option.name === name) found = option.value ?? true;
  }
  return found;
}
