/* parse_log.c: the "log rotate" line of a job block, and the log settings that need a "log file" or exclude "out" and "err". SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "util.h"
#include "values.h"

/* One option of log rotate at a[*i] (and its value after it); false when bad,
 * said. */
static bool rotate_option(struct parser *p, struct conf_log_rotate *r, struct word *a,
			  size_t na, size_t *i, unsigned *seen)
{
	static const char *const words[] = { "size", "every", "hourly", "daily", "keep",
					     "compress" };
	const char *w = a[*i].s, *value = *i + 1 < na ? a[*i + 1].s : NULL;
	char b[SHOWBUF];
	size_t k = 0;
	uint64_t n;

	while (k < ARRAY_SIZE(words) && strcmp(w, words[k]) != 0)
		k++;
	if (k == ARRAY_SIZE(words)) {
		bad(p, "unknown log rotate option %s (expected size, every, hourly, daily, keep "
		    "or compress)", parser_show(w, b, sizeof(b)));
		return false;
	}
	/* every, hourly and daily are one choice: when the period ends */
	if ((*seen & (1u << k)) || (k >= 1 && k <= 3 && (*seen & 0xe))) {
		bad(p, "log rotate: %s given twice", k >= 1 && k <= 3 ? "the period" : w);
		return false;
	}
	*seen |= 1u << k;
	if ((k == 0 || k == 1 || k == 4) && !value) {
		bad(p, "log rotate: %s needs a value", w);
		return false;
	}
	switch (k) {
	case 0:
		if (parse_size(value, &r->size) < 0 || r->size == CONF_LIMIT_INFINITY) {
			bad(p, "log rotate: bad size %s (expected a number with K, M, G or T)",
			    parser_show(value, b, sizeof(b)));
			return false;
		}
		break;
	case 1:
		r->period = CONF_ROTATE_EVERY;
		if (parse_duration(value, &r->every_ms) < 0 || r->every_ms < 1000) {
			bad(p, "log rotate: bad time %s for every (1s or more)",
			    parser_show(value, b, sizeof(b)));
			return false;
		}
		break;
	case 2: r->period = CONF_ROTATE_HOURLY; break;
	case 3: r->period = CONF_ROTATE_DAILY; break;
	case 4:
		if (util_parse_u64(value, CONF_LOG_KEEP_MAX, &n) < 0 || n == 0) {
			bad(p, "log rotate: bad number %s for keep (expected 1 to %d)",
			    parser_show(value, b, sizeof(b)), CONF_LOG_KEEP_MAX);
			return false;
		}
		r->keep = (unsigned)n;
		break;
	case 5: r->compress = true; break;
	}
	*i += k == 0 || k == 1 || k == 4 ? 2 : 1;
	return true;
}

void parser_kw_log_rotate(struct parser *p, const struct setting *row, void *base,
			  struct word *a, size_t na)
{
	struct conf_log_rotate **out = SETTING_FIELD(row, base), *r = calloc(1, sizeof(*r));
	unsigned seen = 0;

	if (!r) {
		p->oom = true;
		return;
	}
	r->keep = CONF_DEFAULT_LOG_KEEP;
	for (size_t i = 0; i < na;)
		if (!rotate_option(p, r, a, na, &i, &seen)) {
			free(r);
			return;
		}
	if (!r->size && r->period == CONF_ROTATE_NEVER) {
		bad(p, "log rotate needs size, every, hourly or daily: when to rotate");
		free(r);
		return;
	}
	*out = r;
}

void parser_check_log(struct parser *p, const struct conf_job *job)
{
	int file = parser_line_of(p, "log", "file");
	const char *path;
	int rotate = parser_line_of(p, "log", "rotate");
	int stamps = parser_line_of(p, "log", "timestamps");

	if (!file) {
		if (rotate)
			parser_error(p, rotate, false, "log rotate without a log file");
		if (stamps)
			parser_error(p, stamps, false, "log timestamps without a log file");
		return;
	}
	path = CONF_MORE(job)->log_file;
	if (path && path[strlen(path) - 1] == '/')
		parser_error(p, file, false, "log file %s names a directory, not a file", path);
	/* the job's output goes to one place: a file it writes, or pmtr */
	if (job->out)
		parser_error(p, file, false, "log file and out %s cannot both be given (out at line %d)",
			     job->out, parser_line_of(p, "out", NULL));
	if (job->err)
		parser_error(p, file, false, "log file and err %s cannot both be given (err at line %d)",
			     job->err, parser_line_of(p, "err", NULL));
}
