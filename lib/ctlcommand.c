/* ctlcommand.c: the table of control commands that pmtr's request parser and pmtrctl's command line share. SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "ctlcommand.h"
#include "util.h"

#define BOTH (CTL_ON_WIRE | CTL_ON_COMMAND_LINE)

/* Read-only commands leave .mutates false; a command without a number leaves
 * .number CTL_NUMBER_NONE; .options 0: none. */
static const struct ctl_command_info commands[] = {
	{ .name = "status", .wire = CTL_STATUS, .where = BOTH, .names = CTL_NAMES_ANY,
	  .options = CTL_OPT_JSON | CTL_OPT_LONG, .since = 1 },
	{ .name = "start", .wire = CTL_START, .where = BOTH, .mutates = true,
	  .names = CTL_NAMES_SOME, .since = 1 },
	{ .name = "stop", .wire = CTL_STOP, .where = BOTH, .mutates = true,
	  .names = CTL_NAMES_SOME, .since = 1 },
	{ .name = "restart", .wire = CTL_RESTART, .where = BOTH, .mutates = true,
	  .names = CTL_NAMES_SOME, .since = 1 },
	{ .name = "enable", .wire = CTL_ENABLE, .where = BOTH, .mutates = true,
	  .names = CTL_NAMES_SOME, .since = 1 },
	{ .name = "disable", .wire = CTL_DISABLE, .where = BOTH, .mutates = true,
	  .names = CTL_NAMES_SOME, .since = 1 },
	{ .name = "reload", .wire = CTL_RELOAD, .where = BOTH, .mutates = true,
	  .names = CTL_NAMES_NONE, .since = 1 },
	{ .name = "logs", .wire = CTL_LOGS, .where = BOTH, .names = CTL_NAMES_ANY,
	  .number = CTL_NUMBER_LINES, .options = CTL_OPT_FOLLOW | CTL_OPT_LINES | CTL_OPT_PMTR,
	  .since = 2 },
	/* logs -f */
	{ .name = "follow", .wire = CTL_FOLLOW, .where = CTL_ON_WIRE, .names = CTL_NAMES_ANY,
	  .number = CTL_NUMBER_LINES, .since = 2 },
	{ .name = "signal", .wire = CTL_SIGNAL, .where = BOTH, .mutates = true,
	  .names = CTL_NAMES_SOME, .number = CTL_NUMBER_SIGNAL, .options = CTL_OPT_SIGNAL,
	  .since = 2 },
	/* status -l, status --json */
	{ .name = "details", .wire = CTL_DETAILS, .where = CTL_ON_WIRE, .names = CTL_NAMES_ANY,
	  .since = 2 },
	{ .name = "reexec", .wire = CTL_REEXEC, .where = BOTH, .mutates = true,
	  .names = CTL_NAMES_NONE, .since = 2 },
	{ .name = "reopen", .wire = CTL_REOPEN, .where = BOTH, .mutates = true,
	  .names = CTL_NAMES_ANY, .since = 2 },
	/* pmtrctl's own: status asked again until the jobs are ready */
	{ .name = "wait", .wire = CTL_STATUS, .where = CTL_ON_COMMAND_LINE,
	  .names = CTL_NAMES_ANY, .options = CTL_OPT_TIMEOUT, .since = 1 },
};

const struct ctl_command_info *ctl_command_find(const char *word, unsigned where)
{
	if (!word)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if ((commands[i].where & where) && strcmp(commands[i].name, word) == 0)
			return &commands[i];
	return NULL;
}

const struct ctl_command_info *ctl_command_info(enum ctl_command command)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if ((commands[i].where & CTL_ON_WIRE) && commands[i].wire == command)
			return &commands[i];
	return NULL;
}

bool ctl_number_bounds(enum ctl_number number, long *min, long *max, const char **what)
{
	switch (number) {
	case CTL_NUMBER_LINES:
		*min = 0, *max = CTL_LINES_MAX, *what = "number of lines";
		return true;
	case CTL_NUMBER_SIGNAL:
		*min = 1, *max = CTL_SIGNAL_MAX, *what = "signal number";
		return true;
	case CTL_NUMBER_NONE:
		break;
	}
	return false;
}

int ctl_command_from_name(const char *word)
{
	const struct ctl_command_info *info = ctl_command_find(word, CTL_ON_WIRE);

	return info ? (int)info->wire : -1;
}

const char *ctl_command_name(enum ctl_command command)
{
	const struct ctl_command_info *info = ctl_command_info(command);

	return info ? info->name : NULL;
}

bool ctl_command_mutates(enum ctl_command command)
{
	const struct ctl_command_info *info = ctl_command_info(command);

	return info && info->mutates;
}
