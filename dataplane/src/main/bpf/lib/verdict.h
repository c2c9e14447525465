/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The per-packet decision both programs make for "their" endpoint, the pod behind the host-side
 * veth the program runs on (skb->ifindex). from_pod judges the pod's egress, to_pod its ingress.
 */
#ifndef JUTE_VERDICT_H
#define JUTE_VERDICT_H

#include "maps.h"
#include "packet.h"
#include "conntrack.h"
#include "policy.h"

JUTE_INLINE int drop(struct __sk_buff *skb, __u32 endpoint_id, __u8 direction, __u8 reason)
{
	struct drop_key key = { .endpoint_id = endpoint_id, .reason = reason, .direction = direction };
	struct drop_value *counter = bpf_map_lookup_elem(&drops, &key);
	if (counter) {
		/* Per-CPU value: this CPU's slot, no atomics needed. */
		counter->packets += 1;
		counter->bytes += skb->len;
	} else {
		struct drop_value first = { .packets = 1, .bytes = skb->len };
		/* NOEXIST: another CPU may have created the key meanwhile; then this one packet goes uncounted. */
		bpf_map_update_elem(&drops, &key, &first, BPF_NOEXIST);
	}
	return TC_ACT_SHOT;
}


JUTE_INLINE int is_ipv6_link_local(const __u8 *addr)
{
	return addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
}

JUTE_INLINE int is_ipv6_link_scope_multicast(const __u8 *addr)
{
	return addr[0] == 0xff && (addr[1] & 0x0f) == 0x02;
}

/*
 * Whether a packet leaving the pod carries one of the pod's own addresses as its source. IPv6
 * link-local sources are the pod's too, as long as the packet stays on the link.
 */
JUTE_INLINE int source_is_pods(const struct endpoint_info *endpoint, const struct tuple *t)
{
	if (t->family == FAMILY_IPV4) {
		__u32 source, own;
		__builtin_memcpy(&source, t->saddr, 4);
		__builtin_memcpy(&own, endpoint->ipv4, 4);
		return source == own && own != 0;
	}
	if (is_ipv6_link_local(t->saddr))
		return is_ipv6_link_local(t->daddr) || is_ipv6_link_scope_multicast(t->daddr);
	__u64 source[2], own[2];
	__builtin_memcpy(source, t->saddr, 16);
	__builtin_memcpy(own, endpoint->ipv6, 16);
	return source[0] == own[0] && source[1] == own[1] && (own[0] | own[1]) != 0;
}

/*
 * The policy half of the decision for an endpoint and direction, on the packet as `flow`
 * describes it (for a service connection: the translated packet, so policy sees the backend).
 */
JUTE_INLINE int policy_verdict(struct __sk_buff *skb, const struct endpoint_info *endpoint, const struct flow *flow,
			       __u8 direction, __u64 now)
{
	__u32 endpoint_id = endpoint->endpoint_id;
	if (flow->fragment == FRAG_LATER) {
		if (fragment_admitted(flow, endpoint_id, now))
			return TC_ACT_OK;
		return drop(skb, endpoint_id, direction, DROP_FRAGMENT_UNTRACKED);
	}

	if (flow->l4_kind == L4_ICMP_ERROR && ct_related(flow, endpoint_id, now))
		return TC_ACT_OK;

	int tracked = ct_lookup(flow, endpoint_id, now);
	if (tracked != CT_ESTABLISHED) {
		const __u8 *remote = direction == DIR_EGRESS ? flow->tuple.daddr : flow->tuple.saddr;
		int has_ports = flow->l4_kind == L4_PORTS;
		if (!policy_allows(endpoint, direction, flow->tuple.family, remote, flow->tuple.protocol,
				   flow->tuple.dport, has_ports))
			return drop(skb, endpoint_id, direction, DROP_POLICY_DENIED);
		/* Stateless ICMP (errors about nothing tracked, other types) is judged packet by packet. */
		if (flow->l4_kind != L4_ICMP_ERROR && flow->l4_kind != L4_ICMP_ECHO_REPLY &&
		    !(flow->l4_kind == L4_NO_PORTS && (flow->tuple.protocol == IPPROTO_ICMP ||
						       flow->tuple.protocol == IPPROTO_ICMPV6_)))
			ct_create(flow, endpoint_id, direction, now);
	}
	if (flow->fragment == FRAG_FIRST)
		fragment_admit(flow, endpoint_id, now);
	return TC_ACT_OK;
}

#define ENDPOINT_DECIDE 0 /* parsed: the program decides */
#define ENDPOINT_DONE 1   /* verdict already in `verdict` (dropped, or passes unjudged) */

/*
 * What every pod packet goes through first: the endpoint behind the interface (fail closed),
 * VLAN tags, parsing, the link's plumbing (ARP, neighbour discovery), and for packets the pod
 * sends, its own source address.
 */
JUTE_INLINE int endpoint_prologue(struct __sk_buff *skb, __u8 direction, struct endpoint_info **endpoint_out,
				  struct flow *flow, int *verdict)
{
	__u32 ifindex = skb->ifindex;
	struct endpoint_info *endpoint = bpf_map_lookup_elem(&endpoints, &ifindex);
	if (!endpoint) {
		*verdict = drop(skb, ifindex, direction, DROP_UNKNOWN_ENDPOINT);
		return ENDPOINT_DONE;
	}
	*endpoint_out = endpoint;
	__u32 endpoint_id = endpoint->endpoint_id;

	if (skb->vlan_present) {
		*verdict = drop(skb, endpoint_id, direction, DROP_VLAN_TAGGED);
		return ENDPOINT_DONE;
	}

	__builtin_memset(flow, 0, sizeof(*flow));
	switch (parse_packet(skb, flow)) {
	case PARSE_OK:
		break;
	case PARSE_NOT_IP:
		*verdict = TC_ACT_OK;
		return ENDPOINT_DONE;
	case PARSE_VLAN:
		*verdict = drop(skb, endpoint_id, direction, DROP_VLAN_TAGGED);
		return ENDPOINT_DONE;
	default:
		*verdict = drop(skb, endpoint_id, direction, DROP_MALFORMED);
		return ENDPOINT_DONE;
	}

	/* Neighbour discovery and MLD are the link's plumbing, like ARP: they always pass. */
	if (flow->l4_kind == L4_ICMP_CONTROL) {
		*verdict = TC_ACT_OK;
		return ENDPOINT_DONE;
	}
	if (direction == DIR_EGRESS && !source_is_pods(endpoint, &flow->tuple)) {
		*verdict = drop(skb, endpoint_id, direction, DROP_SOURCE_SPOOFED);
		return ENDPOINT_DONE;
	}
	return ENDPOINT_DECIDE;
}

#endif
