/* parse_schedule.c: the "schedule" lines of a job block (a cron expression) and the settings a scheduled job cannot have. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "parser.h"

int parser_line_of(const struct parser *p, const char *word, const char *second)
{
	for (size_t i = 0; i < job_settings_count; i++) {
		const struct setting *row = &job_settings[i];

		if (strcmp(row->word, word) == 0 &&
		    (row->second ? second && strcmp(row->second, second) == 0 : !second))
			return p->kw_line[i];
	}
	return 0;
}

void parser_kw_schedule(struct parser *p, const struct setting *row, void *base,
			struct word *a, size_t na)
{
	struct cron **out = SETTING_FIELD(row, base);
	char text[512] = "", why[128];
	size_t used = 0;

	for (size_t i = 0; i < na; i++) {
		size_t n = strlen(a[i].s);

		if (used + n + 2 > sizeof(text)) {
			bad(p, "schedule: the expression is too long");
			return;
		}
		if (i)
			text[used++] = ' ';
		memcpy(text + used, a[i].s, n + 1);
		used += n;
	}
	*out = malloc(sizeof(**out));
	if (!*out) {
		p->oom = true;
		return;
	}
	if (cron_parse(text, *out, why, sizeof(why)) == 0)
		return;
	free(*out);
	*out = NULL;
	bad(p, "schedule: %s", why);
}

/* A scheduled job runs at its due times and nowhere else: a setting that starts
 * it, ends pmtr with it or restarts it by other rules cannot go with it. */
static const struct {
	const char *word, *second;
	const char *why;
} unscheduled[] = {
	{ "once", NULL, "it would run once, not at each due time" },
	{ "wait", NULL, "jobs after it would wait for its first due time" },
	{ "essential", NULL, "its first run would end pmtr" },
	{ "bounce", "every", "it is not restarted between its runs" },
};

void parser_check_schedule(struct parser *p, const struct conf_job *job)
{
	int cron_line = parser_line_of(p, "schedule", NULL);
	int every_line = parser_line_of(p, "schedule", "every");
	int line = cron_line ? cron_line : every_line;

	if (cron_line && every_line)
		parser_error(p, every_line, false,
			     "schedule every and schedule CRON cannot both be given (schedule at line %d)",
			     cron_line);
	if (!line) {
		int jitter = parser_line_of(p, "schedule", "jitter");
		int overlap = parser_line_of(p, "schedule", "overlap");

		if (jitter)
			parser_error(p, jitter, false, "schedule jitter without a schedule");
		if (overlap)
			parser_error(p, overlap, false, "schedule overlap without a schedule");
		return;
	}
	(void)job;
	for (size_t i = 0; i < sizeof(unscheduled) / sizeof(unscheduled[0]); i++) {
		int other = parser_line_of(p, unscheduled[i].word, unscheduled[i].second);

		if (other)
			parser_error(p, other, false, "a scheduled job (schedule at line %d) cannot be %s%s%s: %s",
				     line, unscheduled[i].word, unscheduled[i].second ? " " : "",
				     unscheduled[i].second ? unscheduled[i].second : "",
				     unscheduled[i].why);
	}
}
