/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_PROC_H
#define CKPT_PROC_H
/*
 * Pure parsers of /proc text. Each takes a FILE* or a string, so that unit
 * tests run them on captured fixtures. They do not log; they return 0 or
 * -errno (-EINVAL for text they cannot parse).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* VmFlags of /proc/PID/smaps that matter for restore. */
enum {
	VMF_GROWSDOWN = 1 << 0, /* gd */
	VMF_SHARED = 1 << 1, /* sh */
	VMF_DONTDUMP = 1 << 2, /* dd */
	VMF_DONTCOPY = 1 << 3, /* dc */
	VMF_WIPEONFORK = 1 << 4, /* wf */
	VMF_HUGEPAGE = 1 << 5, /* hg */
	VMF_NOHUGEPAGE = 1 << 6, /* nh */
	VMF_MERGEABLE = 1 << 7, /* mg */
	VMF_LOCKED = 1 << 8, /* lo */
	VMF_SEQ_READ = 1 << 9, /* sr */
	VMF_RAND_READ = 1 << 10, /* rr */
	VMF_IO = 1 << 11, /* io: VM_IO, device memory */
	VMF_PFNMAP = 1 << 12, /* pf */
	VMF_HUGETLB = 1 << 13, /* ht */
	VMF_DONTEXPAND = 1 << 14, /* de */
	VMF_MAYWRITE = 1 << 15, /* mw */
	VMF_UFFD_WP = 1 << 16, /* uw: registered with a userfaultfd for write-protection */
};

struct proc_vma {
	uint64_t start, end, pgoff;
	bool r, w, x, shared;
	unsigned int dev_major, dev_minor;
	uint64_t ino;
	char *path; /* NULL for anonymous; "[heap]", "[vdso]", ... as shown */
	uint64_t vmflags; /* VMF_*, from smaps */
	uint64_t anon_huge_kb; /* AnonHugePages, from smaps */
};

/* Parse /proc/PID/maps, or smaps (then VmFlags and AnonHugePages are filled). */
int proc_parse_maps(FILE *f, struct proc_vma **ret_vmas, size_t *ret_nr);
void proc_vmas_free(struct proc_vma *vmas, size_t nr);
uint64_t proc_parse_vmflags(const char *s);

struct proc_stat {
	int pid;
	char comm[64];
	char state;
	int ppid, pgid, sid;
	unsigned int tty_nr; /* controlling terminal, as the kernel encodes a device */
	unsigned int flags; /* PF_* */
	long num_threads;
	uint64_t start_time; /* in clock ticks since boot: with pid, one process */
	uint64_t start_code, end_code, start_stack;
	uint64_t start_data, end_data, start_brk;
	uint64_t arg_start, arg_end, env_start, env_end;
	int exit_code;
};
#define PF_KTHREAD 0x00200000

int proc_parse_stat(const char *text, struct proc_stat *ret);

struct proc_status {
	unsigned int umask;
	unsigned int uid[4], gid[4]; /* real, effective, saved, fs */
	unsigned int *groups;
	size_t nr_groups;
	int tgid, ppid, threads;
	int tracer_pid;
	uint64_t sig_blocked, sig_pending, shd_pending, sig_caught;
	/* Security state; has_caps says the five Cap lines were there, the
	 * three ints are -1 when their line is missing (older kernels). */
	bool has_caps;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	int no_new_privs, seccomp, seccomp_filters;
};
int proc_parse_status(FILE *f, struct proc_status *ret);

struct proc_fdinfo {
	uint64_t pos;
	unsigned int flags; /* octal in the file */
	int mnt_id;
};
int proc_parse_fdinfo(FILE *f, struct proc_fdinfo *ret);

/*
 * The kind-specific lines of /proc/PID/fdinfo/FD of anonymous-inode files,
 * from the whole text of the file.
 */
struct proc_eventfd {
	uint64_t count; /* "eventfd-count:", in hex */
	int semaphore; /* "eventfd-semaphore:", or -1 on kernels without it */
};
int proc_parse_eventfd(const char *text, struct proc_eventfd *ret);

struct proc_timerfd {
	int clockid;
	uint64_t ticks;
	unsigned int settime_flags; /* octal in the file */
	uint64_t value_ns; /* time left, 0 if disarmed or expired */
	uint64_t interval_ns;
};
int proc_parse_timerfd(const char *text, struct proc_timerfd *ret);

/*
 * One POSIX timer of /proc/PID/timers. The kernel shows the notification
 * and its target, not the time left (timer_gettime in the task, see
 * posix-timers.c).
 */
struct proc_posix_timer {
	int id;
	int signo;
	uint64_t sigval; /* sigev_value, as the raw pointer */
	int notify; /* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, | SIGEV_THREAD_ID */
	int target; /* the pid or, with SIGEV_THREAD_ID, the tid */
	int clockid;
};
/* The whole text of /proc/PID/timers; -EINVAL on anything unknown. */
int proc_parse_posix_timers(const char *text, struct proc_posix_timer **ret_timers, size_t *ret_nr);

/* "sigmask:" of a signalfd: bit N-1 for signal N. */
int proc_parse_sigmask(const char *text, uint64_t *ret);

/* "tfd: 5 events: 19 data: 1234  pos:0 ino:40e sdev:10", one per item. */
struct proc_epoll_item {
	int tfd;
	uint32_t events;
	uint64_t data;
	uint64_t ino;
	unsigned int sdev; /* the kernel's dev_t: major << 20 | minor */
};
int proc_parse_epoll(const char *text, struct proc_epoll_item **ret_items, size_t *ret_nr);

/* "inotify wd:1 ino:2dd sdev:fe00000 mask:2 ignored_mask:0 fhandle-bytes:8
 * fhandle-type:1 f_handle:dd02000000000000", one per watch (all hex). */
#define PROC_FHANDLE_MAX 128
struct proc_inotify_watch {
	int wd;
	uint64_t ino;
	unsigned int sdev; /* the kernel's dev_t: major << 20 | minor */
	uint32_t mask;
	uint32_t handle_bytes; /* 0: the file system gives no handle */
	int handle_type;
	unsigned char handle[PROC_FHANDLE_MAX];
};
int proc_parse_inotify(const char *text, struct proc_inotify_watch **ret_watches, size_t *ret_nr);

/* The kernel's internal dev_t, as fdinfo prints it, split. */
#define PROC_KDEV_MAJOR(d) ((unsigned int)(d) >> 20)
#define PROC_KDEV_MINOR(d) ((unsigned int)(d)&0xfffff)

/* A field of /proc/PID/mountinfo, which escapes space, tab, newline and
 * backslash as \ooo, unescaped into a new string. */
char *proc_mountinfo_unescape(const char *s);

/* From /proc/PID/mountinfo: where a file system (its major:minor) is
 * mounted, preferring a mount of its root; the path unescaped. -ENOENT if
 * it is not mounted. */
int proc_find_mount(FILE *f, unsigned int major, unsigned int minor, char **ret_path);

/* Convenience wrappers that open /proc/PID/... themselves. */
int proc_read_stat(int pid, struct proc_stat *ret);
int proc_read_status(int pid, struct proc_status *ret);
/* /proc/PID/task/TID/status: credentials are per thread. */
int proc_read_thread_status(int pid, int tid, struct proc_status *ret);
int proc_read_maps(int pid, struct proc_vma **ret_vmas, size_t *ret_nr);
/* The same with VmFlags and AnonHugePages. It walks every page table entry
 * of the process to count its pages: costly for a large one. */
int proc_read_smaps(int pid, struct proc_vma **ret_vmas, size_t *ret_nr);
/* Thread ids of PID from /proc/PID/task. */
int proc_list_threads(int pid, int **ret_tids, size_t *ret_nr);
/* The fd numbers of @pid from /proc/PID/fd, in the order listed. */
int proc_list_fds(int pid, int **ret_fds, size_t *ret_nr);
/* Child pids of the thread TID from /proc/PID/task/TID/children. */
int proc_list_children(int pid, int tid, int **ret_pids, size_t *ret_nr);

#endif
