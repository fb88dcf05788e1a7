// SPDX-License-Identifier: GPL-2.0
/* Questions to the kernel about sockets (see sock-diag.h). */
#include "sock-diag.h"

#include "util.h"

#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <sys/socket.h>

#define DIAG_BUF_LEN 32768

static int diag_send(int nl, const void *req, size_t len, bool dump)
{
	struct nlmsghdr h = {
		.nlmsg_len = (uint32_t)NLMSG_LENGTH(len),
		.nlmsg_type = SOCK_DIAG_BY_FAMILY,
		.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0),
		.nlmsg_seq = 1,
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct iovec iov[2] = { { &h, NLMSG_HDRLEN }, { (void *)req, len } };
	struct msghdr msg = {
		.msg_name = &kernel,
		.msg_namelen = sizeof(kernel),
		.msg_iov = iov,
		.msg_iovlen = 2,
	};

	return sendmsg(nl, &msg, 0) < 0 ? -errno : 0;
}

/* The answers in one datagram: 1 when the last one came, 0 for more. */
static int diag_walk(const char *buf, size_t n, bool dump, sock_diag_cb cb, void *arg)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	size_t left = n;

	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		int r;

		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
				return -EBADMSG;
			return err->error ? err->error : 1;
		}
		r = cb(h, arg);
		if (r != 0)
			return r;
		if (!dump)
			return 1;
	}
	return 0;
}

int sock_diag_query(const void *req, size_t len, bool dump, sock_diag_cb cb, void *arg)
{
	_cleanup_close_ int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	_cleanup_free_ char *buf = NULL;
	int r;

	if (nl < 0)
		return -errno;
	r = diag_send(nl, req, len, dump);
	if (r < 0)
		return r;
	buf = xmalloc(DIAG_BUF_LEN);
	do {
		ssize_t n = recv(nl, buf, DIAG_BUF_LEN, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG;
		r = diag_walk(buf, (size_t)n, dump, cb, arg);
	} while (r == 0);
	return r < 0 ? r : 0;
}

const void *sock_diag_attr(const struct nlmsghdr *h, size_t hdr_len, unsigned short type,
			   size_t *ret_len)
{
	const struct rtattr *a;
	size_t left;

	if (h->nlmsg_len < NLMSG_LENGTH(hdr_len))
		return NULL;
	left = h->nlmsg_len - NLMSG_LENGTH(hdr_len);
	a = (const struct rtattr *)((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdr_len));
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		if (a->rta_type != type)
			continue;
		*ret_len = RTA_PAYLOAD(a);
		return RTA_DATA(a);
	}
	return NULL;
}
