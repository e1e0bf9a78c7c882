/* pmtrctl_args.c: pmtrctl's command line, read by the table of control commands (ctlcommand.h). SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmtrctl_args.h"
#include "pmtrctl_client.h"
#include "pmtrctl_output.h"
#include "util.h"

/* Lines of output that logs shows without -n. */
#define DEFAULT_LINES 20
/* wait: how long without -t, and the most -t may say. */
#define WAIT_DEFAULT_MS 60000
#define WAIT_MAX_MS (7 * 86400000LL)

static void usage(FILE *to)
{
	fprintf(to,
		"usage: pmtrctl [-s SOCKET] COMMAND [JOB...]\n"
		"commands:\n"
		"  status [-l] [--json] [JOB...]  show every job, or the named ones;\n"
		"                            -l: with memory, CPU time and processes\n"
		"  start JOB...              start jobs now\n"
		"  stop JOB...               stop jobs; they stay stopped until started\n"
		"  restart JOB...            stop jobs and start them again\n"
		"  enable JOB...             the same as start\n"
		"  disable JOB...            the same as stop\n"
		"  reload                    read the configuration file now\n"
		"  reexec                    run pmtr's binary as it is on disk now, keeping every job\n"
		"  reopen [JOB...]           open the jobs' log files again (all when none is named),\n"
		"                            after an external logrotate moved them\n"
		"  logs [-f] [-n N] [--pmtr] [JOB...]\n"
		"                            the last N (20) lines of output of jobs (every\n"
		"                            job when none is named) in time order; --pmtr:\n"
		"                            pmtr's own log lines too (alone without JOB);\n"
		"                            -f: then follow new lines until Ctrl-C\n"
		"  signal SIG JOB...         send SIG (HUP, SIGHUP, 1) to each job's process\n"
		"  wait [-t TIME] [JOB...]   wait until the jobs (default: all but the disabled,\n"
		"                            done and scheduled) run and are ready and not unhealthy;\n"
		"                            TIME 60s unless given (500ms, 10s, 2m); -t 0: ask once\n"
		"options:\n"
		"  -s SOCKET  control socket of pmtr (default $PMTR_SOCKET, else %s;\n"
		"             not as root, $XDG_RUNTIME_DIR/pmtr.sock first when it exists)\n"
		"  -h         this help\n"
		"  -V         version\n"
		"exit status: 0 done, 1 usage, 2 daemon unreachable, 3 unknown job, 4 refused,\n"
		"             5 not ready in time (wait)\n",
		PMTR_SOCKET);
}

/* $PMTR_SOCKET when set. Else root talks to the system's pmtr; another user to a
 * pmtr of their own at $XDG_RUNTIME_DIR/pmtr.sock when there is one, else to the
 * system's (as a member of its group, status works). What was tried goes to the
 * client, which says it when it cannot connect. */
static const char *default_socket(char *buf, size_t len)
{
	const char *why, *own, *env = getenv("PMTR_SOCKET");
	static char hint[PATH_MAX + 160];
	struct stat st;

	if (env && *env)
		return env;
	if (geteuid() == 0)
		return PMTR_SOCKET;
	own = ctl_user_socket(buf, len, &why);
	if (own && stat(own, &st) == 0 && S_ISSOCK(st.st_mode))
		return own;
	if (own)
		snprintf(hint, sizeof(hint), "no pmtr of your own at %s either", own);
	else
		snprintf(hint, sizeof(hint), "no pmtr of your own was looked for: %s", why);
	client_set_hint(hint);
	return PMTR_SOCKET;
}

/* -t's value: digits, then "ms", "s", "m", "h", "d" or nothing (seconds), as
 * pmtr.conf writes times. */
static int parse_wait_time(const char *text, int64_t *ms)
{
	char *shown;

	if (util_parse_duration(text, WAIT_MAX_MS, ms) == 0)
		return 0;
	shown = out_printable(text);
	out_complain("bad time \"%s\": a number of seconds, or with ms, s, m, h or d (500ms, 10s, 2m), at most 7d",
		 shown ? shown : "?");
	free(shown);
	return -1;
}

/* -n's value: a count of lines. */
static int parse_lines(const char *text, long *lines)
{
	uint64_t v;

	if (util_parse_u64(text, CTL_LINES_MAX, &v) < 0) {
		char *shown = out_printable(text);

		out_complain("bad number of lines \"%s\": 0 to %d", shown ? shown : "?", CTL_LINES_MAX);
		free(shown);
		return -1;
	}
	*lines = (long)v;
	return 0;
}

static int set_json(struct pmtrctl_args *args, const char *value)
{
	(void)value;
	args->json = true;
	/* What the jobs use is read from their cgroups: only when asked for. */
	args->req.command = CTL_DETAILS;
	return 0;
}

static int set_long(struct pmtrctl_args *args, const char *value)
{
	(void)value;
	args->long_view = true;
	args->req.command = CTL_DETAILS;
	return 0;
}

static int set_follow(struct pmtrctl_args *args, const char *value)
{
	(void)value;
	args->req.command = CTL_FOLLOW;
	return 0;
}

static int set_pmtr(struct pmtrctl_args *args, const char *value)
{
	(void)value;
	args->req.names[args->req.n_names++] = (char *)CTL_PMTR_LOG;
	return 0;
}

static int set_lines(struct pmtrctl_args *args, const char *value)
{
	return parse_lines(value, &args->req.arg);
}

static int set_timeout(struct pmtrctl_args *args, const char *value)
{
	return parse_wait_time(value, &args->timeout_ms);
}

/* How each option of a command (CTL_OPT_*) is written. One with a value takes it
 * as the next word, or glued to its short name ("-n5", "-t5s"), or after "=" to
 * its long name where long_equals says so ("--timeout=5s"). */
static const struct option_spelling {
	unsigned option;
	const char *short_name;		/* NULL: none */
	const char *long_name;
	const char *value;		/* what its value is, for a message; NULL: none */
	bool long_equals;
	int (*set)(struct pmtrctl_args *args, const char *value);
} spellings[] = {
	{ CTL_OPT_JSON, NULL, "--json", NULL, false, set_json },
	{ CTL_OPT_LONG, "-l", "--long", NULL, false, set_long },
	{ CTL_OPT_FOLLOW, "-f", "--follow", NULL, false, set_follow },
	{ CTL_OPT_PMTR, NULL, "--pmtr", NULL, false, set_pmtr },
	{ CTL_OPT_LINES, "-n", "--lines", "a number of lines", false, set_lines },
	{ CTL_OPT_TIMEOUT, "-t", "--timeout", "a time (10s, 500ms)", true, set_timeout },
};

/* Whether argv[*i] is option o: 1 with its value in *value (the next word taken,
 * *i moved on), 0 when it is not, -1 when its value is missing (said). */
static int match_option(const struct option_spelling *o, int argc, char **argv, int *i,
			const char **value)
{
	const char *arg = argv[*i];
	size_t long_len = strlen(o->long_name);

	*value = NULL;
	if ((o->short_name && strcmp(arg, o->short_name) == 0) || strcmp(arg, o->long_name) == 0) {
		if (!o->value)
			return 1;
		if (*i + 1 == argc) {
			out_complain("%s needs %s", arg, o->value);
			return -1;
		}
		*value = argv[++*i];
		return 1;
	}
	if (!o->value)
		return 0;
	if (o->long_equals && strncmp(arg, o->long_name, long_len) == 0 && arg[long_len] == '=') {
		*value = arg + long_len + 1;
		return 1;
	}
	if (o->short_name && strncmp(arg, o->short_name, strlen(o->short_name)) == 0) {
		*value = arg + strlen(o->short_name);
		return 1;
	}
	return 0;
}

/* argv[*i] as one of the command's options: 1 taken, 0 not one, -1 bad (said). */
static int take_option(struct pmtrctl_args *args, int argc, char **argv, int *i)
{
	for (size_t k = 0; k < ARRAY_SIZE(spellings); k++) {
		const struct option_spelling *o = &spellings[k];
		const char *value;
		int rc;

		if (!(args->command->options & o->option))
			continue;
		rc = match_option(o, argc, argv, i, &value);
		if (rc != 0)
			return rc < 0 || o->set(args, value) < 0 ? -1 : 1;
	}
	return 0;
}

/* The leading signal of signal: a name or number, "-HUP" as kill(1) writes it too. */
static int take_signal(struct pmtrctl_args *args, const char *arg)
{
	int sig = util_parse_signal(arg[0] == '-' && arg[1] ? arg + 1 : arg);

	if (sig <= 0 || sig > CTL_SIGNAL_MAX) {
		char *shown = out_printable(arg);

		out_complain("bad signal \"%s\": a name such as HUP or SIGHUP, or a number",
			 shown ? shown : "?");
		free(shown);
		return -1;
	}
	args->req.arg = sig;
	return 0;
}

/* Say that arg is not something the command takes. */
static void say_not_taken(const char *arg, bool option, const char *command)
{
	char *shown = out_printable(arg);

	if (option)
		out_complain("unknown option \"%s\" for %s (a job name starting with \"-\" goes after \"--\")",
			 shown ? shown : "?", command);
	else
		out_complain("bad job name \"%s\": 1 to 128 letters, digits or .-_@:+",
			 shown ? shown : "?");
	free(shown);
}

/* What follows the command: its options up to "--", its signal, job names. */
static int parse_command_words(struct pmtrctl_args *args, int first, int argc, char **argv)
{
	bool options = true, signal_wanted = args->command->options & CTL_OPT_SIGNAL;

	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		int rc;

		if (options && strcmp(arg, "--") == 0) {
			options = false;
			continue;
		}
		if (signal_wanted) {
			if (take_signal(args, arg) < 0)
				return -1;
			signal_wanted = false;
			continue;
		}
		rc = options ? take_option(args, argc, argv, &i) : 0;
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		if ((options && arg[0] == '-' && arg[1]) || !ctl_valid_job_name(arg)) {
			say_not_taken(arg, options && arg[0] == '-' && arg[1], args->command->name);
			return -1;
		}
		args->req.names[args->req.n_names++] = argv[i];
	}
	if (signal_wanted) {
		out_complain("signal needs a signal and a job (pmtrctl signal HUP web)");
		return -1;
	}
	return 0;
}

/* -s, -h and -V, before the command: 0 go on, 1 done, -1 bad. */
static int parse_global_options(int argc, char **argv, struct pmtrctl_args *args)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	/* "+": stop at the command, so that a job name may start with "-". */
	while ((c = getopt_long(argc, argv, "+:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			args->socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("pmtrctl %s\n", PACKAGE_VERSION);
			return 1;
		case ':':
			out_complain("option -%c needs an argument (see pmtrctl -h)", optopt);
			return -1;
		default:
			if (optopt)
				out_complain("unknown option -%c (see pmtrctl -h)", optopt);
			else
				out_complain("unknown option %s (see pmtrctl -h)", argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

int args_parse(int argc, char **argv, struct pmtrctl_args *args)
{
	int rc;

	memset(&args->req, 0, sizeof(args->req));
	args->socket = NULL;
	args->command = NULL;
	args->json = args->long_view = false;
	args->timeout_ms = WAIT_DEFAULT_MS;
	rc = parse_global_options(argc, argv, args);
	if (rc != 0)
		return rc;
	if (!args->socket)
		args->socket = default_socket(args->socket_buf, sizeof(args->socket_buf));
	if (!*args->socket) {
		out_complain("-s needs a socket path");
		return -1;
	}
	if (optind >= argc) {
		out_complain("no command given (see pmtrctl -h)");
		return -1;
	}
	args->command = ctl_command_find(argv[optind], CTL_ON_COMMAND_LINE);
	if (!args->command) {
		char *shown = out_printable(argv[optind]);

		out_complain("unknown command \"%s\" (see pmtrctl -h)", shown ? shown : "?");
		free(shown);
		return -1;
	}
	args->req.version = CTL_VERSION;
	args->req.command = args->command->wire;
	args->req.arg = args->command->number == CTL_NUMBER_LINES ? DEFAULT_LINES : 0;
	args->req.names = calloc((size_t)argc, sizeof(*args->req.names));
	if (!args->req.names) {
		out_complain("%s", strerror(errno));
		return -1;
	}
	return parse_command_words(args, optind + 1, argc, argv);
}
