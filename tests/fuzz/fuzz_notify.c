/* fuzz_notify.c: libFuzzer harness for the sd_notify datagrams jobs send (notify_parse_message). SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "fuzz.h"

#define DATAGRAM_MAX NOTIFY_MESSAGE_MAX	/* 4096: longer is refused */
#define STATUS_MAX (sizeof(((struct notify_message *)0)->status) - 1)

/* What the parser should make of a datagram, written apart from src/notify.c from
 * its documented rules: lines separated by "\n", the last one may be empty; every
 * other line is KEY=VALUE; READY=1 makes it ready; the last STATUS= line gives the
 * status, control bytes dropped, cut at 255 bytes; a NUL byte, an empty datagram or
 * more than 4096 bytes is refused. */
struct model {
	int rc;
	bool ready, has_status;
	char status[STATUS_MAX + 1];
	size_t status_full;	/* length of the kept bytes before the cut */
};

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static void model_parse(const uint8_t *data, size_t size, struct model *m)
{
	size_t at = 0;

	memset(m, 0, sizeof(*m));
	m->rc = -1;
	if (size == 0 || size > DATAGRAM_MAX || memchr(data, '\0', size))
		return;
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t end = nl ? (size_t)(nl - data) : size, len = end - at;
		const char *line = (const char *)data + at;

		if (!memchr(line, '=', len))
			return;		/* also an empty line that is not the last */
		if (len == 7 && memcmp(line, "READY=1", 7) == 0)
			m->ready = true;
		if (len >= 7 && memcmp(line, "STATUS=", 7) == 0) {
			size_t n = 0;

			m->has_status = true;
			m->status_full = 0;
			for (size_t i = 7; i < len; i++) {
				if (is_control((unsigned char)line[i]))
					continue;
				m->status_full++;
				if (n < STATUS_MAX)
					m->status[n++] = line[i];
			}
			m->status[n] = '\0';
		}
		at = end + 1;	/* past the newline; equal to size + 1 after the last line */
	}
	m->rc = 0;
}

static bool has_line(const uint8_t *data, size_t size, const char *want)
{
	size_t n = strlen(want), at = 0;

	while (at <= size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t end = nl ? (size_t)(nl - data) : size;

		if (end - at == n && memcmp(data + at, want, n) == 0)
			return true;
		at = end + 1;
	}
	return false;
}

static bool same_message(const struct notify_message *a, const struct notify_message *b)
{
	return a->ready == b->ready && a->has_status == b->has_status &&
	       (!a->has_status || strcmp(a->status, b->status) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_message msg, again;
	struct model m;
	char *spill;
	int rc;

	/* The daemon's receive buffer is not NUL-terminated: the bytes as they come, in a
	 * buffer of exactly their size (libFuzzer's and replay.c's), so that ASan sees a
	 * read past len. The message is filled with garbage first: the parser must set
	 * every field it promises. */
	memset(&msg, 0xa5, sizeof(msg));
	rc = notify_parse_message((const char *)data, size, &msg);
	CHECK(rc == 0 || rc == -1);

	/* Never taken: a NUL byte, an empty datagram, more than 4096 bytes. */
	if (size == 0 || size > DATAGRAM_MAX || memchr(data, '\0', size))
		CHECK(rc == -1);

	if (rc == 0) {
		size_t n;

		/* The status is a C string of at most 255 bytes without control bytes
		 * (it goes into log lines and the control protocol). */
		CHECK(memchr(msg.status, '\0', sizeof(msg.status)) != NULL);
		n = strlen(msg.status);
		CHECK(n <= STATUS_MAX);
		for (size_t i = 0; i < n; i++)
			CHECK(!is_control((unsigned char)msg.status[i]));
		/* Ready only when the datagram holds a line READY=1, and always then. */
		CHECK(msg.ready == has_line(data, size, "READY=1"));
		if (!msg.has_status)
			CHECK(msg.status[0] == '\0');
	}

	/* The documented rules, written again here: same verdict, same message. */
	model_parse(data, size, &m);
	CHECK(rc == m.rc);
	if (rc == 0) {
		CHECK(msg.ready == m.ready);
		CHECK(msg.has_status == m.has_status);
		if (m.has_status)
			CHECK(strcmp(msg.status, m.status) == 0);
	}

	/* The same bytes with other bytes after them, and a message that held zeros
	 * before: the parser reads only len bytes and keeps nothing from before. */
	spill = malloc(size + 16);
	if (!spill)
		abort();
	if (size)
		memcpy(spill, data, size);
	memset(spill + size, '\n', 16);
	memset(&again, 0, sizeof(again));
	CHECK(notify_parse_message(spill, size, &again) == rc);
	if (rc == 0)
		CHECK(same_message(&msg, &again));
	free(spill);
	return 0;
}
