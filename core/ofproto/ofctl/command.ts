// The shape of one ovs-ofctl command (upstream's struct ovs_cmdl_command): its name, the usage
// text `list-commands` shows, how many arguments it takes, whether it changes the switch (refused
// under --read-only), and the handler. Handlers get the session and argv with the command name
// first, as upstream's ctx->argv. No behaviour here.

import type { OfctlSession } from "./session.ts";

export interface OfctlCommand {
  name: string;
  /** Shown by list-commands; undefined for the undocumented testing commands. */
  usage: string | undefined;
  minArgs: number;
  maxArgs: number;
  /** Whether the command only reads (OVS_RO); read-write commands fail under --read-only. */
  readOnly: boolean;
  run(session: OfctlSession, argv: string[]): Promise<void>;
}

export const MANY = Number.POSITIVE_INFINITY;
