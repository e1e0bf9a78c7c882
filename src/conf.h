/* conf.h: the parsed configuration as plain data (jobs and global lines), and the table of job settings that describes it. SPDX-License-Identifier: MIT */
#ifndef PMTR_CONF_H
#define PMTR_CONF_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct cron;

#define CONF_DEFAULT_STOP_TIMEOUT_MS 10000
#define CONF_DEFAULT_RESTART_DELAY_MS 10000
#define CONF_DEFAULT_UMASK 022
#define CONF_DEFAULT_CONTROL_MODE 0660
#define CONF_DEFAULT_READY_TIMEOUT_MS 90000
#define CONF_DEFAULT_CHECK_EVERY_MS 30000
#define CONF_DEFAULT_CHECK_TIMEOUT_MS 10000
#define CONF_DEFAULT_CHECK_RETRIES 3

/* A cgroup limit written as "infinity"; 0 is "not set". */
#define CONF_LIMIT_INFINITY UINT64_MAX
#define CONF_CPU_INFINITY UINT32_MAX

/* How a job says it is ready; a job without "ready" is ready once started. */
enum conf_ready { CONF_READY_STARTED, CONF_READY_NOTIFY, CONF_READY_TCP, CONF_READY_CMD };
#define CONF_MAX_ULIMITS 16

struct conf_rlimit {
	int resource;		/* RLIMIT_* */
	rlim_t value;		/* RLIM_INFINITY for "infinity" */
};

/* Readiness, ordering, checks and cgroup limits: settings most jobs leave alone,
 * allocated only for a job that sets one, so that 1000 plain jobs stay small. */
struct conf_job_more {
	enum conf_ready ready;
	char *ready_host;	/* ready tcp: the address to connect to, numeric */
	int ready_port;
	char **ready_argv;	/* ready cmd: like argv */
	int64_t ready_timeout_ms;
	char **after;		/* names of the jobs that must be ready first */
	size_t n_after;
	int after_line;		/* the first "after" line, for messages */
	char **check_argv;	/* health check command, like argv; NULL: none */
	int64_t check_every_ms, check_timeout_ms;
	unsigned check_retries;
	/* cgroup v2 limits: 0 not set, else the value (CONF_LIMIT_INFINITY / CONF_CPU_INFINITY
	 * for "infinity") */
	uint64_t memory_max, memory_high, pids_max;	/* bytes, bytes, processes */
	uint32_t cpu_max_percent;	/* 100 = one CPU */
	uint32_t cpu_weight;		/* 1 to 10000 */
	char *env_file;			/* KEY=VALUE lines read at each start, or NULL */
	char *dir;			/* working directory; NULL: inherit pmtr's */
	char *in;			/* stdin file; NULL: /dev/null */
	int64_t bounce_ms;		/* 0: never bounced */
	/* schedules (doc: pmtr.conf(5) SCHEDULED JOBS): a job has at most one of
	 * schedule (a cron expression) and schedule_every_ms */
	struct cron *schedule;		/* NULL: none */
	int64_t schedule_every_ms;	/* 0: none */
	int64_t schedule_jitter_ms;	/* 0: none */
	int64_t run_timeout_ms;		/* 0: none; any job */
	int schedule_overlap;		/* enum conf_overlap */
	/* log files (pmtr.conf(5) LOG FILES) */
	char *log_file;			/* absolute path, or NULL: output to pmtr's log */
	struct conf_log_rotate *log_rotate;	/* NULL: never rotated */
	bool log_timestamps;
};

/* log rotate: when PATH becomes PATH.1 (and so on), and what is kept. */
enum conf_rotate_period { CONF_ROTATE_NEVER, CONF_ROTATE_EVERY, CONF_ROTATE_HOURLY,
			  CONF_ROTATE_DAILY };
#define CONF_DEFAULT_LOG_KEEP 5
#define CONF_LOG_KEEP_MAX 1000
struct conf_log_rotate {
	uint64_t size;			/* bytes; 0: no size limit */
	int64_t every_ms;		/* CONF_ROTATE_EVERY */
	int period;			/* enum conf_rotate_period */
	unsigned keep;			/* rotated files kept, 1 to CONF_LOG_KEEP_MAX */
	bool compress;			/* gzip the rotated files */
};

/* What a run that is due while the last one is still going does. */
enum conf_overlap { CONF_OVERLAP_SKIP, CONF_OVERLAP_REPLACE };

/* Whether the job runs on a schedule (schedule CRON or schedule every). */
#define CONF_SCHEDULED(job) ((job)->more && ((job)->more->schedule || \
					     (job)->more->schedule_every_ms))

/* What a job without a conf_job_more has. */
extern const struct conf_job_more conf_job_more_defaults;
#define CONF_MORE(job) ((job)->more ? (const struct conf_job_more *)(job)->more : \
			&conf_job_more_defaults)

/* One job block. Strings are owned by the job; NULL means "not set". */
struct conf_job {
	char *name;
	char **argv;		/* NULL-terminated; argv[0] is an absolute path; one
				 * allocation with its strings */
	char *out, *err;	/* output files; NULL: logged by pmtr ("syslog") */
	char *user;
	char *group;		/* primary group, name or number; NULL: the user's */
	char **env;		/* "VAR=VALUE" strings, n_env of them */
	size_t n_env;
	char **depends;		/* absolute paths, n_depends of them */
	size_t n_depends;
	cpu_set_t *cpus;	/* NULL: no affinity set */
	struct conf_rlimit *ulimits;	/* room for CONF_MAX_ULIMITS once one is set */
	size_t n_ulimits;
	int64_t stop_timeout_ms;
	int64_t restart_delay_ms;
	struct conf_job_more *more;	/* NULL: the defaults (see CONF_MORE) */
	char *file;		/* the included file it is in; NULL: the main file */
	/* 4-byte fields, then flags: no holes, 1000 jobs are 1000 of these */
	mode_t umask;
	int nice;
	int stop_signal;	/* sent first by every stop; SIGKILL follows */
	int order;		/* sort key, default 0 */
	int line;		/* line of the "job" keyword, for messages */
	bool has_nice;
	bool disabled, once, wait;
	bool essential;		/* its own end ends pmtr, with its status */
};

struct conf {
	struct conf_job **jobs;	/* sorted by order, then by position in the file */
	size_t n_jobs;
	char *report_to;	/* "udp://HOST:PORT[@IFACE]" as written, or NULL */
	char *listen_on;	/* "udp://ADDR:PORT" as written, or NULL */
	int report_to_line, listen_on_line;	/* for messages */
	char *control_group;	/* control socket group: a name or a number, or NULL */
	mode_t control_mode;	/* control socket mode; 0: CONF_DEFAULT_CONTROL_MODE */
	int control_group_line, control_mode_line;
};

void conf_job_free(struct conf_job *job);
void conf_job_more_free(struct conf_job_more *more);
void conf_free(struct conf *conf);

/* The command as the configuration writes it: arguments with blanks, quotes,
 * backslashes or "#" in double quotes, with \" and \\ inside. malloc'd, or NULL. */
char *conf_job_command(const struct conf_job *job);

/* True when two jobs would start the same process: every setting that goes into
 * its execution context (cmd, env, user, dir, limits, ...). */
bool conf_job_same_process(const struct conf_job *a, const struct conf_job *b);

/* The settings only pmtr uses (stop signal and timeout, restart delay, bounce,
 * order, once, wait, essential, ready timeout, after, check, the cgroup limits): a
 * running job takes them over without a restart. Describes in buf what differs between a and b ("stop timeout 5 sec,
 * bounce every off"); returns false when nothing does. */
bool conf_job_supervision_differs(const struct conf_job *a, const struct conf_job *b,
				  char *buf, size_t len);

/* Take over from src the settings only pmtr uses, and disabled and where the job
 * is written (line; file, after and check move from src to dst). */
void conf_job_take_supervision(struct conf_job *dst, struct conf_job *src);

/* Whether a and b differ in a cgroup limit. */
bool conf_job_limits_differ(const struct conf_job *a, const struct conf_job *b);
/* Whether the job sets any cgroup limit; the controllers it needs in *mask (1 <<
 * enum cgroup_controller order: memory, pids, cpu). */
bool conf_job_has_limits(const struct conf_job *job, unsigned *mask);
/* "256M", "1536K", "100": a size as the configuration would write it. */
const char *conf_size_text(uint64_t bytes, char *buf, size_t len);

/* True when two jobs are the same in every setting but where they are written
 * (line, file) and their order. */
bool conf_job_equal(const struct conf_job *a, const struct conf_job *b);

/* The keywords of the settings in which a and b differ, order included, in the
 * order of the settings table, in buf: "cmd, env, stop timeout" (cut to len).
 * Returns how many differ; 0 when the jobs are equal and in the same order. */
size_t conf_job_differences(const struct conf_job *a, const struct conf_job *b, char *buf,
			    size_t len);

/* The job as a configuration block that parses back to an equal job (where it
 * is written, file and line, aside): what a pmtr hands to the binary it
 * executes on an upgrade. malloc'd; NULL on ENOMEM. */
char *conf_job_text(const struct conf_job *job);

/* ---- the table of job settings ---- */

/* One row per keyword: it says a keyword's words, its kind (how its value is read, compared,
 * written back and freed), where the value lives (struct conf_job or struct
 * conf_job_more, by offsetof), and what a change to it needs: a new process, or
 * only pmtr's taking it over (live), cgroup limits among those. src/parse_job.c
 * reads each kind; conf.c compares, describes, writes and frees each kind.
 * A plain setting is one row of job_settings (conf.c) plus its documentation. */
enum setting_kind {
	/* values read by a generic handler */
	SK_PATH,		/* char *: an absolute path */
	SK_PATH_OR_SYSLOG,	/* char *: an absolute path; "syslog" leaves it NULL */
	SK_STRING,		/* char *: not empty */
	SK_UMASK,		/* mode_t */
	SK_INT,			/* int within min..max */
	SK_U32,			/* uint32_t within min..max; 0 is "not set" */
	SK_DURATION,		/* int64_t ms */
	SK_POSITIVE_DURATION,	/* int64_t ms, more than 0; 0 is "off" */
	SK_SIGNAL,		/* int */
	SK_FLAG,		/* bool, set by the bare keyword */
	SK_SIZE,		/* uint64_t cgroup size; 0 not set */
	SK_COUNT_LIMIT,		/* uint64_t 1..max or infinity; 0 not set */
	SK_PERCENT,		/* uint32_t cpu percent or CONF_CPU_INFINITY; 0 not set */
	SK_CHOICE,		/* int: the index of its word in the row's choices */
	/* settings with a grammar of their own */
	SK_NAME, SK_CMD, SK_ENV, SK_CPUS, SK_ULIMIT, SK_DEPENDS,
	SK_READY_NOTIFY, SK_READY_TCP, SK_READY_CMD, SK_AFTER, SK_CHECK, SK_CRON, SK_LOG_ROTATE,
	SK_COUNT
};

enum setting_class {
	SC_PROCESS,	/* part of the process's execution context: a change restarts it */
	SC_SUPERVISION,	/* only pmtr uses it: a running job takes it over */
	SC_LIMIT,	/* a cgroup limit: taken over and written to the job's cgroup */
};

/* cgroup controllers of a limit, as conf_job_has_limits reports them */
#define SETTING_MEMORY 1u
#define SETTING_PIDS 2u
#define SETTING_CPU 4u

#define SETTING_ANY_ARGS UINT16_MAX

struct setting {
	const char *word;	/* first word */
	const char *second;	/* required second word, or NULL */
	const char *display;	/* how messages name it */
	enum setting_kind kind;
	enum setting_class class;
	bool in_more;		/* in struct conf_job_more, else in struct conf_job */
	bool repeatable;	/* may appear more than once in a job */
	bool not_compared;	/* where the job stands (order), not what it is:
				 * conf_job_equal ignores it */
	bool not_described;	/* taken over live without an "applied" word (disable) */
	bool optional;		/* the value counts only when the bool at set_at is true */
	uint16_t min_args, max_args;
	unsigned controllers;	/* SC_LIMIT: SETTING_MEMORY, SETTING_PIDS, SETTING_CPU */
	size_t offset, size;	/* of the value */
	size_t count_at;	/* lists: offset of their size_t length */
	size_t set_at;		/* optional: offset of the bool that says it is set */
	int64_t min, max;	/* SK_INT, SK_U32, SK_COUNT_LIMIT */
	const char *const *choices;	/* SK_CHOICE: its words, NULL-terminated */
};

/* Every job setting; where two share a first word, rows with a second word come
 * in the order messages list them ("expected "timeout" or "signal" after stop"),
 * and live ones in the order of the "applied ..." line. */
extern const struct setting job_settings[];
extern const size_t job_settings_count;
#define SETTINGS_MAX 48		/* at least job_settings_count */

/* What a job block has before its lines are read. */
extern const struct conf_job conf_job_defaults;

/* The address of a row's value in a job or conf_job_more. */
#define SETTING_FIELD(row, base) ((void *)((char *)(base) + (row)->offset))
#define SETTING_CFIELD(row, base) ((const void *)((const char *)(base) + (row)->offset))

/* The struct a row's value lives in: the job, or its conf_job_more (the
 * defaults when it has none). */
const void *setting_base(const struct setting *row, const struct conf_job *job);

#endif
