/* health.c: ready probes and health checks of jobs: when to try, and what a result means to the job. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "cgroup.h"
#include "health.h"
#include "log.h"
#include "probe.h"
#include "util.h"

/* A ready probe that failed is tried again after this long. */
#define READY_TCP_RETRY_MS 200
#define READY_CMD_RETRY_MS 500
/* Each try of a ready tcp connect. */
#define READY_TCP_TRY_MS 1000

static void probe_done_cb(struct probe *probe, bool ok, const char *why);

static struct probe *job_probe(struct jobs *jobs, struct job *job)
{
	if (!job->probe) {
		job->probe = malloc(sizeof(*job->probe));
		if (!job->probe) {
			log_warn("job %s: probe", job->conf->name);
			return NULL;
		}
		probe_init(job->probe, jobs->loop, probe_done_cb, job);
	}
	return job->probe;
}

void health_stop(struct job *job)
{
	if (job->probe)
		probe_cancel(job->probe);
	job->probe_at = 0;
}

/* The next health check: one interval after the last one ended; the first after a
 * part of it that differs from job to job, so that checks do not run in lockstep. */
void health_schedule_check(struct job *job, bool first)
{
	int64_t every = CONF_MORE(job->conf)->check_every_ms, now = util_now_ms();

	if (!CONF_MORE(job->conf)->check_argv) {
		job->probe_at = 0;
		return;
	}
	if (first) {
		uint64_t h = util_hash(UTIL_HASH_INIT, &job->pid, sizeof(job->pid));

		h = util_hash(h, &now, sizeof(now));
		job->probe_at = now + 1 + (int64_t)(h % (uint64_t)every);
	} else {
		job->probe_at = now + every;
	}
}

static int job_cgroup_fd(struct jobs *jobs, struct job *job)
{
	return job->in_cgroup ? cgroup_job_dir_fd(jobs->cgroup, job->conf->name) : -1;
}

void health_probe(struct jobs *jobs, struct job *job)
{
	const struct conf_job *conf = job->conf;
	const struct conf_job_more *m = CONF_MORE(conf);
	struct probe *probe = job_probe(jobs, job);
	int64_t now = util_now_ms();
	char why[256];
	int rc = 0, fd;

	job->probe_at = 0;
	if (!probe || probe->deadline)
		return;
	if (job->state == JOB_STARTING && m->ready == CONF_READY_TCP) {
		rc = probe_tcp(probe, m->ready_host, m->ready_port, READY_TCP_TRY_MS, why,
			       sizeof(why));
	} else if (job->state == JOB_STARTING && m->ready == CONF_READY_CMD) {
		fd = job_cgroup_fd(jobs, job);
		rc = probe_cmd(probe, conf, m->ready_argv, fd,
			       job->deadline > now ? job->deadline - now : 1, why, sizeof(why));
		if (fd >= 0)
			close(fd);
	} else if (job_is_ready(job) && m->check_argv) {
		fd = job_cgroup_fd(jobs, job);
		rc = probe_cmd(probe, conf, m->check_argv, fd, m->check_timeout_ms, why,
			       sizeof(why));
		if (fd >= 0)
			close(fd);
		if (rc < 0)
			job_raise(job, JOB_EV_CHECK_FAIL, why);
		return;
	}
	if (rc < 0) {
		log_debug("job %s [%d] not ready yet: %s", job->conf->name, (int)job->pid, why);
		job->probe_at = now + (m->ready == CONF_READY_TCP ? READY_TCP_RETRY_MS :
							       READY_CMD_RETRY_MS);
	}
}

static void probe_done_cb(struct probe *probe, bool ok, const char *why)
{
	struct job *job = probe->arg;

	if (job->state == JOB_STARTING) {
		if (ok) {
			job_raise(job, JOB_EV_READY, NULL);
			return;
		}
		log_debug("job %s [%d] not ready yet: %s", job->conf->name, (int)job->pid, why);
		job->probe_at = util_now_ms() + (CONF_MORE(job->conf)->ready == CONF_READY_TCP ?
						 READY_TCP_RETRY_MS : READY_CMD_RETRY_MS);
		return;
	}
	if (!job_is_ready(job))
		return;
	job_raise(job, ok ? JOB_EV_CHECK_OK : JOB_EV_CHECK_FAIL, why);
}

/* A probe's command ended: its job hears the result. */
bool health_reaped(struct jobs *jobs, pid_t pid, int status)
{
	for (size_t i = 0; i < jobs->n; i++)
		if (jobs->v[i]->probe && probe_reaped(jobs->v[i]->probe, pid, status))
			return true;
	return false;
}


void health_tick(struct job *job, int64_t now)
{
	if (job->probe && job->probe->deadline && job->probe->deadline <= now)
		probe_expire(job->probe);
}

int64_t health_deadline(const struct job *job)
{
	int64_t d = job->probe_at, p = job->probe ? job->probe->deadline : 0;

	return !d || (p && p < d) ? p : d;
}

void health_free(struct job *job)
{
	health_stop(job);
	free(job->probe);
	job->probe = NULL;
}
