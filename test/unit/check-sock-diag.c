// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag answers: the attribute walker and the unix_diag parser on
 * messages built by hand (every attribute, none, short or broken ones,
 * garbage), then queries on live sockets of this process.
 */
#include "sock-diag.h"
#include "util.h"

#include <check.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/* A netlink message being built, aligned as the kernel's are. */
struct msg {
	union {
		struct nlmsghdr h;
		char buf[8192];
	};
};

static void msg_start(struct msg *m, uint8_t family, uint8_t type, uint8_t state, uint32_t ino)
{
	struct unix_diag_msg *d;

	memset(m, 0, sizeof(*m));
	m->h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m->h.nlmsg_len = NLMSG_LENGTH(sizeof(*d));
	d = NLMSG_DATA(&m->h);
	d->udiag_family = family;
	d->udiag_type = type;
	d->udiag_state = state;
	d->udiag_ino = ino;
}

static void msg_attr(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(m->buf + NLMSG_ALIGN(m->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (uint16_t)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void msg_u32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_attr(m, type, &v, sizeof(v));
}

START_TEST(test_parse_everything)
{
	struct unix_diag_vfs vfs = { 4242, (8 << 20) | 3 };
	struct unix_diag_rqlen rq = { 2, 128 };
	uint32_t icons[3] = { 11, 12, 0 };
	uint8_t shut = 3;
	struct unix_diag_sk u;
	struct msg m;

	msg_start(&m, AF_UNIX, SOCK_STREAM, 10, 777);
	msg_attr(&m, UNIX_DIAG_NAME, "/run/x.sock", 12); /* with its 0, as the kernel */
	msg_attr(&m, UNIX_DIAG_VFS, &vfs, sizeof(vfs));
	msg_u32(&m, UNIX_DIAG_PEER, 0);
	msg_attr(&m, UNIX_DIAG_RQLEN, &rq, sizeof(rq));
	msg_attr(&m, UNIX_DIAG_ICONS, icons, sizeof(icons));
	msg_attr(&m, UNIX_DIAG_SHUTDOWN, &shut, 1);
	msg_u32(&m, UNIX_DIAG_UID, 1000); /* shown, not kept */

	ck_assert_int_eq(unix_diag_parse(&m.h, &u), 0);
	ck_assert_uint_eq(u.ino, 777);
	ck_assert_uint_eq(u.type, SOCK_STREAM);
	ck_assert_uint_eq(u.state, 10);
	ck_assert_uint_eq(u.name_len, 12);
	ck_assert_mem_eq(u.name, "/run/x.sock", 12);
	ck_assert(u.has_vfs);
	ck_assert_uint_eq(u.vfs_ino, 4242);
	ck_assert_uint_eq(u.vfs_dev, (8 << 20) | 3);
	ck_assert(u.has_peer);
	ck_assert_uint_eq(u.peer, 0);
	ck_assert(u.has_rqlen);
	ck_assert_uint_eq(u.rqueue, 2);
	ck_assert_uint_eq(u.wqueue, 128);
	ck_assert_uint_eq(u.shutdown, 3);
	ck_assert_uint_eq(u.nr_icons, 3);
	ck_assert_uint_eq(u.icons[0], 11);
	ck_assert_uint_eq(u.icons[2], 0);
	unix_diag_sk_release(&u);
}
END_TEST

START_TEST(test_parse_abstract_and_bare)
{
	static const char abstract[] = "\0ckpt\0x"; /* 0 bytes inside are part of it */
	struct unix_diag_sk u;
	struct msg m;

	msg_start(&m, AF_UNIX, SOCK_DGRAM, 7, 5);
	msg_attr(&m, UNIX_DIAG_NAME, abstract, 7);
	ck_assert_int_eq(unix_diag_parse(&m.h, &u), 0);
	ck_assert_uint_eq(u.name_len, 7);
	ck_assert_mem_eq(u.name, abstract, 7);
	ck_assert(!u.has_peer && !u.has_vfs && !u.has_rqlen);
	ck_assert_uint_eq(u.nr_icons, 0);
	unix_diag_sk_release(&u);

	/* no attributes at all: unnamed, unconnected */
	msg_start(&m, AF_UNIX, SOCK_SEQPACKET, 7, 6);
	ck_assert_int_eq(unix_diag_parse(&m.h, &u), 0);
	ck_assert_uint_eq(u.type, SOCK_SEQPACKET);
	ck_assert_uint_eq(u.name_len, 0);
	ck_assert(!u.has_peer);
	unix_diag_sk_release(&u);
}
END_TEST

START_TEST(test_parse_short_attrs_ignored)
{
	struct unix_diag_sk u;
	struct msg m;
	uint16_t two = 7;

	/* Payloads shorter than their struct: as if absent. */
	msg_start(&m, AF_UNIX, SOCK_STREAM, 1, 9);
	msg_attr(&m, UNIX_DIAG_VFS, &two, sizeof(two));
	msg_attr(&m, UNIX_DIAG_PEER, &two, sizeof(two));
	msg_attr(&m, UNIX_DIAG_RQLEN, &two, sizeof(two));
	msg_attr(&m, UNIX_DIAG_SHUTDOWN, "", 0);
	msg_u32(&m, 200, 1); /* a type from a newer kernel */
	ck_assert_int_eq(unix_diag_parse(&m.h, &u), 0);
	ck_assert(!u.has_vfs && !u.has_peer && !u.has_rqlen);
	ck_assert_uint_eq(u.shutdown, 0);
	unix_diag_sk_release(&u);
}
END_TEST

START_TEST(test_parse_malformed)
{
	char long_name[UNIX_NAME_MAX + 1];
	struct unix_diag_sk u = { .ino = 1234 };
	struct rtattr *a;
	struct msg m;

	/* shorter than its header */
	msg_start(&m, AF_UNIX, SOCK_STREAM, 1, 1);
	m.h.nlmsg_len = NLMSG_LENGTH(4);
	ck_assert_int_eq(unix_diag_parse(&m.h, &u), -EBADMSG);
	/* another family */
	msg_start(&m, AF_INET, SOCK_STREAM, 1, 1);
	ck_assert_int_eq(unix_diag_parse(&m.h, &u), -EBADMSG);
	/* an attribute running past the end */
	msg_start(&m, AF_UNIX, SOCK_STREAM, 1, 1);
	msg_u32(&m, UNIX_DIAG_PEER, 3);
	a = (struct rtattr *)(m.buf + NLMSG_LENGTH(sizeof(struct unix_diag_msg)));
	a->rta_len = 64;
	ck_assert_int_eq(unix_diag_parse(&m.h, &u), -EBADMSG);
	/* an attribute shorter than its own header */
	a->rta_len = 2;
	ck_assert_int_eq(unix_diag_parse(&m.h, &u), -EBADMSG);
	/* a name longer than sun_path */
	memset(long_name, 'a', sizeof(long_name));
	msg_start(&m, AF_UNIX, SOCK_STREAM, 1, 1);
	msg_attr(&m, UNIX_DIAG_NAME, long_name, sizeof(long_name));
	ck_assert_int_eq(unix_diag_parse(&m.h, &u), -EBADMSG);
	/* icons that are not whole inode numbers */
	msg_start(&m, AF_UNIX, SOCK_STREAM, 10, 1);
	msg_attr(&m, UNIX_DIAG_ICONS, "abcdef", 6);
	ck_assert_int_eq(unix_diag_parse(&m.h, &u), -EBADMSG);
	/* @ret untouched on failure */
	ck_assert_uint_eq(u.ino, 1234);
}
END_TEST

START_TEST(test_attrs_walker)
{
	const struct rtattr *tb[4];
	struct msg m;

	msg_start(&m, AF_UNIX, SOCK_STREAM, 1, 1);
	msg_u32(&m, 1, 10);
	msg_u32(&m, 1 | NLA_F_NESTED, 11); /* flags are not part of the type */
	msg_u32(&m, 3, 30);
	msg_u32(&m, 9, 90); /* beyond @nr: skipped */
	ck_assert_int_eq(sock_diag_attrs(&m.h, sizeof(struct unix_diag_msg), tb, 4), 0);
	ck_assert_ptr_null(tb[0]);
	ck_assert_ptr_nonnull(tb[1]);
	ck_assert_uint_eq(*(uint32_t *)RTA_DATA(tb[1]), 11); /* the last one */
	ck_assert_ptr_null(tb[2]);
	ck_assert_uint_eq(*(uint32_t *)RTA_DATA(tb[3]), 30);
}
END_TEST

/* Random messages must never crash or read past nlmsg_len (ASAN build). */
START_TEST(test_garbage)
{
	unsigned int seed = 1;

	for (int round = 0; round < 20000; round++) {
		size_t len = NLMSG_LENGTH((size_t)rand_r(&seed) % 200);
		struct nlmsghdr *h = xmalloc(len);
		struct unix_diag_sk u;

		for (size_t i = NLMSG_HDRLEN; i < len; i++)
			((unsigned char *)h)[i] = (unsigned char)rand_r(&seed);
		h->nlmsg_len = (uint32_t)len;
		if (len >= NLMSG_LENGTH(1))
			((struct unix_diag_msg *)NLMSG_DATA(h))->udiag_family = AF_UNIX;
		if (unix_diag_parse(h, &u) == 0)
			unix_diag_sk_release(&u);
		free(h);
	}
}
END_TEST

/* ---- live sockets --------------------------------------------------------- */

static uint32_t ino_of(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return (uint32_t)st.st_ino;
}

START_TEST(test_live_pair_and_listener)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				   (size_t)snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
						    "ckpt-check-%d", getpid()));
	struct unix_diag_sk a, l, *all = NULL;
	struct sock_diag sd;
	size_t nr = 0;
	bool seen = false;
	int sp[2], lfd, cfd;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(write(sp[1], "abc", 3), 3);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sl), 0);
	ck_assert_int_eq(listen(lfd, 5), 0);
	cfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sa, sl), 0);

	ck_assert_int_eq(sock_diag_open(&sd), 0);
	ck_assert_int_eq(unix_diag_get(&sd, ino_of(sp[0]), &a), 0);
	ck_assert_uint_eq(a.ino, ino_of(sp[0]));
	ck_assert(a.has_peer);
	ck_assert_uint_eq(a.peer, ino_of(sp[1]));
	ck_assert_uint_eq(a.rqueue, 3);
	ck_assert_uint_eq(a.name_len, 0);
	unix_diag_sk_release(&a);

	ck_assert_int_eq(unix_diag_get(&sd, ino_of(lfd), &l), 0);
	ck_assert_uint_eq(l.type, SOCK_SEQPACKET);
	ck_assert_uint_eq(l.state, 10);
	ck_assert_uint_eq(l.name_len, sl - offsetof(struct sockaddr_un, sun_path));
	ck_assert_mem_eq(l.name, sa.sun_path, l.name_len);
	ck_assert_uint_eq(l.wqueue, 5); /* the backlog */
	ck_assert_uint_eq(l.nr_icons, 1);
	ck_assert_uint_eq(l.icons[0], ino_of(cfd));
	unix_diag_sk_release(&l);

	ck_assert_int_eq(unix_diag_dump(&sd, &all, &nr), 0);
	for (size_t i = 0; i < nr; i++)
		seen |= all[i].ino == ino_of(cfd) && all[i].has_peer && !all[i].peer;
	ck_assert(seen); /* its peer has no file until it is accepted */
	unix_diag_sks_free(all, nr);

	/* a socket that is not a unix one, and no socket at all */
	ck_assert_int_eq(unix_diag_get(&sd, ino_of(sd.fd), &a), -ENOENT);
	ck_assert_int_eq(unix_diag_get(&sd, 0, &a), -ENOENT);
	sock_diag_close(&sd);
	close(sp[0]);
	close(sp[1]);
	close(lfd);
	close(cfd);
}
END_TEST

static Suite *sock_diag_suite(void)
{
	Suite *s = suite_create("sock-diag");
	TCase *tp = tcase_create("parse");
	TCase *tl = tcase_create("live");

	tcase_add_test(tp, test_parse_everything);
	tcase_add_test(tp, test_parse_abstract_and_bare);
	tcase_add_test(tp, test_parse_short_attrs_ignored);
	tcase_add_test(tp, test_parse_malformed);
	tcase_add_test(tp, test_attrs_walker);
	tcase_add_test(tp, test_garbage);
	suite_add_tcase(s, tp);
	tcase_add_test(tl, test_live_pair_and_listener);
	suite_add_tcase(s, tl);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sock_diag_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
