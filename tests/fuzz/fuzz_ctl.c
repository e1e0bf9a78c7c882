/* fuzz_ctl.c: libFuzzer harness for the control protocol: requests, status lines and field escaping. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, so that libFuzzer keeps the input. */
#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

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
	if (a->command != b->command || a->n_names != b->n_names)
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
	CHECK(req.n_names <= CTL_MAX_NAMES);
	CHECK(ctl_command_name(req.command) != NULL);
	for (size_t i = 0; i < req.n_names; i++)
		CHECK(ctl_valid_job_name(req.names[i]));
	if (ctl_command_mutates(req.command) && req.command != CTL_RELOAD)
		CHECK(req.n_names > 0);

	text = ctl_format_request(req.command, req.names, req.n_names);
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

static void fuzz_status(const uint8_t *data, size_t size)
{
	struct ctl_job_status st, again;
	char *line = copy_z(data, size), *text;
	size_t n;

	if (ctl_parse_status(line, &st) < 0) {
		free(line);
		return;
	}
	CHECK(st.name && *st.name && st.state && *st.state && st.command);
	CHECK(st.pid >= 0 && st.uptime >= 0);
	CHECK(st.exit_code >= -1 && st.exit_code <= 255);
	CHECK(st.exit_signal == -1 || (st.exit_signal >= 1 && st.exit_signal <= 127));
	text = ctl_format_status(&st);
	CHECK(text != NULL);
	n = strlen(text);
	CHECK(n > 0 && text[n - 1] == '\n');
	text[n - 1] = '\0';
	/* One line, fields without spaces or control bytes. */
	for (size_t i = 0; i + 1 < n; i++)
		CHECK((unsigned char)text[i] >= 0x20 && text[i] != 0x7f);
	CHECK(ctl_parse_status(text, &again) == 0);
	CHECK(strcmp(st.name, again.name) == 0);
	CHECK(strcmp(st.state, again.state) == 0);
	CHECK(strcmp(st.command, again.command) == 0);
	CHECK(st.pid == again.pid && st.uptime == again.uptime &&
	      st.restarts == again.restarts && st.exit_code == again.exit_code &&
	      st.exit_signal == again.exit_signal);
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
	fuzz_escape(data, size);
	return 0;
}
