// SPDX-License-Identifier: GPL-2.0
/* Unix domain sockets. (Being written: refused until it is.) */
#include "files.h"

const struct file_kind unix_sk_kind = {
	.kind = FD_KIND__FD_UNIX_SK,
	.name = "unix socket",
	.open = file_open_unsupported,
};
