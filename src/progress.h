/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_PROGRESS_H
#define CKPT_PROGRESS_H
/*
 * The progress line of a dump or a restore: when stderr is a terminal and
 * the command has run for over a second, one line on stderr that is
 * rewritten in place, at most four times a second, with the bytes of
 * memory moved so far and the rate: "ckpt: dump: 1.2 GiB, 850 MiB/s".
 * Nothing at all when stderr is not a terminal. A leaf: it uses nothing
 * of ckpt's, and util.c's log functions call progress_clear() so that a
 * message never lands in the middle of the line.
 *
 * progress_start() once, before the command (main.c); progress_add()
 * where memory goes by (the page writer of a dump, the page filler of a
 * restore), from any one thread at a time or several: it costs a load
 * and a branch when the line is off, a clock read per batch when on;
 * progress_end() when the memory is moved (the line, if shown, ends with
 * its last figures and a newline; it is not shown again).
 */
#include <stdint.h>

void progress_start(const char *what);
void progress_add(uint64_t bytes);
void progress_clear(void);
void progress_end(void);

#endif
