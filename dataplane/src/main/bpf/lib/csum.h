/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Checksums. Rewrites in place go through the kernel's incremental helpers
 * (bpf_l3_csum_replace / bpf_l4_csum_replace), which also keep skbs with CHECKSUM_PARTIAL
 * (offloaded TCP/UDP from local sockets on veth) and CHECKSUM_COMPLETE consistent. Packets built
 * from scratch (rejects) get full checksums from bpf_csum_diff sums.
 *
 * SCTP carries a CRC32c over the whole packet without a pseudo header: an address change leaves
 * it valid, a port change does not. Packets from local sockets on veth carry no CRC yet (the
 * veth advertises SCTP CRC offload; the field is zero and the CRC is computed, after our rewrite,
 * only if the packet ever leaves through a device without offload), so nothing needs doing; a
 * packet with a CRC in place (it came from a real NIC, or a test) has it updated for the port
 * change (sctp_crc_update).
 */
#ifndef JUTE_CSUM_H
#define JUTE_CSUM_H

#include "common.h"

#define IPV4_CSUM_OFFSET 10

/* Folds a 32-bit one's-complement sum to the 16-bit checksum field value (complemented). */
JUTE_INLINE __u16 csum_fold32(__u64 sum)
{
	sum = (sum & 0xffffffff);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Offset of the checksum field inside the transport header; -1 when it has none we fix incrementally. */
JUTE_INLINE int l4_csum_field(__u8 protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return 6;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6_:
		return 2;
	default:
		return -1;
	}
}

/* Whether the transport checksum covers a pseudo header with the IP addresses. */
JUTE_INLINE int l4_csum_has_pseudo_header(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE ||
	       protocol == IPPROTO_ICMPV6_;
}

/* UDP over IPv4 may carry checksum 0 ("none"): the helpers must leave it so. */
JUTE_INLINE __u64 l4_csum_flags(__u8 protocol)
{
	return protocol == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
}

/*
 * ---- CRC32c (Castagnoli) for SCTP, updated incrementally ----
 *
 * The CRC is linear over GF(2): changing the first 4 bytes (the ports) of an L-byte packet by
 * the XOR difference d changes the CRC by rawcrc(d) * x^(8(L-4)) mod P, where rawcrc has zero
 * initial value and no final XOR. x^(8n) mod P is a product of the precomputed x^(2^k) mod P for
 * the bits of 8n (zlib's crc32_combine). Everything is branch-free with fixed loop bounds, so the
 * verifier walks it once; the cost is constant (about 600 multiply steps), not per byte.
 */
#define SCTP_CRC_OFFSET 8
#define CRC32C_POLY 0x82f63b78u
/* Packet lengths below 2^17 bytes: enough for any SCTP packet the hooks see (GSO ones carry no CRC yet). */
#define CRC32C_LENGTH_BITS 17

/* x^(2^k) mod P for k = 3 .. 3 + CRC32C_LENGTH_BITS - 1, reflected (bit 31 is x^0). */
static const __u32 crc32c_x2n[CRC32C_LENGTH_BITS] = {
	0x00800000, 0x00008000, 0x82f63b78, 0x6ea2d55c, 0x18b8ea18, 0x510ac59a, 0xb82be955, 0xb8fdb1e7,
	0x88e56f72, 0x74c360a4, 0xe4172b16, 0x0d65762a, 0x35d73a62, 0x28461564, 0xbf455269, 0xe2ea32dc,
	0xfe7740e6,
};

/* a * b mod P, reflected. */
JUTE_INLINE __u32 crc32c_multiply(__u32 a, __u32 b)
{
	__u32 product = 0;
	for (int i = 0; i < 32; i++) {
		product ^= b & (0u - ((a >> (31 - i)) & 1));
		b = (b >> 1) ^ (CRC32C_POLY & (0u - (b & 1)));
	}
	return product;
}

/* x^(8 * bytes) mod P. */
JUTE_INLINE __u32 crc32c_shift(__u32 bytes)
{
	__u32 power = 1u << 31;
	for (int k = 0; k < CRC32C_LENGTH_BITS; k++) {
		__u32 take = 0u - ((bytes >> k) & 1);
		__u32 multiplied = crc32c_multiply(crc32c_x2n[k], power);
		power = (multiplied & take) | (power & ~take);
	}
	return power;
}

/*
 * Updates the CRC of the SCTP packet at l4_offset (`length` bytes) after its first 4 bytes
 * changed from old_ports to new_ports (both as loaded from the packet). A zero CRC field means
 * the CRC is offloaded (a local socket on veth: computed later, after our rewrite, if ever) and
 * stays zero. 0 on success.
 *
 * A global (not inlined) function: the verifier checks it once, on its own.
 */
__attribute__((noinline)) int sctp_crc_update(struct __sk_buff *skb, __u32 l4_offset, __u32 length, __u32 old_ports,
					      __u32 new_ports)
{
	if (!skb || length < 12 || length >= (1u << CRC32C_LENGTH_BITS))
		return -1;
	__u32 crc;
	if (bpf_skb_load_bytes(skb, l4_offset + SCTP_CRC_OFFSET, &crc, 4) < 0)
		return -1;
	if (crc == 0 || old_ports == new_ports)
		return 0;
	__u32 difference = old_ports ^ new_ports;
	__u32 raw = 0;
	for (int i = 0; i < 4; i++) {
		raw ^= (difference >> (8 * i)) & 0xff;
		for (int bit = 0; bit < 8; bit++)
			raw = (raw >> 1) ^ (CRC32C_POLY & (0u - (raw & 1)));
	}
	/* The field holds the CRC little-endian: loaded on a little-endian host it is the value. */
	crc ^= crc32c_multiply(crc32c_shift(length - 4), raw);
	return bpf_skb_store_bytes(skb, l4_offset + SCTP_CRC_OFFSET, &crc, 4, 0) < 0 ? -1 : 0;
}

#endif
