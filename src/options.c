// SPDX-License-Identifier: GPL-2.0
#include "options.h"

#include "compress.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum ckpt_command cmd;
} commands[] = {
	{ "dump", CMD_DUMP },
	{ "pre-dump", CMD_PREDUMP },
	{ "restore", CMD_RESTORE },
	{ "show", CMD_SHOW },
	{ "check", CMD_CHECK },
	{ "receive", CMD_RECEIVE },
	{ "serve-pages", CMD_SERVE_PAGES },
};

enum {
	OPT_PID = 256,
	OPT_IMAGES,
	OPT_PARENT,
	OPT_PIDFILE,
	OPT_LEAVE,
	OPT_DETACH,
	OPT_JSON,
	OPT_EXT_UNIX,
	OPT_COMPRESS,
	OPT_FREE_MEMORY,
	OPT_INHERIT_FD,
	OPT_EXTERNAL,
	OPT_NEW_PIDNS,
	OPT_CGROUP_ROOT,
	OPT_LAZY,
	OPT_PAGE_SERVER,
	OPT_META,
	OPT_HANDSHAKE,
	OPT_LISTEN,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, OPT_PID },
	{ "tree", required_argument, NULL, OPT_PID }, /* criu's spelling */
	{ "images", required_argument, NULL, OPT_IMAGES },
	{ "images-dir", required_argument, NULL, OPT_IMAGES },
	{ "parent", required_argument, NULL, OPT_PARENT },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "leave-running", no_argument, NULL, OPT_LEAVE },
	{ "free-memory", no_argument, NULL, OPT_FREE_MEMORY },
	{ "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX },
	{ "compress", optional_argument, NULL, OPT_COMPRESS },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ "inherit-fd", required_argument, NULL, OPT_INHERIT_FD },
	{ "external", required_argument, NULL, OPT_EXTERNAL },
	{ "new-pidns", no_argument, NULL, OPT_NEW_PIDNS },
	{ "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
	{ "lazy", no_argument, NULL, OPT_LAZY },
	{ "page-server", required_argument, NULL, OPT_PAGE_SERVER },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "meta", required_argument, NULL, OPT_META },
	{ "handshake", no_argument, NULL, OPT_HANDSHAKE },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

/* Which options each command takes; anything else is refused. */
static bool option_allowed(enum ckpt_command cmd, int opt)
{
	switch (opt) {
	case 'v':
	case 'h':
		return true;
	case OPT_PID:
	case OPT_PARENT:
	case OPT_COMPRESS:
		return cmd == CMD_DUMP || cmd == CMD_PREDUMP;
	case OPT_EXTERNAL:
		return cmd == CMD_DUMP || cmd == CMD_RESTORE;
	case OPT_LEAVE:
	case OPT_EXT_UNIX:
	case OPT_FREE_MEMORY:
		return cmd == CMD_DUMP;
	case OPT_IMAGES:
		return cmd == CMD_DUMP || cmd == CMD_PREDUMP || cmd == CMD_RESTORE ||
		       cmd == CMD_SHOW || cmd == CMD_RECEIVE || cmd == CMD_SERVE_PAGES;
	case OPT_META:
		return cmd == CMD_DUMP || cmd == CMD_PREDUMP;
	case OPT_HANDSHAKE:
		return cmd == CMD_DUMP || cmd == CMD_RESTORE;
	case OPT_LISTEN:
		return cmd == CMD_RECEIVE;
	case OPT_DETACH:
	case OPT_PIDFILE:
	case OPT_INHERIT_FD:
	case OPT_NEW_PIDNS:
	case OPT_CGROUP_ROOT:
	case OPT_LAZY:
	case OPT_PAGE_SERVER:
		return cmd == CMD_RESTORE;
	case OPT_JSON:
		return cmd == CMD_SHOW;
	}
	return false;
}

static int fail(struct options *o, const char *fmt, const char *arg)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(o->error, sizeof(o->error), fmt, arg);
#pragma GCC diagnostic pop
	return -EINVAL;
}

/* "fd[N]:ID": N an fd number, ID printable, given once. */
static int parse_inherit_fd(struct options *o, const char *arg)
{
	struct inherit_fd *in = &o->inherit[o->nr_inherit];
	const char *id;
	char *end;
	long n;

	if (o->nr_inherit == INHERIT_FD_MAX)
		return fail(o, "too many --inherit-fd (at most %s)", "64");
	if (strncmp(arg, "fd[", 3) || arg[3] < '0' || arg[3] > '9')
		return fail(o, "--inherit-fd '%s': not fd[N]:ID", arg);
	errno = 0;
	n = strtol(arg + 3, &end, 10);
	if (errno || n > INT_MAX || strncmp(end, "]:", 2))
		return fail(o, "--inherit-fd '%s': not fd[N]:ID", arg);
	id = end + 2;
	if (!*id || strnlen(id, INHERIT_ID_MAX + 1) > INHERIT_ID_MAX)
		return fail(o, "--inherit-fd '%s': the ID must have 1 to 64 characters", arg);
	for (const char *c = id; *c; c++)
		if (*c <= ' ' || *c > '~')
			return fail(o, "--inherit-fd '%s': the ID must be printable", arg);
	for (int i = 0; i < o->nr_inherit; i++)
		if (!strcmp(o->inherit[i].id, id))
			return fail(o, "--inherit-fd: '%s' is given twice", id);
	in->fd = (int)n;
	in->id = id;
	o->nr_inherit++;
	return 0;
}

/*
 * "KIND[KEY]:VALUE" (CRIU's spelling): at dump, KEY names the thing as the
 * tree sees it (a mount point, a link) and VALUE the key it is saved
 * under; at restore, KEY is that key and VALUE what stands for it on this
 * machine. KIND is letters only; KEY and VALUE are printable, 1 to 4095
 * characters (":VALUE" may be left out). What a KIND means is its
 * owner's business (ns-mnt.c, ns-net.c, ...); a kind not in
 * external_kinds[] is refused here, and each owner refuses a KEY it
 * does not find, so no --external is ever ignored.
 */
static const char *const external_kinds[] = { "mnt", "veth" };

static int parse_external(struct options *o, const char *arg)
{
	struct external *e = &o->external[o->nr_external];
	const char *open = strchr(arg, '['), *close = open ? strchr(open, ']') : NULL;
	char *copy;
	size_t i;

	if (o->nr_external == EXTERNAL_MAX)
		return fail(o, "too many --external (at most %s)", "64");
	if (!open || !close || open == arg || close == open + 1 || (close[1] && close[1] != ':'))
		return fail(o, "--external '%s': not KIND[KEY]:VALUE", arg);
	for (const char *c = arg; c < open; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return fail(o, "--external '%s': KIND must be letters", arg);
	for (const char *c = open + 1; *c; c++)
		if (*c < ' ' || *c > '~')
			return fail(o, "--external '%s': must be printable", arg);
	for (i = 0; i < ARRAY_SIZE(external_kinds); i++)
		if (strlen(external_kinds[i]) == (size_t)(open - arg) &&
		    !strncmp(arg, external_kinds[i], (size_t)(open - arg)))
			break;
	if (i == ARRAY_SIZE(external_kinds))
		return fail(o, "--external '%s': unknown kind (mnt or veth)", arg);
	if (strlen(arg) > 4095)
		return fail(o, "--external: too long (%s)", "at most 4095 characters");
	/* A copy: argv stays as given (kept for the life of the command). */
	copy = xstrdup(arg);
	copy[open - arg] = copy[close - arg] = '\0';
	e->kind = copy;
	e->key = copy + (open - arg) + 1;
	e->value = close[1] == ':' ? copy + (close - arg) + 2 : NULL;
	o->nr_external++;
	return 0;
}

static const char *command_name(enum ckpt_command cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].cmd == cmd)
			return commands[i].name;
	return "ckpt";
}

static int check_required(struct options *o)
{
	const char *name = command_name(o->command);

	if ((o->command == CMD_DUMP || o->command == CMD_PREDUMP) && !o->pid)
		return fail(o, "%s needs --pid PID", name);
	if ((o->command == CMD_DUMP || o->command == CMD_PREDUMP || o->command == CMD_RESTORE ||
	     o->command == CMD_SHOW || o->command == CMD_SERVE_PAGES) &&
	    !o->images)
		return fail(o, "%s needs --images DIR", name);
	if (o->page_server && !o->lazy)
		return fail(o, "%s: --page-server needs --lazy", name);
	/* The page daemon would be a process of the tree's pid namespace. */
	if (o->lazy && o->new_pidns)
		return fail(o, "%s: --lazy does not go with --new-pidns", name);
	if (o->images && !*o->images)
		return fail(o, "%s: --images must not be empty", name);
	if (o->command == CMD_RECEIVE && !o->images)
		return fail(o, "%s needs --images DIR", name);
	if ((o->command == CMD_SHOW || o->command == CMD_RECEIVE) && !strcmp(o->images, "-"))
		return fail(o, "%s needs --images DIR, not a stream", name);
	if (o->meta && strcmp(o->images, "-"))
		return fail(o, "%s: --meta goes with --images - only", name);
	if (o->handshake && strcmp(o->images, "-"))
		return fail(o, "%s: --handshake goes with --images - only", name);
	if (o->free_memory && !strcmp(o->images, "-"))
		return fail(
			o,
			"%s: --free-memory does not go with --images - (a failed dump could not give the memory back)",
			name);
	return 0;
}

int options_parse(int argc, char **argv, struct options *o)
{
	const char *cmd_name;
	int opt, li = -1;

	memset(o, 0, sizeof(*o));
	if (argc < 2)
		return fail(o, "no command given (try '%s --help')", "ckpt");
	cmd_name = argv[1];
	if (!strcmp(cmd_name, "--help") || !strcmp(cmd_name, "-h") || !strcmp(cmd_name, "help")) {
		o->command = CMD_HELP;
		return 0;
	}
	if (!strcmp(cmd_name, "--version") || !strcmp(cmd_name, "-V")) {
		o->command = CMD_VERSION;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(cmd_name, commands[i].name))
			o->command = commands[i].cmd;
	if (o->command == CMD_NONE)
		return fail(o, "unknown command '%s' (try 'ckpt --help')", cmd_name);

	optind = 0; /* 0, not 1: glibc then also forgets a half-read "-xv" */
	opterr = 0;
	while ((opt = getopt_long(argc - 1, argv + 1, ":vhdV", long_opts, &li)) != -1) {
		char name[64];
		int r;

		/* The option as written, for messages: optind may already be
		 * past its value, and a short one may sit inside "-vx". */
		if (li >= 0)
			snprintf(name, sizeof(name), "--%s", long_opts[li].name);
		else if (opt != '?' && opt != ':')
			snprintf(name, sizeof(name), "-%c", opt);
		else if (optopt > 0 && optopt < 256)
			snprintf(name, sizeof(name), "-%c", optopt);
		else /* a long option: a whole argument of its own */
			snprintf(name, sizeof(name), "%s", argv[optind]);
		li = -1;
		if (opt == 'd')
			opt = OPT_DETACH;
		if (opt == '?')
			return fail(o, "unknown option '%s'", name);
		if (opt == ':')
			return fail(o, "option '%s' needs a value", name);
		if (opt == 'V') {
			o->command = CMD_VERSION;
			return 0;
		}
		if (!option_allowed(o->command, opt))
			return fail(o, "option '%s' does not apply to this command", name);
		switch (opt) {
		case OPT_PID:
			r = parse_pid(optarg, &o->pid);
			if (r < 0)
				return fail(o, "invalid pid '%s'", optarg);
			break;
		case OPT_IMAGES:
			o->images = optarg;
			break;
		case OPT_PARENT:
			o->parent = optarg;
			break;
		case OPT_PIDFILE:
			o->pidfile = optarg;
			break;
		case OPT_LEAVE:
			o->leave_running = true;
			break;
		case OPT_EXT_UNIX:
			o->ext_unix_sk = true;
			break;
		case OPT_FREE_MEMORY:
			o->free_memory = true;
			break;
		case OPT_COMPRESS:
			o->compress = optarg ? img_codec_by_name(optarg) : IMG_CODEC_LZ4;
			if (o->compress < 0)
				return fail(o, "unknown compression '%s' (lz4, zstd or none)",
					    optarg);
			break;
		case OPT_DETACH:
			o->detach = true;
			break;
		case OPT_NEW_PIDNS:
			o->new_pidns = true;
			break;
		case OPT_LAZY:
			o->lazy = true;
			break;
		case OPT_PAGE_SERVER:
			if (!*optarg)
				return fail(o, "%s: --page-server must not be empty", "restore");
			o->page_server = optarg;
			break;
		case OPT_INHERIT_FD:
			r = parse_inherit_fd(o, optarg);
			if (r < 0)
				return r;
			break;
		case OPT_EXTERNAL:
			r = parse_external(o, optarg);
			if (r < 0)
				return r;
			break;
		case OPT_CGROUP_ROOT:
			/* Checked against the images' hierarchies at restore. */
			if (o->nr_cgroup_root == CGROUP_ROOT_MAX)
				return fail(o, "too many --cgroup-root (at most %s)", "16");
			o->cgroup_root[o->nr_cgroup_root++] = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_META:
			if (!*optarg)
				return fail(o, "%s: --meta must not be empty",
					    command_name(o->command));
			o->meta = optarg;
			break;
		case OPT_HANDSHAKE:
			o->handshake = true;
			break;
		case OPT_LISTEN:
			if (!*optarg)
				return fail(o, "%s: --listen must not be empty",
					    command_name(o->command));
			o->listen = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			o->help_for = o->command;
			o->command = CMD_HELP;
			return 0;
		}
	}
	if (optind < argc - 1)
		return fail(o, "unexpected argument '%s'", argv[optind + 1]);
	return check_required(o);
}

const char *options_usage(enum ckpt_command cmd)
{
	switch (cmd) {
	case CMD_DUMP:
		return "usage: ckpt dump --pid PID --images DIR|- [--parent DIR] [--leave-running]\n"
		       "                 [--compress[=lz4|zstd]] [--ext-unix-sk] [--free-memory]\n"
		       "                 [--external KIND[KEY]:VALUE]... [--meta DIR] [--handshake] [-v]\n"
		       "  Checkpoint the process tree rooted at PID into DIR (created; must\n"
		       "  not exist or be empty), then kill it unless --leave-running.\n"
		       "  --images -: write the image set as one stream on stdout (not a\n"
		       "  terminal), e.g. into 'ssh HOST ckpt restore --images -'.\n"
		       "  --meta DIR (with --images -): also keep the set without its memory\n"
		       "  pages in DIR, the --parent of the next dump of the chain here.\n"
		       "  --handshake (with --images -): migration; stdin is the restore\n"
		       "  side's stdout. Keep the tree frozen until it says 'ready', then\n"
		       "  kill it (resume it with --leave-running) and say 'go'.\n"
		       "  --parent DIR: store only the pages written since DIR (the last\n"
		       "  pre-dump of the tree); restore reads the others from there.\n"
		       "  --compress: compress the memory images, with lz4 (fast, the\n"
		       "  default) or zstd (smaller).\n"
		       "  --ext-unix-sk: a unix socket connected to a process outside the\n"
		       "  tree, on fd 3 or above, is reconnected to its peer's address on\n"
		       "  restore (without it, it is an outside end, as on fd 0-2).\n"
		       "  --free-memory: free the tree's memory as it is stored (less memory\n"
		       "  needed). The risk: if ckpt dies during the dump, the tree dies too\n"
		       "  (without it, the tree runs on as it was).\n"
		       "  --external KIND[KEY]:VALUE: KEY (say a mount point, mnt[/data]:data)\n"
		       "  is outside the tree: saved as a reference named VALUE, given again\n"
		       "  at restore.\n";
	case CMD_PREDUMP:
		return "usage: ckpt pre-dump --pid PID --images DIR|- [--parent DIR] [--meta DIR]\n"
		       "                     [--compress[=lz4|zstd]] [-v]\n"
		       "  --images - and --meta DIR as for dump.\n"
		       "  Save the memory of the tree rooted at PID into DIR and let it run on,\n"
		       "  tracking the pages it writes: a later pre-dump or dump with\n"
		       "  --parent DIR stores only those. The last dump of a chain stops the\n"
		       "  tracking.\n";
	case CMD_RESTORE:
		return "usage: ckpt restore --images DIR|- [--detach] [--pidfile FILE]\n"
		       "                    [--inherit-fd fd[N]:ID]... [--external KIND[KEY]:VALUE]...\n"
		       "                    [--cgroup-root [CTRL:]PATH]... [--new-pidns] [--handshake]\n"
		       "                    [--lazy [--page-server CMD]] [-v]\n"
		       "  Restore the tree saved in DIR with its original PIDs. Without\n"
		       "  --detach, wait for it and exit with its status.\n"
		       "  --images -: read the image set as a stream from stdin (a dump, not\n"
		       "  a pre-dump: those go through 'ckpt receive'; the last dump of a\n"
		       "  chain finds its parents, received before, where it names them).\n"
		       "  --handshake (with --images -): migration; stdout goes to the dump\n"
		       "  side's stdin. Say 'ready' once the tree is whole, let it go on\n"
		       "  'go' (anything else: kill it), then say 'running PID'.\n"
		       "  --new-pidns: into a pid namespace of its own (with its own /proc),\n"
		       "  where its PIDs are the saved ones whatever the host's are, under\n"
		       "  an init of ckpt's that stays while the tree runs.\n"
		       "  --lazy: the tree runs before its private memory is in place; a\n"
		       "  daemon ckpt leaves behind (ckpt-lazy) brings each page in on first\n"
		       "  touch and the rest in the background, then exits.\n"
		       "  --page-server CMD: the pages whose page images are not in DIR are\n"
		       "  asked from CMD, run by sh (say 'ssh SRC ckpt serve-pages --images\n"
		       "  DIR'), over its stdin and stdout.\n"
		       "  A pipe that led to a process outside the tree becomes, on fd 0, 1\n"
		       "  or 2, this command's own fd of that number; anywhere else it needs\n"
		       "  --inherit-fd fd[N]:ID: this command's fd N takes the place of the\n"
		       "  outside end ID ('ckpt show' lists them, e.g. pipe:[1234]).\n"
		       "  --external KIND[KEY]:VALUE: what stands on this machine for the\n"
		       "  outside thing saved as KEY (say mnt[data]:/srv/data).\n"
		       "  --cgroup-root [CONTROLLER:]PATH: the tree's cgroups go below PATH\n"
		       "  instead of their common cgroup (in the hierarchy of CONTROLLER, or\n"
		       "  'cgroup2'; without it, in every hierarchy not named otherwise).\n";
	case CMD_RECEIVE:
		return "usage: ckpt receive --images DIR [--listen PATH]\n"
		       "  Store an image stream (dump or pre-dump --images -) as the image\n"
		       "  set DIR (created, as by dump), from stdin or from one connection\n"
		       "  on the unix socket PATH (root or this uid only). A chain received\n"
		       "  into sibling directories restores: parents are found by their id.\n";
	case CMD_SHOW:
		return "usage: ckpt show --images DIR [--json]\n"
		       "  Print what an image set holds: process, VMAs, fds, sizes.\n";
	case CMD_SERVE_PAGES:
		return "usage: ckpt serve-pages --images DIR\n"
		       "  Answer page requests of a restore --lazy --page-server on stdin and\n"
		       "  stdout, with the pages the image set DIR (and its parents) stores.\n";
	case CMD_CHECK:
		return "usage: ckpt check\n"
		       "  Tell which kernel features ckpt needs and whether this kernel has them.\n";
	default:
		return "usage: ckpt COMMAND [OPTIONS]\n"
		       "  ckpt dump    --pid PID --images DIR|- [--parent DIR] [--leave-running]\n"
		       "               [--compress[=lz4|zstd]] [--ext-unix-sk] [--free-memory]\n"
		       "               [--external KIND[KEY]:VALUE]... [--meta DIR] [--handshake] [-v]\n"
		       "  ckpt pre-dump --pid PID --images DIR|- [--parent DIR] [--meta DIR]\n"
		       "               [--compress[=lz4|zstd]] [-v]\n"
		       "  ckpt restore --images DIR|- [--detach] [--pidfile FILE]\n"
		       "               [--inherit-fd fd[N]:ID]... [--external KIND[KEY]:VALUE]...\n"
		       "               [--cgroup-root [CONTROLLER:]PATH]... [--new-pidns] [--handshake]\n"
		       "               [--lazy [--page-server CMD]] [-v]\n"
		       "  ckpt receive --images DIR [--listen PATH]\n"
		       "  ckpt show    --images DIR [--json]\n"
		       "  ckpt serve-pages --images DIR\n"
		       "  ckpt check\n"
		       "  ckpt --version | --help | COMMAND --help\n";
	}
}
