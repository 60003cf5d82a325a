// Coverage counters: named event counts that any module bumps cheaply and that the daemons
// report through `coverage/show` and `coverage/read-counter`, as upstream does. Owns the
// process-wide registry; promises that incrementing never allocates; knows nothing of unixctl
// (core/net/unixctl_builtins.ts renders the reports).

export interface CoverageCounter {
  readonly name: string;
  /** Adds `n` (default 1) to the counter. */
  inc(n?: number): void;
  /** The total since the process started. */
  total(): number;
}

interface CounterState extends CoverageCounter {
  count: number;
  /** Totals sampled once a second, newest last, for the rate columns (60 s and 1 h). */
  samples: number[];
}

const counters = new Map<string, CounterState>();

/** Returns the counter named `name`, creating it on first use; the same name gives the same one. */
export function coverageCounter(name: string): CoverageCounter {
  const existing = counters.get(name);
  if (existing) return existing;
  const counter: CounterState = {
    name,
    count: 0,
    samples: [],
    inc(n = 1) {
      counter.count += n;
    },
    total() {
      return counter.count;
    },
  };
  counters.set(name, counter);
  return counter;
}

/** The current total of `name`, or undefined for a counter never created. */
export function coverageRead(name: string): number | undefined {
  return counters.get(name)?.count;
}

const SAMPLES_KEPT = 3600;

/** Records one sample per counter; the daemon calls this once a second. */
export function coverageSample(): void {
  for (const counter of counters.values()) {
    counter.samples.push(counter.count);
    if (counter.samples.length > SAMPLES_KEPT) counter.samples.shift();
  }
}

function ratePerSecond(counter: CounterState, seconds: number): number {
  const samples = counter.samples;
  if (samples.length === 0) return 0;
  const newest = samples[samples.length - 1] ?? 0;
  const index = Math.max(0, samples.length - 1 - seconds);
  const oldest = samples[index] ?? 0;
  const span = Math.max(1, samples.length - 1 - index);
  return (newest - oldest) / span;
}

/**
 * The text of `coverage/show`: one line per counter that ever counted, in upstream's layout
 * (average rates over the last 5 s, last minute and last hour, then the total), and a closing
 * count of the counters that stayed at zero.
 */
export function coverageShow(): string {
  const lines = [
    "Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash=00000000:",
  ];
  let zero = 0;
  const names = [...counters.keys()].sort();
  for (const name of names) {
    const counter = counters.get(name);
    if (!counter) continue;
    if (counter.count === 0) {
      zero++;
      continue;
    }
    const fiveSeconds = ratePerSecond(counter, 5);
    const minute = ratePerSecond(counter, 60);
    const hour = ratePerSecond(counter, 3600);
    lines.push(
      `${name.padEnd(24)} ${fiveSeconds.toFixed(1).padStart(5)}/sec ${
        minute.toFixed(3).padStart(9)
      }/sec ${hour.toFixed(4).padStart(13)}/sec   total: ${counter.count}`,
    );
  }
  lines.push(`${zero} events never hit`);
  return lines.join("\n") + "\n";
}
