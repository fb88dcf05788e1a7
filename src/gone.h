/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_GONE_H
#define CKPT_GONE_H
/*
 * Nodes removed from their path while a process held them: a directory
 * (an fd on it, a cwd), a FIFO, a device node. Nothing reaches them by a
 * path any more, and a removed directory or FIFO holds nothing a restore
 * would need to copy (a removed directory is empty; a FIFO's bytes are
 * the pipe's, pipes.c), so a restore makes a new node of the same type
 * where it was and removes it again at once: /proc then shows the same
 * "PATH (deleted)".
 */
#include "trust.h"

#include <sys/types.h>

/* "PATH (deleted)" as /proc shows it: PATH, newly allocated; NULL if
 * @shown does not end so or leaves no name. */
char *gone_path(const char *shown);

/*
 * Make a node of type and mode @mode (S_IFDIR, S_IFIFO, or S_IFCHR with
 * @rdev; permission bits 0777 and the sticky bit only) at @path, a path
 * from an image already checked (trust_check_path), open it with @flags
 * (not O_PATH), and remove its name. Under its old name when that is free,
 * else beside it as "NAME.ckpt-PID-N". Made with the owner's access for a
 * set root does not trust (trust_enter) in a directory reached through no
 * symlink, never through a symlink itself; the node opened must be the
 * one made (its type, owned by who made it, and for a device @rdev).
 * Owned by whoever made it. The fd, or -errno; does not log.
 */
int gone_make(const struct trust *t, const char *path, mode_t mode, dev_t rdev, int flags);

#endif
