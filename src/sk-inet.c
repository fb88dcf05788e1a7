// SPDX-License-Identifier: GPL-2.0
/* TCP and UDP sockets. (Being written: refused until it is.) */
#include "files.h"

const struct file_kind inet_sk_kind = {
	.kind = FD_KIND__FD_INET_SK,
	.name = "inet socket",
	.open = file_open_unsupported,
};
