// SPDX-License-Identifier: GPL-2.0
/* Pseudo-terminals whose both sides are in the tree. (Being written.) */
#include "files.h"

const struct file_kind pty_kind = {
	.kind = FD_KIND__FD_PTY,
	.name = "pty",
	.open = file_open_unsupported,
};
