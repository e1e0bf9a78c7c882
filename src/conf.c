/* conf.c: freeing, comparing and writing back parsed jobs, row by row of the settings table. SPDX-License-Identifier: MIT */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "cron.h"
#include "util.h"
#include "values.h"

/* ---- the table of job settings, and their defaults ---- */

const struct conf_job conf_job_defaults = {
	.stop_timeout_ms = CONF_DEFAULT_STOP_TIMEOUT_MS,
	.restart_delay_ms = CONF_DEFAULT_RESTART_DELAY_MS,
	.stop_signal = SIGTERM,
	.umask = CONF_DEFAULT_UMASK,
};

const struct conf_job_more conf_job_more_defaults = {
	.ready = CONF_READY_STARTED,
	.ready_timeout_ms = CONF_DEFAULT_READY_TIMEOUT_MS,
	.check_every_ms = CONF_DEFAULT_CHECK_EVERY_MS,
	.check_timeout_ms = CONF_DEFAULT_CHECK_TIMEOUT_MS,
	.check_retries = CONF_DEFAULT_CHECK_RETRIES,
};

#define SIZE_OF(type, f) sizeof(((struct type *)0)->f)
#define JOB(f) .offset = offsetof(struct conf_job, f), .size = SIZE_OF(conf_job, f)
#define MORE(f) .in_more = true, .offset = offsetof(struct conf_job_more, f), \
	.size = SIZE_OF(conf_job_more, f)
#define JOB_LIST(f, n) JOB(f), .count_at = offsetof(struct conf_job, n), .repeatable = true
#define ARGS(lo, hi) .min_args = (lo), .max_args = (hi)
#define ONE ARGS(1, 1)
#define NONE ARGS(0, 0)
#define ANY SETTING_ANY_ARGS
#define LIVE .class = SC_SUPERVISION
#define LIMIT(c) .class = SC_LIMIT, .controllers = (c)
#define BOUNDS(lo, hi) .min = (lo), .max = (hi)

/* by enum conf_overlap */
static const char *const overlap_words[] = { "skip", "replace", NULL };

const struct setting job_settings[] = {
	/* the process: a change starts a new one */
	{ "name", NULL, "name", SK_NAME, JOB(name), ONE },
	{ "cmd", NULL, "cmd", SK_CMD, JOB(argv), ARGS(1, ANY) },
	{ "dir", NULL, "dir", SK_PATH, MORE(dir), ONE },
	{ "in", NULL, "in", SK_PATH, MORE(in), ONE },
	{ "out", NULL, "out", SK_PATH_OR_SYSLOG, JOB(out), ONE },
	{ "err", NULL, "err", SK_PATH_OR_SYSLOG, JOB(err), ONE },
	{ "env", NULL, "env", SK_ENV, JOB_LIST(env, n_env), ONE },
	{ "env", "file", "env file", SK_PATH, MORE(env_file), ONE },
	{ "user", NULL, "user", SK_STRING, JOB(user), ONE },
	{ "group", NULL, "group", SK_STRING, JOB(group), ONE },
	{ "umask", NULL, "umask", SK_UMASK, JOB(umask), ONE },
	{ "nice", NULL, "nice", SK_INT, JOB(nice), ONE, BOUNDS(-20, 20), .optional = true,
	  .set_at = offsetof(struct conf_job, has_nice) },
	{ "cpu", NULL, "cpu", SK_CPUS, JOB(cpus), ONE },
	{ "ulimit", NULL, "ulimit", SK_ULIMIT, JOB_LIST(ulimits, n_ulimits), ARGS(1, ANY) },
	{ "depends", NULL, "depends", SK_DEPENDS, JOB_LIST(depends, n_depends), ARGS(0, ANY) },
	/* how readiness is seen is part of the run: NOTIFY_SOCKET, a probe */
	{ "ready", "notify", "ready notify", SK_READY_NOTIFY, MORE(ready), NONE },
	{ "ready", "tcp", "ready tcp", SK_READY_TCP, MORE(ready_host), ONE },
	{ "ready", "cmd", "ready cmd", SK_READY_CMD, MORE(ready_argv), ARGS(1, ANY) },
	/* only pmtr uses them: taken over live */
	{ "stop", "timeout", "stop timeout", SK_DURATION, JOB(stop_timeout_ms), ONE, LIVE },
	{ "stop", "signal", "stop signal", SK_SIGNAL, JOB(stop_signal), ONE, LIVE },
	{ "restart", "delay", "restart delay", SK_DURATION, JOB(restart_delay_ms), ONE, LIVE },
	{ "bounce", "every", "bounce every", SK_POSITIVE_DURATION, MORE(bounce_ms), ONE, LIVE },
	{ "order", NULL, "order", SK_INT, JOB(order), ONE, LIVE, BOUNDS(INT_MIN, INT_MAX),
	  .not_compared = true },
	{ "once", NULL, "once", SK_FLAG, JOB(once), NONE, LIVE },
	{ "wait", NULL, "wait", SK_FLAG, JOB(wait), NONE, LIVE },
	{ "essential", NULL, "essential", SK_FLAG, JOB(essential), NONE, LIVE },
	{ "disable", NULL, "disable", SK_FLAG, JOB(disabled), NONE, LIVE, .not_described = true },
	{ "ready", "timeout", "ready timeout", SK_POSITIVE_DURATION, MORE(ready_timeout_ms), ONE,
	  LIVE },
	{ "after", NULL, "after", SK_AFTER, MORE(after), .count_at = offsetof(struct conf_job_more,
	  n_after), .repeatable = true, ARGS(1, ANY), LIVE },
	{ "check", NULL, "check", SK_CHECK, MORE(check_argv), ARGS(1, ANY), LIVE },
	{ "schedule", "every", "schedule every", SK_POSITIVE_DURATION, MORE(schedule_every_ms),
	  ONE, LIVE },
	{ "schedule", "jitter", "schedule jitter", SK_POSITIVE_DURATION,
	  MORE(schedule_jitter_ms), ONE, LIVE },
	{ "schedule", "overlap", "schedule overlap", SK_CHOICE, MORE(schedule_overlap), ONE, LIVE,
	  .choices = overlap_words },
	{ "schedule", NULL, "schedule", SK_CRON, MORE(schedule), ARGS(1, ANY), LIVE },
	{ "run", "timeout", "run timeout", SK_POSITIVE_DURATION, MORE(run_timeout_ms), ONE, LIVE },
	/* the pipe is the same: pmtr writes elsewhere */
	{ "log", "file", "log file", SK_PATH, MORE(log_file), ONE, LIVE },
	{ "log", "rotate", "log rotate", SK_LOG_ROTATE, MORE(log_rotate), ARGS(1, ANY), LIVE },
	{ "log", "timestamps", "log timestamps", SK_FLAG, MORE(log_timestamps), NONE, LIVE },
	/* cgroup limits: taken over live and written to the cgroup */
	{ "memory", "max", "memory max", SK_SIZE, MORE(memory_max), ONE, LIMIT(SETTING_MEMORY) },
	{ "memory", "high", "memory high", SK_SIZE, MORE(memory_high), ONE, LIMIT(SETTING_MEMORY) },
	{ "pids", "max", "pids max", SK_COUNT_LIMIT, MORE(pids_max), ONE, LIMIT(SETTING_PIDS),
	  BOUNDS(1, 4194304) },
	{ "cpu", "max", "cpu max", SK_PERCENT, MORE(cpu_max_percent), ONE, LIMIT(SETTING_CPU) },
	{ "cpu", "weight", "cpu weight", SK_U32, MORE(cpu_weight), ONE, LIMIT(SETTING_CPU),
	  BOUNDS(1, 10000) },
};

const size_t job_settings_count = ARRAY_SIZE(job_settings);
_Static_assert(ARRAY_SIZE(job_settings) <= SETTINGS_MAX, "SETTINGS_MAX is too small");

const void *setting_base(const struct setting *row, const struct conf_job *job)
{
	return row->in_more ? (const void *)CONF_MORE(job) : (const void *)job;
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool strv_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!str_eq(a[i], b[i]))
			return false;
	return true;
}

static bool is_default(const struct setting *row, const void *base);

#define VALUE(type, row, base) (*(const __typeof__(type) *)SETTING_CFIELD(row, base))
#define COUNT(row, base) (*(const size_t *)((const char *)(base) + (row)->count_at))

__attribute__((format(printf, 3, 4)))
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 3 >= len)
		return;
	if (used) {
		memcpy(buf + used, ", ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

const char *conf_size_text(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	if (bytes == CONF_LIMIT_INFINITY) {
		snprintf(buf, len, "infinity");
		return buf;
	}
	while (u < 3 && bytes && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[u]);
	return buf;
}

/* ---- each kind: equal, the "applied" words, the text, freeing ---- */

/* Of two values of a row, a the old and b the new (base pointers: the job or its
 * conf_job_more). */
struct kind_ops {
	bool (*equal)(const struct setting *row, const void *a, const void *b);
	void (*describe)(char *buf, size_t len, const struct setting *row, const void *a,
			 const void *b);
	void (*text)(FILE *f, const struct setting *row, const void *base);
	void (*release)(const struct setting *row, void *base);
};

static bool equal_string(const struct setting *row, const void *a, const void *b)
{
	return str_eq(VALUE(char *, row, a), VALUE(char *, row, b));
}

static bool is_set(const struct setting *row, const void *base)
{
	return !row->optional || *(const bool *)((const char *)base + row->set_at);
}

static bool equal_scalar(const struct setting *row, const void *a, const void *b)
{
	if (is_set(row, a) != is_set(row, b))
		return false;
	return !is_set(row, a) ||
	       memcmp(SETTING_CFIELD(row, a), SETTING_CFIELD(row, b), row->size) == 0;
}

static bool equal_argv(const struct setting *row, const void *a, const void *b)
{
	char *const *va = VALUE(char **, row, a), *const *vb = VALUE(char **, row, b);

	return strv_eq(va, strv_len(va), vb, strv_len(vb));
}

static bool equal_list(const struct setting *row, const void *a, const void *b)
{
	return strv_eq(VALUE(char **, row, a), COUNT(row, a), VALUE(char **, row, b),
		       COUNT(row, b));
}

static bool equal_cpus(const struct setting *row, const void *a, const void *b)
{
	const cpu_set_t *ca = VALUE(cpu_set_t *, row, a), *cb = VALUE(cpu_set_t *, row, b);

	return !ca == !cb && (!ca || CPU_EQUAL(ca, cb));
}

static bool equal_ulimits(const struct setting *row, const void *a, const void *b)
{
	const struct conf_rlimit *ua = VALUE(struct conf_rlimit *, row, a);
	const struct conf_rlimit *ub = VALUE(struct conf_rlimit *, row, b);

	if (COUNT(row, a) != COUNT(row, b))
		return false;
	for (size_t i = 0; i < COUNT(row, a); i++)
		if (ua[i].resource != ub[i].resource || ua[i].value != ub[i].value)
			return false;
	return true;
}

static bool equal_cron(const struct setting *row, const void *a, const void *b)
{
	const struct cron *ca = VALUE(struct cron *, row, a), *cb = VALUE(struct cron *, row, b);

	return !ca == !cb && (!ca || cron_equal(ca, cb));
}

static bool equal_rotate(const struct setting *row, const void *a, const void *b)
{
	const struct conf_log_rotate *ra = VALUE(struct conf_log_rotate *, row, a);
	const struct conf_log_rotate *rb = VALUE(struct conf_log_rotate *, row, b);

	return !ra == !rb && (!ra || (ra->size == rb->size && ra->every_ms == rb->every_ms &&
				      ra->period == rb->period && ra->keep == rb->keep &&
				      ra->compress == rb->compress));
}

static bool equal_ready_notify(const struct setting *row, const void *a, const void *b)
{
	(void)row;
	return (((const struct conf_job_more *)a)->ready == CONF_READY_NOTIFY) ==
	       (((const struct conf_job_more *)b)->ready == CONF_READY_NOTIFY);
}

static bool equal_ready_tcp(const struct setting *row, const void *a, const void *b)
{
	const struct conf_job_more *ma = a, *mb = b;

	(void)row;
	return str_eq(ma->ready_host, mb->ready_host) && ma->ready_port == mb->ready_port;
}

static bool equal_check(const struct setting *row, const void *a, const void *b)
{
	const struct conf_job_more *ma = a, *mb = b;

	return equal_argv(row, a, b) && ma->check_every_ms == mb->check_every_ms &&
	       ma->check_timeout_ms == mb->check_timeout_ms &&
	       ma->check_retries == mb->check_retries;
}

static void describe_duration(char *buf, size_t len, const struct setting *row,
			      const void *a, const void *b)
{
	int64_t ms = VALUE(int64_t, row, b);
	char t[32];

	(void)a;
	if (row->kind == SK_POSITIVE_DURATION && ms == 0)
		append(buf, len, "%s off", row->display);
	else
		append(buf, len, "%s %s", row->display, util_describe_ms(ms, t, sizeof(t)));
}

static void describe_choice(char *buf, size_t len, const struct setting *row, const void *a,
			    const void *b)
{
	(void)a;
	append(buf, len, "%s %s", row->display, row->choices[VALUE(int, row, b)]);
}

static void describe_cron(char *buf, size_t len, const struct setting *row, const void *a,
			  const void *b)
{
	const struct cron *c = VALUE(struct cron *, row, b);
	char t[200];

	(void)a;
	if (!c)
		append(buf, len, "%s none", row->display);
	else if (cron_text(c, t, sizeof(t)) < sizeof(t))
		append(buf, len, "%s %s", row->display, t);
	else
		append(buf, len, "%s", row->display);
}

static void describe_signal(char *buf, size_t len, const struct setting *row, const void *a,
			    const void *b)
{
	char sig[32];

	(void)a;
	append(buf, len, "%s %s", row->display, util_signame(VALUE(int, row, b), sig, sizeof(sig)));
}

static void describe_int(char *buf, size_t len, const struct setting *row, const void *a,
			 const void *b)
{
	(void)a;
	append(buf, len, "%s %d", row->display, VALUE(int, row, b));
}

static void describe_flag(char *buf, size_t len, const struct setting *row, const void *a,
			  const void *b)
{
	(void)a;
	append(buf, len, "%s%s", VALUE(bool, row, b) ? "" : "no ", row->display);
}

/* A limit's new value, or "none" once unset. */
static void describe_limit(char *buf, size_t len, const struct setting *row, const void *a,
			   const void *b)
{
	uint64_t v = row->size == sizeof(uint32_t) ? VALUE(uint32_t, row, b) :
		     VALUE(uint64_t, row, b);
	char t[32];

	(void)a;
	if (!v)
		append(buf, len, "%s none", row->display);
	else if (row->kind == SK_SIZE)
		append(buf, len, "%s %s", row->display, conf_size_text(v, t, sizeof(t)));
	else if (row->kind == SK_PERCENT && v == CONF_CPU_INFINITY)
		append(buf, len, "%s infinity", row->display);
	else if (row->kind == SK_PERCENT)
		append(buf, len, "%s %llu%%", row->display, (unsigned long long)v);
	else if (v == CONF_LIMIT_INFINITY)
		append(buf, len, "%s infinity", row->display);
	else
		append(buf, len, "%s %llu", row->display, (unsigned long long)v);
}

/* A setting with no value of its own to show: its name, "none" once unset. */
static void describe_name(char *buf, size_t len, const struct setting *row, const void *a,
			  const void *b)
{
	(void)a;
	append(buf, len, "%s%s", row->display, is_default(row, b) ? " none" : "");
}

/* ---- text: a word as the configuration would take it ---- */

static bool needs_quotes(const char *arg)
{
	return !*arg || strpbrk(arg, " \t\r\v\f\"\\#") != NULL;
}

/* w as the configuration takes it, at out (room for 2 * strlen(w) + 3 bytes): in
 * double quotes, with \" and \\, when it holds anything that would split or end
 * it. Returns the end. */
static char *quote_word(char *out, const char *w)
{
	bool quote = needs_quotes(w);

	if (quote)
		*out++ = '"';
	for (; *w; w++) {
		if (quote && (*w == '"' || *w == '\\'))
			*out++ = '\\';
		*out++ = *w;
	}
	if (quote)
		*out++ = '"';
	return out;
}

/* The words, quoted and separated by blanks: malloc'd, or NULL. */
static char *quote_words(char *const *v)
{
	size_t len = 1;
	char *text, *out;

	for (char *const *w = v; *w; w++)
		len += 2 * strlen(*w) + 3;	/* every byte escaped, quotes, blank */
	text = out = malloc(len);
	if (!text)
		return NULL;
	for (char *const *w = v; *w; w++) {
		if (w != v)
			*out++ = ' ';
		out = quote_word(out, *w);
	}
	*out = '\0';
	return text;
}

/* quote_word on a stream (the job's text for a re-exec, where a failed
 * allocation must fail the whole text, not drop a word). */
static void put_word(FILE *f, const char *w)
{
	bool quote = needs_quotes(w);

	if (quote)
		fputc('"', f);
	for (; *w; w++) {
		if (quote && (*w == '"' || *w == '\\'))
			fputc('\\', f);
		fputc(*w, f);
	}
	if (quote)
		fputc('"', f);
}

static void put_words(FILE *f, char *const *v)
{
	for (char *const *w = v; *w; w++) {
		if (w != v)
			fputc(' ', f);
		put_word(f, *w);
	}
}

static void text_string(FILE *f, const struct setting *row, const void *base)
{
	fprintf(f, "  %s ", row->display);
	put_word(f, VALUE(char *, row, base));
	fputc('\n', f);
}

static void text_argv(FILE *f, const struct setting *row, const void *base)
{
	fprintf(f, "  %s ", row->display);
	put_words(f, VALUE(char **, row, base));
	fputc('\n', f);
}

static void text_list(FILE *f, const struct setting *row, const void *base)
{
	for (size_t i = 0; i < COUNT(row, base); i++) {
		fprintf(f, "  %s ", row->display);
		put_word(f, VALUE(char **, row, base)[i]);
		fputc('\n', f);
	}
}

static void text_umask(FILE *f, const struct setting *row, const void *base)
{
	fprintf(f, "  %s %03o\n", row->display, (unsigned)VALUE(mode_t, row, base));
}

static void text_int(FILE *f, const struct setting *row, const void *base)
{
	fprintf(f, "  %s %d\n", row->display, VALUE(int, row, base));
}

static void text_u32(FILE *f, const struct setting *row, const void *base)
{
	fprintf(f, "  %s %u\n", row->display, VALUE(uint32_t, row, base));
}

static void text_duration(FILE *f, const struct setting *row, const void *base)
{
	fprintf(f, "  %s %lldms\n", row->display, (long long)VALUE(int64_t, row, base));
}

static void text_flag(FILE *f, const struct setting *row, const void *base)
{
	if (VALUE(bool, row, base))
		fprintf(f, "  %s\n", row->display);
}

static void text_choice(FILE *f, const struct setting *row, const void *base)
{
	fprintf(f, "  %s %s\n", row->display, row->choices[VALUE(int, row, base)]);
}

/* cron_text's words need no quotes: digits, names, "*", ",", "-", "/", "@". */
static void text_cron(FILE *f, const struct setting *row, const void *base)
{
	const struct cron *c = VALUE(struct cron *, row, base);
	char t[256];

	if (c && cron_text(c, t, sizeof(t)) < sizeof(t))
		fprintf(f, "  %s %s\n", row->display, t);
}

/* "log rotate size 10M daily keep 5 compress", as the configuration writes it. */
static void text_rotate(FILE *f, const struct setting *row, const void *base)
{
	const struct conf_log_rotate *r = VALUE(struct conf_log_rotate *, row, base);
	static const char *const periods[] = { "", "", " hourly", " daily" };
	char size[32];

	if (!r)
		return;
	fprintf(f, "  %s", row->display);
	if (r->size)
		fprintf(f, " size %s", conf_size_text(r->size, size, sizeof(size)));
	if (r->period == CONF_ROTATE_EVERY)
		fprintf(f, " every %lldms", (long long)r->every_ms);
	else
		fputs(periods[r->period], f);
	fprintf(f, " keep %u%s\n", r->keep, r->compress ? " compress" : "");
}

static void text_limit(FILE *f, const struct setting *row, const void *base)
{
	uint64_t v = VALUE(uint64_t, row, base);

	if (v == CONF_LIMIT_INFINITY)
		fprintf(f, "  %s infinity\n", row->display);
	else if (v)
		fprintf(f, "  %s %llu\n", row->display, (unsigned long long)v);
}

static void text_percent(FILE *f, const struct setting *row, const void *base)
{
	uint32_t v = VALUE(uint32_t, row, base);

	if (v == CONF_CPU_INFINITY)
		fprintf(f, "  %s infinity\n", row->display);
	else if (v)
		fprintf(f, "  %s %u%%\n", row->display, v);
}

static void text_cpus(FILE *f, const struct setting *row, const void *base)
{
	const cpu_set_t *cpus = VALUE(cpu_set_t *, row, base);
	const char *sep = "";

	fprintf(f, "  %s ", row->display);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		int end = c;

		if (!CPU_ISSET(c, cpus))
			continue;
		while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, cpus))
			end++;
		fprintf(f, end > c ? "%s%d-%d" : "%s%d", sep, c, end);
		sep = ",";
		c = end;
	}
	fputc('\n', f);
}

static void text_ulimits(FILE *f, const struct setting *row, const void *base)
{
	static const char flags[] = "cdefilmnqrstuv";
	const struct conf_rlimit *u = VALUE(struct conf_rlimit *, row, base);

	for (size_t i = 0; i < COUNT(row, base); i++) {
		for (const char *fl = flags; *fl; fl++) {
			if (parse_ulimit_flag(*fl) != u[i].resource)
				continue;
			if (u[i].value == RLIM_INFINITY)
				fprintf(f, "  %s -%c infinity\n", row->display, *fl);
			else
				fprintf(f, "  %s -%c %llu\n", row->display, *fl,
					(unsigned long long)u[i].value);
		}
	}
}

/* depends { FILE ... } and after NAME ...: the whole list on one line */
static void text_block(FILE *f, const struct setting *row, const void *base)
{
	bool braces = row->kind == SK_DEPENDS;

	fprintf(f, "  %s%s", row->display, braces ? " {" : "");
	for (size_t i = 0; i < COUNT(row, base); i++) {
		fputc(' ', f);
		put_word(f, VALUE(char **, row, base)[i]);
	}
	fputs(braces ? " }\n" : "\n", f);
}

static void text_ready(FILE *f, const struct setting *row, const void *base)
{
	const struct conf_job_more *m = base;

	if (m->ready == CONF_READY_NOTIFY)
		fprintf(f, "  %s\n", row->display);
	else if (m->ready == CONF_READY_TCP)
		fprintf(f, strchr(m->ready_host, ':') ? "  %s [%s]:%d\n" : "  %s %s:%d\n",
			row->display, m->ready_host, m->ready_port);
}

static void text_check(FILE *f, const struct setting *row, const void *base)
{
	const struct conf_job_more *m = base;

	fprintf(f, "  %s every %lldms timeout %lldms retries %u cmd ", row->display,
		(long long)m->check_every_ms, (long long)m->check_timeout_ms, m->check_retries);
	put_words(f, m->check_argv);
	fputc('\n', f);
}

static void release_pointer(const struct setting *row, void *base)
{
	free(*(void **)SETTING_FIELD(row, base));
}

static void release_list(const struct setting *row, void *base)
{
	char **v = *(char ***)SETTING_FIELD(row, base);

	if (!v)
		return;
	for (size_t i = 0; i < COUNT(row, base); i++)
		free(v[i]);
	free(v);
}

static const struct kind_ops kinds[SK_COUNT] = {
	[SK_PATH] = { equal_string, describe_name, text_string, release_pointer },
	[SK_PATH_OR_SYSLOG] = { equal_string, describe_name, text_string, release_pointer },
	[SK_STRING] = { equal_string, describe_name, text_string, release_pointer },
	[SK_UMASK] = { equal_scalar, describe_name, text_umask, NULL },
	[SK_INT] = { equal_scalar, describe_int, text_int, NULL },
	[SK_U32] = { equal_scalar, describe_limit, text_u32, NULL },
	[SK_DURATION] = { equal_scalar, describe_duration, text_duration, NULL },
	[SK_POSITIVE_DURATION] = { equal_scalar, describe_duration, text_duration, NULL },
	[SK_SIGNAL] = { equal_scalar, describe_signal, text_int, NULL },
	[SK_FLAG] = { equal_scalar, describe_flag, text_flag, NULL },
	[SK_SIZE] = { equal_scalar, describe_limit, text_limit, NULL },
	[SK_COUNT_LIMIT] = { equal_scalar, describe_limit, text_limit, NULL },
	[SK_PERCENT] = { equal_scalar, describe_limit, text_percent, NULL },
	[SK_CHOICE] = { equal_scalar, describe_choice, text_choice, NULL },
	[SK_NAME] = { equal_string, describe_name, text_string, release_pointer },
	[SK_CMD] = { equal_argv, describe_name, text_argv, release_pointer },
	[SK_ENV] = { equal_list, describe_name, text_list, release_list },
	[SK_CPUS] = { equal_cpus, describe_name, text_cpus, release_pointer },
	[SK_ULIMIT] = { equal_ulimits, describe_name, text_ulimits, release_pointer },
	[SK_DEPENDS] = { equal_list, describe_name, text_block, release_list },
	[SK_READY_NOTIFY] = { equal_ready_notify, describe_name, text_ready, NULL },
	[SK_READY_TCP] = { equal_ready_tcp, describe_name, text_ready, release_pointer },
	[SK_READY_CMD] = { equal_argv, describe_name, text_argv, release_pointer },
	[SK_AFTER] = { equal_list, describe_name, text_block, release_list },
	[SK_CHECK] = { equal_check, describe_name, text_check, release_pointer },
	[SK_CRON] = { equal_cron, describe_cron, text_cron, release_pointer },
	[SK_LOG_ROTATE] = { equal_rotate, describe_name, text_rotate, release_pointer },
};

/* ---- the API, by walking the table ---- */

static bool row_equal(const struct setting *row, const struct conf_job *a,
		      const struct conf_job *b)
{
	return kinds[row->kind].equal(row, setting_base(row, a), setting_base(row, b));
}

static bool is_default(const struct setting *row, const void *base)
{
	const void *def = row->in_more ? (const void *)&conf_job_more_defaults :
			  (const void *)&conf_job_defaults;

	return kinds[row->kind].equal(row, base, def);
}

static void release_rows(void *base, bool in_more)
{
	for (size_t i = 0; i < job_settings_count; i++) {
		const struct setting *row = &job_settings[i];

		if (row->in_more == in_more && kinds[row->kind].release)
			kinds[row->kind].release(row, base);
	}
}

void conf_job_more_free(struct conf_job_more *more)
{
	if (!more)
		return;
	release_rows(more, true);
	free(more);
}

void conf_job_free(struct conf_job *job)
{
	if (!job)
		return;
	release_rows(job, false);
	free(job->file);
	conf_job_more_free(job->more);
	free(job);
}

void conf_free(struct conf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->n_jobs; i++)
		conf_job_free(conf->jobs[i]);
	free(conf->jobs);
	free(conf->report_to);
	free(conf->listen_on);
	free(conf->control_group);
	free(conf);
}

bool conf_job_same_process(const struct conf_job *a, const struct conf_job *b)
{
	if (a == b)
		return true;
	if (!a || !b)
		return false;
	for (size_t i = 0; i < job_settings_count; i++)
		if (job_settings[i].class == SC_PROCESS && !row_equal(&job_settings[i], a, b))
			return false;
	return true;
}

bool conf_job_equal(const struct conf_job *a, const struct conf_job *b)
{
	if (a == b)
		return true;
	if (!a || !b)
		return false;
	for (size_t i = 0; i < job_settings_count; i++)
		if (!job_settings[i].not_compared && !row_equal(&job_settings[i], a, b))
			return false;
	return true;
}

size_t conf_job_differences(const struct conf_job *a, const struct conf_job *b, char *buf,
			    size_t len)
{
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < job_settings_count; i++) {
		if (row_equal(&job_settings[i], a, b))
			continue;
		n++;
		if (len)
			append(buf, len, "%s", job_settings[i].display);
	}
	return n;
}

bool conf_job_supervision_differs(const struct conf_job *a, const struct conf_job *b,
				  char *buf, size_t len)
{
	if (!len)
		return false;
	buf[0] = '\0';
	for (size_t i = 0; i < job_settings_count; i++) {
		const struct setting *row = &job_settings[i];

		if (row->class == SC_PROCESS || row->not_described || row_equal(row, a, b))
			continue;
		kinds[row->kind].describe(buf, len, row, setting_base(row, a), setting_base(row, b));
	}
	return buf[0] != '\0';
}

#define SWAP(a, b) do { __typeof__(a) swap_tmp = (a); (a) = (b); (b) = swap_tmp; } while (0)

void conf_job_take_supervision(struct conf_job *dst, struct conf_job *src)
{
	/* moved, not copied, so that this cannot fail */
	SWAP(dst->file, src->file);
	/* the same process: the same ready form, so the whole of "more" may move */
	SWAP(dst->more, src->more);
	/* Copied, not swapped: a job being restarted takes the same src twice (its
	 * running and its next configuration). These are values, never pointers. */
	for (size_t i = 0; i < job_settings_count; i++) {
		const struct setting *row = &job_settings[i];

		if (row->class != SC_PROCESS && !row->in_more)
			memcpy(SETTING_FIELD(row, dst), SETTING_CFIELD(row, src), row->size);
	}
	dst->line = src->line;
}

bool conf_job_limits_differ(const struct conf_job *a, const struct conf_job *b)
{
	for (size_t i = 0; i < job_settings_count; i++)
		if (job_settings[i].class == SC_LIMIT && !row_equal(&job_settings[i], a, b))
			return true;
	return false;
}

bool conf_job_has_limits(const struct conf_job *job, unsigned *mask)
{
	*mask = 0;
	for (size_t i = 0; i < job_settings_count; i++) {
		const struct setting *row = &job_settings[i];

		if (row->class == SC_LIMIT && !is_default(row, setting_base(row, job)))
			*mask |= row->controllers;
	}
	return *mask != 0;
}

/* What write puts in a stream, as a malloc'd string; NULL on ENOMEM. */
static char *written(void (*write)(FILE *f, const struct conf_job *job),
		     const struct conf_job *job)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	write(f, job);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Called for every job of every status answer: no stream, one allocation. */
char *conf_job_command(const struct conf_job *job)
{
	return quote_words(job->argv);
}

/* Every setting that is not what a job block has before its lines are read. */
static void write_block(FILE *f, const struct conf_job *job)
{
	fputs("job {\n", f);
	for (size_t i = 0; i < job_settings_count; i++) {
		const struct setting *row = &job_settings[i];
		const void *base = setting_base(row, job);

		if (!is_default(row, base))
			kinds[row->kind].text(f, row, base);
	}
	fputs("}\n", f);
}

char *conf_job_text(const struct conf_job *job)
{
	return written(write_block, job);
}
