// The control commands of the link protocols, with upstream's names, usages, replies and error
// texts (lib/lacp.c's lacp_init, ofproto/bond.c's bond_init): lacp/show, lacp/show-stats,
// bond/list, bond/show, bond/migrate, bond/set-active-member, bond/enable-member,
// bond/disable-member, bond/hash, the hidden *-slave spellings, and the userspace datapath's
// dpif-netdev/bond-show (lib/dpif-netdev.c) of the lb_output buckets. The texts are lacp.ts's and
// bond.ts's; a command that changes a bond asks the daemon's protocols for a pass, as
// upstream's main loop runs after every command.

import { registerUnixctl, UnixctlError } from "../net/unixctl.ts";
import {
  BondCommandError,
  bondHashText,
  bondListText,
  bondNamed,
  bondShowText,
} from "../ofproto/bond.ts";
import { lacpUnixctlText } from "../ofproto/lacp.ts";
import { wakeBundleProtocols } from "./bundle_protocols.ts";
import type { Datapaths } from "./datapaths.ts";

/** Runs a bond command, turning its refusals into unixctl errors. */
function bondCommand(fn: () => string): string {
  try {
    return fn();
  } catch (error) {
    if (error instanceof BondCommandError) throw new UnixctlError(error.message);
    throw error;
  }
}

function changing(fn: () => string): string {
  const reply = bondCommand(fn);
  wakeBundleProtocols();
  return reply;
}

/** What the commands need of the daemon. */
export interface LinkCommandHost {
  /** Runs pending datapath work (frames just received) before a reply. */
  settle(): void;
  readonly datapaths: Datapaths;
}

/** Registers the lacp/*, bond/* and dpif-netdev/bond-show commands. */
export function registerLinkCommands(host: LinkCommandHost): void {
  const settle = () => host.settle();
  for (const which of ["show", "show-stats"] as const) {
    registerUnixctl(`lacp/${which}`, "[port]", 0, 1, (args) => {
      settle();
      const reply = lacpUnixctlText(which, args[0]);
      if (!reply.ok) throw new UnixctlError(reply.error);
      return reply.text;
    });
  }
  registerUnixctl("bond/list", "", 0, 0, () => {
    settle();
    return bondListText();
  });
  registerUnixctl("bond/show", "[port]", 0, 1, (args) => {
    settle();
    return bondCommand(() => bondShowText(args[0]));
  });
  registerUnixctl(
    "bond/migrate",
    "port hash member",
    3,
    3,
    (args) => changing(() => bondNamed(args[0]!).migrate(args[1]!, args[2]!)),
  );
  const setActive = (args: string[]) =>
    changing(() => bondNamed(args[0]!).setActiveMember(args[1]!));
  const enable = (args: string[]) =>
    changing(() => bondNamed(args[0]!).setMemberEnabled(args[1]!, true));
  const disable = (args: string[]) =>
    changing(() => bondNamed(args[0]!).setMemberEnabled(args[1]!, false));
  registerUnixctl("bond/set-active-member", "port member", 2, 2, setActive);
  registerUnixctl("bond/enable-member", "port member", 2, 2, enable);
  registerUnixctl("bond/disable-member", "port member", 2, 2, disable);
  registerUnixctl(
    "bond/hash",
    "mac [vlan] [basis]",
    1,
    3,
    (args) => bondCommand(() => bondHashText(args[0]!, args[1], args[2])),
  );
  registerUnixctl("dpif-netdev/bond-show", "[dp]", 0, 1, (args) => {
    const all = [...host.datapaths.backers.values()].map((b) => b.datapath);
    const dp = args.length
      ? all.find((d) => d.name === args[0])
      : all.length === 1
      ? all[0]
      : undefined;
    if (!dp || typeof dp.bondShow !== "function") {
      throw new UnixctlError("please specify an existing datapath");
    }
    return dp.bondShow();
  });
  // Backward-compatible names, hidden from list-commands as upstream's are.
  registerUnixctl("bond/set-active-slave", undefined, 2, 2, setActive);
  registerUnixctl("bond/enable-slave", undefined, 2, 2, enable);
  registerUnixctl("bond/disable-slave", undefined, 2, 2, disable);
}
