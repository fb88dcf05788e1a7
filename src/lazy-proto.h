/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_LAZY_PROTO_H
#define CKPT_LAZY_PROTO_H
/*
 * ckpt -> lazy daemon, one SEQPACKET message each:
 *
 *	LAZY_PROC  pid, nr_files, nr (segments to come), remote, img_pid;
 *	           fds: the userfaultfd, a pidfd, then nr_files page images
 *	           (/dev/null for those in remote: the page server's)
 *	LAZY_SEGS  nr segments (struct lazy_seg) of that process
 *	LAZY_END   the process is whole: the daemon answers an int32
 *	           (0, or -errno) once it serves it
 *	LAZY_GO    the tree was let go: EOF before it means the restore
 *	           failed, and the daemon ends
 */
#include <stdint.h>

enum { LAZY_PROC = 1, LAZY_SEGS, LAZY_END, LAZY_GO };

struct lazy_msg {
	uint32_t type;
	int32_t pid;
	uint32_t nr_files;
	uint32_t remote; /* LAZY_PROC: the files whose pages the page server has */
	uint64_t nr;
	int32_t img_pid; /* LAZY_PROC: its pid in the images */
	uint32_t pad;
};

#define LAZY_MAX_FDS 64
#define LAZY_SEGS_PER_MSG 1024

#endif
