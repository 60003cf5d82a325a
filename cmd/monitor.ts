// `ovs monitor`: the ovsdbmonitor of old as a live web page. Serves on a loopback address by
// default; the page shows the Open_vSwitch database and the switch's flows, datapath and MAC
// tables, updated as they change. Stops cleanly on Ctrl-C.

import { ovsRundir } from "../core/net/dirs.ts";
import { type OptionSpec, parseCommandLine, UsageError } from "../core/net/options.ts";
import { versionText } from "../core/net/version.ts";
import { MonitorServer } from "../core/monitor/server.ts";

const OPTIONS: readonly OptionSpec[] = [
  { name: "db", arg: "required" },
  { name: "target", short: "t", arg: "required" },
  { name: "host", arg: "required" },
  { name: "port", short: "p", arg: "required" },
  { name: "interval", arg: "required" },
  { name: "help", short: "h", arg: "none" },
  { name: "version", short: "V", arg: "none" },
];

function usage(): string {
  return `ovs monitor: a live web page of the switch
usage: ovs monitor [OPTIONS]
  --db=REMOTE        database to watch (default: unix:${ovsRundir()}/db.sock)
  -t, --target=T     daemon asked for flows, datapath and MAC tables (default: ovs-vswitchd)
  --host=ADDRESS     address to serve on (default: 127.0.0.1)
  -p, --port=PORT    port to serve on (default: 6680; 0 picks a free one)
  --interval=MSECS   how often to refresh the switch's views (default: 1000)
  -h, --help         show this help
`;
}

export async function main(args: string[], face = "monitor"): Promise<number> {
  const program = face.startsWith("ovs") ? face : `ovs ${face}`;
  let parsed;
  try {
    parsed = parseCommandLine(args, OPTIONS);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${program}: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const options = {
    db: `unix:${ovsRundir()}/db.sock`,
    target: "ovs-vswitchd",
    hostname: "127.0.0.1",
    port: 6680,
    interval: 1000,
  };
  for (const option of parsed.options) {
    const value = option.value ?? "";
    switch (option.name) {
      case "help":
        console.log(usage().trimEnd());
        return 0;
      case "version":
        await Deno.stdout.write(new TextEncoder().encode(versionText("ovs")));
        return 0;
      case "db":
        options.db = value;
        break;
      case "target":
        options.target = value;
        break;
      case "host":
        options.hostname = value;
        break;
      case "port":
      case "interval": {
        const number = Number(value);
        if (!Number.isInteger(number) || number < 0 || (option.name === "port" && number > 65535)) {
          console.error(`${program}: bad --${option.name} "${value}"`);
          return 1;
        }
        if (option.name === "port") options.port = number;
        else options.interval = Math.max(100, number);
        break;
      }
    }
  }
  const server = new MonitorServer(options);
  let url: string;
  try {
    url = await server.start();
  } catch (error) {
    console.error(`${program}: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  console.log(
    `${program}: serving ${url} (watching ${options.db} and ${options.target}); Ctrl-C stops it`,
  );
  const stop = new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve());
    }
  });
  await stop;
  await server.close();
  return 0;
}
