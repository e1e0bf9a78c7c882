/* parse.c: the pmtr.conf language, from bytes to a struct conf, with every error. SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "util.h"

#define PARSE_MAX_FILE (4u << 20)	/* bytes; a bigger file is refused */
#define PARSE_MAX_ERRORS 50		/* then one "too many errors" */
#define PARSE_MAX_DURATION_MS (36500LL * 86400 * 1000)	/* 100 years */
#define SHOW_MAX 48			/* bytes of a word quoted in a message */
#define TRACE_MAX 240			/* bytes of a statement in a trace line */
#define NAME_MAX_LEN 128		/* bytes of a job name */

/* Job keywords. Repeatable ones may appear more than once in a job. */
enum kw {
	KW_NAME, KW_CMD, KW_DIR, KW_IN, KW_OUT, KW_ERR, KW_ENV, KW_USER, KW_NICE,
	KW_CPU, KW_ULIMIT, KW_BOUNCE, KW_DEPENDS, KW_DISABLE, KW_WAIT, KW_ONCE,
	KW_ORDER, KW_STOP_TIMEOUT, KW_RESTART_DELAY, KW_ESSENTIAL, KW_COUNT
};

static const struct keyword {
	const char *word;	/* first word */
	const char *second;	/* required second word, or NULL */
	const char *display;	/* how messages name it */
	bool repeatable;
} keywords[KW_COUNT] = {
	[KW_NAME] = { "name", NULL, "name", false },
	[KW_CMD] = { "cmd", NULL, "cmd", false },
	[KW_DIR] = { "dir", NULL, "dir", false },
	[KW_IN] = { "in", NULL, "in", false },
	[KW_OUT] = { "out", NULL, "out", false },
	[KW_ERR] = { "err", NULL, "err", false },
	[KW_ENV] = { "env", NULL, "env", true },
	[KW_USER] = { "user", NULL, "user", false },
	[KW_NICE] = { "nice", NULL, "nice", false },
	[KW_CPU] = { "cpu", NULL, "cpu", false },
	[KW_ULIMIT] = { "ulimit", NULL, "ulimit", true },
	[KW_BOUNCE] = { "bounce", "every", "bounce every", false },
	[KW_DEPENDS] = { "depends", NULL, "depends", true },
	[KW_DISABLE] = { "disable", NULL, "disable", false },
	[KW_WAIT] = { "wait", NULL, "wait", false },
	[KW_ONCE] = { "once", NULL, "once", false },
	[KW_ORDER] = { "order", NULL, "order", false },
	[KW_STOP_TIMEOUT] = { "stop", "timeout", "stop timeout", false },
	[KW_RESTART_DELAY] = { "restart", "delay", "restart delay", false },
	[KW_ESSENTIAL] = { "essential", NULL, "essential", false },
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
	int line;
};

enum state { ST_GLOBAL, ST_JOB, ST_ULIMIT, ST_DEPENDS };

struct parser {
	const char *file;
	void (*trace)(const char *fmt, ...);
	bool failed, too_many, oom;
	size_t n_errors;
	char **msgs;
	size_t n_msgs;

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

static void add_msg(struct parser *p, char *msg)
{
	char **bigger;

	if (!msg) {
		p->oom = true;
		return;
	}
	bigger = realloc(p->msgs, (p->n_msgs + 1) * sizeof(*p->msgs));
	if (!bigger) {
		free(msg);
		p->oom = true;
		return;
	}
	p->msgs = bigger;
	p->msgs[p->n_msgs++] = msg;
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
	if (neg ? -(int64_t)v < min : (int64_t)v > max)
		return -1;
	*out = neg ? (int)-(int64_t)v : (int)v;
	return 0;
}

int parse_duration(const char *text, int64_t *ms)
{
	static const struct { const char *suffix; uint64_t ms; } units[] = {
		{ "", 1000 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "ms", 1 },
	};
	size_t digits = 0;
	uint64_t v = 0;

	if (!text)
		return -1;
	while (text[digits] >= '0' && text[digits] <= '9')
		digits++;
	if (digits == 0)
		return -1;
	for (size_t i = 0; i < digits; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(text[i] - '0');
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(text + digits, units[i].suffix) != 0)
			continue;
		if (v > (uint64_t)PARSE_MAX_DURATION_MS / units[i].ms)
			return -1;
		*ms = (int64_t)(v * units[i].ms);
		return 0;
	}
	return -1;
}

/* A CPU number: decimal, below CPU_SETSIZE. Advances *s. */
static int cpu_number(const char **s, unsigned *cpu)
{
	unsigned v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v >= CPU_SETSIZE)
			return -1;
	}
	*s = p;
	*cpu = v;
	return 0;
}

int parse_cpus(const char *text, cpu_set_t *set)
{
	const char *s = text;
	cpu_set_t cpus;

	if (!text)
		return -1;
	CPU_ZERO(&cpus);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		size_t n = strlen(s + 2), bit = 0;

		if (n == 0)
			return -1;
		/* the last digit holds CPUs 0-3 */
		for (size_t i = n; i-- > 0; bit += 4) {
			int d = util_hex_value(s[2 + i]);

			if (d < 0)
				return -1;
			for (int b = 0; b < 4; b++) {
				if (!(d & (1 << b)))
					continue;
				if (bit + (size_t)b >= CPU_SETSIZE)
					return -1;
				CPU_SET(bit + (size_t)b, &cpus);
			}
		}
	} else {
		for (;;) {
			unsigned lo, hi;

			if (cpu_number(&s, &lo) < 0)
				return -1;
			hi = lo;
			if (*s == '-') {
				s++;
				if (cpu_number(&s, &hi) < 0 || hi < lo)
					return -1;
			}
			for (unsigned c = lo; c <= hi; c++)
				CPU_SET(c, &cpus);
			if (*s == '\0')
				break;
			if (*s++ != ',')
				return -1;
		}
	}
	if (CPU_COUNT(&cpus) == 0)
		return -1;	/* an empty affinity could never be applied */
	*set = cpus;
	return 0;
}

int parse_ulimit_flag(char flag)
{
	switch (flag) {
	case 'c': return RLIMIT_CORE;
	case 'd': return RLIMIT_DATA;
	case 'e': return RLIMIT_NICE;
	case 'f': return RLIMIT_FSIZE;
	case 'i': return RLIMIT_SIGPENDING;
	case 'l': return RLIMIT_MEMLOCK;
	case 'm': return RLIMIT_RSS;
	case 'n': return RLIMIT_NOFILE;
	case 'q': return RLIMIT_MSGQUEUE;
	case 'r': return RLIMIT_RTPRIO;
	case 's': return RLIMIT_STACK;
	case 't': return RLIMIT_CPU;
	case 'u': return RLIMIT_NPROC;
	case 'v': return RLIMIT_AS;
	default: return -1;
	}
}

int parse_ulimit_value(const char *text, rlim_t *value)
{
	uint64_t v;

	if (!text)
		return -1;
	if (strcmp(text, "infinity") == 0 || strcmp(text, "unlimited") == 0) {
		*value = RLIM_INFINITY;
		return 0;
	}
	if (util_parse_u64(text, (uint64_t)(rlim_t)-1, &v) < 0)
		return -1;
	*value = (rlim_t)v;
	return 0;
}

/* udp://HOST:PORT[@IFACE]; NULL when the shape is right, else what is wrong. */
const char *parse_udp_spec(const char *s, bool allow_iface, struct parse_udp *out)
{
	const char *h, *h_end, *p;
	uint64_t port = 0;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (strncmp(s, "udp://", 6) != 0)
		return "it must start with udp://";
	h = s + 6;
	if (*h == '[') {
		for (p = h + 1; *p && *p != ']'; p++)
			if (!isalnum((unsigned char)*p) && !strchr(":.%", *p))
				return "bad character in the host";
		if (*p != ']')
			return "missing \"]\" after the host";
		if (p == h + 1)
			return "missing host";
		h_end = p++;
		h++;
	} else {
		for (p = h; *p && *p != ':' && *p != '@'; p++)
			if (!isalnum((unsigned char)*p) && !strchr(".-_", *p))
				return "bad character in the host";
		if (p == h)
			return "missing host";
		h_end = p;
	}
	if ((size_t)(h_end - h) >= sizeof(out->host))
		return "host name too long";
	memcpy(out->host, h, (size_t)(h_end - h));
	if (*p != ':')
		return "missing port";
	p++;
	for (n = 0; p[n] >= '0' && p[n] <= '9'; n++)
		if (n < 6)
			port = port * 10 + (uint64_t)(p[n] - '0');
	if (n == 0)
		return "missing port";
	if (n > 5 || port < 1 || port > 65535)
		return "port must be 1 to 65535";
	snprintf(out->port, sizeof(out->port), "%u", (unsigned)port);
	p += n;
	if (*p == '@') {
		if (!allow_iface)
			return "@IFACE is only allowed for report to";
		p++;
		n = strlen(p);
		if (n == 0 || n >= sizeof(out->iface))
			return "bad interface name";
		for (const char *c = p; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr(".-_", *c))
				return "bad interface name";
		memcpy(out->iface, p, n);
	} else if (*p) {
		return "unexpected text after the port";
	}
	return NULL;
}

/* ---- building jobs ---- */

static char *dup(struct parser *p, const char *s)
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
	(*v)[*n] = dup(p, s);
	if (!(*v)[*n])
		return false;
	(*n)++;
	return true;
}

/* First line of a job name already seen, or 0 after recording it at line. */
static int name_seen(struct parser *p, const char *name, int line)
{
	size_t mask, i;

	if (p->n_names * 2 >= p->names_cap) {
		size_t cap = p->names_cap ? p->names_cap * 2 : 64;
		struct name_ent *t = calloc(cap, sizeof(*t));

		if (!t) {
			p->oom = true;
			return 0;
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
			return p->names[i].line;
	p->names[i].name = dup(p, name);
	if (p->names[i].name) {
		p->names[i].line = line;
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

static enum kw find_keyword(const char *s)
{
	for (int k = 0; k < KW_COUNT; k++)
		if (strcmp(keywords[k].word, s) == 0)
			return (enum kw)k;
	return KW_COUNT;
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
	*out = dup(p, text);
}

static void job_statement(struct parser *p, struct word *w, size_t n)
{
	struct conf_job *job = p->job;
	char b[SHOWBUF];
	struct word *a;
	size_t na;
	enum kw k;
	const char *kwd;

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
	if (is_word(&w[0], "report") || is_word(&w[0], "listen")) {
		bad(p, "%s is not allowed inside a job", is_word(&w[0], "report") ?
		    "report to" : "listen on");
		return;
	}
	k = find_keyword(w[0].s);
	if (k == KW_COUNT) {
		bad(p, "unknown keyword %s", show(w[0].s, b, sizeof(b)));
		return;
	}
	kwd = keywords[k].display;
	a = w + 1;
	na = n - 1;
	if (keywords[k].second) {
		if (n < 2 || !is_word(&w[1], keywords[k].second)) {
			bad(p, "expected \"%s\" after %s", keywords[k].second, w[0].s);
			return;
		}
		a++;
		na--;
	}
	if (p->kw_line[k] && !keywords[k].repeatable) {
		bad(p, "%s given twice (first at line %d)", kwd, p->kw_line[k]);
		return;
	}
	p->kw_line[k] = p->line;

	switch (k) {
	case KW_NAME: {
		int first;

		if (!nargs(p, kwd, a, na, 1, 1))
			return;
		if (!valid_name(a[0].s)) {
			bad(p, "bad job name %s: use letters, digits and .-_@:+ only",
			    show(a[0].s, b, sizeof(b)));
			return;
		}
		if (strlen(a[0].s) > NAME_MAX_LEN) {
			bad(p, "job name %s is longer than %d characters",
			    show(a[0].s, b, sizeof(b)), NAME_MAX_LEN);
			return;
		}
		first = name_seen(p, a[0].s, p->line);
		if (first)
			error_at(p, p->line, true, "duplicate job name \"%s\" (first at line %d)",
				 a[0].s, first);
		job->name = dup(p, a[0].s);
		return;
	}
	case KW_CMD:
		if (!nargs(p, kwd, a, na, 1, SIZE_MAX))
			return;
		if (!is_abs(a[0].s)) {
			bad(p, "cmd must be an absolute path");
			return;
		}
		job->argv = calloc(na + 1, sizeof(*job->argv));
		if (!job->argv) {
			p->oom = true;
			return;
		}
		for (size_t i = 0; i < na; i++)
			if (!(job->argv[i] = dup(p, a[i].s)))
				return;
		return;
	case KW_DIR:
		if (nargs(p, kwd, a, na, 1, 1))
			set_path(p, kwd, a[0].s, &job->dir, false);
		return;
	case KW_IN:
		if (nargs(p, kwd, a, na, 1, 1))
			set_path(p, kwd, a[0].s, &job->in, false);
		return;
	case KW_OUT:
		if (nargs(p, kwd, a, na, 1, 1))
			set_path(p, kwd, a[0].s, &job->out, true);
		return;
	case KW_ERR:
		if (nargs(p, kwd, a, na, 1, 1))
			set_path(p, kwd, a[0].s, &job->err, true);
		return;
	case KW_ENV:
		if (!nargs(p, kwd, a, na, 1, 1))
			return;
		if (a[0].s[0] == '=' || !strchr(a[0].s, '=')) {
			bad(p, "env %s must be VAR=VALUE", show(a[0].s, b, sizeof(b)));
			return;
		}
		push_str(p, &job->env, &job->n_env, a[0].s);
		return;
	case KW_USER:
		if (!nargs(p, kwd, a, na, 1, 1))
			return;
		if (!a[0].s[0]) {
			bad(p, "user must not be empty");
			return;
		}
		job->user = dup(p, a[0].s);
		return;
	case KW_NICE:
		if (!nargs(p, kwd, a, na, 1, 1))
			return;
		if (parse_int(a[0].s, -20, 20, &job->nice) < 0) {
			bad(p, "bad number %s for nice (expected -20 to 20)",
			    show(a[0].s, b, sizeof(b)));
			return;
		}
		job->has_nice = true;
		return;
	case KW_CPU: {
		cpu_set_t set;

		if (!nargs(p, kwd, a, na, 1, 1))
			return;
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
		return;
	}
	case KW_ULIMIT:
		if (!nargs(p, kwd, a, na, 1, SIZE_MAX))
			return;
		if (is_brace(&a[0], "{")) {
			p->state = ST_ULIMIT;
			p->block_line = p->line;
			block_words(p, a + 1, na - 1);
		} else {
			ulimit_pairs(p, a, na);
		}
		return;
	case KW_DEPENDS:
		if (na < 1 || !is_brace(&a[0], "{")) {
			bad(p, "expected \"{\" after depends");
			return;
		}
		p->state = ST_DEPENDS;
		p->block_line = p->line;
		block_words(p, a + 1, na - 1);
		return;
	case KW_BOUNCE:
		if (nargs(p, kwd, a, na, 1, 1))
			set_duration(p, kwd, a[0].s, &job->bounce_ms, true);
		return;
	case KW_STOP_TIMEOUT:
		if (nargs(p, kwd, a, na, 1, 1))
			set_duration(p, kwd, a[0].s, &job->stop_timeout_ms, false);
		return;
	case KW_RESTART_DELAY:
		if (nargs(p, kwd, a, na, 1, 1))
			set_duration(p, kwd, a[0].s, &job->restart_delay_ms, false);
		return;
	case KW_DISABLE:
		if (nargs(p, kwd, a, na, 0, 0))
			job->disabled = true;
		return;
	case KW_WAIT:
		if (nargs(p, kwd, a, na, 0, 0))
			job->wait = true;
		return;
	case KW_ONCE:
		if (nargs(p, kwd, a, na, 0, 0))
			job->once = true;
		return;
	case KW_ESSENTIAL:
		if (nargs(p, kwd, a, na, 0, 0))
			job->essential = true;
		return;
	case KW_ORDER:
		if (nargs(p, kwd, a, na, 1, 1) &&
		    parse_int(a[0].s, INT_MIN, INT_MAX, &job->order) < 0)
			bad(p, "bad number %s for order", show(a[0].s, b, sizeof(b)));
		return;
	case KW_COUNT:
		break;
	}
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
	*out = dup(p, w[2].s);
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
	if (is_word(&w[0], "report")) {
		udp_statement(p, w, n, "to", &p->conf->report_to, &p->report_line);
		return;
	}
	if (is_word(&w[0], "listen")) {
		udp_statement(p, w, n, "on", &p->conf->listen_on, &p->listen_line);
		return;
	}
	k = find_keyword(w[0].s);
	if (k != KW_COUNT && (!keywords[k].second ||
			      (n > 1 && is_word(&w[1], keywords[k].second)))) {
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
	    (find_keyword(w[0].s) != KW_COUNT || is_word(&w[0], "job"))) {
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

static int by_order(const void *a, const void *b)
{
	const struct conf_job *x = *(struct conf_job *const *)a;
	const struct conf_job *y = *(struct conf_job *const *)b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
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
	free(p->scratch);
	free(p->words);
}

void parse_errors_free(struct parse_errors *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	errs->msgs = NULL;
	errs->n = 0;
}

static struct conf *finish(struct parser *p, struct parse_errors *errs)
{
	struct conf *conf = p->conf;

	if (p->too_many)
		file_error(p, "too many errors");
	parser_free(p);
	if (p->oom) {
		for (size_t i = 0; i < p->n_msgs; i++)
			free(p->msgs[i]);
		free(p->msgs);
		conf_free(conf);
		errno = ENOMEM;
		return NULL;
	}
	if (errs) {
		errs->msgs = p->msgs;
		errs->n = p->n_msgs;
	} else {
		for (size_t i = 0; i < p->n_msgs; i++)
			free(p->msgs[i]);
		free(p->msgs);
	}
	if (p->failed) {
		conf_free(conf);
		return NULL;
	}
	if (conf->n_jobs > 1)
		qsort(conf->jobs, conf->n_jobs, sizeof(*conf->jobs), by_order);
	conf->report_to_line = p->report_line;
	conf->listen_on_line = p->listen_line;
	return conf;
}

struct conf *parse_conf(const char *buf, size_t len, const char *name,
			struct parse_errors *errs,
			void (*trace)(const char *fmt, ...))
{
	struct parser p = { .file = name ? name : "-", .trace = trace };
	size_t pos = 0;

	if (errs) {
		errs->msgs = NULL;
		errs->n = 0;
	}
	p.conf = calloc(1, sizeof(*p.conf));
	if (!p.conf) {
		errno = ENOMEM;
		return NULL;
	}
	if (len > PARSE_MAX_FILE) {
		file_error(&p, "file too large");
		return finish(&p, errs);
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;	/* a UTF-8 byte order mark some editors write */
	while (pos < len && !p.oom) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		p.line++;
		parse_line(&p, buf + pos, end - pos);
		pos = end + 1;
	}
	if (p.job && !p.oom)
		job_end(&p, false);
	return finish(&p, errs);
}

struct conf *parse_conf_file(const char *path, struct parse_errors *errs,
			     void (*trace)(const char *fmt, ...))
{
	struct conf *conf;
	size_t len;
	char *buf;

	buf = util_read_file(path, PARSE_MAX_FILE, &len);
	if (!buf) {
		struct parser p = { .file = path };
		int e = errno;

		if (errs) {
			errs->msgs = NULL;
			errs->n = 0;
		}
		if (e == ENOMEM) {
			errno = ENOMEM;
			return NULL;
		}
		file_error(&p, e == EFBIG ? "file too large" : strerror(e));
		if (p.oom) {
			errno = ENOMEM;
			return NULL;
		}
		if (errs) {
			errs->msgs = p.msgs;
			errs->n = p.n_msgs;
		} else {
			free(p.msgs[0]);
			free(p.msgs);
		}
		errno = e;
		return NULL;
	}
	conf = parse_conf(buf, len, path, errs, trace);
	free(buf);
	return conf;
}
