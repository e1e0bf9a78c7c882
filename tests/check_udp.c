/* check_udp.c: unit tests of the udp:// address parser, the report format and the control datagrams. SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "udp.h"
#include "check_run.h"

START_TEST(spec_parts)
{
	struct parse_udp spec;

	ck_assert_ptr_null(parse_udp_spec("udp://239.1.2.3:9000@eth0", true, &spec));
	ck_assert_str_eq(spec.host, "239.1.2.3");
	ck_assert_str_eq(spec.port, "9000");
	ck_assert_str_eq(spec.iface, "eth0");
	ck_assert_ptr_null(parse_udp_spec("udp://[::1]:65535", false, &spec));
	ck_assert_str_eq(spec.host, "::1");
	ck_assert_str_eq(spec.port, "65535");
	ck_assert_str_eq(spec.iface, "");
	ck_assert_ptr_null(parse_udp_spec("udp://collector.example.com:1", true, &spec));
	ck_assert_str_eq(spec.host, "collector.example.com");
}
END_TEST

START_TEST(spec_errors)
{
	struct parse_udp spec;

	ck_assert_str_eq(parse_udp_spec("tcp://a:1", true, &spec), "it must start with udp://");
	ck_assert_str_eq(parse_udp_spec("udp://:1", true, &spec), "missing host");
	ck_assert_str_eq(parse_udp_spec("udp://a", true, &spec), "missing port");
	ck_assert_str_eq(parse_udp_spec("udp://a:0", true, &spec), "port must be 1 to 65535");
	ck_assert_str_eq(parse_udp_spec("udp://a:65536", true, &spec), "port must be 1 to 65535");
	ck_assert_str_eq(parse_udp_spec("udp://a:1@eth0", false, &spec),
			 "@IFACE is only allowed for report to");
	ck_assert_str_eq(parse_udp_spec("udp://a:1@", true, &spec), "bad interface name");
	ck_assert_str_eq(parse_udp_spec("udp://a:1x", true, &spec), "unexpected text after the port");
	ck_assert_str_eq(parse_udp_spec("udp://[::1:1", true, &spec), "missing \"]\" after the host");
	ck_assert_str_eq(parse_udp_spec("udp://a b:1", true, &spec), "bad character in the host");
}
END_TEST

struct capture {
	char buf[32][UDP_DATAGRAM_MAX + 1];
	size_t len[32];
	size_t n;
};

static void capture(const char *buf, size_t len, void *arg)
{
	struct capture *c = arg;

	ck_assert_uint_lt(c->n, 32);
	memcpy(c->buf[c->n], buf, len);
	c->buf[c->n][len] = '\0';
	c->len[c->n++] = len;
}

START_TEST(report_exact_bytes)
{
	struct udp_report_line lines[] = {
		{ "web", true, 20, 2199, "/usr/sbin/nginx -g \"daemon off;\"" },
		{ "spare", false, 0, 0, "/bin/sleep 100" },
	};
	struct capture c = { .n = 0 };

	ck_assert_uint_eq(udp_format_report("host1", NULL, lines, 2, UDP_DATAGRAM_MAX, capture, &c), 1);
	ck_assert_str_eq(c.buf[0], "report host1\n"
			 "web e 20 2199 /usr/sbin/nginx -g \"daemon off;\"\n"
			 "spare d 0 0 /bin/sleep 100\n");
	c.n = 0;
	udp_format_report("host1", "192.168.1.5", lines, 1, UDP_DATAGRAM_MAX, capture, &c);
	ck_assert_str_eq(c.buf[0], "report host1 192.168.1.5\nweb e 20 2199 /usr/sbin/nginx -g \"daemon off;\"\n");
	/* No job: still a report, as a heartbeat. */
	c.n = 0;
	ck_assert_uint_eq(udp_format_report("h", "", NULL, 0, UDP_DATAGRAM_MAX, capture, &c), 1);
	ck_assert_str_eq(c.buf[0], "report h\n");
}
END_TEST

START_TEST(report_split_and_cut)
{
	static char cmd[3000];
	struct udp_report_line lines[40];
	struct capture c = { .n = 0 };
	size_t total_lines = 0;

	for (size_t i = 0; i < 40; i++)
		lines[i] = (struct udp_report_line){ "job", true, 1, 100 + (long)i, "/bin/sleep 1000" };
	/* 40 lines of about 30 bytes do not fit 100-byte datagrams: split at line ends. */
	size_t n = udp_format_report("h", NULL, lines, 40, 100, capture, &c);

	ck_assert_uint_gt(n, 1);
	for (size_t d = 0; d < n; d++) {
		ck_assert_uint_le(c.len[d], 100);
		ck_assert(strncmp(c.buf[d], "report h\n", 9) == 0);
		ck_assert_int_eq(c.buf[d][c.len[d] - 1], '\n');
		for (char *p = c.buf[d] + 9; (p = strchr(p, '\n')); p++)
			total_lines++;
	}
	ck_assert_uint_eq(total_lines, 40);
	/* One line longer than a datagram: cut, still a line. */
	memset(cmd, 'x', sizeof(cmd) - 1);
	lines[0].command = cmd;
	c.n = 0;
	ck_assert_uint_eq(udp_format_report("h", NULL, lines, 1, UDP_DATAGRAM_MAX, capture, &c), 1);
	ck_assert_uint_eq(c.len[0], UDP_DATAGRAM_MAX);
	ck_assert_int_eq(c.buf[0][UDP_DATAGRAM_MAX - 1], '\n');
	ck_assert_ptr_eq(strchr(c.buf[0] + 9, '\n'), c.buf[0] + UDP_DATAGRAM_MAX - 1);
}
END_TEST

static int control(const char *text, bool *enable, char **names, size_t *n, char *why)
{
	static char buf[UDP_CONTROL_MAX + 64];
	size_t len = strlen(text);

	memcpy(buf, text, len);
	return udp_parse_control(buf, len, enable, names, n, 4, why, 128);
}

START_TEST(control_datagrams)
{
	char *names[4], why[128];
	bool enable = false;
	size_t n;

	ck_assert_int_eq(control("enable web\n", &enable, names, &n, why), 0);
	ck_assert(enable);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], "web");
	ck_assert_int_eq(control("disable a b\r\n", &enable, names, &n, why), 0);
	ck_assert(!enable);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[1], "b");
	ck_assert_int_eq(control("disable", &enable, names, &n, why), -1);
	ck_assert_str_eq(why, "disable needs at least one job name");
	ck_assert_int_eq(control("restart web", &enable, names, &n, why), -1);
	ck_assert_str_eq(why, "unknown command \"restart\": expected enable or disable");
	ck_assert_int_eq(control("", &enable, names, &n, why), -1);
	ck_assert_str_eq(why, "empty datagram");
	ck_assert_int_eq(control("enable a b c d e", &enable, names, &n, why), -1);
	ck_assert_str_eq(why, "more than 4 job names");
	ck_assert_int_eq(control("enable we/b", &enable, names, &n, why), -1);
	ck_assert_str_eq(why, "bad job name \"we/b\"");
}
END_TEST

START_TEST(control_binary_and_oversized)
{
	char buf[UDP_CONTROL_MAX + 2], *names[4], why[128];
	bool enable;
	size_t n;

	memcpy(buf, "enable \0web", 11);
	ck_assert_int_eq(udp_parse_control(buf, 11, &enable, names, &n, 4, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "binary byte 0x00 at offset 7");
	memcpy(buf, "enable \xff", 8);
	ck_assert_int_eq(udp_parse_control(buf, 8, &enable, names, &n, 4, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "binary byte 0xff at offset 7");
	memset(buf, 'a', sizeof(buf));
	ck_assert_int_eq(udp_parse_control(buf, UDP_CONTROL_MAX + 1, &enable, names, &n, 4, why,
					   sizeof(why)), -1);
	ck_assert_str_eq(why, "datagram of 1025 bytes, more than 1024");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, spec_parts);
	tcase_add_test(tc, spec_errors);
	tcase_add_test(tc, report_exact_bytes);
	tcase_add_test(tc, report_split_and_cut);
	tcase_add_test(tc, control_datagrams);
	tcase_add_test(tc, control_binary_and_oversized);
	suite_add_tcase(s, tc);
	return check_run(s);
}
