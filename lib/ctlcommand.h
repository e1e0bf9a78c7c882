/* ctlcommand.h: the control commands, one row each: what pmtr's control socket and pmtrctl's command line know of them. SPDX-License-Identifier: MIT */
#ifndef PMTR_CTLCOMMAND_H
#define PMTR_CTLCOMMAND_H

#include <stdbool.h>

/*
 * Every control command is one row of a table (lib/ctlcommand.c): its name, the
 * request it is on the wire, whether it changes anything, the job names and the
 * number it takes, and the options pmtrctl accepts with it. pmtr's request parser
 * (ctl_parse_request) and pmtrctl's command line both read their rules from it,
 * so a command is added in one place.
 */

#define CTL_LINES_MAX 100000		/* most lines logs and follow may ask for */
#define CTL_SIGNAL_MAX 64		/* highest signal number signal may send */

enum ctl_command {
	CTL_STATUS, CTL_START, CTL_STOP, CTL_RESTART, CTL_ENABLE, CTL_DISABLE, CTL_RELOAD,
	CTL_LOGS,			/* "logs LINES [JOB...]": the last lines of output
					 * (none: of every job) */
	CTL_FOLLOW,			/* "follow LINES [JOB...]": the same, then new ones
					 * (none: of jobs added later too) */
	CTL_SIGNAL,			/* "signal NUMBER JOB...": to each main process */
	CTL_DETAILS,			/* "details [JOB...]": status and cgroup usage */
	CTL_REEXEC,			/* "reexec": pmtr executes its binary anew, keeping
					 * its jobs; the new one answers "version pmtr X" */
	CTL_REOPEN,			/* "reopen [JOB...]": log files opened again by
					 * name (none: every job's) */
};

/* The job names a command takes. */
enum ctl_names {
	CTL_NAMES_NONE,			/* reload, reexec */
	CTL_NAMES_ANY,			/* status, logs: none means every job */
	CTL_NAMES_SOME,			/* one at least */
};

/* The number a command carries before its job names on the wire. */
enum ctl_number {
	CTL_NUMBER_NONE,
	CTL_NUMBER_LINES,		/* logs, follow: 0 to CTL_LINES_MAX */
	CTL_NUMBER_SIGNAL,		/* signal: 1 to CTL_SIGNAL_MAX */
};

/* Where a command is known: on the socket, on pmtrctl's command line, or both. */
enum {
	CTL_ON_WIRE = 1 << 0,		/* follow and details are asked for by options */
	CTL_ON_COMMAND_LINE = 1 << 1,	/* wait is pmtrctl's own: status asked again */
};

/* The options of pmtrctl that a command accepts after its name. */
enum {
	CTL_OPT_JSON = 1 << 0,		/* --json */
	CTL_OPT_LONG = 1 << 1,		/* -l, --long */
	CTL_OPT_FOLLOW = 1 << 2,	/* -f, --follow */
	CTL_OPT_LINES = 1 << 3,		/* -n N, -nN, --lines N */
	CTL_OPT_TIMEOUT = 1 << 4,	/* -t TIME, -tTIME, --timeout TIME, --timeout=TIME */
	CTL_OPT_SIGNAL = 1 << 5,	/* a leading SIG, also as -SIG */
	CTL_OPT_PMTR = 1 << 6,		/* --pmtr: pmtr's own log lines (CTL_PMTR_LOG) */
};

struct ctl_command_info {
	const char *name;		/* as typed and as sent */
	enum ctl_command wire;		/* the request it sends (wait: status) */
	unsigned where;			/* CTL_ON_* */
	bool mutates;			/* needs a privileged peer */
	enum ctl_names names;
	enum ctl_number number;
	unsigned options;		/* CTL_OPT_* */
	int since;			/* the protocol version that brought it */
};

/* The row of the command called word where (CTL_ON_*) says; NULL when there is
 * none. */
const struct ctl_command_info *ctl_command_find(const char *word, unsigned where);
/* The row of a request on the wire; NULL when out of range. */
const struct ctl_command_info *ctl_command_info(enum ctl_command command);

/* Bounds of a command's number, and what it is called in messages ("number of
 * lines", "signal number"); false for a command without one. */
bool ctl_number_bounds(enum ctl_number number, long *min, long *max, const char **what);

/* "status" -> CTL_STATUS; -1 when no request is called so. And back (NULL when out
 * of range). */
int ctl_command_from_name(const char *word);
const char *ctl_command_name(enum ctl_command command);
/* Whether a command changes anything (and so needs a privileged peer). */
bool ctl_command_mutates(enum ctl_command command);

#endif
