// SPDX-License-Identifier: GPL-2.0
/*
 * The sysctls of a network namespace that a container sets (the list
 * below: forwarding, port ranges, ping groups, listen backlog, and the
 * per-link ones of conf/all, conf/default and each saved link), and its
 * nftables ruleset, saved with `nft -j list ruleset` run inside it and
 * given back to `nft -j -f -` there: the kernel's own textual interface.
 * Tables of legacy iptables (ip_tables, not iptables-nft) are refused.
 */
#include "ns-net.h"

#include "image.h"
#include "imgdir.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BAD(...) img_inconsistent(IMG_NETNS, (int)e->id, __VA_ARGS__)
#define SYSCTL_VALUE_MAX 64
#define NFT_MAX (16u << 20)

static const char *const ns_sysctls[] = {
	"core/somaxconn",
	"ipv4/ip_forward",
	"ipv4/ip_default_ttl",
	"ipv4/ip_local_port_range",
	"ipv4/ip_local_reserved_ports",
	"ipv4/ip_nonlocal_bind",
	"ipv4/ip_unprivileged_port_start",
	"ipv4/ping_group_range",
	"ipv4/icmp_echo_ignore_all",
	"ipv4/tcp_syncookies",
	"ipv6/ip_nonlocal_bind",
};

/* Under ipv4/conf/LINK/ and ipv6/conf/LINK/, for "all", "default" and
 * every link, in that order (all and default spread to the links). */
static const char *const conf4[] = { "forwarding", "rp_filter", "accept_redirects",
				     "send_redirects", "proxy_arp" };
static const char *const conf6[] = { "forwarding", "disable_ipv6", "accept_ra", "accept_dad" };

static bool value_ok(const char *v)
{
	if (strlen(v) > SYSCTL_VALUE_MAX)
		return false;
	for (; *v; v++)
		if (!strchr("0123456789-, \t", *v))
			return false;
	return true;
}

static int sysctl_read(const char *name, char **ret)
{
	_cleanup_free_ char *path = xasprintf("/proc/sys/net/%s", name);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[SYSCTL_VALUE_MAX + 2];
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!value_ok(buf))
		return -EBADMSG;
	*ret = xstrdup(buf);
	return 0;
}

static int one(struct netns_dump_ctx *c, const char *name)
{
	NetnsEntry *e = c->e;
	NetnsSysctl *s;
	char *v = NULL;
	int r = sysctl_read(name, &v);

	if (r == -ENOENT)
		return 0; /* not in this kernel (ipv6 off) */
	if (r < 0)
		return pr_errno(r, "cannot dump: net namespace %u: cannot read net.%s", c->id,
				name);
	s = xmalloc(sizeof(*s));
	netns_sysctl__init(s);
	s->name = xstrdup(name);
	s->value = v;
	e->sysctls = xrealloc(e->sysctls, (e->n_sysctls + 1) * sizeof(*e->sysctls));
	e->sysctls[e->n_sysctls++] = s;
	return 0;
}

static int per_link(struct netns_dump_ctx *c, const char *link)
{
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(conf4) && r >= 0; i++) {
		_cleanup_free_ char *n = xasprintf("ipv4/conf/%s/%s", link, conf4[i]);

		r = one(c, n);
	}
	for (size_t i = 0; i < ARRAY_SIZE(conf6) && r >= 0; i++) {
		_cleanup_free_ char *n = xasprintf("ipv6/conf/%s/%s", link, conf6[i]);

		r = one(c, n);
	}
	return r;
}

int netns_sysctls_dump(struct netns_dump_ctx *c)
{
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(ns_sysctls) && r >= 0; i++)
		r = one(c, ns_sysctls[i]);
	if (r >= 0)
		r = per_link(c, "all");
	if (r >= 0)
		r = per_link(c, "default");
	for (size_t i = 0; i < c->e->n_links && r >= 0; i++)
		r = per_link(c, c->e->links[i]->name);
	return r;
}

/* @name is one of the list, for a link of @e or all/default. */
static bool sysctl_known(const NetnsEntry *e, const char *name)
{
	const char *link, *rest;
	size_t n;

	for (size_t i = 0; i < ARRAY_SIZE(ns_sysctls); i++)
		if (!strcmp(name, ns_sysctls[i]))
			return true;
	if (strncmp(name, "ipv4/conf/", 10) && strncmp(name, "ipv6/conf/", 10))
		return false;
	link = name + 10;
	rest = strchr(link, '/');
	if (!rest)
		return false;
	n = (size_t)(rest - link);
	rest++;
	if (!((n == 3 && !strncmp(link, "all", 3)) || (n == 7 && !strncmp(link, "default", 7)))) {
		bool found = false;

		for (size_t i = 0; i < e->n_links && !found; i++)
			found = strlen(e->links[i]->name) == n &&
				!strncmp(e->links[i]->name, link, n);
		if (!found)
			return false;
	}
	if (name[3] == '4') {
		for (size_t i = 0; i < ARRAY_SIZE(conf4); i++)
			if (!strcmp(rest, conf4[i]))
				return true;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(conf6); i++)
			if (!strcmp(rest, conf6[i]))
				return true;
	}
	return false;
}

int netns_sysctls_check(const NetnsEntry *e)
{
	if (e->n_sysctls > 1024)
		return BAD("%zu sysctls", e->n_sysctls);
	for (size_t i = 0; i < e->n_sysctls; i++) {
		const NetnsSysctl *s = e->sysctls[i];

		if (!str_fits(s->name, 128) || !sysctl_known(e, s->name))
			return BAD("sysctl %zu: name", i);
		if (!value_ok(s->value))
			return BAD("sysctl %zu: value", i);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(e->sysctls[j]->name, s->name))
				return BAD("sysctl %zu: twice", i);
	}
	return 0;
}

/* Same value, whatever the blanks between numbers. */
static bool same_value(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '\t')
			a++;
		while (*b == ' ' || *b == '\t')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++, b++;
	}
}

int netns_sysctls_restore(const NetnsEntry *e)
{
	for (size_t i = 0; i < e->n_sysctls; i++) {
		const NetnsSysctl *s = e->sysctls[i];
		_cleanup_free_ char *path = xasprintf("/proc/sys/net/%s", s->name);
		_cleanup_free_ char *now = NULL;
		_cleanup_close_ int fd = -1;
		int r = sysctl_read(s->name, &now);

		if (r == -ENOENT)
			return pr_fail(r, "cannot restore: net.%s is not in this kernel", s->name);
		if (r == 0 && same_value(now, s->value))
			continue;
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || write_full(fd, s->value, strlen(s->value)) < 0)
			return pr_errno(-errno, "cannot restore: cannot set net.%s to '%s'",
					s->name, s->value);
	}
	return 0;
}

/* ---- nftables ---- */

struct tables {
	size_t n;
};

static int table_one(const struct nlmsghdr *h, void *arg)
{
	struct tables *t = arg;

	if (NFNL_MSG_TYPE(h->nlmsg_type) == NFT_MSG_NEWTABLE)
		t->n++;
	return 0;
}

/* How many nftables tables the namespace has (0 without nf_tables). */
static int nft_tables(int nsfd, size_t *ret)
{
	struct nfgenmsg g = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 };
	struct tables t = { 0 };
	struct nl_sock s;
	_cleanup_free_ struct nl_msg *m = xmalloc(sizeof(*m));
	int r = nl_open(&s, NETLINK_NETFILTER, nsfd);

	*ret = 0;
	if (r < 0)
		return r == -EPROTONOSUPPORT ? 0 : r;
	nl_msg_init(m, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, NLM_F_DUMP, &g, sizeof(g));
	r = nl_talk(&s, m, table_one, &t);
	nl_close(&s);
	if (r == -EOPNOTSUPP || r == -ENOENT)
		return 0;
	*ret = t.n;
	return r;
}

/* Legacy ip(6)tables tables made in the namespace (ckpt inside it). */
static int legacy_tables(const char *file, bool *ret)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ char *path = xasprintf("/proc/self/net/%s", file);
	size_t len = 0;
	int r = read_file(path, &buf, &len);

	*ret = false;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	*ret = len > 0;
	return 0;
}

/* Run nft with @args in namespace @nsfd, stdin from @in (-1: /dev/null),
 * stdout into @out (-1: /dev/null). Its exit status, or -errno. */
static int nft_run(int nsfd, const char *const *args, int in, int out)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0 || setns(nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		if (dup2(in >= 0 ? in : null, 0) < 0 || dup2(out >= 0 ? out : null, 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execvp("nft", (char *const *)args);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

int netns_nft_dump(struct netns_dump_ctx *c)
{
	static const char *const args[] = { "nft", "-j", "list", "ruleset", NULL };
	static const char *const check[] = { "nft", "-j", "-c", "-f", "-", NULL };
	_cleanup_close_ int out = -1;
	size_t n = 0;
	struct stat st;
	int r;

	r = nft_tables(c->nsfd, &n);
	if (r < 0)
		return pr_errno(r, "cannot dump: net namespace %u: cannot list its nftables tables",
				c->id);
	if (!n)
		return 0;
	out = memfd_create("ckpt-nft", MFD_CLOEXEC);
	if (out < 0)
		return pr_errno(-errno, "cannot dump: cannot make a memfd");
	r = nft_run(c->nsfd, args, -1, out);
	if (r == 127)
		return pr_fail(
			-ENOENT,
			"cannot dump: net namespace %u has nftables rules and nft is missing (install nftables)",
			c->id);
	if (r != 0)
		return pr_fail(
			r < 0 ? r : -EIO,
			"cannot dump: net namespace %u: nft -j list ruleset failed (status %d)",
			c->id, r);
	if (fstat(out, &st) < 0)
		return pr_errno(-errno, "cannot dump: cannot read nft's output");
	if (st.st_size <= 0 || (uint64_t)st.st_size > NFT_MAX)
		return pr_fail(-EFBIG, "cannot dump: net namespace %u: nft ruleset of %lld bytes",
			       c->id, (long long)st.st_size);
	c->e->has_nft_json = true;
	c->e->nft_json.len = (size_t)st.st_size;
	c->e->nft_json.data = xmalloc(c->e->nft_json.len);
	r = pread_full(out, c->e->nft_json.data, c->e->nft_json.len, 0);
	if (r < 0)
		return pr_errno(r, "cannot dump: cannot read nft's output");
	/* What nft prints it does not always read back (rules of
	 * iptables-nft with xtables matches): a dump must restore. */
	if (lseek(out, 0, SEEK_SET) < 0)
		return pr_errno(-errno, "cannot dump: cannot read nft's output");
	r = nft_run(c->nsfd, check, out, -1);
	if (r != 0)
		return pr_fail(
			r < 0 ? r : -EOPNOTSUPP,
			"cannot dump: net namespace %u: its nftables ruleset does not read back (nft -j -c -f: status %d; not supported)",
			c->id, r);
	return 0;
}

/* Legacy tables are looked at from inside the namespace. */
int netns_legacy_check(struct netns_dump_ctx *c)
{
	static const char *const files[] = { "ip_tables_names", "ip6_tables_names",
					     "arp_tables_names" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		bool any = false;
		int r = legacy_tables(files[i], &any);

		if (r < 0)
			return pr_errno(r, "cannot dump: net namespace %u: cannot read %s", c->id,
					files[i]);
		if (any)
			return pr_fail(
				-EOPNOTSUPP,
				"cannot dump: net namespace %u has legacy iptables tables (%s; not supported, iptables-nft is)",
				c->id, files[i]);
	}
	return 0;
}

int netns_nft_check(const NetnsEntry *e)
{
	if (!e->has_nft_json)
		return 0;
	if (!e->nft_json.len || e->nft_json.len > NFT_MAX || e->nft_json.data[0] != '{')
		return BAD("nft ruleset of %zu bytes", e->nft_json.len);
	for (size_t i = 0; i < e->nft_json.len; i++) {
		unsigned char ch = e->nft_json.data[i];

		if (ch < ' ' && ch != '\n' && ch != '\t' && ch != '\r')
			return BAD("nft ruleset: byte %#x at %zu", ch, i);
	}
	return 0;
}

int netns_nft_restore(const NetnsEntry *e, int nsfd)
{
	static const char *const args[] = { "nft", "-j", "-f", "-", NULL };
	_cleanup_close_ int in = -1;
	int r;

	if (!e->has_nft_json)
		return 0;
	in = memfd_create("ckpt-nft", MFD_CLOEXEC);
	if (in < 0)
		return pr_errno(-errno, "cannot restore: cannot make a memfd");
	r = write_full(in, e->nft_json.data, e->nft_json.len);
	if (r < 0 || lseek(in, 0, SEEK_SET) < 0)
		return pr_errno(r < 0 ? r : -errno, "cannot restore: cannot write the nft ruleset");
	r = nft_run(nsfd, args, in, -1);
	if (r == 127)
		return pr_fail(
			-ENOENT,
			"cannot restore: the network namespace has nftables rules and nft is missing (install nftables)");
	if (r != 0)
		return pr_fail(
			r < 0 ? r : -EINVAL,
			"cannot restore: nft -j -f did not take the saved ruleset (status %d)", r);
	return 0;
}
