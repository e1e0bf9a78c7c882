/* cgroup.h: one cgroup v2 per job where pmtr may create them, so that a stop reaches every descendant. SPDX-License-Identifier: MIT */
#ifndef PMTR_CGROUP_H
#define PMTR_CGROUP_H

#include <limits.h>
#include <stdint.h>

#include "conf.h"
#include <stdbool.h>
#include <sys/types.h>

/* The directory that holds this pmtr's job cgroups: <pmtr's own cgroup>/pmtr-<key>,
 * where key is derived from the configuration path, so that a pmtr started again on
 * the same file finds what the last one left. */
/* The controllers pmtr hands down to its jobs when some job has a limit. */
enum cgroup_controller { CGROUP_MEMORY, CGROUP_PIDS, CGROUP_CPU, CGROUP_N_CONTROLLERS };

struct cgroup_base {
	int dir_fd;			/* -1: no cgroups, process groups only */
	unsigned enabled;		/* 1 << enum cgroup_controller, for the job cgroups */
	char why[CGROUP_N_CONTROLLERS][2 * PATH_MAX];	/* why one is not, when tried */
	char path[PATH_MAX];
	size_t mount_len;		/* path less this is its name in /proc/PID/cgroup */
};

/* Find the cgroup2 hierarchy, create the base directory and lock it. -1 with errno
 * EBUSY when another live pmtr holds it (same configuration file); -1 with another
 * errno when cgroups cannot be used (not mounted, read-only in a container, not
 * permitted): pmtr then works with process groups alone. After a re-exec,
 * inherited is the directory the old image held locked (else -1). */
int cgroup_init(struct cgroup_base *cg, const char *conf_path, int inherited);
/* Remove the job cgroups that are empty, and the base if it is. */
void cgroup_exit(struct cgroup_base *cg);

/* Create the job's cgroup when the job is added, ahead of its start (errors are
 * logged at -v and met again by the start). */
void cgroup_job_create(struct cgroup_base *cg, const char *job);
/* A close-on-exec descriptor of the job's cgroup directory, for spawn_job to
 * start the job in, creating the cgroup if it is gone; -1 on failure. */
int cgroup_job_dir_fd(struct cgroup_base *cg, const char *job);

/* Whether any process is left in the job's cgroup (false when there is none). */
bool cgroup_job_populated(struct cgroup_base *cg, const char *job);

/* Send sig to every process of the job's cgroup; returns how many were signalled. */
int cgroup_job_signal(struct cgroup_base *cg, const char *job, int sig);

/* Whether process pid is in the job's cgroup (from /proc/PID/cgroup). */
bool cgroup_job_holds(struct cgroup_base *cg, const char *job, pid_t pid);

/* Remove the job's cgroup if it is empty. */
void cgroup_job_remove(struct cgroup_base *cg, const char *job);

/* At start-up: SIGKILL whatever an earlier pmtr left in job cgroups, calling
 * report(job, count) for each job that had processes. */
void cgroup_sweep(struct cgroup_base *cg, void (*report)(const char *job, int count));

const char *cgroup_controller_name(enum cgroup_controller c);

/* Enable the controllers of want (a mask) for the job cgroups: in pmtr's own
 * cgroup (after moving pmtr into a leaf beside the base, when its cgroup holds it)
 * and in the base. Returns the mask of those enabled; cg->why says why not. */
unsigned cgroup_enable(struct cgroup_base *cg, unsigned want);

/* Write the job's limits (memory.max, memory.high, pids.max, cpu.max, cpu.weight;
 * the default where conf sets none) into its cgroup directory job_fd, for the
 * controllers enabled. 0, or -1 with the first failure in why. */
int cgroup_job_set_limits(struct cgroup_base *cg, int job_fd, const struct conf_job *conf,
			  char *why, size_t why_len);

/* memory.events' oom_kill of the job: 0, or -1 when it cannot be read. */
int cgroup_job_oom_kills(struct cgroup_base *cg, const char *job, uint64_t *count);

/* The path of the job's memory.events, to watch; -1 without the memory controller. */
int cgroup_job_events_path(struct cgroup_base *cg, const char *job, char *buf, size_t len);

struct cgroup_usage {
	uint64_t memory, cpu_usec, pids;
	bool has_memory, has_cpu, has_pids;
};

/* What the job uses now (memory.current, cpu.stat usage_usec, pids.current). */
void cgroup_job_usage(struct cgroup_base *cg, const char *job, struct cgroup_usage *usage);

#endif
