/*
 * 79-fd-refused.c - a process holding at fd 10 something ckpt does not
 * restore, to be refused at the dump; the target checks that it still has
 * it as it was.
 *
 * Usage: 79-fd-refused WORKDIR MODE
 *
 * MODE, set up before READY:
 *  - lease: a read lease (F_SETLEASE) on WORKDIR/leased, then deleted
 *    (a lease on a regular file is restored: test 143);
 *  - dnotify: WORKDIR/watched directory with F_NOTIFY DN_CREATE|DN_MULTISHOT
 *    and F_SETSIG SIGRTMIN+4 (blocked, taken with sigtimedwait);
 *  - owner-outside: a pipe read end whose SIGIO owner (F_SETOWN) is the
 *    target's parent, not in the dumped tree;
 *  - bpf-map: a BPF array map holding 42 at key 0;
 *  - perf: a software perf event counting task-clock;
 *  - userfaultfd, io_uring, fanotify, kvm (/dev/kvm), kvm-vm (a VM of it),
 *    memfd-secret (memfd_secret of one page, not mapped), memfd-huge (a
 *    memfd on hugetlbfs, empty), nsfs
 *    (/proc/self/ns/uts), pidfd (pidfd_open of its parent, outside the
 *    tree).
 * A mode the kernel refuses prints "UNSUPPORTED mode: why" and READY.
 *
 * Self-check (SIGUSR2): fd 10 is still what was set up: the lease held,
 * a new file in the watched directory brings SIGRTMIN+4 with si_fd 10,
 * the owner is the parent, the map holds 42, the event counts, the
 * secret area is a page long, and fd 10 is open for the others.
 */
#include "target.h"

#include <linux/bpf.h>
#include <linux/fanotify.h>
#include <linux/io_uring.h>
#include <linux/kvm.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

static const char *mode;
static pid_t parent;
static unsigned long created;

static int bpf_map_new(void)
{
	union bpf_attr a = { .map_type = BPF_MAP_TYPE_ARRAY,
			     .key_size = 4,
			     .value_size = 8,
			     .max_entries = 1 };

	return (int)syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
}

static int bpf_map_op(int cmd, uint64_t *value)
{
	uint32_t key = 0;
	union bpf_attr a = { .map_fd = 10 };

	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)value;
	return (int)syscall(SYS_bpf, cmd, &a, sizeof(a));
}

static int perf_new(void)
{
	struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE,
				     .size = sizeof(a),
				     .config = PERF_COUNT_SW_TASK_CLOCK };

	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static int setup(void)
{
	struct io_uring_params p = { 0 };
	int fd, p2[2];

	if (!strcmp(mode, "lease")) {
		fd = open("leased", O_RDONLY | O_CREAT, 0644);
		if (fd >= 0 && (fcntl(fd, F_SETLEASE, F_RDLCK) || unlink("leased")))
			return -1;
		return fd;
	}
	if (!strcmp(mode, "dnotify")) {
		if (mkdir("watched", 0755))
			return -1;
		/* F_NOTIFY once at fd 10: closing any fd of it drops it. */
		return open("watched", O_RDONLY | O_DIRECTORY);
	}
	if (!strcmp(mode, "owner-outside")) {
		if (pipe(p2) || fcntl(p2[0], F_SETOWN, parent))
			return -1;
		return p2[0];
	}
	if (!strcmp(mode, "bpf-map"))
		return bpf_map_new();
	if (!strcmp(mode, "perf"))
		return perf_new();
	if (!strcmp(mode, "userfaultfd"))
		return (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (!strcmp(mode, "io_uring-sqpoll")) {
		p.flags = IORING_SETUP_SQPOLL;
		return (int)syscall(SYS_io_uring_setup, 4, &p);
	}
	if (!strcmp(mode, "fanotify"))
		return (int)syscall(SYS_fanotify_init, FAN_CLASS_NOTIF, O_RDONLY);
	if (!strcmp(mode, "kvm"))
		return open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (!strcmp(mode, "kvm-vm")) {
		int vm;

		fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		vm = fd < 0 ? fd : ioctl(fd, KVM_CREATE_VM, 0);
		if (fd >= 0)
			close(fd);
		return vm;
	}
	if (!strcmp(mode, "memfd-secret")) {
		fd = (int)syscall(SYS_memfd_secret, 0);
		/* Not mapped: a mapping of it is refused for what it is. */
		if (fd < 0 || ftruncate(fd, 4096))
			return -1;
		return fd;
	}
	if (!strcmp(mode, "memfd-huge"))
		return memfd_create("huge", MFD_HUGETLB | MFD_CLOEXEC);
	if (!strcmp(mode, "nsfs"))
		return open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	if (!strcmp(mode, "pidfd"))
		return (int)syscall(SYS_pidfd_open, getppid(), 0);
	errno = EINVAL;
	t_fatal("unknown mode '%s'", mode);
}

static void dnotify_check(struct t_check *c)
{
	struct timespec ten = { 10, 0 }, none = { 0, 0 };
	char name[64];
	siginfo_t si;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 4);
	snprintf(name, sizeof(name), "watched/f%lu", ++created);
	fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		t_check_fail(c, "create %s: %s", name, strerror(errno));
		return;
	}
	close(fd);
	if (sigtimedwait(&set, &si, &ten) != SIGRTMIN + 4)
		t_check_fail(c, "no dnotify signal for %s: %s", name, strerror(errno));
	else if (si.si_fd != 10)
		t_check_fail(c, "dnotify signal with si_fd %d, want 10", si.si_fd);
	while (sigtimedwait(&set, &si, &none) == SIGRTMIN + 4)
		;
}

static void refused_check(struct t_check *c)
{
	struct stat st = { 0 };
	struct statfs sfs;
	uint64_t v = 0;

	if (fcntl(10, F_GETFD) < 0) {
		t_check_fail(c, "fd 10: %s", strerror(errno));
		return;
	}
	if (!strcmp(mode, "lease") && fcntl(10, F_GETLEASE) != F_RDLCK)
		t_check_fail(c, "F_GETLEASE of fd 10 is %d, want F_RDLCK", fcntl(10, F_GETLEASE));
	if (!strcmp(mode, "dnotify"))
		dnotify_check(c);
	if (!strcmp(mode, "owner-outside") && fcntl(10, F_GETOWN) != parent)
		t_check_fail(c, "owner of fd 10 is %d, want %d", fcntl(10, F_GETOWN), (int)parent);
	if (!strcmp(mode, "bpf-map") && (bpf_map_op(BPF_MAP_LOOKUP_ELEM, &v) || v != 42))
		t_check_fail(c, "the map holds %llu, want 42", (unsigned long long)v);
	if (!strcmp(mode, "perf") && (read(10, &v, sizeof(v)) != sizeof(v) || !v))
		t_check_fail(c, "the perf event counts %llu", (unsigned long long)v);
	if (!strcmp(mode, "memfd-huge") && (fstatfs(10, &sfs) || sfs.f_type != HUGETLBFS_MAGIC))
		t_check_fail(c, "fd 10 is no longer on hugetlbfs");
	if (!strcmp(mode, "memfd-secret") && (fstat(10, &st) || st.st_size != 4096))
		t_check_fail(c, "the secret area is %lld bytes, want 4096", (long long)st.st_size);
}

int main(int argc, char **argv)
{
	static const struct t_ops ops = { .check = refused_check };
	uint64_t v = 42;
	sigset_t set;
	int fd;

	t_init(argc, argv);
	mode = argc > 2 ? argv[2] : "";
	parent = getppid();
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 4);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		t_fatal("sigprocmask");
	fd = setup();
	if (fd < 0) {
		t_log("UNSUPPORTED %s: %s", mode, strerror(errno));
		mode = "none";
		fd = open("/dev/null", O_RDONLY);
	}
	t_fd_at(fd, 10);
	if (!strcmp(mode, "dnotify") &&
	    (fcntl(10, F_SETSIG, SIGRTMIN + 4) || fcntl(10, F_NOTIFY, DN_CREATE | DN_MULTISHOT)))
		t_fatal("F_NOTIFY");
	if (!strcmp(mode, "bpf-map") && bpf_map_op(BPF_MAP_UPDATE_ELEM, &v))
		t_fatal("BPF_MAP_UPDATE_ELEM");
	t_run(&ops);
	return 0;
}
