/* jobs.c: each job's life cycle as one state machine, the one writer of a job's state. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "health.h"
#include "joblog.h"
#include "job_report.h"
#include "jobs.h"
#include "log.h"
#include "logfile.h"
#include "notify.h"
#include "output.h"
#include "resources.h"
#include "schedule.h"
#include "spawn.h"
#include "util.h"

/* While a killed job's leader is gone but its group lingers, how often to look. */
#define GROUP_RECHECK_MS 100

static const char *name_of(const struct job *job)
{
	return job->conf->name;
}

void job_adopt_next(struct job *job)
{
	if (!job->next)
		return;
	conf_job_free(job->conf);
	job->conf = job->next;
	job->next = NULL;
	if (job->more) {
		free(job->more->dep_hash);
		job->more->dep_hash = NULL;
	}
	job->dep_missing_logged = false;
}

/* The one place a job's state is written. A job that enters a state without a
 * process takes on the newest configuration it was given (doc/states.md). */
static void enter(struct job *job, enum job_state state)
{
	job->state = state;
	if (!job_is_up(job) && !job_is_stopping(job))
		job_adopt_next(job);
}

/* Whether anything of the job is left: its process group, or its cgroup, which
 * also holds the descendants that left the group (setsid, double fork). */
static bool group_alive(const struct job *job)
{
	if (job->pgid > 0 && (kill(-job->pgid, 0) == 0 || errno == EPERM))
		return true;
	return job->in_cgroup && cgroup_job_populated(job->table->cgroup, name_of(job));
}

static void signal_job(struct job *job, int sig)
{
	if (job->in_cgroup)
		cgroup_job_signal(job->table->cgroup, name_of(job), sig);
	/* Before the child's setsid the group does not exist yet; the signal then
	 * waits in the child's blocked set until it clears it. */
	if (job->pgid > 0 && kill(-job->pgid, sig) == 0)
		return;
	if (job->pid > 0 && kill(job->pid, sig) < 0 && errno != ESRCH)
		log_warn("job %s [%d]: kill", name_of(job), (int)job->pid);
}

void job_hash_depends(struct job *job)
{
	const struct conf_job *conf = job->conf;
	struct job_more *more;

	if (!conf->n_depends || !(more = job_more_of(job)))
		return;
	if (!more->dep_hash) {
		more->dep_hash = calloc(conf->n_depends, sizeof(*more->dep_hash));
		if (!more->dep_hash) {
			log_warn("job %s: dependency hashes", name_of(job));
			return;
		}
	}
	for (size_t i = 0; i < conf->n_depends; i++)
		if (util_hash_file(conf->depends[i], &more->dep_hash[i]) < 0)
			more->dep_hash[i] = 0;
}

/* A missing dependency holds the job; said once until it appears. */
static bool depends_present(struct job *job)
{
	const struct conf_job *conf = job->conf;

	for (size_t i = 0; i < conf->n_depends; i++) {
		if (access(conf->depends[i], F_OK) == 0)
			continue;
		if (!job->dep_missing_logged)
			log_warnx("job %s waits for dependency %s", name_of(job), conf->depends[i]);
		job->dep_missing_logged = true;
		return false;
	}
	job->dep_missing_logged = false;
	return true;
}

static void backoff(struct job *job)
{
	char delay[32];

	enter(job, JOB_BACKOFF);
	job->deadline = util_now_ms() + job->conf->restart_delay_ms;
	log_info("job %s restarts in %s", name_of(job),
		 util_describe_ms(job->conf->restart_delay_ms, delay, sizeof(delay)));
}

int64_t job_up_deadline(const struct job *job, enum job_state state, const struct conf_job *conf)
{
	int64_t start = job->counters.started_ms, first = 0;
	int64_t ends[] = {
		state == JOB_STARTING ? CONF_MORE(conf)->ready_timeout_ms : CONF_MORE(conf)->bounce_ms,
		CONF_MORE(conf)->run_timeout_ms,
	};

	for (size_t i = 0; i < ARRAY_SIZE(ends); i++)
		if (ends[i] && (!first || start + ends[i] < first))
			first = start + ends[i];
	return first;
}

/* A job with a schedule between its runs: due at its next time. */
static void wait_for_schedule(struct job *job)
{
	struct sched_now now;

	job->deadline = 0;
	enter(job, JOB_SCHEDULED);
	if (!job_due_at(job)) {
		schedule_now(&now);
		schedule_first(job, &now);
	}
}

/* Up and ready: the bounce timer runs, checks begin, jobs "after" it may start. */
static void become_ready(struct jobs *jobs, struct job *job)
{
	enter(job, JOB_RUNNING);
	job->deadline = job_up_deadline(job, JOB_RUNNING, job->conf);
	health_schedule_check(job, true);
	jobs->need_advance = true;
}

/* The process is there: from now on it is the job's. */
static void took_process(struct jobs *jobs, struct job *job, const struct spawned *child)
{
	job->pid = job->pgid = child->pid;
	jobs_pid_add(jobs, job);
	job->counters.started_ms = util_now_ms();
	job->counters.started_wall = (int64_t)time(NULL);
	/* a run of a scheduled job is no restart */
	if (job->has_exited && !CONF_SCHEDULED(job->conf))
		job->counters.restarts++;
	if (child->report_fd >= 0)
		job_report_watch(jobs, job, child->report_fd);
	if (child->output_fd >= 0) {
		job->output = output_open(jobs->loop, child->output_fd, name_of(job), child->pid,
					  &job->log, &job->logfile);
		if (!job->output) {
			log_warn("job %s [%d]: its output will be lost", name_of(job), (int)job->pid);
			close(child->output_fd);
		}
	}
	job->counters.check_failures = job->counters.checks_done = 0;
	free(job->note);
	job->note = NULL;
	job->after_logged = false;
}

void job_start(struct jobs *jobs, struct job *job)
{
	struct spawned child;
	char why[512];
	int cgroup_fd, rc;

	/* no free start slot yet: stays pending, started when one frees */
	if (spawn_busy())
		return;
	if (!depends_present(job))
		return;
	job_hash_depends(job);
	/* a log file that cannot be opened is a failed start, as a missing program is */
	if (logfile_configure(&job->logfile, name_of(job), job->conf, &job->log, true, why,
			      sizeof(why)) < 0) {
		log_warnx("job %s failed to start: %s", name_of(job), why);
		backoff(job);
		return;
	}
	cgroup_fd = jobs->cgroup ? cgroup_job_dir_fd(jobs->cgroup, name_of(job)) : -1;
	job->in_cgroup = cgroup_fd >= 0;
	/* born under its limits */
	if (cgroup_fd >= 0) {
		resources_write(jobs, job, cgroup_fd);
		resources_baseline(jobs, job);
	}
	rc = spawn_job(job->conf, cgroup_fd, &child, why, sizeof(why));
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	if (rc < 0) {
		log_warnx("job %s failed to start: %s", name_of(job), why);
		backoff(job);
		return;
	}
	took_process(jobs, job, &child);
	logfile_own(job->logfile, child.set_uid, child.uid, child.set_gid, child.gid);
	log_info("started job %s [%d]", name_of(job), (int)job->pid);
	resources_watch_oom(jobs, job);
	if (CONF_MORE(job->conf)->ready == CONF_READY_STARTED) {
		become_ready(jobs, job);
	} else {
		enter(job, JOB_STARTING);
		job->deadline = job_up_deadline(job, JOB_STARTING, job->conf);
		if (CONF_MORE(job->conf)->ready != CONF_READY_NOTIFY)
			job->probe_at = job->counters.started_ms;
	}
}

/* Its stop signal to the job's group; why, when given, is said after. */
static void begin_stop(struct job *job, enum job_then then, const char *why)
{
	int sig = job->conf->stop_signal;
	char name[32], with[48] = "";

	health_stop(job);
	if (sig != SIGTERM)
		snprintf(with, sizeof(with), " with %s", util_signame(sig, name, sizeof(name)));
	if (!job->pid)
		log_info("stopping what is left of job %s in its cgroup%s%s", name_of(job),
			 why ? ": " : "", why ? why : "");
	else
		log_info("stopping job %s [%d]%s%s%s", name_of(job), (int)job->pid, with,
			 why ? ": " : "", why ? why : "");
	job->then = then;
	enter(job, JOB_STOPPING);
	job->deadline = util_now_ms() + job->conf->stop_timeout_ms;
	signal_job(job, sig);
}

static bool run_timed_out(const struct job *job)
{
	int64_t limit = CONF_MORE(job->conf)->run_timeout_ms;

	return limit && util_now_ms() - job->counters.started_ms >= limit;
}

static void stop_timed_out(struct job *job)
{
	char waited[32];

	log_warnx("job %s [%d] still running after %s, its run timeout: stopping", name_of(job),
		  (int)job->pid, util_describe_ms(CONF_MORE(job->conf)->run_timeout_ms, waited,
						  sizeof(waited)));
	begin_stop(job, JOB_THEN_RETRY, NULL);
}

static void finish_stop(struct jobs *jobs, struct job *job)
{
	job->deadline = 0;
	job->pgid = 0;
	switch (job->then) {
	case JOB_THEN_RETRY:
		if (CONF_SCHEDULED(job_latest_conf(job))) {
			wait_for_schedule(job);
			break;
		}
		if (util_now_ms() - job->counters.started_ms < job->conf->restart_delay_ms) {
			backoff(job);
			break;
		}
		/* fall through */
	case JOB_THEN_START:
		enter(job, JOB_PENDING);
		jobs->need_advance = true;
		break;
	case JOB_THEN_DISABLE:
		enter(job, JOB_DISABLED);
		break;
	case JOB_THEN_REMOVE:
		enter(job, JOB_GONE);
		break;
	}
}

static void log_job_exit(struct job *job)
{
	char how[64];
	int64_t ran = util_now_ms() - job->counters.started_ms;

	log_info("job %s [%d] exited after %lld sec: %s", name_of(job), (int)job->pid,
		 (long long)(ran / 1000),
		 util_describe_status(job->counters.last_status, how, sizeof(how)));
}

/* An essential job that ends by itself ends pmtr with its status, the shell's way;
 * but an essential wait job that succeeds was a setup step, and start-up goes on. */
static bool essential_ends_pmtr(struct jobs *jobs, struct job *job)
{
	int status = job->counters.last_status;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) :
		   WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;

	if (!job->conf->essential || (job->conf->wait && code == 0))
		return false;
	if (jobs->end_status < 0) {
		log_warnx("essential job %s ended: stopping pmtr with exit status %d",
			  name_of(job), code);
		jobs->end_status = code;
	}
	return true;
}

/* Its process was reaped: what it held goes, and the exit is said. */
static void lost_process(struct jobs *jobs, struct job *job)
{
	/* Its last lines of output first, then the line that says it exited. */
	health_stop(job);
	job_report_close(jobs, job);
	log_job_exit(job);
	resources_note_exit(jobs, job);
	jobs_pid_remove(jobs, job);
	job->pid = 0;
}

/* The actions of the transition table; why is the event's text, or NULL. */
typedef void job_action(struct jobs *jobs, struct job *job, const char *why);

/* Should run: now, or at its due times (a job with a schedule). */
static void act_want_start(struct jobs *jobs, struct job *job, const char *why)
{
	(void)why;
	if (CONF_SCHEDULED(job_latest_conf(job))) {
		wait_for_schedule(job);
		return;
	}
	job->deadline = 0;
	enter(job, JOB_PENDING);
	jobs->need_advance = true;
}

/* Run now (pmtrctl start); a job with a schedule keeps it. */
static void act_run(struct jobs *jobs, struct job *job, const char *why)
{
	struct sched_now now;

	(void)why;
	job->deadline = 0;
	enter(job, JOB_PENDING);
	jobs->need_advance = true;
	if (CONF_SCHEDULED(job->conf) && !job_due_at(job)) {
		schedule_now(&now);
		schedule_first(job, &now);
	}
}

static void act_disable(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs, (void)why;
	job->deadline = 0;
	schedule_clear(job);
	enter(job, JOB_DISABLED);
}

/* Out of the configuration; what the job left in its cgroup (a daemon it started
 * that outlived it) is part of it, and stopped first. */
static void act_forget(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs, (void)why;
	job->deadline = 0;
	if (job->in_cgroup && group_alive(job)) {
		begin_stop(job, JOB_THEN_REMOVE, NULL);
		return;
	}
	enter(job, JOB_GONE);
}

static void act_stop_then_disable(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs;
	begin_stop(job, JOB_THEN_DISABLE, why);
}

static void act_stop_then_start(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs;
	begin_stop(job, JOB_THEN_START, why);
}

static void act_stop_then_remove(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs;
	begin_stop(job, JOB_THEN_REMOVE, why);
}

static void act_then_start(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs, (void)why;
	job->then = JOB_THEN_START;
}

static void act_then_disable(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs, (void)why;
	job->then = JOB_THEN_DISABLE;
}

static void act_then_remove(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs, (void)why;
	job->then = JOB_THEN_REMOVE;
}

static void act_exited(struct jobs *jobs, struct job *job, const char *why)
{
	int64_t ran = util_now_ms() - job->counters.started_ms;
	int status = job->counters.last_status;

	(void)why;
	lost_process(jobs, job);
	job->pgid = 0;
	job->deadline = 0;
	if (essential_ends_pmtr(jobs, job)) {
		enter(job, JOB_DONE);
	} else if (CONF_SCHEDULED(job_latest_conf(job))) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_warnx("job %s failed; it runs again at its next due time", name_of(job));
		wait_for_schedule(job);
	} else if (job->conf->once) {
		log_info("job %s is once: not restarting", name_of(job));
		enter(job, JOB_DONE);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 33) {
		log_info("job %s exited with status 33: not restarting", name_of(job));
		enter(job, JOB_DONE);
	} else if (ran < job->conf->restart_delay_ms) {
		backoff(job);
	} else {
		enter(job, JOB_PENDING);
	}
	/* Whatever happened, a wait gate may have opened. */
	jobs->need_advance = true;
}

/* The leader of a stopping job exited: the stop is complete once its group is empty. */
static void act_stopped(struct jobs *jobs, struct job *job, const char *why)
{
	(void)why;
	lost_process(jobs, job);
	if (!group_alive(job)) {
		finish_stop(jobs, job);
		return;
	}
	log_debug("job %s: process group %d still has members", name_of(job), (int)job->pgid);
	if (job->state == JOB_KILLING)
		job->deadline = util_now_ms() + GROUP_RECHECK_MS;
}

/* A reaped orphan may have been the last of a stopped job's group. */
static void act_group_empty(struct jobs *jobs, struct job *job, const char *why)
{
	(void)why;
	if (!job->pid && !group_alive(job))
		finish_stop(jobs, job);
}

static void act_kill(struct jobs *jobs, struct job *job, const char *why)
{
	(void)why;
	if (!job->pid && !group_alive(job)) {
		finish_stop(jobs, job);
		return;
	}
	if (job->state == JOB_STOPPING) {
		char waited[32];

		log_warnx("job %s [%d] still running after %s: sending SIGKILL", name_of(job),
			  (int)job->pid, util_describe_ms(job->conf->stop_timeout_ms, waited,
							  sizeof(waited)));
	}
	signal_job(job, SIGKILL);
	enter(job, JOB_KILLING);
	job->deadline = job->pid ? 0 : util_now_ms() + GROUP_RECHECK_MS;
}

static void act_bounce(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs, (void)why;
	if (run_timed_out(job)) {
		stop_timed_out(job);
		return;
	}
	log_info("bouncing job %s [%d]", name_of(job), (int)job->pid);
	begin_stop(job, JOB_THEN_START, NULL);
}

static void act_kill_now(struct jobs *jobs, struct job *job, const char *why)
{
	begin_stop(job, JOB_THEN_REMOVE, NULL);
	act_kill(jobs, job, why);
}

static void act_ready(struct jobs *jobs, struct job *job, const char *why)
{
	(void)why;
	log_info("job %s [%d] is ready", name_of(job), (int)job->pid);
	health_stop(job);
	become_ready(jobs, job);
}

static void act_not_ready(struct jobs *jobs, struct job *job, const char *why)
{
	char waited[32];

	(void)jobs, (void)why;
	if (run_timed_out(job)) {
		stop_timed_out(job);
		return;
	}
	log_warnx("job %s [%d] not ready after %s: restarting", name_of(job), (int)job->pid,
		  util_describe_ms(CONF_MORE(job->conf)->ready_timeout_ms, waited, sizeof(waited)));
	begin_stop(job, JOB_THEN_RETRY, NULL);
}

static void act_probe(struct jobs *jobs, struct job *job, const char *why)
{
	(void)why;
	health_probe(jobs, job);
}

static void act_check_ok(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs, (void)why;
	job->counters.checks_done++;
	job->counters.check_failures = 0;
	if (job->state == JOB_UNHEALTHY) {
		log_info("job %s [%d] is healthy again", name_of(job), (int)job->pid);
		enter(job, JOB_RUNNING);
	}
	health_schedule_check(job, false);
}

static void act_check_fail(struct jobs *jobs, struct job *job, const char *why)
{
	unsigned retries = CONF_MORE(job->conf)->check_retries;
	struct job_counters *c = &job->counters;

	(void)jobs;
	c->checks_done++;
	c->check_failures++;
	log_warnx("job %s [%d]: check failed (%u of %u): %s", name_of(job), (int)job->pid,
		  c->check_failures, retries, why ? why : "?");
	if (c->check_failures >= retries) {
		log_warnx("job %s [%d] unhealthy: %u check%s failed in a row: restarting",
			  name_of(job), (int)job->pid, c->check_failures,
			  c->check_failures == 1 ? "" : "s");
		begin_stop(job, JOB_THEN_RETRY, NULL);
		return;
	}
	enter(job, JOB_UNHEALTHY);
	health_schedule_check(job, false);
}

/* Its due time came: the next one is set; says so when due times went by unseen. */
static void next_due(struct job *job)
{
	struct sched_now now;
	char next[64];
	unsigned missed;

	schedule_now(&now);
	missed = schedule_advance(job, &now);
	if (missed)
		log_warnx("job %s: %u of its run times passed while pmtr could not run it "
			  "(the clock was set, or the machine slept): running once for them",
			  name_of(job), missed);
	log_debug("job %s runs next at %s", name_of(job),
		  schedule_time_text(schedule_next_run(job, &now), next, sizeof(next)));
}

static void act_due(struct jobs *jobs, struct job *job, const char *why)
{
	(void)why;
	next_due(job);
	log_info("job %s: its scheduled run is due", name_of(job));
	enter(job, JOB_PENDING);
	jobs->need_advance = true;
}

/* Due while the last run is still going, or still waits to start. */
static void act_due_skip(struct jobs *jobs, struct job *job, const char *why)
{
	(void)jobs, (void)why;
	next_due(job);
	if (job->pid)
		log_warnx("job %s [%d] is still running: skipping its run due now", name_of(job),
			  (int)job->pid);
	else
		log_warnx("job %s is still %s: skipping its run due now", name_of(job),
			  job_state_name(job->state));
}

static void act_due_overlap(struct jobs *jobs, struct job *job, const char *why)
{
	if (CONF_MORE(job->conf)->schedule_overlap != CONF_OVERLAP_REPLACE) {
		act_due_skip(jobs, job, why);
		return;
	}
	next_due(job);
	log_info("job %s [%d] is still running at its next due time: replacing it",
		 name_of(job), (int)job->pid);
	begin_stop(job, JOB_THEN_START, NULL);
}

static void act_oom(struct jobs *jobs, struct job *job, const char *why)
{
	(void)why;
	resources_oom_settled(jobs, job);
}

/* What a job whose process runs does with these events, ready or not. */
#define UP_EVENTS \
	[JOB_EV_STOP] = act_stop_then_disable, \
	[JOB_EV_DUE] = act_due_overlap, \
	[JOB_EV_RESTART] = act_stop_then_start, \
	[JOB_EV_BOUNCE] = act_stop_then_start, \
	[JOB_EV_REMOVE] = act_stop_then_remove, \
	[JOB_EV_EXIT] = act_exited, \
	[JOB_EV_KILL] = act_kill_now, \
	[JOB_EV_PROBE] = act_probe, \
	[JOB_EV_OOM] = act_oom

/* What a job that is being stopped does with these events. */
#define STOPPING_EVENTS \
	[JOB_EV_START] = act_then_start, \
	[JOB_EV_RUN] = act_then_start, \
	[JOB_EV_DUE] = act_due_skip, \
	[JOB_EV_STOP] = act_then_disable, \
	[JOB_EV_RESTART] = act_then_start, \
	[JOB_EV_REMOVE] = act_then_remove, \
	[JOB_EV_EXIT] = act_stopped, \
	[JOB_EV_GROUP_EMPTY] = act_group_empty, \
	[JOB_EV_TIMER] = act_kill, \
	[JOB_EV_KILL] = act_kill, \
	[JOB_EV_OOM] = act_oom

/* [state][event] -> action; NULL: the event means nothing in that state. */
static job_action *const transitions[JOB_N_STATES][JOB_N_EVENTS] = {
	[JOB_PENDING] = {
		[JOB_EV_START] = act_want_start,
		[JOB_EV_RUN] = act_run,
		[JOB_EV_DUE] = act_due_skip,
		[JOB_EV_STOP] = act_disable,
		[JOB_EV_RESTART] = act_want_start,
		[JOB_EV_BOUNCE] = act_want_start,
		[JOB_EV_REMOVE] = act_forget,
		[JOB_EV_OOM] = act_oom,
	},
	[JOB_STARTING] = {
		UP_EVENTS,
		[JOB_EV_TIMER] = act_not_ready,
		[JOB_EV_READY] = act_ready,
	},
	[JOB_RUNNING] = {
		UP_EVENTS,
		[JOB_EV_TIMER] = act_bounce,
		[JOB_EV_CHECK_OK] = act_check_ok,
		[JOB_EV_CHECK_FAIL] = act_check_fail,
	},
	[JOB_UNHEALTHY] = {
		UP_EVENTS,
		[JOB_EV_TIMER] = act_bounce,
		[JOB_EV_CHECK_OK] = act_check_ok,
		[JOB_EV_CHECK_FAIL] = act_check_fail,
	},
	[JOB_STOPPING] = { STOPPING_EVENTS },
	[JOB_KILLING] = { STOPPING_EVENTS },
	[JOB_BACKOFF] = {
		[JOB_EV_STOP] = act_disable,
		[JOB_EV_RESTART] = act_want_start,
		[JOB_EV_REMOVE] = act_forget,
		[JOB_EV_TIMER] = act_want_start,
		[JOB_EV_DUE] = act_due_skip,
		[JOB_EV_OOM] = act_oom,
	},
	[JOB_SCHEDULED] = {
		[JOB_EV_START] = act_want_start,
		[JOB_EV_RUN] = act_run,
		[JOB_EV_STOP] = act_disable,
		[JOB_EV_RESTART] = act_want_start,
		[JOB_EV_REMOVE] = act_forget,
		[JOB_EV_DUE] = act_due,
		[JOB_EV_OOM] = act_oom,
	},
	[JOB_DISABLED] = {
		[JOB_EV_START] = act_want_start,
		[JOB_EV_RUN] = act_run,
		[JOB_EV_STOP] = act_disable,
		[JOB_EV_RESTART] = act_want_start,
		[JOB_EV_REMOVE] = act_forget,
		[JOB_EV_OOM] = act_oom,
	},
	[JOB_DONE] = {
		[JOB_EV_START] = act_want_start,
		[JOB_EV_RUN] = act_run,
		[JOB_EV_STOP] = act_disable,
		[JOB_EV_RESTART] = act_want_start,
		[JOB_EV_REMOVE] = act_forget,
		[JOB_EV_OOM] = act_oom,
	},
	/* removed and given a configuration again before it was freed */
	[JOB_GONE] = {
		[JOB_EV_STOP] = act_disable,
		[JOB_EV_RESTART] = act_want_start,
	},
};

/* Each action as doc/states.md's table writes it. */
static const struct {
	job_action *action;
	const char *text;
} action_texts[] = {
	{ act_want_start, "*wanted*" },
	{ act_run, "pending" },
	{ act_disable, "disabled" },
	{ act_forget, "*gone*" },
	{ act_stop_then_disable, "stopping→disabled" },
	{ act_stop_then_start, "stopping→start" },
	{ act_stop_then_remove, "stopping→gone" },
	{ act_then_start, "then start" },
	{ act_then_disable, "then disabled" },
	{ act_then_remove, "then gone" },
	{ act_exited, "*exit rules*" },
	{ act_stopped, "*stopped*" },
	{ act_group_empty, "*stopped* if nothing is left" },
	{ act_kill, "SIGKILL, killing" },
	{ act_bounce, "stopping→start (bounce), stopping→retry (run timeout)" },
	{ act_kill_now, "SIGKILL, killing→gone" },
	{ act_ready, "running" },
	{ act_not_ready, "stopping→retry (not ready, run timeout)" },
	{ act_probe, "*probe*" },
	{ act_check_ok, "running (healthy)" },
	{ act_check_fail, "*check failed*" },
	{ act_oom, "*oom*" },
	{ act_due, "pending (due)" },
	{ act_due_skip, "*skip*" },
	{ act_due_overlap, "*overlap*" },
};

const char *job_transition_text(enum job_state state, enum job_event ev)
{
	job_action *action = state < JOB_N_STATES && ev < JOB_N_EVENTS ?
			     transitions[state][ev] : NULL;

	for (size_t i = 0; action && i < ARRAY_SIZE(action_texts); i++)
		if (action_texts[i].action == action)
			return action_texts[i].text;
	return action ? "?" : "";
}

void job_event_why(struct jobs *jobs, struct job *job, enum job_event ev, const char *why)
{
	job_action *action = transitions[job->state][ev];

	log_debug("job %s: event %s in state %s%s", name_of(job), job_event_name(ev),
		  job_state_doc_name(job->state), action ? "" : " (ignored)");
	jobs->stale = true;
	if (action)
		action(jobs, job, why);
}

void job_event(struct jobs *jobs, struct job *job, enum job_event ev)
{
	job_event_why(jobs, job, ev, NULL);
}

void job_hand_over(struct job *job, enum job_state state)
{
	job->state = state;
}

void jobs_override(struct jobs *jobs, struct job *job, bool enable)
{
	job->udp_override = true;
	job_event(jobs, job, enable ? JOB_EV_START : JOB_EV_STOP);
}

/* The table. */

void jobs_init(struct jobs *jobs, struct loop *loop)
{
	struct sched_now now;

	memset(jobs, 0, sizeof(*jobs));
	jobs->loop = loop;
	jobs->end_status = -1;
	jobs->oom_watch.fd = -1;
	jobs->stale = true;
	jobs->raise = job_event_why;
	schedule_now(&now);
	jobs->wall_offset_ms = now.wall - now.boot;
}

void job_free(struct jobs *jobs, struct job *job)
{
	resources_forget(jobs, job);
	health_free(job);
	free(job->note);
	job_report_close(jobs, job);
	logfile_free(job->logfile);
	job->logfile = NULL;
	if (jobs->freed_cb)
		jobs->freed_cb(jobs->freed_arg, job);
	joblog_free(job->log);
	/* Also for a job that never started: its cgroup was made when it was added. */
	if (jobs->cgroup)
		cgroup_job_remove(jobs->cgroup, name_of(job));
	conf_job_free(job->conf);
	conf_job_free(job->next);
	if (job->more)
		free(job->more->dep_hash);
	free(job->more);
	free(job);
}

void jobs_exit(struct jobs *jobs)
{
	for (size_t i = 0; i < jobs->n; i++)
		job_free(jobs, jobs->v[i]);
	free(jobs->v);
	jobs->v = NULL;
	jobs->n = jobs->cap = 0;
	free(jobs->by_pid);
	jobs->by_pid = NULL;
	jobs->by_pid_cap = jobs->by_pid_n = 0;
	resources_exit(jobs);
}

struct job *job_new(struct jobs *jobs, struct conf_job *conf)
{
	struct job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->table = jobs;
	job->conf = conf;
	job->events_wd = -1;
	if (conf->disabled) {
		job->state = JOB_DISABLED;
	} else if (CONF_SCHEDULED(conf)) {
		struct sched_now now;

		job->state = JOB_SCHEDULED;
		schedule_now(&now);
		schedule_first(job, &now);
	} else {
		job->state = JOB_PENDING;
	}
	return job;
}

