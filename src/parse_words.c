/* parse_words.c: the words of a statement of pmtr.conf: what they are, how many, and copies kept by the parse. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "util.h"

char *parser_strdup(struct parser *p, const char *s)
{
	char *d = strdup(s);

	if (!d)
		p->oom = true;
	return d;
}

/* Append to an array whose capacity is the next power of two of its length. */
bool parser_push(struct parser *p, char ***v, size_t *n, const char *s)
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
	(*v)[*n] = parser_strdup(p, s);
	if (!(*v)[*n])
		return false;
	(*n)++;
	return true;
}


bool parser_is_word(const struct word *w, const char *s)
{
	return strcmp(w->s, s) == 0;
}

bool parser_is_brace(const struct word *w, const char *brace)
{
	return !w->quoted && strcmp(w->s, brace) == 0;
}

/* Check the argument count of a keyword; false (and reported) when wrong. */
bool parser_nargs(struct parser *p, const char *kw, struct word *args, size_t n,
		  size_t min, size_t max)
{
	char b[SHOWBUF];

	if (n < min) {
		bad(p, "missing argument for %s", kw);
		return false;
	}
	if (n > max) {
		bad(p, "extra argument %s for %s", parser_show(args[max].s, b, sizeof(b)), kw);
		return false;
	}
	return true;
}

void parser_no_extra(struct parser *p, struct word *w, size_t n, const char *after)
{
	char b[SHOWBUF];

	if (n > 0) {
		bad(p, "extra argument %s after \"%s\"", parser_show(w[0].s, b, sizeof(b)), after);
		p->broken_line = true;	/* those words may have named the job */
	}
}

bool parser_is_abs(const char *s)
{
	return s[0] == '/';
}

void parser_hash(struct parser *p, const void *data, size_t len)
{
	p->input->hash = util_hash(p->input->hash, data, len);
}
