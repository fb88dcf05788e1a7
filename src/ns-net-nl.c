// SPDX-License-Identifier: GPL-2.0
/* rtnetlink requests for ns-net*.c: sockets made inside a namespace,
 * messages built in a fixed buffer, dumps and acks (see ns-net.h). */
#include "ns-net.h"

#include "sock-diag.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NL_RECV_LEN 65536

int nl_open(struct nl_sock *s, int proto, int nsfd)
{
	_cleanup_close_ int ours = -1;
	int fd, r = 0;

	s->fd = -1;
	s->seq = 0;
	if (nsfd >= 0) {
		/* A netlink socket belongs to the namespace it was made in,
		 * whatever the namespace of who uses it later. */
		ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (ours < 0)
			return -errno;
		if (setns(nsfd, CLONE_NEWNET) < 0)
			return -errno;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0)
		r = -errno;
	if (nsfd >= 0 && setns(ours, CLONE_NEWNET) < 0) {
		/* cannot happen for root; never go on in the wrong one */
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	if (r < 0)
		return r;
	s->fd = fd;
	return 0;
}

void nl_close(struct nl_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

void nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, const void *hdr, size_t hdr_len)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;

	memset(m->buf, 0, NLMSG_SPACE(hdr_len));
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	if (hdr_len)
		memcpy(NLMSG_DATA(h), hdr, hdr_len);
	m->len = NLMSG_SPACE(hdr_len);
	m->depth = 0;
	m->overflow = false;
}

void *nl_msg_hdr(struct nl_msg *m)
{
	return NLMSG_DATA((struct nlmsghdr *)m->buf);
}

void nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a;

	if (len > 0xffff - RTA_LENGTH(0) || m->len + RTA_SPACE(len) > sizeof(m->buf)) {
		m->overflow = true;
		return;
	}
	a = (struct rtattr *)(m->buf + m->len);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	memset((unsigned char *)a + RTA_LENGTH(len), 0, RTA_SPACE(len) - RTA_LENGTH(len));
	m->len += RTA_SPACE(len);
}

void nl_append(struct nl_msg *m, const void *data, size_t len)
{
	if (m->len + NLMSG_ALIGN(len) > sizeof(m->buf)) {
		m->overflow = true;
		return;
	}
	memcpy(m->buf + m->len, data, len);
	memset(m->buf + m->len + len, 0, NLMSG_ALIGN(len) - len);
	m->len += NLMSG_ALIGN(len);
}

void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_put(m, type, &v, sizeof(v));
}

void nl_put_str(struct nl_msg *m, uint16_t type, const char *s)
{
	nl_put(m, type, s, strlen(s) + 1);
}

void nl_nest_begin(struct nl_msg *m, uint16_t type)
{
	if (m->depth == (int)ARRAY_SIZE(m->nest)) {
		m->overflow = true;
		return;
	}
	m->nest[m->depth++] = m->len;
	nl_put(m, type, NULL, 0);
}

void nl_nest_end(struct nl_msg *m)
{
	struct rtattr *a;

	if (!m->depth || m->overflow)
		return;
	a = (struct rtattr *)(m->buf + m->nest[--m->depth]);
	a->rta_len = (unsigned short)(m->len - m->nest[m->depth]);
}

/* One answer: 1 when the request is over, 0 to go on, or -errno. */
static int answer_one(const struct nlmsghdr *h, uint32_t seq, nl_fn fn, void *arg)
{
	int r;

	if (h->nlmsg_seq != seq)
		return 0;
	r = netlink_answer_end(h);
	if (r || !fn)
		return r;
	return fn(h, arg);
}

int nl_talk(struct nl_sock *s, struct nl_msg *m, nl_fn fn, void *arg)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	_cleanup_free_ unsigned char *buf = NULL;
	ssize_t n;
	int r;

	if (m->overflow || m->depth)
		return -E2BIG;
	h->nlmsg_len = (uint32_t)m->len;
	h->nlmsg_seq = ++s->seq;
	/* NLM_F_DUMP is two bits, which NLM_F_EXCL and NLM_F_REPLACE share */
	if ((h->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		h->nlmsg_flags |= NLM_F_ACK;
	do
		n = sendto(s->fd, m->buf, m->len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != m->len)
		return -EIO;
	buf = xmalloc(NL_RECV_LEN);
	for (;;) {
		const struct nlmsghdr *a;
		size_t left;

		do
			n = recv(s->fd, buf, NL_RECV_LEN, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		left = (size_t)n;
		for (a = (const struct nlmsghdr *)buf; NLMSG_OK(a, left); a = NLMSG_NEXT(a, left)) {
			r = answer_one(a, s->seq, fn, arg);
			if (r)
				return r < 0 ? r : 0;
		}
	}
}

static int parse(const struct rtattr *a, size_t size, const struct rtattr **tb, size_t nr)
{
	int len = (int)MIN(size, (size_t)NL_RECV_LEN);

	memset(tb, 0, nr * sizeof(*tb));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		/* nests made by nla_nest_start() carry NLA_F_NESTED */
		unsigned int type = a->rta_type & NLA_TYPE_MASK;

		if (type < nr)
			tb[type] = a;
	}
	return len > 0 ? -EBADMSG : 0;
}

int nl_attrs(const struct nlmsghdr *h, size_t hdr_len, const struct rtattr **tb, size_t nr)
{
	if (h->nlmsg_len < NLMSG_SPACE(hdr_len))
		return -EBADMSG;
	return parse((const struct rtattr *)((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdr_len)),
		     h->nlmsg_len - NLMSG_SPACE(hdr_len), tb, nr);
}

uint32_t nl_attr_u32(const struct rtattr *a, uint32_t dflt)
{
	uint32_t v;

	if (!a || RTA_PAYLOAD(a) < sizeof(v))
		return dflt;
	memcpy(&v, RTA_DATA(a), sizeof(v));
	return v;
}

int nl_attrs_nested(const struct rtattr *a, const struct rtattr **tb, size_t nr)
{
	return parse(RTA_DATA(a), RTA_PAYLOAD(a), tb, nr);
}
