import assert from "node:assert/strict";
import { FACES } from "../../cmd/faces.ts";
import { ovsDirs, run, runOvs } from "../support/run.ts";

Deno.test("ovs --help lists every face with a summary", async () => {
  const result = await runOvs(["--help"]);
  assert.equal(result.code, 0);
  for (const face of FACES) {
    assert.match(
      result.stdout,
      new RegExp(`^  ${face.name} +${face.summary.replace(/[()]/g, "\\$&")}`, "m"),
    );
  }
});

Deno.test("ovs dispatches on its first argument, by upstream name or short alias", async () => {
  for (const name of ["ovs-appctl", "appctl"]) {
    const result = await runOvs([name, "--version"]);
    assert.deepEqual([result.code, result.stdout], [0, "ovs-appctl (Open vSwitch) 3.1.0\n"], name);
  }
});

Deno.test("a face that is not built yet says so and exits non-zero", async () => {
  const unbuilt = FACES.find((face) => !face.load);
  if (!unbuilt) return;
  const result = await runOvs([unbuilt.name, "--help"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`^${unbuilt.name}: this face is not built yet`));
});

Deno.test("an unknown face is an error", async () => {
  const result = await runOvs(["ovs-nonesuch"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /unknown face "ovs-nonesuch"/);
});

Deno.test("install-links writes an executable per upstream tool that dispatches by its own name", async () => {
  const { dir } = await ovsDirs();
  try {
    const result = await runOvs(["install-links", `${dir}/bin`]);
    assert.equal(result.code, 0, result.stderr);
    const tools = [
      "ovs-vsctl",
      "ovs-ofctl",
      "ovs-appctl",
      "ovs-dpctl",
      "ovsdb-server",
      "ovsdb-tool",
      "ovsdb-client",
      "ovs-vswitchd",
      "ovs-testcontroller",
    ];
    for (const tool of tools) {
      const info = Deno.statSync(`${dir}/bin/${tool}`);
      assert.ok(info.isFile && ((info.mode ?? 0) & 0o111) !== 0, `${tool} is executable`);
      assert.match(Deno.readTextFileSync(`${dir}/bin/${tool}`), /^#!\/bin\/bash\nexec -a "\$0" /);
    }
    const version = await run(`${dir}/bin/ovs-appctl`, ["--version"]);
    assert.deepEqual([version.code, version.stdout], [0, "ovs-appctl (Open vSwitch) 3.1.0\n"]);
    // A link of any upstream name to the generic entry point dispatches by that name too.
    Deno.symlinkSync(`${dir}/bin/ovs`, `${dir}/ovs-appctl`);
    const linked = await run(`${dir}/ovs-appctl`, ["--version"]);
    assert.equal(linked.stdout, "ovs-appctl (Open vSwitch) 3.1.0\n");
    // PATH=DIR:$PATH makes scripts written for Open vSwitch run ours.
    const viaPath = await run("bash", ["-c", "ovs-appctl --version"], {
      PATH: `${dir}/bin:${Deno.env.get("PATH")}`,
    });
    assert.equal(viaPath.stdout, "ovs-appctl (Open vSwitch) 3.1.0\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
