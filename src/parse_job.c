/* parse_job.c: job blocks of pmtr.conf, read row by row of the settings table: the generic handlers and those of settings with a grammar of their own. SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "util.h"
#include "values.h"

#define NAME_MAX_LEN 128		/* bytes of a job name */

/* Optional sign then decimal digits, within [min, max]. */
static int parse_int(const char *s, int min, int max, int *out)
{
	bool neg = false;
	uint64_t v;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (util_parse_u64(s, (uint64_t)INT_MAX + 1, &v) < 0)
		return -1;
	if ((neg ? -(int64_t)v : (int64_t)v) < min || (neg ? -(int64_t)v : (int64_t)v) > max)
		return -1;
	*out = neg ? (int)-(int64_t)v : (int)v;
	return 0;
}

/* Whether a row of this kind was given in the job. */
static bool kind_given(const struct parser *p, enum setting_kind kind)
{
	for (size_t i = 0; i < job_settings_count; i++)
		if (job_settings[i].kind == kind && p->kw_line[i])
			return true;
	return false;
}

/* A command's words as one allocation, freed by one free(): the NULL-terminated
 * pointers, then the strings. 1000 jobs are 1000 commands: a malloc per word
 * would cost more in malloc's headers than most words are long. */
static char **pack_words(struct parser *p, const struct word *a, size_t na)
{
	size_t size = (na + 1) * sizeof(char *);
	char **v, *at;

	for (size_t i = 0; i < na; i++)
		size += strlen(a[i].s) + 1;
	v = malloc(size);
	if (!v) {
		p->oom = true;
		return NULL;
	}
	at = (char *)(v + na + 1);
	for (size_t i = 0; i < na; i++) {
		size_t len = strlen(a[i].s) + 1;

		v[i] = memcpy(at, a[i].s, len);
		at += len;
	}
	v[na] = NULL;
	return v;
}

static const struct name_ent *name_seen(struct parser *p, const char *name)
{
	size_t mask, i;

	if (p->n_names * 2 >= p->names_cap) {
		size_t cap = p->names_cap ? p->names_cap * 2 : 64;
		struct name_ent *t = calloc(cap, sizeof(*t));

		if (!t) {
			p->oom = true;
			return NULL;
		}
		for (size_t j = 0; j < p->names_cap; j++) {
			if (!p->names[j].name)
				continue;
			i = util_hash(UTIL_HASH_INIT, p->names[j].name,
				      strlen(p->names[j].name)) & (cap - 1);
			while (t[i].name)
				i = (i + 1) & (cap - 1);
			t[i] = p->names[j];
		}
		free(p->names);
		p->names = t;
		p->names_cap = cap;
	}
	mask = p->names_cap - 1;
	i = util_hash(UTIL_HASH_INIT, name, strlen(name)) & mask;
	for (; p->names[i].name; i = (i + 1) & mask)
		if (strcmp(p->names[i].name, name) == 0)
			return &p->names[i];
	p->names[i].name = parser_strdup(p, name);
	if (p->names[i].name) {
		p->names[i].file = p->file;
		p->names[i].line = p->line;
		p->n_names++;
	}
	return 0;
}

void parser_job_start(struct parser *p)
{
	struct conf_job *job = malloc(sizeof(*job));

	if (!job) {
		p->oom = true;
		return;
	}
	*job = conf_job_defaults;
	job->line = p->line;
	p->job = job;
	p->state = ST_JOB;
	p->n_pend = 0;
	p->pending_brace = false;
	p->broken_line = false;
	p->name_refused = false;
	p->name_taken = false;
	memset(p->kw_line, 0, sizeof(p->kw_line));
	memset(p->ulimit_line, 0, sizeof(p->ulimit_line));
}

/* The job ends (at its "}", at a new "job {", or at the end of the file):
 * report what it lacks and its held errors in line order, then keep it if it
 * has a name of its own. A job with errors is kept too: no conf is returned
 * then, but the "after" graph is still checked (after.c) and it is a job there. */
void parser_job_end(struct parser *p, bool closed)
{
	struct conf_job *job = p->job;

	if (!job)
		return;
	parser_check_schedule(p, job);
	parser_check_log(p, job);
	if (p->state == ST_ULIMIT || p->state == ST_DEPENDS)
		parser_error(p, p->block_line, false, "block opened here is never closed");
	p->job = NULL;		/* from here, errors are reported at once */
	if (!closed)
		parser_error(p, job->line, false, "block opened here is never closed");
	/* a line that could not be read may have held the name or cmd */
	if (!job->name && !kind_given(p, SK_NAME) && !p->broken_line)
		parser_error(p, job->line, false, "job has no name");
	if (!job->argv && !kind_given(p, SK_CMD) && !p->broken_line) {
		if (job->name)
			parser_error(p, job->line, false, "job \"%s\" has no cmd", job->name);
		else
			parser_error(p, job->line, false, "job has no cmd");
	}
	/* held errors, in line order (insertion sort keeps equal lines in order) */
	for (size_t i = 1; i < p->n_pend; i++) {
		struct pending t = p->pend[i];
		size_t j = i;

		for (; j > 0 && p->pend[j - 1].line > t.line; j--)
			p->pend[j] = p->pend[j - 1];
		p->pend[j] = t;
	}
	for (size_t i = 0; i < p->n_pend; i++) {
		parser_emit(p, p->pend[i].line, p->pend[i].bare ? NULL : job->name, p->pend[i].text);
		free(p->pend[i].text);
	}
	p->n_pend = 0;
	p->state = ST_GLOBAL;
	p->pending_brace = false;
	if (!job->name && !p->name_refused && (p->broken_line || kind_given(p, SK_NAME)))
		p->jobs_lost = true;
	p->orders_lost |= p->broken_line;	/* it may have been its order */
	/* the graph has the first job of a name (the duplicate error points to it) */
	if (!job->name || p->name_taken || p->oom) {
		conf_job_free(job);
		return;
	}
	if (p->conf->n_jobs == p->jobs_cap) {
		size_t cap = p->jobs_cap ? p->jobs_cap * 2 : 8;
		struct conf_job **bigger = realloc(p->conf->jobs, cap * sizeof(*bigger));

		if (!bigger) {
			p->oom = true;
			conf_job_free(job);
			return;
		}
		p->conf->jobs = bigger;
		p->jobs_cap = cap;
	}
	if (p->included && !(job->file = parser_strdup(p, p->file))) {
		conf_job_free(job);
		return;
	}
	p->conf->jobs[p->conf->n_jobs++] = job;
}


static void ulimit_pairs(struct parser *p, struct word *w, size_t n)
{
	struct conf_job *job = p->job;
	char b[SHOWBUF];

	for (size_t i = 0; i < n; i += 2) {
		const char *flag = w[i].s;
		int res = -1;
		rlim_t value;

		if (flag[0] != '-') {
			bad(p, "expected a ulimit flag, found %s", parser_show(flag, b, sizeof(b)));
			return;
		}
		if (flag[1] && !flag[2])
			res = parse_ulimit_flag(flag[1]);
		if (res < 0) {
			parser_show(flag, b, sizeof(b));
			b[strlen(b) - 1] = '\0';	/* -z, not "-z" */
			bad(p, "unknown ulimit flag %s", b + 1);
			continue;
		}
		if (i + 1 >= n) {
			bad(p, "missing value for ulimit %s", flag);
			return;
		}
		if (parse_ulimit_value(w[i + 1].s, &value) < 0) {
			bad(p, "bad ulimit value %s for %s", parser_show(w[i + 1].s, b, sizeof(b)),
			    flag);
			continue;
		}
		if (res == RLIMIT_NOFILE && value == RLIM_INFINITY) {
			bad(p, "ulimit -n cannot be infinity");
			continue;
		}
		if (res >= 0 && res < RLIM_NLIMITS && p->ulimit_line[res]) {
			bad(p, "ulimit %s given twice (first at line %d)", flag,
			    p->ulimit_line[res]);
			continue;
		}
		if (res >= 0 && res < RLIM_NLIMITS)
			p->ulimit_line[res] = p->line;
		/* Allocated only for the jobs that set limits: most jobs set none. */
		if (!job->ulimits) {
			job->ulimits = malloc(CONF_MAX_ULIMITS * sizeof(*job->ulimits));
			if (!job->ulimits) {
				p->oom = true;
				return;
			}
		}
		if (job->n_ulimits < CONF_MAX_ULIMITS) {
			job->ulimits[job->n_ulimits].resource = res;
			job->ulimits[job->n_ulimits].value = value;
			job->n_ulimits++;
		}
	}
}

static void depends_files(struct parser *p, struct word *w, size_t n)
{
	char b[SHOWBUF];

	for (size_t i = 0; i < n; i++) {
		if (!parser_is_abs(w[i].s)) {
			bad(p, "depends file %s must be an absolute path",
			    parser_show(w[i].s, b, sizeof(b)));
			continue;
		}
		if (!parser_push(p, &p->job->depends, &p->job->n_depends, w[i].s))
			return;
	}
}

/* Words of a block line, up to a "}" which ends the block. */
void parser_block_words(struct parser *p, struct word *w, size_t n)
{
	size_t end = 0;

	while (end < n && !parser_is_brace(&w[end], "}"))
		end++;
	if (p->state == ST_ULIMIT)
		ulimit_pairs(p, w, end);
	else
		depends_files(p, w, end);
	if (end < n) {
		p->state = ST_JOB;
		parser_no_extra(p, w + end + 1, n - end - 1, "}");
	}
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isascii((unsigned char)*s) || (!isalnum((unsigned char)*s) &&
						    !strchr(".-_@:+", *s)))
			return false;
	return true;
}

/* ---- the generic handlers: one per kind of value ---- */

typedef void setting_reader(struct parser *p, const struct setting *row, void *base,
			    struct word *a, size_t na);

static void set_duration(struct parser *p, const char *kw, const char *text,
			 int64_t *out, bool positive)
{
	char b[SHOWBUF];
	int64_t ms;

	if (parse_duration(text, &ms) < 0)
		bad(p, "bad time %s for %s", parser_show(text, b, sizeof(b)), kw);
	else if (positive && ms == 0)
		bad(p, "%s must be more than 0", kw);
	else
		*out = ms;
}

static void set_path(struct parser *p, const char *kw, const char *text, char **out,
		     bool syslog_ok)
{
	if (syslog_ok && strcmp(text, "syslog") == 0)
		return;
	if (!parser_is_abs(text)) {
		bad(p, "%s must be an absolute path%s", kw, syslog_ok ? " or syslog" : "");
		return;
	}
	*out = parser_strdup(p, text);
}


static void set_size(struct parser *p, const char *kw, const char *text, uint64_t *out)
{
	char b[SHOWBUF];

	if (parse_size(text, out) < 0)
		bad(p, "bad size %s for %s (expected a number with K, M, G or T, or infinity)",
		    parser_show(text, b, sizeof(b)), kw);
}

static void read_duration(struct parser *p, const struct setting *row, void *base,
			  struct word *a, size_t na)
{
	(void)na;
	set_duration(p, row->display, a[0].s, SETTING_FIELD(row, base),
		     row->kind == SK_POSITIVE_DURATION);
}

static void read_path(struct parser *p, const struct setting *row, void *base, struct word *a,
		      size_t na)
{
	(void)na;
	set_path(p, row->display, a[0].s, SETTING_FIELD(row, base),
		 row->kind == SK_PATH_OR_SYSLOG);
}

static void read_string(struct parser *p, const struct setting *row, void *base,
			struct word *a, size_t na)
{
	char **out = SETTING_FIELD(row, base);

	(void)na;
	if (!a[0].s[0]) {
		bad(p, "%s must not be empty", row->display);
		return;
	}
	*out = parser_strdup(p, a[0].s);
}

static void read_umask(struct parser *p, const struct setting *row, void *base,
		       struct word *a, size_t na)
{
	char b[SHOWBUF];

	(void)na;
	if (parse_umask(a[0].s, SETTING_FIELD(row, base)) < 0)
		bad(p, "bad umask %s (expected octal digits, at most 0777)",
		    parser_show(a[0].s, b, sizeof(b)));
}

/* An int, or a uint32_t (SK_U32), within the row's bounds. */
static void read_int(struct parser *p, const struct setting *row, void *base, struct word *a,
		     size_t na)
{
	char b[SHOWBUF];
	int v;

	(void)na;
	if (parse_int(a[0].s, (int)row->min, (int)row->max, &v) < 0) {
		if (row->min == INT_MIN && row->max == INT_MAX)
			bad(p, "bad number %s for %s", parser_show(a[0].s, b, sizeof(b)), row->display);
		else
			bad(p, "bad number %s for %s (expected %lld to %lld)",
			    parser_show(a[0].s, b, sizeof(b)), row->display, (long long)row->min,
			    (long long)row->max);
		return;
	}
	if (row->kind == SK_U32)
		*(uint32_t *)SETTING_FIELD(row, base) = (uint32_t)v;
	else
		*(int *)SETTING_FIELD(row, base) = v;
	if (row->optional)
		*(bool *)((char *)base + row->set_at) = true;
}

static void read_signal(struct parser *p, const struct setting *row, void *base,
			struct word *a, size_t na)
{
	char b[SHOWBUF];
	int sig = util_parse_signal(a[0].s);

	(void)na;
	if (sig < 0)
		bad(p, "unknown signal %s for %s", parser_show(a[0].s, b, sizeof(b)), row->display);
	else
		*(int *)SETTING_FIELD(row, base) = sig;
}

static void read_flag(struct parser *p, const struct setting *row, void *base, struct word *a,
		      size_t na)
{
	(void)p, (void)a, (void)na;
	*(bool *)SETTING_FIELD(row, base) = true;
}

static void read_size(struct parser *p, const struct setting *row, void *base, struct word *a,
		      size_t na)
{
	(void)na;
	set_size(p, row->display, a[0].s, SETTING_FIELD(row, base));
}

/* A count up to the row's max, or infinity. */
static void read_count_limit(struct parser *p, const struct setting *row, void *base,
			     struct word *a, size_t na)
{
	uint64_t *out = SETTING_FIELD(row, base);
	char b[SHOWBUF];

	(void)na;
	if (strcmp(a[0].s, "infinity") == 0)
		*out = CONF_LIMIT_INFINITY;
	else if (util_parse_u64(a[0].s, (uint64_t)row->max, out) < 0 || !*out)
		bad(p, "bad number %s for %s (expected 1 or more, or infinity)",
		    parser_show(a[0].s, b, sizeof(b)), row->display);
}

static void read_percent(struct parser *p, const struct setting *row, void *base,
			 struct word *a, size_t na)
{
	char b[SHOWBUF];

	(void)na;
	if (parse_percent(a[0].s, SETTING_FIELD(row, base)) < 0)
		bad(p, "bad percent %s for %s (expected 1%% to 100000%%, or infinity)",
		    parser_show(a[0].s, b, sizeof(b)), row->display);
}

static void read_choice(struct parser *p, const struct setting *row, void *base,
			struct word *a, size_t na)
{
	char b[SHOWBUF], expected[64] = "";

	(void)na;
	for (int i = 0; row->choices[i]; i++) {
		if (strcmp(a[0].s, row->choices[i]) == 0) {
			*(int *)SETTING_FIELD(row, base) = i;
			return;
		}
		snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), "%s%s",
			 i ? (row->choices[i + 1] ? ", " : " or ") : "", row->choices[i]);
	}
	bad(p, "bad value %s for %s (expected %s)", parser_show(a[0].s, b, sizeof(b)),
	    row->display, expected);
}

/* ---- settings with a grammar of their own ---- */

/* The job's conf_job_more, made (with the defaults) on its first setting. */
static struct conf_job_more *more_of(struct parser *p, struct conf_job *job)
{
	if (!job->more) {
		job->more = malloc(sizeof(*job->more));
		if (!job->more) {
			p->oom = true;
			return NULL;
		}
		*job->more = conf_job_more_defaults;
	}
	return job->more;
}

static void kw_name(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	struct conf_job *job = base;
	const struct name_ent *first;
	char b[SHOWBUF];

	(void)row, (void)na;
	if (!valid_name(a[0].s)) {
		bad(p, "bad job name %s: use letters, digits and .-_@:+ only",
		    parser_show(a[0].s, b, sizeof(b)));
		p->name_refused = true;
		return;
	}
	if (strlen(a[0].s) > NAME_MAX_LEN) {
		bad(p, "job name %s is longer than %d characters", parser_show(a[0].s, b, sizeof(b)),
		    NAME_MAX_LEN);
		p->name_refused = true;
		return;
	}
	first = name_seen(p, a[0].s);
	p->name_taken = first != NULL;
	if (first && first->file == p->file)
		parser_error(p, p->line, true, "duplicate job name \"%s\" (first at line %d)",
			 a[0].s, first->line);
	else if (first)
		parser_error(p, p->line, true, "duplicate job name \"%s\" (first at %s:%d)",
			 a[0].s, first->file, first->line);
	job->name = parser_strdup(p, a[0].s);
}

static void kw_cmd(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	char ***argv = SETTING_FIELD(row, base);

	if (!parser_is_abs(a[0].s)) {
		bad(p, "cmd must be an absolute path");
		return;
	}
	*argv = pack_words(p, a, na);
}

static void kw_env(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	struct conf_job *job = base;
	char b[SHOWBUF];

	(void)row, (void)na;
	if (a[0].s[0] == '=' || !strchr(a[0].s, '=')) {
		bad(p, "env %s must be VAR=VALUE", parser_show(a[0].s, b, sizeof(b)));
		return;
	}
	parser_push(p, &job->env, &job->n_env, a[0].s);
}

static void kw_cpu(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	cpu_set_t **cpus = SETTING_FIELD(row, base);
	char b[SHOWBUF];
	cpu_set_t set;

	(void)na;
	if (parse_cpus(a[0].s, &set) < 0) {
		bad(p, "bad cpu list %s", parser_show(a[0].s, b, sizeof(b)));
		return;
	}
	*cpus = malloc(sizeof(cpu_set_t));
	if (!*cpus) {
		p->oom = true;
		return;
	}
	**cpus = set;
}

static void kw_ulimit(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	(void)row, (void)base;
	if (parser_is_brace(&a[0], "{")) {
		p->state = ST_ULIMIT;
		p->block_line = p->line;
		parser_block_words(p, a + 1, na - 1);
	} else {
		ulimit_pairs(p, a, na);
	}
}

static void kw_depends(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	(void)row, (void)base;
	if (na < 1 || !parser_is_brace(&a[0], "{")) {
		bad(p, "expected \"{\" after depends");
		return;
	}
	p->state = ST_DEPENDS;
	p->block_line = p->line;
	parser_block_words(p, a + 1, na - 1);
}

/* ready notify, tcp and cmd are one setting in three forms. */
static bool ready_given(struct parser *p, const struct conf_job_more *more)
{
	if (more->ready == CONF_READY_STARTED)
		return false;
	for (size_t i = 0; i < job_settings_count; i++) {
		enum setting_kind k = job_settings[i].kind;

		if ((k == SK_READY_NOTIFY || k == SK_READY_TCP || k == SK_READY_CMD) &&
		    p->kw_line[i] && p->kw_line[i] != p->line) {
			bad(p, "ready given twice (first at line %d)", p->kw_line[i]);
			break;
		}
	}
	return true;
}

/* A NULL-terminated copy of the words, the first an absolute path. */
static char **command_words(struct parser *p, const char *kw, struct word *a, size_t na)
{
	if (na == 0) {
		bad(p, "%s needs a command", kw);
		return NULL;
	}
	if (!parser_is_abs(a[0].s)) {
		bad(p, "the command of %s must be an absolute path", kw);
		return NULL;
	}
	return pack_words(p, a, na);
}

static void kw_ready_notify(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	struct conf_job_more *more = base;

	(void)row, (void)a, (void)na;
	if (!ready_given(p, more))
		more->ready = CONF_READY_NOTIFY;
}

static void kw_ready_tcp(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	struct conf_job_more *more = base;
	char b[SHOWBUF], host[64];
	int port;

	(void)row, (void)na;
	if (ready_given(p, more))
		return;
	if (parse_host_port(a[0].s, host, sizeof(host), &port) < 0) {
		bad(p, "bad address %s for ready tcp (expected [HOST:]PORT, HOST a numeric "
		    "IPv4 or [IPv6] address)", parser_show(a[0].s, b, sizeof(b)));
		return;
	}
	more->ready = CONF_READY_TCP;
	more->ready_host = parser_strdup(p, host);
	more->ready_port = port;
}

static void kw_ready_cmd(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	struct conf_job_more *more = base;

	if (ready_given(p, more))
		return;
	more->ready_argv = command_words(p, row->display, a, na);
	if (more->ready_argv)
		more->ready = CONF_READY_CMD;
}

static void kw_after(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	struct conf_job_more *more = base;
	char b[SHOWBUF];

	(void)row;
	if (!more->after_line)
		more->after_line = p->line;
	for (size_t i = 0; i < na; i++) {
		if (!valid_name(a[i].s) || strlen(a[i].s) > NAME_MAX_LEN) {
			bad(p, "bad job name %s after after", parser_show(a[i].s, b, sizeof(b)));
			continue;
		}
		parser_push(p, &more->after, &more->n_after, a[i].s);
	}
}

/* check [every TIME] [timeout TIME] [retries N] cmd PATH [ARG...] */
static void kw_check(struct parser *p, const struct setting *row, void *base, struct word *a,
		    size_t na)
{
	struct conf_job_more *more = base;
	char b[SHOWBUF];
	size_t i = 0;

	(void)row;
	while (i < na && !parser_is_word(&a[i], "cmd")) {
		size_t errors_before = p->n_errors;
		int n;

		if (i + 1 == na) {
			bad(p, "check %s needs a value", parser_show(a[i].s, b, sizeof(b)));
			return;
		}
		if (parser_is_word(&a[i], "every")) {
			set_duration(p, "check every", a[i + 1].s, &more->check_every_ms, true);
		} else if (parser_is_word(&a[i], "timeout")) {
			set_duration(p, "check timeout", a[i + 1].s, &more->check_timeout_ms, true);
		} else if (parser_is_word(&a[i], "retries")) {
			if (parse_int(a[i + 1].s, 1, 100, &n) < 0)
				bad(p, "bad number %s for check retries (expected 1 to 100)",
				    parser_show(a[i + 1].s, b, sizeof(b)));
			else
				more->check_retries = (unsigned)n;
		} else {
			bad(p, "unknown check setting %s (expected every, timeout, retries or cmd)",
			    parser_show(a[i].s, b, sizeof(b)));
			return;
		}
		if (p->n_errors != errors_before)
			return;
		i += 2;
	}
	if (i == na) {
		bad(p, "check needs \"cmd\" and a command");
		return;
	}
	more->check_argv = command_words(p, row->display, a + i + 1, na - i - 1);
}

static setting_reader *const readers[SK_COUNT] = {
	[SK_PATH] = read_path,
	[SK_PATH_OR_SYSLOG] = read_path,
	[SK_STRING] = read_string,
	[SK_UMASK] = read_umask,
	[SK_INT] = read_int,
	[SK_U32] = read_int,
	[SK_DURATION] = read_duration,
	[SK_POSITIVE_DURATION] = read_duration,
	[SK_SIGNAL] = read_signal,
	[SK_FLAG] = read_flag,
	[SK_SIZE] = read_size,
	[SK_COUNT_LIMIT] = read_count_limit,
	[SK_PERCENT] = read_percent,
	[SK_CHOICE] = read_choice,
	[SK_NAME] = kw_name,
	[SK_CMD] = kw_cmd,
	[SK_ENV] = kw_env,
	[SK_CPUS] = kw_cpu,
	[SK_ULIMIT] = kw_ulimit,
	[SK_DEPENDS] = kw_depends,
	[SK_READY_NOTIFY] = kw_ready_notify,
	[SK_READY_TCP] = kw_ready_tcp,
	[SK_READY_CMD] = kw_ready_cmd,
	[SK_AFTER] = kw_after,
	[SK_CHECK] = kw_check,
	[SK_CRON] = parser_kw_schedule,
	[SK_LOG_ROTATE] = parser_kw_log_rotate,
};

/* ---- statements ---- */

bool parser_is_job_keyword(const char *s)
{
	for (size_t i = 0; i < job_settings_count; i++)
		if (strcmp(job_settings[i].word, s) == 0)
			return true;
	return false;
}

/* Where two rows share a first word ("stop timeout", "stop signal"; "env file",
 * "env VAR=VALUE"), the one with a matching second word wins, else the one with
 * none. */
const struct setting *parser_find_setting(struct word *w, size_t n, char *seconds, size_t len)
{
	const struct setting *bare = NULL;

	if (seconds)
		seconds[0] = '\0';
	for (size_t i = 0; i < job_settings_count; i++) {
		const struct setting *row = &job_settings[i];

		if (strcmp(row->word, w[0].s) != 0)
			continue;
		if (!row->second) {
			bare = row;
			continue;
		}
		if (n > 1 && parser_is_word(&w[1], row->second))
			return row;
		if (seconds) {
			size_t used = strlen(seconds);

			snprintf(seconds + used, len - used, "%s%s", used ? "\" or \"" : "",
				 row->second);
		}
	}
	return bare;
}

/* A statement of the row kw; a, na: its words after the keyword. */
static void setting_statement(struct parser *p, const struct setting *kw, struct word *a,
			      size_t na)
{
	size_t k = (size_t)(kw - job_settings);
	void *base;

	if (p->kw_line[k] && !kw->repeatable) {
		bad(p, "%s given twice (first at line %d)", kw->display, p->kw_line[k]);
		return;
	}
	p->kw_line[k] = p->line;
	if (!parser_nargs(p, kw->display, a, na, kw->min_args,
			  kw->max_args == SETTING_ANY_ARGS ? SIZE_MAX : kw->max_args))
		return;
	base = kw->in_more ? (void *)more_of(p, p->job) : (void *)p->job;
	if (base)
		readers[kw->kind](p, kw, base, a, na);
}

void parser_job_statement(struct parser *p, struct word *w, size_t n)
{
	const struct setting *kw;
	char b[SHOWBUF], seconds[64];
	size_t n_errors = p->n_errors;

	if (p->pending_brace) {
		p->pending_brace = false;
		if (n == 1 && parser_is_brace(&w[0], "{"))
			return;		/* "job" then "{" alone: reported already */
	}
	if (parser_is_brace(&w[0], "}")) {
		parser_no_extra(p, w + 1, n - 1, "}");
		parser_job_end(p, true);
		return;
	}
	if (parser_is_word(&w[0], "job")) {
		/* a "}" is missing: end the open job there, start the next */
		parser_job_end(p, false);
		parser_job_start(p);
		if (n < 2 || !parser_is_brace(&w[1], "{")) {
			bad(p, "expected \"{\" after job");
			p->pending_brace = true;
		} else {
			parser_no_extra(p, w + 2, n - 2, "{");
		}
		return;
	}
	if (parser_is_word(&w[0], "report") || parser_is_word(&w[0], "listen") ||
	    parser_is_word(&w[0], "include") || parser_is_word(&w[0], "control")) {
		bad(p, "%s is not allowed inside a job", parser_is_word(&w[0], "report") ? "report to" :
		    parser_is_word(&w[0], "listen") ? "listen on" :
		    parser_is_word(&w[0], "control") ? "control socket" : "include");
		p->jobs_lost |= parser_is_word(&w[0], "include");
		return;
	}
	kw = parser_find_setting(w, n, seconds, sizeof(seconds));
	if (!kw) {
		if (seconds[0])
			bad(p, "expected \"%s\" after %s", seconds, w[0].s);
		else
			bad(p, "unknown keyword %s", parser_show(w[0].s, b, sizeof(b)));
		return;
	}
	setting_statement(p, kw, w + (kw->second ? 2 : 1), n - (kw->second ? 2 : 1));
	/* where the job starts is not known: a wait job's "after" cannot be judged */
	if (p->n_errors != n_errors && !kw->in_more && kw->offset == offsetof(struct conf_job, order))
		p->orders_lost = true;
}

