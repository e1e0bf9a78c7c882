/* check_ctlproto.c: unit tests of the control protocol: escaping, requests, status lines, error kinds. SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "util.h"

#define HELLO CTL_HELLO "\n"

/* ---- escaping --------------------------------------------------------------- */

static void round_trip(const char *field)
{
	char *e = ctl_escape(field);

	ck_assert_ptr_nonnull(e);
	ck_assert_msg(*e, "escape of \"%s\" is empty", field);
	for (const unsigned char *p = (const unsigned char *)e; *p; p++)
		ck_assert_msg(*p != ' ' && *p >= 0x20 && *p != 0x7f,
			      "escape of \"%s\" holds byte 0x%02x", field, *p);
	ck_assert_int_eq(ctl_unescape(e), 0);
	ck_assert_str_eq(e, field);
	free(e);
}

static void escapes_to(const char *field, const char *want)
{
	char *e = ctl_escape(field);

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, want);
	free(e);
}

START_TEST(escape_round_trips)
{
	static const char *const fields[] = {
		"", "a", "plain", "a b", "  lead", "trail  ", "\t", "tab\there", "line\nbreak\n",
		"\\", "\\\\", "back\\slash", "\\s", "\\e", "\\x41", "\x01", "\x1f\x7f",
		"cr\rlf", "/bin/sh -c \"echo hi; exit 3\"", "h\xc3\xa9llo \xe2\x9c\x93",
		"\xf0\x9f\x98\x80 emoji", "\xff\xfe invalid utf-8 passes through",
	};
	char all[256];

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		round_trip(fields[i]);
	for (int c = 1; c < 256; c++)
		all[c - 1] = (char)c;
	all[255] = '\0';
	round_trip(all);
}
END_TEST

START_TEST(escape_forms)
{
	escapes_to("", "\\e");
	escapes_to("a b", "a\\sb");
	escapes_to("\t\n\\", "\\t\\n\\\\");
	escapes_to("\x01", "\\x01");
	escapes_to("\x1b[31m", "\\x1b[31m");
	escapes_to("\x7f", "\\x7f");
	escapes_to("\r", "\\x0d");
	escapes_to("h\xc3\xa9", "h\xc3\xa9");
	escapes_to("\\e", "\\\\e");
	ck_assert_ptr_null(ctl_escape(NULL));
}
END_TEST

START_TEST(unescape_forms)
{
	char buf[32];

	strcpy(buf, "\\e");
	ck_assert_int_eq(ctl_unescape(buf), 0);
	ck_assert_str_eq(buf, "");
	strcpy(buf, "\\x4A\\x4a");
	ck_assert_int_eq(ctl_unescape(buf), 0);
	ck_assert_str_eq(buf, "JJ");
	strcpy(buf, "\\xff\\x01");
	ck_assert_int_eq(ctl_unescape(buf), 0);
	ck_assert_str_eq(buf, "\xff\x01");
	strcpy(buf, "a\\sb\\tc\\nd\\\\");
	ck_assert_int_eq(ctl_unescape(buf), 0);
	ck_assert_str_eq(buf, "a b\tc\nd\\");
}
END_TEST

START_TEST(unescape_rejects)
{
	static const char *const bad[] = {
		"", "\\", "a\\", "\\q", "\\S", "\\x", "\\x1", "\\xg0", "\\x0g", "\\x00",
		"a b", "a\tb", "a\nb", "\x01", "a\x7f", "\\ea", "a\\e", "\\e\\e",
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(buf, bad[i]);
		ck_assert_msg(ctl_unescape(buf) < 0, "unescape accepted bad field #%zu", i);
	}
	ck_assert_int_lt(ctl_unescape(NULL), 0);
}
END_TEST

/* ---- names of commands and errors ------------------------------------------ */

START_TEST(command_names)
{
	static const struct {
		const char *word;
		enum ctl_command command;
		bool mutates;
	} all[] = {
		{ "status", CTL_STATUS, false }, { "start", CTL_START, true },
		{ "stop", CTL_STOP, true }, { "restart", CTL_RESTART, true },
		{ "enable", CTL_ENABLE, true }, { "disable", CTL_DISABLE, true },
		{ "reload", CTL_RELOAD, true },
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		ck_assert_int_eq(ctl_command_from_name(all[i].word), all[i].command);
		ck_assert_str_eq(ctl_command_name(all[i].command), all[i].word);
		ck_assert_int_eq(ctl_command_mutates(all[i].command), all[i].mutates);
	}
	ck_assert_int_eq(ctl_command_from_name("STATUS"), -1);
	ck_assert_int_eq(ctl_command_from_name("stat"), -1);
	ck_assert_int_eq(ctl_command_from_name("statuses"), -1);
	ck_assert_int_eq(ctl_command_from_name(""), -1);
	ck_assert_int_eq(ctl_command_from_name(NULL), -1);
	ck_assert_ptr_null(ctl_command_name((enum ctl_command)99));
	ck_assert(!ctl_command_mutates((enum ctl_command)99));
}
END_TEST

START_TEST(error_kinds)
{
	ck_assert_str_eq(ctl_error_name(CTL_ERR_USAGE), "usage");
	ck_assert_str_eq(ctl_error_name(CTL_ERR_UNKNOWN), "unknown");
	ck_assert_str_eq(ctl_error_name(CTL_ERR_REFUSED), "refused");
	ck_assert_ptr_null(ctl_error_name((enum ctl_error)99));
	ck_assert_int_eq(ctl_error_from_name("usage"), CTL_ERR_USAGE);
	ck_assert_int_eq(ctl_error_from_name("unknown"), CTL_ERR_UNKNOWN);
	ck_assert_int_eq(ctl_error_from_name("refused"), CTL_ERR_REFUSED);
	ck_assert_int_eq(ctl_error_from_name("Refused"), -1);
	ck_assert_int_eq(ctl_error_from_name("ok"), -1);
	ck_assert_int_eq(ctl_error_from_name(""), -1);
	ck_assert_int_eq(ctl_error_from_name(NULL), -1);
	ck_assert_int_eq(ctl_error_exit_status(CTL_ERR_USAGE), 1);
	ck_assert_int_eq(ctl_error_exit_status(CTL_ERR_UNKNOWN), 3);
	ck_assert_int_eq(ctl_error_exit_status(CTL_ERR_REFUSED), 4);
	ck_assert_int_eq(ctl_error_exit_status((enum ctl_error)99), 4);
}
END_TEST

START_TEST(hello_lines)
{
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl 1", 10), 1);
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl 2", 10), 2);
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl 0", 10), 0);
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl 123456789", 18), 123456789);
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl 1234567890", 19), -1);
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl 1\n", 11), -1);
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl 1 ", 11), -1);
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl 01", 11), -1);
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl -1", 11), -1);
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl ", 9), -1);
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl", 8), -1);
	ck_assert_int_eq(ctl_parse_hello("PMTR-CTL 1", 10), -1);
	ck_assert_int_eq(ctl_parse_hello("", 0), -1);
	ck_assert_int_eq(ctl_parse_hello(NULL, 0), -1);
	/* len counts: a longer buffer is read only up to len */
	ck_assert_int_eq(ctl_parse_hello("pmtr-ctl 12", 10), 1);
}
END_TEST

/* ---- requests --------------------------------------------------------------- */

static int parse(const char *text, size_t len, struct ctl_request *req, char *why, size_t why_len)
{
	return ctl_parse_request(text, len, req, why, why_len);
}

/* Expect the request text to be refused with a reason containing want. */
static void refused(const char *text, size_t len, const char *want)
{
	struct ctl_request req;
	char why[256] = "unchanged";
	int rc = parse(text, len, &req, why, sizeof(why));

	ck_assert_msg(rc == -1, "request \"%.*s\" gave %d, not -1", (int)len, text, rc);
	ck_assert_msg(strstr(why, want), "request \"%.*s\": reason \"%s\" lacks \"%s\"",
		      (int)len, text, why, want);
	ck_assert_msg(!strchr(why, '\n'), "reason \"%s\" is not one line", why);
	ck_assert_ptr_null(req.names);
	ck_assert_uint_eq(req.n_names, 0);
}

static void refused_str(const char *text, const char *want)
{
	refused(text, strlen(text), want);
}

START_TEST(request_good)
{
	struct ctl_request req;
	char why[128];
	const char *all = HELLO "status a B-1 c.d_e@f:g+h 9\n";

	ck_assert_int_eq(parse(HELLO "status\n", strlen(HELLO "status\n"), &req, why, sizeof(why)), 0);
	ck_assert_int_eq(req.command, CTL_STATUS);
	ck_assert_uint_eq(req.n_names, 0);
	ctl_request_free(&req);

	ck_assert_int_eq(parse(all, strlen(all), &req, why, sizeof(why)), 0);
	ck_assert_int_eq(req.command, CTL_STATUS);
	ck_assert_uint_eq(req.n_names, 4);
	ck_assert_str_eq(req.names[0], "a");
	ck_assert_str_eq(req.names[1], "B-1");
	ck_assert_str_eq(req.names[2], "c.d_e@f:g+h");
	ck_assert_str_eq(req.names[3], "9");
	ctl_request_free(&req);
	ck_assert_ptr_null(req.names);
	ck_assert_uint_eq(req.n_names, 0);
	ctl_request_free(&req);	/* twice is harmless */

	/* runs of spaces separate words too */
	ck_assert_int_eq(parse(HELLO "  stop   a  b \n", strlen(HELLO "  stop   a  b \n"),
			       &req, why, sizeof(why)), 0);
	ck_assert_int_eq(req.command, CTL_STOP);
	ck_assert_uint_eq(req.n_names, 2);
	ck_assert_str_eq(req.names[0], "a");
	ck_assert_str_eq(req.names[1], "b");
	ctl_request_free(&req);

	ck_assert_int_eq(parse(HELLO "reload\n", strlen(HELLO "reload\n"), &req, NULL, 0), 0);
	ck_assert_int_eq(req.command, CTL_RELOAD);
	ck_assert_uint_eq(req.n_names, 0);
	ctl_request_free(&req);
}
END_TEST

START_TEST(request_every_command)
{
	for (int c = CTL_STATUS; c <= CTL_RELOAD; c++) {
		char *names[] = { "web" };
		size_t n = c == CTL_RELOAD ? 0 : 1;
		char *text = ctl_format_request((enum ctl_command)c, names, n);
		struct ctl_request req;
		char why[128], want[64];

		ck_assert_ptr_nonnull(text);
		snprintf(want, sizeof(want), "%s%s%s\n", HELLO, ctl_command_name((enum ctl_command)c),
			 n ? " web" : "");
		ck_assert_str_eq(text, want);
		ck_assert_int_eq(parse(text, strlen(text), &req, why, sizeof(why)), 0);
		ck_assert_int_eq(req.command, c);
		ck_assert_uint_eq(req.n_names, n);
		if (n)
			ck_assert_str_eq(req.names[0], "web");
		ctl_request_free(&req);
		free(text);
	}
}
END_TEST

START_TEST(request_format)
{
	char *names[] = { "a", "b", "c" };
	char *text = ctl_format_request(CTL_RESTART, names, 3);

	ck_assert_str_eq(text, "pmtr-ctl 1\nrestart a b c\n");
	free(text);
	text = ctl_format_request(CTL_STATUS, NULL, 0);
	ck_assert_str_eq(text, "pmtr-ctl 1\nstatus\n");
	free(text);
	ck_assert_ptr_null(ctl_format_request((enum ctl_command)99, NULL, 0));
	ck_assert_ptr_null(ctl_format_request(CTL_STOP, NULL, 2));
}
END_TEST

/* Every proper prefix of a good request is incomplete: the server reads on. */
START_TEST(request_truncated)
{
	static const char *const good[] = {
		HELLO "status\n", HELLO "stop web db\n", HELLO "reload\n", HELLO "status  \n",
	};
	struct ctl_request req;
	char why[128];

	for (size_t g = 0; g < sizeof(good) / sizeof(good[0]); g++) {
		size_t len = strlen(good[g]);

		for (size_t n = 0; n < len; n++) {
			int rc = parse(good[g], n, &req, why, sizeof(why));

			ck_assert_msg(rc == 1, "prefix of %zu bytes of request %zu gave %d (%s)",
				      n, g, rc, why);
			ck_assert_ptr_null(req.names);
		}
		ck_assert_int_eq(parse(good[g], len, &req, why, sizeof(why)), 0);
		ctl_request_free(&req);
	}
	ck_assert_int_eq(parse(NULL, 0, &req, why, sizeof(why)), 1);
	/* a hello still arriving, with as many digits as a version may have */
	ck_assert_int_eq(parse("pmtr-ctl 123456789", 18, &req, why, sizeof(why)), 1);
}
END_TEST

/* A request of exactly CTL_REQUEST_MAX bytes: its names fill it. */
static char *request_of_size(size_t size, bool newline)
{
	char *buf = malloc(size + 1);
	size_t len;

	ck_assert_ptr_nonnull(buf);
	len = (size_t)sprintf(buf, "%sstatus", HELLO);
	while (len < size - (newline ? 1 : 0)) {
		size_t room = size - (newline ? 1 : 0) - len;
		size_t n = room - 1 > 128 ? 128 : room - 1;

		if (room < 2) {		/* no room for " x": lengthen the last name */
			buf[len++] = 'z';
			continue;
		}
		if (room - 1 - n == 1)	/* never leave exactly one byte */
			n--;
		buf[len++] = ' ';
		memset(buf + len, 'n', n);
		len += n;
	}
	if (newline)
		buf[len++] = '\n';
	buf[len] = '\0';
	ck_assert_uint_eq(len, size);
	return buf;
}

START_TEST(request_oversized)
{
	struct ctl_request req;
	char why[128];
	char *buf = request_of_size(CTL_REQUEST_MAX, true), *big;

	ck_assert_int_eq(parse(buf, CTL_REQUEST_MAX, &req, why, sizeof(why)), 0);
	ck_assert_uint_gt(req.n_names, 30);
	ctl_request_free(&req);
	free(buf);

	/* one byte more, complete or not, is too long */
	buf = request_of_size(CTL_REQUEST_MAX + 1, true);
	refused(buf, CTL_REQUEST_MAX + 1, "longer than 4096 bytes");
	free(buf);
	buf = request_of_size(CTL_REQUEST_MAX + 1, false);
	refused(buf, CTL_REQUEST_MAX + 1, "longer than 4096 bytes");
	free(buf);
	/* the limit reached without a newline: it can never end in time */
	buf = request_of_size(CTL_REQUEST_MAX, false);
	refused(buf, CTL_REQUEST_MAX, "longer than 4096 bytes");
	free(buf);
	buf = request_of_size(CTL_REQUEST_MAX - 1, false);
	ck_assert_int_eq(parse(buf, CTL_REQUEST_MAX - 1, &req, why, sizeof(why)), 1);
	free(buf);

	/* a 1 MB line */
	big = malloc(1 << 20);
	ck_assert_ptr_nonnull(big);
	memcpy(big, HELLO "status ", strlen(HELLO "status "));
	memset(big + strlen(HELLO "status "), 'a', (1 << 20) - strlen(HELLO "status "));
	big[(1 << 20) - 1] = '\n';
	refused(big, 1 << 20, "longer than 4096 bytes");
	free(big);
}
END_TEST

START_TEST(request_binary)
{
	static const char nul_cmd[] = HELLO "sta\0tus\n";
	static const char nul_name[] = HELLO "stop a\0b\n";
	static const char nul_hello[] = "pmtr\0ctl 1\nstatus\n";
	static const char nul_first[] = "\0\0\0\0";
	unsigned char random_bytes[512];
	unsigned state = 12345;

	refused(nul_cmd, sizeof(nul_cmd) - 1, "NUL byte");
	refused(nul_name, sizeof(nul_name) - 1, "NUL byte");
	/* even before the line ends */
	refused(nul_name, strlen(HELLO) + 7, "NUL byte");
	refused(nul_hello, sizeof(nul_hello) - 1, "bad hello");
	refused(nul_first, sizeof(nul_first) - 1, "bad hello");
	refused_str(HELLO "status\r\n", "control byte");
	refused_str(HELLO "stop\ta\n", "control byte");
	refused_str(HELLO "stop a\x1b[2J\n", "control byte");
	refused_str(HELLO "stop a\x7f\n", "control byte");
	refused_str(HELLO "stop \xc3\xa9t\xc3\xa9\n", "bad job name");
	refused_str(HELLO "\xff\xfe\n", "unknown command");
	refused_str("\xff\xfe\xfd", "bad hello");
	refused_str("pmtr-ctl 1\r\nstatus\r\n", "bad hello");

	/* random bytes are refused at once, whatever their length */
	for (size_t i = 0; i < sizeof(random_bytes); i++) {
		state = state * 1103515245u + 12345u;
		random_bytes[i] = (unsigned char)(state >> 16);
	}
	random_bytes[0] = 0x9c;	/* not "p" */
	for (size_t n = 1; n <= sizeof(random_bytes); n *= 2)
		refused((const char *)random_bytes, n, "bad hello");
}
END_TEST

START_TEST(request_bad_hello)
{
	refused_str("status\n", "bad hello");
	refused_str("\nstatus\n", "bad hello");
	refused_str("pmtr-ctl\nstatus\n", "bad hello");
	refused_str("pmtr-ctl \nstatus\n", "bad hello");
	refused_str("pmtr-ctl 1 \nstatus\n", "bad hello");
	refused_str(" pmtr-ctl 1\nstatus\n", "bad hello");
	refused_str("PMTR-CTL 1\nstatus\n", "bad hello");
	refused_str("pmtr-ctl x\nstatus\n", "bad hello");
	refused_str("pmtr-ctl 01\nstatus\n", "bad hello");
	refused_str("pmtr-ctl 1234567890\n", "bad hello");
	refused_str("pmtr-ctl 1234567890", "bad hello");
	refused_str("pmtr-ctl 1.0\nstatus\n", "bad hello");
	refused_str("GET / HTTP/1.1", "bad hello");
	refused_str("pmtr-cx", "bad hello");
	refused_str("pmtr-ctl 1x", "bad hello");
}
END_TEST

START_TEST(request_version)
{
	struct ctl_request req;
	char why[128];

	refused_str("pmtr-ctl 2\nstatus\n", "unsupported protocol version 2");
	/* said as soon as the hello line is there */
	refused_str("pmtr-ctl 2\n", "unsupported protocol version 2");
	refused_str("pmtr-ctl 0\nstatus\n", "unsupported protocol version 0");
	refused_str("pmtr-ctl 999\nstop a\n", "unsupported protocol version 999");
	ck_assert_int_eq(parse("pmtr-ctl 2\n", 11, &req, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "unsupported protocol version 2");
}
END_TEST

START_TEST(request_unknown_command)
{
	refused_str(HELLO "frobnicate a\n", "unknown command \"frobnicate\"");
	refused_str(HELLO "STATUS\n", "unknown command");
	refused_str(HELLO "stat\n", "unknown command");
	refused_str(HELLO "statusx\n", "unknown command");
	refused_str(HELLO "--json\n", "unknown command");
	refused_str(HELLO "\n", "no command");
	refused_str(HELLO "    \n", "no command");
}
END_TEST

START_TEST(job_names)
{
	char name[130];

	ck_assert(ctl_valid_job_name("a"));
	ck_assert(ctl_valid_job_name("Web-1.2_x@host:80+tls"));
	ck_assert(ctl_valid_job_name("-x"));
	ck_assert(!ctl_valid_job_name(""));
	ck_assert(!ctl_valid_job_name(NULL));
	ck_assert(!ctl_valid_job_name("a b"));
	ck_assert(!ctl_valid_job_name("a/b"));
	ck_assert(!ctl_valid_job_name("a\tb"));
	ck_assert(!ctl_valid_job_name("\xc3\xa9"));
	memset(name, 'n', 128);
	name[128] = '\0';
	ck_assert(ctl_valid_job_name(name));
	name[128] = 'n';
	name[129] = '\0';
	ck_assert(!ctl_valid_job_name(name));
}
END_TEST

START_TEST(request_name_rules)
{
	char name[200], text[300];

	refused_str(HELLO "reload a\n", "reload takes no job names");
	refused_str(HELLO "start\n", "start needs at least one job name");
	refused_str(HELLO "stop\n", "stop needs at least one job name");
	refused_str(HELLO "restart  \n", "restart needs at least one job name");
	refused_str(HELLO "enable\n", "enable needs");
	refused_str(HELLO "disable\n", "disable needs");
	refused_str(HELLO "stop a/b\n", "bad job name \"a/b\"");
	refused_str(HELLO "stop a*\n", "bad job name");
	refused_str(HELLO "stop $x\n", "bad job name");
	refused_str(HELLO "stop good \"quoted\"\n", "bad job name");
	refused_str(HELLO "status a,b\n", "bad job name");
	refused_str(HELLO "status a\\sb\n", "bad job name");

	memset(name, 'n', 128);
	name[128] = '\0';
	snprintf(text, sizeof(text), HELLO "stop %s\n", name);
	{
		struct ctl_request req;
		char why[128];

		ck_assert_int_eq(parse(text, strlen(text), &req, why, sizeof(why)), 0);
		ck_assert_str_eq(req.names[0], name);
		ctl_request_free(&req);
	}
	name[128] = 'n';
	name[129] = '\0';
	snprintf(text, sizeof(text), HELLO "stop %s\n", name);
	refused_str(text, "bad job name");
}
END_TEST

static char *names_request(size_t n)
{
	size_t cap = 64 + n * 6, len;
	char *buf = malloc(cap);

	ck_assert_ptr_nonnull(buf);
	len = (size_t)sprintf(buf, "%sstatus", HELLO);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, " %zx", i);
	strcpy(buf + len, "\n");
	return buf;
}

START_TEST(request_too_many_names)
{
	struct ctl_request req;
	char why[128];
	char *text = names_request(CTL_MAX_NAMES);

	ck_assert_uint_le(strlen(text), CTL_REQUEST_MAX);
	ck_assert_int_eq(parse(text, strlen(text), &req, why, sizeof(why)), 0);
	ck_assert_uint_eq(req.n_names, CTL_MAX_NAMES);
	ck_assert_str_eq(req.names[CTL_MAX_NAMES - 1], "1ff");
	ctl_request_free(&req);
	free(text);

	text = names_request(CTL_MAX_NAMES + 1);
	ck_assert_uint_le(strlen(text), CTL_REQUEST_MAX);
	refused_str(text, "more than 512 job names");
	free(text);
}
END_TEST

START_TEST(request_trailing_garbage)
{
	refused_str(HELLO "status\nxyz", "data after the command line");
	refused_str(HELLO "status\n\n", "data after the command line");
	refused_str(HELLO "status\n" HELLO "stop a\n", "data after the command line");
}
END_TEST

START_TEST(request_why_is_optional)
{
	struct ctl_request req;
	char why[8];

	ck_assert_int_eq(ctl_parse_request("junk\n", 5, &req, NULL, 0), -1);
	ck_assert_int_eq(ctl_parse_request("junk\n", 5, &req, why, 0), -1);
	/* a small buffer gets a cut reason, still terminated */
	ck_assert_int_eq(ctl_parse_request(HELLO "nope\n", strlen(HELLO "nope\n"), &req, why,
					   sizeof(why)), -1);
	ck_assert_uint_eq(strlen(why), sizeof(why) - 1);
}
END_TEST

/* ---- status lines ----------------------------------------------------------- */

static void status_round_trip(const struct ctl_job_status *in)
{
	struct ctl_job_status out;
	char *line = ctl_format_status(in);
	size_t len;

	ck_assert_ptr_nonnull(line);
	len = strlen(line);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(line[len - 1], '\n');
	ck_assert_ptr_eq(strchr(line, '\n'), line + len - 1);
	line[len - 1] = '\0';
	ck_assert_msg(ctl_parse_status(line, &out) == 0, "cannot parse back \"%s\"", line);
	ck_assert_str_eq(out.name, in->name);
	ck_assert_str_eq(out.state, in->state);
	ck_assert_int_eq(out.pid, in->pid);
	ck_assert_int_eq(out.uptime, in->uptime);
	ck_assert_uint_eq(out.restarts, in->restarts);
	ck_assert_int_eq(out.exit_code, in->exit_code);
	ck_assert_int_eq(out.exit_signal, in->exit_signal);
	ck_assert_str_eq(out.command, in->command);
	free(line);
}

START_TEST(status_format)
{
	struct ctl_job_status st = {
		.name = "web", .state = "running", .pid = 123, .uptime = 5, .restarts = 0,
		.exit_code = -1, .exit_signal = -1, .command = "/bin/sleep 100",
	};
	char *line = ctl_format_status(&st);

	ck_assert_str_eq(line, "job web running 123 5 0 - - /bin/sleep\\s100\n");
	free(line);
	st = (struct ctl_job_status){
		.name = "w", .state = "waiting to restart", .pid = 0, .uptime = 0,
		.restarts = 7, .exit_code = 3, .exit_signal = -1, .command = "",
	};
	line = ctl_format_status(&st);
	ck_assert_str_eq(line, "job w waiting\\sto\\srestart 0 0 7 3 - \\e\n");
	free(line);
	st.exit_code = -1;
	st.exit_signal = 9;
	line = ctl_format_status(&st);
	ck_assert_str_eq(line, "job w waiting\\sto\\srestart 0 0 7 - 9 \\e\n");
	free(line);
}
END_TEST

START_TEST(status_round_trips)
{
	static const char *const states[] = {
		"pending", "running", "stopping", "waiting to restart", "disabled", "done",
	};
	struct ctl_job_status st = {
		.name = "a.b-c_d@e:f+g", .pid = 4194304, .uptime = 86400 * 400LL,
		.restarts = 12, .exit_code = 0, .exit_signal = -1,
		.command = "/bin/sh -c \"echo 'a\tb'; printf '\\n\\x01'\" \xc3\xa9",
	};

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		st.state = (char *)states[i];
		status_round_trip(&st);
	}
	st.exit_code = -1;
	st.exit_signal = 15;
	st.command = "";
	status_round_trip(&st);
	st.exit_code = 255;
	st.exit_signal = 127;
	st.pid = LONG_MAX;
	st.uptime = LLONG_MAX;
	st.restarts = ULONG_MAX;
	st.command = "\\ \\ \x01\x7f\n";
	status_round_trip(&st);
}
END_TEST

START_TEST(status_malformed)
{
	static const char *const bad[] = {
		"",
		"job",
		"job a running 1 2 3 - -",			/* 8 fields */
		"job a running 1 2 3 - - cmd extra",		/* 10 fields */
		"jobs a running 1 2 3 - - cmd",
		"job  a running 1 2 3 - - cmd",			/* empty field */
		"job a running 1 2 3 - - cmd ",
		" job a running 1 2 3 - - cmd",
		"job a running 1 2 3 - - cmd\n",
		"job a running -1 2 3 - - cmd",
		"job a running +1 2 3 - - cmd",
		"job a running 01 2 3 - - cmd",
		"job a running x 2 3 - - cmd",
		"job a running 1 99999999999999999999 3 - - cmd",
		"job a running 1 2 99999999999999999999 - - cmd",
		"job a running 1 2 3 256 - cmd",
		"job a running 1 2 3 -1 - cmd",
		"job a running 1 2 3 - 0 cmd",
		"job a running 1 2 3 - 128 cmd",
		"job a running 1 2 3 -- - cmd",
		"job \\e running 1 2 3 - - cmd",		/* empty name */
		"job a \\e 1 2 3 - - cmd",			/* empty state */
		"job a run\\qning 1 2 3 - - cmd",
		"job a running 1 2 3 - - c\\",
		"job a running 1 2 3 - - c\tmd",
		"job a running 1 2 3 - - \\x00",
		"job a running 1 2 3 - - ",
	};
	struct ctl_job_status st;
	char empty_command[] = "job a running 0 0 0 0 127 \\e";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *line = strdup(bad[i]);

		ck_assert_ptr_nonnull(line);
		ck_assert_msg(ctl_parse_status(line, &st) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_ptr_null(st.name);
		ck_assert_ptr_null(st.state);
		ck_assert_ptr_null(st.command);
		free(line);
	}
	ck_assert_int_eq(ctl_parse_status(NULL, &st), -1);
	ck_assert_int_eq(ctl_parse_status(empty_command, &st), 0);
	ck_assert_str_eq(st.command, "");
	ck_assert_int_eq(st.exit_code, 0);
	ck_assert_int_eq(st.exit_signal, 127);
}
END_TEST

static Suite *ctlproto_suite(void)
{
	Suite *s = suite_create("ctlproto");
	TCase *esc = tcase_create("escape"), *names = tcase_create("names");
	TCase *req = tcase_create("request"), *st = tcase_create("status");

	tcase_add_test(esc, escape_round_trips);
	tcase_add_test(esc, escape_forms);
	tcase_add_test(esc, unescape_forms);
	tcase_add_test(esc, unescape_rejects);
	suite_add_tcase(s, esc);
	tcase_add_test(names, command_names);
	tcase_add_test(names, error_kinds);
	tcase_add_test(names, hello_lines);
	suite_add_tcase(s, names);
	tcase_add_test(req, request_good);
	tcase_add_test(req, request_every_command);
	tcase_add_test(req, request_format);
	tcase_add_test(req, request_truncated);
	tcase_add_test(req, request_oversized);
	tcase_add_test(req, request_binary);
	tcase_add_test(req, request_bad_hello);
	tcase_add_test(req, request_version);
	tcase_add_test(req, request_unknown_command);
	tcase_add_test(req, job_names);
	tcase_add_test(req, request_name_rules);
	tcase_add_test(req, request_too_many_names);
	tcase_add_test(req, request_trailing_garbage);
	tcase_add_test(req, request_why_is_optional);
	suite_add_tcase(s, req);
	tcase_add_test(st, status_format);
	tcase_add_test(st, status_round_trips);
	tcase_add_test(st, status_malformed);
	suite_add_tcase(s, st);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctlproto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
