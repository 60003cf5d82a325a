// A throwaway public key infrastructure for SSL tests, made the way upstream's tests make theirs:
// with ovs-pki when it is installed (a switch CA and a controller CA, certificates signed by
// either, self-signed ones), otherwise with openssl to the same shape. Everything lives in one
// temporary directory that `remove()` deletes, or the end of the test process.

import { hasProgram } from "../support/skip.ts";

export type CaName = "switch" | "controller";

export interface Credentials {
  key: string;
  cert: string;
}

export interface Pki {
  dir: string;
  /** The CA certificate files. */
  switchCa: string;
  controllerCa: string;
  /** Key and certificate of `name`, as made by `makePki`. */
  get(name: string): Credentials;
  remove(): Promise<void>;
}

async function exec(command: string, args: string[], cwd: string): Promise<void> {
  const output = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (output.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
}

/** What the tests can ask for: certificates signed by a CA, or signing themselves. */
export interface PkiRequest {
  signed?: Array<[name: string, ca: CaName]>;
  selfSigned?: string[];
}

async function withOvsPki(dir: string, request: PkiRequest): Promise<void> {
  const pki = ["--dir", `${dir}/pki`, "--log", `${dir}/ovs-pki.log`];
  await exec("ovs-pki", [...pki, "init"], dir);
  for (const [name, ca] of request.signed ?? []) {
    await exec("ovs-pki", [...pki, "-u", "req+sign", name, ca], dir);
  }
  for (const name of request.selfSigned ?? []) {
    await exec("ovs-pki", [...pki, "-u", "req", name], dir);
    await exec("ovs-pki", [...pki, "-u", "self-sign", name], dir);
  }
}

async function withOpenssl(dir: string, request: PkiRequest): Promise<void> {
  for (const ca of ["switch", "controller"]) {
    const caDir = `${dir}/pki/${ca}ca`;
    await Deno.mkdir(caDir, { recursive: true });
    await exec("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "3650",
      "-subj",
      `/C=US/ST=CA/O=Open vSwitch/OU=${ca}ca/CN=OVS ${ca}ca CA Certificate`,
      "-addext",
      "basicConstraints=critical,CA:true",
      "-keyout",
      `${caDir}/cakey.pem`,
      "-out",
      `${caDir}/cacert.pem`,
    ], dir);
  }
  for (const [name, ca] of request.signed ?? []) {
    const caDir = `${dir}/pki/${ca}ca`;
    await exec("openssl", [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/C=US/ST=CA/O=Open vSwitch/OU=Open vSwitch certifier/CN=${name}`,
      "-keyout",
      `${name}-privkey.pem`,
      "-out",
      `${name}-req.pem`,
    ], dir);
    await exec("openssl", [
      "x509",
      "-req",
      "-in",
      `${name}-req.pem`,
      "-CA",
      `${caDir}/cacert.pem`,
      "-CAkey",
      `${caDir}/cakey.pem`,
      "-CAcreateserial",
      "-days",
      "3650",
      "-out",
      `${name}-cert.pem`,
    ], dir);
  }
  for (const name of request.selfSigned ?? []) {
    await exec("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "3650",
      "-subj",
      `/C=US/ST=CA/O=Open vSwitch/OU=Open vSwitch certifier/CN=${name}`,
      "-keyout",
      `${name}-privkey.pem`,
      "-out",
      `${name}-cert.pem`,
    ], dir);
  }
}

/** Makes the CAs and the certificates `request` names in a fresh temporary directory. */
export async function makePki(
  request: PkiRequest,
  { tool = hasProgram("ovs-pki") ? "ovs-pki" : "openssl" }: { tool?: "ovs-pki" | "openssl" } = {},
): Promise<Pki> {
  const dir = await Deno.makeTempDir({ prefix: "ovs-pki-test-" });
  // Gone when the test process ends, even when a --filter skipped the test that removes it.
  const removeAtExit = () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already removed.
    }
  };
  globalThis.addEventListener("unload", removeAtExit);
  if (tool === "ovs-pki") await withOvsPki(dir, request);
  else await withOpenssl(dir, request);
  return {
    dir,
    switchCa: `${dir}/pki/switchca/cacert.pem`,
    controllerCa: `${dir}/pki/controllerca/cacert.pem`,
    get: (name) => ({ key: `${dir}/${name}-privkey.pem`, cert: `${dir}/${name}-cert.pem` }),
    remove: async () => {
      globalThis.removeEventListener("unload", removeAtExit);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The -p/-c/-C options that give a program `name`'s credentials and trust in `ca`. */
export function sslArgs(pki: Pki, name: string, ca: string): string[] {
  const { key, cert } = pki.get(name);
  return [`--private-key=${key}`, `--certificate=${cert}`, `--ca-cert=${ca}`];
}

/** The port a passive stream on port 0 reported in `log` ("…: listening on port N"). */
export function listeningPort(log: string): number | undefined {
  const ports = [...log.matchAll(/0:.*: listening on port (\d+)$/gm)].map((m) => Number(m[1]));
  return ports[ports.length - 1];
}

/** Waits until `read()` yields a listening port (daemons log it once bound). */
export async function waitForPort(read: () => Promise<string>, timeoutMs = 10000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const port = listeningPort(await read());
    if (port !== undefined) return port;
    if (Date.now() > deadline) throw new Error("no listening port in the log");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A log or stderr text without timestamps and sequence numbers, to compare two programs'. */
export function logLines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "").map((line) =>
    line.replace(/^\S+\|\d{5}\|/, "")
  );
}
