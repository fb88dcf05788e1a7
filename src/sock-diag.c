// SPDX-License-Identifier: GPL-2.0
/* NETLINK_SOCK_DIAG queries and the parsers of their answers (see sock-diag.h). */
#include "sock-diag.h"

#include "util.h"

#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel fills dump messages up to 32 KiB (or the size we last asked for). */
#define DIAG_BUF_LEN 65536

#define UNIX_SHOW_ALL \
	(UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN)

/* The process whose network namespace queries go to; 0: ckpt's. */
static int diag_pid;

void sock_diag_use_netns_of(int pid)
{
	diag_pid = pid;
}

static int netns_ino(const char *path, uint64_t *ret)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*ret = st.st_ino;
	return 0;
}

int sock_diag_netns(uint64_t *ret)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", diag_pid ? diag_pid : getpid());
	return netns_ino(path, ret);
}

/* Into the namespace queries go to, if it is not ours: @ours gets ours
 * back (-1: nothing to undo). */
static int enter_netns(int *ours)
{
	_cleanup_close_ int ns = -1;
	uint64_t theirs = 0, mine = 0;
	char path[64];

	*ours = -1;
	if (!diag_pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", diag_pid);
	if (netns_ino(path, &theirs) < 0 || netns_ino("/proc/self/ns/net", &mine) < 0)
		return -errno;
	if (theirs == mine)
		return 0;
	ns = open(path, O_RDONLY | O_CLOEXEC);
	*ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0 || *ours < 0 || setns(ns, CLONE_NEWNET) < 0) {
		int r = -errno;

		if (*ours >= 0)
			close(*ours);
		*ours = -1;
		return r;
	}
	return 0;
}

/* Back from enter_netns(); 0 or -errno (then we are not where we were). */
static int leave_netns(int ours)
{
	int r = 0;

	if (ours < 0)
		return 0;
	if (setns(ours, CLONE_NEWNET) < 0)
		r = -errno;
	close(ours);
	return r;
}

int sock_diag_socket(int domain, int type, int protocol)
{
	int ours, fd, err = 0;
	int r = enter_netns(&ours);

	if (r < 0)
		return r;
	/* A socket belongs to the namespace it was made in, for good. */
	fd = socket(domain, type, protocol);
	if (fd < 0)
		err = -errno;
	r = leave_netns(ours);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (fd < 0)
		errno = -err;
	return fd;
}

int sock_diag_open(struct sock_diag *sd)
{
	sd->seq = 0;
	sd->fd = sock_diag_socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	return sd->fd < 0 ? -errno : 0;
}

void sock_diag_close(struct sock_diag *sd)
{
	if (sd->fd >= 0)
		close(sd->fd);
	sd->fd = -1;
}

static int send_request(struct sock_diag *sd, const void *req, size_t len, bool dump)
{
	struct nlmsghdr h = {
		.nlmsg_len = (uint32_t)NLMSG_LENGTH(len),
		.nlmsg_type = SOCK_DIAG_BY_FAMILY,
		.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0),
		.nlmsg_seq = ++sd->seq,
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct iovec iov[2] = { { &h, NLMSG_HDRLEN }, { (void *)req, len } };
	struct msghdr msg = {
		.msg_name = &kernel,
		.msg_namelen = sizeof(kernel),
		.msg_iov = iov,
		.msg_iovlen = 2,
	};
	ssize_t n;

	do
		n = sendmsg(sd->fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)h.nlmsg_len ? 0 : -EIO;
}

int netlink_answer_end(const struct nlmsghdr *h)
{
	if (h->nlmsg_type == NLMSG_DONE) {
		/* a dump that failed half way says why in its DONE */
		int err = 0;

		if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
			memcpy(&err, NLMSG_DATA(h), sizeof(err));
		return err < 0 ? err : 1;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return -EBADMSG;
		return e->error < 0 ? e->error : 1;
	}
	return 0;
}

/* One message of the answer: 1 when the query is over, 0 to go on, or -errno. */
static int answer_one(const struct nlmsghdr *h, uint32_t seq, bool dump, sock_diag_fn fn, void *arg)
{
	int r;

	if (h->nlmsg_seq != seq)
		return 0; /* left over from an earlier query */
	r = netlink_answer_end(h);
	if (r)
		return r;
	r = fn(h, arg);
	if (r < 0)
		return r;
	/* An exact request is answered by one message, with no DONE after it. */
	return dump ? 0 : 1;
}

int sock_diag_query(struct sock_diag *sd, const void *req, size_t len, bool dump, sock_diag_fn fn,
		    void *arg)
{
	_cleanup_free_ char *buf = xmalloc(DIAG_BUF_LEN);
	int r = send_request(sd, req, len, dump);

	while (r == 0) {
		struct iovec iov = { buf, DIAG_BUF_LEN };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		ssize_t n = recvmsg(sd->fd, &msg, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 || (msg.msg_flags & MSG_TRUNC))
			return -EBADMSG;
		for (size_t left = (size_t)n; r == 0 && NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
			r = answer_one(h, sd->seq, dump, fn, arg);
	}
	return r < 0 ? r : 0;
}

int sock_diag_attrs(const struct nlmsghdr *h, size_t hdr_len, const struct rtattr **tb, size_t nr)
{
	size_t start = NLMSG_LENGTH(NLMSG_ALIGN(hdr_len));
	const char *p = (const char *)h + start;
	size_t left;

	if (h->nlmsg_len < NLMSG_LENGTH(hdr_len))
		return -EBADMSG;
	memset(tb, 0, nr * sizeof(*tb));
	left = h->nlmsg_len > start ? h->nlmsg_len - start : 0;
	while (left >= sizeof(struct rtattr)) {
		const struct rtattr *a = (const struct rtattr *)p;
		size_t step = RTA_ALIGN(a->rta_len);
		unsigned int type = a->rta_type & NLA_TYPE_MASK;

		if (a->rta_len < sizeof(*a) || a->rta_len > left)
			return -EBADMSG;
		if (type < nr)
			tb[type] = a;
		step = MIN(step, left);
		p += step;
		left -= step;
	}
	return 0;
}

/* ---- AF_UNIX ---- */

void unix_diag_sk_release(struct unix_diag_sk *u)
{
	free(u->icons);
	u->icons = NULL;
	u->nr_icons = 0;
}

void unix_diag_sks_free(struct unix_diag_sk *sks, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		unix_diag_sk_release(&sks[i]);
	free(sks);
}

/* The payload of @a if it holds at least @len bytes, else NULL. */
static const void *attr_data(const struct rtattr *a, size_t len)
{
	if (!a || RTA_PAYLOAD(a) < len)
		return NULL;
	return RTA_DATA(a);
}

static int parse_unix_attrs(const struct rtattr *const *tb, struct unix_diag_sk *u)
{
	const struct unix_diag_vfs *vfs = attr_data(tb[UNIX_DIAG_VFS], sizeof(*vfs));
	const struct unix_diag_rqlen *rq = attr_data(tb[UNIX_DIAG_RQLEN], sizeof(*rq));
	const uint32_t *peer = attr_data(tb[UNIX_DIAG_PEER], sizeof(*peer));
	const uint8_t *shut = attr_data(tb[UNIX_DIAG_SHUTDOWN], 1);

	if (tb[UNIX_DIAG_NAME]) {
		size_t len = RTA_PAYLOAD(tb[UNIX_DIAG_NAME]);

		if (len > UNIX_NAME_MAX)
			return -EBADMSG;
		memcpy(u->name, RTA_DATA(tb[UNIX_DIAG_NAME]), len);
		u->name_len = len;
	}
	if (vfs) {
		u->has_vfs = true;
		u->vfs_ino = vfs->udiag_vfs_ino;
		u->vfs_dev = vfs->udiag_vfs_dev;
	}
	if (peer) {
		u->has_peer = true;
		u->peer = *peer;
	}
	if (rq) {
		u->has_rqlen = true;
		u->rqueue = rq->udiag_rqueue;
		u->wqueue = rq->udiag_wqueue;
	}
	if (shut)
		u->shutdown = *shut;
	if (tb[UNIX_DIAG_ICONS]) {
		size_t len = RTA_PAYLOAD(tb[UNIX_DIAG_ICONS]);

		if (len % sizeof(uint32_t))
			return -EBADMSG;
		u->nr_icons = len / sizeof(uint32_t);
		u->icons = xmalloc(len + 1);
		memcpy(u->icons, RTA_DATA(tb[UNIX_DIAG_ICONS]), len);
	}
	return 0;
}

int unix_diag_parse(const struct nlmsghdr *h, struct unix_diag_sk *ret)
{
	const struct rtattr *tb[UNIX_DIAG_MAX + 1];
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	struct unix_diag_sk u;
	int r = sock_diag_attrs(h, sizeof(*m), tb, ARRAY_SIZE(tb));

	if (r < 0)
		return r;
	if (m->udiag_family != AF_UNIX)
		return -EBADMSG;
	memset(&u, 0, sizeof(u));
	u.ino = m->udiag_ino;
	u.type = m->udiag_type;
	u.state = m->udiag_state;
	r = parse_unix_attrs(tb, &u);
	if (r < 0) {
		unix_diag_sk_release(&u);
		return r;
	}
	*ret = u;
	return 0;
}

struct unix_found {
	struct unix_diag_sk *sks;
	size_t nr;
};

static int unix_found_add(const struct nlmsghdr *h, void *arg)
{
	struct unix_found *f = arg;
	struct unix_diag_sk u;
	int r = unix_diag_parse(h, &u);

	if (r < 0)
		return r;
	f->sks = xrealloc(f->sks, (f->nr + 1) * sizeof(*f->sks));
	f->sks[f->nr++] = u;
	return 0;
}

static int unix_query(struct sock_diag *sd, uint32_t ino, struct unix_found *f)
{
	struct unix_diag_req req = {
		.sdiag_family = AF_UNIX,
		.udiag_states = ~0U,
		.udiag_ino = ino,
		.udiag_show = UNIX_SHOW_ALL,
		/* no cookie to check */
		.udiag_cookie = { ~0U, ~0U },
	};
	int r = sock_diag_query(sd, &req, sizeof(req), ino == 0, unix_found_add, f);

	if (r < 0) {
		unix_diag_sks_free(f->sks, f->nr);
		f->sks = NULL;
		f->nr = 0;
	}
	return r;
}

int unix_diag_get(struct sock_diag *sd, uint32_t ino, struct unix_diag_sk *ret)
{
	struct unix_found f = { NULL, 0 };
	int r;

	if (!ino)
		return -ENOENT;
	r = unix_query(sd, ino, &f);
	if (r < 0)
		return r;
	if (f.nr != 1 || f.sks[0].ino != ino) {
		unix_diag_sks_free(f.sks, f.nr);
		return -ENOENT;
	}
	*ret = f.sks[0];
	free(f.sks);
	return 0;
}

int unix_diag_dump(struct sock_diag *sd, struct unix_diag_sk **ret, size_t *ret_nr)
{
	struct unix_found f = { NULL, 0 };
	int r = unix_query(sd, 0, &f);

	if (r < 0)
		return r;
	*ret = f.sks;
	*ret_nr = f.nr;
	return 0;
}
