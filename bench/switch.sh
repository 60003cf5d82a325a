#!/usr/bin/env bash
# The speed race: the Linux bridge, the real Open vSwitch 3.1 (userspace datapath) and ours,
# between two network namespaces, with the kernel's default offloads and with them off. See
# bench/switch_bench.ts for what is measured. Root only; about 3 minutes. Not part of the tests.
#
#   bench/switch.sh                       # ours = our daemons, bench/our_switch.ts
#   bench/switch.sh --ours "CMD {A} {B}"  # CMD forwards between host ports {A} and {B}
#                                         # (e.g. "deno run -A bench/forward_loop.ts {A} {B}")
#   bench/switch.sh --seconds 3 --only bridge,open,ours
#   bench/switch.sh --rules 1000          # 999 rules the traffic misses above NORMAL
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then echo "bench/switch.sh: needs root" >&2; exit 2; fi
for program in ip iperf3 ping ethtool ovs-vswitchd ovsdb-server ovs-vsctl; do
  command -v "$program" >/dev/null || { echo "bench/switch.sh: needs $program" >&2; exit 2; }
done
command -v trafgen >/dev/null || echo "bench/switch.sh: no trafgen (netsniff-ng): no pps figures" >&2
exec deno run -A bench/switch_bench.ts "$@"
