// Cost of one translation (run with `deno bench -A tests/ofproto/xlate_bench.ts`): a NORMAL flow
// to a learned port, a NORMAL flood, and a chain of 10 resubmits, each through one reused
// Xlator as the upcall handler and revalidator use it.

import { RecircTable } from "../core/ofproto/xlate/rid.ts";
import { parseExactFlow } from "../core/ofproto/xlate/trace.ts";
import { Xlator } from "../core/ofproto/xlate/xlate.ts";
import { FixtureSwitch } from "../tests/ofproto/xlate_fixture.ts";

const ICMP =
  "icmp,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ttl=64,icmp_type=8,icmp_code=0";
const ICMP_BACK =
  "icmp,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01,nw_src=10.0.0.2,nw_dst=10.0.0.1,nw_tos=0,nw_ttl=64,icmp_type=8,icmp_code=0";

function setup(flows: string) {
  const sw = new FixtureSwitch(new RecircTable());
  const br = sw.addBridge("br0");
  for (let i = 1; i <= 4; i++) br.addPort(`p${i}`, i);
  br.addFlows(flows);
  return { sw, br, xlator: new Xlator() };
}

const normal = setup("actions=NORMAL\n");
// Learn 50:54:00:00:00:01 on p1, so the reply is unicast.
normal.xlator.translate({
  bridge: normal.br,
  flow: parseExactFlow(`in_port=1,${ICMP}`, normal.br.portMap),
  mayLearn: true,
  now: 0,
  recirc: normal.sw.recirc,
});
const normalFlow = parseExactFlow(`in_port=2,${ICMP_BACK}`, normal.br.portMap);
const floodFlow = parseExactFlow(`in_port=1,${ICMP}`, normal.br.portMap);

const chain = setup(
  Array.from({ length: 10 }, (_, i) => `table=${i} actions=resubmit(,${i + 1})\n`).join("") +
    "table=10 actions=output:2\n",
);
const chainFlow = parseExactFlow(`in_port=1,${ICMP}`, chain.br.portMap);

Deno.bench("xlate: NORMAL to a learned port (revalidation, no side effects)", () => {
  normal.xlator.translate({
    bridge: normal.br,
    flow: normalFlow,
    mayLearn: false,
    keepsCache: true,
    now: 0,
    recirc: normal.sw.recirc,
  });
});

Deno.bench("xlate: NORMAL flood (unknown destination)", () => {
  normal.xlator.translate({
    bridge: normal.br,
    flow: floodFlow,
    mayLearn: false,
    keepsCache: true,
    now: 0,
    recirc: normal.sw.recirc,
  });
});

Deno.bench("xlate: chain of 10 resubmits", () => {
  chain.xlator.translate({
    bridge: chain.br,
    flow: chainFlow,
    mayLearn: false,
    keepsCache: true,
    now: 0,
    recirc: chain.sw.recirc,
  });
});
