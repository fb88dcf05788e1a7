/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_OPTIONS_H
#define CKPT_OPTIONS_H
/*
 * Command line: `ckpt COMMAND [OPTIONS]`. options_parse() does not print;
 * on failure it returns -EINVAL and puts a one-line reason in o->error
 * (e.g. "dump needs --pid"). main() prints it as "ckpt: <error>".
 */
#include <stdbool.h>

enum ckpt_command {
	CMD_NONE,
	CMD_DUMP,
	CMD_PREDUMP,
	CMD_RESTORE,
	CMD_SHOW,
	CMD_CHECK,
	CMD_RECEIVE, /* receive --images DIR [--listen ADDR] (cmd-receive.c) */
	CMD_HELP, /* --help, or COMMAND --help (command is then in help_for) */
	CMD_VERSION,
	CMD_SERVE_PAGES, /* page-server.c */
};

/* --inherit-fd fd[N]:ID (restore): fd N of ckpt takes the place of the
 * outside end ID (as `ckpt show` prints it) in the restored tree. */
#define INHERIT_FD_MAX 64
#define INHERIT_ID_MAX 64
struct inherit_fd {
	int fd;
	const char *id;
};

/* --external KIND[KEY]:VALUE (dump and restore); see parse_external(). */
#define EXTERNAL_MAX 64
struct external {
	const char *kind, *key, *value; /* value: NULL when ":VALUE" is left out */
};

/* --cgroup-root (restore), as given: cgroup-restore.c reads them. */
#define CGROUP_ROOT_MAX 16

struct options {
	enum ckpt_command command;
	enum ckpt_command help_for;
	int pid; /* --pid */
	const char *images; /* --images; "-": a stream on stdout/stdin (stream.h) */
	const char *meta; /* --meta DIR (dump, pre-dump --images -): the set without pages */
	bool handshake; /* --handshake (dump, restore --images -): migration */
	const char *listen; /* --listen ADDR (receive): a unix socket path */
	const char *parent; /* --parent: an incremental dump on that one */
	const char *pidfile; /* --pidfile */
	bool leave_running; /* --leave-running */
	bool free_memory; /* --free-memory */
	bool ext_unix_sk; /* --ext-unix-sk */
	int compress; /* --compress[=CODEC]: an enum img_codec, 0 for none */
	bool detach; /* --detach / -d */
	bool new_pidns; /* --new-pidns (restore-pidns.c) */
	bool lazy; /* --lazy: pages on first touch (lazy.c) */
	const char *page_server; /* --page-server CMD (restore --lazy) */
	bool json; /* --json */
	int verbose; /* -v, repeatable */
	struct inherit_fd inherit[INHERIT_FD_MAX]; /* --inherit-fd */
	int nr_inherit;
	struct external external[EXTERNAL_MAX]; /* --external */
	int nr_external;
	const char *cgroup_root[CGROUP_ROOT_MAX]; /* --cgroup-root [CONTROLLER:]PATH */
	int nr_cgroup_root;
	char error[256];
};

int options_parse(int argc, char **argv, struct options *o);
const char *options_usage(enum ckpt_command cmd);

#endif
