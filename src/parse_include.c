/* parse_include.c: include lines, the files they match, and whether pmtr may trust those files. SPDX-License-Identifier: MIT */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parser.h"
#include "util.h"

static bool has_wildcard(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

/* The pattern of an include line, or NULL (and reported) when it is none. */
static const char *include_pattern(struct parser *p, struct word *w, size_t n)
{
	const char *pattern, *slash;

	if (!parser_nargs(p, "include", w + 1, n - 1, 1, 1))
		return NULL;
	pattern = w[1].s;
	slash = strrchr(pattern, '/');
	if (!parser_is_abs(pattern)) {
		bad(p, "include must be an absolute path");
		return NULL;
	}
	if (!slash[1]) {
		bad(p, "include must name files, not a directory (for example %s*.conf)", pattern);
		return NULL;
	}
	if (has_wildcard(pattern, (size_t)(slash - pattern))) {
		bad(p, "include: wildcards are allowed in the file name only");
		return NULL;
	}
	return pattern;
}

/* include PATTERN: recorded now, read once the main file is parsed. */
void parser_include_statement(struct parser *p, struct word *w, size_t n)
{
	const char *pattern = include_pattern(p, w, n);
	struct include *bigger;
	char *copy;

	if (!pattern) {
		/* the files it meant may hold the jobs an "after" names */
		p->jobs_lost = true;
		return;
	}
	bigger = realloc(p->includes, (p->n_includes + 1) * sizeof(*bigger));
	if (!bigger || !(copy = parser_strdup(p, pattern))) {
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
bool parser_unsafe_file(const char *path, const struct stat *st, uid_t owner, char *why,
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
	uint64_t *hashes;
	char *copy;

	if (!bigger) {
		p->oom = true;
		return NULL;
	}
	in->files = bigger;
	hashes = realloc(in->file_hashes, (in->n_files + 1) * sizeof(*hashes));
	if (!hashes) {
		p->oom = true;
		return NULL;
	}
	in->file_hashes = hashes;
	hashes[in->n_files] = 0;
	copy = parser_strdup(p, path);
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

	parser_hash(p, path, strlen(path) + 1);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* gone since the directory was read, a dangling link in the middle of a
		 * swap, or a directory: nothing to read */
		return;
	}
	parser_hash(p, &st.st_mode, sizeof(st.st_mode));
	parser_hash(p, &st.st_uid, sizeof(st.st_uid));
	p->file = input_add_file(p, path);
	if (!p->file)
		return;
	p->included = true;
	if (p->opts->check_owner && parser_unsafe_file(path, &st, p->opts->owner, why, sizeof(why))) {
		char text[sizeof(why) + 64];

		snprintf(text, sizeof(text), "refused: %s (pmtr runs the jobs it holds as %s)",
			 why, p->opts->owner == 0 ? "root" : "this user");
		parser_file_error(p, text);
		p->jobs_lost = true;
		return;
	}
	buf = util_read_file(path, PARSE_MAX_FILE, &len);
	if (!buf) {
		if (errno == ENOMEM)
			p->oom = true;
		else
			parser_file_error(p, errno == EFBIG ? "file too large" : strerror(errno));
		p->jobs_lost = true;
		return;
	}
	parser_hash(p, buf, len);
	p->input->file_hashes[p->input->n_files - 1] =
		util_hash(util_hash(UTIL_HASH_INIT, &st.st_mode, sizeof(st.st_mode)), buf, len);
	if (!p->hash_only)
		p->parse_buffer(p, buf, len);
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
		if (errno != ENOENT && errno != ENOTDIR) {
			parser_error(p, inc->line, false, "include %s: cannot read %s: %s", inc->pattern,
				 dir, strerror(errno));
			p->jobs_lost = true;
		}
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
		if (!(v[*n] = parser_strdup(p, de->d_name)))
			break;
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), by_string);
	return v;
}

/* Every file each include line matches, in order: lexical within a pattern. */
void parser_read_includes(struct parser *p)
{
	for (size_t i = 0; i < p->n_includes && !p->oom; i++) {
		const struct include *inc = &p->includes[i];
		const char *slash = strrchr(inc->pattern, '/');
		char dir[PATH_MAX], path[PATH_MAX];
		size_t n;
		char **names;

		snprintf(dir, sizeof(dir), "%.*s", slash == inc->pattern ? 1 :
			 (int)(slash - inc->pattern), inc->pattern);
		parser_hash(p, inc->pattern, strlen(inc->pattern) + 1);
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

void parser_record_patterns(struct parser *p)
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

