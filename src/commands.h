/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_COMMANDS_H
#define CKPT_COMMANDS_H
#include "options.h"

/* Each returns 0 on success or a negative errno after printing one line. */
int cmd_dump(const struct options *o);
/* Returns the exit status to exit with (the restored root's, without --detach). */
int cmd_restore(const struct options *o);
/* restore --new-pidns (restore-pidns.c): cmd_restore run by the init of a
 * new pid namespace, which stays while the tree runs. */
int restore_new_pidns(const struct options *o);
int cmd_show(const struct options *o);
int cmd_check(const struct options *o);
/* ckpt serve-pages (page-server.c) */
int cmd_serve_pages(const struct options *o);
/* receive --images DIR [--listen PATH] (cmd-receive.c) */
int cmd_receive(const struct options *o);
/* ckpt check's table of the capabilities ckpt uses (check-caps.c). */
void check_caps_print(void);

/* Load and check the image set in @dir as a restore does, every page
 * image read through (unless !@pages: they went into a stream, the
 * receiver checks them), creating nothing; the restore's own environment
 * (free pids, a terminal) is not checked. Prints one line on failure. */
int restore_verify(const char *dir, bool pages);

#endif
