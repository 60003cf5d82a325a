// Runs every benchmark in bench/ that exists, one after the other. Benchmarks print their own
// figures, with ratios against the real Open vSwitch measured in the same run where one applies;
// docs/performance.md records the latest. Never run as part of the tests.

const here = new URL(".", import.meta.url).pathname;
const benches: string[] = [];
for await (const entry of Deno.readDir(here)) {
  if (entry.isFile && entry.name.endsWith("_bench.ts")) benches.push(entry.name);
}
benches.sort();
if (benches.length === 0) console.log("no benchmarks yet");
for (const name of benches) {
  console.log(`== ${name}`);
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${here}${name}`, ...Deno.args],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) Deno.exit(status.code);
}
