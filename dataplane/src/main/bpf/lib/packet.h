/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet parsing into a struct flow. Uses bpf_skb_load_bytes everywhere: it works on non-linear
 * skbs (GSO, veth with headers split across pages) and keeps the verifier's view simple; the cost
 * is a few nanoseconds per call.
 */
#ifndef JUTE_PACKET_H
#define JUTE_PACKET_H

#include "common.h"

#define ETH_HEADER_LENGTH 14

/* What the transport part of a packet turned out to be. */
#define L4_PORTS 0        /* TCP, UDP, SCTP, UDP-Lite: ports parsed */
#define L4_NO_PORTS 1     /* another protocol, or ICMP that is neither echo nor error nor control */
#define L4_ICMP_ECHO_REQUEST 2
#define L4_ICMP_ECHO_REPLY 3
#define L4_ICMP_ERROR 4   /* inner tuple parsed into flow.inner_* */
#define L4_ICMP_CONTROL 5 /* IPv6 neighbour discovery / multicast listener messages */
#define L4_LATER_FRAGMENT 6

#define FRAG_NONE 0
#define FRAG_FIRST 1
#define FRAG_LATER 2

/* Bound on IPv6 extension headers we walk; a packet with more is dropped as malformed. */
#define MAX_IPV6_EXTENSION_HEADERS 6

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

struct tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* host order */
	__u16 dport;
	__u8 family;
	__u8 protocol;
};

struct flow {
	struct tuple tuple;
	struct tuple inner; /* L4_ICMP_ERROR: the packet the error is about, as its sender sent it */
	__u32 fragment_id;
	__u16 l4_offset;       /* where the transport header starts in the frame (NAT rewrites there) */
	__u16 inner_l3_offset; /* L4_ICMP_ERROR: where the quoted IP header starts */
	__u16 inner_l4_offset; /* L4_ICMP_ERROR: where the quoted transport header starts */
	__u8 l4_kind;
	__u8 fragment;
	__u8 tcp_flags;
};

#define PARSE_OK 0
#define PARSE_NOT_IP 1
#define PARSE_MALFORMED 2
#define PARSE_VLAN 3

JUTE_INLINE int is_port_protocol(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_SCTP_ ||
	       protocol == IPPROTO_UDPLITE;
}

/* Parses the ports (and TCP flags) at offset; 0 on success. */
JUTE_INLINE int load_ports(struct __sk_buff *skb, __u32 offset, struct tuple *t, __u8 *tcp_flags)
{
	__be16 ports[2];
	if (bpf_skb_load_bytes(skb, offset, ports, sizeof(ports)) < 0)
		return -1;
	t->sport = bpf_ntohs(ports[0]);
	t->dport = bpf_ntohs(ports[1]);
	if (tcp_flags && t->protocol == IPPROTO_TCP) {
		if (bpf_skb_load_bytes(skb, offset + 13, tcp_flags, 1) < 0)
			return -1;
	}
	return 0;
}

/*
 * The inner packet of an ICMP error: an IP header plus at least 8 bytes of its transport header
 * (RFC 792, RFC 4443). Only the fixed IPv6 header is understood; anything else leaves the error
 * unrelated to a flow, so it is judged as a plain ICMP packet.
 */
JUTE_INLINE int parse_icmp_inner(struct __sk_buff *skb, __u32 offset, __u8 family, struct flow *flow)
{
	struct tuple *inner = &flow->inner;
	flow->inner_l3_offset = offset;
	inner->family = family;
	if (family == FAMILY_IPV4) {
		__u8 header[20];
		if (bpf_skb_load_bytes(skb, offset, header, sizeof(header)) < 0)
			return -1;
		__u32 ihl = (header[0] & 0x0f) * 4;
		if ((header[0] >> 4) != 4 || ihl < 20)
			return -1;
		inner->protocol = header[9];
		__builtin_memcpy(inner->saddr, &header[12], 4);
		__builtin_memcpy(inner->daddr, &header[16], 4);
		offset += ihl;
	} else {
		__u8 header[40];
		if (bpf_skb_load_bytes(skb, offset, header, sizeof(header)) < 0)
			return -1;
		if ((header[0] >> 4) != 6)
			return -1;
		inner->protocol = header[6];
		__builtin_memcpy(inner->saddr, &header[8], 16);
		__builtin_memcpy(inner->daddr, &header[24], 16);
		offset += 40;
	}
	flow->inner_l4_offset = offset;
	if (is_port_protocol(inner->protocol))
		return load_ports(skb, offset, inner, 0);
	if (inner->protocol == IPPROTO_ICMP || inner->protocol == IPPROTO_ICMPV6_) {
		/* An error about an echo request: the conntrack key of echo uses the identifier twice. */
		__u8 icmp[6];
		if (bpf_skb_load_bytes(skb, offset, icmp, sizeof(icmp)) < 0)
			return -1;
		__u8 echo_request = inner->protocol == IPPROTO_ICMP ? 8 : 128;
		if (icmp[0] != echo_request)
			return -1;
		inner->sport = inner->dport = ((__u16)icmp[4] << 8) | icmp[5];
		return 0;
	}
	return -1;
}

JUTE_INLINE int parse_icmp(struct __sk_buff *skb, __u32 offset, struct flow *flow)
{
	__u8 icmp[8];
	if (bpf_skb_load_bytes(skb, offset, icmp, sizeof(icmp)) < 0)
		return PARSE_MALFORMED;
	__u8 type = icmp[0];
	__u16 identifier = ((__u16)icmp[4] << 8) | icmp[5];
	int v4 = flow->tuple.family == FAMILY_IPV4;
	__u8 echo_request = v4 ? 8 : 128;
	__u8 echo_reply = v4 ? 0 : 129;

	flow->l4_kind = L4_NO_PORTS;
	if (type == echo_request || type == echo_reply) {
		flow->l4_kind = type == echo_request ? L4_ICMP_ECHO_REQUEST : L4_ICMP_ECHO_REPLY;
		flow->tuple.sport = flow->tuple.dport = identifier;
		return PARSE_OK;
	}
	int error = v4 ? (type == 3 || type == 11 || type == 12) : (type >= 1 && type <= 4);
	if (error) {
		if (parse_icmp_inner(skb, offset + 8, flow->tuple.family, flow) == 0)
			flow->l4_kind = L4_ICMP_ERROR;
		return PARSE_OK;
	}
	/* Router/neighbour solicitation and advertisement, redirect, MLD v1/v2: the link needs them. */
	if (!v4 && ((type >= 130 && type <= 137) || type == 143))
		flow->l4_kind = L4_ICMP_CONTROL;
	return PARSE_OK;
}

JUTE_INLINE int parse_transport(struct __sk_buff *skb, __u32 offset, struct flow *flow)
{
	__u8 protocol = flow->tuple.protocol;
	flow->l4_offset = offset;
	if (flow->fragment == FRAG_LATER) {
		flow->l4_kind = L4_LATER_FRAGMENT;
		return PARSE_OK;
	}
	if (is_port_protocol(protocol)) {
		flow->l4_kind = L4_PORTS;
		return load_ports(skb, offset, &flow->tuple, &flow->tcp_flags) == 0 ? PARSE_OK : PARSE_MALFORMED;
	}
	if ((protocol == IPPROTO_ICMP && flow->tuple.family == FAMILY_IPV4) ||
	    (protocol == IPPROTO_ICMPV6_ && flow->tuple.family == FAMILY_IPV6))
		return parse_icmp(skb, offset, flow);
	flow->l4_kind = L4_NO_PORTS;
	return PARSE_OK;
}

JUTE_INLINE int parse_ipv4(struct __sk_buff *skb, struct flow *flow)
{
	__u8 header[20];
	if (bpf_skb_load_bytes(skb, ETH_HEADER_LENGTH, header, sizeof(header)) < 0)
		return PARSE_MALFORMED;
	__u32 ihl = (header[0] & 0x0f) * 4;
	if ((header[0] >> 4) != 4 || ihl < 20)
		return PARSE_MALFORMED;
	__u16 fragment_field = ((__u16)header[6] << 8) | header[7];
	__u16 fragment_offset = fragment_field & 0x1fff;
	int more_fragments = fragment_field & 0x2000;
	flow->fragment = fragment_offset ? FRAG_LATER : (more_fragments ? FRAG_FIRST : FRAG_NONE);
	flow->fragment_id = ((__u32)header[4] << 8) | header[5];
	flow->tuple.family = FAMILY_IPV4;
	flow->tuple.protocol = header[9];
	__builtin_memcpy(flow->tuple.saddr, &header[12], 4);
	__builtin_memcpy(flow->tuple.daddr, &header[16], 4);
	return parse_transport(skb, ETH_HEADER_LENGTH + ihl, flow);
}

JUTE_INLINE int parse_ipv6(struct __sk_buff *skb, struct flow *flow)
{
	__u8 header[40];
	if (bpf_skb_load_bytes(skb, ETH_HEADER_LENGTH, header, sizeof(header)) < 0)
		return PARSE_MALFORMED;
	if ((header[0] >> 4) != 6)
		return PARSE_MALFORMED;
	flow->tuple.family = FAMILY_IPV6;
	__builtin_memcpy(flow->tuple.saddr, &header[8], 16);
	__builtin_memcpy(flow->tuple.daddr, &header[24], 16);

	__u8 next = header[6];
	__u32 offset = ETH_HEADER_LENGTH + 40;
#pragma unroll
	for (int i = 0; i < MAX_IPV6_EXTENSION_HEADERS; i++) {
		__u8 ext[8];
		switch (next) {
		case 0:  /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
			if (bpf_skb_load_bytes(skb, offset, ext, 2) < 0)
				return PARSE_MALFORMED;
			next = ext[0];
			offset += ((__u32)ext[1] + 1) * 8;
			continue;
		case 51: /* authentication header: length in 4-octet units minus 2 */
			if (bpf_skb_load_bytes(skb, offset, ext, 2) < 0)
				return PARSE_MALFORMED;
			next = ext[0];
			offset += ((__u32)ext[1] + 2) * 4;
			continue;
		case 44: { /* fragment */
			if (bpf_skb_load_bytes(skb, offset, ext, 8) < 0)
				return PARSE_MALFORMED;
			__u16 field = ((__u16)ext[2] << 8) | ext[3];
			__u16 fragment_offset = field >> 3;
			int more_fragments = field & 1;
			flow->fragment = fragment_offset ? FRAG_LATER : (more_fragments ? FRAG_FIRST : FRAG_NONE);
			flow->fragment_id = ((__u32)ext[4] << 24) | ((__u32)ext[5] << 16) | ((__u32)ext[6] << 8) | ext[7];
			next = ext[0];
			offset += 8;
			if (flow->fragment == FRAG_LATER) {
				flow->tuple.protocol = next;
				return parse_transport(skb, offset, flow);
			}
			continue;
		}
		default:
			flow->tuple.protocol = next;
			return parse_transport(skb, offset, flow);
		}
	}
	/* More extension headers than we walk: we cannot find the ports, so we cannot judge it. */
	return PARSE_MALFORMED;
}

/* The length of the transport segment (IP payload after extension headers) of a parsed packet. */
JUTE_INLINE int transport_length(struct __sk_buff *skb, const struct flow *flow, __u32 *length)
{
	__u8 field[2];
	if (flow->tuple.family == FAMILY_IPV4) {
		if (bpf_skb_load_bytes(skb, ETH_HEADER_LENGTH + 2, field, 2) < 0)
			return -1;
		__u32 total = ((__u32)field[0] << 8) | field[1];
		__u32 header = flow->l4_offset - ETH_HEADER_LENGTH;
		if (total < header)
			return -1;
		*length = total - header;
		return 0;
	}
	if (bpf_skb_load_bytes(skb, ETH_HEADER_LENGTH + 4, field, 2) < 0)
		return -1;
	__u32 payload = ((__u32)field[0] << 8) | field[1];
	__u32 extensions = flow->l4_offset - ETH_HEADER_LENGTH - 40;
	if (payload < extensions)
		return -1;
	*length = payload - extensions;
	return 0;
}

/* Parses the Ethernet frame in skb; PARSE_NOT_IP for ARP and other non-IP frames. */
JUTE_INLINE int parse_packet(struct __sk_buff *skb, struct flow *flow)
{
	__be16 ether_type;
	if (bpf_skb_load_bytes(skb, 12, &ether_type, sizeof(ether_type)) < 0)
		return PARSE_MALFORMED;
	switch (bpf_ntohs(ether_type)) {
	case ETH_P_IP:
		return parse_ipv4(skb, flow);
	case ETH_P_IPV6:
		return parse_ipv6(skb, flow);
	case ETH_P_8021Q_:
	case ETH_P_8021AD_:
		return PARSE_VLAN;
	default:
		return PARSE_NOT_IP;
	}
}

#endif
