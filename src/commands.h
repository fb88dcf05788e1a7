/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_COMMANDS_H
#define CKPT_COMMANDS_H
#include "options.h"

/* Each returns 0 on success or a negative errno after printing one line. */
int cmd_dump(const struct options *o);
/* Returns the exit status to exit with (the restored root's, without --detach). */
int cmd_restore(const struct options *o);
int cmd_show(const struct options *o);
int cmd_check(const struct options *o);

#endif
