// SPDX-License-Identifier: GPL-2.0
/*
 * The dump's lock on a network namespace: once the images are published
 * and right before the tree is killed, the host ends of its veths go
 * down, so that nothing from outside reaches the dead tree's stack
 * (which answers a TCP segment for a closed socket with a reset) until
 * the namespace and its links are gone. The restore brings them up
 * again once the connections are back (ns-net.c, ready).
 */
#include "ns-net.h"

#include "util.h"

#include <net/if.h> /* before the linux headers */

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

struct down_walk {
	int32_t ours;
	uint32_t idx[64];
	size_t n;
};

static int down_one(const struct nlmsghdr *h, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1];
	struct down_walk *w = arg;

	if (h->nlmsg_type != RTM_NEWLINK || nl_attrs(h, sizeof(*ifi), tb, ARRAY_SIZE(tb)) < 0)
		return 0;
	if (tb[IFLA_LINK] && tb[IFLA_LINK_NETNSID] && w->ours >= 0 &&
	    (int32_t)nl_attr_u32(tb[IFLA_LINK_NETNSID], (uint32_t)-1) == w->ours &&
	    w->n < ARRAY_SIZE(w->idx))
		w->idx[w->n++] = nl_attr_u32(tb[IFLA_LINK], 0);
	return 0;
}

void netns_outer_down(int nsfd)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct down_walk w = { .ours = -1 };
	_cleanup_free_ struct nl_msg *m = xmalloc(sizeof(*m));
	struct nl_sock s, host;

	if (nl_open(&s, NETLINK_ROUTE, nsfd) < 0)
		return;
	if (netns_our_nsid(&s, &w.ours) == 0) {
		nl_msg_init(m, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
		(void)nl_talk(&s, m, down_one, &w);
	}
	nl_close(&s);
	if (!w.n || nl_open(&host, NETLINK_ROUTE, -1) < 0)
		return;
	for (size_t i = 0; i < w.n; i++) {
		struct ifinfomsg down = { .ifi_family = AF_UNSPEC,
					  .ifi_index = (int)w.idx[i],
					  .ifi_change = IFF_UP };

		nl_msg_init(m, RTM_NEWLINK, 0, &down, sizeof(down));
		if (nl_talk(&host, m, NULL, NULL) < 0)
			pr_debug("cannot take the host end %u of a veth down", w.idx[i]);
	}
	nl_close(&host);
}
