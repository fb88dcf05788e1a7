/*
 * 141-pidfd.c - pidfds of the process's own tree.
 *
 * Usage: 141-pidfd WORKDIR
 *
 * Holds three pidfds at fixed numbers:
 *  - CHILD_FD: of a child made with clone3(CLONE_PIDFD), then moved and
 *    made non-blocking (fcntl O_NONBLOCK is PIDFD_NONBLOCK); the child
 *    counts SIGUSR1 in a shared page and dies of SIGTERM;
 *  - THREAD_FD: pidfd_open(PIDFD_THREAD) of its second thread, the only
 *    one with SIGURG unblocked, which notes who got it;
 *  - ZOMBIE_FD: pidfd_open of a child that exited with status 7 and is
 *    left unreaped.
 * Prints "TREE child=C zombie=Z thread=T" before READY. Runs the common
 * loop of target.h. Self-check, besides the common checks (the signal
 * mask includes SIGURG):
 *  - fdinfo of each pidfd names the right process or thread, and the
 *    flags are as set (CHILD_FD O_NONBLOCK, THREAD_FD PIDFD_THREAD);
 *  - the zombie's pidfd polls readable and waitid(P_PIDFD, WNOWAIT) on it
 *    says that pid exited with status 7;
 *  - the child's pidfd: while the child lives, it does not poll readable
 *    and pidfd_send_signal(SIGUSR1) through it reaches the child (its
 *    count goes up); once it died (the test kills it), it polls readable
 *    and waitid(P_PIDFD, WNOWAIT) says that pid was killed by SIGTERM
 *    (reported as child=alive or child=killed);
 *  - pidfd_send_signal(SIGURG) through THREAD_FD reaches that thread.
 */
#include "target.h"

#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CHILD_FD 10
#define THREAD_FD 11
#define ZOMBIE_FD 12
#define ZOMBIE_STATUS 7
#define WAIT_NS (10LL * 1000 * 1000 * 1000)

static _Atomic int *child_usr1; /* shared with the child */
static pid_t child, zombie;
static _Atomic pid_t thread_tid, urg_by;

static void on_urg(int sig)
{
	(void)sig;
	urg_by = (pid_t)syscall(SYS_gettid);
}

static void child_on_usr1(int sig)
{
	(void)sig;
	(*child_usr1)++;
}

static void *thread_main(void *arg)
{
	sigset_t urg;

	(void)arg;
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	thread_tid = (pid_t)syscall(SYS_gettid);
	pthread_sigmask(SIG_UNBLOCK, &urg, NULL);
	for (;;)
		pause();
	return NULL;
}

static void child_main(void)
{
	signal(SIGTERM, SIG_DFL);
	t_handle(SIGUSR1, child_on_usr1);
	for (;;)
		pause();
}

static int pidfd_pid(int fd)
{
	char path[64], *text = NULL, *p;
	size_t cap = 0;
	int pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	while (f && getline(&text, &cap, f) > 0)
		if ((p = strstr(text, "Pid:")) == text)
			pid = atoi(p + 4);
	if (f)
		fclose(f);
	free(text);
	return pid;
}

/* A bounded wait for *@v to become @want (another thread or process sets it). */
static int wait_value(_Atomic int *v, int want)
{
	int64_t end = t_now_ns() + WAIT_NS;
	struct timespec ms = { 0, 1000 * 1000 };

	while (*v != want && t_now_ns() < end)
		nanosleep(&ms, NULL);
	return *v == want;
}

static int readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void check_ids(struct t_check *c)
{
	static const struct {
		int fd, flags;
	} want[] = { { CHILD_FD, O_NONBLOCK }, { THREAD_FD, PIDFD_THREAD }, { ZOMBIE_FD, 0 } };
	pid_t ids[] = { child, thread_tid, zombie };

	for (int i = 0; i < 3; i++) {
		int fl = fcntl(want[i].fd, F_GETFL), got = pidfd_pid(want[i].fd);

		if (got != ids[i])
			t_check_fail(c, "fd %d is a pidfd of %d, want %d", want[i].fd, got, ids[i]);
		if (fl < 0 || (fl & (O_NONBLOCK | PIDFD_THREAD)) != want[i].flags)
			t_check_fail(c, "fd %d has flags %#x", want[i].fd, fl);
	}
}

static void check_waitid(struct t_check *c, int fd, pid_t pid, int code, int status,
			 const char *who)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (!readable(fd))
		t_check_fail(c, "the %s's pidfd does not poll readable", who);
	if (syscall(SYS_waitid, P_PIDFD, fd, &si, WEXITED | WNOWAIT | WNOHANG, NULL) < 0)
		t_check_fail(c, "waitid on the %s's pidfd: %s", who, strerror(errno));
	else if (si.si_pid != pid || si.si_code != code || si.si_status != status)
		t_check_fail(c, "waitid on the %s's pidfd: pid %d code %d status %d", who,
			     (int)si.si_pid, si.si_code, si.si_status);
}

static void pidfd_check(struct t_check *c)
{
	int n;

	check_ids(c);
	check_waitid(c, ZOMBIE_FD, zombie, CLD_EXITED, ZOMBIE_STATUS, "zombie");
	if (readable(CHILD_FD)) {
		check_waitid(c, CHILD_FD, child, CLD_KILLED, SIGTERM, "child");
		t_check_info(c, "child=killed");
	} else {
		n = *child_usr1;
		if (syscall(SYS_pidfd_send_signal, CHILD_FD, SIGUSR1, NULL, 0) < 0)
			t_check_fail(c, "pidfd_send_signal to the child: %s", strerror(errno));
		else if (!wait_value(child_usr1, n + 1))
			t_check_fail(c, "the child counts %d SIGUSR1, want %d", *child_usr1, n + 1);
		t_check_info(c, "child=alive child_usr1=%d", *child_usr1);
	}
	urg_by = 0;
	if (syscall(SYS_pidfd_send_signal, THREAD_FD, SIGURG, NULL, 0) < 0)
		t_check_fail(c, "pidfd_send_signal to the thread: %s", strerror(errno));
	else if (!wait_value(&urg_by, thread_tid))
		t_check_fail(c, "SIGURG reached %d, want thread %d", (int)urg_by, (int)thread_tid);
}

static void move_fd(int fd, int to)
{
	if (fd < 0 || dup2(fd, to) != to)
		t_fatal("dup2 %d to %d", fd, to);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = pidfd_check };
	struct clone_args ca = { .flags = CLONE_PIDFD, .exit_signal = SIGCHLD };
	int pidfd = -1;
	pthread_t th;
	sigset_t urg;

	t_init(argc, argv);
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	sigprocmask(SIG_BLOCK, &urg, NULL);
	t_handle(SIGURG, on_urg);
	child_usr1 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (child_usr1 == MAP_FAILED)
		t_fatal("mmap");

	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	child = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (child < 0)
		t_fatal("clone3");
	if (child == 0)
		child_main();
	move_fd(pidfd, CHILD_FD);
	if (fcntl(CHILD_FD, F_SETFL, O_NONBLOCK) < 0)
		t_fatal("O_NONBLOCK");

	zombie = fork();
	if (zombie < 0)
		t_fatal("fork");
	if (zombie == 0)
		_exit(ZOMBIE_STATUS);
	move_fd((int)syscall(SYS_pidfd_open, zombie, 0), ZOMBIE_FD);

	if (pthread_create(&th, NULL, thread_main, NULL))
		t_fatal("pthread_create");
	while (!thread_tid)
		sched_yield();
	move_fd((int)syscall(SYS_pidfd_open, thread_tid, PIDFD_THREAD), THREAD_FD);

	t_log("TREE child=%d zombie=%d thread=%d", (int)child, (int)zombie, (int)thread_tid);
	t_run(&ops);
	return 0;
}
