/* state.h: the state a pmtr hands to the binary it executes on an upgrade, as text (doc/state-format.md). SPDX-License-Identifier: MIT */
#ifndef PMTR_STATE_H
#define PMTR_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "counters.h"
#include "logfile.h"

#define STATE_VERSION 1

/* A job's place in the state machine and its counters; times in CLOCK_MONOTONIC
 * ms (the same clock after the exec), 0 for none. */
struct state_run {
	char state[24], then[16];	/* job_state_name() words; "waiting to restart" too */
	int64_t deadline, probe_at;
	struct job_counters counters;
	unsigned flags;			/* STATE_* below */
};

#define STATE_HAS_EXITED 1u
#define STATE_KILL_SENT 2u
#define STATE_UDP_OVERRIDE 4u
#define STATE_IN_CGROUP 8u
#define STATE_LAST_EXIT_OOM 16u

struct joblog;

struct state_job {
	char *name;
	pid_t pid, pgid;
	bool has_run;			/* the run line was there and read */
	struct state_run run;
	int output_fd;			/* -1: none */
	char *partial;			/* the line it had not finished, or NULL */
	char *note, *conf_text, *next_text, *file;	/* NULL when not said */
	const struct joblog *log;	/* writing: its kept output lines, or NULL */
	bool has_logfile;		/* its log file, open */
	struct logfile_state logfile;
	bool has_due;			/* a job with a schedule: its next due time */
	int64_t due_at, due_jitter_ms;	/* as struct job has them */
};

/* A kept output line read back (pmtrctl logs): seq orders the lines of every job. */
struct state_line {
	size_t job;			/* index in state.jobs */
	uint64_t seq;
	int64_t time_ms;
	pid_t pid;
	const char *text;		/* in state.text */
};

struct state {
	int version;
	int listener_fd, notify_fd, cgroup_fd, udp_listen_fd, udp_report_fd, reply_fd;
	char *udp_listen_spec;		/* what udp_listen_fd was opened for, or NULL */
	int64_t nofile_soft;		/* the open-file soft limit jobs get, -1: none */
	int end_status;
	struct state_job *jobs;
	size_t n_jobs;
	struct logfile_gzip *gzips;	/* compressions in progress; strings owned */
	size_t n_gzips;
	struct state_line *lines;	/* reading: in the order read */
	size_t n_lines;
	char *text;			/* reading: the copy that lines point into */
	bool partial;			/* lines were not understood: fall back where needed */
};

/* An empty state: every descriptor -1, no job. */
void state_init(struct state *st);
void state_free(struct state *st);

/* The text of st; malloc'd, NULL on ENOMEM. */
char *state_format(const struct state *st);

/* Read text (len bytes, not NUL-terminated) into *st. Whatever it can: a job line
 * ("job NAME PID PGID") is enough to take a job over; a line it does not understand,
 * a bad field or a missing "end" sets st->partial. -1 only when it is no state at
 * all (no "pmtr-state N" first) or on ENOMEM. */
int state_parse(const char *text, size_t len, struct state *st);

#endif
