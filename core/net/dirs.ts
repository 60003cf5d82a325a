// Where Open vSwitch keeps its files. Every path a daemon or tool uses by default comes from here,
// read from OVS_RUNDIR, OVS_LOGDIR, OVS_DBDIR, OVS_SYSCONFDIR, OVS_PKGDATADIR, OVS_BINDIR with
// upstream's defaults for a Debian build (lib/dirs.c). Reads the environment on every call, so
// tests that set a variable see it at once; never creates directories.

function fromEnv(name: string, fallback: () => string): string {
  const value = Deno.env.get(name);
  return value !== undefined && value !== "" ? value : fallback();
}

/** Configuration directory: OVS_SYSCONFDIR, else /etc. */
export function ovsSysconfdir(): string {
  return fromEnv("OVS_SYSCONFDIR", () => "/etc");
}

/** Shared data (schemas): OVS_PKGDATADIR, else /usr/share/openvswitch. */
export function ovsPkgdatadir(): string {
  return fromEnv("OVS_PKGDATADIR", () => "/usr/share/openvswitch");
}

/** Runtime directory (sockets, pidfiles): OVS_RUNDIR, else /var/run/openvswitch. */
export function ovsRundir(): string {
  return fromEnv("OVS_RUNDIR", () => "/var/run/openvswitch");
}

/** Log directory: OVS_LOGDIR, else /var/log/openvswitch. */
export function ovsLogdir(): string {
  return fromEnv("OVS_LOGDIR", () => "/var/log/openvswitch");
}

/** Database directory: OVS_DBDIR, else OVS_SYSCONFDIR/openvswitch. */
export function ovsDbdir(): string {
  return fromEnv("OVS_DBDIR", () => `${ovsSysconfdir()}/openvswitch`);
}

/** Programs directory: OVS_BINDIR, else /usr/bin. */
export function ovsBindir(): string {
  return fromEnv("OVS_BINDIR", () => "/usr/bin");
}

/** `name` made absolute against `dir` unless it already is. */
export function absFileName(dir: string, name: string): string {
  return name.startsWith("/") ? name : `${dir}/${name}`;
}
