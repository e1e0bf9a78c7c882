/* check_state.c: unit tests of the re-exec state text (src/state.c): round trip, and what a reader makes of damaged state. SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "joblog.h"
#include "state.h"
#include "check_run.h"

/* Kept output lines of the sample's jobs, in the order they came. */
static const struct {
	int job;
	pid_t pid;
	int64_t time_ms;
	const char *text;
} kept[] = {
	{ 0, 2199, 1796225478001, "first line" },
	{ 1, 3100, 1796225478002, "a \\ backslash,  two spaces" },
	{ 0, 2199, 1796225478003, "tab\there, \\x01 shown" },
};

/* A state with two jobs, every field used. */
static void sample(struct state *st)
{
	static struct joblog *logs[2];
	state_init(st);
	st->listener_fd = 3;
	st->notify_fd = 5;
	st->cgroup_fd = 6;
	st->reply_fd = 9;
	st->udp_listen_fd = 7;
	st->udp_listen_spec = strdup("udp://127.0.0.1:3000");
	st->nofile_soft = 1024;
	st->end_status = -1;
	st->jobs = calloc(2, sizeof(*st->jobs));
	ck_assert_ptr_nonnull(st->jobs);
	st->n_jobs = 2;
	st->jobs[0] = (struct state_job){
		.name = strdup("web"), .pid = 2199, .pgid = 2199, .has_run = true,
		.run = { .state = "running", .then = "start", .deadline = 123456789, .probe_at = 0,
			 .counters = { .started_ms = 1000, .started_wall = 1796225478,
				       .restarts = 4, .check_failures = 1, .checks_done = 17,
				       .last_status = 256, .oom_kills = 2 },
			 .flags = STATE_HAS_EXITED | STATE_IN_CGROUP },
		.output_fd = 12, .partial = strdup("half a line \\ with\ttab"),
		.note = strdup("serving 3 clients"),
		.conf_text = strdup("job {\n  name web\n  cmd /bin/web \"a b\"\n}\n"),
		.file = strdup("/etc/pmtr.d/web.conf"),
		.has_logfile = true,
		.logfile = { .fd = 14, .dir_fd = 15, .size = 123456789012, .rotate_at = 1796225480000,
			     .dropped = 7, .set_uid = true, .uid = 65534 },
		.has_due = true, .due_at = 1796229078000, .due_jitter_ms = 4321,
	};
	st->jobs[1] = (struct state_job){
		.name = strdup("batch"), .pid = 3100, .pgid = 0, .has_run = true,
		.run = { .state = "waiting to restart", .then = "retry",
			 .counters = { .last_status = -1 } },
		.output_fd = -1,
		.conf_text = strdup("job {\n  name batch\n  cmd /bin/batch\n}\n"),
		.next_text = strdup("job {\n  name batch\n  cmd /bin/batch --new\n}\n"),
	};
	st->gzips = calloc(1, sizeof(*st->gzips));
	ck_assert_ptr_nonnull(st->gzips);
	st->gzips[0] = (struct logfile_gzip){ .pid = 4242, .dir_fd = 16, .index = 3,
					      .name = strdup("web"), .base = strdup("web log") };
	st->n_gzips = 1;
	for (int i = 0; i < 2; i++) {
		joblog_free(logs[i]);
		logs[i] = NULL;
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		ck_assert_int_eq(joblog_add(&logs[kept[i].job], kept[i].pid, kept[i].time_ms,
					    kept[i].text, strlen(kept[i].text)), 0);
	st->jobs[0].log = logs[0];
	st->jobs[1].log = logs[1];
}

static bool same_str(const char *a, const char *b)
{
	return a ? b && strcmp(a, b) == 0 : !b;
}

START_TEST(round_trip)
{
	struct state st, back;
	char *text;

	sample(&st);
	text = state_format(&st);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(state_parse(text, strlen(text), &back), 0);
	ck_assert_msg(!back.partial, "a whole state read as partial:\n%s", text);
	ck_assert_int_eq(back.listener_fd, 3);
	ck_assert_int_eq(back.notify_fd, 5);
	ck_assert_int_eq(back.cgroup_fd, 6);
	ck_assert_int_eq(back.udp_listen_fd, 7);
	ck_assert_str_eq(back.udp_listen_spec, "udp://127.0.0.1:3000");
	ck_assert_int_eq(back.udp_report_fd, -1);
	ck_assert(back.nofile_soft == 1024);
	ck_assert_int_eq(back.reply_fd, 9);
	ck_assert_uint_eq(back.n_jobs, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct state_job *a = &st.jobs[i], *b = &back.jobs[i];

		ck_assert_str_eq(a->name, b->name);
		ck_assert_int_eq(a->pid, b->pid);
		ck_assert_int_eq(a->pgid, b->pgid);
		ck_assert(b->has_run);
		ck_assert_str_eq(a->run.state, b->run.state);
		ck_assert_str_eq(a->run.then, b->run.then);
		ck_assert(a->run.deadline == b->run.deadline && a->run.probe_at == b->run.probe_at &&
			  a->run.flags == b->run.flags);
		/* every counter of the list, so that a new one cannot be left out */
#define SAME_COUNTER(type, field) \
		ck_assert_msg(a->run.counters.field == b->run.counters.field, "counter " #field);
		JOB_COUNTERS(SAME_COUNTER)
#undef SAME_COUNTER
		ck_assert_int_eq(a->output_fd, b->output_fd);
		ck_assert(a->has_logfile == b->has_logfile && a->has_due == b->has_due);
		ck_assert(a->logfile.fd == b->logfile.fd && a->logfile.dir_fd == b->logfile.dir_fd &&
			  a->logfile.size == b->logfile.size &&
			  a->logfile.rotate_at == b->logfile.rotate_at &&
			  a->logfile.dropped == b->logfile.dropped &&
			  a->logfile.set_uid == b->logfile.set_uid && a->logfile.uid == b->logfile.uid &&
			  a->logfile.set_gid == b->logfile.set_gid);
		ck_assert(a->due_at == b->due_at && a->due_jitter_ms == b->due_jitter_ms);
		ck_assert(same_str(a->partial, b->partial) && same_str(a->note, b->note) &&
			  same_str(a->conf_text, b->conf_text) && same_str(a->next_text, b->next_text) &&
			  same_str(a->file, b->file));
	}
	ck_assert_uint_eq(back.n_gzips, 1);
	ck_assert(back.gzips[0].pid == 4242 && back.gzips[0].dir_fd == 16 &&
		  back.gzips[0].index == 3);
	ck_assert_str_eq(back.gzips[0].name, "web");
	ck_assert_str_eq(back.gzips[0].base, "web log");
	ck_assert_uint_eq(back.n_lines, 3);
	/* written job by job, read back with what orders them again */
	ck_assert(back.lines[0].job == 0 && back.lines[1].job == 0 && back.lines[2].job == 1);
	ck_assert(back.lines[0].seq < back.lines[2].seq && back.lines[2].seq < back.lines[1].seq);
	for (size_t i = 0; i < 3; i++) {
		size_t k = i == 0 ? 0 : i == 1 ? 2 : 1;

		ck_assert_int_eq(back.lines[i].pid, kept[k].pid);
		ck_assert(back.lines[i].time_ms == kept[k].time_ms);
		ck_assert_str_eq(back.lines[i].text, kept[k].text);
	}
	state_free(&back);
	state_free(&st);
	free(text);
}
END_TEST

START_TEST(damaged)
{
	struct state st, back;
	char *text, *p;
	size_t len;

	sample(&st);
	text = state_format(&st);
	len = strlen(text);
	/* cut anywhere after the first line: still a state, partial, the jobs whose job
	 * line is whole are there */
	for (size_t cut = strlen("pmtr-state 1\n"); cut < len; cut++) {
		ck_assert_int_eq(state_parse(text, cut, &back), 0);
		ck_assert(back.partial);
		ck_assert_uint_le(back.n_jobs, 2);
		for (size_t i = 0; i < back.n_jobs; i++)
			ck_assert((back.jobs[i].pid == 2199 && back.jobs[i].pgid == 2199) ||
				  (back.jobs[i].pid == 3100 && back.jobs[i].pgid == 0));
		state_free(&back);
	}
	/* a line of a newer format: the rest is still read */
	p = malloc(len + 64);
	ck_assert_ptr_nonnull(p);
	memcpy(p, text, len);
	strcpy(p + len - 4, "future thing 1 2\nend\n");
	ck_assert_int_eq(state_parse(p, strlen(p), &back), 0);
	ck_assert(back.partial);
	ck_assert_uint_eq(back.n_jobs, 2);
	ck_assert_str_eq(back.jobs[1].next_text, st.jobs[1].next_text);
	state_free(&back);
	/* another version: read as far as it goes, partial */
	memcpy(p, "pmtr-state 7", 12);
	ck_assert_int_eq(state_parse(p, strlen(p), &back), 0);
	ck_assert(back.partial);
	state_free(&back);
	/* a NUL byte ends it */
	memcpy(p, text, len + 1);
	p[len / 2] = '\0';
	ck_assert_int_eq(state_parse(p, len, &back), 0);
	ck_assert(back.partial);
	state_free(&back);
	/* not a state at all */
	ck_assert_int_eq(state_parse("hello\n", 6, &back), -1);
	ck_assert_int_eq(state_parse("", 0, &back), -1);
	ck_assert_int_eq(state_parse("pmtr-state x\n", 13, &back), -1);
	/* a bad job line is skipped; a good one after it is read */
	{
		static const char two[] = "pmtr-state 1\njob bad/name 1 1\njob ok 42 42\nend\n";

		ck_assert_int_eq(state_parse(two, strlen(two), &back), 0);
		ck_assert(back.partial);
		ck_assert_uint_eq(back.n_jobs, 1);
		ck_assert_str_eq(back.jobs[0].name, "ok");
		ck_assert_int_eq(back.jobs[0].pid, 42);
		ck_assert(!back.jobs[0].has_run);
		state_free(&back);
	}
	free(p);
	free(text);
	state_free(&st);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, damaged);
	suite_add_tcase(s, tc);
	return check_run(s);
}
