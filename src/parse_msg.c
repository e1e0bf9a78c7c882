/* parse_msg.c: the messages of a parse: quoting words, holding a job's errors, "FILE:LINE: text". SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

/* Quote a word for a message: printable ASCII as is, the rest as \xHH, cut
 * after SHOW_MAX bytes. */
const char *parser_show(const char *s, char *buf, size_t size)
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

void parser_emit(struct parser *p, int line, const char *job_name, const char *text)
{
	char *msg;

	if (asprintf(&msg, "%s:%d: %s%s%s%s", p->file, line, job_name ? "job \"" : "",
		     job_name ? job_name : "", job_name ? "\": " : "", text) < 0)
		msg = NULL;
	add_msg(p, msg);
}

void parser_file_error(struct parser *p, const char *text)
{
	char *msg;

	p->failed = true;
	if (asprintf(&msg, "%s: %s", p->file, text) < 0)
		msg = NULL;
	add_msg(p, msg);
}

__attribute__((format(printf, 3, 4)))
void parser_file_warning(struct parser *p, const char *file, const char *fmt, ...)
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
void parser_error(struct parser *p, int line, bool bare, const char *fmt, ...)
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
	parser_emit(p, line, NULL, text);
	free(text);
}

