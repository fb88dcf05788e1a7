// SPDX-License-Identifier: GPL-2.0
/*
 * What a restored socket had received and no option can give back (the
 * peer's FIN of a TCP connection, the datagrams of a UDP queue) is sent to
 * it again as it came: the same segment or datagram, from the sender's
 * address, through a raw socket bound to that address (IP_FREEBIND: it
 * need not be one of ours). Only to an address of this machine: the
 * packet goes round through the loopback and nowhere else, so no packet
 * with another's address as its source leaves ckpt's network namespace.
 * Needs CAP_NET_RAW.
 */
#include "sk-inet.h"

#include "util.h"

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

void addr_unmap(union sk_addr *a)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = a->v6.sin6_port };

	if (a->sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr))
		return;
	memcpy(&v4.sin_addr, &a->v6.sin6_addr.s6_addr[12], 4);
	memset(a, 0, sizeof(*a));
	a->v4 = v4;
}

static socklen_t sa_len(const union sk_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->v6) : sizeof(a->v4);
}

/* Is @a an address of this machine? Only those can be bound without
 * IP_FREEBIND. */
static int addr_local(const union sk_addr *a)
{
	union sk_addr any = *a;
	_cleanup_close_ int sk = socket(a->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sk < 0)
		return -errno;
	any.v4.sin_port = 0; /* the same place in both */
	if (bind(sk, &any.sa, sa_len(&any)) == 0)
		return 1;
	return errno == EADDRNOTAVAIL ? 0 : -errno;
}

static uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

/* The Internet checksum over the IPv4 pseudo-header and @buf. */
static uint16_t csum_v4(const union sk_addr *from, const union sk_addr *to, int proto,
			const uint8_t *buf, size_t len)
{
	uint32_t sum = csum_add(0, &from->v4.sin_addr, 4);

	sum = csum_add(sum, &to->v4.sin_addr, 4);
	sum += (uint32_t)proto + (uint32_t)len;
	sum = csum_add(sum, buf, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* The TOS and TTL (IPv6: traffic class and hop limit) of what @raw sends. */
static int ip_set(int raw, int level, const struct inject_ip *ip)
{
	if (!ip)
		return 0;
	if (ip->tos >= 0 && setsockopt(raw, level, level == SOL_IPV6 ? IPV6_TCLASS : IP_TOS,
				       &ip->tos, sizeof(ip->tos)) < 0)
		return -errno;
	if (ip->ttl >= 0 && setsockopt(raw, level, level == SOL_IPV6 ? IPV6_UNICAST_HOPS : IP_TTL,
				       &ip->ttl, sizeof(ip->ttl)) < 0)
		return -errno;
	return 0;
}

int inet_inject(int proto, const union sk_addr *src, const union sk_addr *dst,
		const struct inject_ip *ip, uint8_t *buf, size_t len, size_t csum_off)
{
	union sk_addr from = *src, to = *dst;
	int level, one = 1, off = (int)csum_off, r;
	_cleanup_close_ int raw = -1;

	addr_unmap(&from);
	addr_unmap(&to);
	if (from.sa.sa_family != to.sa.sa_family || csum_off + 2 > len)
		return -EAFNOSUPPORT;
	r = addr_local(&to);
	if (r <= 0)
		return r < 0 ? r : -EADDRNOTAVAIL;
	level = to.sa.sa_family == AF_INET6 ? SOL_IPV6 : SOL_IP;
	raw = socket(to.sa.sa_family, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (raw < 0)
		return -errno;
	from.v4.sin_port = to.v4.sin_port = 0; /* raw sockets have no ports */
	if (setsockopt(raw, level, level == SOL_IPV6 ? IPV6_FREEBIND : IP_FREEBIND, &one,
		       sizeof(one)) < 0 ||
	    bind(raw, &from.sa, sa_len(&from)) < 0)
		return -errno;
	r = ip_set(raw, level, ip);
	if (r < 0)
		return r;
	memset(buf + csum_off, 0, 2);
	if (level == SOL_IPV6) {
		/* The kernel makes it, over its own pseudo-header. */
		if (setsockopt(raw, SOL_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0)
			return -errno;
	} else {
		uint16_t sum = csum_v4(&from, &to, proto, buf, len);

		/* For UDP 0 says "no checksum": all ones is the same sum. */
		if (!sum && proto == IPPROTO_UDP)
			sum = 0xffff;
		memcpy(buf + csum_off, &sum, 2);
	}
	if (sendto(raw, buf, len, 0, &to.sa, sa_len(&to)) != (ssize_t)len)
		return -errno;
	return 0;
}
