/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Refusing a connection to a service without backends, so the client fails at once instead of
 * timing out: a TCP RST for TCP, an ICMP (v6) port unreachable for anything else. The answer is
 * built over the packet itself (shrunk or grown to size) and sent back where it came from; the
 * caller returns the redirect verdict.
 */
#ifndef JUTE_REJECT_H
#define JUTE_REJECT_H

#include "common.h"
#include "packet.h"
#include "csum.h"

#define REJECT_TTL 64

/* Sum of a buffer whose length is a multiple of 4, chained on `seed`. */
JUTE_INLINE __s64 sum_words(void *buffer, __u32 length, __s64 seed)
{
	return bpf_csum_diff(0, 0, buffer, length, seed);
}

struct reject_ipv4_tcp {
	__u8 eth[14];
	__u8 ip[20];
	__u8 tcp[20];
	__u8 pad[2]; /* keeps the struct a multiple of 4; not sent */
};

struct reject_ipv4_icmp {
	__u8 eth[14];
	__u8 ip[20];
	__u8 icmp[8];
	__u8 quote[28]; /* the offending IP header and the first 8 bytes of its payload */
	__u8 pad[2];
};

struct reject_ipv6_tcp {
	__u8 eth[14];
	__u8 ip[40];
	__u8 tcp[20];
	__u8 pad[2];
};

struct reject_ipv6_icmp {
	__u8 eth[14];
	__u8 ip[40];
	__u8 icmp[8];
	__u8 quote[48]; /* the offending IPv6 header and the first 8 bytes after it */
	__u8 pad[2];
};

/* Ethernet header of the answer: back to the sender. */
JUTE_INLINE int reject_ethernet(struct __sk_buff *skb, __u8 *eth, __u16 ether_type)
{
	__u8 original[12];
	if (bpf_skb_load_bytes(skb, 0, original, sizeof(original)) < 0)
		return -1;
	__builtin_memcpy(eth, &original[6], 6);
	__builtin_memcpy(eth + 6, &original[0], 6);
	eth[12] = ether_type >> 8;
	eth[13] = ether_type & 0xff;
	return 0;
}

JUTE_INLINE void put_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

JUTE_INLINE void put_be32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

JUTE_INLINE __u32 get_be32(const __u8 *p)
{
	return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) | p[3];
}

/*
 * The RST of RFC 9293 §3.10.7.1 for a segment to a closed port: if it carried an ACK, seq is that
 * ACK; otherwise seq 0 and an ACK of everything the segment occupied (SYN and FIN count one).
 */
JUTE_INLINE int reject_tcp_header(struct __sk_buff *skb, const struct flow *flow, __u32 segment_length, __u8 *tcp)
{
	__u8 original[14];
	if (bpf_skb_load_bytes(skb, flow->l4_offset, original, sizeof(original)) < 0)
		return -1;
	__u32 data_offset = (original[12] >> 4) * 4;
	if (data_offset < 20 || segment_length < data_offset)
		return -1;
	__u32 seq = get_be32(&original[4]);
	__u32 ack = get_be32(&original[8]);
	__u8 flags = original[13];
	__u32 occupied = segment_length - data_offset + ((flags & TCP_FLAG_SYN) ? 1 : 0) + ((flags & TCP_FLAG_FIN) ? 1 : 0);

	__builtin_memset(tcp, 0, 20);
	put_be16(tcp, flow->tuple.dport);
	put_be16(tcp + 2, flow->tuple.sport);
	if (flags & TCP_FLAG_ACK) {
		put_be32(tcp + 4, ack);
		tcp[13] = TCP_FLAG_RST;
	} else {
		put_be32(tcp + 8, seq + occupied);
		tcp[13] = TCP_FLAG_RST | TCP_FLAG_ACK;
	}
	tcp[12] = 5 << 4;
	return 0;
}

JUTE_INLINE void ipv4_header(__u8 *ip, __u16 total_length, __u8 protocol, const __u8 *saddr, const __u8 *daddr)
{
	__builtin_memset(ip, 0, 20);
	ip[0] = 0x45;
	put_be16(ip + 2, total_length);
	ip[6] = 0x40; /* don't fragment */
	ip[8] = REJECT_TTL;
	ip[9] = protocol;
	__builtin_memcpy(ip + 12, saddr, 4);
	__builtin_memcpy(ip + 16, daddr, 4);
	__u16 csum = csum_fold32(sum_words(ip, 20, 0));
	__builtin_memcpy(ip + 10, &csum, 2);
}

JUTE_INLINE void ipv6_header(__u8 *ip, __u16 payload_length, __u8 next_header, const __u8 *saddr, const __u8 *daddr)
{
	__builtin_memset(ip, 0, 40);
	ip[0] = 0x60;
	put_be16(ip + 4, payload_length);
	ip[6] = next_header;
	ip[7] = REJECT_TTL;
	__builtin_memcpy(ip + 8, saddr, 16);
	__builtin_memcpy(ip + 24, daddr, 16);
}

/* One's-complement sum of the IPv4 or IPv6 pseudo header of an answer from saddr to daddr. */
JUTE_INLINE __s64 pseudo_header_sum(__u8 family, const __u8 *saddr, const __u8 *daddr, __u32 length, __u8 protocol)
{
	if (family == FAMILY_IPV4) {
		__u8 pseudo[12];
		__builtin_memcpy(pseudo, saddr, 4);
		__builtin_memcpy(pseudo + 4, daddr, 4);
		pseudo[8] = 0;
		pseudo[9] = protocol;
		put_be16(pseudo + 10, length);
		return sum_words(pseudo, 12, 0);
	}
	__u8 pseudo[40];
	__builtin_memcpy(pseudo, saddr, 16);
	__builtin_memcpy(pseudo + 16, daddr, 16);
	put_be32(pseudo + 32, length);
	pseudo[36] = 0;
	pseudo[37] = 0;
	pseudo[38] = 0;
	pseudo[39] = protocol;
	return sum_words(pseudo, 40, 0);
}

/* Replaces the packet by `length` bytes of `frame`. */
JUTE_INLINE int replace_packet(struct __sk_buff *skb, void *frame, __u32 length)
{
	if (bpf_skb_change_tail(skb, length, 0) < 0)
		return -1;
	return bpf_skb_store_bytes(skb, 0, frame, length, 0);
}

JUTE_INLINE int reject_tcp(struct __sk_buff *skb, const struct flow *flow)
{
	const struct tuple *t = &flow->tuple;
	__u32 segment_length;
	if (transport_length(skb, flow, &segment_length) < 0)
		return -1;
	if (t->family == FAMILY_IPV4) {
		struct reject_ipv4_tcp frame = {};
		if (reject_ethernet(skb, frame.eth, ETH_P_IP) < 0 ||
		    reject_tcp_header(skb, flow, segment_length, frame.tcp) < 0)
			return -1;
		ipv4_header(frame.ip, 40, IPPROTO_TCP, t->daddr, t->saddr);
		__s64 sum = pseudo_header_sum(FAMILY_IPV4, t->daddr, t->saddr, 20, IPPROTO_TCP);
		__u16 csum = csum_fold32(sum_words(frame.tcp, 20, sum));
		__builtin_memcpy(frame.tcp + 16, &csum, 2);
		return replace_packet(skb, &frame, 54);
	}
	struct reject_ipv6_tcp frame = {};
	if (reject_ethernet(skb, frame.eth, ETH_P_IPV6) < 0 || reject_tcp_header(skb, flow, segment_length, frame.tcp) < 0)
		return -1;
	ipv6_header(frame.ip, 20, IPPROTO_TCP, t->daddr, t->saddr);
	__s64 sum = pseudo_header_sum(FAMILY_IPV6, t->daddr, t->saddr, 20, IPPROTO_TCP);
	__u16 csum = csum_fold32(sum_words(frame.tcp, 20, sum));
	__builtin_memcpy(frame.tcp + 16, &csum, 2);
	return replace_packet(skb, &frame, 74);
}

/* ICMP destination unreachable / port unreachable (v4: type 3 code 3; v6: type 1 code 4). */
JUTE_INLINE int reject_icmp(struct __sk_buff *skb, const struct flow *flow)
{
	const struct tuple *t = &flow->tuple;
	if (t->family == FAMILY_IPV4) {
		struct reject_ipv4_icmp frame = {};
		if (reject_ethernet(skb, frame.eth, ETH_P_IP) < 0 ||
		    bpf_skb_load_bytes(skb, ETH_HEADER_LENGTH, frame.quote, sizeof(frame.quote)) < 0)
			return -1;
		ipv4_header(frame.ip, 20 + 8 + 28, IPPROTO_ICMP, t->daddr, t->saddr);
		frame.icmp[0] = 3;
		frame.icmp[1] = 3;
		/* icmp (8) + quote (28) = 36 bytes, contiguous in the struct. */
		__u16 csum = csum_fold32(sum_words(frame.icmp, 36, 0));
		__builtin_memcpy(frame.icmp + 2, &csum, 2);
		return replace_packet(skb, &frame, 70);
	}
	struct reject_ipv6_icmp frame = {};
	if (reject_ethernet(skb, frame.eth, ETH_P_IPV6) < 0 ||
	    bpf_skb_load_bytes(skb, ETH_HEADER_LENGTH, frame.quote, sizeof(frame.quote)) < 0)
		return -1;
	ipv6_header(frame.ip, 8 + 48, IPPROTO_ICMPV6_, t->daddr, t->saddr);
	frame.icmp[0] = 1;
	frame.icmp[1] = 4;
	__s64 sum = pseudo_header_sum(FAMILY_IPV6, t->daddr, t->saddr, 8 + 48, IPPROTO_ICMPV6_);
	__u16 csum = csum_fold32(sum_words(frame.icmp, 56, sum));
	__builtin_memcpy(frame.icmp + 2, &csum, 2);
	return replace_packet(skb, &frame, 110);
}

/* Turns the packet into its refusal; 0 when the packet now holds it. */
JUTE_INLINE int build_reject(struct __sk_buff *skb, const struct flow *flow)
{
	if (flow->tuple.protocol == IPPROTO_TCP)
		return reject_tcp(skb, flow);
	return reject_icmp(skb, flow);
}

#endif
