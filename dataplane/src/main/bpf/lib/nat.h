/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rewriting addresses and ports in place, checksums included: the outer header of a packet, and
 * the quoted header inside an ICMP error (plus the error's own checksum, which covers the quote).
 */
#ifndef JUTE_NAT_H
#define JUTE_NAT_H

#include "common.h"
#include "packet.h"
#include "csum.h"

#define IPV4_SADDR_OFFSET 12
#define IPV4_DADDR_OFFSET 16
#define IPV6_SADDR_OFFSET 8
#define IPV6_DADDR_OFFSET 24

#define NAT_SOURCE 0
#define NAT_DESTINATION 1

JUTE_INLINE __u32 address_field(__u8 family, int which)
{
	if (family == FAMILY_IPV4)
		return which == NAT_SOURCE ? IPV4_SADDR_OFFSET : IPV4_DADDR_OFFSET;
	return which == NAT_SOURCE ? IPV6_SADDR_OFFSET : IPV6_DADDR_OFFSET;
}

JUTE_INLINE int address_equal(__u8 family, const __u8 *a, const __u8 *b)
{
	__u32 x[4], y[4];
	__builtin_memcpy(x, a, 16);
	__builtin_memcpy(y, b, 16);
	if (family == FAMILY_IPV4)
		return x[0] == y[0];
	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/* The one's-complement difference of an address change, as bpf_csum_diff returns it. */
JUTE_INLINE __s64 address_diff(__u8 family, const __u8 *old_address, const __u8 *new_address)
{
	__be32 from[4], to[4];
	__builtin_memcpy(from, old_address, 16);
	__builtin_memcpy(to, new_address, 16);
	if (family == FAMILY_IPV4)
		return bpf_csum_diff(from, 4, to, 4, 0);
	return bpf_csum_diff(from, 16, to, 16, 0);
}

/*
 * Replaces an address of the IP header at l3_offset and fixes the IPv4 header checksum and the
 * transport checksum at l4_offset (when the protocol's checksum covers a pseudo header and the
 * header is present: l4_offset 0 means "no transport header to fix"). 0 on success.
 *
 * `quoted`: the header is the quote inside an ICMP error. Its pseudo header is then packet data,
 * not something outside the skb's checksum, so the kernel must not be told BPF_F_PSEUDO_HDR (it
 * would adjust a CHECKSUM_COMPLETE sum for a change the data already shows).
 */
JUTE_INLINE int rewrite_address(struct __sk_buff *skb, __u8 family, __u32 l3_offset, int which,
				const __u8 *old_address, const __u8 *new_address, __u8 protocol, __u32 l4_offset,
				int quoted)
{
	if (address_equal(family, old_address, new_address))
		return 0;
	__s64 diff = address_diff(family, old_address, new_address);
	if (diff < 0)
		return -1;
	__u32 field = l3_offset + address_field(family, which);
	int stored = family == FAMILY_IPV4 ? bpf_skb_store_bytes(skb, field, new_address, 4, 0)
					   : bpf_skb_store_bytes(skb, field, new_address, 16, 0);
	if (stored < 0)
		return -1;
	if (family == FAMILY_IPV4 &&
	    bpf_l3_csum_replace(skb, l3_offset + IPV4_CSUM_OFFSET, 0, diff, 0) < 0)
		return -1;
	int csum_field = l4_csum_field(protocol);
	if (l4_offset && csum_field >= 0 && l4_csum_has_pseudo_header(protocol)) {
		if (bpf_l4_csum_replace(skb, l4_offset + csum_field, 0, diff,
					(quoted ? 0 : BPF_F_PSEUDO_HDR) | l4_csum_flags(protocol)) < 0)
			return -1;
	}
	return 0;
}

/* Replaces the source (which = NAT_SOURCE) or destination port of the transport header at l4_offset. */
JUTE_INLINE int rewrite_port(struct __sk_buff *skb, __u8 protocol, __u32 l4_offset, int which, __u16 old_port,
			     __u16 new_port)
{
	if (old_port == new_port)
		return 0;
	__be16 from = bpf_htons(old_port);
	__be16 to = bpf_htons(new_port);
	if (bpf_skb_store_bytes(skb, l4_offset + (which == NAT_SOURCE ? 0 : 2), &to, 2, 0) < 0)
		return -1;
	int csum_field = l4_csum_field(protocol);
	if (csum_field >= 0 && protocol != IPPROTO_ICMP && protocol != IPPROTO_ICMPV6_) {
		if (bpf_l4_csum_replace(skb, l4_offset + csum_field, from, to, 2 | l4_csum_flags(protocol)) < 0)
			return -1;
	}
	return 0;
}

/*
 * Rewrites one side (address and port) of the packet's own headers. SCTP's CRC is recomputed by
 * the caller once all rewrites are done (nat_finish).
 */
JUTE_INLINE int rewrite_endpoint(struct __sk_buff *skb, const struct flow *flow, int which, const __u8 *new_address,
				 __u16 new_port)
{
	const struct tuple *t = &flow->tuple;
	const __u8 *old_address = which == NAT_SOURCE ? t->saddr : t->daddr;
	__u16 old_port = which == NAT_SOURCE ? t->sport : t->dport;
	if (rewrite_address(skb, t->family, ETH_HEADER_LENGTH, which, old_address, new_address, t->protocol,
			    flow->l4_offset, 0) < 0)
		return -1;
	return rewrite_port(skb, t->protocol, flow->l4_offset, which, old_port, new_port);
}

/* The packet's port pair as stored, before a rewrite (for SCTP's CRC update in nat_finish). */
JUTE_INLINE __u32 nat_ports_before(struct __sk_buff *skb, const struct flow *flow)
{
	__u32 ports = 0;
	bpf_skb_load_bytes(skb, flow->l4_offset, &ports, 4);
	return ports;
}

/* After the rewrites of a packet: SCTP's CRC follows its new ports. */
JUTE_INLINE int nat_finish(struct __sk_buff *skb, const struct flow *flow, __u32 ports_before)
{
	if (flow->tuple.protocol != IPPROTO_SCTP_)
		return 0;
	__u32 length, ports_after;
	if (transport_length(skb, flow, &length) < 0 || bpf_skb_load_bytes(skb, flow->l4_offset, &ports_after, 4) < 0)
		return -1;
	return sctp_crc_update(skb, flow->l4_offset, length, ports_before, ports_after);
}

/* Reads a 16-bit field; 0 when it lies beyond the packet (a short quote). */
JUTE_INLINE int load_u16(struct __sk_buff *skb, __u32 offset, __u16 *value)
{
	return bpf_skb_load_bytes(skb, offset, value, 2);
}

/*
 * Rewrites one side of the packet quoted in an ICMP error: its address (with the quoted IPv4
 * header checksum and, when quoted, its transport checksum) and its port; and the ICMP checksum
 * for every 16-bit word that changed inside the quote. ICMPv4 sums no pseudo header; ICMPv6
 * does, but the quote is payload either way.
 */
JUTE_INLINE int rewrite_inner_endpoint(struct __sk_buff *skb, const struct flow *flow, int which,
				       const __u8 *new_address, __u16 new_port)
{
	const struct tuple *inner = &flow->inner;
	__u8 family = inner->family;
	__u32 icmp_csum = flow->l4_offset + 2;
	__u32 l3 = flow->inner_l3_offset;
	__u32 l4 = flow->inner_l4_offset;
	const __u8 *old_address = which == NAT_SOURCE ? inner->saddr : inner->daddr;
	__u16 old_port = which == NAT_SOURCE ? inner->sport : inner->dport;
	int csum_field = l4_csum_field(inner->protocol);
	int has_l4_csum = csum_field >= 0 && inner->protocol != IPPROTO_ICMP && inner->protocol != IPPROTO_ICMPV6_;

	__u16 old_l3_csum = 0, new_l3_csum = 0, old_l4_csum = 0, new_l4_csum = 0;
	if (family == FAMILY_IPV4)
		load_u16(skb, l3 + IPV4_CSUM_OFFSET, &old_l3_csum);
	/* A quote may stop before the transport checksum (8 bytes are all RFC 792 promises). */
	int l4_csum_quoted = has_l4_csum && load_u16(skb, l4 + csum_field, &old_l4_csum) == 0;

	if (!address_equal(family, old_address, new_address)) {
		__s64 diff = address_diff(family, old_address, new_address);
		if (diff < 0)
			return -1;
		if (rewrite_address(skb, family, l3, which, old_address, new_address, inner->protocol,
				    l4_csum_quoted ? l4 : 0, 1) < 0)
			return -1;
		/* The quote is ICMP payload: its changed address words change the ICMP sum. */
		if (bpf_l4_csum_replace(skb, icmp_csum, 0, diff, 0) < 0)
			return -1;
	}
	if (inner->protocol == IPPROTO_ICMP || inner->protocol == IPPROTO_ICMPV6_) {
		/* A quoted echo request: its identifier is the "port" and sits where ports would. */
		if (old_port != new_port) {
			__be16 from = bpf_htons(old_port), to = bpf_htons(new_port);
			__u16 old_quoted_csum = 0, new_quoted_csum = 0;
			load_u16(skb, l4 + 2, &old_quoted_csum);
			if (bpf_skb_store_bytes(skb, l4 + 4, &to, 2, 0) < 0)
				return -1;
			bpf_l4_csum_replace(skb, l4 + 2, from, to, 2);
			load_u16(skb, l4 + 2, &new_quoted_csum);
			bpf_l4_csum_replace(skb, icmp_csum, from, to, 2);
			bpf_l4_csum_replace(skb, icmp_csum, old_quoted_csum, new_quoted_csum, 2);
		}
	} else if (old_port != new_port) {
		__be16 from = bpf_htons(old_port), to = bpf_htons(new_port);
		if (bpf_skb_store_bytes(skb, l4 + (which == NAT_SOURCE ? 0 : 2), &to, 2, 0) < 0)
			return -1;
		if (l4_csum_quoted)
			bpf_l4_csum_replace(skb, l4 + csum_field, from, to, 2 | l4_csum_flags(inner->protocol));
		bpf_l4_csum_replace(skb, icmp_csum, from, to, 2);
	}
	if (family == FAMILY_IPV4) {
		load_u16(skb, l3 + IPV4_CSUM_OFFSET, &new_l3_csum);
		bpf_l4_csum_replace(skb, icmp_csum, old_l3_csum, new_l3_csum, 2);
	}
	if (l4_csum_quoted) {
		load_u16(skb, l4 + csum_field, &new_l4_csum);
		bpf_l4_csum_replace(skb, icmp_csum, old_l4_csum, new_l4_csum, 2);
	}
	return 0;
}

/* Rewrites one address of the outer header of an ICMP error (ICMPv6 sums it in its pseudo header). */
JUTE_INLINE int rewrite_icmp_outer_address(struct __sk_buff *skb, const struct flow *flow, int which,
					   const __u8 *new_address)
{
	const struct tuple *t = &flow->tuple;
	const __u8 *old_address = which == NAT_SOURCE ? t->saddr : t->daddr;
	return rewrite_address(skb, t->family, ETH_HEADER_LENGTH, which, old_address, new_address, t->protocol,
			       flow->l4_offset, 0);
}

#endif
