import assert from "node:assert/strict";
import { OFPP_NONE, PortNumbers } from "../../core/ofproto/port_numbers.ts";

Deno.test("port numbers count up from 1 and honour requests", () => {
  const numbers = new PortNumbers();
  numbers.setRequest("p10", 10);
  assert.equal(numbers.allocate("a", 0), 1);
  assert.equal(numbers.allocate("p10", 0), 10);
  assert.equal(numbers.allocate("b", 0), 2);
});

Deno.test("automatic numbering skips numbers another port asked for", () => {
  const numbers = new PortNumbers();
  numbers.setRequest("wants2", 2);
  assert.equal(numbers.allocate("a", 0), 1);
  assert.equal(numbers.allocate("b", 0), 3);
});

Deno.test("a freed number is not handed out again within an hour", () => {
  const numbers = new PortNumbers();
  assert.equal(numbers.allocate("a", 0), 1);
  numbers.release(1, 1000);
  assert.equal(numbers.allocate("b", 2000), 2);
  assert.equal(numbers.inUse(1), false);
});

Deno.test("when every number is taken allocation reports OFPP_NONE", () => {
  const numbers = new PortNumbers(4);
  assert.deepEqual([1, 2, 3].map((i) => numbers.allocate(`p${i}`, 0)), [1, 2, 3]);
  assert.equal(numbers.allocate("p4", 0), OFPP_NONE);
});

Deno.test("a long-freed number is reused once the range wraps", () => {
  const numbers = new PortNumbers(4);
  [1, 2, 3].forEach((i) => numbers.allocate(`p${i}`, 0));
  numbers.release(2, 0);
  assert.equal(numbers.allocate("late", 2 * 60 * 60 * 1000), 2);
});
