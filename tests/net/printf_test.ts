import assert from "node:assert/strict";
import { formatG } from "../../core/net/printf.ts";

Deno.test("formatG matches C's %g", () => {
  const cases: [number, number, string][] = [
    [2, 3, "2"],
    [0.5, 3, "0.5"],
    [1.25, 3, "1.25"],
    [1.2345, 3, "1.23"],
    [1500000, 6, "1.5e+06"],
    [0.0001, 6, "0.0001"],
    [0.00001, 6, "1e-05"],
    [123456, 6, "123456"],
    [1234567, 6, "1.23457e+06"],
    [0, 6, "0"],
    [100, 3, "100"],
    [1000, 3, "1e+03"],
  ];
  for (const [value, precision, text] of cases) {
    assert.equal(formatG(value, precision), text, `${value}`);
  }
});
