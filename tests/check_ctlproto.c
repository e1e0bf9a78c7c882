/* check_ctlproto.c: unit tests of the control protocol: escaping, requests, status and log lines, error kinds. SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "ctlstatus.h"
#include "util.h"
#include "check_run.h"

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
		{ "reload", CTL_RELOAD, true }, { "logs", CTL_LOGS, false },
		{ "follow", CTL_FOLLOW, false }, { "signal", CTL_SIGNAL, true },
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		ck_assert_int_eq(ctl_command_from_name(all[i].word), all[i].command);
		ck_assert_str_eq(ctl_command_name(all[i].command), all[i].word);
		ck_assert_int_eq(ctl_command_mutates(all[i].command), all[i].mutates);
	}
	ck_assert_int_eq(ctl_command_from_name("STATUS"), -1);
	ck_assert_int_eq(ctl_command_from_name("log"), -1);
	ck_assert_int_eq(ctl_command_from_name("kill"), -1);
	ck_assert_int_eq(ctl_command_from_name("stat"), -1);
	ck_assert_int_eq(ctl_command_from_name("statuses"), -1);
	ck_assert_int_eq(ctl_command_from_name(""), -1);
	ck_assert_int_eq(ctl_command_from_name(NULL), -1);
	ck_assert_ptr_null(ctl_command_name((enum ctl_command)99));
	ck_assert(!ctl_command_mutates((enum ctl_command)99));
}
END_TEST

/* Every request has its row, found by its name on the wire; pmtrctl's own command
 * is not on the wire, and the requests that options ask for are not commands there. */
START_TEST(command_table_rows)
{
	for (int c = CTL_STATUS; c <= CTL_REEXEC; c++) {
		const struct ctl_command_info *info = ctl_command_info((enum ctl_command)c);

		ck_assert_ptr_nonnull(info);
		ck_assert_int_eq(info->wire, c);
		ck_assert_ptr_eq(ctl_command_find(info->name, CTL_ON_WIRE), info);
		ck_assert_int_eq(info->mutates, ctl_command_mutates((enum ctl_command)c));
		/* version 1 had status to reload */
		ck_assert_int_eq(info->since, c <= CTL_RELOAD ? 1 : CTL_VERSION);
	}
	ck_assert_ptr_null(ctl_command_find("wait", CTL_ON_WIRE));
	ck_assert_ptr_nonnull(ctl_command_find("wait", CTL_ON_COMMAND_LINE));
	ck_assert_int_eq(ctl_command_find("wait", CTL_ON_COMMAND_LINE)->wire, CTL_STATUS);
	ck_assert_ptr_null(ctl_command_find("follow", CTL_ON_COMMAND_LINE));
	ck_assert_ptr_null(ctl_command_find("details", CTL_ON_COMMAND_LINE));
	ck_assert_ptr_nonnull(ctl_command_find("logs", CTL_ON_COMMAND_LINE));
	ck_assert_ptr_null(ctl_command_find(NULL, CTL_ON_WIRE));
	ck_assert_ptr_null(ctl_command_info((enum ctl_command)99));
}
END_TEST

/* Whether "pmtr-ctl 2\nNAME[ NUMBER][ NAMES]\n" is accepted; why holds the reason. */
static bool accepted(const char *name, const char *number, size_t n_names, char *why,
		     size_t why_len)
{
	char text[256];
	struct ctl_request req;
	int len = snprintf(text, sizeof(text), HELLO "%s", name), rc;

	if (number)
		len += snprintf(text + len, sizeof(text) - (size_t)len, " %s", number);
	for (size_t i = 0; i < n_names; i++)
		len += snprintf(text + len, sizeof(text) - (size_t)len, " job%zu", i);
	snprintf(text + len, sizeof(text) - (size_t)len, "\n");
	rc = ctl_parse_request(text, strlen(text), &req, why, why_len);
	ctl_request_free(&req);
	return rc == 0;
}

/* The request parser follows each row: its number within its bounds, its job names. */
START_TEST(command_table_rules)
{
	for (int c = CTL_STATUS; c <= CTL_REEXEC; c++) {
		const struct ctl_command_info *info = ctl_command_info((enum ctl_command)c);
		bool has_number, named = info->names != CTL_NAMES_NONE;
		const char *what = NULL, *n = NULL;
		char lo[24], hi[24], below[24], above[24], why[256], want[128];
		long min = 0, max = 0;

		has_number = ctl_number_bounds(info->number, &min, &max, &what);
		snprintf(lo, sizeof(lo), "%ld", min);
		snprintf(hi, sizeof(hi), "%ld", max);
		snprintf(below, sizeof(below), "%ld", min - 1);
		snprintf(above, sizeof(above), "%ld", max + 1);
		if (has_number) {
			n = lo;
			ck_assert_msg(accepted(info->name, hi, named, why, sizeof(why)), "%s: %s", info->name, why);
			ck_assert(!accepted(info->name, above, named, why, sizeof(why)));
			snprintf(want, sizeof(want), "bad %s \"%s\"", what, above);
			ck_assert_msg(strstr(why, want), "%s %s: %s", info->name, above, why);
			if (min > 0) {
				ck_assert(!accepted(info->name, below, named, why, sizeof(why)));
				ck_assert_msg(strstr(why, "bad "), "%s %s: %s", info->name, below, why);
			}
			ck_assert(!accepted(info->name, NULL, 0, why, sizeof(why)));
			snprintf(want, sizeof(want), "%s needs a %s", info->name, what);
			ck_assert_str_eq(why, want);
		}
		ck_assert_msg(accepted(info->name, n, named, why, sizeof(why)), "%s: %s", info->name, why);
		ck_assert_int_eq(accepted(info->name, n, 0, why, sizeof(why)),
				 info->names != CTL_NAMES_SOME);
		ck_assert_int_eq(accepted(info->name, n, 3, why, sizeof(why)), named);
		if (!named) {
			snprintf(want, sizeof(want), "%s takes no job names", info->name);
			ck_assert_str_eq(why, want);
		}
	}
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
	ck_assert_int_eq(req.version, CTL_VERSION);
	ck_assert_int_eq(req.command, CTL_STATUS);
	ck_assert_int_eq(req.arg, 0);
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

/* A request of command with arg and names, at version. */
static struct ctl_request make_request(int version, enum ctl_command command, long arg,
				       char **names, size_t n_names)
{
	return (struct ctl_request){
		.version = version, .command = command, .arg = arg, .names = names,
		.n_names = n_names,
	};
}

static bool command_takes_arg(int c)
{
	return c == CTL_LOGS || c == CTL_FOLLOW || c == CTL_SIGNAL;
}

/* Every command, at both versions, formats to the expected bytes and parses back to
 * the same version, command, arg and names. */
START_TEST(request_every_command)
{
	static const long line_args[] = { 0, 1, 20, 99999, CTL_LINES_MAX };
	static const long signal_args[] = { 1, 9, 15, 63, 64 };
	char *names[] = { "web", "db-1", "x.y_z@h:1+2" };

	for (int v = CTL_VERSION_MIN; v <= CTL_VERSION; v++)
	for (int c = CTL_STATUS; c <= CTL_SIGNAL; c++)
	for (size_t a = 0; a < 5; a++)
	for (size_t n = 0; n <= 3; n++) {
		long arg = c == CTL_SIGNAL ? signal_args[a] : command_takes_arg(c) ? line_args[a] : 0;
		struct ctl_request in = make_request(v, (enum ctl_command)c, arg, names, n), req;
		char *text, why[128], want[128];
		int len;

		if ((c == CTL_RELOAD) != (n == 0) && c != CTL_STATUS)
			continue;	/* reload takes none, the others but status one at least */
		if (!command_takes_arg(c) && a)
			continue;
		text = ctl_format_request(&in);
		ck_assert_ptr_nonnull(text);
		len = snprintf(want, sizeof(want), "pmtr-ctl %d\n%s", v, ctl_command_name(c));
		if (command_takes_arg(c))
			len += snprintf(want + len, sizeof(want) - (size_t)len, " %ld", arg);
		for (size_t i = 0; i < n; i++)
			len += snprintf(want + len, sizeof(want) - (size_t)len, " %s", names[i]);
		snprintf(want + len, sizeof(want) - (size_t)len, "\n");
		ck_assert_str_eq(text, want);
		ck_assert_msg(parse(text, strlen(text), &req, why, sizeof(why)) == 0,
			      "\"%s\" refused: %s", text, why);
		ck_assert_int_eq(req.version, v);
		ck_assert_int_eq(req.command, c);
		ck_assert_int_eq(req.arg, arg);
		ck_assert_uint_eq(req.n_names, n);
		for (size_t i = 0; i < n; i++)
			ck_assert_str_eq(req.names[i], names[i]);
		ctl_request_free(&req);
		free(text);
	}
}
END_TEST

START_TEST(request_format)
{
	char *names[] = { "a", "b", "c" };
	struct ctl_request req = make_request(CTL_VERSION, CTL_RESTART, 0, names, 3);
	char *text = ctl_format_request(&req);

	ck_assert_str_eq(text, "pmtr-ctl 2\nrestart a b c\n");
	free(text);
	req = make_request(1, CTL_STATUS, 0, NULL, 0);
	text = ctl_format_request(&req);
	ck_assert_str_eq(text, "pmtr-ctl 1\nstatus\n");
	free(text);
	/* the arg is written only for the commands that take one */
	req = make_request(2, CTL_STOP, 9, names, 1);
	text = ctl_format_request(&req);
	ck_assert_str_eq(text, "pmtr-ctl 2\nstop a\n");
	free(text);
	req = make_request(2, CTL_SIGNAL, 9, names, 2);
	text = ctl_format_request(&req);
	ck_assert_str_eq(text, "pmtr-ctl 2\nsignal 9 a b\n");
	free(text);
	req = make_request(2, CTL_LOGS, 0, names, 1);
	text = ctl_format_request(&req);
	ck_assert_str_eq(text, "pmtr-ctl 2\nlogs 0 a\n");
	free(text);
	req = make_request(2, CTL_FOLLOW, CTL_LINES_MAX, names + 2, 1);
	text = ctl_format_request(&req);
	ck_assert_str_eq(text, "pmtr-ctl 2\nfollow 100000 c\n");
	free(text);
	req = make_request(2, (enum ctl_command)99, 0, NULL, 0);
	ck_assert_ptr_null(ctl_format_request(&req));
	req = make_request(2, CTL_STOP, 0, NULL, 2);
	ck_assert_ptr_null(ctl_format_request(&req));
	names[1] = NULL;
	req = make_request(2, CTL_STOP, 0, names, 2);
	ck_assert_ptr_null(ctl_format_request(&req));
}
END_TEST

/* Every proper prefix of a good request is incomplete: the server reads on. */
START_TEST(request_truncated)
{
	static const char *const good[] = {
		HELLO "status\n", HELLO "stop web db\n", HELLO "reload\n", HELLO "status  \n",
		HELLO "logs 100 web\n", HELLO "follow 0 a b\n", HELLO "signal 15 web\n",
		"pmtr-ctl 1\nsignal 9 x\n",
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

	/* every version from CTL_VERSION_MIN to CTL_VERSION is answered, and said */
	ck_assert_int_eq(CTL_VERSION_MIN, 1);
	ck_assert_int_eq(CTL_VERSION, 2);
	ck_assert_str_eq(CTL_HELLO, "pmtr-ctl 2");
	for (int v = 1; v <= 2; v++) {
		char text[64];

		snprintf(text, sizeof(text), "pmtr-ctl %d\nstop a\n", v);
		ck_assert_msg(parse(text, strlen(text), &req, why, sizeof(why)) == 0,
			      "version %d refused: %s", v, why);
		ck_assert_int_eq(req.version, v);
		ck_assert_int_eq(req.command, CTL_STOP);
		ck_assert_uint_eq(req.n_names, 1);
		ctl_request_free(&req);
	}
	/* a hello alone, without its command line yet, is read on */
	ck_assert_int_eq(parse("pmtr-ctl 1\n", 11, &req, why, sizeof(why)), 1);
	ck_assert_int_eq(parse("pmtr-ctl 2\n", 11, &req, why, sizeof(why)), 1);

	refused_str("pmtr-ctl 3\nstatus\n", "unsupported protocol version 3");
	/* said as soon as the hello line is there */
	refused_str("pmtr-ctl 3\n", "unsupported protocol version 3");
	refused_str("pmtr-ctl 0\nstatus\n", "unsupported protocol version 0");
	refused_str("pmtr-ctl 999\nstop a\n", "unsupported protocol version 999");
	ck_assert_int_eq(parse("pmtr-ctl 3\n", 11, &req, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "unsupported protocol version 3");
	ck_assert_int_eq(req.version, 0);
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

/* Both NULL, or both strings and equal. */
static void str_or_null_eq(const char *got, const char *want)
{
	if (want)
		ck_assert_str_eq(got, want);
	else
		ck_assert_ptr_null(got);
}

/* Format at version, parse back: the same fields, and the attributes only at
 * version 2. */
static void status_round_trip_at(const struct ctl_job_status *in, int version)
{
	struct ctl_job_status out;
	char *line = ctl_format_status(in, version);
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
	if (version >= 2) {
		str_or_null_eq(out.file, in->file);
		ck_assert_int_eq(out.ready, in->ready);
		str_or_null_eq(out.health, in->health);
		str_or_null_eq(out.note, in->note);
	} else {
		ck_assert_ptr_null(out.file);
		ck_assert_int_eq(out.ready, CTL_READY_ABSENT);
		ck_assert_ptr_null(out.health);
		ck_assert_ptr_null(out.note);
	}
	free(line);
}

static void status_round_trip(const struct ctl_job_status *in)
{
	status_round_trip_at(in, 1);
	status_round_trip_at(in, 2);
}

START_TEST(status_format)
{
	struct ctl_job_status st = {
		.name = "web", .state = "running", .pid = 123, .uptime = 5, .restarts = 0,
		.exit_code = -1, .exit_signal = -1, .command = "/bin/sleep 100",
	};
	char *line = ctl_format_status(&st, 2);

	ck_assert_str_eq(line, "job web running 123 5 0 - - /bin/sleep\\s100\n");
	free(line);
	st = (struct ctl_job_status){
		.name = "w", .state = "waiting to restart", .pid = 0, .uptime = 0,
		.restarts = 7, .exit_code = 3, .exit_signal = -1, .command = "",
	};
	line = ctl_format_status(&st, 1);
	ck_assert_str_eq(line, "job w waiting\\sto\\srestart 0 0 7 3 - \\e\n");
	free(line);
	st.exit_code = -1;
	st.exit_signal = 9;
	line = ctl_format_status(&st, 2);
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
	st.file = "/etc/pmtr.d/my jobs\\web=1.conf\t";
	status_round_trip(&st);
	st.file = "";
	status_round_trip(&st);
	/* readiness and health, each alone and all together */
	st.file = NULL;
	st.state = "starting";
	st.ready = CTL_READY_NO;
	status_round_trip(&st);
	st.health = "starting";
	status_round_trip(&st);
	st.state = "running";
	st.ready = CTL_READY_YES;
	for (size_t i = 0; i < 3; i++) {
		static const char *const health[] = { "starting", "healthy", "unhealthy" };

		st.health = (char *)health[i];
		status_round_trip(&st);
	}
	st.health = NULL;
	st.note = "listening on :8080, 3 workers\t\\ \x01 =\xc3\xa9";
	status_round_trip(&st);
	st.note = "";
	status_round_trip(&st);
	st.file = "/etc/pmtr.d/web.conf";
	st.health = "healthy";
	st.note = "ok";
	status_round_trip(&st);
}
END_TEST

START_TEST(status_malformed)
{
	static const char *const bad[] = {
		"",
		"job",
		"job a running 1 2 3 - -",			/* 8 fields */
		"job a running 1 2 3 - - cmd extra",		/* a 10th field without "=" */
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
		ck_assert_ptr_null(st.file);
		ck_assert_int_eq(st.ready, CTL_READY_ABSENT);
		ck_assert_ptr_null(st.health);
		ck_assert_ptr_null(st.note);
		free(line);
	}
	ck_assert_int_eq(ctl_parse_status(NULL, &st), -1);
	ck_assert_int_eq(ctl_parse_status(empty_command, &st), 0);
	ck_assert_str_eq(st.command, "");
	ck_assert_int_eq(st.exit_code, 0);
	ck_assert_int_eq(st.exit_signal, 127);
}
END_TEST

/* ---- requests with an argument: logs, follow, signal ------------------------ */

static void parses_to(const char *text, int version, enum ctl_command command, long arg,
		      size_t n_names, const char *first_name)
{
	struct ctl_request req;
	char why[256] = "";

	ck_assert_msg(parse(text, strlen(text), &req, why, sizeof(why)) == 0,
		      "request \"%s\" refused: %s", text, why);
	ck_assert_int_eq(req.version, version);
	ck_assert_int_eq(req.command, command);
	ck_assert_int_eq(req.arg, arg);
	ck_assert_uint_eq(req.n_names, n_names);
	ck_assert_str_eq(req.names[0], first_name);
	ctl_request_free(&req);
}

START_TEST(request_arg_good)
{
	struct ctl_request req;
	char why[128];
	const char *text = HELLO "logs 5 5 web\n";

	parses_to(HELLO "logs 0 web\n", 2, CTL_LOGS, 0, 1, "web");
	parses_to(HELLO "logs 100000 a b\n", 2, CTL_LOGS, CTL_LINES_MAX, 2, "a");
	parses_to(HELLO "logs 99999 a\n", 2, CTL_LOGS, 99999, 1, "a");
	parses_to(HELLO "follow 10 db\n", 2, CTL_FOLLOW, 10, 1, "db");
	parses_to(HELLO "follow 0 db\n", 2, CTL_FOLLOW, 0, 1, "db");
	parses_to(HELLO "signal 1 web\n", 2, CTL_SIGNAL, 1, 1, "web");
	parses_to(HELLO "signal 64 web\n", 2, CTL_SIGNAL, 64, 1, "web");
	parses_to(HELLO "  signal   15  a  b  c \n", 2, CTL_SIGNAL, 15, 3, "a");
	parses_to("pmtr-ctl 1\nsignal 9 x\n", 1, CTL_SIGNAL, 9, 1, "x");
	/* no job name: every job; CTL_PMTR_LOG: pmtr's own lines, beside jobs or alone */
	ck_assert_int_eq(parse(HELLO "logs 5\n", strlen(HELLO "logs 5\n"), &req, why,
			       sizeof(why)), 0);
	ck_assert_int_eq(req.command, CTL_LOGS);
	ck_assert_uint_eq(req.n_names, 0);
	ctl_request_free(&req);
	parses_to(HELLO "follow 0 %pmtr\n", 2, CTL_FOLLOW, 0, 1, CTL_PMTR_LOG);
	parses_to(HELLO "logs 20 web %pmtr\n", 2, CTL_LOGS, 20, 2, "web");
	ck_assert(ctl_is_pmtr_log("%pmtr"));
	ck_assert(!ctl_is_pmtr_log("pmtr") && !ctl_is_pmtr_log("%pmtr ") && !ctl_is_pmtr_log(NULL));
	ck_assert(!ctl_valid_job_name(CTL_PMTR_LOG));
	/* a job may be called like a number: only the first word after the command is the
	 * arg */
	ck_assert_int_eq(parse(text, strlen(text), &req, why, sizeof(why)), 0);
	ck_assert_int_eq(req.arg, 5);
	ck_assert_uint_eq(req.n_names, 2);
	ck_assert_str_eq(req.names[0], "5");
	ck_assert_str_eq(req.names[1], "web");
	ctl_request_free(&req);
}
END_TEST

START_TEST(request_arg_bad)
{
	/* missing arg */
	refused_str(HELLO "logs\n", "logs needs a number of lines");
	refused_str(HELLO "follow  \n", "follow needs a number of lines");
	refused_str(HELLO "signal\n", "signal needs a signal number");
	/* arg only, no job name (logs and follow: every job) */
	refused_str(HELLO "signal 9\n", "signal needs at least one job name");
	/* a job name where the arg goes */
	refused_str(HELLO "logs web\n", "bad number of lines \"web\": a number from 0 to 100000");
	refused_str(HELLO "signal web\n", "bad signal number \"web\": a number from 1 to 64");
	/* out of range */
	refused_str(HELLO "logs 100001 web\n", "bad number of lines \"100001\"");
	refused_str(HELLO "follow 1000000 web\n", "bad number of lines \"1000000\"");
	refused_str(HELLO "logs 9999999 web\n", "bad number of lines");
	refused_str(HELLO "logs 99999999999999999999 web\n", "bad number of lines");
	refused_str(HELLO "signal 0 web\n", "bad signal number \"0\"");
	refused_str(HELLO "signal 65 web\n", "bad signal number \"65\"");
	refused_str(HELLO "signal 4294967297 web\n", "bad signal number");
	/* 2^64 + 5 and 2^64 + 9: in range if the digits were read into a wrapping integer */
	refused_str(HELLO "logs 18446744073709551621 web\n", "bad number of lines");
	refused_str(HELLO "signal 18446744073709551625 web\n", "bad signal number");
	/* leading zero */
	refused_str(HELLO "logs 05 web\n", "bad number of lines \"05\"");
	refused_str(HELLO "logs 00 web\n", "bad number of lines \"00\"");
	refused_str(HELLO "follow 010 web\n", "bad number of lines");
	refused_str(HELLO "signal 09 web\n", "bad signal number \"09\"");
	/* not digits */
	refused_str(HELLO "logs -1 web\n", "bad number of lines \"-1\"");
	refused_str(HELLO "logs +5 web\n", "bad number of lines");
	refused_str(HELLO "logs 5x web\n", "bad number of lines \"5x\"");
	refused_str(HELLO "logs 0x10 web\n", "bad number of lines");
	refused_str(HELLO "follow 1e3 web\n", "bad number of lines");
	refused_str(HELLO "signal SIGTERM web\n", "bad signal number \"SIGTERM\"");
	refused_str(HELLO "signal TERM web\n", "bad signal number");
	refused_str(HELLO "signal 1.0 web\n", "bad signal number");
	refused_str(HELLO "signal -9 web\n", "bad signal number");
	/* the names after it follow the usual rule */
	refused_str(HELLO "logs 5 a/b\n", "bad job name \"a/b\"");
	refused_str(HELLO "signal 9 web a*\n", "bad job name \"a*\"");
	/* pmtr's own lines are asked for by logs and follow only, by their whole name */
	refused_str(HELLO "signal 9 %pmtr\n", "bad job name \"%pmtr\"");
	refused_str(HELLO "status %pmtr\n", "bad job name \"%pmtr\"");
	refused_str(HELLO "logs 5 %pmtrx\n", "bad job name \"%pmtrx\"");
	refused_str(HELLO "logs 5 %\n", "bad job name \"%\"");
	/* a long arg is quoted cut short, the reason stays short */
	refused_str(HELLO "logs 1234567890123456789012345678901234567890123456789012345678901234567890 web\n",
		    "...\": a number from 0 to 100000");
}
END_TEST

/* CTL_MAX_NAMES counts names, not the arg. */
START_TEST(request_arg_max_names)
{
	struct ctl_request req;
	char why[128];
	size_t cap = 64 + (CTL_MAX_NAMES + 1) * 6, len;
	char *buf = malloc(cap);

	ck_assert_ptr_nonnull(buf);
	len = (size_t)sprintf(buf, "%slogs 7", HELLO);
	for (size_t i = 0; i < CTL_MAX_NAMES; i++)
		len += (size_t)sprintf(buf + len, " %zx", i);
	strcpy(buf + len, "\n");
	ck_assert_uint_le(strlen(buf), CTL_REQUEST_MAX);
	ck_assert_int_eq(parse(buf, strlen(buf), &req, why, sizeof(why)), 0);
	ck_assert_int_eq(req.arg, 7);
	ck_assert_uint_eq(req.n_names, CTL_MAX_NAMES);
	ck_assert_str_eq(req.names[0], "0");
	ck_assert_str_eq(req.names[CTL_MAX_NAMES - 1], "1ff");
	ctl_request_free(&req);
	strcpy(buf + len, " zz\n");
	refused_str(buf, "more than 512 job names");
	free(buf);
}
END_TEST

/* ---- status attributes (version 2) ----------------------------------------- */

START_TEST(status_versions)
{
	struct ctl_job_status st = {
		.name = "web", .state = "running", .pid = 7, .uptime = 1, .restarts = 2,
		.exit_code = -1, .exit_signal = -1, .command = "/bin/web",
		.file = "/etc/pmtr.d/a b\\c.conf",
	};
	char *v1 = ctl_format_status(&st, 1), *v2 = ctl_format_status(&st, 2);

	ck_assert_str_eq(v1, "job web running 7 1 2 - - /bin/web\n");
	ck_assert_str_eq(v2, "job web running 7 1 2 - - /bin/web file=/etc/pmtr.d/a\\sb\\\\c.conf\n");
	free(v1);
	free(v2);
	/* without a file, both versions say the same */
	st.file = NULL;
	v1 = ctl_format_status(&st, 1);
	v2 = ctl_format_status(&st, 2);
	ck_assert_str_eq(v1, "job web running 7 1 2 - - /bin/web\n");
	ck_assert_str_eq(v2, v1);
	free(v1);
	free(v2);
	/* an empty file name is escaped like any empty field */
	st.file = "";
	v2 = ctl_format_status(&st, 2);
	ck_assert_str_eq(v2, "job web running 7 1 2 - - /bin/web file=\\e\n");
	free(v2);
}
END_TEST

/* Parse a copy of text, which must be good. */
static void status_parses(const char *text, struct ctl_job_status *st, char **copy)
{
	*copy = strdup(text);
	ck_assert_ptr_nonnull(*copy);
	ck_assert_msg(ctl_parse_status(*copy, st) == 0, "refused \"%s\"", text);
}

START_TEST(status_usage)
{
	struct ctl_job_status st = {
		.name = "web", .state = "running", .pid = 7, .uptime = 3, .exit_code = -1,
		.exit_signal = 9, .command = "/bin/web", .oom_kill = true,
		.has_memory = true, .memory_bytes = 4321280, .has_cpu = true, .cpu_usec = 0,
		.has_pids = true, .pids = 3,
	};
	struct ctl_job_status back;
	char *line = ctl_format_status(&st, 2);

	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line, "job web running 7 3 0 - 9 /bin/web oom_kill=yes memory=4321280 "
			 "cpu_usec=0 pids=3\n");
	line[strlen(line) - 1] = '\0';
	ck_assert_int_eq(ctl_parse_status(line, &back), 0);
	ck_assert(back.oom_kill);
	ck_assert(back.has_memory && back.memory_bytes == 4321280);
	ck_assert(back.has_cpu && back.cpu_usec == 0);
	ck_assert(back.has_pids && back.pids == 3);
	free(line);
	/* version 1 hears none of it */
	line = ctl_format_status(&st, 1);
	ck_assert_str_eq(line, "job web running 7 3 0 - 9 /bin/web\n");
	free(line);
	/* absent: not said */
	{
		char text[] = "job web running 7 3 0 - 9 /bin/web";

		ck_assert_int_eq(ctl_parse_status(text, &back), 0);
		ck_assert(!back.oom_kill && !back.has_memory && !back.has_cpu && !back.has_pids);
	}
	{
		char bad1[] = "job web running 7 3 0 - 9 /bin/web memory=12x";
		char bad2[] = "job web running 7 3 0 - 9 /bin/web oom_kill=maybe";
		char bad3[] = "job web running 7 3 0 - 9 /bin/web pids=-1";
		char bad4[] = "job web running 7 3 0 - 9 /bin/web cpu_usec=012";

		ck_assert_int_eq(ctl_parse_status(bad1, &back), -1);
		ck_assert_int_eq(ctl_parse_status(bad2, &back), -1);
		ck_assert_int_eq(ctl_parse_status(bad3, &back), -1);
		ck_assert_int_eq(ctl_parse_status(bad4, &back), -1);
	}
	ck_assert_int_eq(ctl_command_from_name("details"), CTL_DETAILS);
	ck_assert(!ctl_command_mutates(CTL_DETAILS));
}
END_TEST

START_TEST(status_restart_in)
{
	struct ctl_job_status st = {
		.name = "web", .state = "waiting to restart", .restarts = 2, .exit_code = 1,
		.exit_signal = -1, .command = "/bin/web", .ready = CTL_READY_NO,
		.has_restart_in = true, .restart_in_ms = 6501,
	};
	struct ctl_job_status back;
	char *line = ctl_format_status(&st, 2);

	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line, "job web waiting\\sto\\srestart 0 0 2 1 - /bin/web ready=no "
			 "restart_in=6501\n");
	line[strlen(line) - 1] = '\0';
	ck_assert_int_eq(ctl_parse_status(line, &back), 0);
	ck_assert_str_eq(back.state, "waiting to restart");
	ck_assert(back.has_restart_in);
	ck_assert_uint_eq(back.restart_in_ms, 6501);
	free(line);
	/* due now: 0, still said */
	st.restart_in_ms = 0;
	line = ctl_format_status(&st, 2);
	ck_assert_ptr_nonnull(strstr(line, " restart_in=0\n"));
	free(line);
	/* version 1 hears none of it */
	line = ctl_format_status(&st, 1);
	ck_assert_str_eq(line, "job web waiting\\sto\\srestart 0 0 2 1 - /bin/web\n");
	free(line);
	/* not waiting: not said, and absent is not waiting */
	st.has_restart_in = false;
	line = ctl_format_status(&st, 2);
	ck_assert_ptr_null(strstr(line, "restart_in"));
	line[strlen(line) - 1] = '\0';
	ck_assert_int_eq(ctl_parse_status(line, &back), 0);
	ck_assert(!back.has_restart_in);
	free(line);
	{
		char bad1[] = "job web waiting\\sto\\srestart 0 0 2 1 - /bin/web restart_in=-5";
		char bad2[] = "job web waiting\\sto\\srestart 0 0 2 1 - /bin/web restart_in=7s";
		char bad3[] = "job web waiting\\sto\\srestart 0 0 2 1 - /bin/web restart_in=07";

		ck_assert_int_eq(ctl_parse_status(bad1, &back), -1);
		ck_assert_int_eq(ctl_parse_status(bad2, &back), -1);
		ck_assert_int_eq(ctl_parse_status(bad3, &back), -1);
	}
}
END_TEST

/* A scheduled job's times: absolute Unix seconds, version 2 only, each on its own. */
START_TEST(status_schedule_times)
{
	struct ctl_job_status st = {
		.name = "backup", .state = "scheduled", .exit_code = 0, .exit_signal = -1,
		.command = "/bin/backup", .ready = CTL_READY_NO,
		.has_next_run = true, .next_run = 1797044400,
		.has_last_run = true, .last_run = 1796958000,
	};
	struct ctl_job_status back;
	char *line = ctl_format_status(&st, 2);

	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line, "job backup scheduled 0 0 0 0 - /bin/backup ready=no "
			 "next_run=1797044400 last_run=1796958000\n");
	line[strlen(line) - 1] = '\0';
	ck_assert_int_eq(ctl_parse_status(line, &back), 0);
	ck_assert_str_eq(back.state, "scheduled");
	ck_assert(back.has_next_run);
	ck_assert_int_eq(back.next_run, 1797044400);
	ck_assert(back.has_last_run);
	ck_assert_int_eq(back.last_run, 1796958000);
	free(line);
	/* a job that never ran yet: next_run alone; 0 is a time like another */
	st.has_last_run = false;
	st.next_run = 0;
	line = ctl_format_status(&st, 2);
	ck_assert_ptr_null(strstr(line, "last_run"));
	ck_assert_ptr_nonnull(strstr(line, " next_run=0\n"));
	line[strlen(line) - 1] = '\0';
	ck_assert_int_eq(ctl_parse_status(line, &back), 0);
	ck_assert(back.has_next_run);
	ck_assert_int_eq(back.next_run, 0);
	ck_assert(!back.has_last_run);
	free(line);
	/* disabled, it still says when it last ran but not when it runs next */
	st.has_next_run = false;
	st.has_last_run = true;
	st.state = "disabled";
	line = ctl_format_status(&st, 2);
	ck_assert_str_eq(line, "job backup disabled 0 0 0 0 - /bin/backup ready=no "
			 "last_run=1796958000\n");
	line[strlen(line) - 1] = '\0';
	ck_assert_int_eq(ctl_parse_status(line, &back), 0);
	ck_assert(!back.has_next_run);
	ck_assert(back.has_last_run);
	free(line);
	/* version 1 hears none of it */
	st.has_next_run = true;
	line = ctl_format_status(&st, 1);
	ck_assert_str_eq(line, "job backup disabled 0 0 0 0 - /bin/backup\n");
	free(line);
	/* a time before 1970 is not formatted */
	st.last_run = -1;
	errno = 0;
	ck_assert_ptr_null(ctl_format_status(&st, 2));
	ck_assert_int_eq(errno, EINVAL);
	st.last_run = 1;
	st.next_run = -5;
	errno = 0;
	ck_assert_ptr_null(ctl_format_status(&st, 2));
	ck_assert_int_eq(errno, EINVAL);
	/* ... but a negative number that is not set is not looked at */
	st.has_next_run = false;
	line = ctl_format_status(&st, 2);
	ck_assert_ptr_nonnull(line);
	free(line);
}
END_TEST

START_TEST(status_schedule_times_malformed)
{
	static const char *const bad[] = {
		"job b scheduled 0 0 0 - - cmd next_run=-5",
		"job b scheduled 0 0 0 - - cmd next_run=+5",
		"job b scheduled 0 0 0 - - cmd next_run=07",
		"job b scheduled 0 0 0 - - cmd next_run=12s",
		"job b scheduled 0 0 0 - - cmd next_run=1.5",
		"job b scheduled 0 0 0 - - cmd next_run=\\e",
		"job b scheduled 0 0 0 - - cmd next_run=9223372036854775808",
		"job b scheduled 0 0 0 - - cmd last_run=-1",
		"job b scheduled 0 0 0 - - cmd last_run=0x10",
		"job b scheduled 0 0 0 - - cmd last_run=2026-12-09",
		"job b scheduled 0 0 0 - - cmd next_run=1 last_run=x",
	};
	struct ctl_job_status back;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *line = strdup(bad[i]);

		ck_assert_msg(ctl_parse_status(line, &back) == -1, "accepted: %s", bad[i]);
		ck_assert(!back.has_next_run && !back.has_last_run);
		free(line);
	}
	{
		char largest[] = "job b scheduled 0 0 0 - - cmd next_run=9223372036854775807";

		ck_assert_int_eq(ctl_parse_status(largest, &back), 0);
		ck_assert_int_eq(back.next_run, 9223372036854775807LL);
	}
}
END_TEST

START_TEST(status_attributes)
{
	static const char *const bad[] = {
		"job a running 1 2 3 - - cmd file",		/* no "=" */
		"job a running 1 2 3 - - cmd =x",		/* empty key */
		"job a running 1 2 3 - - cmd file=",		/* empty value */
		"job a running 1 2 3 - - cmd file=a\\q",	/* bad escape */
		"job a running 1 2 3 - - cmd file=\\x00",
		"job a running 1 2 3 - - cmd file=a\\",
		"job a running 1 2 3 - - cmd file=a\tb",	/* raw control byte */
		"job a running 1 2 3 - - cmd file=a  x=y",	/* empty field */
		"job a running 1 2 3 - - cmd file=a ",
		"job a running 1 2 3 - - cmd x=1 y",
		"job a running 1 2 3 - - cmd other=\\z file=/f",	/* bad escape, unknown key */
		"job a\\q running 1 2 3 - - cmd file=/f",	/* good attribute, bad name */
	};
	struct ctl_job_status st;
	char *line;

	status_parses("job a running 1 2 3 - - /bin/a\\sb file=/x\\sy.conf", &st, &line);
	ck_assert_str_eq(st.name, "a");
	ck_assert_str_eq(st.command, "/bin/a b");
	ck_assert_str_eq(st.file, "/x y.conf");
	ck_assert_int_eq(st.restarts, 3);
	free(line);
	/* version 1: no attributes, no file */
	status_parses("job a running 1 2 3 - - cmd", &st, &line);
	ck_assert_str_eq(st.command, "cmd");
	ck_assert_ptr_null(st.file);
	free(line);
	/* keys this client does not know are skipped, wherever they are */
	status_parses("job a running 1 2 3 - - cmd color=blue", &st, &line);
	ck_assert_str_eq(st.command, "cmd");
	ck_assert_ptr_null(st.file);
	free(line);
	status_parses("job a running 1 2 3 - - cmd color=blue file=/f other=a\\sb x==", &st, &line);
	ck_assert_str_eq(st.command, "cmd");
	ck_assert_str_eq(st.file, "/f");
	free(line);
	/* a value may hold "=", the key ends at the first */
	status_parses("job a running 1 2 3 - - cmd file=a=b", &st, &line);
	ck_assert_str_eq(st.file, "a=b");
	free(line);
	status_parses("job a running 1 2 3 - - cmd file=\\e", &st, &line);
	ck_assert_str_eq(st.file, "");
	free(line);
	/* "file" is the whole key */
	status_parses("job a running 1 2 3 - - cmd files=/f filename=/g", &st, &line);
	ck_assert_ptr_null(st.file);
	free(line);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		line = strdup(bad[i]);
		ck_assert_ptr_nonnull(line);
		ck_assert_msg(ctl_parse_status(line, &st) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_ptr_null(st.name);
		ck_assert_ptr_null(st.command);
		ck_assert_ptr_null(st.file);
		ck_assert_int_eq(st.exit_code, -1);
		free(line);
	}
}
END_TEST

START_TEST(status_readiness_format)
{
	struct ctl_job_status st = {
		.name = "web", .state = "running", .pid = 7, .uptime = 1, .restarts = 2,
		.exit_code = -1, .exit_signal = -1, .command = "/bin/web",
		.ready = CTL_READY_YES, .health = "unhealthy", .note = "3 of 4 up\n",
	};
	char *v1 = ctl_format_status(&st, 1), *v2 = ctl_format_status(&st, 2);

	/* version 1 gets none of them */
	ck_assert_str_eq(v1, "job web running 7 1 2 - - /bin/web\n");
	ck_assert_str_eq(v2, "job web running 7 1 2 - - /bin/web ready=yes health=unhealthy "
			     "note=3\\sof\\s4\\sup\\n\n");
	free(v1);
	free(v2);
	/* each only when set; the file first */
	st = (struct ctl_job_status){
		.name = "db", .state = "starting", .pid = 9, .command = "/bin/db",
		.exit_code = -1, .exit_signal = -1, .file = "/etc/pmtr.d/db.conf",
		.ready = CTL_READY_NO,
	};
	v2 = ctl_format_status(&st, 2);
	ck_assert_str_eq(v2, "job db starting 9 0 0 - - /bin/db file=/etc/pmtr.d/db.conf ready=no\n");
	free(v2);
	st.ready = CTL_READY_ABSENT;
	st.file = NULL;
	st.note = "";
	v2 = ctl_format_status(&st, 2);
	ck_assert_str_eq(v2, "job db starting 9 0 0 - - /bin/db note=\\e\n");
	free(v2);
	/* the daemon's mistakes are refused here, not by every client */
	st.note = NULL;
	st.ready = (enum ctl_ready)7;
	ck_assert_ptr_null(ctl_format_status(&st, 2));
	st.ready = CTL_READY_YES;
	st.health = "ok";
	ck_assert_ptr_null(ctl_format_status(&st, 2));
	st.health = "";
	ck_assert_ptr_null(ctl_format_status(&st, 1));
}
END_TEST

START_TEST(status_readiness_parse)
{
	static const char *const bad[] = {
		"job a running 1 2 3 - - cmd ready=",
		"job a running 1 2 3 - - cmd ready=\\e",
		"job a running 1 2 3 - - cmd ready=maybe",
		"job a running 1 2 3 - - cmd ready=YES",
		"job a running 1 2 3 - - cmd ready=yes\\s",
		"job a running 1 2 3 - - cmd ready=1",
		"job a running 1 2 3 - - cmd health=",
		"job a running 1 2 3 - - cmd health=\\e",
		"job a running 1 2 3 - - cmd health=ok",
		"job a running 1 2 3 - - cmd health=Healthy",
		"job a running 1 2 3 - - cmd health=checking",
		"job a running 1 2 3 - - cmd note=",
		"job a running 1 2 3 - - cmd note=a\\q",
		"job a running 1 2 3 - - cmd note=\\x00",
		"job a running 1 2 3 - - cmd ready=yes health=healthy note=ok bad",
	};
	struct ctl_job_status st;
	char *line;

	status_parses("job a starting 1 2 3 - - cmd ready=no", &st, &line);
	ck_assert_str_eq(st.state, "starting");
	ck_assert_int_eq(st.ready, CTL_READY_NO);
	ck_assert_ptr_null(st.health);
	ck_assert_ptr_null(st.note);
	free(line);
	status_parses("job a running 1 2 3 - - cmd note=up\\s3\\x01 health=starting color=red ready=yes",
		      &st, &line);
	ck_assert_int_eq(st.ready, CTL_READY_YES);
	ck_assert_str_eq(st.health, "starting");
	ck_assert_str_eq(st.note, "up 3\x01");
	ck_assert_ptr_null(st.file);
	free(line);
	status_parses("job a running 1 2 3 - - cmd health=healthy note=\\e", &st, &line);
	ck_assert_int_eq(st.ready, CTL_READY_ABSENT);
	ck_assert_str_eq(st.health, "healthy");
	ck_assert_str_eq(st.note, "");
	free(line);
	status_parses("job a running 1 2 3 - - cmd health=unhealthy note=a=b", &st, &line);
	ck_assert_str_eq(st.health, "unhealthy");
	ck_assert_str_eq(st.note, "a=b");
	free(line);
	/* version 1: none of them */
	status_parses("job a running 1 2 3 - - cmd", &st, &line);
	ck_assert_int_eq(st.ready, CTL_READY_ABSENT);
	ck_assert_ptr_null(st.health);
	ck_assert_ptr_null(st.note);
	free(line);
	/* whole keys only */
	status_parses("job a running 1 2 3 - - cmd readiness=maybe healthy=no notes=x", &st, &line);
	ck_assert_int_eq(st.ready, CTL_READY_ABSENT);
	ck_assert_ptr_null(st.health);
	ck_assert_ptr_null(st.note);
	free(line);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		line = strdup(bad[i]);
		ck_assert_ptr_nonnull(line);
		ck_assert_msg(ctl_parse_status(line, &st) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_ptr_null(st.name);
		ck_assert_int_eq(st.ready, CTL_READY_ABSENT);
		ck_assert_ptr_null(st.health);
		ck_assert_ptr_null(st.note);
		free(line);
	}
}
END_TEST

/* ---- log lines -------------------------------------------------------------- */

/* Format into a buffer of exactly the size the header promises, check the line,
 * parse it back; one byte less does not fit. */
static void log_line_round_trip(const char *name, long pid, long long time_ms, const char *text)
{
	struct ctl_log_line in = { .name = (char *)name, .pid = pid, .time_ms = time_ms,
				   .text = (char *)text }, out;
	size_t cap = CTL_LOG_LINE_MAX(strlen(name), strlen(text)), n;
	char *buf = malloc(cap);

	ck_assert_ptr_nonnull(buf);
	n = ctl_format_log_line(buf, cap, &in);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, cap);
	ck_assert_uint_eq(strlen(buf), n);
	ck_assert_int_eq(buf[n - 1], '\n');
	for (size_t i = 0; i + 1 < n; i++)
		ck_assert_msg((unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f,
			      "byte %zu of the line is 0x%02x", i, (unsigned char)buf[i]);
	buf[n - 1] = '\0';
	ck_assert_msg(ctl_parse_log_line(buf, &out) == 0, "cannot parse back \"%.200s\"", buf);
	ck_assert_str_eq(out.name, name);
	ck_assert_int_eq(out.pid, pid);
	ck_assert_int_eq(out.time_ms, time_ms);
	ck_assert_uint_eq(strlen(out.text), strlen(text));
	ck_assert_str_eq(out.text, text);
	/* out points into the line */
	ck_assert(out.name >= buf && out.name < buf + n);
	ck_assert(out.text >= buf && out.text < buf + n);
	ck_assert_uint_eq(ctl_format_log_line(buf, cap - 1, &in), 0);
	ck_assert_uint_eq(ctl_format_log_line(buf, 0, &in), 0);
	free(buf);
}

START_TEST(log_line_format)
{
	struct ctl_log_line in = { .name = "web", .pid = 2199, .time_ms = 1764690000123LL,
				   .text = "GET /index.html \\ 200" };
	char buf[256];
	size_t n = ctl_format_log_line(buf, sizeof(buf), &in);

	ck_assert_str_eq(buf, "line web 2199 1764690000123 GET\\s/index.html\\s\\\\\\s200\n");
	ck_assert_uint_eq(n, strlen(buf));
	in.text = "";
	n = ctl_format_log_line(buf, sizeof(buf), &in);
	ck_assert_str_eq(buf, "line web 2199 1764690000123 \\e\n");
	ck_assert_uint_eq(n, strlen(buf));
	in.text = "\x1b[31mred\x1b[0m\r";
	n = ctl_format_log_line(buf, sizeof(buf), &in);
	ck_assert_str_eq(buf, "line web 2199 1764690000123 \\x1b[31mred\\x1b[0m\\x0d\n");
	ck_assert_uint_eq(n, strlen(buf));
	/* too small: nothing written past cap, 0 returned */
	memset(buf, 'Z', sizeof(buf));
	ck_assert_uint_eq(ctl_format_log_line(buf, 8, &in), 0);
	ck_assert_int_eq(buf[8], 'Z');
}
END_TEST

START_TEST(log_line_round_trips)
{
	static const char *const texts[] = {
		"", "a", "hello world", "  lead and trail  ", "back\\slash \\\\ \\s \\e",
		"\\e", "\\x41", "\x01\x02\x1f\x7f\t\n\r", "\x1b[1;31merror\x1b[0m: x",
		"h\xc3\xa9llo \xe2\x9c\x93", "\xff\xfe", "=", "line web 1 2 text",
	};
	char *big = malloc(4097), all[256];

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		log_line_round_trip("web", 2199, 1764690000123LL, texts[i]);
	for (int c = 1; c < 256; c++)
		all[c - 1] = (char)c;
	all[255] = '\0';
	log_line_round_trip("a.b-c_d@e:f+g", 1, 0, all);
	log_line_round_trip("x", 0, 0, "zero");
	/* pmtr's own lines */
	log_line_round_trip(CTL_PMTR_LOG, 1, 2, "started job web [2199]");
	log_line_round_trip("x", LONG_MAX, LLONG_MAX, "max");
	/* a whole 4096-byte text, each byte a worst case or not */
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < 4096; i++)
		big[i] = (char)(i % 255 + 1);
	big[4096] = '\0';
	log_line_round_trip("web", 42, 1, big);
	memset(big, '\x01', 4096);
	log_line_round_trip("web", 42, 1, big);
	free(big);
}
END_TEST

START_TEST(log_line_rejects)
{
	static const char *const bad[] = {
		"",
		"line",
		"lines web 1 2 x",			/* wrong kind */
		"job web 1 2 x",
		"missed web 3",
		"end web",
		"LINE web 1 2 x",
		"line a/b 1 2 x",			/* bad name */
		"line \\e 1 2 x",
		"line %pmtrx 1 2 x",
		"line % 1 2 x",
		"line a\\sb 1 2 x",
		"line  1 2 x",
		"line web -1 2 x",			/* bad pid */
		"line web +1 2 x",
		"line web 01 2 x",
		"line web x 2 x",
		"line web  2 x",
		"line web 99999999999999999999 2 x",
		"line web 1 -2 x",			/* bad time */
		"line web 1 02 x",
		"line web 1 t x",
		"line web 1 1.5 x",
		"line web 1 99999999999999999999 x",
		"line web 1 2",				/* missing text */
		"line web 1 2 ",
		"line web 1 2 x y",			/* extra field */
		"line web 1 2 x ",
		"line web 1 2 x\\q",			/* bad escape */
		"line web 1 2 \\x00",
		"line web 1 2 x\\",
		"line web 1 2 \\x4",
		"line web 1 2 a\tb",			/* raw control byte */
		"line web 1 2 a\x7f",
		" line web 1 2 x",
		"line web 1 2 x\n",
	};
	struct ctl_log_line out;
	char good[] = "line web 1 2 x";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *line = strdup(bad[i]);

		ck_assert_ptr_nonnull(line);
		out.name = out.text = (char *)"stale";
		ck_assert_msg(ctl_parse_log_line(line, &out) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_ptr_null(out.name);
		ck_assert_ptr_null(out.text);
		free(line);
	}
	ck_assert_int_eq(ctl_parse_log_line(good, &out), 0);
	ck_assert_str_eq(out.text, "x");
}
END_TEST

/* ---- ctl_escape_into -------------------------------------------------------- */

static void escape_into_matches(const char *field, size_t len)
{
	size_t room = CTL_ESCAPED_MAX(len);
	char *dst = malloc(room + 8), *want = strndup(field, len), *e;
	size_t n;

	ck_assert_ptr_nonnull(dst);
	ck_assert_ptr_nonnull(want);
	e = ctl_escape(want);
	ck_assert_ptr_nonnull(e);
	memset(dst, 'Z', room + 8);
	n = ctl_escape_into(dst, field, len);
	ck_assert_str_eq(dst, e);
	ck_assert_uint_eq(n, strlen(e));
	ck_assert_uint_lt(n, room);
	/* nothing written after the NUL */
	for (size_t i = n + 1; i < room + 8; i++)
		ck_assert_msg(dst[i] == 'Z', "byte %zu after the field of %zu written", i, len);
	free(e);
	free(want);
	free(dst);
}

START_TEST(escape_into)
{
	static const char *const fields[] = {
		"", "a", "a b", "\t\n\\", "\x01\x7f", "\\e", "h\xc3\xa9", "/bin/sh -c 'x y'",
	};
	char all[256], worst[64];

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		escape_into_matches(fields[i], strlen(fields[i]));
	for (int c = 1; c < 256; c++)
		all[c - 1] = (char)c;
	all[255] = '\0';
	escape_into_matches(all, 255);
	/* the worst case: every byte takes 4, exactly what CTL_ESCAPED_MAX allows */
	memset(worst, '\x01', sizeof(worst));
	escape_into_matches(worst, sizeof(worst));
	{
		char dst[CTL_ESCAPED_MAX(64)];

		ck_assert_uint_eq(ctl_escape_into(dst, worst, sizeof(worst)), 4 * sizeof(worst));
	}
	/* len bytes only, not up to a NUL */
	escape_into_matches("a b c", 3);
	escape_into_matches("a b c", 0);
	{
		char dst[16];

		ck_assert_uint_eq(ctl_escape_into(dst, "a b c", 3), 4);
		ck_assert_str_eq(dst, "a\\sb");
		ck_assert_uint_eq(ctl_escape_into(dst, "xyz", 0), 2);
		ck_assert_str_eq(dst, "\\e");
	}
}
END_TEST

START_TEST(config_error_round_trip)
{
	const char *text = "/etc/pmtr.conf:12: unknown keyword \"fo o\"\tthere";
	char *line = ctl_format_config_error(1765161283, text), *got;
	long long since;

	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line, "config-error 1765161283 "
			 "/etc/pmtr.conf:12:\\sunknown\\skeyword\\s\"fo\\so\"\\tthere\n");
	line[strlen(line) - 1] = '\0';
	ck_assert_int_eq(ctl_parse_config_error(line, &since, &got), 0);
	ck_assert(since == 1765161283);
	ck_assert_str_eq(got, text);
	free(line);
}
END_TEST

START_TEST(config_error_rejects)
{
	const char *bad[] = { "config-error", "config-error 12", "config-error x text",
			      "config-error 12 two words", "config-error -1 text",
			      "config-error 12 bad\\q", "job 12 text", "config-error  12 text" };
	long long since;
	char *text, buf[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		ck_assert_msg(ctl_parse_config_error(buf, &since, &text) < 0, "accepted: %s", bad[i]);
	}
}
END_TEST

static Suite *ctlproto_suite(void)
{
	Suite *s = suite_create("ctlproto");
	TCase *esc = tcase_create("escape"), *names = tcase_create("names");
	TCase *req = tcase_create("request"), *st = tcase_create("status");
	TCase *arg = tcase_create("request arg"), *log = tcase_create("log line");

	tcase_add_test(esc, escape_round_trips);
	tcase_add_test(esc, escape_forms);
	tcase_add_test(esc, unescape_forms);
	tcase_add_test(esc, unescape_rejects);
	tcase_add_test(esc, escape_into);
	suite_add_tcase(s, esc);
	tcase_add_test(names, command_names);
	tcase_add_test(names, command_table_rows);
	tcase_add_test(names, command_table_rules);
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
	tcase_add_test(arg, request_arg_good);
	tcase_add_test(arg, request_arg_bad);
	tcase_add_test(arg, request_arg_max_names);
	suite_add_tcase(s, arg);
	tcase_add_test(st, status_format);
	tcase_add_test(st, status_round_trips);
	tcase_add_test(st, status_malformed);
	tcase_add_test(st, status_versions);
	tcase_add_test(st, status_attributes);
	tcase_add_test(st, status_usage);
	tcase_add_test(st, status_restart_in);
	tcase_add_test(st, status_schedule_times);
	tcase_add_test(st, status_schedule_times_malformed);
	tcase_add_test(st, status_readiness_format);
	tcase_add_test(st, status_readiness_parse);
	suite_add_tcase(s, st);
	tcase_add_test(log, log_line_format);
	tcase_add_test(log, log_line_round_trips);
	tcase_add_test(log, log_line_rejects);
	tcase_add_test(log, config_error_round_trip);
	tcase_add_test(log, config_error_rejects);
	suite_add_tcase(s, log);
	return s;
}

int main(void)
{
	return check_run(ctlproto_suite());
}
