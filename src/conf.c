/* conf.c: freeing and comparing parsed jobs (struct conf). SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"
#include "values.h"

static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

const struct conf_job_more conf_job_more_defaults = {
	.ready = CONF_READY_STARTED,
	.ready_timeout_ms = CONF_DEFAULT_READY_TIMEOUT_MS,
	.check_every_ms = CONF_DEFAULT_CHECK_EVERY_MS,
	.check_timeout_ms = CONF_DEFAULT_CHECK_TIMEOUT_MS,
	.check_retries = CONF_DEFAULT_CHECK_RETRIES,
};

void conf_job_more_free(struct conf_job_more *more)
{
	if (!more)
		return;
	free(more->ready_host);
	free(more->ready_argv);
	free_strv(more->after, more->n_after);
	free(more->check_argv);
	free(more);
}

void conf_job_free(struct conf_job *job)
{
	if (!job)
		return;
	free(job->name);
	free(job->argv);
	free(job->dir);
	free(job->in);
	free(job->out);
	free(job->err);
	free(job->user);
	free(job->group);
	free(job->env_file);
	free(job->file);
	free_strv(job->env, job->n_env);
	free_strv(job->depends, job->n_depends);
	free(job->cpus);
	free(job->ulimits);
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
	free(conf);
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

static bool same_ready(const struct conf_job_more *a, const struct conf_job_more *b)
{
	return a->ready == b->ready && str_eq(a->ready_host, b->ready_host) &&
	       a->ready_port == b->ready_port &&
	       strv_eq(a->ready_argv, strv_len(a->ready_argv), b->ready_argv, strv_len(b->ready_argv));
}

bool conf_job_same_process(const struct conf_job *a, const struct conf_job *b)
{
	if (a == b)
		return true;
	if (!a || !b)
		return false;
	if (!str_eq(a->name, b->name) || !str_eq(a->dir, b->dir) ||
	    !str_eq(a->in, b->in) || !str_eq(a->out, b->out) ||
	    !str_eq(a->err, b->err) || !str_eq(a->user, b->user) ||
	    !str_eq(a->group, b->group) || !str_eq(a->env_file, b->env_file) ||
	    a->umask != b->umask)
		return false;
	if (!strv_eq(a->argv, strv_len(a->argv), b->argv, strv_len(b->argv)))
		return false;
	/* How readiness is seen is part of the run: NOTIFY_SOCKET, a probe. */
	if (!same_ready(CONF_MORE(a), CONF_MORE(b)))
		return false;
	if (!strv_eq(a->env, a->n_env, b->env, b->n_env) ||
	    !strv_eq(a->depends, a->n_depends, b->depends, b->n_depends))
		return false;
	if (a->has_nice != b->has_nice || (a->has_nice && a->nice != b->nice))
		return false;
	if (!a->cpus != !b->cpus || (a->cpus && !CPU_EQUAL(a->cpus, b->cpus)))
		return false;
	if (a->n_ulimits != b->n_ulimits)
		return false;
	for (size_t i = 0; i < a->n_ulimits; i++)
		if (a->ulimits[i].resource != b->ulimits[i].resource ||
		    a->ulimits[i].value != b->ulimits[i].value)
			return false;
	return true;
}

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

static void append_ms(char *buf, size_t len, const char *what, int64_t a, int64_t b,
		      bool zero_is_off)
{
	char t[32];

	if (a == b)
		return;
	if (zero_is_off && b == 0)
		append(buf, len, "%s off", what);
	else
		append(buf, len, "%s %s", what, util_describe_ms(b, t, sizeof(t)));
}

static void append_flag(char *buf, size_t len, const char *what, bool a, bool b)
{
	if (a != b)
		append(buf, len, "%s%s", b ? "" : "no ", what);
}

bool conf_job_limits_differ(const struct conf_job *ja, const struct conf_job *jb)
{
	const struct conf_job_more *a = CONF_MORE(ja), *b = CONF_MORE(jb);

	return a->memory_max != b->memory_max || a->memory_high != b->memory_high ||
	       a->pids_max != b->pids_max || a->cpu_max_percent != b->cpu_max_percent ||
	       a->cpu_weight != b->cpu_weight;
}

bool conf_job_has_limits(const struct conf_job *j, unsigned *mask)
{
	const struct conf_job_more *job = CONF_MORE(j);

	*mask = (job->memory_max || job->memory_high ? 1u : 0) | (job->pids_max ? 2u : 0) |
		(job->cpu_max_percent || job->cpu_weight ? 4u : 0);
	return *mask != 0;
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

/* One limit of the "applied ..." line: its new value, or "none" once unset. */
static void append_limit(char *buf, size_t len, const char *what, uint64_t a, uint64_t b,
			 bool size)
{
	char t[32];

	if (a == b)
		return;
	if (!b)
		append(buf, len, "%s none", what);
	else if (size)
		append(buf, len, "%s %s", what, conf_size_text(b, t, sizeof(t)));
	else if (b == CONF_LIMIT_INFINITY)
		append(buf, len, "%s infinity", what);
	else
		append(buf, len, "%s %llu", what, (unsigned long long)b);
}

static bool same_check(const struct conf_job_more *a, const struct conf_job_more *b)
{
	return strv_eq(a->check_argv, strv_len(a->check_argv), b->check_argv,
		       strv_len(b->check_argv)) &&
	       a->check_every_ms == b->check_every_ms &&
	       a->check_timeout_ms == b->check_timeout_ms && a->check_retries == b->check_retries;
}

/* The settings of conf_job_more that pmtr alone uses, for the "applied" line. */
static void describe_more(char *buf, size_t len, const struct conf_job_more *a,
			  const struct conf_job_more *b)
{
	append_ms(buf, len, "ready timeout", a->ready_timeout_ms, b->ready_timeout_ms, false);
	if (!strv_eq(a->after, a->n_after, b->after, b->n_after))
		append(buf, len, "after%s", b->n_after ? "" : " none");
	if (!same_check(a, b))
		append(buf, len, "check%s", b->check_argv ? "" : " none");
	append_limit(buf, len, "memory max", a->memory_max, b->memory_max, true);
	append_limit(buf, len, "memory high", a->memory_high, b->memory_high, true);
	append_limit(buf, len, "pids max", a->pids_max, b->pids_max, false);
	if (a->cpu_max_percent != b->cpu_max_percent) {
		if (!b->cpu_max_percent)
			append(buf, len, "cpu max none");
		else if (b->cpu_max_percent == CONF_CPU_INFINITY)
			append(buf, len, "cpu max infinity");
		else
			append(buf, len, "cpu max %u%%", b->cpu_max_percent);
	}
	append_limit(buf, len, "cpu weight", a->cpu_weight, b->cpu_weight, false);
}

#define SWAP(a, b) do { __typeof__(a) swap_tmp = (a); (a) = (b); (b) = swap_tmp; } while (0)

bool conf_job_supervision_differs(const struct conf_job *a, const struct conf_job *b,
				  char *buf, size_t len)
{
	char sig[32];

	if (!len)
		return false;
	buf[0] = '\0';
	if (a->stop_signal != b->stop_signal)
		append(buf, len, "stop signal %s", util_signame(b->stop_signal, sig, sizeof(sig)));
	append_ms(buf, len, "stop timeout", a->stop_timeout_ms, b->stop_timeout_ms, false);
	append_ms(buf, len, "restart delay", a->restart_delay_ms, b->restart_delay_ms, false);
	append_ms(buf, len, "bounce every", a->bounce_ms, b->bounce_ms, true);
	if (a->order != b->order)
		append(buf, len, "order %d", b->order);
	append_flag(buf, len, "once", a->once, b->once);
	append_flag(buf, len, "wait", a->wait, b->wait);
	append_flag(buf, len, "essential", a->essential, b->essential);
	describe_more(buf, len, CONF_MORE(a), CONF_MORE(b));
	return buf[0] != '\0';
}

void conf_job_take_supervision(struct conf_job *dst, struct conf_job *src)
{
	/* moved, not copied, so that this cannot fail */
	SWAP(dst->file, src->file);
	/* the same process: the same ready form, so the whole of "more" may move */
	SWAP(dst->more, src->more);
	dst->stop_signal = src->stop_signal;
	dst->stop_timeout_ms = src->stop_timeout_ms;
	dst->restart_delay_ms = src->restart_delay_ms;
	dst->bounce_ms = src->bounce_ms;
	dst->order = src->order;
	dst->once = src->once;
	dst->wait = src->wait;
	dst->essential = src->essential;
	dst->disabled = src->disabled;
	dst->line = src->line;
}

static bool same_more(const struct conf_job_more *a, const struct conf_job_more *b)
{
	return a->ready_timeout_ms == b->ready_timeout_ms &&
	       strv_eq(a->after, a->n_after, b->after, b->n_after) && same_check(a, b) &&
	       a->memory_max == b->memory_max && a->memory_high == b->memory_high &&
	       a->pids_max == b->pids_max && a->cpu_max_percent == b->cpu_max_percent &&
	       a->cpu_weight == b->cpu_weight;
}

bool conf_job_equal(const struct conf_job *a, const struct conf_job *b)
{
	if (a == b)
		return true;
	if (!conf_job_same_process(a, b))
		return false;
	return a->stop_signal == b->stop_signal && a->stop_timeout_ms == b->stop_timeout_ms &&
	       a->restart_delay_ms == b->restart_delay_ms && a->bounce_ms == b->bounce_ms &&
	       a->disabled == b->disabled && a->once == b->once && a->wait == b->wait &&
	       a->essential == b->essential &&
	       same_more(CONF_MORE(a), CONF_MORE(b));
}

static bool needs_quotes(const char *arg)
{
	return !*arg || strpbrk(arg, " \t\r\v\f\"\\#") != NULL;
}

char *conf_job_command(const struct conf_job *job)
{
	size_t len = 1;
	char *text, *out;

	for (char **arg = job->argv; *arg; arg++) {
		len += strlen(*arg) * 2 + 3;	/* worst case: every byte escaped, quotes, blank */
	}
	text = malloc(len);
	if (!text)
		return NULL;
	out = text;
	for (char **arg = job->argv; *arg; arg++) {
		bool quote = needs_quotes(*arg);

		if (arg != job->argv)
			*out++ = ' ';
		if (quote)
			*out++ = '"';
		for (const char *c = *arg; *c; c++) {
			if (quote && (*c == '"' || *c == '\\'))
				*out++ = '\\';
			*out++ = *c;
		}
		if (quote)
			*out++ = '"';
	}
	*out = '\0';
	return text;
}

/* ---- a job written back as a configuration block ---- */

/* A word as the configuration would take it: in double quotes, with \" and \\,
 * when it holds anything that would split or end it. */
static void put_word(FILE *f, const char *w)
{
	if (!needs_quotes(w)) {
		fputs(w, f);
		return;
	}
	fputc('"', f);
	for (; *w; w++) {
		if (*w == '"' || *w == '\\')
			fputc('\\', f);
		fputc(*w, f);
	}
	fputc('"', f);
}

static void put_line(FILE *f, const char *kw, const char *value)
{
	if (!value)
		return;
	fprintf(f, "  %s ", kw);
	put_word(f, value);
	fputc('\n', f);
}

static void put_words(FILE *f, const char *kw, char *const *v)
{
	if (!v)
		return;
	fprintf(f, "  %s", kw);
	for (; *v; v++) {
		fputc(' ', f);
		put_word(f, *v);
	}
	fputc('\n', f);
}

static void put_limit(FILE *f, const char *kw, uint64_t v)
{
	if (v == CONF_LIMIT_INFINITY)
		fprintf(f, "  %s infinity\n", kw);
	else if (v)
		fprintf(f, "  %s %llu\n", kw, (unsigned long long)v);
}

static void put_cpus(FILE *f, const cpu_set_t *cpus)
{
	const char *sep = "";

	fputs("  cpu ", f);
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

static void put_ulimits(FILE *f, const struct conf_job *job)
{
	static const char flags[] = "cdefilmnqrstuv";

	for (size_t i = 0; i < job->n_ulimits; i++) {
		for (const char *fl = flags; *fl; fl++) {
			if (parse_ulimit_flag(*fl) != job->ulimits[i].resource)
				continue;
			if (job->ulimits[i].value == RLIM_INFINITY)
				fprintf(f, "  ulimit -%c infinity\n", *fl);
			else
				fprintf(f, "  ulimit -%c %llu\n", *fl,
					(unsigned long long)job->ulimits[i].value);
		}
	}
}

static void put_more(FILE *f, const struct conf_job_more *m)
{
	if (m->ready == CONF_READY_NOTIFY)
		fputs("  ready notify\n", f);
	else if (m->ready == CONF_READY_TCP)
		fprintf(f, strchr(m->ready_host, ':') ? "  ready tcp [%s]:%d\n" : "  ready tcp %s:%d\n",
			m->ready_host, m->ready_port);
	else if (m->ready == CONF_READY_CMD)
		put_words(f, "ready cmd", m->ready_argv);
	fprintf(f, "  ready timeout %lldms\n", (long long)m->ready_timeout_ms);
	if (m->n_after) {
		fputs("  after", f);
		for (size_t i = 0; i < m->n_after; i++)
			fprintf(f, " %s", m->after[i]);
		fputc('\n', f);
	}
	if (m->check_argv) {
		fprintf(f, "  check every %lldms timeout %lldms retries %u cmd",
			(long long)m->check_every_ms, (long long)m->check_timeout_ms,
			m->check_retries);
		for (char *const *v = m->check_argv; *v; v++) {
			fputc(' ', f);
			put_word(f, *v);
		}
		fputc('\n', f);
	}
	put_limit(f, "memory max", m->memory_max);
	put_limit(f, "memory high", m->memory_high);
	put_limit(f, "pids max", m->pids_max);
	if (m->cpu_max_percent == CONF_CPU_INFINITY)
		fputs("  cpu max infinity\n", f);
	else if (m->cpu_max_percent)
		fprintf(f, "  cpu max %u%%\n", m->cpu_max_percent);
	if (m->cpu_weight)
		fprintf(f, "  cpu weight %u\n", m->cpu_weight);
}

char *conf_job_text(const struct conf_job *job)
{
	char *text = NULL, *cmd = conf_job_command(job);
	size_t len;
	FILE *f;

	if (!cmd)
		return NULL;
	f = open_memstream(&text, &len);
	if (!f) {
		free(cmd);
		return NULL;
	}
	fprintf(f, "job {\n  name %s\n  cmd %s\n", job->name, cmd);
	free(cmd);
	put_line(f, "dir", job->dir);
	put_line(f, "in", job->in);
	put_line(f, "out", job->out);
	put_line(f, "err", job->err);
	for (size_t i = 0; i < job->n_env; i++)
		put_line(f, "env", job->env[i]);
	put_line(f, "env file", job->env_file);
	put_line(f, "user", job->user);
	put_line(f, "group", job->group);
	fprintf(f, "  umask %03o\n", (unsigned)job->umask);
	if (job->has_nice)
		fprintf(f, "  nice %d\n", job->nice);
	if (job->cpus)
		put_cpus(f, job->cpus);
	put_ulimits(f, job);
	if (job->n_depends) {
		fputs("  depends {", f);
		for (size_t i = 0; i < job->n_depends; i++) {
			fputc(' ', f);
			put_word(f, job->depends[i]);
		}
		fputs(" }\n", f);
	}
	if (job->bounce_ms)
		fprintf(f, "  bounce every %lldms\n", (long long)job->bounce_ms);
	fprintf(f, "  stop timeout %lldms\n  stop signal %d\n  restart delay %lldms\n",
		(long long)job->stop_timeout_ms, job->stop_signal,
		(long long)job->restart_delay_ms);
	fprintf(f, "  order %d\n%s%s%s%s", job->order, job->disabled ? "  disable\n" : "",
		job->wait ? "  wait\n" : "", job->once ? "  once\n" : "",
		job->essential ? "  essential\n" : "");
	put_more(f, CONF_MORE(job));
	fputs("}\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
