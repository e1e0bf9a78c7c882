/* fuzz_state.c: libFuzzer harness for the re-exec state text (state_parse): any bytes are read without a crash, and what is read writes and reads back the same. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "joblog.h"
#include "state.h"
#include "fuzz.h"

static int same_str(const char *a, const char *b)
{
	return a ? b && strcmp(a, b) == 0 : !b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st, again;
	char *text;

	if (state_parse((const char *)data, size, &st) < 0)
		return 0;
	/* whatever was taken is a job that can be taken over */
	for (size_t i = 0; i < st.n_jobs; i++) {
		CHECK(ctl_valid_job_name(st.jobs[i].name));
		CHECK(st.jobs[i].pid > 0 && st.jobs[i].pgid >= 0);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(st.jobs[i].name, st.jobs[j].name) != 0);
	}
	/* a kept output line belongs to a job that was read, and fits a ring */
	for (size_t i = 0; i < st.n_lines; i++)
		CHECK(st.lines[i].job < st.n_jobs && strlen(st.lines[i].text) <= JOBLOG_TEXT_MAX);
	text = state_format(&st);
	CHECK(text != NULL);
	CHECK(state_parse(text, strlen(text), &again) == 0);
	CHECK(!again.partial);
	CHECK(again.n_jobs == st.n_jobs && again.listener_fd == st.listener_fd &&
	      again.notify_fd == st.notify_fd && again.cgroup_fd == st.cgroup_fd &&
	      again.reply_fd == st.reply_fd && again.end_status == st.end_status);
	for (size_t i = 0; i < st.n_jobs; i++) {
		const struct state_job *a = &st.jobs[i], *b = &again.jobs[i];

		CHECK(strcmp(a->name, b->name) == 0 && a->pid == b->pid && a->pgid == b->pgid);
		CHECK(a->has_run == b->has_run && a->output_fd == b->output_fd);
		CHECK(!a->has_run || (strcmp(a->run.state, b->run.state) == 0 &&
				       a->run.deadline == b->run.deadline &&
				       a->run.counters.restarts == b->run.counters.restarts &&
				       a->run.counters.last_status == b->run.counters.last_status));
		CHECK(same_str(a->note, b->note) && same_str(a->conf_text, b->conf_text) &&
		      same_str(a->next_text, b->next_text) && same_str(a->file, b->file));
	}
	state_free(&again);
	state_free(&st);
	free(text);
	return 0;
}
