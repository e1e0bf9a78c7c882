/* options.c: pmtr's command line, and the configuration file a user other than root has. SPDX-License-Identifier: MIT */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "options.h"

static void usage(FILE *to)
{
	fprintf(to,
		"usage: pmtr [-F] [-T] [-c FILE] [-t] [-v]... [-p PIDFILE] [-s SOCKET] [-h] [-V]\n"
		"  -F         stay in the foreground (the default as process 1)\n"
		"  -T         each log line on stderr starts with its time (the default\n"
		"             when stderr is a terminal)\n"
		"  -c FILE    configuration file (default %s; when not root\n"
		"             $XDG_CONFIG_HOME/pmtr/pmtr.conf, or ~/.config/pmtr/pmtr.conf)\n"
		"  -t         test the configuration and exit: 0 valid, 1 invalid\n"
		"  -v         verbose logging; -vv also traces parsing\n"
		"  -p FILE    write a pidfile, removed at exit\n"
		"  -s PATH    control socket (default %s, or $XDG_RUNTIME_DIR/pmtr.sock\n"
		"             when not root; \"none\" disables it)\n"
		"  -h         this help\n"
		"  -V         version\n", PMTR_CONF, PMTR_SOCKET);
}

/* A user other than root has a configuration of their own, as XDG has it:
 * $XDG_CONFIG_HOME/pmtr/pmtr.conf, or ~/.config/pmtr/pmtr.conf. */
static int user_conf(struct options *opt)
{
	const char *dir = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	if (dir && dir[0] == '/')
		n = snprintf(opt->user_conf, sizeof(opt->user_conf), "%s/pmtr/pmtr.conf", dir);
	else if (home && home[0] == '/')
		n = snprintf(opt->user_conf, sizeof(opt->user_conf), "%s/.config/pmtr/pmtr.conf",
			     home);
	else
		return -1;
	if (n < 0 || (size_t)n >= sizeof(opt->user_conf))
		return -1;
	opt->conf_path = opt->user_conf;
	return 0;
}

int options_parse(int argc, char **argv, struct options *opt)
{
	int c;

	*opt = (struct options){ .conf_path = PMTR_CONF, .socket_path = PMTR_SOCKET };
	opt->foreground = getpid() == 1;
	while ((c = getopt(argc, argv, "FTc:tvp:s:hV")) != -1) {
		switch (c) {
		case 'F': opt->foreground = true; break;
		case 'T': opt->timestamps = true; break;
		case 'c': opt->conf_path = optarg; opt->conf_given = true; break;
		case 't': opt->test_only = true; break;
		case 'v': opt->verbosity++; break;
		case 'p': opt->pidfile = optarg; break;
		case 's': opt->socket_path = optarg; opt->socket_given = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("pmtr %s\n", PACKAGE_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pmtr: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	if (!*opt->conf_path) {
		fprintf(stderr, "pmtr: -c needs a file name\n");
		return -1;
	}
	if (!opt->conf_given && geteuid() != 0 && user_conf(opt) < 0) {
		fprintf(stderr, "pmtr: neither XDG_CONFIG_HOME nor HOME is set: "
			"give the configuration file with -c FILE\n");
		return -1;
	}
	if (strcmp(opt->socket_path, "none") != 0 &&
	    (!*opt->socket_path || strlen(opt->socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path))) {
		fprintf(stderr, "pmtr: -s %s: not a usable socket path\n", opt->socket_path);
		return -1;
	}
	return 0;
}
