// Differential test of the actions text syntax against the real ovs-ofctl: every line of the
// corpus below is a flow ("MATCH actions=ACTIONS"). Ours parses the match and the actions,
// checks them against the match, and for each OpenFlow version that can express them encodes,
// decodes and formats them again; ovs-ofctl parse-flows does the same round trip through its
// wire format for the version given with -O and prints the result, or the error text. The two
// must agree: the usable protocols, the bytes and the text for every version (ovs-ofctl -mmmmm
// prints the flow mod it encoded), and every error message.
// Corpus lines hold one or more flows separated by " ; " (no flow syntax uses semicolons).

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ParseError } from "../../core/ofproto/errors.ts";
import { OfpError } from "../../core/ofproto/errors.ts";
import { newMatchParseContext, parseMatch } from "../../core/ofproto/match_text.ts";
import {
  protocolFromVersion,
  protocolsFromVersion,
  protocolsToString,
} from "../../core/ofproto/msg/protocol.ts";
import { P_ANY, P_TID, type Protocols } from "../../core/ofproto/protocols.ts";
import {
  checkActions,
  decodeInstructions,
  encodeInstructions,
  formatActions,
  parseActions,
} from "../../core/ofproto/actions/mod.ts";
import { needPrograms, testIf } from "../support/skip.ts";
import { vlogSetConsoleEnabled } from "../../core/net/vlog.ts";

// Upstream-style warnings are part of what the wire test compares (in child processes); here
// they would only clutter the test report.
vlogSetConsoleEnabled(false);

const CORPUS = String.raw`
# output and reserved ports
actions=output:1 ; actions=output:65279 ; actions=1,2,3 ; actions=output:0 ; actions=IN_PORT
actions=in_port ; actions=TABLE ; actions=NORMAL,FLOOD,ALL,LOCAL ; actions=normal
actions=output:NORMAL ; actions=output:CONTROLLER ; actions=CONTROLLER ; actions=controller
actions=controller:100 ; actions=controller:0 ; actions=controller:65535
actions=controller:65536 ; actions=controller(reason=no_match)
actions=controller(reason=action,max_len=10)
actions=controller(reason=invalid_ttl,max_len=1234,id=5678)
actions=controller(reason=action_set) ; actions=controller(reason=group,id=1)
actions=controller(reason=packet_out) ; actions=controller(id=3)
actions=controller(userdata=01.02.03.04.05) ; actions=controller(userdata=0102)
actions=controller(userdata=) ; actions=controller(pause) ; actions=controller(pause,max_len=100)
actions=controller(meter_id=5)
actions=controller(reason=invalid_ttl,max_len=1234,id=5678,userdata=01.02.03.04.05,pause,meter_id=2)
actions=controller(reason=asdf) ; actions=controller(foo=bar)
actions=controller(userdata=123x456) ; actions=controller(max_len=70000)
actions=controller(id=-1) ; actions=output:4294967040 ; actions=output:4294967294
actions=output:65280 ; actions=output:65535 ; actions=ANY ; actions=output:xyzzy
actions=output:-1 ; actions=output:reg0[0..15] ; actions=output:NXM_NX_REG1[5..10]
actions=output:reg0[] ; actions=output:xreg1[0..31] ; actions=output:tun_id[0..15]
actions=output(port=1,max_len=100) ; actions=output(max_len=100,port=1)
actions=output(port=LOCAL,max_len=14) ; actions=output(port=in_port,max_len=64)
actions=output(port=xyzzy,max_len=5) ; actions=output(port=all,max_len=64)
actions=output(port=local,max_len=64,foo=bar) ; actions=output(port=local,max_len=5)
actions=output_trunc(port=1,max_len=100) ; actions=output_reg:reg3[] ; actions=group:5
actions=group:0 ; actions=group:4294967295 ; actions=group:x ; actions=enqueue:10:55
actions=enqueue(123,456) ; actions=enqueue:LOCAL:1 ; actions=enqueue:IN_PORT:2
actions=enqueue:1q2 ; actions=enqueue:123 ; actions=enqueue:asdf:123 ; actions=enqueue:65500:1
actions=drop ; actions=DROP ; actions= ; actions=drop,3 ; actions=xyzzy ; actions=apply_actions
# vlan
actions=mod_vlan_vid:9 ; actions=mod_vlan_vid:4095 ; actions=mod_vlan_vid:6000
actions=mod_vlan_vid:0x10 ; actions=mod_vlan_pcp:6 ; actions=mod_vlan_pcp:8
actions=set_vlan_vid:5 ; actions=set_vlan_pcp:2 ; dl_vlan=7 actions=set_vlan_vid:5
dl_vlan=7 actions=set_vlan_pcp:2 ; dl_vlan=7 actions=mod_vlan_vid:5,mod_vlan_pcp:3
vlan_tci=0x1000/0x1000 actions=mod_vlan_vid:5 ; actions=strip_vlan ; dl_vlan=7 actions=strip_vlan
actions=pop_vlan ; dl_vlan=7 actions=pop_vlan ; actions=push_vlan:0x8100
actions=push_vlan:0x88a8 ; actions=push_vlan(0x1234)
actions=push_vlan:0x8100,set_field:4102->vlan_vid ; actions=push_vlan:0x8100,push_vlan:0x8100
dl_vlan=1 actions=push_vlan:0x8100,push_vlan:0x8100 ; actions=push_vlan:0x8100,mod_vlan_vid:10
actions=mod_vlan_vid:5,push_vlan:0x8100
# L2-L4 rewrites
actions=mod_dl_src:00:11:22:33:44:55 ; actions=mod_dl_dst:10:20:30:40:50:60
actions=mod_dl_src:00:11:22:33:44 ; actions=mod_dl_src:xyzzy ; ip actions=mod_nw_src:1.2.3.4
ip actions=mod_nw_dst:192.168.0.1 ; actions=mod_nw_src:1.2.3.4 ; ip actions=mod_nw_src:1.2.3
ip actions=mod_nw_src:256.1.1.1 ; ip actions=mod_nw_tos:48 ; ip actions=mod_nw_tos(1)
ipv6 actions=mod_nw_tos:4 ; actions=mod_nw_tos:8 ; ip actions=mod_nw_ecn:2
ip actions=mod_nw_ecn(5) ; actions=mod_nw_ecn:1 ; ip actions=mod_nw_ttl:123
ip actions=set_nw_ttl:1 ; actions=mod_nw_ttl:5 ; ip actions=mod_nw_ttl:256
tcp actions=mod_tp_src:80 ; tcp actions=mod_tp_dst:443 ; udp actions=mod_tp_src:53
udp actions=mod_tp_dst:53 ; sctp actions=mod_tp_dst:1000 ; sctp actions=mod_tp_src:1000
ip actions=mod_tp_src:80 ; actions=mod_tp_dst:80 ; tcp actions=mod_tp_src:65536
tcp,nw_frag=later actions=mod_tp_src:1
# set_field
actions=set_field:00:11:22:33:44:55->eth_src
actions=set_field:00:11:22:33:44:55/ff:ff:ff:00:00:00->eth_dst ; actions=set_field:1->reg3
actions=set_field:0x10/0xff->reg3 ; actions=set_field:0x1/0x1->xreg2
actions=set_field:0xffff->xxreg1 ; actions=set_field:0x1234->metadata
actions=set_field:0x1234/0xff00->metadata ; actions=set_field:5->tun_id
actions=set_field:1.2.3.4->tun_src ; actions=set_field:1.2.3.4->tun_dst
actions=set_field:::1->tun_ipv6_src ; actions=set_field:0x10->pkt_mark
actions=set_field:0x1->tun_gbp_id ; actions=set_field:1->tun_flags
actions=set_field:0xffffffff->tun_flags ; actions=set_field:1->ct_mark
actions=set_field:1->ct_label ; actions=set_field:1234->ct_mark ; actions=set_field:4103->vlan_vid
vlan_tci=0x1000/0x1000 actions=set_field:4103->vlan_vid
dl_vlan=5 actions=set_field:4103->vlan_vid ; dl_vlan=5 actions=set_field:7->vlan_vid
dl_vlan=5 actions=set_field:3->vlan_pcp ; actions=set_field:3->vlan_pcp
actions=set_field:0x1005->vlan_tci ; actions=set_field:0->vlan_tci
actions=set_field:0x1005->vlan_tci,set_field:3->vlan_pcp
actions=set_field:0x1000/0x1000->vlan_tci ; ip actions=set_field:1.2.3.4->ip_src
ip actions=set_field:1.2.3.0/255.255.255.0->ip_dst ; ip actions=set_field:1.2.3.4->nw_src
actions=set_field:1.2.3.4->ip_src ; ipv6 actions=set_field:::1->ipv6_src
ipv6 actions=set_field:fe80::1/ffff::->ipv6_dst ; ipv6 actions=set_field:0x12345->ipv6_label
ip actions=set_field:8->nw_tos ; ip actions=set_field:2->ip_dscp ; ip actions=set_field:2->nw_ecn
ip actions=set_field:2->ip_ecn ; ip actions=set_field:64->nw_ttl
tcp actions=set_field:80->tcp_src ; tcp actions=set_field:80->tcp_dst
tcp actions=set_field:80->tp_src ; udp actions=set_field:53->udp_src
udp actions=set_field:53->udp_dst ; sctp actions=set_field:9->sctp_src
sctp actions=set_field:9->sctp_dst ; icmp actions=set_field:8->icmp_type
icmp actions=set_field:1->icmp_code ; icmp6 actions=set_field:135->icmpv6_type
icmp6 actions=set_field:0->icmpv6_code ; arp actions=set_field:2->arp_op
arp actions=set_field:1.2.3.4->arp_spa ; arp actions=set_field:1.2.3.4->arp_tpa
arp actions=set_field:00:11:22:33:44:55->arp_sha
arp actions=set_field:00:11:22:33:44:55->arp_tha
icmp6,icmp_type=135,icmp_code=0 actions=set_field:::1->nd_target
icmp6,icmp_type=135,icmp_code=0 actions=set_field:00:11:22:33:44:55->nd_sll
icmp6,icmp_type=136,icmp_code=0 actions=set_field:00:11:22:33:44:55->nd_tll
mpls actions=set_field:10->mpls_label ; mpls actions=set_field:3->mpls_tc
mpls actions=set_field:10->mpls_ttl ; actions=set_field:10->mpls_label
actions=set_field:5->in_port ; actions=set_field:5->in_port_oxm ; actions=set_field:1
actions=set_field:1-> ; actions=set_field:1->x ; actions=set_field:1->eth_type
actions=set_field:1->NXM_NX_REG0 ; actions=set_field:1->eth_src
actions=set_field:0xffff->ip_dscp ; actions=set_field:0xff->ip_dscp
ip actions=set_field:0xff->ip_dscp ; actions=set_field:0x1/0x1->in_port
actions=set_field:5->dl_vlan ; actions=set_field:2->dl_vlan_pcp ; actions=set_field:1->ct_state
actions=set_field:1->tcp_flags
# load and move
actions=load:0xf009->NXM_OF_VLAN_TCI[] ; actions=load:0->NXM_NX_REG0[]
actions=load:5->reg0[0..3] ; actions=load:0x5->reg0[28..31] ; actions=load:1->reg0[31]
actions=load:0xffffffffffffffff->xreg0[] ; actions=load:0xffffffffffffffffff->xxreg0[0..71]
actions=load:0xffffffffffffffffffffffffffffffff->xxreg3[] ; actions=load:0x123->NXM_NX_TUN_ID[]
actions=load:0x123->tun_id[20..40] ; actions=load:1->metadata[0]
actions=load:1->OXM_OF_METADATA[3] ; actions=load:0x11->NXM_NX_PKT_MARK[]
mpls actions=load:0xa->OXM_OF_MPLS_LABEL[] ; ip actions=load:0x7b->NXM_NX_IP_TTL[]
ip actions=load:0x2->NXM_NX_IP_ECN[] ; ip actions=load:1->ip_src[0..7]
actions=load:1->ip_src[0..7] ; actions=load:0x5->NXM_OF_IN_PORT[] ; actions=load:0xff00->in_port[]
actions=load:1->actset_output[0] ; actions=load:1->eth_type[] ; actions=load:xyzzy->eth_src
actions=load:0xff->eth_src[1..5] ; actions=load:5zzz->reg0[] ; actions=load:0x5->reg0[
actions=load:1->reg99[] ; actions=load:1->reg0[5..3] ; actions=load:1->reg0[32]
actions=load:1->reg0[0..32] ; actions=load:-1->reg0[] ; actions=load:-1->xreg0[]
actions=load:0x1->ct_mark[] ; actions=load:0x10->NXM_NX_CT_LABEL[0..63]
actions=move:NXM_OF_IN_PORT[]->NXM_OF_VLAN_TCI[] ; actions=move:reg0[]->reg1[]
actions=move:reg0[0..15]->reg1[16..31] ; actions=move:xreg0[]->xreg1[]
actions=move:xxreg0[]->xxreg1[] ; actions=move:NXM_NX_TUN_ID[0..31]->NXM_NX_REG0[]
actions=move:tun_id[]->metadata[] ; actions=move:reg0[0..31]->metadata[0..31]
actions=move:actset_output[]->reg0[] ; actions=move:reg0[]->actset_output[]
ip actions=move:ip_src[]->ip_dst[] ; actions=move:ip_src[]->ip_dst[]
actions=move:eth_src[]->eth_dst[] ; actions=move:reg0[]->reg1[0..15] ; actions=move:reg0[]reg1[]
actions=move:reg0[]-> ; actions=move:xyzzy[]->reg0[] ; actions=move:reg0[]->ct_mark[]
actions=move:reg0[]->eth_type[] ; actions=move:dp_hash[]->reg0[] ; actions=push:reg0[]
actions=push:NXM_NX_REG0[0..7] ; actions=pop:reg1[] ; actions=pop:NXM_NX_REG1[8..15]
actions=push:xxreg0[] ; actions=push(eth_dst[]x) ; actions=pop:eth_type[]
ip actions=push:ip_src[],pop:ip_dst[] ; actions=push:ip_src[]
# dec_ttl, mpls
ip actions=dec_ttl ; ip actions=dec_ttl(1) ; ip actions=dec_ttl(0)
ip actions=dec_ttl(32768,12345,90,765,1024) ; ip actions=dec_ttl(1,2) ; actions=dec_ttl
actions=dec_ttl(,) ; ip actions=dec_ttl(x) ; ipv6 actions=dec_ttl
mpls actions=set_mpls_label(10) ; mpls actions=set_mpls_label:10
mpls actions=set_mpls_label(0xfffff) ; actions=set_mpls_label(10) ; actions=set_mpls_label
actions=set_mpls_label(0x100000) ; mpls actions=set_mpls_tc(3) ; actions=set_mpls_tc
actions=set_mpls_tc(8) ; mpls actions=set_mpls_ttl(10) ; actions=set_mpls_ttl
actions=set_mpls_ttl(256) ; mpls actions=dec_mpls_ttl ; actions=dec_mpls_ttl
actions=push_mpls:0x8847 ; actions=push_mpls:0x8848 ; actions=push_mpls:0x1234
ip actions=push_mpls:0x8847,set_mpls_label(5),dec_mpls_ttl
tcp actions=push_mpls:0x8847,fin_timeout(idle_timeout=1) ; mpls actions=pop_mpls:0x0800
mpls actions=pop_mpls:0x8847 ; actions=pop_mpls:0x0800 ; mplsm actions=pop_mpls:0x0800
actions=push_mpls:0x8847,pop_mpls:0x0800,mod_nw_ttl:4 ; actions=push_mpls:xyz
# tunnels, queues, metadata
actions=set_tunnel:0x12345678 ; actions=set_tunnel:5 ; actions=set_tunnel:0
actions=set_tunnel64:0x885f3298 ; actions=set_tunnel64:0xc426384d49c53d60
actions=set_tunnel:0x123456789 ; actions=set_tunnel:xyzzy ; actions=set_queue:2309737729
actions=set_queue:0 ; actions=set_queue:-1 ; actions=pop_queue
actions=set_queue:1,output:2,pop_queue ; actions=write_metadata:0xfedcba9876543210
actions=write_metadata:0xfedcba9876543210/0xffff0000ffff0000 ; actions=write_metadata:0
actions=write_metadata:1/xyz ; actions=write_metadata:x
tcp actions=fin_timeout(idle_timeout=10,hard_timeout=20) ; tcp actions=fin_timeout(idle_timeout=1)
tcp actions=fin_timeout(hard_timeout=5) ; tcp actions=fin_timeout()
actions=fin_timeout(idle_timeout=1) ; tcp actions=fin_timeout(foo=bar)
tcp actions=fin_timeout(idle_timeout=70000)
# resubmit and goto_table
actions=resubmit:5 ; actions=resubmit:LOCAL ; actions=resubmit(10,5) ; actions=resubmit(,5)
actions=resubmit(5,) ; actions=resubmit(5) ; actions=resubmit(,255) ; actions=resubmit(IN_PORT,3)
actions=resubmit(1,2,ct) ; ct_state=+trk+new,ip actions=resubmit(1,2,ct)
ct_state=+trk-inv,ip actions=resubmit(,2,ct) ; ct_state=+trk,ip actions=resubmit(,2,ct)
actions=resubmit(asdf) ; actions=resubmit(,asdf) ; actions=resubmit(1,2,xyzzy)
actions=resubmit(in_port,255) ; actions=resubmit(,256) ; actions=goto_table:1
actions=goto_table:254 ; actions=goto_table:255 ; actions=goto_table:asdf
table=3 actions=goto_table:2 ; table=3 actions=goto_table:3 ; table=3 actions=goto_table:4
actions=resubmit(,1),goto_table:2 ; actions=goto_table:5,goto_table:5
actions=goto_table:5,clone() ; actions=goto_table:5,output:1
# instructions
actions=clear_actions ; actions=clear_actions,goto_table:3 ; actions=write_actions(output:1)
actions=write_actions(drop) ; actions=write_actions()
actions=write_actions(set_field:1->reg0,output:1) ; actions=write_actions(group:1)
actions=write_actions(note:01) ; actions=write_actions(clear_actions)
actions=write_actions(write_actions(output:1)) ; actions=write_actions(meter:1)
actions=write_actions(push_vlan:0x8100,output:1)
actions=output:1,write_actions(output:2),write_metadata:1,goto_table:2
actions=write_actions(output:2),output:1 ; actions=goto_table:2,write_metadata:1
actions=clear_actions,write_actions(output:1) ; actions=write_actions(output:1),clear_actions
actions=meter:1 ; actions=meter:1,output:2 ; actions=output:2,meter:1 ; actions=meter:0
actions=meter:4294901760 ; actions=meter:4294901761 ; actions=meter:1,meter:2
actions=meter:1,write_actions(output:1),goto_table:3 ; actions=meter:x
# learn
actions=learn(table=2,idle_timeout=10,hard_timeout=20,fin_idle_timeout=2,fin_hard_timeout=4,priority=80,cookie=0x123456789abcdef0,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])
actions=learn(table=2,priority=0,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])
actions=learn(NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15])
actions=learn(in_port=99,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_OF_IN_PORT[]->NXM_NX_REG1[16..31])
actions=learn(table=1,hard_timeout=10,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,1)
actions=learn(eth_type=0x800,ip_src=1.2.3.4) ; actions=learn(dl_type=0x800,nw_src=1.2.3.4)
actions=learn(eth_type=0x800,ip_src=1.2.3.0/24) ; actions=learn(ip_src=1.2.3.4)
actions=learn(eth_type=0x800,tcp_dst=80) ; actions=learn(eth_type=0x800,nw_proto=6,tcp_dst=80)
actions=learn(dl_dst=00:11:22:33:44:55) ; actions=learn(reg0=5) ; actions=learn(reg0[0..3]=5)
actions=learn(reg0[0..3]=0x5) ; actions=learn(reg0[0..3]=17)
actions=learn(reg0[0..15]=reg1[16..31]) ; actions=learn(reg0[],reg1[])
actions=learn(load:5->reg0[]) ; actions=learn(load:0x5->reg0[0..3])
actions=learn(load:0->reg2[]) ; actions=learn(load:0xffffffffffffffff->xreg0[])
actions=learn(load:reg0[]->reg1[]) ; actions=learn(load:reg0[0..7]->reg1[8..15])
actions=learn(output:reg0[0..15]) ; actions=learn(output:in_port[])
actions=learn(send_flow_rem,delete_learned) ; actions=learn(limit=10)
actions=learn(limit=1,result_dst=reg0[8]) ; actions=learn(result_dst=reg0[0],reg1[])
actions=learn(cookie=0x10,table=3) ; actions=learn(cookie=0xffffffffffffffff)
actions=learn(priority=65535) ; actions=learn(priority=70000)
actions=learn(idle_timeout=65535,hard_timeout=1) ; actions=learn() ; actions=learn(table=0)
actions=learn(in_port=LOCAL) ; actions=learn(vlan_tci=0x1005)
actions=learn(eth_src=00:11:22:33:44:55/ff:ff:ff:00:00:00)
actions=learn(tun_id=5,NXM_NX_TUN_ID[0..31]) ; actions=learn(load:123->actset_output)
actions=learn(load:1234->eth_dst[0..5]) ; actions=learn(actset_output=0x1000)
actions=learn(eth_type[5]=xyzzy) ; actions=learn(eth_type[0]=eth_type[1..2])
actions=learn(load:->) ; actions=learn(load:x) ; actions=learn(load:1x->foo) ; actions=learn(foo)
actions=learn(table=foo) ; actions=learn(table=255) ; actions=learn(result_dst=tcp_flags)
actions=learn(result_dst=eth_dst) ; actions=learn(result_dst=reg0[0..1])
actions=learn(load:reg0[]->reg1[0..15]) ; actions=learn(load:reg0[]->eth_type[])
actions=learn(ip_dst=1.2.3.4) ; actions=learn(eth_type=0x800,NXM_OF_IP_DST[]=NXM_OF_IP_SRC[])
ip actions=learn(eth_type=0x800,NXM_OF_IP_DST[]=NXM_OF_IP_SRC[])
actions=learn(NXM_OF_IP_DST[]=NXM_OF_IP_SRC[]) ; actions=learn(output:NXM_NX_REG0[0..7])
actions=learn(reg0[0..3]=0x1f)
# conjunction, note, exit, sample
actions=conjunction(1,1/2) ; actions=conjunction(1, 2/3) ; actions=conjunction(4294967295,64/64)
actions=conjunction(0x10,1/2),conjunction(2,2/2) ; actions=conjunction(1,1/2),note:01
actions=note:01,conjunction(1,1/2) ; actions=conjunction(1, 1/1) ; actions=conjunction(1, 1/65)
actions=conjunction(1, 0/2) ; actions=conjunction(1, 3/2) ; actions=conjunction(1,2/3),ct_clear
actions=output:1,conjunction(1,2/3) ; actions=conjunction(1) ; actions=conjunction(1,1/2x)
actions=note:11.e9.9a.ad.67.f3 ; actions=note: ; actions=note:01
actions=note:0102030405060708090a ; actions=note:01 02.03 ; actions=note:x ; actions=note:123
actions=exit ; actions=output:1,exit,output:2
actions=sample(probability=12345,collector_set_id=23456,obs_domain_id=34567,obs_point_id=45678)
actions=sample(probability=1) ; actions=sample(probability=65535,collector_set_id=1)
actions=sample(probability=12345,collector_set_id=23456,obs_domain_id=34567,obs_point_id=45678,sampling_port=56789)
actions=sample(probability=12345,sampling_port=LOCAL)
actions=sample(probability=12345,collector_set_id=23456,obs_domain_id=34567,obs_point_id=45678,sampling_port=56789,egress)
actions=sample(probability=1,ingress) ; actions=sample(probability=1,egress,ingress)
actions=sample(probability=0) ; actions=sample(sampling_port=asdf) ; actions=sample(foo=bar)
actions=sample ; actions=sample(probability=70000)
# multipath, bundle
actions=multipath(eth_src,50,modulo_n,1,0,NXM_NX_REG0[])
actions=multipath(symmetric_l4,1024,hash_threshold,255,0,reg0[0..7])
actions=multipath(symmetric_l3l4,0,hrw,16,0,reg1[0..3])
actions=multipath(symmetric_l3l4+udp,0,iter_hash,10,20,reg2[])
actions=multipath(nw_src,0,modulo_n,1,0,reg0[]) ; actions=multipath(nw_dst,0,modulo_n,1,0,reg0[])
actions=multipath(symmetric_l3,0,modulo_n,65536,0,reg0[])
actions=multipath(ETH_SRC,50,MODULO_N,1,0,NXM_NX_REG0[]) ; actions=multipath(1,2,3,4)
actions=multipath(xyzzy,50,modulo_n,1,0,NXM_NX_REG0[])
actions=multipath(eth_src,50,fubar,1,0,NXM_NX_REG0[])
actions=multipath(eth_src,50,modulo_n,0,0,NXM_NX_REG0[])
actions=multipath(eth_src,50,modulo_n,1024,0,actset_output)
actions=multipath(eth_src,50,modulo_n,1024,0,NXM_NX_REG0[0..7])
actions=multipath(eth_src,50,modulo_n,1,0,eth_type[])
actions=bundle(eth_src,0,hrw,ofport,members:4,8)
actions=bundle(symmetric_l4,60,hrw,ofport,members:1,2,3,4,5)
actions=bundle(symmetric_l4,60,active_backup,ofport,slaves:1,2)
actions=bundle(eth_src,0,hrw,ofport,members:)
actions=bundle(eth_src,0,hrw,ofport,members:LOCAL,IN_PORT)
actions=bundle(eth_src,0,hrw,ofport,members:CONTROLLER)
actions=bundle(eth_src,0,hrw,ofport,members:65500)
actions=bundle(eth_src,0,hrw,ofport,members:ANY)
actions=bundle_load(eth_src,0,hrw,ofport,NXM_NX_REG0[],members:4,8)
actions=bundle_load(symmetric_l3l4,5,active_backup,ofport,reg1[0..15],members:1)
actions=bundle:123 ; actions=bundle(symmetric_l4,60,hrw,ofport,ports:1,2,3,4,5)
actions=bundle(symmetric_l4,60,hrw,ofport,members:xyzzy,2,3,4,5)
actions=bundle(asymmetric_l4,60,hrw,ofport,members:1,2,3,4,5)
actions=bundle(symmetric_l4,60,hrt,ofport,members:1,2,3,4,5)
actions=bundle(symmetric_l4,60,hrw,odpport,members:1,2,3,4,5)
actions=bundle_load(symmetric_l4,60,hrw,ofport,actset_output,members:1,2,3,4,5)
actions=bundle_load(symmetric_l4,60,hrw,ofport,eth_type[],members:1)
# conntrack
ip actions=ct() ; ip actions=ct ; ip actions=ct(commit) ; ip actions=ct(commit,force)
ip actions=ct(table=10) ; ip actions=ct(zone=10) ; ip actions=ct(zone=NXM_NX_REG0[0..15])
ip actions=ct(zone=reg0[0..7]) ; ip actions=ct(commit,zone=5,table=3)
ip actions=ct(commit,exec(load:0xf009->NXM_NX_CT_MARK[]))
ip actions=ct(commit,force,exec(load:0xf009->NXM_NX_CT_MARK[]))
ip actions=ct(commit,exec(load:0->NXM_NX_CT_LABEL[64..127],load:0x1d->NXM_NX_CT_LABEL[0..63]))
ip actions=ct(commit,exec(set_field:1->ct_mark,set_field:2->ct_label))
ip actions=ct(commit,exec(set_field:1/1->ct_mark)) ; ip actions=ct(exec(set_field:1->ct_mark))
ip actions=ct(commit,exec()) ; ip actions=ct(alg=ftp) ; tcp actions=ct(alg=ftp)
udp actions=ct(alg=tftp) ; tcp actions=ct(alg=tftp) ; ip actions=ct(alg=foo)
ip actions=ct(commit,nat(src)) ; ip actions=ct(commit,nat(dst)) ; ip actions=ct(nat)
ip actions=ct(commit,nat(src=10.0.0.240,random))
ip actions=ct(commit,nat(src=10.0.0.240:32768-65535,random))
ip actions=ct(commit,nat(dst=10.0.0.128-10.0.0.254,hash))
ip actions=ct(commit,nat(src=10.0.0.240-10.0.0.254:32768-65535,persistent))
ip actions=ct(commit,nat(src=10.0.0.1-10.0.0.1)) ; ip actions=ct(commit,nat(src=10.0.0.1:80))
ip actions=ct(commit,nat(src=10.0.0.1:80-80)) ; ip actions=ct(commit,nat(src,persistent))
ipv6 actions=ct(commit,nat(src=fe80::20c:29ff:fe88:a18b,random))
ipv6 actions=ct(commit,nat(src=fe80::20c:29ff:fe88:1-fe80::20c:29ff:fe88:a18b,random))
ipv6 actions=ct(commit,nat(src=[fe80::20c:29ff:fe88:1]-[fe80::20c:29ff:fe88:a18b]:255-4096,random))
ipv6 actions=ct(commit,nat(dst=[::1]:80)) ; ip actions=ct(commit,nat(src=fe80::1))
ipv6 actions=ct(commit,nat(src=10.0.0.1)) ; ip actions=ct(commit,nat(src=1.2.3))
ip actions=ct(commit,nat(src=10.0.0.1),exec(set_field:1->ct_mark))
ip actions=ct(commit,exec(set_field:1->ct_mark),nat(src=10.0.0.1))
ip actions=ct(nat(src=10.0.0.1)) ; ip actions=ct(commit,exec(nat(src=10.0.0.1)))
ip actions=ct(table=asdf) ; ip actions=ct(table=255) ; ip actions=ct(foo=bar)
ip actions=ct(force) ; ip actions=ct(zone=xyzzy) ; ip actions=ct(commit,exec(push_vlan(0x8100)))
ip actions=ct(commit,exec(set_field:12:34:56:78:9a:bc->eth_dst))
ip actions=ct(commit,exec(ct())) ; ip actions=ct(commit,exec(meter:1))
ip actions=nat(src=1.2.3.4x) ; ip actions=ct(commit,nat(src=1.2.3.4x))
ip actions=ct(commit,nat(src=1.2.3.4-0.1.2.3)) ; ip actions=ct(commit,nat(foo=bar))
ip actions=ct(commit,nat(src=1.2.3.4,dst=2.3.4.5)) ; ip actions=ct(commit,nat(persistent))
ip actions=ct(commit,nat(src=1.2.3.4,hash,random)) ; ip actions=ct(commit,nat(src=1.2.3.4:5-4))
ip actions=nat ; actions=ct() ; arp actions=ct() ; ct_state=+inv,ip actions=ct(commit)
ct_state=+inv,ip actions=ct() ; ip actions=ct_clear ; actions=ct_clear
actions=set_field:1234->ct_mark ; actions=move:reg0[]->ct_label[0..31]
# clone
actions=clone(output:1) ; actions=clone() ; actions=clone(mod_vlan_vid:5,output:10)
actions=clone(clone(output:1),output:2) ; actions=clone(push_vlan:0x8100,output:1)
actions=push_vlan:0x8100,clone(output:1) ; actions=clone(output:1),push_vlan:0x8100
actions=clone(goto_table:1) ; actions=clone(meter:1) ; actions=clone(nat)
actions=clone(set_field:1->ct_mark) ; ip actions=clone(ct(commit))
mpls actions=clone(pop_mpls:0x0800),set_mpls_ttl(1) ; actions=clone(pop_mpls:0x0800)
ip actions=clone(mod_nw_ttl:1) ; actions=clone(xyzzy)
# check_pkt_larger, delete_field, debug, encap, decap, nsh
actions=check_pkt_larger(1500)->NXM_NX_REG0[0] ; actions=check_pkt_larger(1000)->NXM_NX_XXREG1[4]
actions=check_pkt_larger(0)->reg0[31] ; actions=check_pkt_larger(1500)->reg0
actions=check_pkt_larger(1500)->eth_type[0] ; actions=check_pkt_larger(x)->reg0[0]
actions=check_pkt_larger(1500) ; actions=delete_field:reg0 ; actions=delete_field:xyzzy
actions=debug_recirc ; actions=debug_slow ; actions=encap(ethernet) ; actions=encap(nsh)
actions=encap(nsh(md_type=1)) ; actions=encap(nsh(md_type=2,tlv(0x1000,10,0x12345678)))
actions=encap(nsh(md_type=2,tlv(0x1000,10,0x12345678),tlv(0x2000,20,0xfedcba9876543210)))
actions=encap(mpls) ; actions=encap(mpls_mc) ; actions=encap(,) ; actions=encap(x(y))
actions=encap(nsh(type=1)) ; actions=encap(nsh(md_type)) ; actions=encap(nsh(md_type=3))
actions=encap(nsh(tlv(,,))) ; actions=encap(ethernet(md_type=1)) ; actions=encap(ethernet),decap()
actions=decap() ; actions=decap ; actions=decap(packet_type(ns=1,type=0x800))
actions=decap(packet_type(ns=0,type=0)) ; actions=decap(packet_type(x))
actions=decap(packet_type(ns=99)) ; actions=decap(packet_type(ns=0)) ; actions=decap(foo=bar)
actions=dec_nsh_ttl ; dl_type=0x894f actions=dec_nsh_ttl ; actions=encap(nsh),dec_nsh_ttl
actions=unroll_xlate
# more field formats
actions=set_field:0xffff->in_port ; actions=set_field:65534->in_port
actions=set_field:1/1->tun_flags
actions=set_field:0x1/0xffffffffffffffffffffffffffffffff->ct_label
ip actions=ct(commit,exec(set_field:0x1/0xff000000000000000000000000000000->ct_label))
actions=set_field:0x1234/0xffff->tun_gbp_id ; actions=set_field:0x12->tun_gbp_flags
actions=set_field:0x1/0x3->pkt_mark ; actions=set_field:1.2.3.0/24->tun_dst
ipv6 actions=set_field:::1/64->ipv6_src
icmp6,icmp_type=135,icmp_code=0 actions=set_field:::1/::ffff->nd_target
actions=learn(eth_type=0x86dd,ipv6_src=::1) ; actions=learn(eth_type=0x86dd,ipv6_src=fe80::1/64)
actions=learn(in_port=1) ; actions=learn(eth_type=0x800,nw_proto=6,tcp_flags=0x2)
actions=learn(pkt_mark=0x5) ; actions=learn(metadata=0x10)
actions=learn(NXM_NX_TUN_ID[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[])
actions=learn(xreg0[0..31]=reg0[])
actions=learn(eth_src=00:11:22:33:44:55,load:eth_src[]->eth_dst[]) ; actions=learn(dl_vlan=5)
actions=learn(vlan_vid=0x1005) ; actions=learn(reg0[5]=1) ; actions=learn(reg0[5]=2)
actions=learn(load:0x10->reg0[28..31]) ; actions=learn(load:0x1->NXM_NX_REG0[31])
actions=learn(output:NXM_NX_TUN_ID[]) ; actions=multipath(eth_src,50,modulo_n,1,0,xxreg0[0..15])
actions=multipath(eth_src,65535,modulo_n,1,4294967295,NXM_NX_REG0[])
actions=multipath(eth_src,-1,modulo_n,1,-1,NXM_NX_REG0[])
actions=bundle(eth_src,-1,hrw,ofport,members:1)
actions=sample(probability=1,collector_set_id=4294967295,obs_domain_id=4294967295,obs_point_id=4294967295)
actions=sample(probability=1,collector_set_id=4294967296) ; actions=controller(max_len=0x10)
actions=controller(reason=) ; actions=controller(reason=NO_MATCH) ; actions=note:0102,note:03
actions=learn(table=1,hard_timeout=10,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),learn(table=2)
actions=resubmit(CONTROLLER,5) ; actions=resubmit(NONE) ; actions=enqueue(NONE,1)
actions=set_queue:4294967296 ; actions=group:-1 ; actions=mod_vlan_vid:-1
actions=mod_vlan_vid:0x1000 ; actions=load:0x1->vlan_tci[12]
vlan_tci=0x1000/0x1000 actions=load:0->vlan_tci[] ; actions=move:vlan_tci[]->reg0[0..15]
actions=move:NXM_OF_VLAN_TCI[0..11]->NXM_OF_VLAN_TCI[0..11] ; actions=push:NXM_OF_VLAN_TCI[]
actions=set_field:0x5->vlan_tci,set_field:0->vlan_tci,mod_vlan_vid:1
dl_vlan=1 actions=strip_vlan,strip_vlan
actions=push_vlan:0x8100,strip_vlan,set_field:1->vlan_pcp
# combinations and syntax
actions=output:1 output:2 ; actions=output:1, output:2
actions=mod_vlan_vid:9,mod_vlan_pcp:6,output:3
ip actions=mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,output:1
actions=push_vlan:0x8100,set_field:4102->vlan_vid,output:1,pop_vlan
actions=resubmit(,1),resubmit(,2),resubmit(,3)
actions=set_field:1->reg0,set_field:2->reg1,move:reg0[]->reg2[],output:reg2[0..15]
actions=Output:1 ; actions=RESUBMIT:5 ; actions=Mod_Vlan_Vid:3 ; actions=output:1,drop
`;

const VERSIONS = [1, 2, 3, 4, 5, 6];
const VERSION_NAMES = [
  "",
  "OpenFlow10",
  "OpenFlow11",
  "OpenFlow12",
  "OpenFlow13",
  "OpenFlow14",
  "OpenFlow15",
];
const OFPP_MAX = 0xff00;

interface Case {
  line: string;
  match: string;
  actions: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const raw of CORPUS.split("\n").flatMap((l) => l.split(" ; "))) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const at = line.indexOf("actions=");
    out.push({
      line,
      match: line.slice(0, at).trim().replace(/,$/, ""),
      actions: line.slice(at + "actions=".length),
    });
  }
  return out;
}

type Outcome =
  | { kind: "error"; message: string }
  | { kind: "ok"; usable: Protocols; texts: Map<number, string>; wire: Map<number, string> };

/** Our side: parse-flow's parse, check and the wire round trip for each usable version. */
function ours(c: Case): Outcome {
  const mctx = newMatchParseContext();
  const match = parseMatch(c.match.replace(/(^|,)table=\d+/, ""), mctx);
  // A flow in a given table needs a protocol with table ids (upstream's OFPUTIL_P_TID).
  if (tableOf(c) !== 255) mctx.usableProtocols &= P_TID;
  let parsed;
  try {
    parsed = parseActions(c.actions);
  } catch (e) {
    if (e instanceof ParseError) return { kind: "error", message: e.message };
    throw e;
  }
  let usable = mctx.usableProtocols & parsed.usable;
  try {
    usable &= checkActions(parsed.ofpacts, match, {
      maxPorts: OFPP_MAX,
      tableId: tableOf(c),
      nTables: 255,
    });
    if (!usable) throw new OfpError("OFPBAC_MATCH_INCONSISTENT");
  } catch (e) {
    if (e instanceof OfpError) {
      return {
        kind: "error",
        message: `actions are invalid with specified match (${e.errorName})`,
      };
    }
    throw e;
  }
  const texts = new Map<number, string>();
  const wire = new Map<number, string>();
  for (const v of VERSIONS) {
    if (!(usable & protocolsFromVersion(v))) continue;
    const bytes = encodeInstructions(parsed.ofpacts, v);
    wire.set(v, hex(bytes));
    try {
      // As ofp-print decodes a flow mod: the actions, then their consistency with the match in
      // the protocol the message was sent in.
      const decoded = decodeInstructions(bytes, v);
      checkActions(decoded, match, {
        maxPorts: OFPP_MAX,
        tableId: tableOf(c),
        nTables: 255,
        usable: protocolFromVersion(v),
      });
      texts.set(v, formatActions(decoded));
    } catch (e) {
      if (!(e instanceof OfpError)) throw e;
      texts.set(v, `decode error: ${e.errorName}`);
    }
  }
  return { kind: "ok", usable, texts, wire };
}

function tableOf(c: Case): number {
  const m = /(?:^|[ ,])table=(\d+)/.exec(c.match);
  return m ? Number(m[1]) : 255;
}

async function ofctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("ovs-ofctl", { args, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs `jobs` with at most `n` at a time. */
async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  }));
  return results;
}

/** ovs-ofctl's verdict on one flow, alone: its error text, or its usable protocols. */
async function upstreamSingle(c: Case): Promise<{ error?: string; usable?: string }> {
  const r = await ofctl(["parse-flow", c.line]);
  if (r.code !== 0) {
    const usable = /^usable protocols: (.*)$/m.exec(r.stdout)?.[1];
    const fatal = r.stderr.split("\n").filter((l) => l.startsWith("ovs-ofctl: ")).pop();
    const error = fatal?.slice("ovs-ofctl: ".length) ?? r.stderr.trim();
    return usable && error === "no usable protocol" ? { usable } : { error };
  }
  return { usable: /^usable protocols: (.*)$/m.exec(r.stdout)?.[1] ?? "" };
}

/** The usable protocols ovs-ofctl reports for a whole batch of flows (undefined if it fails). */
async function upstreamUsable(lines: string[]): Promise<string | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "ovs-actions-" });
  try {
    const file = `${dir}/flows`;
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const r = await ofctl(["parse-flows", file]);
    return /^usable protocols: (.*)$/m.exec(r.stdout)?.[1];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/**
 * The actions or instructions of a flow mod ovs-ofctl encoded: after the OpenFlow 1.0 standard
 * match, the NXM match, or the OpenFlow 1.1+ match (each padded to 8 bytes).
 */
function flowModActions(msg: Uint8Array): Uint8Array {
  const v = new DataView(msg.buffer, msg.byteOffset, msg.length);
  let at: number;
  if (msg[0] === 1) {
    at = msg[1] === 14 ? 72 : 48 + Math.ceil(v.getUint16(40) / 8) * 8;
  } else {
    at = 48 + Math.ceil(v.getUint16(50) / 8) * 8;
  }
  return msg.subarray(at, v.getUint16(2));
}

/**
 * Each flow's actions text after ovs-ofctl's round trip through `version`, and the bytes of its
 * encoding (printed with -mmmmm).
 */
async function upstreamBatch(
  lines: string[],
  version: number,
): Promise<{ texts: string[]; wire: string[] } | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "ovs-actions-" });
  try {
    const file = `${dir}/flows`;
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const r = await ofctl(["-mmmmm", "-O", VERSION_NAMES[version]!, "parse-flows", file]);
    if (r.code !== 0) return undefined;
    const texts: string[] = [];
    const dumps: number[][] = [];
    for (const l of r.stdout.split("\n")) {
      if (l.includes("_FLOW_MOD")) {
        const at = l.indexOf(" actions=");
        const bad = /\*\*\*decode error: (\S+)\*\*\*/.exec(l);
        texts.push(
          at >= 0 ? l.slice(at + " actions=".length) : bad ? `decode error: ${bad[1]}` : l,
        );
        dumps.push([]);
        continue;
      }
      const dump = /^[0-9a-f]{8} {2}((?:[0-9a-f]{2}[ -]){1,16})/.exec(l);
      if (dump && dumps.length) {
        dumps[dumps.length - 1]!.push(...dump[1]!.trim().split(/[ -]/).map((h) => parseInt(h, 16)));
      }
    }
    if (texts.length !== lines.length) return undefined;
    // A decode error prints the message twice (text and hex); the first copy is the message.
    const wire = dumps.map((d) => {
      const msg = Uint8Array.from(d);
      const len = new DataView(msg.buffer).getUint16(2);
      return hex(flowModActions(msg.subarray(0, len)));
    });
    return { texts, wire };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

testIf(
  needPrograms("ovs-ofctl"),
  "actions text, checks and wire round trips agree with ovs-ofctl parse-flow(s) for every corpus line",
  async () => {
    const all = cases();
    const mine = all.map(ours);
    const problems: string[] = [];

    // Errors, and the usable protocols of every flow on its own.
    // Flows we accept for every protocol can only disagree by failing upstream or being
    // narrower there, which one batch shows (its usable protocols are the intersection, and it
    // stops at a failing flow); every other flow is asked about on its own.
    const anyIdx = mine.flatMap((m, i) => (m.kind === "ok" && m.usable === P_ANY ? [i] : []));
    const batch = await upstreamUsable(anyIdx.map((i) => all[i]!.line));
    const alone = new Set(batch === "any" ? anyIdx : []);
    const asked = all.map((_, i) => i).filter((i) => !alone.has(i));
    const answers = await pool(4, asked.map((i) => () => upstreamSingle(all[i]!)));
    asked.forEach((i, k) => {
      const c = all[i]!;
      const m = mine[i]!;
      const u = answers[k]!;
      if (m.kind === "error") {
        if (u.error !== m.message) {
          problems.push(
            `${c.line}\n  ours:     error: ${m.message}\n  upstream: ${
              u.error ?? "usable " + u.usable
            }`,
          );
        }
      } else if (u.error !== undefined) {
        problems.push(
          `${c.line}\n  ours:     usable ${
            protocolsToString(m.usable)
          }\n  upstream: error: ${u.error}`,
        );
      } else if (u.usable !== protocolsToString(m.usable)) {
        problems.push(
          `${c.line}\n  ours:     usable ${
            protocolsToString(m.usable)
          }\n  upstream: usable ${u.usable}`,
        );
      }
    });

    // The wire round trip, batched per version over the flows that version can express.
    let compared = 0;
    let wireCompared = 0;
    for (const v of VERSIONS) {
      const idx = mine.flatMap((m, i) => (m.kind === "ok" && m.texts.has(v) ? [i] : []));
      if (!idx.length) continue;
      const upstream = await upstreamBatch(idx.map((i) => all[i]!.line), v);
      if (!upstream) {
        problems.push(`${VERSION_NAMES[v]}: ovs-ofctl parse-flows refused the batch`);
        continue;
      }
      const { texts, wire } = upstream;
      idx.forEach((i, k) => {
        compared++;
        if (wire[k]) wireCompared++;
        const m = mine[i]!;
        const ourWire = m.kind === "ok" ? m.wire.get(v) : undefined;
        if (ourWire !== wire[k]) {
          problems.push(
            `${all[i]!.line}\n  ${VERSION_NAMES[v]} ours:     ${ourWire}\n  ${
              VERSION_NAMES[v]
            } upstream: ${wire[k]}`,
          );
        }
        const ourText = m.kind === "ok" ? m.texts.get(v) : undefined;
        if (ourText !== texts[k]) {
          problems.push(
            `${all[i]!.line}\n  ${VERSION_NAMES[v]} ours:     ${ourText}\n  ${
              VERSION_NAMES[v]
            } upstream: ${texts[k]}`,
          );
        }
      });
    }
    assertEquals(
      problems,
      [],
      `${problems.length} of ${all.length} flows differ:\n${problems.join("\n")}`,
    );
    // The corpus must exercise both sides: errors, and round trips in every version.
    const errors = mine.filter((m) => m.kind === "error").length;
    assertEquals({
      errorsAbove150: errors > 150,
      roundTripsAbove1500: compared > 1500,
      encodingsAbove1500: wireCompared > 1500,
    }, { errorsAbove150: true, roundTripsAbove1500: true, encodingsAbove1500: true });
  },
);
