/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_FDS_H
#define CKPT_FDS_H
/*
 * File descriptors: regular files, directories, harmless character devices
 * (/dev/null, /dev/zero, ...) and terminals. Each comes back at the same
 * number with the same flags, offset and close-on-exec bit. A terminal is
 * restored onto the caller's terminal (what `criu --shell-job` does).
 */
#include "fdinfo.pb-c.h"

#include <stdbool.h>

int fds_dump(int pid, FdinfoEntry *fi);
/* Highest fd number in @fi, or -1. */
int fds_max(const FdinfoEntry *fi);
/* Check, before anything is created, that every file can be reopened. */
int fds_check(const FdinfoEntry *fi, bool have_tty);
/* In the new process; @tty_fd is the caller's terminal, or -1. */
int fds_restore_early(const FdinfoEntry *fi, int tty_fd);

#endif
