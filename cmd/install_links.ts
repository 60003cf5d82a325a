// `ovs install-links DIR`: makes this program reachable under every upstream tool name, so that
// `PATH=DIR:$PATH` runs scripts written for Open vSwitch against ovs-deno. Either way dispatch is
// by the name the program was called by: for a compiled binary the entries are symlinks to it;
// for a source checkout they are bash wrappers that `exec -a "$0"` Deno on main.ts, so argv[0]
// carries the tool's name and a daemon's pidfile names the real process. Overwrites earlier
// entries of the same names; touches nothing else in DIR.

import { selfCommand } from "../core/net/daemon.ts";
import { FACES } from "./faces.ts";

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

export async function installLinks(args: string[]): Promise<number> {
  if (args.length !== 1 || args[0] === undefined || args[0].startsWith("-")) {
    console.error("usage: ovs install-links DIR");
    return 1;
  }
  const dir = args[0];
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    console.error(`ovs: ${dir}: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  const self = selfCommand();
  const names = FACES.filter((f) => f.upstreamTool).map((f) => f.name);
  names.push("ovs");
  for (const name of names) {
    const path = `${dir}/${name}`;
    try {
      await Deno.remove(path);
    } catch {
      // Nothing to replace.
    }
    if (self.prefix.length === 0) {
      await Deno.symlink(self.command, path);
    } else {
      const words = [self.command, ...self.prefix].map(shellQuote).join(" ");
      await Deno.writeTextFile(path, `#!/bin/bash\nexec -a "$0" ${words} "$@"\n`, { mode: 0o755 });
      await Deno.chmod(path, 0o755);
    }
  }
  console.log(`installed ${names.length} programs in ${dir}: ${names.join(" ")}`);
  return 0;
}
