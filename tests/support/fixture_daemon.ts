// A minimal daemon for testing the shared daemon plumbing (options, --detach, pidfile, unixctl,
// vlog) before and apart from the real daemons. It serves one extra command, `fixture/log TEXT`,
// which logs TEXT at INFO in module "fixture" and replies "logged". Test-only: never installed.

import { applyDaemonOption, Daemon, DAEMON_OPTIONS, daemonConfig } from "../../core/net/daemon.ts";
import { parseCommandLine } from "../../core/net/options.ts";
import { registerUnixctl } from "../../core/net/unixctl.ts";
import { vlogModule } from "../../core/net/vlog.ts";

const log = vlogModule("fixture");

async function main(args: string[]): Promise<number> {
  const config = daemonConfig("fixture-daemon");
  const parsed = parseCommandLine(args, DAEMON_OPTIONS);
  for (const option of parsed.options) applyDaemonOption(option, config);
  const daemon = await Daemon.start(config, [], args);
  if (typeof daemon === "number") return daemon;
  registerUnixctl("fixture/log", "TEXT", 1, 1, (commandArgs) => {
    log.info(commandArgs[0] ?? "");
    return "logged";
  });
  log.info("fixture daemon serving");
  daemon.ready();
  await daemon.exitRequested;
  await daemon.stop();
  return 0;
}

Deno.exit(await main(Deno.args));
