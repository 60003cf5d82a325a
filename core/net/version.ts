// The version this program reports. We track the Open vSwitch release whose behaviour we
// reproduce (Debian's 3.1 packages are our oracle), so `--version` and the unixctl `version`
// command print what scripts written for that release expect.

/** The Open vSwitch release whose behaviour this program reproduces. */
export const OVS_VERSION = "3.1.0";

/** Lowest and highest OpenFlow wire versions the OpenFlow tools speak (1.0 to 1.5). */
export const OFP_VERSION_MIN = 0x01;
export const OFP_VERSION_MAX = 0x06;

/** "PROGRAM (Open vSwitch) VERSION", the first line of every `--version`. */
export function programVersion(program: string): string {
  return `${program} (Open vSwitch) ${OVS_VERSION}`;
}

/** The full `--version` text; OpenFlow tools add their version range as upstream does. */
export function versionText(program: string, openflow = false): string {
  let text = programVersion(program) + "\n";
  if (openflow) text += `OpenFlow versions 0x${OFP_VERSION_MIN}:0x${OFP_VERSION_MAX}\n`;
  return text;
}
