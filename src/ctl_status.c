/* ctl_status.c: a job's line in the answer to status and details, as the control protocol writes it (doc/protocol.md). SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "ctl_status.h"
#include "ctlproto.h"
#include "ctlstatus.h"
#include "schedule.h"

static char *health_of(const struct job *job)
{
	if (!CONF_MORE(job->conf)->check_argv)
		return NULL;
	if (job_is_unhealthy(job))
		return "unhealthy";
	return job_is_ready(job) && job->counters.checks_done ? "healthy" : "starting";
}

char *ctl_status_line(const struct job *job, int64_t now, int version, bool details)
{
	struct ctl_job_status st = {
		.name = job->conf->name,
		/* unhealthy is running on the wire; its health says the rest */
		.state = (char *)job_state_name(job_is_unhealthy(job) ? JOB_RUNNING : job->state),
		.pid = job->pid,
		.uptime = job->pid ? (now - job->counters.started_ms) / 1000 : 0,
		.restarts = job->counters.restarts,
		.exit_code = -1,
		.exit_signal = -1,
		.file = job->conf->file,
		.ready = job_is_ready(job) ? CTL_READY_YES : CTL_READY_NO,
		.health = health_of(job),
		.note = job->note,
		.oom_kill = job->last_exit_oom,
	};
	char *line;

	if (details && job->in_cgroup) {
		struct cgroup_usage use;

		cgroup_job_usage(job->table->cgroup, job->conf->name, &use);
		st.has_memory = use.has_memory;
		st.memory_bytes = use.memory;
		st.has_cpu = use.has_cpu;
		st.cpu_usec = use.cpu_usec;
		st.has_pids = use.has_pids;
		st.pids = use.pids;
	}

	if (job->state == JOB_BACKOFF && job->deadline) {
		st.has_restart_in = true;
		st.restart_in_ms = job->deadline > now ? (unsigned long long)(job->deadline - now) : 0;
	}
	if (job_due_at(job)) {
		struct sched_now clocks;

		schedule_now(&clocks);
		st.next_run = schedule_next_run(job, &clocks);
		st.has_next_run = st.next_run >= 0;
	}
	/* a job with a schedule: the start of its last run */
	if (CONF_SCHEDULED(job_latest_conf(job)) && job->counters.started_wall > 0) {
		st.has_last_run = true;
		st.last_run = job->counters.started_wall;
	}
	if (job->has_exited && WIFEXITED(job->counters.last_status))
		st.exit_code = WEXITSTATUS(job->counters.last_status);
	else if (job->has_exited && WIFSIGNALED(job->counters.last_status))
		st.exit_signal = WTERMSIG(job->counters.last_status);
	st.command = conf_job_command(job->conf);
	line = st.command ? ctl_format_status(&st, version) : NULL;
	free(st.command);
	return line;
}
