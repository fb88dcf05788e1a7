/*
 * 77-mqueue.c - a process holding a POSIX message queue, which ckpt does
 * not save: the dump must be refused, and the queue stay as it was.
 *
 * Usage: 77-mqueue WORKDIR NAME MODE
 *
 * Opens (creates) the queue NAME (4 messages of 64 bytes at most) at fd
 * 10, sends two messages (priorities 1 and 7); MODE "named" keeps its name
 * until the target exits (SIGTERM: then it removes it), "unlinked" removes
 * the name at once (/proc then shows "NAME (deleted)").
 *
 * Self-check (SIGUSR2): fd 10 is still a message queue with its limits
 * and its two messages (mq_getattr), and the name is there or not as set
 * up.
 */
#include "target.h"

#include <mqueue.h>

static const char *name, *mode;

static void unlink_queue(void)
{
	(void)mq_unlink(name);
}

static void mq_check(struct t_check *c)
{
	struct mq_attr a;
	mqd_t q;

	if (mq_getattr(10, &a))
		t_check_fail(c, "mq_getattr on fd 10: %s", strerror(errno));
	else if (a.mq_maxmsg != 4 || a.mq_msgsize != 64 || a.mq_curmsgs != 2)
		t_check_fail(c, "queue has %ld of %ld messages of %ld bytes, want 2 of 4 of 64",
			     a.mq_curmsgs, a.mq_maxmsg, a.mq_msgsize);
	q = mq_open(name, O_RDONLY);
	if ((q >= 0) != !strcmp(mode, "named"))
		t_check_fail(c, "the name %s is %s", name, q >= 0 ? "there" : "gone");
	if (q >= 0)
		mq_close(q);
	t_check_info(c, "msgs=%ld", a.mq_curmsgs);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = mq_check };
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	mqd_t q;

	t_init(argc, argv);
	if (argc < 4)
		t_fatal("usage: 77-mqueue WORKDIR NAME MODE");
	name = argv[2];
	mode = argv[3];
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	if (q < 0)
		t_fatal("mq_open %s", name);
	atexit(unlink_queue);
	t_fd_at(q, 10);
	if (mq_send(10, "low", 4, 1) || mq_send(10, "high", 5, 7))
		t_fatal("mq_send");
	if (!strcmp(mode, "unlinked"))
		unlink_queue();
	t_run(&ops);
	return 0;
}
