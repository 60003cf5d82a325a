// ovs-vswitchd: the switch daemon. Connects to ovsdb-server, takes the `ovs_vswitchd` lock,
// reconciles bridges with the database and writes status back, as upstream's daemon does. This
// file owns the command line, the main loop's scheduling and the daemon-level control commands;
// bridges live in core/vswitchd.

import {
  Daemon,
  daemonConfig,
  daemonUsage,
  parseDaemonCommandLine,
  vlogUsage,
} from "../core/net/daemon.ts";
import { ovsRundir } from "../core/net/dirs.ts";
import type { OptionSpec } from "../core/net/options.ts";
import { vlogModule } from "../core/net/vlog.ts";
import type { VswitchdOptions } from "../core/vswitchd/bridge.ts";
import { Vswitchd } from "../core/vswitchd/vswitchd.ts";
import type { Idl } from "../core/db/idl.ts";
import { sslUsage } from "../core/net/ssl_options.ts";
import {
  sslSetCaCertFile,
  sslSetKeyAndCert,
  sslSetRefresher,
} from "../core/net/stream_ssl_config.ts";

const log = vlogModule("bridge");

const OPTIONS: readonly OptionSpec[] = [
  { name: "enable-dummy", arg: "optional" },
  { name: "disable-system", arg: "none" },
  { name: "disable-system-route", arg: "none" },
  { name: "mlockall", arg: "none" },
];

function usage(program: string): string {
  return `${program}: the Open vSwitch switch daemon
usage: ${program} [OPTIONS] [DATABASE]
DATABASE is where ovsdb-server listens (default: unix:${ovsRundir()}/db.sock):
unix:FILE, tcp:HOST:PORT or ssl:HOST:PORT.
${sslUsage(true, true)}
Switch options:
  --enable-dummy[=override]  offer the dummy datapath and netdevs used by tests;
                             with =override, every bridge and port is a dummy one
  --disable-system        offer no system datapath
  --disable-system-route  accepted for compatibility
  --mlockall              accepted for compatibility

${daemonUsage(program)}
${vlogUsage(program)}
Other options:
  --unixctl=SOCKET        control socket (default: ${program}.PID.ctl in OVS_RUNDIR)
  -h, --help              show this help
  -V, --version           show the version
`;
}

/**
 * Applies the SSL row `ovs-vsctl set-ssl` writes, as upstream's bridge_run does on every pass
 * (here: before every new SSL stream), so controllers and managers on ssl:/pssl: use it.
 */
function configureSsl(idl: Idl): void {
  const ssl = idl.first("Open_vSwitch")?.columns.get("ssl")?.keys[0];
  const row = ssl === undefined ? undefined : idl.row("SSL", String(ssl));
  if (!row) return;
  const text = (column: string) => {
    const value = row.columns.get(column)?.keys[0];
    return typeof value === "string" ? value : undefined;
  };
  sslSetKeyAndCert(text("private_key"), text("certificate"));
  sslSetCaCertFile(text("ca_cert"), row.columns.get("bootstrap_ca_cert")?.keys[0] === true);
}

export async function main(args: string[], program = "ovs-vswitchd"): Promise<number> {
  const config = daemonConfig(program);
  config.exitTakesCleanup = true;
  const parsed = await parseDaemonCommandLine(program, args, OPTIONS, config, () => usage(program));
  if (typeof parsed === "number") return parsed;
  const options: VswitchdOptions = {
    enableDummy: false,
    dummyOverride: false,
    disableSystem: false,
  };
  for (const option of parsed.options) {
    switch (option.name) {
      case "enable-dummy":
        options.enableDummy = true;
        if (option.value === "override") options.dummyOverride = true;
        else if (option.value !== undefined && option.value !== "system") {
          console.error(`${program}: ${option.value}: unknown dummy level`);
          return 1;
        }
        break;
      case "disable-system":
        options.disableSystem = true;
        break;
    }
  }
  if (parsed.operands.length > 1) {
    console.error(`${program}: at most one non-option argument accepted; use --help for usage`);
    return 1;
  }
  const remote = parsed.operands[0] ?? `unix:${ovsRundir()}/db.sock`;

  const daemon = await Daemon.start(config, [program], args);
  if (typeof daemon === "number") return daemon;
  const vswitchd = new Vswitchd(remote, options, program);
  sslSetRefresher(() => configureSsl(vswitchd.idl));
  vswitchd.ready.then(() => daemon.ready());
  daemon.onShutdown(() => vswitchd.close());
  vswitchd.start();

  const { cleanup } = await daemon.exitRequested;
  if (cleanup) log.info("exiting with cleanup");
  await daemon.stop();
  return 0;
}
