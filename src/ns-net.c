// SPDX-License-Identifier: GPL-2.0
/*
 * A network namespace of the tree, whole: read through rtnetlink made
 * inside it (links, addresses, routes, rules, neighbours), its sysctls
 * and nftables ruleset, into netns-ID.img; rebuilt in the new namespace
 * by its owner right after clone3 made it, before any of the tree's
 * sockets exist.
 *
 * A TCP connection from outside into the container must not see a reset
 * while the tree comes back: the outer end of each veth is made down
 * (so nothing from outside reaches the namespace, and nothing in it
 * answers) and brought up only by netns_finish(), once every socket of
 * the tree is restored and the ruleset is back.
 */
#include "ns-net.h"

#include "image.h"
#include "imgdir.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

void netns_entry_free(NetnsEntry *e)
{
	if (e)
		netns_entry__free_unpacked(e, NULL);
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

int netns_finish(const NetnsEntry *e, const struct options *o, bool trusted, int nsfd)
{
	struct nl_sock host;
	int r = netns_nft_restore(e, nsfd);

	if (r < 0)
		return r;
	r = nl_open(&host, NETLINK_ROUTE, -1);
	if (r < 0)
		return pr_errno(r, "cannot restore: cannot talk rtnetlink");
	r = netns_links_outer_up(&host, e, o, trusted);
	nl_close(&host);
	return r;
}
