/* parse.c: the pmtr.conf language, from bytes to a struct conf: lines, words, global statements, the whole set. SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parser.h"
#include "util.h"

#define TRACE_MAX 240			/* bytes of a statement in a trace line */

static void udp_statement(struct parser *p, struct word *w, size_t n, const char *second,
			  char **out, int *first)
{
	char kw[16], b[SHOWBUF];
	struct parse_udp spec;
	const char *why;

	snprintf(kw, sizeof(kw), "%s %s", w[0].s, second);
	if (n < 2 || !parser_is_word(&w[1], second)) {
		bad(p, "expected \"%s\" after %s", second, w[0].s);
		return;
	}
	if (!parser_nargs(p, kw, w + 2, n - 2, 1, 1))
		return;
	if (*first) {
		bad(p, "%s given twice (first at line %d)", kw, *first);
		return;
	}
	why = parse_udp_spec(w[2].s, out == &p->conf->report_to, &spec);
	if (why) {
		bad(p, "bad address %s for %s: %s", parser_show(w[2].s, b, sizeof(b)), kw, why);
		return;
	}
	*first = p->line;
	*out = parser_strdup(p, w[2].s);
}


/* control socket group NAME|GID, control socket mode OOO */
static void control_statement(struct parser *p, struct word *w, size_t n)
{
	bool group = n >= 3 && parser_is_word(&w[2], "group");
	const char *kw = group ? "control socket group" : "control socket mode";
	int *first = group ? &p->control_group_line : &p->control_mode_line;
	char b[SHOWBUF];
	mode_t mode;

	if (n < 3 || !parser_is_word(&w[1], "socket") ||
	    (!group && !parser_is_word(&w[2], "mode"))) {
		bad(p, "expected \"socket group\" or \"socket mode\" after control");
		return;
	}
	if (!parser_nargs(p, kw, w + 3, n - 3, 1, 1))
		return;
	if (*first) {
		bad(p, "%s given twice (first at line %d)", kw, *first);
		return;
	}
	if (group && !w[3].s[0]) {
		bad(p, "control socket group must not be empty");
		return;
	}
	if (!group && (parse_umask(w[3].s, &mode) < 0 || (mode & 0600) != 0600)) {
		bad(p, "bad mode %s for control socket mode (expected octal digits, from 0600 "
		    "to 0777: pmtr's own user must read and write)", parser_show(w[3].s, b, sizeof(b)));
		return;
	}
	*first = p->line;
	if (group)
		p->conf->control_group = parser_strdup(p, w[3].s);
	else
		p->conf->control_mode = mode;
}

static void global_statement(struct parser *p, struct word *w, size_t n)
{
	const struct setting *row;
	char b[SHOWBUF];

	if (parser_is_word(&w[0], "job")) {
		if (n < 2 || !parser_is_brace(&w[1], "{")) {
			bad(p, "expected \"{\" after job");
			parser_job_start(p);
			p->pending_brace = true;
			return;
		}
		parser_job_start(p);
		if (p->job)
			parser_no_extra(p, w + 2, n - 2, "{");
		return;
	}
	if (parser_is_brace(&w[0], "}")) {
		bad(p, "\"}\" without an open block");
		return;
	}
	if (p->included && (parser_is_word(&w[0], "report") || parser_is_word(&w[0], "listen") ||
			    parser_is_word(&w[0], "include") || parser_is_word(&w[0], "control"))) {
		bad(p, "%s is only allowed in the main configuration file %s: an included "
		    "file holds job blocks only", parser_is_word(&w[0], "report") ? "report to" :
		    parser_is_word(&w[0], "listen") ? "listen on" :
		    parser_is_word(&w[0], "control") ? "control socket" : "include", p->main_file);
		p->jobs_lost |= parser_is_word(&w[0], "include");
		return;
	}
	if (parser_is_word(&w[0], "report")) {
		udp_statement(p, w, n, "to", &p->conf->report_to, &p->report_line);
		return;
	}
	if (parser_is_word(&w[0], "listen")) {
		udp_statement(p, w, n, "on", &p->conf->listen_on, &p->listen_line);
		return;
	}
	if (parser_is_word(&w[0], "include")) {
		parser_include_statement(p, w, n);
		return;
	}
	if (parser_is_word(&w[0], "control")) {
		control_statement(p, w, n);
		return;
	}
	row = parser_find_setting(w, n, NULL, 0);
	if (row) {
		bad(p, "%s is only allowed inside a job", row->display);
		p->jobs_lost |= row->kind == SK_NAME;	/* its "job {" went wrong */
		return;
	}
	bad(p, "unknown keyword %s", parser_show(w[0].s, b, sizeof(b)));
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
		p->jobs_lost |= !p->job;	/* it may have opened one */
		return;
	}
	if (split(p, line, len) < 0) {
		bad(p, "unterminated quote");
		p->broken_line = true;
		p->jobs_lost |= !p->job;
		return;
	}
	if (p->oom || p->n_words == 0)
		return;
	w = p->words;
	n = p->n_words;
	/* in a ulimit or depends block, a line that starts with a job keyword
	 * means its "}" was forgotten */
	if ((p->state == ST_ULIMIT || p->state == ST_DEPENDS) &&
	    (parser_is_job_keyword(w[0].s) || parser_is_word(&w[0], "job"))) {
		parser_error(p, p->block_line, false, "block opened here is never closed");
		p->state = ST_JOB;
	}
	trace_statement(p);
	switch (p->state) {
	case ST_GLOBAL:
		global_statement(p, w, n);
		break;
	case ST_JOB:
		parser_job_statement(p, w, n);
		break;
	case ST_ULIMIT:
	case ST_DEPENDS:
		parser_block_words(p, w, n);
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
		parser_file_error(p, "file too large");
		p->jobs_lost = true;
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
		parser_job_end(p, false);
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
	free(input->file_hashes);
	memset(input, 0, sizeof(*input));
}

/* The hash of path in in: 0 when in does not hold it, 1 when unread there. */
static uint64_t file_hash(const struct parse_input *in, const char *path)
{
	for (size_t i = 0; i < in->n_files; i++)
		if (strcmp(in->files[i], path) == 0)
			return in->file_hashes && in->file_hashes[i] ? in->file_hashes[i] : 1;
	return 0;
}

static void add_change(char *buf, size_t len, size_t *n, const char *path)
{
	size_t used = strlen(buf);

	if (used + 3 < len)
		snprintf(buf + used, len - used, "%s%s", *n ? ", " : "", path);
	(*n)++;
}

size_t parse_input_changes(const struct parse_input *old, const struct parse_input *new,
			   const char *main_file, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (old->main_hash != new->main_hash)
		add_change(buf, len, &n, main_file);
	for (size_t i = 0; i < new->n_files; i++)
		if (file_hash(old, new->files[i]) != file_hash(new, new->files[i]))
			add_change(buf, len, &n, new->files[i]);
	for (size_t i = 0; i < old->n_files; i++)
		if (!file_hash(new, old->files[i]))
			add_change(buf, len, &n, old->files[i]);
	return n;
}


static struct conf *finish(struct parser *p, struct parse_errors *errs,
			   struct parse_input *input)
{
	struct conf *conf = p->conf;
	/* the graph of the jobs read, whatever else failed: every error in one run */
	bool graph = conf && !p->oom && !p->hash_only && !p->too_many;

	if (graph)
		parser_check_after(p);
	parser_record_patterns(p);
	parser_free(p);
	if (graph && !p->oom && sort_jobs(conf) < 0)
		p->oom = true;
	if (graph && !p->oom)
		parser_check_wait_after(p);
	if (p->too_many) {
		p->file = p->main_file;
		parser_file_error(p, "too many errors");
	}
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
	conf->control_group_line = p->control_group_line;
	conf->control_mode_line = p->control_mode_line;
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
	parser_hash(p, buf, len);
	p->input->main_hash = util_hash(UTIL_HASH_INIT, buf, len);
	parse_buffer(p, buf, len);
	if (!p->oom)
		parser_read_includes(p);
	return finish(p, errs, input);
}

struct conf *parse_conf(const char *buf, size_t len, const char *name,
			struct parse_errors *errs,
			void (*trace)(const char *fmt, ...))
{
	struct parse_opts opts = { .trace = trace };
	struct parse_input in = { 0 };
	struct parser p = { .input = &in, .parse_buffer = parse_buffer };

	return parse_set(buf, len, name, &opts, errs, NULL, &p);
}

struct conf *parse_conf_set(const char *path, const struct parse_opts *opts,
			    struct parse_errors *errs, struct parse_input *input)
{
	struct parse_input in = { 0 };
	struct parser p = { .input = &in, .parse_buffer = parse_buffer, .file = path,
			    .main_file = path,
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
		parser_file_error(&p, e == EFBIG ? "file too large" : strerror(e));
		if (input)
			input->error = e;
		finish(&p, errs, NULL);
		errno = e;
		return NULL;
	}
	if (p.opts->check_owner && stat(path, &st) == 0 &&
	    parser_unsafe_file(path, &st, p.opts->owner, why, sizeof(why)))
		parser_file_warning(&p, path, "%s (pmtr runs the jobs it holds as %s)", why,
			     p.opts->owner == 0 ? "root" : "this user");
	conf = parse_set(buf, len, path, opts, errs, input, &p);
	free(buf);
	return conf;
}

bool parse_input_unchanged(const char *path, const struct parse_opts *opts,
			   const struct parse_input *last)
{
	struct parse_input in = { 0 };
	struct parser p = { .input = &in, .parse_buffer = parse_buffer, .file = path,
			    .main_file = path, .hash_only = true, .opts = opts ? opts : &no_opts };
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
		parser_read_includes(&p);
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

