/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tc egress of a pod's host-side veth: every packet delivered to the pod. Judges the pod's
 * ingress policy on the packet as it arrives (a service reply still carries the backend as its
 * source, so the connection the pod's egress admitted to the backend matches), then translates
 * replies of the pod's own service connections back to the frontend it connected to (the
 * client's node holds the NAT entry, wherever the backend runs), ICMP errors about them included.
 * A packet from the hairpin service loopback address is dropped first: the programs' own hairpin
 * packets never come this way (see lb.h).
 */
#include "lib/verdict.h"
#include "lib/lb.h"

SEC("tc")
int to_pod(struct __sk_buff *skb)
{
	struct endpoint_info *endpoint = 0;
	struct flow flow;
	int verdict = TC_ACT_SHOT;
	if (endpoint_prologue(skb, DIR_INGRESS, &endpoint, &flow, &verdict) == ENDPOINT_DONE || !endpoint)
		return verdict;
	if (from_service_loopback(&flow.tuple))
		return drop(skb, endpoint->endpoint_id, DIR_INGRESS, DROP_SOURCE_SPOOFED);
	__u64 now = bpf_ktime_get_ns();

	verdict = policy_verdict(skb, endpoint, &flow, DIR_INGRESS, now);
	if (verdict != TC_ACT_OK)
		return verdict;
	struct lb_scratch *scratch = lb_scratch_space();
	if (!scratch)
		return drop(skb, endpoint->endpoint_id, DIR_INGRESS, DROP_SERVICE_NAT_FAILED);
	struct lb_reverse *reverse = &scratch->reverse;
	if (lb_reverse_lookup(&flow, REVERSE_AT_TO_POD, now, reverse) && lb_rewrite_reverse(skb, &flow, reverse) < 0)
		return drop(skb, endpoint->endpoint_id, DIR_INGRESS, DROP_SERVICE_NAT_FAILED);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
