#!/usr/bin/env -S deno run -A --quiet
// The one program behind every Open vSwitch face. Chooses the face from the name it was called
// by (a symlink or wrapper named `ovs-vsctl`, a compiled binary renamed) or else from its first
// argument (`ovs vsctl …`, `ovs ovsdb-server …`), then hands the remaining arguments to that
// face's `main` in cmd/. Owns only dispatch, the top-level help and `install-links`; every face
// is loaded lazily so a tool starts without loading the others.

import { OVS_VERSION } from "./core/net/version.ts";
import { FACES, findFace } from "./cmd/faces.ts";

function basename(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? path : path.slice(slash + 1);
}

/**
 * The name this program was called by: argv[0], read from /proc because Deno.execPath() resolves
 * symlinks. A compiled binary gets it from its symlink's name; a source checkout's wrappers set it
 * with `exec -a`.
 */
function invokedName(): string {
  try {
    const cmdline = Deno.readTextFileSync("/proc/self/cmdline");
    return basename(cmdline.split("\0")[0] ?? "");
  } catch {
    return "";
  }
}

function usage(): string {
  const width = Math.max(...FACES.map((f) => f.name.length)) + 2;
  const lines = [
    "ovs: Open vSwitch in one program",
    "usage: ovs FACE [ARG...]",
    "       (or call it as FACE through a link: see 'ovs install-links DIR')",
    "",
    "Faces:",
    ...FACES.map((f) =>
      `  ${f.name.padEnd(width)}${f.summary}${f.load ? "" : " (not built yet)"}${
        f.aliases.length ? ` [also: ${f.aliases.join(", ")}]` : ""
      }`
    ),
    "",
    "Other commands:",
    `  ${"install-links DIR".padEnd(width)}write one executable per upstream tool name into DIR`,
    `  ${"--help".padEnd(width)}print this help`,
    `  ${"--version".padEnd(width)}print the version`,
  ];
  return lines.join("\n") + "\n";
}

async function runFace(name: string, args: string[]): Promise<number> {
  const face = findFace(name);
  if (!face) {
    console.error(`ovs: unknown face "${name}" (use --help for the list)`);
    return 1;
  }
  if (!face.load) {
    console.error(
      `${face.name}: this face is not built yet in ovs-deno (planned: ${face.plannedIn}); ` +
        `use Open vSwitch's own ${face.name} meanwhile`,
    );
    return 1;
  }
  const module = await face.load();
  return await module.main(args, face.name);
}

export async function dispatch(argv0: string, args: string[]): Promise<number> {
  const invoked = findFace(argv0);
  if (invoked && invoked.name !== "ovs") return await runFace(invoked.name, args);
  const [first, ...rest] = args;
  switch (first) {
    case undefined:
    case "--help":
    case "-h":
    case "help":
      await Deno.stdout.write(new TextEncoder().encode(usage()));
      return first === undefined ? 1 : 0;
    case "--version":
    case "-V":
      console.log(`ovs (Open vSwitch) ${OVS_VERSION}`);
      return 0;
    case "install-links": {
      const { installLinks } = await import("./cmd/install_links.ts");
      return await installLinks(rest);
    }
    default:
      return await runFace(first, rest);
  }
}

if (import.meta.main) {
  const code = await dispatch(invokedName(), Deno.args);
  Deno.exit(code);
}
