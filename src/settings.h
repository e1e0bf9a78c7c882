/* settings.h: the table of job settings, one row per keyword, that the parser and conf.c walk. SPDX-License-Identifier: MIT */
/* Map: a row says a keyword's words, its kind (how its value is read, compared,
 * written back and freed), where the value lives (struct conf_job or struct
 * conf_job_more, by offsetof), and what a change to it needs: a new process, or
 * only pmtr's taking it over (live), cgroup limits among those. src/parse_job.c
 * reads each kind; src/conf.c compares, describes, writes and frees each kind.
 * A plain setting is one row here plus its documentation. */
#ifndef PMTR_SETTINGS_H
#define PMTR_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

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
	/* settings with a grammar of their own */
	SK_NAME, SK_CMD, SK_ENV, SK_CPUS, SK_ULIMIT, SK_DEPENDS,
	SK_READY_NOTIFY, SK_READY_TCP, SK_READY_CMD, SK_AFTER, SK_CHECK,
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
