/* spawn.h: start a job's process by fork and exec in a clean execution context. SPDX-License-Identifier: MIT */
#ifndef PMTR_SPAWN_H
#define PMTR_SPAWN_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "conf.h"

/* What a failed child sends on its report pipe before it exits. */
struct spawn_report {
	int step;		/* enum spawn_step */
	int err;		/* errno */
	int index;		/* which ulimit failed, for SPAWN_ULIMIT */
};

enum spawn_step {
	SPAWN_SETSID, SPAWN_SIGNALS, SPAWN_STDIN, SPAWN_STDOUT, SPAWN_STDERR,
	SPAWN_CHDIR, SPAWN_ULIMIT, SPAWN_NICE, SPAWN_CPU, SPAWN_SETGROUPS,
	SPAWN_SETGID, SPAWN_SETUID, SPAWN_CLOSE_FDS, SPAWN_EXEC,
};

struct spawned {
	pid_t pid;
	int output_fd;		/* read end of the stdout/stderr pipe, or -1 */
	int report_fd;		/* read end of the report pipe: EOF at exec */
};

/* Fork and exec job. cgroup_procs_fd, when not -1, is the cgroup.procs of the job's
 * cgroup, which the child enters before anything else. On success fills *out
 * (descriptors are close-on-exec and non-blocking) and returns 0. On a failure
 * before the child exists returns -1 and writes a reason such as
 * "fork: Resource temporarily unavailable" into why. */
int spawn_job(const struct conf_job *job, int cgroup_procs_fd, struct spawned *out, char *why,
	      size_t why_len);

/* Record which signals pmtr ignores, once its own dispositions are set: a child then
 * resets only those. Without it, a child resets every signal. */
void spawn_note_dispositions(void);

/* pmtr raised its own open-file limit: jobs get this soft limit back. */
void spawn_set_nofile_soft(rlim_t soft);

/* Text for a child's report: "chdir /srv: No such file or directory". */
void spawn_describe(const struct conf_job *job, const struct spawn_report *report,
		    char *buf, size_t len);

#endif
