/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tc egress of a pod's host-side veth: every packet delivered to the pod. Judges the pod's
 * ingress policy.
 */
#include "lib/verdict.h"

SEC("tc")
int to_pod(struct __sk_buff *skb)
{
	return endpoint_verdict(skb, DIR_INGRESS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
