/* fuzz_udp.c: libFuzzer harness for the UDP control datagrams, the udp:// address parser and the report format. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "parse.h"
#include "udp.h"
#include "fuzz.h"

#define MAX_NAMES 128		/* what the daemon passes (UDP_MAX_NAMES in udp.c) */
#define MAX_LINES 2048		/* report lines taken from one input */
#define HOST_MAX 255		/* the daemon's report_host[256] */
#define IFACE_ADDR_MAX 63	/* the daemon's report_iface_addr[64] */

static char *copy_z(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static void fuzz_control(const uint8_t *data, size_t size)
{
	/* len + 1 bytes, as the daemon's receive buffer: the parser writes a NUL at len. */
	char *buf = malloc(size + 1);
	char *names[MAX_NAMES], why[256];
	size_t n_names = 0;
	bool enable = false;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	why[0] = '\0';
	if (udp_parse_control(buf, size, &enable, names, &n_names, MAX_NAMES, why,
			      sizeof(why)) == 0) {
		CHECK(size <= UDP_CONTROL_MAX);
		CHECK(n_names >= 1 && n_names <= MAX_NAMES);
		for (size_t i = 0; i < n_names; i++) {
			CHECK(names[i] >= buf && names[i] < buf + size);
			CHECK(ctl_valid_job_name(names[i]));
		}
	} else {
		CHECK(why[0] != '\0');
		/* The reason is logged: one line, no control bytes. */
		for (const char *c = why; *c; c++)
			CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
	}
	free(buf);
}

static void check_spec(const char *text, bool allow_iface, const struct parse_udp *spec)
{
	size_t n;
	unsigned long port;
	char *end;

	CHECK(memchr(spec->host, '\0', sizeof(spec->host)) != NULL);
	CHECK(memchr(spec->port, '\0', sizeof(spec->port)) != NULL);
	CHECK(memchr(spec->iface, '\0', sizeof(spec->iface)) != NULL);
	CHECK(spec->host[0] != '\0');
	port = strtoul(spec->port, &end, 10);
	CHECK(*end == '\0' && port >= 1 && port <= 65535);
	if (!allow_iface)
		CHECK(spec->iface[0] == '\0');
	n = strlen(spec->host);
	CHECK(strstr(text, spec->host) != NULL && n < sizeof(spec->host));
}

static void fuzz_spec(const uint8_t *data, size_t size)
{
	char *text = copy_z(data, size);
	struct parse_udp with, without;
	const char *why_with, *why_without;

	why_with = parse_udp_spec(text, true, &with);
	why_without = parse_udp_spec(text, false, &without);
	if (!why_with)
		check_spec(text, true, &with);
	else
		CHECK(*why_with);
	if (!why_without) {
		check_spec(text, false, &without);
		/* What listen on accepts, report to accepts, with the same parts. */
		CHECK(why_with == NULL);
		CHECK(strcmp(with.host, without.host) == 0 && strcmp(with.port, without.port) == 0);
	} else {
		CHECK(*why_without);
	}
	free(text);
}

struct emitted {
	const char *header;
	size_t header_len, max, datagrams, lines;
};

static void emit_cb(const char *buf, size_t len, void *arg)
{
	struct emitted *e = arg;

	CHECK(len <= e->max);
	CHECK(len > 0 && buf[len - 1] == '\n');
	CHECK(len >= e->header_len && memcmp(buf, e->header, e->header_len) == 0);
	for (size_t i = e->header_len; i < len; i++)
		if (buf[i] == '\n')
			e->lines++;
	e->datagrams++;
}

static uint64_t mix(uint64_t h, uint8_t b)
{
	return (h ^ b) * 1099511628211ULL;
}

/* The input as report lines: the first line is the host, the second the interface
 * address, each other line "NAME COMMAND"; numbers are derived from the bytes, the
 * size limit from the first byte. */
static void fuzz_report(const uint8_t *data, size_t size)
{
	char *text = copy_z(data, size), *save = NULL, *line, *host, *iface;
	struct udp_report_line *lines = calloc(MAX_LINES, sizeof(*lines));
	static const size_t maxes[] = { 0, 1, 16, 64, 200, 512, 1400, 1472, 1473, 65536 };
	struct emitted e = { 0 };
	char header[512];
	size_t n = 0, sent;
	uint64_t h = 14695981039346656037ULL;

	if (!lines)
		abort();
	for (size_t i = 0; i < size; i++)
		h = mix(h, data[i]);
	e.max = size ? maxes[data[0] % (sizeof(maxes) / sizeof(maxes[0]))] : UDP_DATAGRAM_MAX;
	host = strtok_r(text, "\n", &save);
	if (!host)
		host = "localhost";
	if (strlen(host) > HOST_MAX)
		host[HOST_MAX] = '\0';
	iface = strtok_r(NULL, "\n", &save);
	if (iface && strlen(iface) > IFACE_ADDR_MAX)
		iface[IFACE_ADDR_MAX] = '\0';
	while (n < MAX_LINES && (line = strtok_r(NULL, "\n", &save))) {
		char *sp = strchr(line, ' ');

		if (sp)
			*sp++ = '\0';
		lines[n].name = line;
		lines[n].command = sp ? sp : "";
		lines[n].enabled = h & 1;
		lines[n].seconds = (long long)(h >> 1) * ((h & 2) ? -1 : 1);
		lines[n].pid = (long)(h >> 7);
		h = mix(h, (uint8_t)n);
		n++;
	}
	snprintf(header, sizeof(header), "report %s%s%s\n", host, iface && *iface ? " " : "",
		 iface ? iface : "");
	e.header = header;
	e.header_len = strlen(header);
	if (e.max > UDP_DATAGRAM_MAX)
		e.max = UDP_DATAGRAM_MAX;
	sent = udp_format_report(host, iface, lines, n, e.max, emit_cb, &e);
	CHECK(sent == e.datagrams);
	if (e.header_len < e.max) {
		CHECK(sent >= 1);
		/* Every job line is sent, once. */
		CHECK(e.lines == n);
	} else {
		CHECK(sent == 0);
	}
	free(lines);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_control(data, size);
	fuzz_spec(data, size);
	fuzz_report(data, size);
	return 0;
}
