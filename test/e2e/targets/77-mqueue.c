/*
 * 77-mqueue.c - a process holding a POSIX message queue.
 *
 * Usage: 77-mqueue WORKDIR NAME MODE
 *
 * Opens (creates, mode 0640) the queue NAME (4 messages of 64 bytes at
 * most) at fd 10, and a second, write-only and non-blocking description
 * of it at fd 11; sends "low" (priority 1), "high" (7) and "low2" (1).
 * MODE:
 *  - named: keeps its name until the target exits (SIGTERM: then it
 *    removes it);
 *  - unlinked: removes the name at once (/proc: "NAME (deleted)");
 *  - notify: named, with a notification registered (mq_notify, SIGUSR1);
 *  - full: unlinked, with a fourth message "full" (0): the queue is full.
 *
 * Self-check (SIGUSR2): fd 10 is still a queue with its limits, mode and
 * messages: receives them (high, low, low2, then full) and sends them
 * back as they were (not with a notification: that would fire it); fd 11 still writes to the same queue, non-blocking;
 * a notification is still registered (mq_notify fails with EBUSY) or
 * not; the name is there or not as set up (not probed with a notification:
 * closing the probe would end it).
 */
#include "target.h"

#include <mqueue.h>

static const char *name, *mode;
static const struct {
	const char *text;
	unsigned int prio;
} want[] = { { "high", 7 }, { "low", 1 }, { "low2", 1 }, { "full", 0 } };
static long nr_msgs;

static void unlink_queue(void)
{
	(void)mq_unlink(name);
}

static void messages_check(struct t_check *c)
{
	char buf[64];
	unsigned int prio;

	for (long i = 0; i < nr_msgs; i++) {
		ssize_t n = mq_receive(10, buf, sizeof(buf), &prio);

		if (n < 0 || (size_t)n != strlen(want[i].text) + 1 || strcmp(buf, want[i].text) ||
		    prio != want[i].prio)
			t_check_fail(c, "message %ld is '%.*s' (%u), want '%s' (%u)", i,
				     n > 0 ? (int)n : 0, buf, prio, want[i].text, want[i].prio);
	}
	/* Back in the same order: the queue is as it was. */
	for (long i = 0; i < nr_msgs; i++)
		if (mq_send(i ? 11 : 10, want[i].text, strlen(want[i].text) + 1, want[i].prio))
			t_check_fail(c, "mq_send: %s", strerror(errno));
}

static void mq_check(struct t_check *c)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	struct mq_attr a, b;
	struct stat st;
	mqd_t q;

	if (mq_getattr(10, &a) || mq_getattr(11, &b)) {
		t_check_fail(c, "mq_getattr: %s", strerror(errno));
		return;
	}
	if (a.mq_maxmsg != 4 || a.mq_msgsize != 64 || a.mq_curmsgs != nr_msgs)
		t_check_fail(c, "queue has %ld of %ld messages of %ld bytes, want %ld of 4 of 64",
			     a.mq_curmsgs, a.mq_maxmsg, a.mq_msgsize, nr_msgs);
	if (a.mq_flags != 0 || b.mq_flags != O_NONBLOCK || (fcntl(11, F_GETFL) & O_ACCMODE) != O_WRONLY)
		t_check_fail(c, "flags %ld and %ld, want 0 and O_NONBLOCK", a.mq_flags, b.mq_flags);
	if (fstat(10, &st) || (st.st_mode & 0777) != 0640 || st.st_uid != getuid())
		t_check_fail(c, "mode %o owner %u, want 0640 and %u", st.st_mode & 0777, st.st_uid,
			     getuid());
	/* Refilling an emptied queue would fire (and end) a notification. */
	if (strcmp(mode, "notify"))
		messages_check(c);
	if (!strcmp(mode, "notify") != (mq_notify(10, &sev) < 0 && errno == EBUSY))
		t_check_fail(c, "a notification is %sregistered", strcmp(mode, "notify") ? "" : "not ");
	else if (strcmp(mode, "notify"))
		mq_notify(10, NULL); /* the probe registered one: drop it */
	/* Closing any fd of the queue would end a notification too. */
	q = strcmp(mode, "notify") ? mq_open(name, O_RDONLY) : 0;
	if ((q >= 0) != !strcmp(mode, "named") && strcmp(mode, "notify"))
		t_check_fail(c, "the name %s is %s", name, q >= 0 ? "there" : "gone");
	if (q > 0)
		mq_close(q);
	t_check_info(c, "msgs=%ld", a.mq_curmsgs);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = mq_check };
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	mqd_t q;

	t_init(argc, argv);
	if (argc < 4)
		t_fatal("usage: 77-mqueue WORKDIR NAME MODE");
	name = argv[2];
	mode = argv[3];
	nr_msgs = strcmp(mode, "full") ? 3 : 4;
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640, &a);
	if (q < 0)
		t_fatal("mq_open %s", name);
	atexit(unlink_queue);
	t_fd_at(q, 10);
	t_fd_at(mq_open(name, O_WRONLY | O_NONBLOCK | O_CLOEXEC), 11);
	/* Sent out of order: the queue sorts them. */
	if (mq_send(10, "low", 4, 1) || mq_send(11, "high", 5, 7) || mq_send(10, "low2", 5, 1) ||
	    (nr_msgs == 4 && mq_send(10, "full", 5, 0)))
		t_fatal("mq_send");
	if (!strcmp(mode, "notify") && mq_notify(10, &sev))
		t_fatal("mq_notify");
	if (!strcmp(mode, "unlinked") || !strcmp(mode, "full"))
		unlink_queue();
	t_run(&ops);
	return 0;
}
