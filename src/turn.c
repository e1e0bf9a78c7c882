/* turn.c: a turn of pmtr's loop for the jobs: reaped children, changed files, notify datagrams and due timers become events; then pending jobs start and removed ones go. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "health.h"
#include "log.h"
#include "logfile.h"
#include "notify.h"
#include "schedule.h"
#include "turn.h"
#include "util.h"

static const char *name_of(const struct job *job)
{
	return job->conf->name;
}

void jobs_reap(struct jobs *jobs)
{
	bool orphans = false;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct job *job = jobs_pid_find(jobs, pid);

		if (!job && (health_reaped(jobs, pid, status) || logfile_reaped(pid, status)))
			continue;
		if (!job) {
			char how[64];

			log_debug("reaped process %d: %s", (int)pid,
				  util_describe_status(status, how, sizeof(how)));
			orphans = true;
			continue;
		}
		job->counters.last_status = status;
		job->has_exited = true;
		job_event(jobs, job, JOB_EV_EXIT);
	}
	if (pid < 0 && errno != ECHILD)
		log_warn("waitpid");
	if (!orphans)
		return;
	/* A reaped descendant may have been the last of a stopped job's group. */
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job_is_stopping(job) && !job->pid)
			job_event(jobs, job, JOB_EV_GROUP_EMPTY);
	}
}

void jobs_check_depends(struct jobs *jobs)
{
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];
		const struct conf_job *conf = job->conf;

		if (!conf->n_depends)
			continue;
		if (job->state == JOB_PENDING) {
			jobs->need_advance = true;
			continue;
		}
		if (!job_is_up(job) || !job->more || !job->more->dep_hash)
			continue;
		for (size_t d = 0; d < conf->n_depends; d++) {
			uint64_t hash;

			if (util_hash_file(conf->depends[d], &hash) < 0 || hash == job->more->dep_hash[d])
				continue;
			log_info("job %s: dependency %s changed: restarting", name_of(job),
				 conf->depends[d]);
			job_event(jobs, job, JOB_EV_BOUNCE);
			break;
		}
	}
}

/* Whether each job of "after" is ready (a once job: has exited 0). */
static bool after_ready(struct jobs *jobs, struct job *job)
{
	const struct conf_job *conf = job->conf;

	for (size_t i = 0; i < CONF_MORE(conf)->n_after; i++) {
		struct job *first = jobs_find(jobs, CONF_MORE(conf)->after[i], false);
		bool ok = first && (first->conf->once ?
				    first->state == JOB_DONE && WIFEXITED(first->counters.last_status) &&
				    WEXITSTATUS(first->counters.last_status) == 0 :
				    job_is_ready(first));

		if (ok)
			continue;
		if (!job->after_logged)
			log_info("job %s waits for %s to be ready", name_of(job), CONF_MORE(conf)->after[i]);
		job->after_logged = true;
		return false;
	}
	return true;
}

/* Start pending jobs in order; a wait job that has not finished closes the gate. */
static void advance(struct jobs *jobs)
{
	/* Once an essential job has ended pmtr, nothing new starts. */
	bool gate_open = jobs->end_status < 0;

	jobs->need_advance = false;
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job_is_removed(job))
			continue;
		if (job->state == JOB_PENDING && gate_open && after_ready(jobs, job))
			job_start(jobs, job);
		if (job->conf->wait && !job->has_exited &&
		    job->state != JOB_DISABLED && job->state != JOB_DONE)
			gate_open = false;
	}
}

static void collect(struct jobs *jobs)
{
	size_t kept = 0;

	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job->state == JOB_GONE) {
			log_debug("job %s removed", name_of(job));
			job_free(jobs, job);
		} else {
			jobs->v[kept++] = job;
		}
	}
	jobs->n = kept;
}

int64_t jobs_tick(struct jobs *jobs, bool stirred)
{
	struct sched_now clocks;
	int64_t now = util_now_ms(), next = 0;

	/* A batch that only read job output changed no job: what the last look found
	 * holds until its deadline. 10,000 jobs and a chatty one cost a look per line. */
	jobs->looked = stirred || jobs->stale || jobs->need_advance ||
		       (jobs->next_due && now >= jobs->next_due);
	if (!jobs->looked)
		return jobs->next_due;

	schedule_now(&clocks);
	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (job_due_at(job) && schedule_is_due(job, &clocks))
			job_event(jobs, job, JOB_EV_DUE);
		logfile_tick(job->logfile, clocks.wall, clocks.boot);

		if (job->deadline && job->deadline <= now) {
			job->deadline = 0;
			job_event(jobs, job, JOB_EV_TIMER);
		}
		if (job->probe_at && job->probe_at <= now) {
			job->probe_at = 0;
			job_event(jobs, job, JOB_EV_PROBE);
		}
		health_tick(job, now);
		if (job->oom_at && job->oom_at <= now) {
			job->oom_at = 0;
			job_event(jobs, job, JOB_EV_OOM);
		}
	}
	/* A job that became ready may let one earlier in the order start: again, until
	 * a pass starts nothing that is ready at once. */
	while (jobs->need_advance)
		advance(jobs);
	collect(jobs);
	schedule_now(&clocks);
	for (size_t i = 0; i < jobs->n; i++) {
		const struct job *job = jobs->v[i];
		int64_t d[] = { job->deadline, health_deadline(job), job->oom_at,
				schedule_deadline(job, &clocks),
				logfile_deadline(job->logfile, clocks.mono, clocks.wall, clocks.boot) };

		for (size_t k = 0; k < ARRAY_SIZE(d); k++)
			if (d[k] && (!next || d[k] < next))
				next = d[k];
	}
	jobs->next_due = next;
	jobs->stale = false;
	return next;
}

void jobs_clock_changed(struct jobs *jobs, bool zone)
{
	struct sched_now now;
	int64_t offset, step;
	char by[32];

	schedule_now(&now);
	offset = now.wall - now.boot;
	step = zone ? 0 : offset - jobs->wall_offset_ms;
	jobs->wall_offset_ms = offset;
	/* a resume or a tick adjustment moves the offset by a few ms: no step */
	if (!zone && step > -1000 && step < 1000) {
		jobs->stale = true;
		return;
	}
	if (zone)
		log_info("the local time zone changed: scheduled jobs follow it");
	else
		log_info("the clock was set %s by %s", step > 0 ? "ahead" : "back",
			 util_describe_ms(step > 0 ? step : -step, by, sizeof(by)));
	for (size_t i = 0; i < jobs->n; i++)
		schedule_clock_changed(jobs->v[i], step, &now);
	jobs->stale = true;
}

void jobs_shutdown(struct jobs *jobs, bool kill_now)
{
	for (size_t i = 0; i < jobs->n; i++)
		job_event(jobs, jobs->v[i], kill_now ? JOB_EV_KILL : JOB_EV_REMOVE);
	if (kill_now)
		for (size_t i = 0; i < jobs->n; i++)
			job_event(jobs, jobs->v[i], JOB_EV_REMOVE);
}

bool jobs_notify(struct jobs *jobs, pid_t sender, const struct notify_message *msg)
{
	pid_t pgid = getpgid(sender);

	for (size_t i = 0; i < jobs->n; i++) {
		struct job *job = jobs->v[i];

		if (!job_is_up(job) || CONF_MORE(job->conf)->ready != CONF_READY_NOTIFY)
			continue;
		if ((pgid <= 0 || pgid != job->pgid) &&
		    !(job->in_cgroup && cgroup_job_holds(jobs->cgroup, name_of(job), sender)))
			continue;
		if (msg->has_status) {
			free(job->note);
			job->note = util_strdup(msg->status);
		}
		if (msg->ready)
			job_event(jobs, job, JOB_EV_READY);
		return true;
	}
	return false;
}

bool jobs_settled(const struct jobs *jobs)
{
	for (size_t i = 0; i < jobs->n; i++)
		if (jobs->v[i]->state == JOB_PENDING || jobs->v[i]->state == JOB_STARTING)
			return false;
	return true;
}

void jobs_summary(const struct jobs *jobs, char *buf, size_t len)
{
	size_t count[JOB_N_STATES] = { 0 };
	const char *sep = ":";
	size_t used;

	for (size_t i = 0; i < jobs->n; i++)
		count[jobs->v[i]->state == JOB_KILLING ? JOB_STOPPING : jobs->v[i]->state]++;
	snprintf(buf, len, "%zu job%s", jobs->n, jobs->n == 1 ? "" : "s");
	for (int s = 0; s < JOB_GONE; s++) {
		used = strlen(buf);
		if (!count[s] || used + 1 >= len)
			continue;
		snprintf(buf + used, len - used, "%s %zu %s", sep, count[s], job_state_name(s));
		sep = ",";
	}
}

