// ovs-ofctl: administers OpenFlow switches, as upstream's utilities/ovs-ofctl.c. This file is the
// face only: it parses the options, wires stdout and stderr into the session, arms --timeout
// (death by SIGALRM, as upstream), runs the command from core/ofproto/ofctl and turns its
// failures into "ovs-ofctl: MESSAGE" and the exit code.

import { versionText } from "../core/net/version.ts";
import { vlogModule, vlogSetLevels, vlogSetProgramName } from "../core/net/vlog.ts";
import { ParseError } from "../core/ofproto/errors.ts";
import {
  OfctlExit,
  OfctlFatal,
  optionList,
  parseOfctlCommandLine,
} from "../core/ofproto/ofctl/config.ts";
import { runCommand, usage } from "../core/ofproto/ofctl/commands.ts";
import { type OfctlIo, OfctlSession } from "../core/ofproto/ofctl/session.ts";

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string | Uint8Array): void {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

async function readAllStdin(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const stdio: OfctlIo = {
  out: (text) => writeAll(Deno.stdout, text),
  outBytes: (data) => writeAll(Deno.stdout, data),
  err: (text) => writeAll(Deno.stderr, text),
  readInput: (name) => name === "-" ? readAllStdin() : Deno.readFile(name),
};

export async function main(args: string[], program = "ovs-ofctl"): Promise<number> {
  vlogSetProgramName(program);
  // Like upstream's tools, only warnings and worse reach the console unless -v says otherwise.
  vlogSetLevels(undefined, "console", "warn");
  vlogModule("ofctl");
  try {
    const { config, words } = parseOfctlCommandLine(program, args, Deno.stdout.isTerminal());
    if (config.help) {
      stdio.out(usage(program));
      return 0;
    }
    if (config.printOptions) {
      stdio.out(optionList());
      return 0;
    }
    if (config.version) {
      stdio.out(versionText(program, true));
      return 0;
    }
    if (config.timeout > 0) {
      const timer = setTimeout(() => Deno.kill(Deno.pid, "SIGALRM"), config.timeout * 1000);
      Deno.unrefTimer(timer);
    }
    const session = new OfctlSession(config, stdio);
    await runCommand(session, words);
    return 0;
  } catch (error) {
    if (error instanceof OfctlExit) return error.code;
    if (error instanceof OfctlFatal || error instanceof ParseError) {
      if (error.message) stdio.err(`${program}: ${error.message}\n`);
      return error instanceof OfctlFatal ? error.code : 1;
    }
    throw error;
  }
}
