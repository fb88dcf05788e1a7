/*
 * 104-sysv-msg - a System V message queue (key KEY, mode 0620, qbytes
 * 4096) shared by a process and its child. Args: WORKDIR KEY.
 *
 * The stock: messages of types 5 ("five-a"), 3 ("three"), 5 (1000 bytes
 * of "five-b"), 9 ("nine") sent at start. Then the parent sends n as a
 * message of type 100, the child (blocked in msgrcv on type 100) sends it
 * back as type 200, the parent takes it (non-blocking) and sends n + 1.
 *
 * Prints "IDS msq=ID child=PID" before READY. The check: the queue has its
 * id, key, mode and qbytes; the stock is there, each type's messages in
 * their order (read with MSG_COPY, which leaves them); msgrcv of type 3
 * gives "three" (sent back after, to the end of the queue).
 */
#include "target.h"

#include <stdbool.h>
#include <sys/msg.h>
#include <sys/wait.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct msg {
	long mtype;
	char text[1024];
};

static int id;
static key_t key;
static unsigned int sent, acked;
static bool waiting;
static char five_b[1000];

static void send_msg(long type, const void *text, size_t len)
{
	struct msg m = { .mtype = type };

	memcpy(m.text, text, len);
	while (msgsnd(id, &m, len, 0) < 0)
		if (errno != EINTR)
			t_fatal("msgsnd %ld", type);
}

static void iterate(void)
{
	struct msg m;

	if (waiting && msgrcv(id, &m, sizeof(m.text), 200, IPC_NOWAIT) >= 0) {
		memcpy(&acked, m.text, sizeof(acked));
		waiting = false;
	}
	if (!waiting) {
		sent++;
		send_msg(100, &sent, sizeof(sent));
		waiting = true;
	}
}

static void check(struct t_check *c)
{
	struct msqid_ds ds;
	struct msg m;
	const char *want5[2] = { "five-a", five_b };
	int n5 = 0, n3 = 0, n9 = 0;
	ssize_t n;

	if (msgctl(id, IPC_STAT, &ds) < 0) {
		t_check_fail(c, "msgctl(%d): %s", id, strerror(errno));
		return;
	}
	if (ds.msg_perm.__key != key || (ds.msg_perm.mode & 0777) != 0620 || ds.msg_qbytes != 4096)
		t_check_fail(c, "queue: key %#x mode %#o qbytes %lu", ds.msg_perm.__key,
			     ds.msg_perm.mode & 0777, (unsigned long)ds.msg_qbytes);
	for (msgqnum_t i = 0; i < ds.msg_qnum; i++) {
		n = msgrcv(id, &m, sizeof(m.text), (long)i, IPC_NOWAIT | MSG_COPY);
		if (n < 0) {
			t_check_fail(c, "MSG_COPY %lu: %s", (unsigned long)i, strerror(errno));
			return;
		}
		if (m.mtype == 5 && n5 < 2 && ((size_t)n != strlen(want5[n5]) ||
					       memcmp(m.text, want5[n5], (size_t)n)))
			t_check_fail(c, "message %d of type 5 is wrong", n5);
		if (m.mtype == 3 && (n != 5 || memcmp(m.text, "three", 5)))
			t_check_fail(c, "message of type 3 is wrong");
		if (m.mtype == 9 && (n != 4 || memcmp(m.text, "nine", 4)))
			t_check_fail(c, "message of type 9 is wrong");
		n5 += m.mtype == 5;
		n3 += m.mtype == 3;
		n9 += m.mtype == 9;
	}
	if (n5 != 2 || n3 != 1 || n9 != 1)
		t_check_fail(c, "stock: %d of type 5, %d of 3, %d of 9", n5, n3, n9);
	n = msgrcv(id, &m, sizeof(m.text), 3, IPC_NOWAIT);
	if (n != 5 || memcmp(m.text, "three", 5))
		t_check_fail(c, "msgrcv of type 3: %zd", n);
	else
		send_msg(3, "three", 5);
	if (sent - acked > 1)
		t_check_fail(c, "the child does not answer (sent %u acked %u)", sent, acked);
	t_check_info(c, "acked=%u", acked);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = iterate, .check = check };
	struct msqid_ds ds;
	pid_t child;

	t_init(argc, argv);
	if (argc < 3)
		t_fatal("usage: 104-sysv-msg WORKDIR KEY");
	key = (key_t)strtol(argv[2], NULL, 0);
	for (size_t i = 0; i < sizeof(five_b) - 1; i++)
		five_b[i] = "five-b"[i % 6];
	id = msgget(key, IPC_CREAT | IPC_EXCL | 0620);
	if (id < 0 || msgctl(id, IPC_STAT, &ds) < 0)
		t_fatal("msgget");
	ds.msg_qbytes = 4096;
	if (msgctl(id, IPC_SET, &ds) < 0)
		t_fatal("IPC_SET");
	send_msg(5, "five-a", 6);
	send_msg(3, "three", 5);
	send_msg(5, five_b, strlen(five_b));
	send_msg(9, "nine", 4);
	child = fork();
	if (child < 0)
		t_fatal("fork");
	if (child == 0)
		for (;;) {
			struct msg m;
			ssize_t n = msgrcv(id, &m, sizeof(m.text), 100, 0);

			if (n >= 0)
				send_msg(200, m.text, (size_t)n);
			else if (errno != EINTR)
				t_fatal("child msgrcv");
		}
	t_log("IDS msq=%d child=%d", id, (int)child);
	t_run(&ops);
}
