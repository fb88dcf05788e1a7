// SPDX-License-Identifier: GPL-2.0
/*
 * The validators of images as read (images are untrusted input): each
 * takes a sane message, and refuses it (-EBADMSG, one line logged) once one
 * field is made hostile.
 */
#include "files.h"
#include "image.h"
#include "imgdir.h"
#include "kinds.h"
#include "mm.h"
#include "tree.h"
#include "trust.h"
#include "util.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>

static void setup(void)
{
	/* The refusals are expected: their lines go nowhere. */
	log_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
}

/* ---- mm ---- */

static VmaEntry vmas[3];
static VmaEntry *vma_ptrs[3] = { &vmas[0], &vmas[1], &vmas[2] };
static MmEntry mm;

static void mm_make(void)
{
	static const uint64_t at[3][2] = {
		{ 0x400000, 0x401000 },
		{ 0x600000, 0x700000 },
		{ 0x7ffff7000000, 0x7ffff7100000 },
	};

	mm_entry__init(&mm);
	for (int i = 0; i < 3; i++) {
		vma_entry__init(&vmas[i]);
		vmas[i].start = at[i][0];
		vmas[i].end = at[i][1];
		vmas[i].prot = PROT_READ | PROT_WRITE;
		vmas[i].kind = VMA_KIND__VMA_ANON_PRIVATE;
	}
	mm.n_vmas = 3;
	mm.vmas = vma_ptrs;
	mm.exe_path = "/bin/true";
	mm.start_brk = mm.brk = 0x600000;
}

START_TEST(test_mm_sane)
{
	mm_make();
	ck_assert_int_eq(mm_check(&mm, 1), 0);
}
END_TEST

START_TEST(test_mm_hostile)
{
	mm_make();
	vmas[1].start = 0x400800; /* overlaps vma 0, unaligned */
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
	mm_make();
	vmas[1].start = 0x400000; /* overlaps vma 0, aligned */
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
	mm_make();
	vma_ptrs[0] = &vmas[1], vma_ptrs[1] = &vmas[0]; /* unsorted */
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
	vma_ptrs[0] = &vmas[0], vma_ptrs[1] = &vmas[1];
	mm_make();
	vmas[2].end = 0x800000000000ULL; /* past the user address limit */
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
	mm_make();
	vmas[0].end = vmas[0].start; /* empty */
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
	mm_make();
	vmas[0].prot = 0x10; /* PROT_SEM */
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
	mm_make();
	vmas[0].kind = 42;
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
	mm_make();
	vmas[1].kind = VMA_KIND__VMA_FILE_PRIVATE; /* no path */
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
	mm_make();
	vmas[1].pgoff = ~0ULL & PAGE_MASK; /* offset + length overflows */
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
	mm_make();
	mm.auxv.len = 4096;
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
	mm_make();
	mm.exe_path = "relative";
	ck_assert_int_eq(mm_check(&mm, 1), -EBADMSG);
}
END_TEST

/* ---- pagemap ---- */

static PageRunEntry runs[3];
static PageRunEntry *run_ptrs[3] = { &runs[0], &runs[1], &runs[2] };
static PagemapEntry pm;

static void pm_make(void)
{
	pagemap_entry__init(&pm);
	for (int i = 0; i < 3; i++)
		page_run_entry__init(&runs[i]);
	runs[0].vaddr = 0x600000, runs[0].nr_pages = 16;
	runs[1].vaddr = 0x610000, runs[1].nr_pages = 1, runs[1].has_where = true;
	runs[1].where = PAGE_WHERE__PAGES_IN_PARENT;
	runs[2].vaddr = 0x7ffff7000000, runs[2].nr_pages = 256;
	pm.n_runs = 3;
	pm.runs = run_ptrs;
	pm.nr_pages = 16 + 256;
}

START_TEST(test_pagemap_sane)
{
	mm_make();
	pm_make();
	ck_assert_int_eq(pagemap_check(&pm, &mm, 1, 0), 0);
	ck_assert_int_eq(pagemap_check(&pm, NULL, 1, 1), 0);
}
END_TEST

START_TEST(test_pagemap_hostile)
{
	mm_make();
	pm_make();
	runs[0].vaddr = 0x500000; /* in no VMA */
	ck_assert_int_eq(pagemap_check(&pm, &mm, 1, 0), -EBADMSG);
	pm_make();
	runs[2].nr_pages = 257; /* past the end of its VMA */
	pm.nr_pages++;
	ck_assert_int_eq(pagemap_check(&pm, &mm, 1, 0), -EBADMSG);
	pm_make();
	pm.nr_pages += 1ULL << 52; /* overflows when multiplied */
	ck_assert_int_eq(pagemap_check(&pm, NULL, 1, 1), -EBADMSG);
	pm_make();
	runs[2].vaddr = 0xfffffffffffff000ULL; /* wraps */
	runs[2].nr_pages = 2;
	pm.nr_pages = 18;
	ck_assert_int_eq(pagemap_check(&pm, NULL, 1, 1), -EBADMSG);
	pm_make();
	runs[1].vaddr = 0x600000; /* overlaps run 0 */
	ck_assert_int_eq(pagemap_check(&pm, NULL, 1, 1), -EBADMSG);
	pm_make();
	runs[0].vaddr = 0x600800; /* unaligned */
	ck_assert_int_eq(pagemap_check(&pm, NULL, 1, 1), -EBADMSG);
	pm_make();
	runs[1].where = 7;
	ck_assert_int_eq(pagemap_check(&pm, NULL, 1, 1), -EBADMSG);
	pm_make();
	runs[0].nr_pages = 0;
	pm.nr_pages -= 16;
	ck_assert_int_eq(pagemap_check(&pm, NULL, 1, 1), -EBADMSG);
}
END_TEST

/* ---- core ---- */

static TaskCoreEntry core;
static CredsEntry creds;
static ThreadCoreEntry thread;
static ThreadCoreEntry *thread_ptrs[2] = { &thread, &thread };
static X86RegsEntry regs;
static uint8_t xstate[1024];
static SigactionEntry sa;
static SigactionEntry *sa_ptrs[1] = { &sa };
static RlimitEntry rl;
static RlimitEntry *rl_ptrs[1] = { &rl };
static ItimerEntry it;
static ItimerEntry *it_ptrs[1] = { &it };
static uint8_t siginfo[129];
static ProtobufCBinaryData pending[1];
static uint32_t *groups;

static void core_make(void)
{
	task_core_entry__init(&core);
	creds_entry__init(&creds);
	thread_core_entry__init(&thread);
	x86_regs_entry__init(&regs);
	sigaction_entry__init(&sa);
	rlimit_entry__init(&rl);
	itimer_entry__init(&it);
	core.pid = 100;
	core.comm = "target";
	core.cwd = "/tmp";
	core.root = "/";
	core.umask = 022;
	core.creds = &creds;
	thread.tid = 100;
	thread.regs = &regs;
	thread.xstate.len = sizeof(xstate);
	thread.xstate.data = xstate;
	core.n_threads = 1;
	core.threads = thread_ptrs;
	sa.sig = SIGUSR1;
	core.n_sigactions = 1;
	core.sigactions = sa_ptrs;
	rl.resource = 7, rl.cur = 1024, rl.max = 4096;
	core.n_rlimits = 1;
	core.rlimits = rl_ptrs;
	it.which = 0;
	core.n_itimers = 1;
	core.itimers = it_ptrs;
	memset(siginfo, 0, sizeof(siginfo));
	siginfo[0] = SIGUSR2;
	pending[0] = (ProtobufCBinaryData){ 128, siginfo };
	core.n_shared_pending = 1;
	core.shared_pending = pending;
}

START_TEST(test_core_sane)
{
	core_make();
	ck_assert_int_eq(core_check(&core, 100), 0);
}
END_TEST

START_TEST(test_core_hostile)
{
	core_make();
	groups = xzalloc(100000 * sizeof(*groups));
	creds.groups = groups;
	creds.n_groups = NGROUPS_MAX;
	ck_assert_int_eq(core_check(&core, 100), 0);
	creds.n_groups = 100000;
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	free(groups);
	core_make();
	ck_assert_int_eq(core_check(&core, 101), -EBADMSG); /* not its pid */
	core_make();
	sa.sig = 65;
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	sa.sig = SIGKILL;
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	sa.flags = 1ULL << 40;
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	pending[0].len = 129; /* siginfo is 128 bytes */
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	siginfo[0] = 0; /* no signal */
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	rl.resource = RLIM_NLIMITS;
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	rl.cur = rl.max + 1;
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	it.which = 3;
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	thread.xstate.len = 100000;
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	core.comm = "a name longer than 15";
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	core.n_threads = 2; /* the same tid twice */
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	core.n_threads = 0;
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	core.has_pdeath_sig = true, core.pdeath_sig = 99;
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
	core_make();
	core.cwd = "relative";
	ck_assert_int_eq(core_check(&core, 100), -EBADMSG);
}
END_TEST

/* ---- fdinfo and pstree ---- */

START_TEST(test_fdinfo)
{
	FdEntry fds[3];
	FdEntry *ptrs[3] = { &fds[0], &fds[1], &fds[2] };
	FdinfoEntry fi;

	fdinfo_entry__init(&fi);
	for (int i = 0; i < 3; i++) {
		fd_entry__init(&fds[i]);
		fds[i].fd = (uint32_t)i;
		fds[i].file_id = (uint32_t)i;
	}
	fi.n_fds = 3;
	fi.fds = ptrs;
	ck_assert_int_eq(fdinfo_check(&fi, 3, 1), 0);
	ck_assert_int_eq(fdinfo_check(&fi, 2, 1), -EBADMSG); /* file 2 of 2 */
	fds[2].fd = fd_number_limit();
	ck_assert_int_eq(fdinfo_check(&fi, 3, 1), -EBADMSG);
	fds[2].fd = fd_number_limit() - 1;
	ck_assert_int_eq(fdinfo_check(&fi, 3, 1), 0);
	fds[2].fd = 1; /* twice */
	ck_assert_int_eq(fdinfo_check(&fi, 3, 1), -EBADMSG);
}
END_TEST

START_TEST(test_pstree)
{
	ProcessEntry p[2];
	ProcessEntry *ptrs[2] = { &p[0], &p[1] };
	PstreeEntry pe;

	pstree_entry__init(&pe);
	for (int i = 0; i < 2; i++) {
		process_entry__init(&p[i]);
		p[i].pid = p[i].pgid = p[i].sid = 100 + (uint32_t)i;
		p[i].ppid = 99 + (uint32_t)i;
	}
	pe.n_procs = 2;
	pe.procs = ptrs;
	ck_assert_int_eq(pstree_check(&pe, 100, 2), 0);
	ck_assert_int_eq(pstree_check(&pe, 101, 2), -EBADMSG); /* not the root */
	ck_assert_int_eq(pstree_check(&pe, 100, 3), -EBADMSG); /* not the inventory's */
	p[1].pid = 1U << 30;
	ck_assert_int_eq(pstree_check(&pe, 100, 2), -EBADMSG);
	p[1].pid = 101;
	p[1].stop_signal = 65;
	ck_assert_int_eq(pstree_check(&pe, 100, 2), -EBADMSG);
}
END_TEST

/* ---- the reader ---- */

/* Millions of empty elements (two bytes each on disk, a struct each in
 * memory): refused, without a crash, within the unpack budget. */
START_TEST(test_unpack_many_empty)
{
	size_t n = 4u << 20, len = 2 * n;
	uint8_t *payload = xmalloc(len);
	ProtobufCMessage *msg = NULL;
	struct img img;

	/* runs: field 1, length-delimited, empty: 0x0a 0x00 */
	for (size_t i = 0; i < n; i++)
		payload[2 * i] = 0x0a, payload[2 * i + 1] = 0;
	img_create_mem(&img, IMG_PAGEMAP);
	ck_assert_int_eq(img_write(&img, payload, len), 0);
	ck_assert_int_eq(img_finish(&img), 0);
	{
		struct img in;

		ck_assert_int_eq(img_open_mem(&in, img.mem, img.mem_len, IMG_PAGEMAP), 0);
		/* Empty runs lack their required fields anyway: refused,
		 * within the budget. */
		ck_assert_int_eq(img_unpack(&in, &pagemap_entry__descriptor, &msg), -EBADMSG);
		img_close(&in);
	}
	img_close(&img);
	free(payload);
}
END_TEST

START_TEST(test_unpack_too_large)
{
	size_t len = (64u << 20) + 1;
	uint8_t *payload = xzalloc(len);
	ProtobufCMessage *msg = NULL;
	struct img img, in;

	img_create_mem(&img, IMG_CORE);
	ck_assert_int_eq(img_write(&img, payload, len), 0);
	ck_assert_int_eq(img_finish(&img), 0);
	ck_assert_int_eq(img_open_mem(&in, img.mem, img.mem_len, IMG_CORE), 0);
	ck_assert_int_eq(img_unpack(&in, &task_core_entry__descriptor, &msg), -EBADMSG);
	img_close(&in);
	img_close(&img);
	free(payload);
}
END_TEST

START_TEST(test_overflow_helpers)
{
	uint64_t r;

	ck_assert(mul_ok(1ULL << 30, PAGE_SIZE, &r) && r == 1ULL << 42);
	ck_assert(!mul_ok(1ULL << 52, PAGE_SIZE, &r));
	ck_assert(!add_ok(~0ULL, 1, &r));
	ck_assert(pages_end_ok(0x1000, 2, &r) && r == 0x3000);
	ck_assert(!pages_end_ok(0xfffffffffffff000ULL, 2, &r));
}
END_TEST

/* ---- System V IPC ---- */

static SysvShmEntry shm;
static SysvShmEntry *shm_ptrs[1] = { &shm };
static FileDataEntry shm_data;
static SysvSemEntry sem;
static SysvSemEntry *sem_ptrs[1] = { &sem };
static uint32_t sem_values[2] = { 1, 2 };
static int32_t sem_pids[2] = { 10, 0 };
static SysvMsg msg;
static SysvMsg *msg_ptrs[1] = { &msg };
static SysvMsqEntry msq;
static SysvMsqEntry *msq_ptrs[1] = { &msq };
static IpcEntry ipc;
static const struct trust root_set = { .decided = true, .trusted = true };

static void ipc_make(void)
{
	ipc_entry__init(&ipc);
	sysv_shm_entry__init(&shm);
	file_data_entry__init(&shm_data);
	shm.shmid = 7;
	shm.key = 1234;
	shm.mode = 0640;
	shm.data = &shm_data;
	shm_data.size = 8292;
	sysv_sem_entry__init(&sem);
	sem.semid = 3;
	sem.mode = 0600;
	sem.n_values = sem.n_pids = 2;
	sem.values = sem_values;
	sem.pids = sem_pids;
	sysv_msg__init(&msg);
	msg.mtype = 5;
	msg.text.len = 3;
	msg.text.data = (uint8_t *)"abc";
	sysv_msq_entry__init(&msq);
	msq.msqid = 9;
	msq.qbytes = 16384;
	msq.mode = 0620;
	msq.n_msgs = 1;
	msq.msgs = msg_ptrs;
	ipc.n_shm = ipc.n_sem = ipc.n_msq = 1;
	ipc.shm = shm_ptrs;
	ipc.sem = sem_ptrs;
	ipc.msq = msq_ptrs;
	mm_make();
	vmas[1].kind = VMA_KIND__VMA_SYSV_SHM;
	vmas[1].has_sysv_shmid = true;
	vmas[1].sysv_shmid = 7;
	vmas[1].end = vmas[1].start + 3 * 4096;
}

static int ipc_check_all(const struct trust *t)
{
	const MmEntry *mms[1] = { &mm };

	return mm_check(&mm, 1) ?: ipc_check(&ipc, mms, 1, t);
}

START_TEST(test_ipc_sane)
{
	ipc_make();
	ck_assert_int_eq(ipc_check_all(&root_set), 0);
}
END_TEST

START_TEST(test_ipc_hostile)
{
	const struct trust user_set = { .decided = true, .owner = 1000, .gid = 1000 };

	ipc_make();
	shm.mode = 0777 | 0100000; /* an unknown bit */
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	ipc_make();
	shm.mode |= SHM_DEST; /* removed, but with a key */
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	ipc_make();
	shm_data.size = 0;
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	ipc_make();
	shm.shmid = 0x80000000u;
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	ipc_make();
	vmas[1].sysv_shmid = 8; /* an attach of a segment not saved */
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	ipc_make();
	vmas[1].end += 4096; /* not the whole segment */
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	ipc_make();
	vmas[1].has_sysv_shmid = false;
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	ipc_make();
	sem_values[1] = 40000;
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	sem_values[1] = 2;
	ipc_make();
	sem.n_pids = 1;
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	ipc_make();
	msg.mtype = 0;
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	ipc_make();
	msq.qbytes = 2; /* fewer than the messages hold */
	ck_assert_int_eq(ipc_check_all(&root_set), -EBADMSG);
	/* A user's set: only the user's objects. */
	ipc_make();
	ck_assert_int_eq(ipc_check_all(&user_set), -EPERM);
	ipc_make();
	shm.uid = shm.cuid = sem.uid = sem.cuid = msq.uid = msq.cuid = 1000;
	shm.gid = shm.cgid = sem.gid = sem.cgid = msq.gid = msq.cgid = 1000;
	ck_assert_int_eq(ipc_check_all(&user_set), 0);
	shm.mode |= SHM_LOCKED;
	ck_assert_int_eq(ipc_check_all(&user_set), -EPERM);
}
END_TEST

/* ---- files of /proc/PID/ and attributes of deleted files ---- */

static ProcFileEntry proc_file;
static FileEntry proc_fe;

static void proc_make(void)
{
	proc_file_entry__init(&proc_file);
	proc_file.pid = 1234;
	proc_file.in_tree = true;
	file_entry__init(&proc_fe);
	proc_fe.kind = FD_KIND__FD_PROC;
	proc_fe.path = "/proc/1234/task/1235/status";
	proc_fe.flags = O_RDONLY;
	proc_fe.has_mode = true;
	proc_fe.mode = S_IFREG;
	proc_fe.proc = &proc_file;
}

START_TEST(test_proc_file)
{
	static const char *const bad_paths[] = {
		"/proc/1235/status",  "/proc/1234/../1/status", "/proc/1234/./status",
		"/proc/1234//status", "/proc/01234/status",	"/proc/self/status",
		"/proc/1234/st\ntus", "/sys/1234/status",	"/proc/1234status",
	};

	proc_make();
	ck_assert_int_eq(proc_kind.check(&proc_fe, NULL), 0);
	proc_fe.path = "/proc/1234";
	proc_fe.mode = S_IFDIR;
	ck_assert_int_eq(proc_kind.check(&proc_fe, NULL), 0);
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(*bad_paths); i++) {
		proc_make();
		proc_fe.path = (char *)bad_paths[i];
		ck_assert_int_eq(proc_kind.check(&proc_fe, NULL), -EBADMSG);
	}
	proc_make();
	proc_fe.flags = O_RDWR | O_CREAT;
	ck_assert_int_eq(proc_kind.check(&proc_fe, NULL), -EBADMSG);
	proc_make();
	proc_fe.mode = S_IFCHR;
	ck_assert_int_eq(proc_kind.check(&proc_fe, NULL), -EBADMSG);
	proc_make();
	proc_file.has_start_time = true; /* in the tree, and a start time */
	ck_assert_int_eq(proc_kind.check(&proc_fe, NULL), -EBADMSG);
	proc_make();
	proc_fe.has_uid = true; /* an owner to give a file not made */
	ck_assert_int_eq(proc_kind.check(&proc_fe, NULL), -EBADMSG);
	proc_make();
	proc_fe.proc = NULL;
	ck_assert_int_eq(proc_kind.check(&proc_fe, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_proc_file_tree)
{
	FileEntry *files[1] = { &proc_fe };
	FilesEntry fe = FILES_ENTRY__INIT;
	const int tree[2] = { 1234, 1235 }, other[1] = { 99 };

	fe.n_files = 1;
	fe.files = files;
	proc_make();
	ck_assert_int_eq(procfiles_check(&fe, tree, 2), 0);
	ck_assert_int_eq(procfiles_check(&fe, other, 1), -EBADMSG);
	/* Outside the tree: this very process is, another start time not. */
	proc_make();
	proc_file.pid = (uint32_t)getpid();
	proc_file.in_tree = false;
	proc_file.has_start_time = true;
	proc_file.start_time = 1;
	ck_assert_int_eq(procfiles_check(&fe, tree, 2), -ESRCH);
	ck_assert(!proc_file_path("/proc/self/status") && proc_file_path("/proc/1/fd") &&
		  proc_file_path("/proc/1") && !proc_file_path("/proc/meminfo") &&
		  !proc_file_path("/proc/sys/kernel/pid_max"));
}
END_TEST

START_TEST(test_file_attrs)
{
	const struct trust user_set = { .decided = true, .owner = 1000, .gid = 1000 };
	XattrEntry x = XATTR_ENTRY__INIT;
	XattrEntry *xs[1] = { &x };
	FileAttrsEntry a = FILE_ATTRS_ENTRY__INIT;
	FileEntry e = FILE_ENTRY__INIT;
	static const char *const bad_names[] = { "security.capability", "security.selinux",
						 "system.posix_acl_default", "other.x", "" };

	e.path = "/tmp/f (deleted)";
	e.mode = S_IFREG | 0600;
	e.attrs = &a;
	a.n_xattrs = 1;
	a.xattrs = xs;
	a.has_iflags = true;
	a.iflags = 0x80 | 0x40; /* no atime, no dump */
	x.name = "user.one";
	x.value.len = 1;
	x.value.data = (uint8_t *)"1";
	ck_assert_int_eq(file_attrs_check(&e, &root_set), 0);
	ck_assert_int_eq(file_attrs_check(&e, &user_set), 0);
	x.name = "trusted.x";
	ck_assert_int_eq(file_attrs_check(&e, &root_set), 0);
	ck_assert_int_eq(file_attrs_check(&e, &user_set), -EPERM);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++) {
		x.name = (char *)bad_names[i];
		ck_assert_int_eq(file_attrs_check(&e, &root_set), -EBADMSG);
	}
	x.name = "user.one";
	a.iflags = 0x10; /* immutable */
	ck_assert_int_eq(file_attrs_check(&e, &root_set), -EBADMSG);
	a.iflags = 0x20; /* append-only */
	ck_assert_int_eq(file_attrs_check(&e, &root_set), -EBADMSG);
	a.iflags = 0;
	x.value.len = 65537;
	ck_assert_int_eq(file_attrs_check(&e, &root_set), -EBADMSG);
	x.value.len = 1;
	a.n_xattrs = 65;
	ck_assert_int_eq(file_attrs_check(&e, &root_set), -EBADMSG);
}
END_TEST

static Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("images");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_mm_sane);
	tcase_add_test(tc, test_mm_hostile);
	tcase_add_test(tc, test_pagemap_sane);
	tcase_add_test(tc, test_pagemap_hostile);
	tcase_add_test(tc, test_core_sane);
	tcase_add_test(tc, test_core_hostile);
	tcase_add_test(tc, test_fdinfo);
	tcase_add_test(tc, test_pstree);
	tcase_add_test(tc, test_unpack_many_empty);
	tcase_add_test(tc, test_unpack_too_large);
	tcase_add_test(tc, test_overflow_helpers);
	tcase_add_test(tc, test_ipc_sane);
	tcase_add_test(tc, test_ipc_hostile);
	tcase_add_test(tc, test_proc_file);
	tcase_add_test(tc, test_proc_file_tree);
	tcase_add_test(tc, test_file_attrs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(validate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
