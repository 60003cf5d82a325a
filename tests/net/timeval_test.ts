import assert from "node:assert/strict";
import {
  setPeriodic,
  setTimer,
  timeMsec,
  timeResume,
  timeStop,
  timeWarp,
} from "../../core/net/timeval.ts";

Deno.test("stopped time fires timers only when warped, in deadline order", () => {
  timeStop();
  try {
    const fired: string[] = [];
    const start = timeMsec();
    setTimer(3000, () => fired.push("c"));
    setTimer(1000, () => fired.push("a"));
    setTimer(2000, () => fired.push("b"));
    timeWarp(500);
    assert.deepEqual(fired, []);
    timeWarp(2000);
    assert.deepEqual(fired, ["a", "b"]);
    timeWarp(1000);
    assert.deepEqual(fired, ["a", "b", "c"]);
    assert.equal(timeMsec() - start, 3500);
  } finally {
    timeResume();
  }
});

Deno.test("warping in steps runs a periodic timer once per step", () => {
  timeStop();
  try {
    let count = 0;
    const stop = setPeriodic(1000, () => count++);
    timeWarp(5000, 1000);
    assert.equal(count, 5);
    stop();
    timeWarp(5000, 1000);
    assert.equal(count, 5);
  } finally {
    timeResume();
  }
});

Deno.test("time/warp refuses a negative warp", () => {
  assert.throws(() => timeWarp(-1), RangeError);
});
