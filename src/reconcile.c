/* reconcile.c: the reload diff: a freshly parsed configuration applied to the running jobs. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cron.h"
#include "health.h"
#include "log.h"
#include "logfile.h"
#include "reconcile.h"
#include "resources.h"
#include "schedule.h"

static const char *name_of(const struct job *job)
{
	return job->conf->name;
}

static int by_name(const void *a, const void *b, void *names)
{
	struct conf_job *const *v = names;

	return strcmp(v[*(const long *)a]->name, v[*(const long *)b]->name);
}

struct match_key {
	const char *name;
	struct conf_job *const *v;
};

static int find_name(const void *key, const void *elem)
{
	const struct match_key *k = key;

	return strcmp(k->name, k->v[*(const long *)elem]->name);
}

int jobs_match(struct conf_job *const *old, size_t n_old,
	       struct conf_job *const *new, size_t n_new, long *old_index)
{
	long *sorted = malloc((n_old ? n_old : 1) * sizeof(*sorted));

	if (!sorted)
		return -1;
	for (size_t i = 0; i < n_old; i++)
		sorted[i] = (long)i;
	qsort_r(sorted, n_old, sizeof(*sorted), by_name, (void *)old);
	for (size_t i = 0; i < n_new; i++) {
		struct match_key key = { new[i]->name, old };
		long *hit = bsearch(&key, sorted, n_old, sizeof(*sorted), find_name);

		old_index[i] = hit ? *hit : -1;
	}
	free(sorted);
	return 0;
}


/* A pending deadline that was measured with the old setting is measured again
 * with the new one, from the same start. */
static void retime(struct job *job, const struct conf_job *old, const struct conf_job *new)
{
	switch (job->state) {
	case JOB_STARTING:
	case JOB_RUNNING:
	case JOB_UNHEALTHY:
		if (job_up_deadline(job, job->state, old) != job_up_deadline(job, job->state, new))
			job->deadline = job_up_deadline(job, job->state, new);
		break;
	case JOB_STOPPING:
		if (job->deadline)
			job->deadline += new->stop_timeout_ms - old->stop_timeout_ms;
		break;
	case JOB_BACKOFF:
		if (job->deadline)
			job->deadline += new->restart_delay_ms - old->restart_delay_ms;
		break;
	default:
		break;
	}
	/* 0 would mean "no deadline": one that is due stays due. */
	if (job->deadline < 0)
		job->deadline = 1;
}

/* Whether a and b run at other times: another schedule or jitter, or one and
 * not the other. */
static bool schedule_differs(const struct conf_job *a, const struct conf_job *b)
{
	const struct conf_job_more *ma = CONF_MORE(a), *mb = CONF_MORE(b);

	return !ma->schedule != !mb->schedule ||
	       (ma->schedule && !cron_equal(ma->schedule, mb->schedule)) ||
	       ma->schedule_every_ms != mb->schedule_every_ms ||
	       ma->schedule_jitter_ms != mb->schedule_jitter_ms;
}

/* A new schedule counts from now; a run that is going is left alone. A job
 * between runs (or that should run, or ran) follows it through the machine:
 * scheduled, or pending once it has none. */
static void reschedule(struct jobs *jobs, struct job *job)
{
	struct conf_job *latest = job_latest_conf(job);
	struct sched_now now;

	schedule_clear(job);
	if (!latest->disabled && CONF_SCHEDULED(latest)) {
		schedule_now(&now);
		schedule_first(job, &now);
	}
	if (job->state == JOB_SCHEDULED || job->state == JOB_PENDING || job->state == JOB_DONE)
		job_event(jobs, job, JOB_EV_START);
}

/* The same process with other settings for pmtr: taken over without touching it. */
static void take_supervision(struct jobs *jobs, struct job *job, struct conf_job *conf)
{
	struct conf_job *latest = job_latest_conf(job);
	bool was_disabled = latest->disabled, reschedule_check = false, limits_changed;
	bool schedule_changed = schedule_differs(latest, conf);
	char what[256];

	if (conf_job_supervision_differs(latest, conf, what, sizeof(what))) {
		if (job->pid)
			log_info("job %s [%d]: applied %s", name_of(job), (int)job->pid, what);
		else
			log_info("job %s: applied %s", name_of(job), what);
		/* checks follow their new settings from now */
		if (job_is_ready(job) && !job->next) {
			health_stop(job);
			reschedule_check = true;
		}
	}
	retime(job, job->conf, conf);
	limits_changed = conf_job_limits_differ(latest, conf);
	conf_job_take_supervision(latest, conf);
	/* A stop in progress goes on with the new stop settings too. */
	if (job->next)
		conf_job_take_supervision(job->conf, conf);
	conf_job_free(conf);
	if (reschedule_check)
		health_schedule_check(job, true);
	/* a running job gets its new limits now; a stopped one at its next start */
	if (limits_changed && job->in_cgroup && job_is_up(job) && !job->next) {
		resources_apply_now(jobs, job);
		resources_watch_oom(jobs, job);
	}
	if (schedule_changed && latest->disabled == was_disabled)
		reschedule(jobs, job);
	/* a running job's output moves at once; a stopped one's at its start */
	if (job->logfile || (job->output && CONF_MORE(latest)->log_file)) {
		char why[256];

		logfile_configure(&job->logfile, name_of(job), latest, &job->log, false, why,
				  sizeof(why));
	}
	if (job->udp_override || latest->disabled != was_disabled) {
		/* A UDP enable or disable lasts until the file is edited. */
		job->udp_override = false;
		job_event_why(jobs, job, latest->disabled ? JOB_EV_STOP : JOB_EV_START,
			      latest->disabled ? "disabled in the configuration" : NULL);
	}
	/* A new order, wait or once may open or close a wait gate. */
	jobs->need_advance = true;
}

/* Another process: the job gets the new configuration (adopted once it has no
 * process, by the machine) and a restart, or a stop if it is now disabled; the
 * log says why. Else the same process takes over what pmtr alone uses. */
static void take_new_conf(struct jobs *jobs, struct job *job, struct conf_job *conf,
			  struct reconcile_counts *counts)
{
	struct conf_job *latest = job_latest_conf(job);
	char what[200], why[256];
	size_t n = conf_job_differences(latest, conf, what, sizeof(what));

	if (conf_job_same_process(latest, conf) && !job_is_removed(job)) {
		take_supervision(jobs, job, conf);
		if (n)
			counts->applied++;
		else
			counts->unchanged++;
		return;
	}
	counts->changed++;
	if (job_is_removed(job))
		snprintf(why, sizeof(why), "it is back in the configuration");
	else if (conf->disabled && !latest->disabled)
		snprintf(why, sizeof(why), "disabled in the configuration");
	else
		snprintf(why, sizeof(why), "its %s changed", n ? what : "settings");
	job->udp_override = false;
	if (schedule_differs(latest, conf))
		schedule_clear(job);
	conf_job_free(job->next);
	job->next = conf;
	job_event_why(jobs, job, conf->disabled ? JOB_EV_STOP : JOB_EV_RESTART, why);
}

int jobs_apply(struct jobs *jobs, struct conf *conf, struct reconcile_counts *counts)
{
	struct reconcile_counts none;
	size_t n_old = jobs->n, n_new = conf->n_jobs, n = 0;
	struct conf_job **old_confs = NULL;
	long *old_index = NULL;
	bool *kept = NULL;
	struct job **v = NULL;
	int rc = -1;

	if (!counts)
		counts = &none;
	*counts = (struct reconcile_counts){ 0 };
	jobs->stale = true;
	old_confs = malloc((n_old ? n_old : 1) * sizeof(*old_confs));
	old_index = malloc((n_new ? n_new : 1) * sizeof(*old_index));
	kept = calloc(n_old ? n_old : 1, sizeof(*kept));
	v = malloc((n_old + n_new ? n_old + n_new : 1) * sizeof(*v));
	if (!old_confs || !old_index || !kept || !v)
		goto done;
	for (size_t i = 0; i < n_old; i++)
		old_confs[i] = job_latest_conf(jobs->v[i]);
	if (jobs_match(old_confs, n_old, conf->jobs, n_new, old_index) < 0)
		goto done;
	/* Allocate every new job first, so that running out of memory changes nothing. */
	for (size_t i = 0; i < n_new; i++) {
		if (old_index[i] >= 0)
			continue;
		v[i] = job_new(jobs, conf->jobs[i]);
		if (!v[i]) {
			for (size_t j = 0; j < i; j++)
				if (old_index[j] < 0)
					free(v[j]);
			goto done;
		}
	}
	for (size_t i = 0; i < n_new; i++) {
		if (old_index[i] < 0) {
			log_debug("job %s added", conf->jobs[i]->name);
			counts->added++;
			jobs->need_advance = true;
			/* Now, before the jobs started next compete with pmtr for the CPU. */
			if (jobs->cgroup)
				cgroup_job_create(jobs->cgroup, conf->jobs[i]->name);
		} else {
			v[i] = jobs->v[old_index[i]];
			kept[old_index[i]] = true;
			take_new_conf(jobs, v[i], conf->jobs[i], counts);
		}
		conf->jobs[i] = NULL;
	}
	n = n_new;
	for (size_t i = 0; i < n_old; i++) {
		if (kept[i])
			continue;
		v[n++] = jobs->v[i];
		if (!job_is_removed(jobs->v[i]))
			counts->removed++;
		job_event(jobs, jobs->v[i], JOB_EV_REMOVE);
	}
	conf->n_jobs = 0;
	free(jobs->v);
	jobs->v = v;
	jobs->n = n;
	jobs->cap = n_old + n_new;
	v = NULL;
	rc = 0;
	resources_check(jobs);
done:
	free(old_confs);
	free(old_index);
	free(kept);
	free(v);
	return rc;
}

