/* parse.h: the pmtr.conf language: file to struct conf, and its value syntaxes. SPDX-License-Identifier: MIT */
#ifndef PMTR_PARSE_H
#define PMTR_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "conf.h"
#include "values.h"

/* Messages of a parse, each already formatted as "FILE:LINE: message" (or
 * "FILE: message" for a whole file). Errors reject the configuration; warnings
 * do not. */
struct parse_errors {
	char **msgs;
	size_t n;
	char **warnings;
	size_t n_warnings;
};

void parse_errors_free(struct parse_errors *errs);

struct parse_opts {
	/* when set, each statement is reported through it (pmtr -vv) */
	void (*trace)(const char *fmt, ...);
	/* Included files (and their directories) that belong to a user other than
	 * owner, or that group or others may write, are refused; for the main file
	 * that is a warning. pmtr asks for it when it runs as root. */
	bool check_owner;
	uid_t owner;
};

/* What a parse read, filled in also when it fails, so that pmtr watches the
 * files that decide the configuration and can tell whether any of them changed. */
struct parse_input {
	int error;		/* errno of reading the main file; 0 when it was read */
	uint64_t hash;		/* of the names, contents and modes of everything read */
	char **patterns;	/* include patterns, as written */
	size_t n_patterns;
	char **files;		/* the files they matched, in reading order */
	uint64_t *file_hashes;	/* of each file's content and mode, 0 when unread */
	size_t n_files;
	uint64_t main_hash;	/* of the main file's content */
};

/* The files that differ between two readings of a set, for people:
 * "/etc/pmtr.d/web.conf" (edited, added or removed), "/etc/pmtr.conf", or
 * several separated by ", ", the main file first; in buf (cut to len).
 * Returns how many differ. */
size_t parse_input_changes(const struct parse_input *old, const struct parse_input *new,
			   const char *main_file, char *buf, size_t len);

void parse_input_free(struct parse_input *input);

/* Parse a configuration held in memory (len bytes, NULs allowed and reported as
 * errors), and the files its include lines name. name is the file name used in
 * messages. Returns a new struct conf when there was no error; NULL when there was
 * at least one, with every error in errs (or NULL and errno ENOMEM). */
struct conf *parse_conf(const char *buf, size_t len, const char *name,
			struct parse_errors *errs,
			void (*trace)(const char *fmt, ...));

/* Read and parse a file and what it includes; an unreadable main file is one error
 * "FILE: reason". errs and input may be NULL. */
struct conf *parse_conf_set(const char *path, const struct parse_opts *opts,
			    struct parse_errors *errs, struct parse_input *input);

/* Whether reading the set again would give what last holds (same hash), found by
 * reading and hashing the files without parsing them: a change that touched
 * nothing of the set costs no parse. False also when it cannot tell. */
bool parse_input_unchanged(const char *path, const struct parse_opts *opts,
			   const struct parse_input *last);

/* parse_conf_set with no owner check and no input. */
struct conf *parse_conf_file(const char *path, struct parse_errors *errs,
			     void (*trace)(const char *fmt, ...));

#endif
