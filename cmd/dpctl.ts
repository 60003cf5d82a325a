// ovs-dpctl: the datapath tool. Upstream's talks to the kernel datapath directly; ours has no
// kernel datapath, and the userspace datapath lives inside ovs-vswitchd, so each command runs
// there as the daemon's `dpctl/COMMAND` (the same code in core/datapath/dpctl.ts serves both),
// with the tool's options passed through as upstream's dpctl/* commands accept them. Output is
// the daemon's text; errors are printed with this program's name and exit status 1.

import { VLOG_OPTIONS } from "../core/net/daemon.ts";
import { parseCommandLine, UsageError } from "../core/net/options.ts";
import { resolveTarget, UnixctlClient } from "../core/net/unixctl_client.ts";
import { versionText } from "../core/net/version.ts";
import { vlogSetProgramName, vlogSetVerbosity } from "../core/net/vlog.ts";
import type { Json } from "../core/net/json_value.ts";

const OPTIONS = [
  { name: "statistics", short: "s", arg: "none" },
  { name: "clear", arg: "none" },
  { name: "may-create", arg: "none" },
  { name: "read-only", arg: "none" },
  { name: "more", short: "m", arg: "none" },
  { name: "names", arg: "none" },
  { name: "no-names", arg: "none" },
  { name: "timeout", short: "t", arg: "required" },
  { name: "help", short: "h", arg: "none" },
  { name: "option", short: "o", arg: "none" },
  { name: "version", short: "V", arg: "none" },
  ...VLOG_OPTIONS,
] as const;

/** Commands that change the datapath (refused with --read-only, as upstream). */
const READ_WRITE = new Set([
  "add-dp",
  "del-dp",
  "add-if",
  "set-if",
  "del-if",
  "add-flow",
  "add-flows",
  "mod-flow",
  "mod-flows",
  "del-flow",
  "del-flows",
]);

function usage(program: string): string {
  return `${program}: Open vSwitch datapath management utility
usage: ${program} [OPTIONS] COMMAND [ARG...]
(ovs-deno's datapath runs inside ovs-vswitchd: each command runs there.)
  dump-dps                 display names of all datapaths
  show                     show basic info on all datapaths
  show DP...               show basic info on each DP
  dump-flows [DP]          display flows in DP
  add-flow [DP] FLOW ACTIONS add FLOW with ACTIONS to DP
  add-flows [DP] FILE        add flows from FILE
  mod-flow [DP] FLOW ACTIONS change FLOW actions to ACTIONS in DP
  mod-flows [DP] FILE        change flows from FILE
  get-flow [DP] ufid:UFID    fetch flow corresponding to UFID
  del-flow [DP] FLOW         delete FLOW from DP
  del-flows [DP] [FILE]      delete all or specified flows from DP

Options for show and mod-flow:
  -s,  --statistics           print statistics for port or flow

Options for dump-flows:
  -m, --more                  increase verbosity of output
  --names                     use port names in output

Options for mod-flow:
  --may-create                create flow if it doesn't exist
  --read-only                 do not run read/write commands
  --clear                     reset existing stats to zero

Other options:
  -t, --timeout=SECS          give up after SECS seconds
  -h, --help                  display this help message
  -V, --version               display version information
`;
}

class Fatal extends Error {}

async function run(program: string, args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(args, OPTIONS);
  } catch (error) {
    if (error instanceof UsageError) throw new Fatal(error.message);
    throw error;
  }
  const passed: string[] = [];
  let readOnly = false;
  for (const option of parsed.options) {
    switch (option.name) {
      case "statistics":
        passed.push("-s");
        break;
      case "more":
        passed.push("-m");
        break;
      case "names":
      case "no-names":
      case "clear":
      case "may-create":
        passed.push(`--${option.name}`);
        break;
      case "read-only":
        readOnly = true;
        break;
      case "timeout": {
        const secs = Number(option.value);
        if (!Number.isInteger(secs) || secs < 0) {
          throw new Fatal(`value ${option.value} on -t or --timeout is invalid`);
        }
        if (secs > 0) setTimeout(() => Deno.kill(Deno.pid, "SIGALRM"), secs * 1000);
        break;
      }
      case "help":
        await Deno.stdout.write(new TextEncoder().encode(usage(program)));
        return 0;
      case "option":
        for (const o of OPTIONS) console.log(`--${o.name}${o.arg === "required" ? "=ARG" : ""}`);
        return 0;
      case "version":
        await Deno.stdout.write(new TextEncoder().encode(versionText(program)));
        return 0;
      case "verbose":
        vlogSetVerbosity(option.value);
        break;
    }
  }
  const [command, ...rest] = parsed.operands;
  if (command === undefined) {
    throw new Fatal("missing command name; use --help for help");
  }
  if (readOnly && READ_WRITE.has(command)) {
    throw new Fatal(`'${command}' command does not work in read only mode`);
  }
  let client: UnixctlClient;
  try {
    client = await UnixctlClient.connect(resolveTarget("ovs-vswitchd"));
  } catch (error) {
    throw new Fatal(
      `cannot reach ovs-vswitchd, where the datapath runs (${
        error instanceof Error ? error.message : String(error)
      })`,
    );
  }
  try {
    const outcome = await client.transact(`dpctl/${command}`, [...passed, ...rest]);
    const text = (value: Json) => (typeof value === "string" ? value : JSON.stringify(value));
    if ("error" in outcome) {
      let message = text(outcome.error);
      if (message.startsWith(`"dpctl/${command}" is not a valid command`)) {
        message = `unknown command '${command}'; use --help for help\n`;
      }
      message = message.replace(/^ovs-vswitchd: /gm, `${program}: `);
      await Deno.stderr.write(new TextEncoder().encode(
        message.startsWith(`${program}: `) ? message : `${program}: ${message}`,
      ));
      return 1;
    }
    await Deno.stdout.write(new TextEncoder().encode(text(outcome.result)));
    return 0;
  } finally {
    client.close();
  }
}

export async function main(args: string[], program = "ovs-dpctl"): Promise<number> {
  vlogSetProgramName(program);
  try {
    return await run(program, args);
  } catch (error) {
    if (error instanceof Fatal) {
      console.error(`${program}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
