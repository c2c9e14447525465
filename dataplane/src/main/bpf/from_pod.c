/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tc ingress of a pod's host-side veth: every packet the pod sends. Judges the pod's egress policy
 * (and that the pod does not spoof its source address).
 */
#include "lib/verdict.h"

SEC("tc")
int from_pod(struct __sk_buff *skb)
{
	return endpoint_verdict(skb, DIR_EGRESS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
