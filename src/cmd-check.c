// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt check: the kernel features ckpt relies on, each tried for real
 * (not guessed from a version number), with what depends on it.
 */
#include "commands.h"
#include "proc.h"
#include "trust.h"
#include "ns.h"
#include "util.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

struct feature {
	const char *name;
	const char *needed_for;
	bool required;
	int (*probe)(void);
};

static int probe_caps(void)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t v1 = CAP_CLEAR, v2 = CAP_CLEAR;

	if (!caps)
		return -errno;
	cap_get_flag(caps, CAP_SYS_PTRACE, CAP_EFFECTIVE, &v1);
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v2);
	cap_free(caps);
	return v1 == CAP_SET && v2 == CAP_SET ? 0 : -EPERM;
}

static int probe_file(const char *path)
{
	return access(path, R_OK) == 0 ? 0 : -errno;
}

static int probe_pagemap(void)
{
	return probe_file("/proc/self/pagemap");
}

static int probe_map_files(void)
{
	return probe_file("/proc/self/map_files");
}

static int probe_children(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
	return probe_file(path);
}

static int probe_vm_readv(void)
{
	char src[8] = "abc", dst[8] = "";
	struct iovec l = { dst, 4 }, r = { src, 4 };

	return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == 4 ? 0 : -errno;
}

static int probe_clone3_set_tid(void)
{
	/* set_tid of a taken pid (our own) must fail with EEXIST, not EINVAL
	 * or ENOSYS: that tells the feature is there without creating anything. */
	pid_t tid = getpid();
	struct clone_args args = { .exit_signal = SIGCHLD,
				   .set_tid = (uint64_t)&tid,
				   .set_tid_size = 1 };
	long r = syscall(SYS_clone3, &args, sizeof(args));

	if (r == 0)
		_exit(0);
	if (r > 0) {
		waitpid((pid_t)r, NULL, 0);
		return 0;
	}
	return errno == EEXIST ? 0 : -errno;
}

static int probe_seize(void)
{
	pid_t pid = fork();
	int status, r = 0;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0 ||
	    ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0)
		r = -errno;
	else if (waitpid(pid, &status, __WALL) < 0 || (status >> 16) != PTRACE_EVENT_STOP)
		r = -EIO;
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
	return r;
}

static int probe_mm_map(void)
{
	unsigned int size = 0;

	return prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, &size, 0, 0) == 0 ? 0 : -errno;
}

static int probe_rseq_config(void)
{
	pid_t pid = fork();
	struct {
		uint64_t p;
		uint32_t a, b, c, d;
	} rc;
	int status, r = 0;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0 ||
	    ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0 || waitpid(pid, &status, __WALL) < 0 ||
	    ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, (void *)sizeof(rc), &rc) < 0)
		r = -errno;
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
	return r;
}

static int probe_populate(void)
{
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r;

	if (p == MAP_FAILED)
		return -errno;
	r = madvise(p, 8192, MADV_POPULATE_WRITE) == 0 ? 0 : -errno;
	munmap(p, 8192);
	return r;
}

static int probe_close_range(void)
{
	return syscall(SYS_close_range, ~0U - 1, ~0U, 0) == 0 ? 0 : -errno;
}

static int probe_pidfd_getfd(void)
{
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0), fd;

	if (pidfd < 0)
		return -errno;
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, pidfd, 0);
	if (fd >= 0)
		close(fd);
	close(pidfd);
	return fd < 0 ? -errno : 0;
}

static int probe_pidfd_open(void)
{
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);

	if (pidfd < 0)
		return -errno;
	close(pidfd);
	return 0;
}

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif

static int probe_peerpidfd(void)
{
	int sk[2], pidfd = -1, r = 0;
	socklen_t len = sizeof(pidfd);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sk) < 0)
		return -errno;
	if (getsockopt(sk[0], SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
		r = -errno;
	else
		close(pidfd);
	close(sk[0]);
	close(sk[1]);
	return r;
}

static int probe_tcp_repair(void)
{
	int sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1, r;

	if (sk < 0)
		return -errno;
	r = setsockopt(sk, SOL_TCP, TCP_REPAIR, &on, sizeof(on)) == 0 ? 0 : -errno;
	close(sk);
	return r;
}

/* A child under a seccomp filter, stopped by us: its filter read back,
 * and seccomp suspended for the calls we would make in it. */
static int probe_seccomp_child(long option, bool get_filter)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { 1, &allow };
	int sync[2], status, r = 0;
	pid_t pid;
	char c;

	if (pipe2(sync, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sync[0]);
		close(sync[1]);
		return r;
	}
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0 &&
		    write(sync[1], "x", 1) == 1)
			for (;;)
				pause();
		_exit(0);
	}
	close(sync[1]);
	if (read(sync[0], &c, 1) != 1)
		r = -ENOSYS;
	close(sync[0]);
	if (r == 0 && (ptrace(PTRACE_SEIZE, pid, NULL, (void *)option) < 0 ||
		       ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0))
		r = -errno;
	if (r == 0 && waitpid(pid, &status, __WALL) < 0)
		r = -errno;
	if (r == 0 && get_filter && ptrace(PTRACE_SECCOMP_GET_FILTER, pid, NULL, NULL) != 1)
		r = errno ? -errno : -EIO;
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
	return r;
}

static int probe_seccomp_get_filter(void)
{
	errno = 0;
	return probe_seccomp_child(0, true);
}

static int probe_seccomp_suspend(void)
{
	return probe_seccomp_child(PTRACE_O_SUSPEND_SECCOMP, false);
}

static int probe_status_security(void)
{
	struct proc_status st;
	int r = proc_read_status(getpid(), &st);

	free(st.groups);
	if (r < 0)
		return r;
	return st.has_caps && st.no_new_privs >= 0 && st.seccomp >= 0 && st.seccomp_filters >= 0
		       ? 0
		       : -ENOTSUP;
}

/* Without it, trust_open() walks each path one O_NOFOLLOW component at a
 * time: the same protection, more system calls; nothing is refused. */
static int probe_openat2(void)
{
	return trust_have_openat2() ? 0 : -ENOSYS;
}

/* timer_create takes the id it is handed (Linux 6.13). */
static int probe_timer_ids(void)
{
	return prctl(77 /* PR_TIMER_CREATE_RESTORE_IDS */, 2 /* _GET */, 0, 0, 0) < 0 ? -errno : 0;
}

static const struct feature features[] = {
	{ "CAP_SYS_PTRACE and CAP_SYS_ADMIN", "dump and restore", true, probe_caps },
	{ "ptrace seize/interrupt", "freezing a process", true, probe_seize },
	{ "/proc/PID/pagemap", "finding the pages to save", true, probe_pagemap },
	{ "/proc/PID/map_files", "identifying mapped files", true, probe_map_files },
	{ "/proc/PID/task/TID/children", "finding child processes", true, probe_children },
	{ "process_vm_readv/writev", "copying memory", true, probe_vm_readv },
	{ "clone3 with set_tid", "restoring with the same PID", true, probe_clone3_set_tid },
	{ "prctl PR_SET_MM_MAP", "restoring brk, stack, cmdline, auxv, exe", true, probe_mm_map },
	{ "ptrace GET_RSEQ_CONFIGURATION", "saving rseq registration", true, probe_rseq_config },
	{ "close_range", "cleaning up restorer fds", true, probe_close_range },
	{ "/proc/PID/status caps and seccomp", "saving and checking credentials", true,
	  probe_status_security },
	{ "MADV_POPULATE_WRITE", "fast restore of memory (optional)", false, probe_populate },
	{ "pidfd_getfd", "sockets (optional)", false, probe_pidfd_getfd },
	{ "TCP_REPAIR (CAP_NET_ADMIN)", "established TCP connections (optional)", false,
	  probe_tcp_repair },
	{ "prctl PR_TIMER_CREATE_RESTORE_IDS",
	  "POSIX timers (optional: without it a process with one is refused)", false,
	  probe_timer_ids },
};

/*
 * What keeps a restore from giving more than the dump saw, and what ckpt
 * refuses (or does another way) on a kernel without it. None is required:
 * without one, ckpt refuses what it cannot do safely, never does it unsafely.
 */
static const struct feature protections[] = {
	{ "openat2 RESOLVE_NO_SYMLINKS",
	  "paths from images opened through no symlink; without it, one O_NOFOLLOW open a component does the same (nothing refused)",
	  false, probe_openat2 },
	{ "ptrace SECCOMP_GET_FILTER",
	  "seccomp filters saved exactly; without it, processes under seccomp filters are refused at dump",
	  false, probe_seccomp_get_filter },
	{ "ptrace O_SUSPEND_SECCOMP",
	  "no filter can kill a process during ckpt's remote calls; without it, processes under seccomp are refused at dump",
	  false, probe_seccomp_suspend },
	{ "pidfd_open",
	  "processes pinned while checked (the keeper's peers); without it, incremental dumps (pre-dump, --parent) are refused",
	  false, probe_pidfd_open },
	{ "SO_PEERPIDFD",
	  "the keeper's peer pinned from its connect; without it, from the check on (pidfd_open)",
	  false, probe_peerpidfd },
};

static int print_features(const struct feature *f, size_t n)
{
	int missing = 0;

	for (size_t i = 0; i < n; i++) {
		int r = f[i].probe();

		printf("%-36s %-4s %s%s%s\n", f[i].name, r == 0 ? "ok" : "NO", f[i].needed_for,
		       r ? ": " : "", r ? strerror(-r) : "");
		if (r && f[i].required)
			missing++;
	}
	return missing;
}

int cmd_check(const struct options *o)
{
	int missing = print_features(features, ARRAY_SIZE(features));

	printf("protections (what is refused without each):\n");
	(void)print_features(protections, ARRAY_SIZE(protections));
	check_caps_print();
	printf("namespaces (what ckpt saves and this kernel lets it make again):\n");
	(void)ns_check_kinds();
	if (missing) {
		pr_err("cannot checkpoint on this system: %d required feature%s missing", missing,
		       missing > 1 ? "s" : "");
		return -ENOTSUP;
	}
	printf("this kernel has everything ckpt needs\n");
	return 0;
}
