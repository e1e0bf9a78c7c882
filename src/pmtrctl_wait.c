/* pmtrctl_wait.c: pmtrctl wait: ask for the status again and again until every job waited for runs, is ready and is not unhealthy. SPDX-License-Identifier: MIT */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmtrctl_client.h"
#include "pmtrctl_output.h"
#include "pmtrctl_wait.h"
#include "util.h"
#include "ctlstatus.h"

/* How often wait asks. */
#define WAIT_POLL_MS 100
/* The jobs that its message names at most, the others counted. */
#define WAIT_SHOWN_MAX 10

/* Why a job does not count as ready yet (its state, "not ready" or "unhealthy"), or
 * NULL when it does: it runs, is ready and is not unhealthy; or it has a schedule
 * and is between runs, as it is meant to be. A daemon of version 1 says nothing of
 * readiness: there a running job is ready. */
static const char *not_ready(const struct ctl_job_status *st)
{
	if (strcmp(st->state, "scheduled") == 0)
		return NULL;
	if (strcmp(st->state, "running") != 0)
		return st->state;
	if (st->ready == CTL_READY_NO)
		return "not ready";
	if (st->health && strcmp(st->health, "unhealthy") == 0)
		return "unhealthy";
	return NULL;
}

/* Without names, wait leaves out the jobs that are not meant to run: the disabled
 * and done ones, and those with a schedule, which run only now and then. */
static bool waited_for(const struct ctl_job_status *st, bool named)
{
	if (named)
		return true;
	return strcmp(st->state, "disabled") != 0 && strcmp(st->state, "done") != 0 &&
	       strcmp(st->state, "scheduled") != 0 && !st->has_next_run;
}

/* "not ready after 60 s: web (starting), db (unhealthy)", the first few jobs named
 * and the others counted. */
static void say_not_ready(const struct job_list *jobs, bool named, int64_t timeout_ms)
{
	size_t size = 0, shown = 0, more = 0;
	char *msg = NULL;
	FILE *m = open_memstream(&msg, &size);

	if (!m) {
		out_complain("not ready");
		return;
	}
	if (timeout_ms == 0)
		fputs("not ready:", m);
	else if (timeout_ms % 1000)
		fprintf(m, "not ready after %lld ms:", (long long)timeout_ms);
	else
		fprintf(m, "not ready after %lld s:", (long long)(timeout_ms / 1000));
	for (size_t i = 0; i < jobs->n; i++) {
		struct ctl_job_status *st = &jobs->v[i];
		const char *why;

		/* The daemon's words, made safe for a terminal in place. */
		out_make_printable(st->name, NULL);
		out_make_printable(st->state, NULL);
		why = waited_for(st, named) ? not_ready(st) : NULL;
		if (!why)
			continue;
		if (shown == WAIT_SHOWN_MAX) {
			more++;
			continue;
		}
		fprintf(m, "%s %s (%s)", shown ? "," : "", st->name, why);
		shown++;
	}
	if (more)
		fprintf(m, " and %zu more", more);
	if (fclose(m) == 0 && msg)
		out_complain("%s", msg);
	else
		out_complain("not ready");
	free(msg);
}

int wait_ready(const char *path, struct ctl_request *req, int64_t timeout_ms)
{
	int64_t deadline = util_now_ms() + timeout_ms;
	bool named = req->n_names > 0;
	struct job_list jobs = { 0 };
	struct buf reply = { 0 };
	int rc;

	for (;;) {
		bool all_ready = true;
		int64_t left;

		rc = client_request(path, req, &reply, NULL, &jobs);
		if (rc != EXIT_OK)
			break;
		for (size_t i = 0; i < jobs.n && all_ready; i++)
			all_ready = !waited_for(&jobs.v[i], named) || !not_ready(&jobs.v[i]);
		if (all_ready)
			break;
		if (util_now_ms() >= deadline) {
			say_not_ready(&jobs, named, timeout_ms);
			rc = EXIT_NOT_READY;
			break;
		}
		/* The last question comes at the deadline, not a poll interval before it. */
		left = deadline - util_now_ms();
		poll(NULL, 0, left < 0 ? 0 : left < WAIT_POLL_MS ? (int)left : WAIT_POLL_MS);
	}
	client_jobs_free(&jobs);
	free(reply.data);
	return rc;
}

