/* options.h: pmtr's command line, and the configuration file a user other than root has. SPDX-License-Identifier: MIT */
#ifndef PMTR_OPTIONS_H
#define PMTR_OPTIONS_H

#include <limits.h>
#include <stdbool.h>

struct options {
	bool foreground, test_only;
	bool conf_given;	/* -c: else root's PMTR_CONF, another user's own */
	char user_conf[PATH_MAX];	/* $XDG_CONFIG_HOME/pmtr/pmtr.conf */
	bool timestamps;	/* -T: log lines on stderr start with their local time */
	bool socket_given;	/* -s on the command line: failing to listen is fatal */
	int verbosity;
	const char *conf_path;
	const char *pidfile;
	const char *socket_path;
};

/* Read argv into *opt (-h and -V print and exit 0 here). A user other than root
 * without -c gets $XDG_CONFIG_HOME/pmtr/pmtr.conf or ~/.config/pmtr/pmtr.conf.
 * 0, or -1 after a message on stderr (the usage, or what is wrong). */
int options_parse(int argc, char **argv, struct options *opt);

#endif
