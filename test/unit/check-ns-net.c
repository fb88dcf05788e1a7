// SPDX-License-Identifier: GPL-2.0
/*
 * Network namespaces (ns-net*.c): a namespace configured with `ip` is
 * read, packed, unpacked, checked and built again in a fresh namespace,
 * and what `ip` shows of both must be the same; then hostile entries
 * (one field wrong at a time) are refused by the check.
 */
#include "ns-net.h"
#include "util.h"

#include <check.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* What `ip` and sysctl show of the namespace we are in (the routes the
 * kernel makes for addresses left out: they follow the addresses). */
static const char snapshot[] =
	"ip -br link; ip -br addr; ip route show table all | grep -v 'proto kernel';"
	"ip -o link show v0 | grep -o 'alias.*';"
	"ip -6 route show table all | grep -v 'proto kernel';"
	"ip rule; ip -6 rule; ip neigh show nud permanent;"
	"sysctl -n net.ipv4.ip_forward net.core.somaxconn net.ipv4.ip_local_port_range"
	" net.ipv6.conf.v0.forwarding";

static const char setup[] =
	"set -e; ip link set lo up;"
	"ip link add v0 mtu 1400 address 02:00:00:00:00:01 type veth peer name v1 address 02:00:00:00:00:02;"
	"ip link set v0 alias 'the uplink';"
	"ip addr add 10.77.0.1/24 dev v0; ip addr add fd77::1/64 dev v0 nodad;"
	"ip addr add 10.77.1.1/24 dev v1; ip link set v0 up; ip link set v1 up;"
	"ip route add default via 10.77.0.2;"
	"ip route add 192.168.77.0/24 via 10.77.0.3 table 100;"
	"ip route add 192.168.78.0/24 via 192.168.77.1 dev v0 onlink metric 7;"
	"ip -6 route add default via fd77::2;"
	"ip rule add from 10.77.0.0/24 table 100 prio 1000;"
	"ip neigh add 10.77.0.9 lladdr 02:00:00:00:00:09 dev v0 nud permanent;"
	"sysctl -qw net.ipv4.ip_forward=1 net.core.somaxconn=1234"
	" net.ipv4.ip_local_port_range='20000 30000' net.ipv6.conf.v0.forwarding=1";

static void run_to(const char *cmd, const char *out)
{
	_cleanup_free_ char *c = xasprintf("(%s) >%s 2>&1", cmd, out);

	ck_assert_int_eq(system(c), 0);
}

static bool have_root_net(void)
{
	return geteuid() == 0 &&
	       system("command -v ip >/dev/null && command -v sysctl >/dev/null") == 0;
}

START_TEST(roundtrip)
{
	char dir[] = "/tmp/check-ns-net-XXXXXX";
	_cleanup_free_ char *before = NULL, *after = NULL, *img = NULL, *cmp = NULL;
	pid_t pid;
	int st;

	if (!have_root_net())
		return;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	before = xasprintf("%s/before", dir);
	after = xasprintf("%s/after", dir);
	img = xasprintf("%s/img", dir);

	pid = fork();
	if (pid == 0) {
		NetnsEntry *e = NULL;
		int nsfd, fd;
		size_t len;
		uint8_t *buf;

		if (unshare(CLONE_NEWNET) < 0 || system(setup) != 0)
			_exit(2);
		run_to(snapshot, before);
		nsfd = open("/proc/self/ns/net", O_RDONLY);
		if (netns_collect(nsfd, 7, NULL, &e) < 0)
			_exit(3);
		len = netns_entry__get_packed_size(e);
		buf = xmalloc(len);
		netns_entry__pack(e, buf);
		fd = open(img, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || write_full(fd, buf, len) < 0)
			_exit(4);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(st, 0);

	pid = fork();
	if (pid == 0) {
		_cleanup_free_ char *buf = NULL;
		NetnsEntry *e;
		size_t len;

		if (read_file(img, &buf, &len) < 0 || unshare(CLONE_NEWNET) < 0)
			_exit(2);
		e = netns_entry__unpack(NULL, len, (uint8_t *)buf);
		if (!e || netns_entry_check(e) < 0)
			_exit(3);
		if (netns_build(e, NULL, true, -1) < 0)
			_exit(4);
		run_to(snapshot, after);
		/* usable at once: no address waits for duplicate detection */
		_exit(system("ip -6 addr | grep -q tentative") == 0 ? 5 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(st, 0);
	cmp = xasprintf("cmp -s %s %s || diff %s %s >&2", before, after, before, after);
	ck_assert_int_eq(system(cmp), 0);
	free(cmp);
	cmp = xasprintf("rm -rf %s", dir);
	(void)!system(cmp);
}
END_TEST

/* A small entry that passes the check, to spoil one field at a time. */
static NetnsEntry *good_entry(void)
{
	static uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 }, mac2[6] = { 2, 0, 0, 0, 0, 2 };
	static uint8_t a4[4] = { 10, 0, 0, 1 };
	static uint32_t one = 1, t100 = 100;
	static NetnsLink lo, v0, v1, *links[] = { &lo, &v0, &v1 };
	static NetnsAttr local, oif, table, *aattrs[] = { &local }, *rattrs[] = { &oif, &table };
	static NetnsAddr addr, *addrs[] = { &addr };
	static NetnsRoute route, *routes[] = { &route };
	static NetnsSysctl sc, *sysctls[] = { &sc };
	static NetnsEntry e;

	netns_link__init(&lo);
	lo.ifindex = 1, lo.name = "lo", lo.kind = NETNS_LINK_LOOPBACK, lo.mtu = 65536;
	netns_link__init(&v0);
	v0.ifindex = 2, v0.name = "v0", v0.kind = NETNS_LINK_VETH, v0.mtu = 1500;
	v0.has_mac = true, v0.mac.len = 6, v0.mac.data = mac;
	v0.has_peer_ifindex = true, v0.peer_ifindex = 3;
	netns_link__init(&v1);
	v1 = v0;
	v1.ifindex = 3, v1.name = "v1", v1.peer_ifindex = 2, v1.mac.data = mac2;
	netns_attr__init(&local);
	local.type = IFA_LOCAL, local.value.len = 4, local.value.data = a4;
	netns_addr__init(&addr);
	addr.family = AF_INET, addr.prefixlen = 24, addr.ifindex = 2;
	addr.n_attrs = 1, addr.attrs = aattrs;
	netns_attr__init(&oif);
	oif.type = RTA_OIF, oif.value.len = 4, oif.value.data = (uint8_t *)&one;
	netns_attr__init(&table);
	table.type = RTA_TABLE, table.value.len = 4, table.value.data = (uint8_t *)&t100;
	netns_route__init(&route);
	route.family = AF_INET, route.dst_len = 0, route.table = 100, route.protocol = RTPROT_BOOT;
	route.type = RTN_UNICAST, route.n_attrs = 2, route.attrs = rattrs;
	netns_sysctl__init(&sc);
	sc.name = "ipv4/conf/v0/forwarding", sc.value = "1";
	netns_entry__init(&e);
	e.id = 7;
	e.n_links = 3, e.links = links;
	e.n_addrs = 1, e.addrs = addrs;
	e.n_routes = 1, e.routes = routes;
	e.n_sysctls = 1, e.sysctls = sysctls;
	return &e;
}

START_TEST(check_good)
{
	ck_assert_int_eq(netns_entry_check(good_entry()), 0);
}
END_TEST

/* Each spoiling of the good entry must be refused. */
START_TEST(check_hostile)
{
	static uint32_t bad_if = 9;
	static uint8_t nul[] = { '{', 0 };
	NetnsEntry *e;

	for (int i = 0;; i++) {
		e = good_entry();
		switch (i) {
		case 0:
			e->links[1]->name = "a/b";
			break;
		case 1:
			e->links[1]->name = "waytoolonglinkname";
			break;
		case 2:
			e->links[2]->ifindex = 2;
			break;
		case 3:
			e->links[1]->flags = 0x10000;
			break;
		case 4:
			e->links[1]->mtu = 10;
			break;
		case 5:
			e->links[1]->peer_ifindex = 1;
			break;
		case 6:
			e->links[1]->has_peer_ifindex = false;
			break; /* no outer end either */
		case 7:
			e->links[0]->ifindex = 5;
			break;
		case 8:
			e->links[1]->mac.len = 5;
			break;
		case 9:
			e->links[1]->kind = 9;
			break;
		case 10:
			e->addrs[0]->family = AF_UNIX;
			break;
		case 11:
			e->addrs[0]->prefixlen = 33;
			break;
		case 12:
			e->addrs[0]->ifindex = 9;
			break;
		case 13:
			e->addrs[0]->attrs[0]->value.len = 16;
			break;
		case 14:
			e->addrs[0]->attrs[0]->type = 99;
			break;
		case 15:
			e->routes[0]->attrs[0]->value.data = (uint8_t *)&bad_if;
			break;
		case 16:
			e->routes[0]->protocol = RTPROT_KERNEL;
			break;
		case 17:
			e->routes[0]->type = 200;
			break;
		case 18:
			e->routes[0]->attrs[1]->type = RTA_OIF;
			break; /* twice */
		case 19:
			e->sysctls[0]->name = "ipv4/conf/v9/forwarding";
			break;
		case 20:
			e->sysctls[0]->name = "core/../../../kernel/core_pattern";
			break;
		case 21:
			e->sysctls[0]->value = "1; reboot";
			break;
		case 22:
			e->has_nft_json = true, e->nft_json.len = 2, e->nft_json.data = nul;
			break;
		case 23:
			e->links[1]->has_peer_ifindex = false, e->links[1]->outer_name = "../x";
			break;
		default:
			return;
		}
		ck_assert_msg(netns_entry_check(e) == -EBADMSG, "spoiling %d accepted", i);
	}
}
END_TEST

static Suite *ns_net_suite(void)
{
	Suite *s = suite_create("ns-net");
	TCase *tc = tcase_create("check");
	TCase *tr = tcase_create("roundtrip");

	tcase_add_test(tc, check_good);
	tcase_add_test(tc, check_hostile);
	tcase_set_timeout(tr, 30);
	tcase_add_test(tr, roundtrip);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ns_net_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
