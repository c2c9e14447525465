/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tc ingress of the node's uplink: NodePort and LoadBalancer traffic from outside the node.
 *
 *  - A packet to a frontend of external scope gets a backend. externalTrafficPolicy Cluster:
 *    any backend, and the client is masqueraded to the node address (and a free port) so the
 *    reply returns through this node; Local: node-local backends only, the client address kept,
 *    no local backend -> dropped (or refused, if the service asks); a TCP connection whose backend
 *    left the service gets a RST. The kernel then routes the
 *    translated packet: to a local pod's veth, or to the node owning the backend's pod CIDR.
 *  - A reply from a remote backend to a masqueraded connection is translated back (source: the
 *    frontend, destination: the client) and forwarded out again by the kernel.
 * Everything else passes untouched: this is the node's own link, except a packet from the hairpin
 * service loopback address, which no sender outside the node may use (see lb.h): dropped.
 */
#include "lib/verdict.h"
#include "lib/lb.h"
#include "lib/reject.h"

SEC("tc")
int from_netdev(struct __sk_buff *skb)
{
	if (skb->vlan_present)
		return TC_ACT_OK;
	struct flow flow;
	__builtin_memset(&flow, 0, sizeof(flow));
	if (parse_packet(skb, &flow) != PARSE_OK)
		return TC_ACT_OK;
	if (from_service_loopback(&flow.tuple))
		return drop(skb, UPLINK_ENDPOINT_ID, DIR_INGRESS, DROP_SOURCE_SPOOFED);
	__u64 now = bpf_ktime_get_ns();

	struct lb_scratch *scratch = lb_scratch_space();
	if (!scratch)
		return TC_ACT_OK;
	struct lb_reverse *reverse = &scratch->reverse;
	if (lb_reverse_lookup(&flow, REVERSE_AT_UPLINK, now, reverse)) {
		if (lb_rewrite_reverse(skb, &flow, reverse) < 0)
			return drop(skb, UPLINK_ENDPOINT_ID, DIR_INGRESS, DROP_SERVICE_NAT_FAILED);
		return TC_ACT_OK;
	}

	struct lb_decision *lb = &scratch->decision;
	int decision = lb_forward(&flow, SCOPE_EXTERNAL, now, lb);
	if (decision == LB_RETIRED) {
		/* Counted; the segment itself goes nowhere. A RST is never answered with a RST. */
		drop(skb, UPLINK_ENDPOINT_ID, DIR_INGRESS, DROP_SERVICE_BACKEND_RETIRED);
		if (flow.tcp_flags & TCP_FLAG_RST)
			return TC_ACT_SHOT;
		decision = LB_REJECT;
	}
	switch (decision) {
	case LB_REJECT:
		if (build_reject(skb, &flow) < 0)
			return drop(skb, UPLINK_ENDPOINT_ID, DIR_INGRESS, DROP_SERVICE_NAT_FAILED);
		/* Back out of the link it came in on, to the sender's MAC. */
		return bpf_redirect(skb->ifindex, 0);
	case LB_DROP:
		return drop(skb, UPLINK_ENDPOINT_ID, DIR_INGRESS, DROP_SERVICE_NO_BACKEND);
	case LB_DNAT:
		if (lb->is_new && (lb->forward.flags & NAT_SNAT) && lb_allocate_snat(&flow, lb) < 0)
			return drop(skb, UPLINK_ENDPOINT_ID, DIR_INGRESS, DROP_SERVICE_NAT_FAILED);
		lb_commit(lb);
		if (lb_rewrite_forward(skb, &flow, lb) < 0)
			return drop(skb, UPLINK_ENDPOINT_ID, DIR_INGRESS, DROP_SERVICE_NAT_FAILED);
		return TC_ACT_OK;
	default:
		return TC_ACT_OK;
	}
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
