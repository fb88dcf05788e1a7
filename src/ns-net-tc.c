// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic control of a network namespace's links: not saved. The
 * kernel's own qdiscs (handle 0: noqueue, pfifo_fast, mq and its
 * children, the default qdisc of net.core.default_qdisc) come back by
 * themselves with the links; one a program or an administrator added
 * (it has a handle: netem, htb, fq, ingress, clsact...) is refused at
 * dump, naming it and its link.
 */
#include "ns-net.h"

#include "util.h"

#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

struct tc_walk {
	struct netns_dump_ctx *c;
	int r;
};

static int qdisc_one(const struct nlmsghdr *h, void *arg)
{
	const struct tcmsg *t = NLMSG_DATA(h);
	const struct rtattr *tb[TCA_MAX + 1];
	struct tc_walk *w = arg;
	const NetnsLink *l;
	_cleanup_free_ char *kind = NULL, *name = NULL;

	if (h->nlmsg_type != RTM_NEWQDISC || nl_attrs(h, sizeof(*t), tb, ARRAY_SIZE(tb)) < 0)
		return 0;
	if (!t->tcm_handle)
		return 0; /* the kernel's own */
	l = netns_link_find(w->c->e, (uint32_t)t->tcm_ifindex);
	name = str_escape(l ? l->name : "?");
	kind = str_escape(tb[TCA_KIND] && RTA_PAYLOAD(tb[TCA_KIND]) &&
					  !((const char *)RTA_DATA(
						  tb[TCA_KIND]))[RTA_PAYLOAD(tb[TCA_KIND]) - 1]
				  ? RTA_DATA(tb[TCA_KIND])
				  : "?");
	w->r = pr_fail(
		-EOPNOTSUPP,
		"cannot dump: net namespace %u: link '%s' has a %s qdisc (traffic control is not supported)",
		w->c->id, name, kind);
	return w->r;
}

int netns_tc_check(struct nl_sock *s, struct netns_dump_ctx *c)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC };
	struct tc_walk w = { .c = c };
	_cleanup_free_ struct nl_msg *m = xmalloc(sizeof(*m));
	int r;

	nl_msg_init(m, RTM_GETQDISC, NLM_F_DUMP, &t, sizeof(t));
	r = nl_talk(s, m, qdisc_one, &w);
	if (w.r < 0)
		return w.r;
	if (r < 0)
		return pr_errno(r, "cannot dump: net namespace %u: cannot list its qdiscs", c->id);
	return 0;
}
