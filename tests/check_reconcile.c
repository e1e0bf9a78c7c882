/* check_reconcile.c: unit tests of the reload diff and the job state machine. SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "reconcile.h"
#include "turn.h"
#include "parse.h"
#include "util.h"
#include "check_run.h"

static struct conf *conf_of(const char *text)
{
	struct parse_errors errs = { 0 };
	struct conf *conf = parse_conf(text, strlen(text), "test.conf", &errs, NULL);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	parse_errors_free(&errs);
	ck_assert_ptr_nonnull(conf);
	return conf;
}

static struct job *find(struct jobs *jobs, const char *name)
{
	for (size_t i = 0; i < jobs->n; i++)
		if (strcmp(jobs->v[i]->conf->name, name) == 0)
			return jobs->v[i];
	return NULL;
}

static struct reconcile_counts counts;

/* Apply text; what the apply did is in counts. */
static void apply(struct jobs *jobs, const char *text)
{
	struct conf *conf = conf_of(text);

	ck_assert_int_eq(jobs_apply(jobs, conf, &counts), 0);
	ck_assert_uint_eq(conf->n_jobs, 0);
	conf_free(conf);
}

START_TEST(match_by_name)
{
	struct conf *old = conf_of("job {\nname a\ncmd /bin/true\n}\njob {\nname b\ncmd /bin/true\n}\n"
				   "job {\nname c\ncmd /bin/true\n}\n");
	struct conf *new = conf_of("job {\nname c\ncmd /bin/true\n}\njob {\nname d\ncmd /bin/true\n}\n"
				   "job {\nname a\ncmd /bin/false\n}\n");
	long idx[3];

	ck_assert_int_eq(jobs_match(old->jobs, old->n_jobs, new->jobs, new->n_jobs, idx), 0);
	ck_assert_int_eq(idx[0], 2);	/* c */
	ck_assert_int_eq(idx[1], -1);	/* d is new */
	ck_assert_int_eq(idx[2], 0);	/* a */
	conf_free(old);
	conf_free(new);
}
END_TEST

START_TEST(match_empty_tables)
{
	struct conf *new = conf_of("job {\nname a\ncmd /bin/true\n}\n");
	long idx[1] = { 7 };

	ck_assert_int_eq(jobs_match(NULL, 0, new->jobs, 1, idx), 0);
	ck_assert_int_eq(idx[0], -1);
	ck_assert_int_eq(jobs_match(new->jobs, 1, NULL, 0, NULL), 0);
	conf_free(new);
}
END_TEST

/* Disabled jobs never start a process, so the table can be driven without forking. */
#define A_DIS "job {\nname a\ncmd /bin/sleep 1\ndisable\n}\n"
#define B_DIS "job {\nname b\ncmd /bin/sleep 2\ndisable\n}\n"
#define B2_DIS "job {\nname b\ncmd /bin/sleep 3\ndisable\n}\n"
#define C_DIS "job {\nname c\ncmd /bin/sleep 4\ndisable\n}\n"

START_TEST(reload_keeps_unchanged_job)
{
	struct loop loop = { 0 };
	struct jobs jobs;
	struct job *a, *b;

	jobs_init(&jobs, &loop);
	apply(&jobs, A_DIS B_DIS);
	ck_assert_uint_eq(jobs.n, 2);
	a = find(&jobs, "a");
	b = find(&jobs, "b");
	ck_assert_int_eq(a->state, JOB_DISABLED);
	apply(&jobs, "# a comment moves every line\n" B_DIS A_DIS);
	ck_assert_ptr_eq(find(&jobs, "a"), a);
	ck_assert_ptr_eq(find(&jobs, "b"), b);
	/* The new file's order is the table's order. */
	ck_assert_ptr_eq(jobs.v[0], b);
	ck_assert_int_eq(a->conf->line, 7);
	jobs_exit(&jobs);
}
END_TEST

START_TEST(reload_changes_adds_removes)
{
	struct loop loop = { 0 };
	struct jobs jobs;
	struct job *b, *c;

	jobs_init(&jobs, &loop);
	apply(&jobs, A_DIS B_DIS);
	b = find(&jobs, "b");
	apply(&jobs, B2_DIS C_DIS);
	/* b changed: it keeps its identity and takes the new command. */
	ck_assert_ptr_eq(find(&jobs, "b"), b);
	ck_assert_str_eq(b->conf->argv[1], "3");
	c = find(&jobs, "c");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->state, JOB_DISABLED);
	/* a was removed: gone now, freed at the next tick. */
	ck_assert_int_eq(find(&jobs, "a")->state, JOB_GONE);
	ck_assert_int_eq(jobs_tick(&jobs, true), 0);
	ck_assert_ptr_null(find(&jobs, "a"));
	ck_assert_uint_eq(jobs.n, 2);
	jobs_exit(&jobs);
}
END_TEST

START_TEST(apply_counts_what_it_did)
{
	struct loop loop = { 0 };
	struct jobs jobs;

	jobs_init(&jobs, &loop);
	apply(&jobs, A_DIS B_DIS);
	ck_assert_uint_eq(counts.added, 2);
	apply(&jobs, A_DIS B_DIS);
	ck_assert_uint_eq(counts.unchanged, 2);
	ck_assert_uint_eq(counts.added + counts.removed + counts.changed + counts.applied, 0);
	apply(&jobs, "job {\nname a\ncmd /bin/sleep 1\ndisable\nstop timeout 3\n}\n" B2_DIS C_DIS);
	ck_assert_uint_eq(counts.applied, 1);
	ck_assert_uint_eq(counts.changed, 1);
	ck_assert_uint_eq(counts.added, 1);
	ck_assert_uint_eq(counts.unchanged + counts.removed, 0);
	apply(&jobs, C_DIS);
	ck_assert_uint_eq(counts.removed, 2);
	ck_assert_uint_eq(counts.unchanged, 1);
	jobs_exit(&jobs);
}
END_TEST

/* Removed, then back in the file before the end of the loop turn frees it. */
START_TEST(removed_job_comes_back)
{
	struct loop loop = { 0 };
	struct jobs jobs;
	struct job *a;

	jobs_init(&jobs, &loop);
	apply(&jobs, A_DIS B_DIS);
	a = find(&jobs, "a");
	apply(&jobs, B_DIS);
	ck_assert_int_eq(a->state, JOB_GONE);
	apply(&jobs, "job {\nname a\ncmd /bin/sleep 7\ndisable\n}\n" B_DIS);
	ck_assert_int_eq(a->state, JOB_DISABLED);
	ck_assert_str_eq(a->conf->argv[1], "7");
	ck_assert_ptr_null(a->next);
	ck_assert_uint_eq(counts.changed, 1);
	apply(&jobs, B_DIS);
	apply(&jobs, "job {\nname a\ncmd /bin/sleep 8\n}\n" B_DIS);
	ck_assert_int_eq(a->state, JOB_PENDING);
	ck_assert_str_eq(a->conf->argv[1], "8");
	jobs_exit(&jobs);
}
END_TEST

START_TEST(enabling_a_disabled_job_makes_it_pending)
{
	struct loop loop = { 0 };
	struct jobs jobs;

	jobs_init(&jobs, &loop);
	apply(&jobs, A_DIS);
	apply(&jobs, "job {\nname a\ncmd /bin/sleep 1\n}\n");
	ck_assert_int_eq(find(&jobs, "a")->state, JOB_PENDING);
	ck_assert(jobs.need_advance);
	ck_assert(!find(&jobs, "a")->conf->disabled);
	jobs_exit(&jobs);
}
END_TEST

/* A running job is faked with pid 0, so no signal can reach a real process. */
static struct job *fake_running(struct jobs *jobs, const char *name)
{
	struct job *job = find(jobs, name);

	job->state = JOB_RUNNING;
	job->pid = job->pgid = 0;
	job->counters.started_ms = 0;
	return job;
}

START_TEST(changed_running_job_stops_then_starts_with_new_conf)
{
	struct loop loop = { 0 };
	struct jobs jobs;
	struct job *b;

	jobs_init(&jobs, &loop);
	apply(&jobs, B_DIS);
	b = fake_running(&jobs, "b");
	apply(&jobs, "job {\nname b\ncmd /bin/sleep 3\n}\n");
	ck_assert_int_eq(b->state, JOB_STOPPING);
	ck_assert_int_eq(b->then, JOB_THEN_START);
	ck_assert_str_eq(b->conf->argv[1], "2");	/* still the one it runs with */
	ck_assert_ptr_nonnull(b->next);
	ck_assert(b->deadline > 0);			/* SIGKILL after the stop timeout */
	b->counters.last_status = 15;				/* killed by SIGTERM */
	job_event(&jobs, b, JOB_EV_EXIT);
	ck_assert_int_eq(b->state, JOB_PENDING);
	ck_assert_str_eq(b->conf->argv[1], "3");
	ck_assert_ptr_null(b->next);
	jobs_exit(&jobs);
}
END_TEST

#define B_RUN "job {\nname b\ncmd /bin/sleep 2\n"

START_TEST(running_job_takes_supervision_settings)
{
	struct loop loop = { 0 };
	struct jobs jobs;
	struct job *b;

	jobs_init(&jobs, &loop);
	apply(&jobs, B_DIS);
	b = fake_running(&jobs, "b");
	b->counters.started_ms = 1000;
	apply(&jobs, B_RUN "stop timeout 5\nstop signal QUIT\nbounce every 1m\nrestart delay 1\n"
		     "order 4\nonce\n}\n");
	/* not stopped: the settings are its own now, and the bounce counts from its start */
	ck_assert_int_eq(b->state, JOB_RUNNING);
	ck_assert_ptr_null(b->next);
	ck_assert_int_eq(b->conf->stop_timeout_ms, 5000);
	ck_assert_int_eq(b->conf->stop_signal, SIGQUIT);
	ck_assert_int_eq(b->conf->restart_delay_ms, 1000);
	ck_assert_int_eq(b->conf->order, 4);
	ck_assert(b->conf->once);
	ck_assert_int_eq(b->deadline, 1000 + 60000);
	apply(&jobs, B_RUN "}\n");
	ck_assert_int_eq(b->state, JOB_RUNNING);
	ck_assert_int_eq(b->deadline, 0);
	ck_assert_int_eq(b->conf->stop_signal, SIGTERM);
	ck_assert(!b->conf->once);
	/* a setting of the process restarts it */
	apply(&jobs, B_RUN "umask 077\n}\n");
	ck_assert_int_eq(b->state, JOB_STOPPING);
	ck_assert_ptr_nonnull(b->next);
	jobs_exit(&jobs);
}
END_TEST

START_TEST(pending_timers_are_measured_again)
{
	struct loop loop = { 0 };
	struct jobs jobs;
	struct job *b;
	int64_t deadline;

	jobs_init(&jobs, &loop);
	apply(&jobs, B_DIS);
	b = fake_running(&jobs, "b");
	/* a stop in progress: SIGKILL at its start plus the new stop timeout */
	job_event(&jobs, b, JOB_EV_STOP);
	ck_assert_int_eq(b->state, JOB_STOPPING);
	deadline = b->deadline;
	apply(&jobs, B_RUN "disable\nstop timeout 2\n}\n");
	ck_assert_int_eq(b->state, JOB_STOPPING);
	ck_assert_int_eq(b->deadline, deadline - 8000);
	ck_assert_int_eq(b->then, JOB_THEN_DISABLE);
	/* waiting to restart: at its exit plus the new restart delay */
	b->state = JOB_BACKOFF;
	b->deadline = 50000;
	apply(&jobs, B_RUN "restart delay 1\n}\n");
	ck_assert_int_eq(b->state, JOB_BACKOFF);
	ck_assert_int_eq(b->deadline, 50000 - 9000);
	/* a delay cut below what has passed is due at once, never "no deadline" */
	b->deadline = 500;
	apply(&jobs, B_RUN "restart delay 0\n}\n");
	ck_assert_int_eq(b->deadline, 1);
	jobs_exit(&jobs);
}
END_TEST

START_TEST(removed_running_job_stops_then_goes)
{
	struct loop loop = { 0 };
	struct jobs jobs;
	struct job *a;

	jobs_init(&jobs, &loop);
	apply(&jobs, A_DIS);
	a = fake_running(&jobs, "a");
	apply(&jobs, "");
	ck_assert_int_eq(a->state, JOB_STOPPING);
	ck_assert_int_eq(a->then, JOB_THEN_REMOVE);
	ck_assert_uint_eq(jobs.n, 1);
	/* Re-added before it finished stopping: it starts again once stopped. */
	apply(&jobs, "job {\nname a\ncmd /bin/sleep 1\n}\n");
	ck_assert_int_eq(a->then, JOB_THEN_START);
	job_event(&jobs, a, JOB_EV_EXIT);
	ck_assert_int_eq(a->state, JOB_PENDING);
	jobs_exit(&jobs);
}
END_TEST

START_TEST(exit_rules)
{
	struct loop loop = { 0 };
	struct jobs jobs;
	struct job *job;

	jobs_init(&jobs, &loop);
	apply(&jobs, "job {\nname q\ncmd /bin/true\ndisable\nrestart delay 1h\n}\n"
		     "job {\nname o\ncmd /bin/true\ndisable\nonce\n}\n");
	/* Ran less than the restart delay: waits. */
	job = fake_running(&jobs, "q");
	job->counters.started_ms = util_now_ms();
	job->counters.last_status = 0;
	job_event(&jobs, job, JOB_EV_EXIT);
	ck_assert_int_eq(job->state, JOB_BACKOFF);
	ck_assert(job->deadline > util_now_ms() + 3500 * 1000);
	/* Exit status 33: not restarted. */
	job = fake_running(&jobs, "q");
	job->counters.last_status = 33 << 8;
	job_event(&jobs, job, JOB_EV_EXIT);
	ck_assert_int_eq(job->state, JOB_DONE);
	/* once: not restarted, whatever the status. */
	job = fake_running(&jobs, "o");
	job->counters.last_status = 1 << 8;
	job_event(&jobs, job, JOB_EV_EXIT);
	ck_assert_int_eq(job->state, JOB_DONE);
	jobs_exit(&jobs);
}
END_TEST

START_TEST(essential_end_sets_pmtr_status)
{
	struct loop loop = { 0 };
	struct jobs jobs;
	struct job *job;

	jobs_init(&jobs, &loop);
	apply(&jobs, "job {\nname setup\ncmd /bin/true\ndisable\nessential\nwait\n}\n"
		     "job {\nname app\ncmd /bin/true\ndisable\nessential\n}\n");
	ck_assert(find(&jobs, "app")->conf->essential);
	ck_assert_int_eq(jobs.end_status, -1);
	/* A wait job that succeeds was a set-up step. */
	job = fake_running(&jobs, "setup");
	job->counters.last_status = 0;
	job_event(&jobs, job, JOB_EV_EXIT);
	ck_assert_int_eq(jobs.end_status, -1);
	/* Killed by SIGKILL: 128 + 9, the shell's way. */
	job = fake_running(&jobs, "app");
	job->counters.last_status = 9;
	job_event(&jobs, job, JOB_EV_EXIT);
	ck_assert_int_eq(jobs.end_status, 137);
	ck_assert_int_eq(job->state, JOB_DONE);
	/* The first end decides. */
	job = fake_running(&jobs, "setup");
	job->counters.last_status = 4 << 8;
	job_event(&jobs, job, JOB_EV_EXIT);
	ck_assert_int_eq(jobs.end_status, 137);
	jobs_exit(&jobs);
}
END_TEST

START_TEST(essential_stopped_by_pmtr_is_no_end)
{
	struct loop loop = { 0 };
	struct jobs jobs;
	struct job *job;

	jobs_init(&jobs, &loop);
	apply(&jobs, "job {\nname app\ncmd /bin/true\ndisable\nessential\n}\n");
	job = fake_running(&jobs, "app");
	job_event(&jobs, job, JOB_EV_STOP);
	job->counters.last_status = 15;
	job_event(&jobs, job, JOB_EV_EXIT);
	ck_assert_int_eq(job->state, JOB_DISABLED);
	ck_assert_int_eq(jobs.end_status, -1);
	jobs_exit(&jobs);
}
END_TEST

START_TEST(every_state_has_a_name)
{
	for (int s = 0; s < JOB_N_STATES; s++)
		ck_assert_str_ne(job_state_name(s), "?");
	ck_assert_str_eq(job_state_name(JOB_BACKOFF), "waiting to restart");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reconcile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, match_by_name);
	tcase_add_test(tc, match_empty_tables);
	tcase_add_test(tc, reload_keeps_unchanged_job);
	tcase_add_test(tc, reload_changes_adds_removes);
	tcase_add_test(tc, apply_counts_what_it_did);
	tcase_add_test(tc, removed_job_comes_back);
	tcase_add_test(tc, enabling_a_disabled_job_makes_it_pending);
	tcase_add_test(tc, changed_running_job_stops_then_starts_with_new_conf);
	tcase_add_test(tc, removed_running_job_stops_then_goes);
	tcase_add_test(tc, exit_rules);
	tcase_add_test(tc, essential_end_sets_pmtr_status);
	tcase_add_test(tc, essential_stopped_by_pmtr_is_no_end);
	tcase_add_test(tc, every_state_has_a_name);
	tcase_add_test(tc, running_job_takes_supervision_settings);
	tcase_add_test(tc, pending_timers_are_measured_again);
	suite_add_tcase(s, tc);
	return check_run(s);
}
