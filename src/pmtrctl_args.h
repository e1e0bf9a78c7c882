/* pmtrctl_args.h: pmtrctl's command line, read by the table of control commands (ctlcommand.h). SPDX-License-Identifier: MIT */
#ifndef PMTR_PMTRCTL_ARGS_H
#define PMTR_PMTRCTL_ARGS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctlproto.h"

struct pmtrctl_args {
	const char *socket;			/* -s, or the default */
	const struct ctl_command_info *command;	/* as typed: wait, logs, status ... */
	/* What to send: logs -f asks for follow, status -l or --json for details;
	 * names point into argv (free the array, not them). */
	struct ctl_request req;
	bool json;				/* status --json */
	bool long_view;				/* status -l */
	int64_t timeout_ms;			/* wait -t */
	char socket_buf[PATH_MAX];
};

/* Read the command line: the global options (-s, -h, -V), the command, then what
 * its row accepts: its options, up to "--", its leading signal, job names. 0: run
 * it; 1: nothing to run (-h or -V answered); -1: bad usage, said on stderr. Free
 * args->req.names afterwards in every case. */
int args_parse(int argc, char **argv, struct pmtrctl_args *args);

#endif
