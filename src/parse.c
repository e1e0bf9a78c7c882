/* parse.c: the pmtr.conf language, from bytes to a struct conf, with every error. SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parse.h"
#include "util.h"

#define PARSE_MAX_FILE (4u << 20)	/* bytes; a bigger file is refused */
#define PARSE_MAX_ERRORS 50		/* then one "too many errors" */
#define PARSE_MAX_DURATION_MS (36500LL * 86400 * 1000)	/* 100 years */
#define SHOW_MAX 48			/* bytes of a word quoted in a message */
#define TRACE_MAX 240			/* bytes of a statement in a trace line */
#define NAME_MAX_LEN 128		/* bytes of a job name */

/* Job keywords, in the order of the keyword table below. */
enum kw {
	KW_NAME, KW_CMD, KW_DIR, KW_IN, KW_OUT, KW_ERR, KW_ENV, KW_ENV_FILE, KW_USER,
	KW_GROUP, KW_UMASK, KW_NICE, KW_CPU, KW_ULIMIT, KW_BOUNCE, KW_DEPENDS, KW_DISABLE,
	KW_WAIT, KW_ONCE, KW_ORDER, KW_STOP_TIMEOUT, KW_STOP_SIGNAL, KW_RESTART_DELAY,
	KW_ESSENTIAL, KW_READY_NOTIFY, KW_READY_TCP, KW_READY_CMD, KW_READY_TIMEOUT, KW_AFTER,
	KW_CHECK, KW_MEMORY_MAX, KW_MEMORY_HIGH, KW_PIDS_MAX, KW_CPU_MAX, KW_CPU_WEIGHT, KW_COUNT
};

struct word {
	char *s;		/* NUL-terminated, quotes and escapes removed */
	bool quoted;		/* some part of it was in double quotes */
};

/* An error of the job being parsed, held until the job ends so that it can be
 * prefixed with the job's name, which may come later in the block. */
struct pending {
	int line;
	bool bare;		/* no job name prefix (the message names the job) */
	char *text;
};

struct name_ent {
	char *name;
	const char *file;	/* where it was first seen */
	int line;
};

/* An include line of the main file. */
struct include {
	char *pattern;
	int line;
};

enum state { ST_GLOBAL, ST_JOB, ST_ULIMIT, ST_DEPENDS };

struct parser {
	const char *file;	/* the file being parsed */
	const char *main_file;
	bool included;		/* file is an included one: job blocks only */
	bool hash_only;		/* read and hash the files, parse nothing */
	const struct parse_opts *opts;
	void (*trace)(const char *fmt, ...);
	bool failed, too_many, oom;
	size_t n_errors;
	char **msgs;
	size_t n_msgs;
	char **warnings;
	size_t n_warnings;

	struct include *includes;
	size_t n_includes;
	struct parse_input *input;	/* what was read; never NULL while parsing */

	struct conf *conf;
	size_t jobs_cap;
	int report_line, listen_line;

	/* the line being parsed */
	int line;
	char *scratch;
	size_t scratch_cap;
	struct word *words;
	size_t n_words, words_cap;

	/* the job being parsed */
	enum state state;
	struct conf_job *job;
	int block_line;
	bool pending_brace;
	bool broken_line;	/* a line of the job was unreadable */
	int kw_line[KW_COUNT];
	int ulimit_line[RLIM_NLIMITS];
	struct pending pend[PARSE_MAX_ERRORS];
	size_t n_pend;

	/* every job name seen, for duplicates: open addressing, power of 2 */
	struct name_ent *names;
	size_t names_cap, n_names;
};

/* ---- messages ---- */

/* Quote a word for a message: printable ASCII as is, the rest as \xHH, cut
 * after SHOW_MAX bytes. */
static const char *show(const char *s, char *buf, size_t size)
{
	size_t o = 0, i;

	buf[o++] = '"';
	for (i = 0; i < SHOW_MAX && s[i] && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		}
	}
	if (s[i]) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

#define SHOWBUF (SHOW_MAX * 4 + 16)

static void add_to(struct parser *p, char ***v, size_t *n, char *msg)
{
	char **bigger;

	if (!msg) {
		p->oom = true;
		return;
	}
	bigger = realloc(*v, (*n + 1) * sizeof(**v));
	if (!bigger) {
		free(msg);
		p->oom = true;
		return;
	}
	*v = bigger;
	(*v)[(*n)++] = msg;
}

static void add_msg(struct parser *p, char *msg)
{
	add_to(p, &p->msgs, &p->n_msgs, msg);
}

static void emit(struct parser *p, int line, const char *job_name, const char *text)
{
	char *msg;

	if (asprintf(&msg, "%s:%d: %s%s%s%s", p->file, line, job_name ? "job \"" : "",
		     job_name ? job_name : "", job_name ? "\": " : "", text) < 0)
		msg = NULL;
	add_msg(p, msg);
}

static void file_error(struct parser *p, const char *text)
{
	char *msg;

	p->failed = true;
	if (asprintf(&msg, "%s: %s", p->file, text) < 0)
		msg = NULL;
	add_msg(p, msg);
}

__attribute__((format(printf, 3, 4)))
static void file_warning(struct parser *p, const char *file, const char *fmt, ...)
{
	va_list ap;
	char *text, *msg = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r >= 0 && asprintf(&msg, "%s: warning: %s", file, text) < 0)
		msg = NULL;
	if (r >= 0)
		free(text);
	add_to(p, &p->warnings, &p->n_warnings, msg);
}

/* Report an error at line. Inside a job it waits for the end of the job. */
__attribute__((format(printf, 4, 5)))
static void error_at(struct parser *p, int line, bool bare, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int r;

	p->failed = true;
	if (p->n_errors >= PARSE_MAX_ERRORS) {
		p->too_many = true;
		return;
	}
	p->n_errors++;
	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		p->oom = true;
		return;
	}
	if (p->job) {
		p->pend[p->n_pend].line = line;
		p->pend[p->n_pend].bare = bare;
		p->pend[p->n_pend].text = text;
		p->n_pend++;
		return;
	}
	emit(p, line, NULL, text);
	free(text);
}

#define bad(p, ...) error_at((p), (p)->line, false, __VA_ARGS__)

/* ---- value syntaxes ---- */

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

/* ---- building jobs ---- */

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

static char *copy_str(struct parser *p, const char *s)
{
	char *d = strdup(s);

	if (!d)
		p->oom = true;
	return d;
}

/* Append to an array whose capacity is the next power of two of its length. */
static bool push_str(struct parser *p, char ***v, size_t *n, const char *s)
{
	if ((*n & (*n - 1)) == 0) {
		size_t cap = *n ? *n * 2 : 1;
		char **bigger = realloc(*v, cap * sizeof(**v));

		if (!bigger) {
			p->oom = true;
			return false;
		}
		*v = bigger;
	}
	(*v)[*n] = copy_str(p, s);
	if (!(*v)[*n])
		return false;
	(*n)++;
	return true;
}

/* Where a job name was first seen, or NULL after recording it here. */
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
	p->names[i].name = copy_str(p, name);
	if (p->names[i].name) {
		p->names[i].file = p->file;
		p->names[i].line = p->line;
		p->n_names++;
	}
	return 0;
}

static void job_start(struct parser *p)
{
	struct conf_job *job = calloc(1, sizeof(*job));

	if (!job) {
		p->oom = true;
		return;
	}
	job->stop_timeout_ms = CONF_DEFAULT_STOP_TIMEOUT_MS;
	job->restart_delay_ms = CONF_DEFAULT_RESTART_DELAY_MS;
	job->stop_signal = SIGTERM;
	job->umask = CONF_DEFAULT_UMASK;
	job->line = p->line;
	p->job = job;
	p->state = ST_JOB;
	p->n_pend = 0;
	p->pending_brace = false;
	p->broken_line = false;
	memset(p->kw_line, 0, sizeof(p->kw_line));
	memset(p->ulimit_line, 0, sizeof(p->ulimit_line));
}

/* The job ends (at its "}", at a new "job {", or at the end of the file):
 * report what it lacks and its held errors in line order, then keep it if
 * the file has no error so far. */
static void job_end(struct parser *p, bool closed)
{
	struct conf_job *job = p->job;

	if (!job)
		return;
	if (p->state == ST_ULIMIT || p->state == ST_DEPENDS)
		error_at(p, p->block_line, false, "block opened here is never closed");
	p->job = NULL;		/* from here, errors are reported at once */
	if (!closed)
		error_at(p, job->line, false, "block opened here is never closed");
	/* a line that could not be read may have held the name or cmd */
	if (!job->name && !p->kw_line[KW_NAME] && !p->broken_line)
		error_at(p, job->line, false, "job has no name");
	if (!job->argv && !p->kw_line[KW_CMD] && !p->broken_line) {
		if (job->name)
			error_at(p, job->line, false, "job \"%s\" has no cmd", job->name);
		else
			error_at(p, job->line, false, "job has no cmd");
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
		emit(p, p->pend[i].line, p->pend[i].bare ? NULL : job->name, p->pend[i].text);
		free(p->pend[i].text);
	}
	p->n_pend = 0;
	p->state = ST_GLOBAL;
	p->pending_brace = false;
	/* once the file has an error no conf is returned: keep nothing */
	if (p->failed || p->oom) {
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
	if (p->included && !(job->file = copy_str(p, p->file))) {
		conf_job_free(job);
		return;
	}
	p->conf->jobs[p->conf->n_jobs++] = job;
}

/* ---- statements ---- */

static bool is_word(const struct word *w, const char *s)
{
	return strcmp(w->s, s) == 0;
}

static bool is_brace(const struct word *w, const char *brace)
{
	return !w->quoted && strcmp(w->s, brace) == 0;
}

/* Check the argument count of a keyword; false (and reported) when wrong. */
static bool nargs(struct parser *p, const char *kw, struct word *args, size_t n,
		  size_t min, size_t max)
{
	char b[SHOWBUF];

	if (n < min) {
		bad(p, "missing argument for %s", kw);
		return false;
	}
	if (n > max) {
		bad(p, "extra argument %s for %s", show(args[max].s, b, sizeof(b)), kw);
		return false;
	}
	return true;
}

static void no_extra(struct parser *p, struct word *w, size_t n, const char *after)
{
	char b[SHOWBUF];

	if (n > 0) {
		bad(p, "extra argument %s after \"%s\"", show(w[0].s, b, sizeof(b)), after);
		p->broken_line = true;	/* those words may have named the job */
	}
}

static bool is_abs(const char *s)
{
	return s[0] == '/';
}

/* -X VALUE pairs of a ulimit statement or of a line of a ulimit block. */
static void ulimit_pairs(struct parser *p, struct word *w, size_t n)
{
	struct conf_job *job = p->job;
	char b[SHOWBUF];

	for (size_t i = 0; i < n; i += 2) {
		const char *flag = w[i].s;
		int res = -1;
		rlim_t value;

		if (flag[0] != '-') {
			bad(p, "expected a ulimit flag, found %s", show(flag, b, sizeof(b)));
			return;
		}
		if (flag[1] && !flag[2])
			res = parse_ulimit_flag(flag[1]);
		if (res < 0) {
			show(flag, b, sizeof(b));
			b[strlen(b) - 1] = '\0';	/* -z, not "-z" */
			bad(p, "unknown ulimit flag %s", b + 1);
			continue;
		}
		if (i + 1 >= n) {
			bad(p, "missing value for ulimit %s", flag);
			return;
		}
		if (parse_ulimit_value(w[i + 1].s, &value) < 0) {
			bad(p, "bad ulimit value %s for %s", show(w[i + 1].s, b, sizeof(b)),
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
		if (!is_abs(w[i].s)) {
			bad(p, "depends file %s must be an absolute path",
			    show(w[i].s, b, sizeof(b)));
			continue;
		}
		if (!push_str(p, &p->job->depends, &p->job->n_depends, w[i].s))
			return;
	}
}

/* Words of a block line, up to a "}" which ends the block. */
static void block_words(struct parser *p, struct word *w, size_t n)
{
	size_t end = 0;

	while (end < n && !is_brace(&w[end], "}"))
		end++;
	if (p->state == ST_ULIMIT)
		ulimit_pairs(p, w, end);
	else
		depends_files(p, w, end);
	if (end < n) {
		p->state = ST_JOB;
		no_extra(p, w + end + 1, n - end - 1, "}");
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

static void set_duration(struct parser *p, const char *kw, const char *text,
			 int64_t *out, bool positive)
{
	char b[SHOWBUF];
	int64_t ms;

	if (parse_duration(text, &ms) < 0)
		bad(p, "bad time %s for %s", show(text, b, sizeof(b)), kw);
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
	if (!is_abs(text)) {
		bad(p, "%s must be an absolute path%s", kw, syslog_ok ? " or syslog" : "");
		return;
	}
	*out = copy_str(p, text);
}

/* ---- job keywords: one handler each, called with the argument count checked ---- */

typedef void keyword_handler(struct parser *p, struct conf_job *job, struct word *a,
			     size_t na);

static void kw_name(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	const struct name_ent *first;
	char b[SHOWBUF];

	(void)na;
	if (!valid_name(a[0].s)) {
		bad(p, "bad job name %s: use letters, digits and .-_@:+ only",
		    show(a[0].s, b, sizeof(b)));
		return;
	}
	if (strlen(a[0].s) > NAME_MAX_LEN) {
		bad(p, "job name %s is longer than %d characters", show(a[0].s, b, sizeof(b)),
		    NAME_MAX_LEN);
		return;
	}
	first = name_seen(p, a[0].s);
	if (first && first->file == p->file)
		error_at(p, p->line, true, "duplicate job name \"%s\" (first at line %d)",
			 a[0].s, first->line);
	else if (first)
		error_at(p, p->line, true, "duplicate job name \"%s\" (first at %s:%d)",
			 a[0].s, first->file, first->line);
	job->name = copy_str(p, a[0].s);
}

static void kw_cmd(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	if (!is_abs(a[0].s)) {
		bad(p, "cmd must be an absolute path");
		return;
	}
	job->argv = pack_words(p, a, na);
}

static void kw_dir(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)na;
	set_path(p, "dir", a[0].s, &job->dir, false);
}

static void kw_in(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)na;
	set_path(p, "in", a[0].s, &job->in, false);
}

static void kw_out(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)na;
	set_path(p, "out", a[0].s, &job->out, true);
}

static void kw_err(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)na;
	set_path(p, "err", a[0].s, &job->err, true);
}

static void kw_env(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	char b[SHOWBUF];

	(void)na;
	if (a[0].s[0] == '=' || !strchr(a[0].s, '=')) {
		bad(p, "env %s must be VAR=VALUE", show(a[0].s, b, sizeof(b)));
		return;
	}
	push_str(p, &job->env, &job->n_env, a[0].s);
}

static void kw_env_file(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)na;
	set_path(p, "env file", a[0].s, &job->env_file, false);
}

static void kw_user(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)na;
	if (!a[0].s[0]) {
		bad(p, "user must not be empty");
		return;
	}
	job->user = copy_str(p, a[0].s);
}

static void kw_group(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)na;
	if (!a[0].s[0]) {
		bad(p, "group must not be empty");
		return;
	}
	job->group = copy_str(p, a[0].s);
}

static void kw_umask(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	char b[SHOWBUF];

	(void)na;
	if (parse_umask(a[0].s, &job->umask) < 0)
		bad(p, "bad umask %s (expected octal digits, at most 0777)",
		    show(a[0].s, b, sizeof(b)));
}

static void kw_nice(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	char b[SHOWBUF];

	(void)na;
	if (parse_int(a[0].s, -20, 20, &job->nice) < 0) {
		bad(p, "bad number %s for nice (expected -20 to 20)", show(a[0].s, b, sizeof(b)));
		return;
	}
	job->has_nice = true;
}

static void kw_cpu(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	char b[SHOWBUF];
	cpu_set_t set;

	(void)na;
	if (parse_cpus(a[0].s, &set) < 0) {
		bad(p, "bad cpu list %s", show(a[0].s, b, sizeof(b)));
		return;
	}
	job->cpus = malloc(sizeof(cpu_set_t));
	if (!job->cpus) {
		p->oom = true;
		return;
	}
	*job->cpus = set;
}

static void kw_ulimit(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)job;
	if (is_brace(&a[0], "{")) {
		p->state = ST_ULIMIT;
		p->block_line = p->line;
		block_words(p, a + 1, na - 1);
	} else {
		ulimit_pairs(p, a, na);
	}
}

static void kw_depends(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)job;
	if (na < 1 || !is_brace(&a[0], "{")) {
		bad(p, "expected \"{\" after depends");
		return;
	}
	p->state = ST_DEPENDS;
	p->block_line = p->line;
	block_words(p, a + 1, na - 1);
}

static void kw_bounce(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)na;
	set_duration(p, "bounce every", a[0].s, &job->bounce_ms, true);
}

static void kw_stop_timeout(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)na;
	set_duration(p, "stop timeout", a[0].s, &job->stop_timeout_ms, false);
}

static void kw_stop_signal(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	char b[SHOWBUF];
	int sig = util_parse_signal(a[0].s);

	(void)na;
	if (sig < 0)
		bad(p, "unknown signal %s for stop signal", show(a[0].s, b, sizeof(b)));
	else
		job->stop_signal = sig;
}

static void kw_restart_delay(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)na;
	set_duration(p, "restart delay", a[0].s, &job->restart_delay_ms, false);
}

static void kw_disable(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)p, (void)a, (void)na;
	job->disabled = true;
}

static void kw_wait(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)p, (void)a, (void)na;
	job->wait = true;
}

static void kw_once(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)p, (void)a, (void)na;
	job->once = true;
}

static void kw_essential(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	(void)p, (void)a, (void)na;
	job->essential = true;
}

static void kw_order(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	char b[SHOWBUF];

	(void)na;
	if (parse_int(a[0].s, INT_MIN, INT_MAX, &job->order) < 0)
		bad(p, "bad number %s for order", show(a[0].s, b, sizeof(b)));
}

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

/* ready notify, tcp and cmd are one setting in three forms. */
static bool ready_given(struct parser *p, struct conf_job *job)
{
	static const enum kw forms[] = { KW_READY_NOTIFY, KW_READY_TCP, KW_READY_CMD };

	if (CONF_MORE(job)->ready == CONF_READY_STARTED)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++)
		if (p->kw_line[forms[i]] && p->kw_line[forms[i]] != p->line) {
			bad(p, "ready given twice (first at line %d)", p->kw_line[forms[i]]);
			break;
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
	if (!is_abs(a[0].s)) {
		bad(p, "the command of %s must be an absolute path", kw);
		return NULL;
	}
	return pack_words(p, a, na);
}

static void kw_ready_notify(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);

	if (!more)
		return;
	(void)a, (void)na;
	if (!ready_given(p, job))
		more->ready = CONF_READY_NOTIFY;
}

static void kw_ready_tcp(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);
	char b[SHOWBUF], host[64];
	int port;

	if (!more)
		return;
	(void)na;
	if (ready_given(p, job))
		return;
	if (parse_host_port(a[0].s, host, sizeof(host), &port) < 0) {
		bad(p, "bad address %s for ready tcp (expected [HOST:]PORT, HOST a numeric "
		    "IPv4 or [IPv6] address)", show(a[0].s, b, sizeof(b)));
		return;
	}
	more->ready = CONF_READY_TCP;
	more->ready_host = copy_str(p, host);
	more->ready_port = port;
}

static void kw_ready_cmd(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);

	if (!more)
		return;
	if (ready_given(p, job))
		return;
	more->ready_argv = command_words(p, "ready cmd", a, na);
	if (more->ready_argv)
		more->ready = CONF_READY_CMD;
}

static void kw_ready_timeout(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);

	if (!more)
		return;
	(void)na;
	set_duration(p, "ready timeout", a[0].s, &more->ready_timeout_ms, true);
}

static void kw_after(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);
	char b[SHOWBUF];

	if (!more)
		return;
	if (!more->after_line)
		more->after_line = p->line;
	for (size_t i = 0; i < na; i++) {
		if (!valid_name(a[i].s) || strlen(a[i].s) > NAME_MAX_LEN) {
			bad(p, "bad job name %s after after", show(a[i].s, b, sizeof(b)));
			continue;
		}
		push_str(p, &more->after, &more->n_after, a[i].s);
	}
}

/* check [every TIME] [timeout TIME] [retries N] cmd PATH [ARG...] */
static void kw_check(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);
	char b[SHOWBUF];
	size_t i = 0;

	if (!more)
		return;
	while (i < na && !is_word(&a[i], "cmd")) {
		size_t errors_before = p->n_errors;
		int n;

		if (i + 1 == na) {
			bad(p, "check %s needs a value", show(a[i].s, b, sizeof(b)));
			return;
		}
		if (is_word(&a[i], "every")) {
			set_duration(p, "check every", a[i + 1].s, &more->check_every_ms, true);
		} else if (is_word(&a[i], "timeout")) {
			set_duration(p, "check timeout", a[i + 1].s, &more->check_timeout_ms, true);
		} else if (is_word(&a[i], "retries")) {
			if (parse_int(a[i + 1].s, 1, 100, &n) < 0)
				bad(p, "bad number %s for check retries (expected 1 to 100)",
				    show(a[i + 1].s, b, sizeof(b)));
			else
				more->check_retries = (unsigned)n;
		} else {
			bad(p, "unknown check setting %s (expected every, timeout, retries or cmd)",
			    show(a[i].s, b, sizeof(b)));
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
	more->check_argv = command_words(p, "check", a + i + 1, na - i - 1);
}

static void set_size(struct parser *p, const char *kw, const char *text, uint64_t *out)
{
	char b[SHOWBUF];

	if (parse_size(text, out) < 0)
		bad(p, "bad size %s for %s (expected a number with K, M, G or T, or infinity)",
		    show(text, b, sizeof(b)), kw);
}

static void kw_memory_max(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);

	if (!more)
		return;
	(void)na;
	set_size(p, "memory max", a[0].s, &more->memory_max);
}

static void kw_memory_high(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);

	if (!more)
		return;
	(void)na;
	set_size(p, "memory high", a[0].s, &more->memory_high);
}

static void kw_pids_max(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);
	char b[SHOWBUF];

	if (!more)
		return;
	(void)na;
	if (strcmp(a[0].s, "infinity") == 0)
		more->pids_max = CONF_LIMIT_INFINITY;
	else if (util_parse_u64(a[0].s, 4194304, &more->pids_max) < 0 || !more->pids_max)
		bad(p, "bad number %s for pids max (expected 1 or more, or infinity)",
		    show(a[0].s, b, sizeof(b)));
}

static void kw_cpu_max(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);
	char b[SHOWBUF];

	if (!more)
		return;
	(void)na;
	if (parse_percent(a[0].s, &more->cpu_max_percent) < 0)
		bad(p, "bad percent %s for cpu max (expected 1%% to 100000%%, or infinity)",
		    show(a[0].s, b, sizeof(b)));
}

static void kw_cpu_weight(struct parser *p, struct conf_job *job, struct word *a, size_t na)
{
	struct conf_job_more *more = more_of(p, job);
	char b[SHOWBUF];
	int n;

	if (!more)
		return;
	(void)na;
	if (parse_int(a[0].s, 1, 10000, &n) < 0)
		bad(p, "bad number %s for cpu weight (expected 1 to 10000)", show(a[0].s, b, sizeof(b)));
	else
		more->cpu_weight = (uint32_t)n;
}

#define ANY SIZE_MAX

/* A keyword is its words, how many arguments it takes, and its handler. Where
 * two keywords share a first word ("stop timeout", "stop signal"; "env file",
 * "env VAR=VALUE"), the one with a matching second word wins, else the one with
 * none. Repeatable ones may appear more than once in a job. */
static const struct keyword {
	const char *word;	/* first word */
	const char *second;	/* required second word, or NULL */
	const char *display;	/* how messages name it */
	bool repeatable;
	size_t min_args, max_args;
	keyword_handler *handle;
} keywords[KW_COUNT] = {
	[KW_NAME] = { "name", NULL, "name", false, 1, 1, kw_name },
	[KW_CMD] = { "cmd", NULL, "cmd", false, 1, ANY, kw_cmd },
	[KW_DIR] = { "dir", NULL, "dir", false, 1, 1, kw_dir },
	[KW_IN] = { "in", NULL, "in", false, 1, 1, kw_in },
	[KW_OUT] = { "out", NULL, "out", false, 1, 1, kw_out },
	[KW_ERR] = { "err", NULL, "err", false, 1, 1, kw_err },
	[KW_ENV] = { "env", NULL, "env", true, 1, 1, kw_env },
	[KW_ENV_FILE] = { "env", "file", "env file", false, 1, 1, kw_env_file },
	[KW_USER] = { "user", NULL, "user", false, 1, 1, kw_user },
	[KW_GROUP] = { "group", NULL, "group", false, 1, 1, kw_group },
	[KW_UMASK] = { "umask", NULL, "umask", false, 1, 1, kw_umask },
	[KW_NICE] = { "nice", NULL, "nice", false, 1, 1, kw_nice },
	[KW_CPU] = { "cpu", NULL, "cpu", false, 1, 1, kw_cpu },
	[KW_ULIMIT] = { "ulimit", NULL, "ulimit", true, 1, ANY, kw_ulimit },
	[KW_BOUNCE] = { "bounce", "every", "bounce every", false, 1, 1, kw_bounce },
	[KW_DEPENDS] = { "depends", NULL, "depends", true, 0, ANY, kw_depends },
	[KW_DISABLE] = { "disable", NULL, "disable", false, 0, 0, kw_disable },
	[KW_WAIT] = { "wait", NULL, "wait", false, 0, 0, kw_wait },
	[KW_ONCE] = { "once", NULL, "once", false, 0, 0, kw_once },
	[KW_ORDER] = { "order", NULL, "order", false, 1, 1, kw_order },
	[KW_STOP_TIMEOUT] = { "stop", "timeout", "stop timeout", false, 1, 1, kw_stop_timeout },
	[KW_STOP_SIGNAL] = { "stop", "signal", "stop signal", false, 1, 1, kw_stop_signal },
	[KW_RESTART_DELAY] = { "restart", "delay", "restart delay", false, 1, 1,
			       kw_restart_delay },
	[KW_ESSENTIAL] = { "essential", NULL, "essential", false, 0, 0, kw_essential },
	[KW_READY_NOTIFY] = { "ready", "notify", "ready notify", false, 0, 0, kw_ready_notify },
	[KW_READY_TCP] = { "ready", "tcp", "ready tcp", false, 1, 1, kw_ready_tcp },
	[KW_READY_CMD] = { "ready", "cmd", "ready cmd", false, 1, ANY, kw_ready_cmd },
	[KW_READY_TIMEOUT] = { "ready", "timeout", "ready timeout", false, 1, 1,
			       kw_ready_timeout },
	[KW_AFTER] = { "after", NULL, "after", true, 1, ANY, kw_after },
	[KW_CHECK] = { "check", NULL, "check", false, 1, ANY, kw_check },
	[KW_MEMORY_MAX] = { "memory", "max", "memory max", false, 1, 1, kw_memory_max },
	[KW_MEMORY_HIGH] = { "memory", "high", "memory high", false, 1, 1, kw_memory_high },
	[KW_PIDS_MAX] = { "pids", "max", "pids max", false, 1, 1, kw_pids_max },
	[KW_CPU_MAX] = { "cpu", "max", "cpu max", false, 1, 1, kw_cpu_max },
	[KW_CPU_WEIGHT] = { "cpu", "weight", "cpu weight", false, 1, 1, kw_cpu_weight },
};

static bool is_job_keyword(const char *s)
{
	for (int k = 0; k < KW_COUNT; k++)
		if (strcmp(keywords[k].word, s) == 0)
			return true;
	return false;
}

/* The keyword a statement starts with; KW_COUNT when there is none. When the
 * first word is known but needs a second one that is not there, *seconds lists
 * the second words it could take ("timeout\" or \"signal"). */
static enum kw find_keyword(struct word *w, size_t n, char *seconds, size_t len)
{
	enum kw bare = KW_COUNT;

	if (seconds)
		seconds[0] = '\0';
	for (int k = 0; k < KW_COUNT; k++) {
		if (strcmp(keywords[k].word, w[0].s) != 0)
			continue;
		if (!keywords[k].second) {
			bare = (enum kw)k;
			continue;
		}
		if (n > 1 && is_word(&w[1], keywords[k].second))
			return (enum kw)k;
		if (seconds) {
			size_t used = strlen(seconds);

			snprintf(seconds + used, len - used, "%s%s", used ? "\" or \"" : "",
				 keywords[k].second);
		}
	}
	return bare;
}

static void job_statement(struct parser *p, struct word *w, size_t n)
{
	const struct keyword *kw;
	char b[SHOWBUF], seconds[64];
	struct word *a;
	size_t na;
	enum kw k;

	if (p->pending_brace) {
		p->pending_brace = false;
		if (n == 1 && is_brace(&w[0], "{"))
			return;		/* "job" then "{" alone: reported already */
	}
	if (is_brace(&w[0], "}")) {
		no_extra(p, w + 1, n - 1, "}");
		job_end(p, true);
		return;
	}
	if (is_word(&w[0], "job")) {
		/* a "}" is missing: end the open job there, start the next */
		job_end(p, false);
		job_start(p);
		if (n < 2 || !is_brace(&w[1], "{")) {
			bad(p, "expected \"{\" after job");
			p->pending_brace = true;
		} else {
			no_extra(p, w + 2, n - 2, "{");
		}
		return;
	}
	if (is_word(&w[0], "report") || is_word(&w[0], "listen") || is_word(&w[0], "include")) {
		bad(p, "%s is not allowed inside a job", is_word(&w[0], "report") ? "report to" :
		    is_word(&w[0], "listen") ? "listen on" : "include");
		return;
	}
	k = find_keyword(w, n, seconds, sizeof(seconds));
	if (k == KW_COUNT) {
		if (seconds[0])
			bad(p, "expected \"%s\" after %s", seconds, w[0].s);
		else
			bad(p, "unknown keyword %s", show(w[0].s, b, sizeof(b)));
		return;
	}
	kw = &keywords[k];
	a = w + (kw->second ? 2 : 1);
	na = n - (kw->second ? 2 : 1);
	if (p->kw_line[k] && !kw->repeatable) {
		bad(p, "%s given twice (first at line %d)", kw->display, p->kw_line[k]);
		return;
	}
	p->kw_line[k] = p->line;
	if (nargs(p, kw->display, a, na, kw->min_args, kw->max_args))
		kw->handle(p, p->job, a, na);
}

static void udp_statement(struct parser *p, struct word *w, size_t n, const char *second,
			  char **out, int *first)
{
	char kw[16], b[SHOWBUF];
	struct parse_udp spec;
	const char *why;

	snprintf(kw, sizeof(kw), "%s %s", w[0].s, second);
	if (n < 2 || !is_word(&w[1], second)) {
		bad(p, "expected \"%s\" after %s", second, w[0].s);
		return;
	}
	if (!nargs(p, kw, w + 2, n - 2, 1, 1))
		return;
	if (*first) {
		bad(p, "%s given twice (first at line %d)", kw, *first);
		return;
	}
	why = parse_udp_spec(w[2].s, out == &p->conf->report_to, &spec);
	if (why) {
		bad(p, "bad address %s for %s: %s", show(w[2].s, b, sizeof(b)), kw, why);
		return;
	}
	*first = p->line;
	*out = copy_str(p, w[2].s);
}

static bool has_wildcard(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

/* include PATTERN: recorded now, read once the main file is parsed. */
static void include_statement(struct parser *p, struct word *w, size_t n)
{
	const char *pattern, *slash;
	struct include *bigger;
	char *copy;

	if (!nargs(p, "include", w + 1, n - 1, 1, 1))
		return;
	pattern = w[1].s;
	slash = strrchr(pattern, '/');
	if (!is_abs(pattern)) {
		bad(p, "include must be an absolute path");
		return;
	}
	if (!slash[1]) {
		bad(p, "include must name files, not a directory (for example %s*.conf)", pattern);
		return;
	}
	if (has_wildcard(pattern, (size_t)(slash - pattern))) {
		bad(p, "include: wildcards are allowed in the file name only");
		return;
	}
	bigger = realloc(p->includes, (p->n_includes + 1) * sizeof(*bigger));
	if (!bigger || !(copy = copy_str(p, pattern))) {
		p->oom = true;
		if (bigger)
			p->includes = bigger;
		return;
	}
	p->includes = bigger;
	p->includes[p->n_includes].pattern = copy;
	p->includes[p->n_includes].line = p->line;
	p->n_includes++;
}

static void global_statement(struct parser *p, struct word *w, size_t n)
{
	char b[SHOWBUF];
	enum kw k;

	if (is_word(&w[0], "job")) {
		if (n < 2 || !is_brace(&w[1], "{")) {
			bad(p, "expected \"{\" after job");
			job_start(p);
			p->pending_brace = true;
			return;
		}
		job_start(p);
		if (p->job)
			no_extra(p, w + 2, n - 2, "{");
		return;
	}
	if (is_brace(&w[0], "}")) {
		bad(p, "\"}\" without an open block");
		return;
	}
	if (p->included && (is_word(&w[0], "report") || is_word(&w[0], "listen") ||
			    is_word(&w[0], "include"))) {
		bad(p, "%s is only allowed in the main configuration file %s: an included "
		    "file holds job blocks only", is_word(&w[0], "report") ? "report to" :
		    is_word(&w[0], "listen") ? "listen on" : "include", p->main_file);
		return;
	}
	if (is_word(&w[0], "report")) {
		udp_statement(p, w, n, "to", &p->conf->report_to, &p->report_line);
		return;
	}
	if (is_word(&w[0], "listen")) {
		udp_statement(p, w, n, "on", &p->conf->listen_on, &p->listen_line);
		return;
	}
	if (is_word(&w[0], "include")) {
		include_statement(p, w, n);
		return;
	}
	k = find_keyword(w, n, NULL, 0);
	if (k != KW_COUNT) {
		bad(p, "%s is only allowed inside a job", keywords[k].display);
		return;
	}
	bad(p, "unknown keyword %s", show(w[0].s, b, sizeof(b)));
}

/* ---- lines ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool add_word(struct parser *p, char *s, bool quoted)
{
	if (p->n_words == p->words_cap) {
		size_t cap = p->words_cap ? p->words_cap * 2 : 16;
		struct word *bigger = realloc(p->words, cap * sizeof(*bigger));

		if (!bigger) {
			p->oom = true;
			return false;
		}
		p->words = bigger;
		p->words_cap = cap;
	}
	p->words[p->n_words].s = s;
	p->words[p->n_words].quoted = quoted;
	p->n_words++;
	return true;
}

/* Split a line into words: blanks separate, "#" starts a comment, double
 * quotes join (with \" and \\ escapes inside). -1 on an unterminated quote. */
static int split(struct parser *p, const char *line, size_t len)
{
	size_t i = 0;
	char *o;

	p->n_words = 0;
	if (len + 1 > p->scratch_cap) {
		char *bigger = realloc(p->scratch, len + 1);

		if (!bigger) {
			p->oom = true;
			return 0;
		}
		p->scratch = bigger;
		p->scratch_cap = len + 1;
	}
	o = p->scratch;
	while (i < len) {
		char *start;
		bool quoted = false;

		if (is_blank(line[i])) {
			i++;
			continue;
		}
		if (line[i] == '#')
			break;
		start = o;
		while (i < len && !is_blank(line[i]) && line[i] != '#') {
			if (line[i] != '"') {
				*o++ = line[i++];
				continue;
			}
			quoted = true;
			for (i++;; i++) {
				if (i >= len)
					return -1;
				if (line[i] == '"')
					break;
				if (line[i] == '\\' && i + 1 < len &&
				    (line[i + 1] == '"' || line[i + 1] == '\\'))
					i++;
				*o++ = line[i];
			}
			i++;
		}
		*o++ = '\0';
		if (!add_word(p, start, quoted))
			return 0;
	}
	return 0;
}

static void trace_statement(struct parser *p)
{
	char text[TRACE_MAX + 8], job[80] = "";
	size_t o = 0;

	if (!p->trace)
		return;
	for (size_t i = 0; i < p->n_words && o < TRACE_MAX; i++) {
		const char *s = p->words[i].s;
		bool q = !*s || strpbrk(s, " \t\"#") || p->words[i].quoted;

		if (i)
			text[o++] = ' ';
		if (q && o < TRACE_MAX)
			text[o++] = '"';
		for (; *s && o < TRACE_MAX; s++) {
			unsigned char c = (unsigned char)*s;

			if (q && (c == '"' || c == '\\') && o + 1 < TRACE_MAX)
				text[o++] = '\\';
			if (c >= 0x20 && c < 0x7f)
				text[o++] = (char)c;
			else
				text[o++] = '?';
		}
		if (q && o < TRACE_MAX)
			text[o++] = '"';
	}
	if (o >= TRACE_MAX) {
		memcpy(text + o, "...", 3);
		o += 3;
	}
	text[o] = '\0';
	if (p->job && p->job->name)
		snprintf(job, sizeof(job), "job %s: ", p->job->name);
	else if (p->job)
		snprintf(job, sizeof(job), "job at line %d: ", p->job->line);
	p->trace("%s:%d: %s%s%s", p->file, p->line, job,
		 p->state == ST_ULIMIT ? "ulimit block: " :
		 p->state == ST_DEPENDS ? "depends block: " : "", text);
}

static void parse_line(struct parser *p, const char *line, size_t len)
{
	struct word *w;
	size_t n;

	if (memchr(line, '\0', len)) {
		bad(p, "nul byte in line");
		p->broken_line = true;
		return;
	}
	if (split(p, line, len) < 0) {
		bad(p, "unterminated quote");
		p->broken_line = true;
		return;
	}
	if (p->oom || p->n_words == 0)
		return;
	w = p->words;
	n = p->n_words;
	/* in a ulimit or depends block, a line that starts with a job keyword
	 * means its "}" was forgotten */
	if ((p->state == ST_ULIMIT || p->state == ST_DEPENDS) &&
	    (is_job_keyword(w[0].s) || is_word(&w[0], "job"))) {
		error_at(p, p->block_line, false, "block opened here is never closed");
		p->state = ST_JOB;
	}
	trace_statement(p);
	switch (p->state) {
	case ST_GLOBAL:
		global_statement(p, w, n);
		break;
	case ST_JOB:
		job_statement(p, w, n);
		break;
	case ST_ULIMIT:
	case ST_DEPENDS:
		block_words(p, w, n);
		break;
	}
}

/* Lines of one file (main or included) into the parser's configuration. */
static void parse_buffer(struct parser *p, const char *buf, size_t len)
{
	size_t pos = 0;

	p->line = 0;
	p->state = ST_GLOBAL;
	if (len > PARSE_MAX_FILE) {
		file_error(p, "file too large");
		return;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;	/* a UTF-8 byte order mark some editors write */
	while (pos < len && !p->oom) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		p->line++;
		parse_line(p, buf + pos, end - pos);
		pos = end + 1;
	}
	if (p->job && !p->oom)
		job_end(p, false);
}

/* ---- included files ---- */

static void hash_in(struct parser *p, const void *data, size_t len)
{
	p->input->hash = util_hash(p->input->hash, data, len);
}

/* Why a file or directory pmtr would run jobs from as root is not safe: someone
 * other than pmtr's user owns it, or may write it. NULL when it is safe. */
static const char *unsafe(const struct stat *st, uid_t owner, char *buf, size_t len)
{
	if (st->st_uid != owner) {
		if (owner == 0)
			snprintf(buf, len, "owned by uid %u, not root", (unsigned)st->st_uid);
		else
			snprintf(buf, len, "owned by uid %u, not uid %u", (unsigned)st->st_uid,
				 (unsigned)owner);
		return buf;
	}
	if (st->st_mode & S_IWOTH)
		return "writable by others";
	if (st->st_mode & S_IWGRP)
		return "writable by its group";
	return NULL;
}

/* Check a file and the directory that holds it (where a link leads). Returns
 * what is wrong, written into why, or false when nothing is. */
static bool unsafe_file(const char *path, const struct stat *st, uid_t owner, char *why,
			size_t len)
{
	char real[PATH_MAX], reason[64];
	const char *r = unsafe(st, owner, reason, sizeof(reason));
	struct stat dir_st;
	char *slash;

	if (r) {
		snprintf(why, len, "it is %s", r);
		return true;
	}
	if (!realpath(path, real) || !(slash = strrchr(real, '/')))
		return false;	/* it was there a moment ago; reading it will tell */
	if (slash == real)
		slash++;
	*slash = '\0';
	if (stat(real, &dir_st) < 0 || !(r = unsafe(&dir_st, owner, reason, sizeof(reason))))
		return false;
	snprintf(why, len, "its directory %s is %s", real, r);
	return true;
}

static const char *input_add_file(struct parser *p, const char *path)
{
	struct parse_input *in = p->input;
	char **bigger = realloc(in->files, (in->n_files + 1) * sizeof(*bigger));
	char *copy;

	if (!bigger) {
		p->oom = true;
		return NULL;
	}
	in->files = bigger;
	copy = copy_str(p, path);
	if (copy)
		in->files[in->n_files++] = copy;
	return copy;
}

static bool already_read(const struct parser *p, const char *path)
{
	for (size_t i = 0; i < p->input->n_files; i++)
		if (strcmp(p->input->files[i], path) == 0)
			return true;
	return false;
}

static void read_included(struct parser *p, const char *path)
{
	char why[PATH_MAX + 64];
	struct stat st;
	size_t len;
	char *buf;

	hash_in(p, path, strlen(path) + 1);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* gone since the directory was read, a dangling link in the middle of a
		 * swap, or a directory: nothing to read */
		return;
	}
	hash_in(p, &st.st_mode, sizeof(st.st_mode));
	hash_in(p, &st.st_uid, sizeof(st.st_uid));
	p->file = input_add_file(p, path);
	if (!p->file)
		return;
	p->included = true;
	if (p->opts->check_owner && unsafe_file(path, &st, p->opts->owner, why, sizeof(why))) {
		char text[sizeof(why) + 64];

		snprintf(text, sizeof(text), "refused: %s (pmtr runs the jobs it holds as %s)",
			 why, p->opts->owner == 0 ? "root" : "this user");
		file_error(p, text);
		return;
	}
	buf = util_read_file(path, PARSE_MAX_FILE, &len);
	if (!buf) {
		if (errno == ENOMEM)
			p->oom = true;
		else
			file_error(p, errno == EFBIG ? "file too large" : strerror(errno));
		return;
	}
	hash_in(p, buf, len);
	if (!p->hash_only)
		parse_buffer(p, buf, len);
	free(buf);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that pattern matches, sorted; *n of them. NULL with *n 0 when
 * there are none (or the directory does not exist), and also on an error, which
 * is then reported at the include line. */
static char **matches(struct parser *p, const struct include *inc, const char *dir,
		      const char *pattern, size_t *n)
{
	char **v = NULL;
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	*n = 0;
	d = opendir(dir);
	if (!d) {
		if (errno != ENOENT && errno != ENOTDIR)
			error_at(p, inc->line, false, "include %s: cannot read %s: %s", inc->pattern,
				 dir, strerror(errno));
		return NULL;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fnmatch(pattern, de->d_name, FNM_PERIOD) != 0)
			continue;
		if (*n == cap) {
			size_t bigger_cap = cap ? cap * 2 : 16;
			char **bigger = realloc(v, bigger_cap * sizeof(*bigger));

			if (!bigger) {
				p->oom = true;
				break;
			}
			v = bigger;
			cap = bigger_cap;
		}
		if (!(v[*n] = copy_str(p, de->d_name)))
			break;
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), by_string);
	return v;
}

/* Every file each include line matches, in order: lexical within a pattern. */
static void read_includes(struct parser *p)
{
	for (size_t i = 0; i < p->n_includes && !p->oom; i++) {
		const struct include *inc = &p->includes[i];
		const char *slash = strrchr(inc->pattern, '/');
		char dir[PATH_MAX], path[PATH_MAX];
		size_t n;
		char **names;

		snprintf(dir, sizeof(dir), "%.*s", slash == inc->pattern ? 1 :
			 (int)(slash - inc->pattern), inc->pattern);
		hash_in(p, inc->pattern, strlen(inc->pattern) + 1);
		/* messages about the include line itself belong to the main file */
		p->file = p->main_file;
		p->included = false;
		names = matches(p, inc, dir, slash + 1, &n);
		for (size_t j = 0; j < n; j++) {
			if (!p->oom && snprintf(path, sizeof(path), "%s/%s",
						strcmp(dir, "/") == 0 ? "" : dir,
						names[j]) < (int)sizeof(path) &&
			    !already_read(p, path))
				read_included(p, path);
			free(names[j]);
		}
		free(names);
	}
	p->file = p->main_file;
	p->included = false;
}

static void record_patterns(struct parser *p)
{
	struct parse_input *in = p->input;

	if (!p->n_includes)
		return;
	in->patterns = calloc(p->n_includes, sizeof(*in->patterns));
	if (!in->patterns) {
		p->oom = true;
		return;
	}
	for (size_t i = 0; i < p->n_includes; i++) {
		in->patterns[i] = p->includes[i].pattern;
		p->includes[i].pattern = NULL;
	}
	in->n_patterns = p->n_includes;
}

/* ---- the whole set ---- */

struct ranked {
	struct conf_job *job;
	size_t seq;		/* position in reading order */
};

static int by_order(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->job->order != y->job->order)
		return x->job->order < y->job->order ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* By order, then main file first and each included file in reading order. */
static int sort_jobs(struct conf *conf)
{
	struct ranked *r;

	if (conf->n_jobs < 2)
		return 0;
	r = malloc(conf->n_jobs * sizeof(*r));
	if (!r)
		return -1;
	for (size_t i = 0; i < conf->n_jobs; i++)
		r[i] = (struct ranked){ conf->jobs[i], i };
	qsort(r, conf->n_jobs, sizeof(*r), by_order);
	for (size_t i = 0; i < conf->n_jobs; i++)
		conf->jobs[i] = r[i].job;
	free(r);
	return 0;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void parser_free(struct parser *p)
{
	if (p->job) {
		for (size_t i = 0; i < p->n_pend; i++)
			free(p->pend[i].text);
		conf_job_free(p->job);
	}
	for (size_t i = 0; i < p->names_cap; i++)
		free(p->names[i].name);
	free(p->names);
	for (size_t i = 0; i < p->n_includes; i++)
		free(p->includes[i].pattern);
	free(p->includes);
	free(p->scratch);
	free(p->words);
}

void parse_errors_free(struct parse_errors *errs)
{
	if (!errs)
		return;
	free_strs(errs->msgs, errs->n);
	free_strs(errs->warnings, errs->n_warnings);
	memset(errs, 0, sizeof(*errs));
}

void parse_input_free(struct parse_input *input)
{
	if (!input)
		return;
	free_strs(input->patterns, input->n_patterns);
	free_strs(input->files, input->n_files);
	memset(input, 0, sizeof(*input));
}

/* ---- the "after" graph: every name known, no cycle ---- */

struct job_ref {
	const char *name;
	size_t index;
};

static int by_ref_name(const void *a, const void *b)
{
	return strcmp(((const struct job_ref *)a)->name, ((const struct job_ref *)b)->name);
}

/* The jobs of the set sorted by name, to find one by name; NULL on ENOMEM. */
static struct job_ref *sorted_refs(struct parser *p)
{
	size_t n = p->conf->n_jobs;
	struct job_ref *refs = malloc((n ? n : 1) * sizeof(*refs));

	if (!refs) {
		p->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct job_ref){ p->conf->jobs[i]->name, i };
	qsort(refs, n, sizeof(*refs), by_ref_name);
	return refs;
}

static struct job_ref *find_ref(struct job_ref *refs, size_t n, const char *name)
{
	struct job_ref key = { name, 0 };

	return bsearch(&key, refs, n, sizeof(*refs), by_ref_name);
}

__attribute__((format(printf, 3, 4)))
static void after_error(struct parser *p, const struct conf_job *job, const char *fmt, ...)
{
	char *text;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		p->oom = true;
		return;
	}
	p->file = job->file ? job->file : p->main_file;
	error_at(p, CONF_MORE(job)->after_line, false, "job \"%s\": %s", job->name, text);
	free(text);
}

/* Prepend " -> name" (or just name, first) to the text that ends at *o. */
static void prepend(char **o, const char *name, bool arrow)
{
	size_t len = strlen(name);

	if (arrow) {
		*o -= 4;
		memcpy(*o, " -> ", 4);
	}
	*o -= len;
	memcpy(*o, name, len);
}

/* Say the cycle that the edge from job u to job v closes: u -> v -> ... -> u, the
 * jobs from v to u being the open path of the search (parent[] walks it back). */
static void say_cycle(struct parser *p, size_t u, size_t v, const size_t *parent)
{
	struct conf_job **jobs = p->conf->jobs;
	size_t len = 2 * strlen(jobs[u]->name) + 4;
	char *path, *o;

	for (size_t w = u; w != v; w = parent[w])
		len += strlen(jobs[parent[w]]->name) + 4;
	path = malloc(len + 1);
	if (!path) {
		p->oom = true;
		return;
	}
	o = path + len;
	*o = '\0';
	prepend(&o, jobs[u]->name, false);
	for (size_t w = u; w != v; w = parent[w])
		prepend(&o, jobs[parent[w]]->name, true);
	prepend(&o, jobs[u]->name, true);
	after_error(p, jobs[u], "after \"%s\" makes a cycle: %s", jobs[v]->name, o);
	free(path);
}

/* Depth first along "after": a job met again while its own search is open closes a
 * cycle. Iterative, so that a chain of 10,000 jobs needs no deep stack. */
static void find_cycles(struct parser *p, size_t *const *deps, const size_t *n_deps)
{
	size_t n = p->conf->n_jobs;
	unsigned char *color = calloc(n, 1);	/* 0 new, 1 on the path, 2 done */
	size_t *parent = calloc(n, sizeof(*parent)), *next = calloc(n, sizeof(*next));
	size_t *stack = calloc(n, sizeof(*stack));

	if (!color || !parent || !next || !stack) {
		p->oom = true;
		goto out;
	}
	for (size_t root = 0; root < n; root++) {
		size_t top = 0;

		if (color[root])
			continue;
		stack[top++] = root;
		color[root] = 1;
		while (top) {
			size_t u = stack[top - 1], v;

			if (next[u] == n_deps[u]) {
				color[u] = 2;
				top--;
				continue;
			}
			v = deps[u][next[u]++];
			if (color[v] == 1) {
				say_cycle(p, u, v, parent);
			} else if (!color[v]) {
				color[v] = 1;
				parent[v] = u;
				stack[top++] = v;
			}
		}
	}
out:
	free(color);
	free(parent);
	free(next);
	free(stack);
}

static void check_after(struct parser *p)
{
	struct conf_job **jobs = p->conf->jobs;
	size_t n = p->conf->n_jobs, n_edges = 0;
	struct job_ref *refs = NULL;
	size_t **deps = NULL, *n_deps = NULL, *all = NULL;
	bool known = true;

	for (size_t i = 0; i < n; i++)
		n_edges += CONF_MORE(jobs[i])->n_after;
	if (!n_edges)
		return;
	refs = sorted_refs(p);
	deps = calloc(n, sizeof(*deps));
	n_deps = calloc(n, sizeof(*n_deps));
	all = malloc(n_edges * sizeof(*all));
	if (!refs || !deps || !n_deps || !all) {
		p->oom = true;
		goto out;
	}
	n_edges = 0;
	for (size_t i = 0; i < n; i++) {
		deps[i] = all + n_edges;
		for (size_t a = 0; a < CONF_MORE(jobs[i])->n_after; a++) {
			const char *name = CONF_MORE(jobs[i])->after[a];
			struct job_ref *hit = find_ref(refs, n, name);

			if (!hit) {
				after_error(p, jobs[i], "after \"%s\": no such job", name);
				known = false;
			} else if (hit->index == i) {
				after_error(p, jobs[i], "after \"%s\": a job cannot wait for itself",
					    name);
				known = false;
			} else {
				deps[i][n_deps[i]++] = hit->index;
			}
		}
		n_edges += n_deps[i];
	}
	if (known)
		find_cycles(p, deps, n_deps);
out:
	p->file = p->main_file;
	free(refs);
	free(deps);
	free(n_deps);
	free(all);
}

/* Once the jobs are in start order: a wait job holds back every job after it, so
 * one that names such a job in "after" would wait for it for ever. */
static void check_wait_after(struct parser *p)
{
	struct conf_job **jobs = p->conf->jobs;
	size_t n = p->conf->n_jobs;
	struct job_ref *refs;

	for (size_t i = 0; i < n; i++)
		if (jobs[i]->wait && CONF_MORE(jobs[i])->n_after)
			goto check;
	return;
check:
	refs = sorted_refs(p);
	if (!refs)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct conf_job_more *more = CONF_MORE(jobs[i]);

		if (!jobs[i]->wait)
			continue;
		for (size_t a = 0; a < more->n_after; a++) {
			struct job_ref *hit = find_ref(refs, n, more->after[a]);

			if (hit && hit->index > i)
				after_error(p, jobs[i], "after \"%s\": it starts after this wait job, "
					    "which holds it back: both would wait for ever", more->after[a]);
		}
	}
	p->file = p->main_file;
	free(refs);
}

static struct conf *finish(struct parser *p, struct parse_errors *errs,
			   struct parse_input *input)
{
	struct conf *conf = p->conf;

	if (!p->oom && !p->failed && !p->hash_only)
		check_after(p);

	if (p->too_many) {
		p->file = p->main_file;
		file_error(p, "too many errors");
	}
	record_patterns(p);
	parser_free(p);
	if (!p->oom && !p->failed && sort_jobs(conf) < 0)
		p->oom = true;
	if (!p->oom && !p->failed)
		check_wait_after(p);
	if (input)
		*input = *p->input;
	else
		parse_input_free(p->input);
	if (p->oom) {
		free_strs(p->msgs, p->n_msgs);
		free_strs(p->warnings, p->n_warnings);
		conf_free(conf);
		if (input)
			parse_input_free(input);
		errno = ENOMEM;
		return NULL;
	}
	if (errs) {
		errs->msgs = p->msgs;
		errs->n = p->n_msgs;
		errs->warnings = p->warnings;
		errs->n_warnings = p->n_warnings;
	} else {
		free_strs(p->msgs, p->n_msgs);
		free_strs(p->warnings, p->n_warnings);
	}
	if (p->failed) {
		conf_free(conf);
		return NULL;
	}
	conf->report_to_line = p->report_line;
	conf->listen_on_line = p->listen_line;
	return conf;
}

static const struct parse_opts no_opts;

/* The main file's content (already read), then every file it includes. */
static struct conf *parse_set(const char *buf, size_t len, const char *name,
			      const struct parse_opts *opts, struct parse_errors *errs,
			      struct parse_input *input, struct parser *p)
{
	if (errs)
		memset(errs, 0, sizeof(*errs));
	p->file = p->main_file = name ? name : "-";
	p->opts = opts ? opts : &no_opts;
	p->trace = p->opts->trace;
	p->input->hash = UTIL_HASH_INIT;
	p->conf = calloc(1, sizeof(*p->conf));
	if (!p->conf) {
		parse_input_free(p->input);
		errno = ENOMEM;
		return NULL;
	}
	hash_in(p, buf, len);
	parse_buffer(p, buf, len);
	if (!p->oom)
		read_includes(p);
	return finish(p, errs, input);
}

struct conf *parse_conf(const char *buf, size_t len, const char *name,
			struct parse_errors *errs,
			void (*trace)(const char *fmt, ...))
{
	struct parse_opts opts = { .trace = trace };
	struct parse_input in = { 0 };
	struct parser p = { .input = &in };

	return parse_set(buf, len, name, &opts, errs, NULL, &p);
}

struct conf *parse_conf_set(const char *path, const struct parse_opts *opts,
			    struct parse_errors *errs, struct parse_input *input)
{
	struct parse_input in = { 0 };
	struct parser p = { .input = &in, .file = path, .main_file = path,
			    .opts = opts ? opts : &no_opts };
	struct stat st;
	char why[PATH_MAX + 64];
	struct conf *conf;
	size_t len;
	char *buf;

	if (input)
		memset(input, 0, sizeof(*input));
	buf = util_read_file(path, PARSE_MAX_FILE, &len);
	if (!buf) {
		int e = errno;

		if (errs)
			memset(errs, 0, sizeof(*errs));
		if (e == ENOMEM)
			return NULL;
		file_error(&p, e == EFBIG ? "file too large" : strerror(e));
		if (input)
			input->error = e;
		finish(&p, errs, NULL);
		errno = e;
		return NULL;
	}
	if (p.opts->check_owner && stat(path, &st) == 0 &&
	    unsafe_file(path, &st, p.opts->owner, why, sizeof(why)))
		file_warning(&p, path, "%s (pmtr runs the jobs it holds as %s)", why,
			     p.opts->owner == 0 ? "root" : "this user");
	conf = parse_set(buf, len, path, opts, errs, input, &p);
	free(buf);
	return conf;
}

bool parse_input_unchanged(const char *path, const struct parse_opts *opts,
			   const struct parse_input *last)
{
	struct parse_input in = { 0 };
	struct parser p = { .input = &in, .file = path, .main_file = path, .hash_only = true,
			    .opts = opts ? opts : &no_opts };
	bool unchanged = false;
	size_t len;
	char *buf;

	if (last->error || !(buf = util_read_file(path, PARSE_MAX_FILE, &len)))
		return false;
	in.hash = util_hash(UTIL_HASH_INIT, buf, len);
	free(buf);
	/* the same main file has the same include lines: the last reading's */
	p.includes = calloc(last->n_patterns ? last->n_patterns : 1, sizeof(*p.includes));
	if (p.includes) {
		for (size_t i = 0; i < last->n_patterns; i++)
			p.includes[i].pattern = last->patterns[i];
		p.n_includes = last->n_patterns;
		read_includes(&p);
		unchanged = !p.oom && in.hash == last->hash;
	}
	free(p.includes);
	free_strs(p.msgs, p.n_msgs);
	free_strs(p.warnings, p.n_warnings);
	parse_input_free(&in);
	return unchanged;
}

struct conf *parse_conf_file(const char *path, struct parse_errors *errs,
			     void (*trace)(const char *fmt, ...))
{
	struct parse_opts opts = { .trace = trace };

	return parse_conf_set(path, &opts, errs, NULL);
}
