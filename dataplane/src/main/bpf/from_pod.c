/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tc ingress of a pod's host-side veth: every packet the pod sends.
 *
 *  1. Service NAT first: a packet to a service frontend (ClusterIP, or any frontend of internal
 *     scope) gets its backend, from the connection's NAT entry or, for a new connection, from
 *     affinity or the 5-tuple hash; a frontend without backends is refused at once (RST / ICMP
 *     port unreachable sent straight back into the pod) or dropped, as the service asks. A TCP
 *     connection whose backend left the service is answered with a RST the same way (a SYN
 *     reusing its 5-tuple is balanced anew instead).
 *  2. The pod's egress policy (and anti-spoofing) judges the packet as it will leave: to the
 *     backend, as Kubernetes requires.
 *  3. Only then the NAT entries are recorded and the packet rewritten.
 * A reply of an external (NodePort / LoadBalancer) connection leaving a local backend is
 * translated back here, after the backend's egress policy judged it untranslated.
 * Hairpin (the pod is its own backend, see lb.h): both directions are translated here and sent
 * straight back into the pod, without policy.
 */
#include "lib/verdict.h"
#include "lib/lb.h"
#include "lib/reject.h"

SEC("tc")
int from_pod(struct __sk_buff *skb)
{
	struct endpoint_info *endpoint = 0;
	struct flow flow;
	int verdict = TC_ACT_SHOT;
	if (endpoint_prologue(skb, DIR_EGRESS, &endpoint, &flow, &verdict) == ENDPOINT_DONE || !endpoint)
		return verdict;
	__u32 endpoint_id = endpoint->endpoint_id;
	__u64 now = bpf_ktime_get_ns();

	struct lb_scratch *scratch = lb_scratch_space();
	if (!scratch)
		return drop(skb, endpoint_id, DIR_EGRESS, DROP_SERVICE_NAT_FAILED);
	struct lb_decision *lb = &scratch->decision;
	int decision = lb_forward(&flow, SCOPE_INTERNAL, now, lb);
	if (decision == LB_RETIRED) {
		/* Counted; the segment itself goes nowhere. A RST is never answered with a RST. */
		drop(skb, endpoint_id, DIR_EGRESS, DROP_SERVICE_BACKEND_RETIRED);
		if (flow.tcp_flags & TCP_FLAG_RST)
			return TC_ACT_SHOT;
		decision = LB_REJECT;
	}
	switch (decision) {
	case LB_REJECT:
		if (build_reject(skb, &flow) < 0)
			return drop(skb, endpoint_id, DIR_EGRESS, DROP_SERVICE_NAT_FAILED);
		/* Into the pod directly: the answer is not the pod's ingress traffic to judge. */
		return bpf_redirect_peer(skb->ifindex, 0);
	case LB_DROP:
		return drop(skb, endpoint_id, DIR_EGRESS, DROP_SERVICE_NO_BACKEND);
	case LB_DNAT: {
		if (lb->forward.flags & NAT_HAIRPIN) {
			/*
			 * The pod reached itself through a Service: no policy (a pod always reaches
			 * itself, as upstream's loopback rule says), source to the service loopback
			 * address, and straight back into the pod.
			 */
			if (lb->is_new && lb_allocate_snat(&flow, lb) < 0)
				return drop(skb, endpoint_id, DIR_EGRESS, DROP_SERVICE_NAT_FAILED);
			lb_commit(lb);
			if (lb_rewrite_forward(skb, &flow, lb) < 0)
				return drop(skb, endpoint_id, DIR_EGRESS, DROP_SERVICE_NAT_FAILED);
			return lb_turn_around(skb);
		}
		scratch->original = flow.tuple;
		flow.tuple = lb->translated;
		verdict = policy_verdict(skb, endpoint, &flow, DIR_EGRESS, now);
		flow.tuple = scratch->original;
		if (verdict != TC_ACT_OK)
			return verdict;
		lb_commit(lb);
		if (lb_rewrite_forward(skb, &flow, lb) < 0)
			return drop(skb, endpoint_id, DIR_EGRESS, DROP_SERVICE_NAT_FAILED);
		return TC_ACT_OK;
	}
	default:
		break;
	}

	struct lb_reverse *reverse = &scratch->reverse;
	int is_reply = lb_reverse_lookup(&flow, REVERSE_AT_FROM_POD, now, reverse);
	if (is_reply && (reverse->entry.flags & NAT_HAIRPIN)) {
		/* The pod answering its own hairpin connection: back into the pod, from the frontend. */
		if (lb_rewrite_reverse(skb, &flow, reverse) < 0)
			return drop(skb, endpoint_id, DIR_EGRESS, DROP_SERVICE_NAT_FAILED);
		return lb_turn_around(skb);
	}
	verdict = policy_verdict(skb, endpoint, &flow, DIR_EGRESS, now);
	if (verdict != TC_ACT_OK)
		return verdict;
	if (is_reply && lb_rewrite_reverse(skb, &flow, reverse) < 0)
		return drop(skb, endpoint_id, DIR_EGRESS, DROP_SERVICE_NAT_FAILED);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
