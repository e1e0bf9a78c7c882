/* spawn.h: start a job's process by fork and exec in a clean execution context. SPDX-License-Identifier: MIT */
/* Its units: spawn.c (this API), plan.c (what the child needs, computed in pmtr),
 * slots.c (children that share pmtr's memory until exec), child.c (every line run between clone and
 * exec). */
#ifndef PMTR_SPAWN_H
#define PMTR_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "child.h"
#include "conf.h"

struct spawned {
	pid_t pid;
	int output_fd;		/* read end of the stdout/stderr pipe, or -1 */
	int report_fd;		/* read end of the report pipe: a struct spawn_report
				 * when the child failed before exec, then EOF; -1 when
				 * spawn_take_failure tells instead */
	bool set_uid, set_gid;	/* the job's user and group it runs as */
	uid_t uid;
	gid_t gid;
};

/* Start job and return at once, while the child is on its way to exec: by a
 * clone that shares pmtr's memory in a free start slot where spawn_init found
 * it works, by fork otherwise (never waiting for a slot). cgroup_fd, when not -1, is the job's cgroup directory: the child
 * starts in it, or enters it before anything else. On success fills *out
 * (descriptors are close-on-exec and non-blocking) and returns 0. On a failure
 * before the child exists returns -1 and writes a reason such as
 * "fork: Resource temporarily unavailable" into why. */
int spawn_job(const struct conf_job *job, int cgroup_fd, struct spawned *out, char *why,
	      size_t why_len);

/* Once pmtr's signal dispositions are set: record which signals it ignores (a
 * child resets only those; without this call, every signal), and set up the
 * shared-memory start (without this call, jobs start by fork). */
void spawn_init(void);

/* After pid, started with no report pipe, was reaped: whether it failed before
 * exec, and how (once). */
bool spawn_take_failure(pid_t pid, struct spawn_report *report);

/* Whether a job's start should be put off: every start slot holds a child on
 * its way to exec, none for long enough that starts go on by fork. Once true,
 * true until spawn_collect says starts are due, so that put-off starts keep
 * their order. Cheap: ask before preparing a start. (Starts that keep no order,
 * such as probes, need not ask: with no free slot, spawn_job forks.) */
bool spawn_busy(void);

/* Let go of what children that have exec'd held (their descriptors, so that
 * their pipes see their end; their plans), and once none is on its way, of the
 * memory a burst of starts used. Cheap: call it before each wait. Sets
 * *starts_due when starts spawn_busy put off can be made now (a slot is free,
 * or starts go on by fork): walk the pending jobs again before waiting. Returns
 * when (CLOCK_MONOTONIC ms) to call it again, since no event tells of an exec:
 * 0 once no child is on its way. */
int64_t spawn_collect(bool *starts_due);

/* The NOTIFY_SOCKET that jobs with "ready notify" get (notify_listen's name). */
void spawn_set_notify_socket(const char *name);

/* pmtr raised its own open-file limit: jobs get this soft limit back. */
void spawn_set_nofile_soft(rlim_t soft);
/* That limit, for a re-exec; -1 when pmtr did not raise its own. */
int64_t spawn_nofile_soft(void);

/* Text for a child's report: "chdir /srv: No such file or directory". */
void spawn_describe(const struct conf_job *job, const struct spawn_report *report,
		    char *buf, size_t len);

#endif
