// The daemon's clock: monotonic milliseconds and timers that can be stopped and warped, as
// upstream's `time/stop` and `time/warp` do for its test suite. Every timeout in the daemons
// (flow idle/hard timeouts, MAC aging, statistics, revalidation, probes) schedules through here so
// that fake time drives all of them. Owns one process-wide clock; promises that timers fire in
// deadline order and never before their deadline on this clock. Wall-clock time for logs and
// database `_date` is not affected.

interface Timer {
  deadline: number;
  callback: () => void;
  id: number;
  realHandle: ReturnType<typeof setTimeout> | undefined;
}

let stopped = false;
/** Offset added to the real monotonic clock; grows with each warp. */
let warpOffset = 0;
/** The clock's value when time was stopped. */
let frozenAt = 0;
let nextId = 1;
const timers = new Map<number, Timer>();

function realNow(): number {
  return performance.now();
}

/** Monotonic milliseconds on the daemon's clock. */
export function timeMsec(): number {
  return Math.floor(stopped ? frozenAt : realNow() + warpOffset);
}

/** Whether `time/stop` is in force. */
export function timeIsStopped(): boolean {
  return stopped;
}

function armReal(timer: Timer): void {
  if (stopped) return;
  const delay = Math.max(0, timer.deadline - timeMsec());
  timer.realHandle = setTimeout(() => fire(timer.id), delay);
}

function fire(id: number): void {
  const timer = timers.get(id);
  if (!timer) return;
  if (timer.deadline > timeMsec()) {
    armReal(timer);
    return;
  }
  timers.delete(id);
  timer.callback();
}

/** Runs `callback` once the clock reaches `deadline`. Returns a handle for `cancelTimer`. */
export function setTimerAt(deadline: number, callback: () => void): number {
  const timer: Timer = { deadline, callback, id: nextId++, realHandle: undefined };
  timers.set(timer.id, timer);
  armReal(timer);
  return timer.id;
}

/** Runs `callback` after `delay` milliseconds of the daemon's clock. */
export function setTimer(delay: number, callback: () => void): number {
  return setTimerAt(timeMsec() + delay, callback);
}

/** Cancels a timer; unknown or fired handles are ignored. */
export function cancelTimer(handle: number): void {
  const timer = timers.get(handle);
  if (!timer) return;
  if (timer.realHandle !== undefined) clearTimeout(timer.realHandle);
  timers.delete(handle);
}

/** Runs `callback` every `interval` ms on the daemon's clock until the returned stop is called. */
export function setPeriodic(interval: number, callback: () => void): () => void {
  let handle = 0;
  let active = true;
  const schedule = (deadline: number) => {
    handle = setTimerAt(deadline, () => {
      if (!active) return;
      schedule(deadline + interval);
      callback();
    });
  };
  schedule(timeMsec() + interval);
  return () => {
    active = false;
    cancelTimer(handle);
  };
}

/** `time/stop`: freezes the clock; timers wait for warps. */
export function timeStop(): void {
  if (stopped) return;
  frozenAt = timeMsec();
  stopped = true;
  for (const timer of timers.values()) {
    if (timer.realHandle !== undefined) clearTimeout(timer.realHandle);
    timer.realHandle = undefined;
  }
}

/** Resumes real time from where the frozen clock stands. */
export function timeResume(): void {
  if (!stopped) return;
  warpOffset = frozenAt - realNow();
  stopped = false;
  for (const timer of timers.values()) armReal(timer);
}

/** Fires, in deadline order, every timer due at or before the current clock. */
function runDueTimers(): void {
  for (;;) {
    let earliest: Timer | undefined;
    for (const timer of timers.values()) {
      if (timer.deadline <= timeMsec() && (!earliest || timer.deadline < earliest.deadline)) {
        earliest = timer;
      }
    }
    if (!earliest) return;
    timers.delete(earliest.id);
    if (earliest.realHandle !== undefined) clearTimeout(earliest.realHandle);
    earliest.callback();
  }
}

/**
 * `time/warp MSECS [STEP]`: advances the clock by `msecs` in steps of `step` (default all at
 * once), firing due timers after each step, as upstream's test clock does.
 */
export function timeWarp(msecs: number, step = msecs): void {
  if (!Number.isFinite(msecs) || msecs < 0 || !Number.isFinite(step) || step <= 0) {
    throw new RangeError("time/warp: bad argument");
  }
  let remaining = msecs;
  while (remaining > 0) {
    const advance = Math.min(step, remaining);
    if (stopped) frozenAt += advance;
    else warpOffset += advance;
    remaining -= advance;
    runDueTimers();
  }
  if (msecs === 0) runDueTimers();
}
