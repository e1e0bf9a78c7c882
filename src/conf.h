/* conf.h: the parsed configuration as plain data: jobs and global lines. SPDX-License-Identifier: MIT */
#ifndef PMTR_CONF_H
#define PMTR_CONF_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#define CONF_DEFAULT_STOP_TIMEOUT_MS 10000
#define CONF_DEFAULT_RESTART_DELAY_MS 10000
#define CONF_MAX_ULIMITS 16

struct conf_rlimit {
	int resource;		/* RLIMIT_* */
	rlim_t value;		/* RLIM_INFINITY for "infinity" */
};

/* One job block. Strings are owned by the job; NULL means "not set". */
struct conf_job {
	char *name;
	char **argv;		/* NULL-terminated; argv[0] is an absolute path */
	char *dir;		/* working directory; NULL: inherit pmtr's */
	char *in;		/* stdin file; NULL: /dev/null */
	char *out, *err;	/* output files; NULL: logged by pmtr ("syslog") */
	char *user;
	char **env;		/* "VAR=VALUE" strings, n_env of them */
	size_t n_env;
	char **depends;		/* absolute paths, n_depends of them */
	size_t n_depends;
	bool has_nice;
	int nice;
	cpu_set_t *cpus;	/* NULL: no affinity set */
	struct conf_rlimit *ulimits;	/* room for CONF_MAX_ULIMITS once one is set */
	size_t n_ulimits;
	int64_t bounce_ms;	/* 0: never bounced */
	int64_t stop_timeout_ms;
	int64_t restart_delay_ms;
	int order;		/* sort key, default 0 */
	bool disabled, once, wait;
	bool essential;		/* its own end ends pmtr, with its status */
	int line;		/* line of the "job" keyword, for messages */
};

struct conf {
	struct conf_job **jobs;	/* sorted by order, then by position in the file */
	size_t n_jobs;
	char *report_to;	/* "udp://HOST:PORT[@IFACE]" as written, or NULL */
	char *listen_on;	/* "udp://ADDR:PORT" as written, or NULL */
	int report_to_line, listen_on_line;	/* for messages */
};

void conf_job_free(struct conf_job *job);
void conf_free(struct conf *conf);

/* The command as the configuration writes it: arguments with blanks, quotes,
 * backslashes or "#" in double quotes, with \" and \\ inside. malloc'd, or NULL. */
char *conf_job_command(const struct conf_job *job);

/* True when two jobs would run identically: every setting but line and order. */
bool conf_job_equal(const struct conf_job *a, const struct conf_job *b);

#endif
