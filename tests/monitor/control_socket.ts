// The monitor tests' way to name a daemon's control socket: by path, read from the pidfile in
// the test's own directory, since test modules share one process environment (no OVS_RUNDIR).

/** The unixctl socket of `program` running in `dir` (as ovs-appctl -t would find it). */
export async function controlSocket(dir: string, program = "ovs-vswitchd"): Promise<string> {
  const pid = (await Deno.readTextFile(`${dir}/${program}.pid`)).trim();
  return `${dir}/${program}.${pid}.ctl`;
}
