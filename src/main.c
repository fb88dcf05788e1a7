// SPDX-License-Identifier: GPL-2.0
/* ckpt: checkpoint and restore Linux processes. Option parsing only. */
#include "commands.h"
#include "fault.h"
#include "options.h"
#include "util.h"

#include <signal.h>
#include <string.h>

static const struct {
	enum ckpt_command cmd;
	int (*run)(const struct options *o);
} command_table[] = {
	{ CMD_DUMP, cmd_dump },
	{ CMD_PREDUMP, cmd_dump },
	{ CMD_RESTORE, cmd_restore },
	{ CMD_SHOW, cmd_show },
	{ CMD_CHECK, cmd_check },
	{ CMD_RECEIVE, cmd_receive },
	{ CMD_SERVE_PAGES, cmd_serve_pages },
};

int main(int argc, char **argv)
{
	struct options o;
	int r;

	/* A test build only (FAULT=1): CKPT_FAULT=list, or a bad site. */
	r = fault_setup();
	if (r)
		return r < 0 ? 1 : 0;
	/* A closed pipe on stdout must give an error, not kill us midway. */
	signal(SIGPIPE, SIG_IGN);
	if (options_parse(argc, argv, &o) < 0) {
		pr_err("%s", o.error);
		return 1;
	}
	if (o.command == CMD_HELP) {
		fputs(options_usage(o.help_for), stdout);
		return 0;
	}
	if (o.command == CMD_VERSION) {
		printf("ckpt %s\n", CKPT_VERSION);
		return 0;
	}
	log_level = 1 + o.verbose;
	for (size_t i = 0; i < ARRAY_SIZE(command_table); i++)
		if (command_table[i].cmd == o.command) {
			r = command_table[i].run(&o);
			return r < 0 ? 1 : r;
		}
	return 1;
}
