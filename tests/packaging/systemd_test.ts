import assert from "node:assert/strict";
import { ovsDirs, run, runOvs } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";

const UNITS = new URL("../../packaging/systemd/", import.meta.url).pathname;

testIf(
  needPrograms("systemd-analyze"),
  "the systemd units pass systemd-analyze verify",
  async () => {
    const { dir } = await ovsDirs();
    try {
      const installed = await runOvs(["install-links", `${dir}/bin`]);
      assert.equal(installed.code, 0, installed.stderr);
      for await (const entry of Deno.readDir(UNITS)) {
        if (!entry.name.endsWith(".service")) continue;
        const text = await Deno.readTextFile(`${UNITS}${entry.name}`);
        // Point the units at the programs just installed, as `ovs install-links /usr/local/bin` would.
        await Deno.writeTextFile(
          `${dir}/${entry.name}`,
          text.replaceAll("/usr/local/bin/", `${dir}/bin/`),
        );
      }
      const units = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".service")).map((e) =>
        `${dir}/${e.name}`
      );
      assert.ok(units.length >= 3);
      const result = await run("systemd-analyze", ["verify", ...units]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr.trim(), "", "no warnings");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
