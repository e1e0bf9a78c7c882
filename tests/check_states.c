/* check_states.c: doc/states.md's table of transitions is the machine's own (src/jobs.c). SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "check_run.h"

/* The table as doc/states.md writes it, from the machine's transitions. */
static char *machine_table(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	fputs("| state \\ event |", f);
	for (int e = 0; e < JOB_N_EVENTS; e++)
		fprintf(f, " %s |", job_event_name((enum job_event)e));
	fputs("\n|---|", f);
	for (int e = 0; e < JOB_N_EVENTS; e++)
		fputs("---|", f);
	fputc('\n', f);
	for (int s = 0; s < JOB_N_STATES; s++) {
		fprintf(f, "| %s |", job_state_doc_name((enum job_state)s));
		for (int e = 0; e < JOB_N_EVENTS; e++) {
			const char *t = job_transition_text((enum job_state)s, (enum job_event)e);

			fprintf(f, *t ? " %s |" : " |", t);
		}
		fputc('\n', f);
	}
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

/* The lines of the doc's table: from its header to the first line that is no row. */
static char *doc_table(const char *path)
{
	static char line[4096];
	char *text = NULL;
	size_t len = 0;
	FILE *doc = fopen(path, "r"), *out = open_memstream(&text, &len);
	bool in = false;

	ck_assert_msg(doc != NULL, "cannot open %s", path);
	ck_assert_ptr_nonnull(out);
	while (fgets(line, sizeof(line), doc)) {
		if (!in && strncmp(line, "| state \\ event |", 17) == 0)
			in = true;
		if (in && line[0] != '|')
			break;
		if (in)
			fputs(line, out);
	}
	fclose(doc);
	ck_assert_int_eq(fclose(out), 0);
	return text;
}

START_TEST(doc_table_is_the_machine)
{
	char *machine = machine_table(), *doc = doc_table(STATES_MD);

	if (strcmp(machine, doc) != 0)
		fprintf(stderr, "doc/states.md's transitions differ from src/jobs.c's; the machine's:\n%s",
			machine);
	ck_assert_str_eq(doc, machine);
	free(machine);
	free(doc);
}
END_TEST

START_TEST(every_action_is_named)
{
	for (int s = 0; s < JOB_N_STATES; s++)
		for (int e = 0; e < JOB_N_EVENTS; e++)
			ck_assert_msg(strcmp(job_transition_text((enum job_state)s, (enum job_event)e),
					     "?") != 0, "the action of %s in %s has no name",
				      job_event_name((enum job_event)e),
				      job_state_doc_name((enum job_state)s));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("states");
	TCase *tc = tcase_create("transitions");

	tcase_add_test(tc, doc_table_is_the_machine);
	tcase_add_test(tc, every_action_is_named);
	suite_add_tcase(s, tc);
	return check_run(s);
}
