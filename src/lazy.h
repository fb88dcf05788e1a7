/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_LAZY_H
#define CKPT_LAZY_H
/*
 * restore --lazy (post-copy): the private anonymous memory of each process
 * is not written at restore. Its VMAs are mapped as always, then
 * registered with a userfaultfd made in the process (a remote call), taken
 * out with pidfd_getfd and closed there: the program never sees it. The
 * userfaultfd goes to a daemon that ckpt forks at the first such process
 * and leaves behind ("ckpt-lazy", in a session of its own, none of the
 * tree's fds): it answers each fault with UFFDIO_COPY from the page images
 * (pread at the page's offset) and copies the rest in the background, in
 * address order, then exits. Its protocol with ckpt (a SEQPACKET socket)
 * is in lazy-daemon.c.
 *
 * What stays eager (written at restore as without --lazy): shared memory,
 * private file mappings' pages, pages shared copy-on-write with a parent
 * (slots), locked VMAs, VMAs with guard pages, MADV_DONTFORK/WIPEONFORK
 * VMAs, and every VMA of a process whose page images are compressed (no
 * random access into a compressed image).
 */
#include "image.h"
#include "infect.h"
#include "mm.pb-c.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Pages [start, end) come from page file @file (an index into the files
 * handed over with them) at byte offset @off. */
struct lazy_seg {
	uint64_t start, end, off;
	uint32_t file, pad;
};

struct lazy_segs {
	struct lazy_seg *v;
	size_t n, cap;
};

void lazy_segs_add(struct lazy_segs *s, uint64_t start, uint64_t end, uint64_t off, uint32_t file);
/* The same, never merged with the one before. */
void lazy_segs_push(struct lazy_segs *s, uint64_t start, uint64_t end, uint64_t off, uint32_t file);
/* Sort by address (the levels of a chain each add theirs). */
void lazy_segs_sort(struct lazy_segs *s);
void lazy_segs_release(struct lazy_segs *s);

/* page-server.c: the client side of `ckpt serve-pages` (protocol there). */
#define PS_MAX_PAGES 256 /* a request */
struct page_client {
	pid_t pid; /* 0: not running */
	int in, out;
};

/* Run `sh -c CMD` with pipes on its stdin and stdout. */
int page_client_start(struct page_client *pc, const char *cmd);
void page_client_stop(struct page_client *pc);
/* @pages pages of process @pid (as the images name it) at @addr, as the
 * server's image set stores them, checked, into @buf. */
int page_client_read(struct page_client *pc, int pid, uint64_t addr, uint32_t pages, void *buf);

/* The daemon, from ckpt's side. */
struct lazy {
	pid_t daemon; /* 0: not started */
	int sk; /* our end of its socket */
	int pidfd; /* the daemon's */
	const char *page_server; /* --page-server CMD, or NULL */
	struct page_client pc; /* ckpt's own, for the pages not lazy */
};

/* A VMA whose pages may come lazily. */
bool lazy_vma_ok(const VmaEntry *v);

/* The userfaultfd of process @inf (made in it, taken out, closed there).
 * 1: it may not have one (a user namespace of its own) and not @must:
 * its memory is to be restored in place. Logs why it fails. */
int lazy_uffd(struct infect *inf, bool must, int *ret_uffd);

/*
 * Hand process @inf (stopped at its trampoline, its VMAs mapped) over to
 * the daemon, started if it is not yet, with its userfaultfd @uffd (taken
 * over, closed even on failure): the lazy VMAs of @mm in @vma_lazy registered, the segments @segs from
 * @files (page image fds, payload offsets counted from the file's start).
 * On return the daemon serves its faults. Logs why it fails.
 */
int lazy_hand_over(struct lazy *lz, struct infect *inf, int uffd, int img_pid, const MmEntry *mm,
		   const bool *vma_lazy, const struct lazy_segs *segs, const int *files,
		   size_t nr_files, uint32_t remote);
/* Segments of the levels in the mask @remote are asked from the page
 * server: their offset is the address the images give them. */
/* The tree was let go: the daemon goes on alone. */
void lazy_detach(struct lazy *lz);
/* The restore failed: the daemon is killed and reaped. */
void lazy_abort(struct lazy *lz);

/* lazy-daemon.c: the daemon's main (never returns); @sk its socket,
 * @page_server the command for the pages it has no image of, or NULL. */
__attribute__((noreturn)) void lazy_daemon_main(int sk, const char *page_server);

/* lazy-guard.c, in the daemon: its guard, which kills the processes if
 * the daemon dies before their pages are in. */
int lazy_guard_start(void);
/* Process (or forked child: @pidfd -1) @id, with its userfaultfd. */
void lazy_guard_add(uint32_t id, int uffd, int pidfd, int pid);
/* The daemon is finished with @id. */
void lazy_guard_done(uint32_t id);
/* Every page is in: the guard leaves with the daemon. */
void lazy_guard_exit(void);

#endif
