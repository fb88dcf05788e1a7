/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_LAZY_PROTO_H
#define CKPT_LAZY_PROTO_H
/*
 * ckpt -> lazy daemon, one SEQPACKET message each:
 *
 *	LAZY_PROC  pid, nr_files, nr (segments to come); fds: the
 *	           userfaultfd, a pidfd, then nr_files page images
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
	uint32_t pad;
	uint64_t nr;
};

#define LAZY_MAX_FDS 64
#define LAZY_SEGS_PER_MSG 1024

#endif
