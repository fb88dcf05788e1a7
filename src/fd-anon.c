// SPDX-License-Identifier: GPL-2.0
/*
 * Files on anonymous inodes: eventfd, epoll, timerfd, signalfd, inotify.
 * (Being written: each kind refuses until it is.)
 */
#include "files.h"

const struct file_kind eventfd_kind = {
	.kind = FD_KIND__FD_EVENTFD,
	.name = "eventfd",
	.open = file_open_unsupported,
};

const struct file_kind epoll_kind = {
	.kind = FD_KIND__FD_EPOLL,
	.name = "epoll",
	.open = file_open_unsupported,
};

const struct file_kind timerfd_kind = {
	.kind = FD_KIND__FD_TIMERFD,
	.name = "timerfd",
	.open = file_open_unsupported,
};

const struct file_kind signalfd_kind = {
	.kind = FD_KIND__FD_SIGNALFD,
	.name = "signalfd",
	.open = file_open_unsupported,
};

const struct file_kind inotify_kind = {
	.kind = FD_KIND__FD_INOTIFY,
	.name = "inotify",
	.open = file_open_unsupported,
};
