/* parser.h: the state of a parse, shared by the units of the pmtr.conf parser (not part of parse.h's API). SPDX-License-Identifier: MIT */
/* Map: parse.c splits lines into words, reads the global statements and runs a
 * parse (the parse.h API); parse_job.c reads job blocks, row by row of the
 * settings table (conf.h); parse_include.c reads "include" and checks whose
 * files they are; after.c checks the "after" graph of the whole set;
 * parse_msg.c formats and holds every message. */
#ifndef PMTR_PARSER_H
#define PMTR_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "conf.h"
#include "parse.h"

#define PARSE_MAX_FILE (4u << 20)	/* bytes; a bigger file is refused */
#define PARSE_MAX_ERRORS 50		/* then one "too many errors" */
#define SHOW_MAX 48			/* bytes of a word quoted in a message */
#define SHOWBUF (SHOW_MAX * 4 + 16)

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
	/* The lines of one file into the configuration: parse.c's, handed to
	 * parse_include.c, which calls no unit above it. */
	void (*parse_buffer)(struct parser *p, const char *buf, size_t len);
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
	int report_line, listen_line, control_group_line, control_mode_line;

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
	bool name_refused;	/* its name had characters no "after" can name */
	bool name_taken;	/* its name is an earlier job's */
	int kw_line[SETTINGS_MAX];	/* by row of job_settings: where it was given */
	int ulimit_line[RLIM_NLIMITS];
	struct pending pend[PARSE_MAX_ERRORS];
	size_t n_pend;

	/* some jobs could not be read (a name, an include, a file): an "after" may name
	 * one of them, so no name it gives is called unknown */
	bool jobs_lost;
	/* the order of a job could not be read: which job starts first is unsure */
	bool orders_lost;

	/* every job name seen, for duplicates: open addressing, power of 2 */
	struct name_ent *names;
	size_t names_cap, n_names;
};

/* ---- parse_schedule.c ---- */

/* Where the job being read gave the setting of this first and second word (NULL
 * for none), or 0. */
int parser_line_of(const struct parser *p, const char *word, const char *second);

/* "schedule CRON": the words after "schedule" as one cron expression. */
void parser_kw_schedule(struct parser *p, const struct setting *row, void *base,
			struct word *a, size_t na);
/* At a job's end: the schedule settings that need a schedule, and those a
 * scheduled job cannot have (held errors at their lines). */
void parser_check_schedule(struct parser *p, const struct conf_job *job);

/* ---- parse_log.c ---- */

/* "log rotate [size SIZE] [every TIME|hourly|daily] [keep N] [compress]". */
void parser_kw_log_rotate(struct parser *p, const struct setting *row, void *base,
			  struct word *a, size_t na);
/* At a job's end: log rotate and log timestamps need a log file, which excludes
 * out and err to a file. */
void parser_check_log(struct parser *p, const struct conf_job *job);

/* ---- parse_msg.c: messages ---- */

/* A word quoted for a message: printable ASCII as is, the rest as \xHH, cut after
 * SHOW_MAX bytes; buf of SHOWBUF bytes. */
const char *parser_show(const char *s, char *buf, size_t size);
/* An error at line; inside a job it is held until the job ends, then prefixed
 * with the job's name unless bare. */
__attribute__((format(printf, 4, 5)))
void parser_error(struct parser *p, int line, bool bare, const char *fmt, ...);
#define bad(p, ...) parser_error((p), (p)->line, false, __VA_ARGS__)
/* "FILE:LINE: [job "NAME": ]text" as a message, now. */
void parser_emit(struct parser *p, int line, const char *job_name, const char *text);
/* "FILE: text", an error of the whole file. */
void parser_file_error(struct parser *p, const char *text);
__attribute__((format(printf, 3, 4)))
void parser_file_warning(struct parser *p, const char *file, const char *fmt, ...);

/* ---- parse_words.c: words and what several units build ---- */

bool parser_is_word(const struct word *w, const char *s);
bool parser_is_brace(const struct word *w, const char *brace);
bool parser_is_abs(const char *s);
/* Check the argument count of a keyword; false (and reported) when wrong. */
bool parser_nargs(struct parser *p, const char *kw, struct word *args, size_t n, size_t min,
		  size_t max);
/* Report words after a "{" or "}" that ends a statement. */
void parser_no_extra(struct parser *p, struct word *w, size_t n, const char *after);
char *parser_strdup(struct parser *p, const char *s);
/* Append a copy of s to an array whose capacity is the next power of two of *n. */
bool parser_push(struct parser *p, char ***v, size_t *n, const char *s);
void parser_hash(struct parser *p, const void *data, size_t len);

/* ---- parse_job.c: job blocks ---- */

void parser_job_start(struct parser *p);
/* The job ends at its "}" (closed), a new "job {", or the end of the file. */
void parser_job_end(struct parser *p, bool closed);
void parser_job_statement(struct parser *p, struct word *w, size_t n);
/* A line inside a ulimit or depends block. */
void parser_block_words(struct parser *p, struct word *w, size_t n);
/* The row a statement starts with, or NULL; when its first word needs a second
 * one that is not there, seconds lists those it could take. */
const struct setting *parser_find_setting(struct word *w, size_t n, char *seconds, size_t len);
bool parser_is_job_keyword(const char *s);

/* ---- parse_include.c: include lines and the files they name ---- */

void parser_include_statement(struct parser *p, struct word *w, size_t n);
/* Read (and parse, unless hash_only) every file the include lines match. */
void parser_read_includes(struct parser *p);
/* Hand the include patterns over to p->input. */
void parser_record_patterns(struct parser *p);
/* Whether a file pmtr would run jobs from, or its directory, belongs to someone
 * other than owner or may be written by others: why in why. */
bool parser_unsafe_file(const char *path, const struct stat *st, uid_t owner, char *why,
			size_t len);

/* ---- after.c: the "after" graph ---- */

/* Every name "after" gives is a job of the set, and no cycle. The set holds every
 * job read with a name, the first of each name only, whatever else failed. */
void parser_check_after(struct parser *p);
/* Once the jobs are in start order: no wait job waits for a job after it (unless
 * an order could not be read). */
void parser_check_wait_after(struct parser *p);

#endif
