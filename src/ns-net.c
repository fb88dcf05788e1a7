// SPDX-License-Identifier: GPL-2.0
/*
 * A network namespace of the tree, whole: read through rtnetlink made
 * inside it (links, addresses, routes, rules, neighbours; added qdiscs
 * refused), its sysctls and nftables ruleset, into net-ID.img; made
 * again by ckpt and built there before any of the tree's sockets exist
 * (they are made inside it), then joined by its owner.
 *
 * A TCP connection from outside into the container must not see a reset
 * while the tree is away: the host ends of the veths go down right
 * before the dump kills the tree (before_kill), are made down at
 * restore, and come up only once every socket of the tree is out of
 * repair (ready): no segment from outside reaches a stack that has no
 * socket for it.
 */
#include "ns-net.h"

#include "fault.h"
#include "image.h"
#include "imgdir.h"
#include "ns.h"
#include "restore.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

void netns_entry_free(NetnsEntry *e)
{
	if (e)
		netns_entry__free_unpacked(e, NULL);
}

/* A namespace owned by a user namespace other than ckpt's would be made
 * in ckpt's at restore, where the tree's root has no say over it. */
int netns_owner_check(int nsfd, uint32_t id)
{
	_cleanup_close_ int theirs = ioctl(nsfd, NS_GET_USERNS);
	_cleanup_close_ int ours = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	struct stat a, b;

	if (theirs < 0 || ours < 0 || fstat(theirs, &a) < 0 || fstat(ours, &b) < 0)
		return pr_errno(
			-errno,
			"cannot dump: cannot tell which user namespace owns net namespace %u", id);
	if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return pr_fail(
			-EOPNOTSUPP,
			"cannot dump: net namespace %u belongs to a user namespace of the tree (not supported)",
			id);
	return 0;
}

/* What only a reader inside the namespace sees: /proc/sys/net and
 * /proc/self/net are the namespace of whoever opens them. */
static int dump_inside(struct netns_dump_ctx *c)
{
	_cleanup_close_ int ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (ours < 0)
		return pr_errno(-errno, "cannot dump: cannot open our net namespace");
	if (setns(c->nsfd, CLONE_NEWNET) < 0)
		return pr_errno(-errno, "cannot dump: cannot enter net namespace %u", c->id);
	r = netns_sysctls_dump(c);
	if (r >= 0)
		r = netns_legacy_check(c);
	if (setns(ours, CLONE_NEWNET) < 0)
		return pr_errno(-errno, "cannot dump: cannot come back to our net namespace");
	return r;
}

int netns_collect(int nsfd, uint32_t id, const struct options *o, NetnsEntry **ret)
{
	NetnsEntry *e = xmalloc(sizeof(*e));
	struct netns_dump_ctx c = { .nsfd = nsfd, .opts = o, .id = id, .e = e };
	struct nl_sock s;
	int r;

	netns_entry__init(e);
	e->id = id;
	r = nl_open(&s, NETLINK_ROUTE, nsfd);
	if (r < 0) {
		netns_entry_free(e);
		return pr_errno(r, "cannot dump: cannot talk rtnetlink in net namespace %u", id);
	}
	r = netns_links_dump(&s, &c);
	if (r >= 0)
		r = netns_tc_check(&s, &c);
	if (r >= 0)
		r = netns_addrs_dump(&s, &c);
	if (r >= 0)
		r = netns_routes_dump(&s, &c);
	if (r >= 0)
		r = netns_rules_dump(&s, &c);
	if (r >= 0)
		r = netns_neighs_dump(&s, &c);
	nl_close(&s);
	if (r >= 0)
		r = dump_inside(&c);
	if (r >= 0)
		r = netns_nft_dump(&c);
	if (r < 0) {
		netns_entry_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

int netns_entry_check(const NetnsEntry *e)
{
	int r = netns_links_check(e);

	if (r >= 0)
		r = netns_addrs_check(e);
	if (r >= 0)
		r = netns_routes_check(e);
	if (r >= 0)
		r = netns_rules_check(e);
	if (r >= 0)
		r = netns_neighs_check(e);
	if (r >= 0)
		r = netns_sysctls_check(e);
	if (r >= 0)
		r = netns_nft_check(e);
	return r;
}

int netns_build(const NetnsEntry *e, const struct options *o, bool trusted, int hostns_fd)
{
	struct nl_sock s;
	int r = nl_open(&s, NETLINK_ROUTE, -1);

	if (r < 0)
		return pr_errno(r,
				"cannot restore: cannot talk rtnetlink in the new net namespace");
	/* links down first; sysctls before addresses (disable_ipv6 would
	 * drop them); addresses before the links go up, so that the kernel
	 * takes them as they are instead of making its own */
	r = netns_links_create(&s, e, o, trusted, hostns_fd);
	if (r >= 0)
		r = netns_sysctls_restore(e);
	if (r >= 0)
		r = netns_addrs_restore(&s, e);
	if (r >= 0)
		r = netns_links_up(&s, e);
	if (r >= 0)
		r = netns_routes_restore(&s, e);
	if (r >= 0)
		r = netns_rules_restore(&s, e);
	if (r >= 0)
		r = netns_neighs_restore(&s, e);
	nl_close(&s);
	return r;
}

/* ---- the namespace kind (ns.h) ---- */

/*
 * ckpt makes the namespace itself, in prepare, and builds it there: the
 * tree's sockets are made by ckpt before any process exists (files.c),
 * in the namespace they belong to, which must already have its
 * addresses and routes. The owner joins it (setns) instead of having
 * clone3 make one, and its children inherit it.
 */
struct net_state {
	NetnsEntry *e;
	int nsfd; /* the namespace made for it; -1 when only checked */
	size_t pass; /* its slot among the fds handed down to the tree */
};

static int net_dump(const struct ns_dump *d)
{
	NetnsEntry *e = NULL;
	int r = netns_owner_check(d->nsfd, d->id);

	if (r >= 0)
		r = netns_collect(d->nsfd, d->id, d->opts, &e);
	if (r < 0)
		return r;
	r = netns_externals_known(e, d->opts, "dump");
	if (r >= 0) {
		r = FAULT_OR(dump_write_ns, -ENOSPC,
			     img_write_msg(d->dir->dirfd, IMG_NETNS, (int)d->id, &e->base));
		if (r < 0)
			r = pr_errno(r, "cannot write images in '%s'", d->dir->tmp);
	}
	netns_entry_free(e);
	return r;
}

/* A new namespace for @e, built, its ruleset back, from ckpt's thread
 * moved into it and back; its fd in @ret. */
static int net_make(struct restore *rs, const NetnsEntry *e, int *ret)
{
	_cleanup_close_ int host = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int ns = -1;
	int r;

	if (host < 0)
		return pr_errno(-errno, "cannot restore: cannot open our net namespace");
	r = FAULT_OR(restore_ns_net, (errno = ENOMEM, -1), unshare(CLONE_NEWNET));
	if (r < 0)
		return pr_errno(-errno, "cannot restore: cannot make net namespace %u", e->id);
	ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	r = ns < 0 ? pr_errno(-errno, "cannot restore: cannot open net namespace %u", e->id)
		   : netns_build(e, rs->opts, rs->trust.trusted, host);
	if (setns(host, CLONE_NEWNET) < 0)
		return pr_errno(-errno, "cannot restore: cannot come back to our net namespace");
	if (r >= 0)
		r = netns_nft_restore(e, ns);
	if (r < 0)
		return r;
	*ret = ns;
	ns = -1;
	return 0;
}

static int net_prepare(struct restore *rs, struct ns_restore *n)
{
	struct net_state *st;
	NetnsEntry *e = NULL;
	int r = img_read_msg(rs->dirfd, IMG_NETNS, (int)n->id, &netns_entry__descriptor,
			     (ProtobufCMessage **)&e);

	if (r < 0) {
		_cleanup_free_ char *name = img_name(IMG_NETNS, (int)n->id);

		return pr_fail(r, "cannot restore: cannot read image '%s': %s", name,
			       img_strerror(r));
	}
	if (e->id != n->id)
		r = img_inconsistent(IMG_NETNS, (int)n->id, "id %u", e->id);
	if (r >= 0)
		r = netns_entry_check(e);
	st = xzalloc(sizeof(*st));
	st->e = e;
	st->nsfd = -1;
	n->state = st;
	/* the dump reading its images back: the tree still has them */
	if (r < 0 || rs->verify_only)
		return r;
	r = netns_externals_known(e, rs->opts, "restore");
	if (r >= 0)
		r = netns_outer_free(e, rs->opts, rs->trust.trusted);
	if (r >= 0)
		r = net_make(rs, e, &st->nsfd);
	if (r >= 0)
		st->pass = restore_pass_fd(rs, st->nsfd);
	return r;
}

/* In the owner, before it has children or fds of its own. The root has
 * closed the fds of ckpt's by now: the namespace's was handed down (an
 * owner whose parent is in the container's mount namespace already has
 * no ckpt's /proc/PID/fd/ to reach it through). */
static int net_restore(struct restore *rs, struct ns_restore *n)
{
	const struct net_state *st = n->state;

	if (setns(restore_passed_fd(rs, st->pass), CLONE_NEWNET) < 0)
		return pr_errno(-errno, "cannot restore: cannot enter net namespace %u", n->id);
	return 0;
}

int netns_restore_fd(const struct restore *rs, size_t i)
{
	const struct ns_restore *n = ns_proc_in(rs, i, NS_NET);
	const struct net_state *st = n ? n->state : NULL;

	return st ? st->nsfd : -1;
}

/* The sockets are back: let the outside in. */
static int net_ready(struct restore *rs, struct ns_restore *n)
{
	const struct net_state *st = n->state;
	struct nl_sock host;
	int r = FAULT_OR(restore_ns_net_ready, -ENOBUFS, nl_open(&host, NETLINK_ROUTE, -1));

	if (r < 0)
		return pr_errno(r, "cannot restore: cannot talk rtnetlink");
	r = netns_links_outer_up(&host, st->e, rs->opts, rs->trust.trusted);
	nl_close(&host);
	return r;
}

static void net_release(struct ns_restore *n)
{
	struct net_state *st = n->state;

	if (!st)
		return;
	netns_entry_free(st->e);
	if (st->nsfd >= 0)
		close(st->nsfd);
	free(st);
	n->state = NULL;
}

static void net_before_kill(const struct ns_dump *d)
{
	netns_outer_down(d->nsfd);
}

const struct ns_ops ns_net_ops = {
	.name = "net",
	.clone_flag = 0, /* joined, not made: see above */
	.dump = net_dump,
	.prepare = net_prepare,
	.restore = net_restore,
	.release = net_release,
	.show = netns_show,
	.ready = net_ready,
	.before_kill = net_before_kill,
};

void netns_show(int dirfd, uint32_t id)
{
	NetnsEntry *e = NULL;

	if (img_read_msg(dirfd, IMG_NETNS, (int)id, &netns_entry__descriptor,
			 (ProtobufCMessage **)&e) < 0) {
		printf("  (net-%u.img unreadable)\n", id);
		return;
	}
	for (size_t i = 0; i < e->n_links; i++) {
		const NetnsLink *l = e->links[i];
		_cleanup_free_ char *name = str_escape(l->name);
		_cleanup_free_ char *outer = l->outer_name ? str_escape(l->outer_name) : NULL;
		_cleanup_free_ char *br = l->outer_master ? str_escape(l->outer_master) : NULL;

		printf("  link %u '%s' %s mtu %u%s", l->ifindex, name,
		       l->kind == NETNS_LINK_LOOPBACK ? "loopback" : "veth", l->mtu,
		       (l->flags & 1) ? " up" : "");
		if (l->has_peer_ifindex)
			printf(", peer %u", l->peer_ifindex);
		if (outer)
			printf(", outer end '%s'%s%s%s", outer, br ? " in bridge '" : "",
			       br ? br : "", br ? "'" : "");
		printf("\n");
	}
	printf("  %zu addresses, %zu routes, %zu rules, %zu static neighbours, %zu sysctls%s\n",
	       e->n_addrs, e->n_routes, e->n_rules, e->n_neighs, e->n_sysctls,
	       e->has_nft_json ? ", an nftables ruleset" : "");
	netns_entry_free(e);
}
