/*
 * 105-mq-notify.c - a process waiting on POSIX message queues by mq_notify.
 *
 * Usage: 105-mq-notify WORKDIR NAME MODE
 *        105-mq-notify send PATH TEXT   (a helper: sends TEXT to the queue
 *                                        opened at PATH, e.g. /proc/PID/fd/10)
 *        105-mq-notify own PATH         (a helper: registers SIGEV_NONE on the
 *                                        queue at PATH, says READY, waits)
 *
 * Opens (creates) the queues NAME-a at fd 10 (non-blocking) and NAME-b at
 * fd 11, 4 messages of 64 bytes at most, and registers:
 *  - on fd 10 SIGEV_SIGNAL, SIGUSR1 with sival_int 4242: the handler
 *    counts a SIGUSR1 with si_code SI_MESGQ as a notification (and checks
 *    its si_value), any other as the harness's SIGUSR1; the main loop then
 *    receives every message of the queue and registers again;
 *  - on fd 11 SIGEV_NONE.
 * MODE:
 *  - named: both queues keep their names (removed at exit);
 *  - unlinked: both names are removed at once;
 *  - blocked: named, SIGUSR1 blocked: the main loop takes its signals
 *    with sigtimedwait;
 *  - thread: fd 10 registered SIGEV_THREAD instead (glibc's helper thread);
 *  - msgs: fd 10 holds a message "early" when it registers;
 *  - outside: named, fd 11 not registered by the target (a process outside
 *    may register on it).
 *
 * Self-check (SIGUSR2): each queue's status line (a read of the queue)
 * shows the registration as set up: NOTIFY_PID this process, NOTIFY and
 * SIGNO; every notification so far carried 4242 and SI_MESGQ and came
 * with one message "ping". Reports notes=N (notifications), pings=N and
 * busy=N (times it found itself registered already when it registered
 * again after a notification).
 */
#include "target.h"

#include <mqueue.h>

#define SIG_NOTE SIGUSR1
#define NOTE_VALUE 4242

static const char *mode;
static char name_a[256], name_b[256];
static volatile sig_atomic_t notes, bad_value, bad_code;
static int notes_seen, pings, bad_msgs, busy;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code != SI_MESGQ) {
		t_usr1_count++;
		return;
	}
	notes++;
	if (si->si_value.sival_int != NOTE_VALUE)
		bad_value = si->si_value.sival_int ? si->si_value.sival_int : -1;
	if (si->si_signo != SIG_NOTE)
		bad_code = 1;
}

static void on_thread(union sigval v)
{
	(void)v;
}

static void register_a(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIG_NOTE };

	sev.sigev_value.sival_int = NOTE_VALUE;
	if (!strcmp(mode, "thread")) {
		sev.sigev_notify = SIGEV_THREAD;
		sev.sigev_notify_function = on_thread;
	}
	/* Registered already: a notification came twice (a ckpt killed in
	 * the middle of a dump, see README); counted, not fatal. */
	if (mq_notify(10, &sev) == 0)
		return;
	if (errno != EBUSY)
		t_fatal("mq_notify on fd 10");
	busy++;
}

/* Each notification: take the messages, register again. */
static void iterate(void)
{
	char buf[64];
	unsigned int prio;
	ssize_t n;

	if (!strcmp(mode, "blocked")) {
		struct timespec zero = { 0, 0 };
		sigset_t set;
		siginfo_t si;

		sigemptyset(&set);
		sigaddset(&set, SIG_NOTE);
		while (sigtimedwait(&set, &si, &zero) == SIG_NOTE)
			on_usr1(SIG_NOTE, &si, NULL);
	}
	if (notes == notes_seen)
		return;
	notes_seen = notes;
	while ((n = mq_receive(10, buf, sizeof(buf), &prio)) >= 0) {
		if (n == 5 && !memcmp(buf, "ping", 5))
			pings++;
		else
			bad_msgs++;
	}
	register_a();
}

static void unlink_queues(void)
{
	(void)mq_unlink(name_a);
	(void)mq_unlink(name_b);
}

/* The status line of queue @fd: NOTIFY, SIGNO and NOTIFY_PID as set up. */
static void status_check(struct t_check *c, int fd, int notify, int signo)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	int no = -1, sig = -1, pid = -1;
	const char *p;

	if (n < 0) {
		t_check_fail(c, "read of fd %d: %s", fd, strerror(errno));
		return;
	}
	buf[n] = 0;
	if ((p = strstr(buf, "NOTIFY:")))
		no = atoi(p + 7);
	if ((p = strstr(buf, "SIGNO:")))
		sig = atoi(p + 6);
	if ((p = strstr(buf, "NOTIFY_PID:")))
		pid = atoi(p + 11);
	if (no != notify || sig != signo || pid != getpid())
		t_check_fail(c, "fd %d: NOTIFY %d SIGNO %d NOTIFY_PID %d, want %d %d %d", fd, no,
			     sig, pid, notify, signo, (int)getpid());
}

static void check(struct t_check *c)
{
	struct mq_attr a;

	if (!strcmp(mode, "thread"))
		status_check(c, 10, SIGEV_THREAD, 0);
	else
		status_check(c, 10, SIGEV_SIGNAL, SIG_NOTE);
	if (strcmp(mode, "outside"))
		status_check(c, 11, SIGEV_NONE, 0);
	if (bad_value)
		t_check_fail(c, "a notification carried %d, want %d", (int)bad_value, NOTE_VALUE);
	if (bad_code)
		t_check_fail(c, "a notification came by another signal");
	if (bad_msgs)
		t_check_fail(c, "%d messages were not 'ping'", bad_msgs);
	if (mq_getattr(10, &a) || a.mq_maxmsg != 4 || a.mq_msgsize != 64)
		t_check_fail(c, "fd 10 is not the queue it was");
	t_check_info(c, "notes=%d", (int)notes);
	t_check_info(c, "pings=%d", pings);
	t_check_info(c, "busy=%d", busy);
}

static int send_to(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || mq_send(fd, text, strlen(text) + 1, 0)) {
		perror(path);
		return 1;
	}
	return 0;
}

/* Registered on the queue at @path by a process outside the tree. */
static int own(const char *path)
{
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || mq_notify(fd, &none)) {
		perror(path);
		return 1;
	}
	t_log("READY pid=%d", (int)getpid());
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .iterate = iterate, .check = check };
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	struct sigaction sa;

	if (argc == 4 && !strcmp(argv[1], "send"))
		return send_to(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "own"))
		return own(argv[2]);
	t_init(argc, argv);
	if (argc < 4)
		t_fatal("usage: 105-mq-notify WORKDIR NAME MODE");
	mode = argv[3];
	snprintf(name_a, sizeof(name_a), "%s-a", argv[2]);
	snprintf(name_b, sizeof(name_b), "%s-b", argv[2]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIG_NOTE, &sa, NULL))
		t_fatal("sigaction");
	t_fd_at(mq_open(name_a, O_RDWR | O_NONBLOCK | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr),
		10);
	atexit(unlink_queues);
	t_fd_at(mq_open(name_b, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr), 11);
	if (!strcmp(mode, "msgs") && mq_send(10, "early", 6, 0))
		t_fatal("mq_send");
	register_a();
	if (strcmp(mode, "outside") && mq_notify(11, &none))
		t_fatal("mq_notify on fd 11");
	if (!strcmp(mode, "unlinked"))
		unlink_queues();
	if (!strcmp(mode, "blocked")) {
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIG_NOTE);
		sigprocmask(SIG_BLOCK, &set, NULL);
	}
	t_run(&ops);
	return 0;
}
