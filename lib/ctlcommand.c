/* ctlcommand.c: the table of control commands that pmtr's request parser and pmtrctl's command line share. SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "ctlcommand.h"
#include "util.h"

#define BOTH (CTL_ON_WIRE | CTL_ON_COMMAND_LINE)

static const struct ctl_command_info commands[] = {
	{ "status", CTL_STATUS, BOTH, false, CTL_NAMES_ANY, CTL_NUMBER_NONE,
	  CTL_OPT_JSON | CTL_OPT_LONG },
	{ "start", CTL_START, BOTH, true, CTL_NAMES_SOME, CTL_NUMBER_NONE, 0 },
	{ "stop", CTL_STOP, BOTH, true, CTL_NAMES_SOME, CTL_NUMBER_NONE, 0 },
	{ "restart", CTL_RESTART, BOTH, true, CTL_NAMES_SOME, CTL_NUMBER_NONE, 0 },
	{ "enable", CTL_ENABLE, BOTH, true, CTL_NAMES_SOME, CTL_NUMBER_NONE, 0 },
	{ "disable", CTL_DISABLE, BOTH, true, CTL_NAMES_SOME, CTL_NUMBER_NONE, 0 },
	{ "reload", CTL_RELOAD, BOTH, true, CTL_NAMES_NONE, CTL_NUMBER_NONE, 0 },
	{ "logs", CTL_LOGS, BOTH, false, CTL_NAMES_SOME, CTL_NUMBER_LINES,
	  CTL_OPT_FOLLOW | CTL_OPT_LINES },
	{ "follow", CTL_FOLLOW, CTL_ON_WIRE, false, CTL_NAMES_SOME, CTL_NUMBER_LINES, 0 },
	{ "signal", CTL_SIGNAL, BOTH, true, CTL_NAMES_SOME, CTL_NUMBER_SIGNAL, CTL_OPT_SIGNAL },
	{ "details", CTL_DETAILS, CTL_ON_WIRE, false, CTL_NAMES_ANY, CTL_NUMBER_NONE, 0 },
	{ "reexec", CTL_REEXEC, BOTH, true, CTL_NAMES_NONE, CTL_NUMBER_NONE, 0 },
	/* pmtrctl's own: status asked again until the jobs are ready */
	{ "wait", CTL_STATUS, CTL_ON_COMMAND_LINE, false, CTL_NAMES_ANY, CTL_NUMBER_NONE,
	  CTL_OPT_TIMEOUT },
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
