/* fuzz_ctl.c: libFuzzer harness for the control protocol: requests, status and log lines, field escaping. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "ctlstatus.h"
#include "fuzz.h"

/* Up to this length every prefix of a good request is tried; above, a sample. */
#define PREFIX_ALL_MAX 512
#define PREFIX_STEP 61

static char *copy_z(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static bool same_request(const struct ctl_request *a, const struct ctl_request *b)
{
	if (a->version != b->version || a->command != b->command || a->arg != b->arg ||
	    a->n_names != b->n_names)
		return false;
	for (size_t i = 0; i < a->n_names; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return false;
	return true;
}

/* The daemon parses as the bytes arrive: no prefix of a good request may be refused,
 * and none is complete before its last byte. */
static void check_prefix(const uint8_t *data, size_t len)
{
	struct ctl_request req;
	char why[256];

	CHECK(ctl_parse_request((const char *)data, len, &req, why, sizeof(why)) == 1);
}

static void fuzz_request(const uint8_t *data, size_t size)
{
	struct ctl_request req, again;
	char why[256], why2[256];
	char *text;
	int rc;

	/* An exact-size heap copy, so that ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		abort();
	memcpy(buf, data, size);
	rc = ctl_parse_request(buf, size, &req, why, sizeof(why));
	CHECK(rc == -1 || rc == 0 || rc == 1);
	if (rc < 0) {
		CHECK(why[0] != '\0');
		CHECK(strchr(why, '\n') == NULL);
	}
	if (size > CTL_REQUEST_MAX)
		CHECK(rc == -1);
	if (rc == 1)
		CHECK(size < CTL_REQUEST_MAX);
	if (rc != 0) {
		free(buf);
		return;
	}
	CHECK(size >= 1 && buf[size - 1] == '\n');
	CHECK(req.version >= CTL_VERSION_MIN && req.version <= CTL_VERSION);
	CHECK(req.n_names <= CTL_MAX_NAMES);
	CHECK(ctl_command_name(req.command) != NULL);
	/* logs and follow may name pmtr's own lines, and need no name */
	for (size_t i = 0; i < req.n_names; i++)
		CHECK(ctl_valid_job_name(req.names[i]) ||
		      ((req.command == CTL_LOGS || req.command == CTL_FOLLOW) &&
		       ctl_is_pmtr_log(req.names[i])));
	if (req.command == CTL_RELOAD)
		CHECK(req.n_names == 0);
	else if (req.command != CTL_STATUS && req.command != CTL_DETAILS &&
		 req.command != CTL_LOGS && req.command != CTL_FOLLOW)
		CHECK(req.n_names > 0);
	if (req.command == CTL_SIGNAL)
		CHECK(req.arg >= 1 && req.arg <= 64);
	else if (req.command == CTL_LOGS || req.command == CTL_FOLLOW)
		CHECK(req.arg >= 0 && req.arg <= CTL_LINES_MAX);
	else
		CHECK(req.arg == 0);
	CHECK(ctl_command_mutates(req.command) ==
	      (req.command != CTL_STATUS && req.command != CTL_LOGS && req.command != CTL_FOLLOW &&
	       req.command != CTL_DETAILS));

	text = ctl_format_request(&req);
	CHECK(text != NULL);
	rc = ctl_parse_request(text, strlen(text), &again, why2, sizeof(why2));
	if (rc != 0)
		fprintf(stderr, "re-parse of the formatted request: %d %s\n", rc, why2);
	CHECK(rc == 0);
	CHECK(same_request(&req, &again));
	ctl_request_free(&again);
	free(text);

	if (size <= PREFIX_ALL_MAX) {
		for (size_t n = 1; n < size; n++)
			check_prefix(data, n);
	} else {
		for (size_t n = 1; n < size; n += PREFIX_STEP)
			check_prefix(data, n);
		check_prefix(data, size - 1);
	}
	ctl_request_free(&req);
	free(buf);
}

/* Both NULL, or both strings and equal. */
static bool same_or_null(const char *a, const char *b)
{
	return a ? b && strcmp(a, b) == 0 : !b;
}

/* Format st for a client of version, check the line and parse it back: the same
 * fields, the attributes only at version 2. */
static void status_again(const struct ctl_job_status *st, int version)
{
	struct ctl_job_status again;
	char *text = ctl_format_status(st, version);
	size_t n, spaces = 0, attributes = 0;

	CHECK(text != NULL);
	n = strlen(text);
	CHECK(n > 0 && text[n - 1] == '\n');
	text[n - 1] = '\0';
	/* One line, fields without control bytes; the nine, and the attributes that are
	 * set at version 2. */
	for (size_t i = 0; i + 1 < n; i++) {
		CHECK((unsigned char)text[i] >= 0x20 && text[i] != 0x7f);
		spaces += text[i] == ' ';
	}
	if (version >= 2)
		attributes = (st->file != NULL) + (st->ready != CTL_READY_ABSENT) +
			     (st->health != NULL) + (st->note != NULL) + st->oom_kill +
			     st->has_memory + st->has_cpu + st->has_pids;
	CHECK(spaces == 8u + attributes);
	CHECK(ctl_parse_status(text, &again) == 0);
	CHECK(strcmp(st->name, again.name) == 0);
	CHECK(strcmp(st->state, again.state) == 0);
	CHECK(strcmp(st->command, again.command) == 0);
	CHECK(st->pid == again.pid && st->uptime == again.uptime &&
	      st->restarts == again.restarts && st->exit_code == again.exit_code &&
	      st->exit_signal == again.exit_signal);
	if (version >= 2)
		CHECK(same_or_null(st->file, again.file) && st->ready == again.ready &&
		      same_or_null(st->health, again.health) && same_or_null(st->note, again.note) &&
		      st->oom_kill == again.oom_kill && st->has_memory == again.has_memory &&
		      st->has_cpu == again.has_cpu && st->has_pids == again.has_pids &&
		      (!st->has_memory || st->memory_bytes == again.memory_bytes) &&
		      (!st->has_cpu || st->cpu_usec == again.cpu_usec) &&
		      (!st->has_pids || st->pids == again.pids));
	else
		CHECK(!again.file && again.ready == CTL_READY_ABSENT && !again.health && !again.note &&
		      !again.oom_kill && !again.has_memory && !again.has_cpu && !again.has_pids);
	free(text);
}

static void fuzz_status(const uint8_t *data, size_t size)
{
	struct ctl_job_status st;
	char *line = copy_z(data, size);

	if (ctl_parse_status(line, &st) < 0) {
		CHECK(st.name == NULL && st.state == NULL && st.command == NULL && st.file == NULL &&
		      st.ready == CTL_READY_ABSENT && st.health == NULL && st.note == NULL &&
		      !st.oom_kill && !st.has_memory && !st.has_cpu && !st.has_pids);
		free(line);
		return;
	}
	CHECK(st.name && *st.name && st.state && *st.state && st.command);
	CHECK(st.pid >= 0 && st.uptime >= 0);
	CHECK(st.exit_code >= -1 && st.exit_code <= 255);
	CHECK(st.exit_signal == -1 || (st.exit_signal >= 1 && st.exit_signal <= 127));
	/* The strings point into the line, which they fit in. */
	CHECK(st.name >= line && st.name < line + size + 1);
	CHECK(st.command >= line && st.command < line + size + 1);
	if (st.file)
		CHECK(st.file > line && st.file < line + size + 1);
	if (st.note)
		CHECK(st.note > line && st.note < line + size + 1);
	if (st.health)
		CHECK(strcmp(st.health, "starting") == 0 || strcmp(st.health, "healthy") == 0 ||
		      strcmp(st.health, "unhealthy") == 0);
	CHECK(st.ready == CTL_READY_ABSENT || st.ready == CTL_READY_NO || st.ready == CTL_READY_YES);
	status_again(&st, 1);
	status_again(&st, 2);
	free(line);
}

/* A "line" of logs and follow: when it parses, it formats back (in the room the
 * header promises, and not in one byte less) to a line that parses to the same. */
static void fuzz_log_line(const uint8_t *data, size_t size)
{
	struct ctl_log_line in, again;
	char *line = copy_z(data, size), *text;
	size_t cap, n;

	if (ctl_parse_log_line(line, &in) < 0) {
		CHECK(in.name == NULL && in.text == NULL);
		free(line);
		return;
	}
	CHECK(ctl_valid_job_name(in.name));
	CHECK(in.pid >= 0 && in.time_ms >= 0);
	CHECK(in.text != NULL && strlen(in.text) <= size);
	cap = CTL_LOG_LINE_MAX(strlen(in.name), strlen(in.text));
	text = malloc(cap);
	if (!text)
		abort();
	n = ctl_format_log_line(text, cap, &in);
	CHECK(n > 0 && n < cap && strlen(text) == n && text[n - 1] == '\n');
	for (size_t i = 0; i + 1 < n; i++)
		CHECK((unsigned char)text[i] >= 0x20 && text[i] != 0x7f);
	/* the text field is escaped exactly as ctl_escape would */
	{
		char *esc = ctl_escape(in.text);

		CHECK(esc != NULL);
		CHECK(n > strlen(esc) + 1 && memcmp(text + n - 1 - strlen(esc), esc, strlen(esc)) == 0);
		free(esc);
	}
	CHECK(ctl_format_log_line(text, cap - 1, &in) == 0);
	text[n - 1] = '\0';
	CHECK(ctl_parse_log_line(text, &again) == 0);
	CHECK(strcmp(in.name, again.name) == 0);
	CHECK(strcmp(in.text, again.text) == 0);
	CHECK(in.pid == again.pid && in.time_ms == again.time_ms);
	free(text);
	free(line);
}

static void fuzz_escape(const uint8_t *data, size_t size)
{
	char *field = copy_z(data, size), *orig = copy_z(data, size), *esc;
	size_t orig_len = strlen(orig);

	/* Anything unescaped escapes back to something that unescapes to it. */
	if (ctl_unescape(field) == 0) {
		CHECK(strlen(field) <= orig_len);
		esc = ctl_escape(field);
		CHECK(esc != NULL);
		CHECK(ctl_unescape(esc) == 0);
		CHECK(strcmp(esc, field) == 0);
		free(esc);
	}
	/* And every string survives escape + unescape, with no space or control byte
	 * on the wire. */
	esc = ctl_escape(orig);
	CHECK(esc != NULL && *esc);
	for (const char *c = esc; *c; c++)
		CHECK(*c != ' ' && (unsigned char)*c >= 0x20 && *c != 0x7f);
	/* ctl_escape_into writes the same, in no more than CTL_ESCAPED_MAX */
	{
		size_t room = CTL_ESCAPED_MAX(orig_len), n;
		char *into = malloc(room);

		if (!into)
			abort();
		n = ctl_escape_into(into, orig, orig_len);
		CHECK(n < room && n == strlen(esc) && strcmp(into, esc) == 0);
		free(into);
	}
	CHECK(ctl_unescape(esc) == 0);
	CHECK(strcmp(esc, orig) == 0);
	free(esc);
	free(orig);
	free(field);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_request(data, size);
	fuzz_status(data, size);
	fuzz_log_line(data, size);
	fuzz_escape(data, size);
	return 0;
}
