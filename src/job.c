/* job.c: what a job is, and the questions about one that change nothing; the table's indexes. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "log.h"

static const char *const state_names[JOB_N_STATES] = {
	[JOB_PENDING] = "pending",
	[JOB_STARTING] = "starting",
	[JOB_RUNNING] = "running",
	[JOB_UNHEALTHY] = "unhealthy",
	[JOB_STOPPING] = "stopping",
	[JOB_KILLING] = "killing",
	[JOB_BACKOFF] = "waiting to restart",
	[JOB_SCHEDULED] = "scheduled",
	[JOB_DISABLED] = "disabled",
	[JOB_DONE] = "done",
	[JOB_GONE] = "gone",
};

static const char *const event_names[JOB_N_EVENTS] = {
	[JOB_EV_START] = "start",
	[JOB_EV_RUN] = "run",
	[JOB_EV_STOP] = "stop",
	[JOB_EV_RESTART] = "restart",
	[JOB_EV_BOUNCE] = "bounce",
	[JOB_EV_REMOVE] = "remove",
	[JOB_EV_EXIT] = "exit",
	[JOB_EV_GROUP_EMPTY] = "group empty",
	[JOB_EV_TIMER] = "timer",
	[JOB_EV_DUE] = "due",
	[JOB_EV_KILL] = "kill",
	[JOB_EV_READY] = "ready",
	[JOB_EV_PROBE] = "probe",
	[JOB_EV_CHECK_OK] = "check ok",
	[JOB_EV_CHECK_FAIL] = "check failed",
	[JOB_EV_OOM] = "oom",
};

const char *job_state_name(enum job_state state)
{
	if (state == JOB_KILLING)
		state = JOB_STOPPING;
	return state < JOB_N_STATES ? state_names[state] : "?";
}

const char *job_state_doc_name(enum job_state state)
{
	return state < JOB_N_STATES ? state_names[state] : "?";
}

const char *job_event_name(enum job_event ev)
{
	return ev < JOB_N_EVENTS ? event_names[ev] : "?";
}

int job_state_named(const char *name)
{
	for (int s = 0; s < JOB_N_STATES; s++)
		if (strcmp(name, state_names[s]) == 0)
			return s;
	return -1;
}

bool job_is_up(const struct job *job)
{
	return job->state == JOB_STARTING || job->state == JOB_RUNNING ||
	       job->state == JOB_UNHEALTHY;
}

bool job_is_ready(const struct job *job)
{
	return job->state == JOB_RUNNING || job->state == JOB_UNHEALTHY;
}

bool job_is_stopping(const struct job *job)
{
	return job->state == JOB_STOPPING || job->state == JOB_KILLING;
}

bool job_is_disabled(const struct job *job)
{
	return job->state == JOB_DISABLED;
}

bool job_is_gone(const struct job *job)
{
	return job->state == JOB_GONE;
}

bool job_is_unhealthy(const struct job *job)
{
	return job->state == JOB_UNHEALTHY;
}

struct conf_job *job_latest_conf(const struct job *job)
{
	return job->next ? job->next : job->conf;
}

bool job_is_removed(const struct job *job)
{
	return job->state == JOB_GONE || (job_is_stopping(job) && job->then == JOB_THEN_REMOVE);
}

void job_raise(struct job *job, enum job_event ev, const char *why)
{
	job->table->raise(job->table, job, ev, why);
}

size_t jobs_count(const struct jobs *jobs)
{
	return jobs->n;
}

struct job *jobs_at(const struct jobs *jobs, size_t i)
{
	return i < jobs->n ? jobs->v[i] : NULL;
}

struct job *jobs_find(const struct jobs *jobs, const char *name, bool removed_too)
{
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job->state == JOB_GONE || (!removed_too && job_is_removed(job)))
			continue;
		if (strcmp(job->conf->name, name) == 0)
			return job;
	}
	return NULL;
}

/* Jobs with a process, by pid: a reaped child is found without a scan of the table. */
static size_t pid_home(const struct jobs *jobs, pid_t pid)
{
	return ((uint32_t)pid * 2654435761u) & (jobs->by_pid_cap - 1);
}

struct job *jobs_pid_find(struct jobs *jobs, pid_t pid)
{
	struct job *job;

	if (!jobs->by_pid_cap) {
		/* the index could not be made: the table it is */
		for (size_t i = 0; i < jobs->n; i++)
			if (jobs->v[i]->pid == pid)
				return jobs->v[i];
		return NULL;
	}
	for (job = jobs->by_pid[pid_home(jobs, pid)]; job && job->pid != pid; job = job->pid_next)
		;
	return job;
}

/* The index twice as big, about two jobs per bucket; left as it was on ENOMEM. */
static void pid_index_grow(struct jobs *jobs)
{
	size_t cap = jobs->by_pid_cap ? 2 * jobs->by_pid_cap : 32, old_cap = jobs->by_pid_cap;
	struct job **old = jobs->by_pid, **by_pid = calloc(cap, sizeof(*by_pid));

	if (!by_pid) {
		if (!old)
			log_warn("jobs by pid");
		return;
	}
	jobs->by_pid = by_pid;
	jobs->by_pid_cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		for (struct job *j = old[i], *after; j; j = after) {
			size_t home = pid_home(jobs, j->pid);

			after = j->pid_next;
			j->pid_next = by_pid[home];
			by_pid[home] = j;
		}
	}
	free(old);
}

void jobs_pid_add(struct jobs *jobs, struct job *job)
{
	size_t home;

	if (jobs->by_pid_n >= 2 * jobs->by_pid_cap)
		pid_index_grow(jobs);
	if (!jobs->by_pid_cap)
		return;
	home = pid_home(jobs, job->pid);
	job->pid_next = jobs->by_pid[home];
	jobs->by_pid[home] = job;
	jobs->by_pid_n++;
}

/* Before job->pid is cleared. */
void jobs_pid_remove(struct jobs *jobs, struct job *job)
{
	if (!jobs->by_pid_cap)
		return;
	for (struct job **at = &jobs->by_pid[pid_home(jobs, job->pid)]; *at; at = &(*at)->pid_next) {
		if (*at == job) {
			*at = job->pid_next;
			job->pid_next = NULL;
			jobs->by_pid_n--;
			return;
		}
	}
}

struct job_more *job_more_of(struct job *job)
{
	if (!job->more && !(job->more = calloc(1, sizeof(*job->more))))
		log_warn("job %s: its schedule and dependency hashes", job->conf->name);
	return job->more;
}
