/* check_parse.c: unit tests of the pmtr.conf parser and of struct conf helpers. SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "cron.h"
#include "parse.h"
#include "util.h"
#include "values.h"
#include "check_run.h"

/* ---- helpers ---- */

/* All errors as one string, for failure messages. */
static char *joined(const struct parse_errors *e)
{
	static char buf[8192];
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < e->n && o < sizeof(buf) - 1; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\n  %s", e->msgs[i]);
	return buf;
}

/* Parse text that must be valid. */
static struct conf *ok_at(int at, const char *text)
{
	struct parse_errors e;
	struct conf *c = parse_conf(text, strlen(text), "pmtr.conf", &e, NULL);

	ck_assert_msg(c != NULL && e.n == 0, "line %d: expected a valid config, got:%s", at,
		      joined(&e));
	parse_errors_free(&e);
	return c;
}
#define ok(text) ok_at(__LINE__, (text))

/* Parse text (len bytes) that must be rejected with exactly these messages. */
static void errors_at(int at, const char *text, size_t len, const char **want)
{
	struct parse_errors e;
	struct conf *c = parse_conf(text, len, "pmtr.conf", &e, NULL);
	size_t n = 0;

	while (want[n])
		n++;
	ck_assert_msg(c == NULL, "line %d: expected errors, the config was accepted", at);
	ck_assert_msg(e.n == n, "line %d: expected %zu errors, got %zu:%s", at, n, e.n,
		      joined(&e));
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(strcmp(e.msgs[i], want[i]) == 0,
			      "line %d: error %zu is \"%s\", expected \"%s\"", at, i,
			      e.msgs[i], want[i]);
	parse_errors_free(&e);
}
#define errors(text, ...) \
	errors_at(__LINE__, (text), strlen(text), (const char *[]){ __VA_ARGS__, NULL })

/* A config with one job "t" (cmd /bin/true) whose extra lines start at line 4. */
#define JOB(body) "job {\n  name t\n  cmd /bin/true\n" body "}\n"

static struct conf_job *only_job(struct conf *c)
{
	ck_assert_uint_eq(c->n_jobs, 1);
	return c->jobs[0];
}

static const char *data_path(const char *file)
{
	static char path[PATH_MAX];
	const char *dir = getenv("TESTS_SRCDIR");

	if (dir)
		snprintf(path, sizeof(path), "%s/data/%s", dir, file);
	else if ((dir = getenv("srcdir")))
		snprintf(path, sizeof(path), "%s/tests/data/%s", dir, file);
	else
		snprintf(path, sizeof(path), "tests/data/%s", file);
	return path;
}

static struct conf *ok_file(const char *file)
{
	struct parse_errors e;
	struct conf *c = parse_conf_file(data_path(file), &e, NULL);

	ck_assert_msg(c != NULL && e.n == 0, "%s: expected a valid config, got:%s (%s)",
		      data_path(file), joined(&e), c ? "" : strerror(errno));
	parse_errors_free(&e);
	return c;
}

static int ulimit_of(const struct conf_job *j, int resource, rlim_t *value)
{
	for (size_t i = 0; i < j->n_ulimits; i++)
		if (j->ulimits[i].resource == resource) {
			*value = j->ulimits[i].value;
			return 0;
		}
	return -1;
}

/* ---- keywords ---- */

START_TEST(test_minimal_job_and_defaults)
{
	struct conf *c = ok("job {\n  name demo\n  cmd /bin/sleep 20\n}\n");
	struct conf_job *j = only_job(c);

	ck_assert_str_eq(j->name, "demo");
	ck_assert_str_eq(j->argv[0], "/bin/sleep");
	ck_assert_str_eq(j->argv[1], "20");
	ck_assert_ptr_null(j->argv[2]);
	ck_assert_ptr_null(CONF_MORE(j)->dir);
	ck_assert_ptr_null(CONF_MORE(j)->in);
	ck_assert_ptr_null(j->out);
	ck_assert_ptr_null(j->err);
	ck_assert_ptr_null(j->user);
	ck_assert_uint_eq(j->n_env, 0);
	ck_assert_uint_eq(j->n_depends, 0);
	ck_assert(!j->has_nice);
	ck_assert_ptr_null(j->cpus);
	ck_assert_uint_eq(j->n_ulimits, 0);
	ck_assert_int_eq(CONF_MORE(j)->bounce_ms, 0);
	ck_assert_int_eq(j->stop_timeout_ms, 10000);
	ck_assert_int_eq(j->restart_delay_ms, 10000);
	ck_assert_int_eq(j->order, 0);
	ck_assert(!j->disabled && !j->once && !j->wait);
	ck_assert_int_eq(j->line, 1);
	ck_assert_ptr_null(c->report_to);
	ck_assert_ptr_null(c->listen_on);
	conf_free(c);
}
END_TEST

START_TEST(test_empty_files)
{
	const char *texts[] = { "", "\n\n\n", "# only a comment\n", "   \t \n# x\n  # y",
				"\xef\xbb\xbf# a byte order mark\n" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct conf *c = ok(texts[i]);

		ck_assert_uint_eq(c->n_jobs, 0);
		conf_free(c);
	}
}
END_TEST

START_TEST(test_name_characters)
{
	struct conf *c = ok("job {\n name A.b-c_d@e:f+9\n cmd /x\n}\n");

	ck_assert_str_eq(only_job(c)->name, "A.b-c_d@e:f+9");
	conf_free(c);
	errors("job {\n name \"a b\"\n cmd /x\n}\n",
	       "pmtr.conf:2: bad job name \"a b\": use letters, digits and .-_@:+ only");
	errors("job {\n name a/b\n cmd /x\n}\n",
	       "pmtr.conf:2: bad job name \"a/b\": use letters, digits and .-_@:+ only");
	errors("job {\n name \"\"\n cmd /x\n}\n",
	       "pmtr.conf:2: bad job name \"\": use letters, digits and .-_@:+ only");
	{
		char text[300], want[200];

		snprintf(text, sizeof(text), "job {\n name %0128d\n cmd /x\n}\n", 7);
		c = ok(text);
		ck_assert_uint_eq(strlen(only_job(c)->name), 128);
		conf_free(c);
		snprintf(text, sizeof(text), "job {\n name %0129d\n cmd /x\n}\n", 7);
		snprintf(want, sizeof(want), "pmtr.conf:2: job name \"%048d...\" is longer than "
			 "128 characters", 0);
		errors(text, want);
	}
	errors("job {\n name caf\xc3\xa9\n cmd /x\n}\n",
	       "pmtr.conf:2: bad job name \"caf\\xc3\\xa9\": use letters, digits and .-_@:+ only");
}
END_TEST

START_TEST(test_cmd_quoting)
{
	struct conf *c = ok("job {\n name q\n"
			    "  cmd /usr/bin/python -c \"print('a # b')\" \"x \\\"y\\\" \\\\z\" "
			    "\"\" --opt=\"a b\"c \\n # a trailing comment\n}\n");
	struct conf_job *j = only_job(c);

	ck_assert_str_eq(j->argv[0], "/usr/bin/python");
	ck_assert_str_eq(j->argv[1], "-c");
	ck_assert_str_eq(j->argv[2], "print('a # b')");
	ck_assert_str_eq(j->argv[3], "x \"y\" \\z");
	ck_assert_str_eq(j->argv[4], "");
	ck_assert_str_eq(j->argv[5], "--opt=a bc");
	ck_assert_str_eq(j->argv[6], "\\n");
	ck_assert_ptr_null(j->argv[7]);
	conf_free(c);

	/* a backslash other than before " or \ is kept; a comment may touch a word */
	c = ok("job {\n name q\n cmd /bin/echo \"a\\tb\" c#d\n}\n");
	j = only_job(c);
	ck_assert_str_eq(j->argv[1], "a\\tb");
	ck_assert_str_eq(j->argv[2], "c");
	ck_assert_ptr_null(j->argv[3]);
	conf_free(c);

	/* a quoted path works as argv[0] */
	c = ok("job {\n name q\n cmd \"/opt/my app/bin\" x\n}\n");
	ck_assert_str_eq(only_job(c)->argv[0], "/opt/my app/bin");
	conf_free(c);
}
END_TEST

START_TEST(test_dir_in_out_err)
{
	struct conf *c = ok(JOB("  dir /srv/app\n  in /etc/input\n  out /var/log/a.out\n"
				"  err /var/log/a.err\n"));
	struct conf_job *j = only_job(c);

	ck_assert_str_eq(CONF_MORE(j)->dir, "/srv/app");
	ck_assert_str_eq(CONF_MORE(j)->in, "/etc/input");
	ck_assert_str_eq(j->out, "/var/log/a.out");
	ck_assert_str_eq(j->err, "/var/log/a.err");
	conf_free(c);

	c = ok(JOB("  out syslog\n  err syslog\n"));
	j = only_job(c);
	ck_assert_ptr_null(j->out);
	ck_assert_ptr_null(j->err);
	conf_free(c);

	errors(JOB("  dir srv\n"), "pmtr.conf:4: job \"t\": dir must be an absolute path");
	errors(JOB("  in input\n"), "pmtr.conf:4: job \"t\": in must be an absolute path");
	errors(JOB("  in syslog\n"), "pmtr.conf:4: job \"t\": in must be an absolute path");
	errors(JOB("  out log/a\n"),
	       "pmtr.conf:4: job \"t\": out must be an absolute path or syslog");
	errors(JOB("  err ./e\n"),
	       "pmtr.conf:4: job \"t\": err must be an absolute path or syslog");
}
END_TEST

START_TEST(test_env)
{
	struct conf *c = ok(JOB("  env A=1\n  env \"B=two words\"\n  env EMPTY=\n  env C=x=y\n"));
	struct conf_job *j = only_job(c);

	ck_assert_uint_eq(j->n_env, 4);
	ck_assert_str_eq(j->env[0], "A=1");
	ck_assert_str_eq(j->env[1], "B=two words");
	ck_assert_str_eq(j->env[2], "EMPTY=");
	ck_assert_str_eq(j->env[3], "C=x=y");
	conf_free(c);

	errors(JOB("  env FOO\n"), "pmtr.conf:4: job \"t\": env \"FOO\" must be VAR=VALUE");
	errors(JOB("  env =x\n"), "pmtr.conf:4: job \"t\": env \"=x\" must be VAR=VALUE");
	errors(JOB("  env A=1 B=2\n"), "pmtr.conf:4: job \"t\": extra argument \"B=2\" for env");
}
END_TEST

START_TEST(test_user)
{
	struct conf *c = ok(JOB("  user demo\n"));

	ck_assert_str_eq(only_job(c)->user, "demo");
	conf_free(c);
	c = ok(JOB("  user 1000\n"));
	ck_assert_str_eq(only_job(c)->user, "1000");
	conf_free(c);
	errors(JOB("  user \"\"\n"), "pmtr.conf:4: job \"t\": user must not be empty");
}
END_TEST

START_TEST(test_nice)
{
	const struct { const char *text; int value; } good[] = {
		{ "-20", -20 }, { "20", 20 }, { "0", 0 }, { "+5", 5 }, { "-19", -19 }, { "007", 7 },
	};
	const char *bad[] = { "21", "-21", "x", "1.5", "-", "+", "99999999999", "--1", "5x" };
	char text[200], want[200];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), JOB("  nice %s\n"), good[i].text);
		struct conf *c = ok(text);

		ck_assert(only_job(c)->has_nice);
		ck_assert_int_eq(only_job(c)->nice, good[i].value);
		conf_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), JOB("  nice %s\n"), bad[i]);
		snprintf(want, sizeof(want),
			 "pmtr.conf:4: job \"t\": bad number \"%s\" for nice (expected -20 to 20)",
			 bad[i]);
		errors(text, want);
	}
}
END_TEST

START_TEST(test_cpu)
{
	struct conf *c = ok(JOB("  cpu 0,2-4\n"));
	struct conf_job *j = only_job(c);

	ck_assert_ptr_nonnull(j->cpus);
	ck_assert_int_eq(CPU_COUNT(j->cpus), 4);
	ck_assert(CPU_ISSET(0, j->cpus) && CPU_ISSET(2, j->cpus) && CPU_ISSET(3, j->cpus) &&
		  CPU_ISSET(4, j->cpus) && !CPU_ISSET(1, j->cpus));
	conf_free(c);

	c = ok(JOB("  cpu 0x8f\n"));
	j = only_job(c);
	ck_assert_int_eq(CPU_COUNT(j->cpus), 5);
	ck_assert(CPU_ISSET(0, j->cpus) && CPU_ISSET(3, j->cpus) && CPU_ISSET(7, j->cpus) &&
		  !CPU_ISSET(4, j->cpus));
	conf_free(c);

	errors(JOB("  cpu 3-1\n"), "pmtr.conf:4: job \"t\": bad cpu list \"3-1\"");
	errors(JOB("  cpu 0,,1\n"), "pmtr.conf:4: job \"t\": bad cpu list \"0,,1\"");
	errors(JOB("  cpu 0x\n"), "pmtr.conf:4: job \"t\": bad cpu list \"0x\"");
	errors(JOB("  cpu 1024\n"), "pmtr.conf:4: job \"t\": bad cpu list \"1024\"");
	errors(JOB("  cpu 0 1\n"), "pmtr.conf:4: job \"t\": extra argument \"1\" for cpu");
}
END_TEST

START_TEST(test_ulimit_all_flags)
{
	static const struct { char flag; int resource; } flags[] = {
		{ 'c', RLIMIT_CORE }, { 'd', RLIMIT_DATA }, { 'e', RLIMIT_NICE },
		{ 'f', RLIMIT_FSIZE }, { 'i', RLIMIT_SIGPENDING }, { 'l', RLIMIT_MEMLOCK },
		{ 'm', RLIMIT_RSS }, { 'n', RLIMIT_NOFILE }, { 'q', RLIMIT_MSGQUEUE },
		{ 'r', RLIMIT_RTPRIO }, { 's', RLIMIT_STACK }, { 't', RLIMIT_CPU },
		{ 'u', RLIMIT_NPROC }, { 'v', RLIMIT_AS },
	};
	char text[600];
	size_t o = (size_t)snprintf(text, sizeof(text), "job {\n name u\n cmd /x\n ulimit");
	struct conf *c;
	struct conf_job *j;

	for (size_t i = 0; i < 14; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, " -%c %zu", flags[i].flag, i + 1);
	snprintf(text + o, sizeof(text) - o, "\n}\n");
	c = ok(text);
	j = only_job(c);
	ck_assert_uint_eq(j->n_ulimits, 14);
	for (size_t i = 0; i < 14; i++) {
		ck_assert_int_eq(parse_ulimit_flag(flags[i].flag), flags[i].resource);
		ck_assert_int_eq(j->ulimits[i].resource, flags[i].resource);
		ck_assert_uint_eq(j->ulimits[i].value, i + 1);
	}
	conf_free(c);
}
END_TEST

START_TEST(test_ulimit_forms)
{
	struct conf *c = ok(JOB("  ulimit -c infinity -v unlimited\n"
				"  ulimit {\n"
				"    -n 30   # a comment in a block\n"
				"\n"
				"    -s 8388608 -t 60\n"
				"  }\n"
				"  ulimit { -u 50 }\n"
				"  ulimit { -d 1\n"
				"    -f 2 }\n"
				"  ulimit -m 0\n"));
	struct conf_job *j = only_job(c);
	static const int order[] = { RLIMIT_CORE, RLIMIT_AS, RLIMIT_NOFILE, RLIMIT_STACK,
				     RLIMIT_CPU, RLIMIT_NPROC, RLIMIT_DATA, RLIMIT_FSIZE,
				     RLIMIT_RSS };
	rlim_t v;

	ck_assert_uint_eq(j->n_ulimits, 9);
	for (size_t i = 0; i < 9; i++)
		ck_assert_int_eq(j->ulimits[i].resource, order[i]);
	ck_assert(ulimit_of(j, RLIMIT_CORE, &v) == 0 && v == RLIM_INFINITY);
	ck_assert(ulimit_of(j, RLIMIT_AS, &v) == 0 && v == RLIM_INFINITY);
	ck_assert(ulimit_of(j, RLIMIT_NOFILE, &v) == 0 && v == 30);
	ck_assert(ulimit_of(j, RLIMIT_STACK, &v) == 0 && v == 8388608);
	ck_assert(ulimit_of(j, RLIMIT_FSIZE, &v) == 0 && v == 2);
	ck_assert(ulimit_of(j, RLIMIT_RSS, &v) == 0 && v == 0);
	conf_free(c);

	/* keywords after a ulimit block still belong to the job */
	c = ok("job {\n name u\n ulimit {\n  -n 5\n }\n cmd /x\n}\n");
	ck_assert_str_eq(only_job(c)->argv[0], "/x");
	conf_free(c);
}
END_TEST

START_TEST(test_ulimit_errors)
{
	errors(JOB("  ulimit -z 5\n"), "pmtr.conf:4: job \"t\": unknown ulimit flag -z");
	errors(JOB("  ulimit -nn 5\n"), "pmtr.conf:4: job \"t\": unknown ulimit flag -nn");
	errors(JOB("  ulimit -n infinity\n"), "pmtr.conf:4: job \"t\": ulimit -n cannot be infinity");
	errors(JOB("  ulimit {\n -n unlimited\n }\n"),
	       "pmtr.conf:5: job \"t\": ulimit -n cannot be infinity");
	errors(JOB("  ulimit -n 18446744073709551615\n"),
	       "pmtr.conf:4: job \"t\": ulimit -n cannot be infinity");
	errors(JOB("  ulimit -c\n"), "pmtr.conf:4: job \"t\": missing value for ulimit -c");
	errors(JOB("  ulimit\n"), "pmtr.conf:4: job \"t\": missing argument for ulimit");
	errors(JOB("  ulimit 30\n"), "pmtr.conf:4: job \"t\": expected a ulimit flag, found \"30\"");
	errors(JOB("  ulimit -c -5\n"), "pmtr.conf:4: job \"t\": bad ulimit value \"-5\" for -c");
	errors(JOB("  ulimit -c 1k\n"), "pmtr.conf:4: job \"t\": bad ulimit value \"1k\" for -c");
	errors(JOB("  ulimit -n 5\n  ulimit { -n 6 }\n"),
	       "pmtr.conf:5: job \"t\": ulimit -n given twice (first at line 4)");
	/* the flag is named in each message, every bad pair is reported */
	errors(JOB("  ulimit -z 1 -y 2 -n x\n"),
	       "pmtr.conf:4: job \"t\": unknown ulimit flag -z",
	       "pmtr.conf:4: job \"t\": unknown ulimit flag -y",
	       "pmtr.conf:4: job \"t\": bad ulimit value \"x\" for -n");
}
END_TEST

START_TEST(test_times)
{
	struct conf *c = ok(JOB("  bounce every 1d\n  stop timeout 0\n  restart delay 250ms\n"));
	struct conf_job *j = only_job(c);

	ck_assert_int_eq(CONF_MORE(j)->bounce_ms, 86400000);
	ck_assert_int_eq(j->stop_timeout_ms, 0);
	ck_assert_int_eq(j->restart_delay_ms, 250);
	conf_free(c);

	c = ok(JOB("  bounce every 90\n  stop timeout 2m\n  restart delay 0\n"));
	j = only_job(c);
	ck_assert_int_eq(CONF_MORE(j)->bounce_ms, 90000);
	ck_assert_int_eq(j->stop_timeout_ms, 120000);
	ck_assert_int_eq(j->restart_delay_ms, 0);
	conf_free(c);

	errors(JOB("  bounce every 0\n"), "pmtr.conf:4: job \"t\": bounce every must be more than 0");
	errors(JOB("  bounce every 0s\n"), "pmtr.conf:4: job \"t\": bounce every must be more than 0");
	errors(JOB("  bounce every 10x\n"), "pmtr.conf:4: job \"t\": bad time \"10x\" for bounce every");
	errors(JOB("  bounce 10s\n"), "pmtr.conf:4: job \"t\": expected \"every\" after bounce");
	errors(JOB("  bounce every\n"), "pmtr.conf:4: job \"t\": missing argument for bounce every");
	errors(JOB("  stop timeout -1\n"), "pmtr.conf:4: job \"t\": bad time \"-1\" for stop timeout");
	errors(JOB("  stop 5\n"), "pmtr.conf:4: job \"t\": expected \"timeout\" or \"signal\" after stop");
	errors(JOB("  restart delay 1.5s\n"),
	       "pmtr.conf:4: job \"t\": bad time \"1.5s\" for restart delay");
	errors(JOB("  restart in 5\n"), "pmtr.conf:4: job \"t\": expected \"delay\" after restart");
}
END_TEST

START_TEST(test_depends)
{
	struct conf *c = ok(JOB("  depends { /etc/a /etc/b }\n"));
	struct conf_job *j = only_job(c);

	ck_assert_uint_eq(j->n_depends, 2);
	ck_assert_str_eq(j->depends[0], "/etc/a");
	ck_assert_str_eq(j->depends[1], "/etc/b");
	conf_free(c);

	c = ok(JOB("  depends {\n    /etc/a   # comment\n\n    /etc/b \"/etc/c d\"\n  }\n"
		   "  depends { /etc/e\n    /etc/f }\n  depends { }\n"));
	j = only_job(c);
	ck_assert_uint_eq(j->n_depends, 5);
	ck_assert_str_eq(j->depends[0], "/etc/a");
	ck_assert_str_eq(j->depends[1], "/etc/b");
	ck_assert_str_eq(j->depends[2], "/etc/c d");
	ck_assert_str_eq(j->depends[3], "/etc/e");
	ck_assert_str_eq(j->depends[4], "/etc/f");
	conf_free(c);

	errors(JOB("  depends /etc/a\n"), "pmtr.conf:4: job \"t\": expected \"{\" after depends");
	errors(JOB("  depends {\n    etc/a\n  }\n"),
	       "pmtr.conf:5: job \"t\": depends file \"etc/a\" must be an absolute path");
	errors(JOB("  depends { /a } x\n"),
	       "pmtr.conf:4: job \"t\": extra argument \"x\" after \"}\"");
	errors(JOB("  ulimit { -n 1 } -c 0\n"),
	       "pmtr.conf:4: job \"t\": extra argument \"-c\" after \"}\"");
	errors(JOB("  depends {\n    /a\n  } x\n"),
	       "pmtr.conf:6: job \"t\": extra argument \"x\" after \"}\"");
}
END_TEST

START_TEST(test_flags_and_order)
{
	struct conf *c = ok(JOB("  disable\n  wait\n  once\n  order -7\n"));
	struct conf_job *j = only_job(c);

	ck_assert(j->disabled && j->wait && j->once);
	ck_assert_int_eq(j->order, -7);
	conf_free(c);

	errors(JOB("  disable now\n"), "pmtr.conf:4: job \"t\": extra argument \"now\" for disable");
	errors(JOB("  order x\n"), "pmtr.conf:4: job \"t\": bad number \"x\" for order");
	errors(JOB("  order 2147483648\n"),
	       "pmtr.conf:4: job \"t\": bad number \"2147483648\" for order");
	c = ok(JOB("  order -2147483648\n"));
	ck_assert_int_eq(only_job(c)->order, INT_MIN);
	conf_free(c);
}
END_TEST

START_TEST(test_job_order_is_stable)
{
	struct conf *c = ok("job {\n name a\n cmd /x\n}\n"
			    "job {\n name b\n cmd /x\n order -1\n}\n"
			    "job {\n name c\n cmd /x\n order 0\n}\n"
			    "job {\n name d\n cmd /x\n order 5\n}\n"
			    "job {\n name e\n cmd /x\n order -1\n}\n"
			    "job {\n name f\n cmd /x\n}\n");
	const char *want[] = { "b", "e", "a", "c", "f", "d" };

	ck_assert_uint_eq(c->n_jobs, 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_str_eq(c->jobs[i]->name, want[i]);
	ck_assert_int_eq(c->jobs[0]->line, 5);
	conf_free(c);
}
END_TEST

START_TEST(test_control_socket)
{
	struct conf *c = ok("control socket group adm\ncontrol socket mode 0640\n");

	ck_assert_str_eq(c->control_group, "adm");
	ck_assert_uint_eq(c->control_mode, 0640);
	ck_assert_int_eq(c->control_group_line, 1);
	ck_assert_int_eq(c->control_mode_line, 2);
	conf_free(c);
	c = ok("job {\nname a\ncmd /bin/true\n}\n");
	ck_assert_ptr_null(c->control_group);
	ck_assert_uint_eq(c->control_mode, 0);
	conf_free(c);
	errors("control socket mode 0400\n", "pmtr.conf:1: bad mode \"0400\" for control socket "
	       "mode (expected octal digits, from 0600 to 0777: pmtr's own user must read and write)");
	errors("control socket mode 1660\n", "pmtr.conf:1: bad mode \"1660\" for control socket "
	       "mode (expected octal digits, from 0600 to 0777: pmtr's own user must read and write)");
	errors("control socket owner x\n",
	       "pmtr.conf:1: expected \"socket group\" or \"socket mode\" after control");
	errors("control socket group\n", "pmtr.conf:1: missing argument for control socket group");
	errors("control socket group \"\"\n", "pmtr.conf:1: control socket group must not be empty");
	errors("control socket group a\ncontrol socket group b\n",
	       "pmtr.conf:2: control socket group given twice (first at line 1)");
	errors(JOB("  control socket mode 0600\n"),
	       "pmtr.conf:4: job \"t\": control socket is not allowed inside a job");
}
END_TEST

START_TEST(test_report_listen)
{
	struct conf *c = ok("report to udp://239.0.0.1:9999@eth0\nlisten on udp://0.0.0.0:3333\n");

	ck_assert_str_eq(c->report_to, "udp://239.0.0.1:9999@eth0");
	ck_assert_str_eq(c->listen_on, "udp://0.0.0.0:3333");
	ck_assert_uint_eq(c->n_jobs, 0);
	conf_free(c);

	c = ok("report to udp://[::1]:9000\nlisten on udp://[fe80::1%eth0]:65535\n");
	ck_assert_str_eq(c->report_to, "udp://[::1]:9000");
	ck_assert_str_eq(c->listen_on, "udp://[fe80::1%eth0]:65535");
	conf_free(c);

	c = ok("report to udp://logs.example.com:1\n");
	ck_assert_str_eq(c->report_to, "udp://logs.example.com:1");
	conf_free(c);

	errors("report to tcp://h:1\n",
	       "pmtr.conf:1: bad address \"tcp://h:1\" for report to: it must start with udp://");
	errors("report to udp://:1\n",
	       "pmtr.conf:1: bad address \"udp://:1\" for report to: missing host");
	errors("report to udp://h\n",
	       "pmtr.conf:1: bad address \"udp://h\" for report to: missing port");
	errors("report to udp://h:\n",
	       "pmtr.conf:1: bad address \"udp://h:\" for report to: missing port");
	errors("report to udp://h:0\n",
	       "pmtr.conf:1: bad address \"udp://h:0\" for report to: port must be 1 to 65535");
	errors("report to udp://h:65536\n",
	       "pmtr.conf:1: bad address \"udp://h:65536\" for report to: port must be 1 to 65535");
	errors("report to udp://h:0x10\n",
	       "pmtr.conf:1: bad address \"udp://h:0x10\" for report to: port must be 1 to 65535");
	errors("report to udp://h:9@\n",
	       "pmtr.conf:1: bad address \"udp://h:9@\" for report to: bad interface name");
	errors("report to udp://::1:9\n",
	       "pmtr.conf:1: bad address \"udp://::1:9\" for report to: missing host");
	errors("report to udp://[]:9\n",
	       "pmtr.conf:1: bad address \"udp://[]:9\" for report to: missing host");
	errors("report to udp://[::1:9\n",
	       "pmtr.conf:1: bad address \"udp://[::1:9\" for report to: missing \"]\" after the host");
	errors("report to udp://h:9/x\n",
	       "pmtr.conf:1: bad address \"udp://h:9/x\" for report to: unexpected text after the port");
	errors("listen on udp://0.0.0.0:9@eth0\n",
	       "pmtr.conf:1: bad address \"udp://0.0.0.0:9@eth0\" for listen on: "
	       "@IFACE is only allowed for report to");
	errors("report udp://h:9\n", "pmtr.conf:1: expected \"to\" after report");
	errors("listen udp://h:9\n", "pmtr.conf:1: expected \"on\" after listen");
	errors("listen on\n", "pmtr.conf:1: missing argument for listen on");
	errors("listen on udp://h:1 udp://h:2\n",
	       "pmtr.conf:1: extra argument \"udp://h:2\" for listen on");
	errors("report to udp://h:1\n\nreport to udp://h:2\n",
	       "pmtr.conf:3: report to given twice (first at line 1)");
	errors("listen on udp://h:1\nlisten on udp://h:2\n",
	       "pmtr.conf:2: listen on given twice (first at line 1)");
	errors(JOB("  report to udp://h:1\n"),
	       "pmtr.conf:4: job \"t\": report to is not allowed inside a job");
}
END_TEST

START_TEST(test_layout)
{
	/* any order, tabs, CRLF, comments everywhere, keywords after blank lines */
	struct conf *c = ok("# header\r\n\r\n\tjob {   # opens\r\n"
			    "\t\tcmd /bin/x a\r\n\r\n"
			    "   # a comment line\r\n"
			    "\t\tname crlf\r\n"
			    "}\r\n"
			    "job {\nname last\ncmd /y\n}");

	ck_assert_uint_eq(c->n_jobs, 2);
	ck_assert_str_eq(c->jobs[0]->name, "crlf");
	ck_assert_str_eq(c->jobs[0]->argv[1], "a");
	ck_assert_ptr_null(c->jobs[0]->argv[2]);
	ck_assert_int_eq(c->jobs[0]->line, 3);
	ck_assert_str_eq(c->jobs[1]->name, "last");
	ck_assert_int_eq(c->jobs[1]->line, 9);
	conf_free(c);
}
END_TEST

/* ---- the original documentation's examples and a file with every keyword ---- */

START_TEST(test_seed_example)
{
	struct conf *c = ok_file("seed-example.conf");
	struct conf_job *j;

	ck_assert_uint_eq(c->n_jobs, 3);
	j = c->jobs[0];
	ck_assert_str_eq(j->name, "tunnel");
	ck_assert_str_eq(j->argv[0], "/usr/bin/ssh");
	ck_assert_str_eq(j->argv[3], "-TNL");
	ck_assert_str_eq(j->argv[4], "5901:127.0.0.1:5901");
	j = c->jobs[1];
	ck_assert_str_eq(j->name, "demo-daemon");
	ck_assert_str_eq(CONF_MORE(j)->dir, "/home/demo");
	ck_assert_str_eq(j->user, "demo");
	ck_assert_uint_eq(j->n_env, 1);
	ck_assert_str_eq(j->env[0], "HOME=/home/demo");
	ck_assert_int_eq(CPU_COUNT(j->cpus), 9);
	j = c->jobs[2];
	ck_assert_str_eq(j->name, "capture");
	ck_assert_str_eq(j->argv[8], "%Y%m%d%H%M%S.pcap");
	ck_assert_ptr_null(j->argv[9]);
	conf_free(c);
}
END_TEST

START_TEST(test_seed_snippets)
{
	struct conf *c = ok_file("seed-minimal.conf");
	struct conf_job *j = only_job(c);

	ck_assert_str_eq(j->name, "demo");
	ck_assert_str_eq(j->argv[1], "20");
	conf_free(c);

	c = ok_file("seed-output.conf");
	j = only_job(c);
	ck_assert_str_eq(j->out, "/var/log/demo.out");
	ck_assert_str_eq(j->err, "/var/log/demo.err");
	conf_free(c);

	c = ok_file("seed-depends.conf");
	j = only_job(c);
	ck_assert_uint_eq(j->n_depends, 2);
	ck_assert_str_eq(j->depends[0], "/home/demo/demod.conf");
	conf_free(c);

	c = ok_file("seed-setup.conf");
	ck_assert_uint_eq(c->n_jobs, 2);
	ck_assert(c->jobs[0]->wait && c->jobs[0]->once);
	ck_assert_str_eq(c->jobs[1]->name, "worker");
	ck_assert_int_eq(c->jobs[1]->nice, 19);
	ck_assert_int_eq(CONF_MORE(c->jobs[1])->bounce_ms, 86400000);
	ck_assert_uint_eq(c->jobs[1]->n_ulimits, 1);
	ck_assert_uint_eq(c->jobs[1]->ulimits[0].value, 30);
	conf_free(c);

	c = ok_file("seed-onconnect.conf");
	ck_assert_str_eq(only_job(c)->argv[0], "/usr/bin/onconnect");
	conf_free(c);

	c = ok_file("seed-udp.conf");
	ck_assert_str_eq(c->report_to, "udp://239.0.0.1:9999@eth0");
	ck_assert_str_eq(c->listen_on, "udp://0.0.0.0:10000");
	conf_free(c);
}
END_TEST

START_TEST(test_full_file)
{
	struct conf *c = ok_file("full.conf");
	struct conf_job *j;
	rlim_t v;

	ck_assert_str_eq(c->report_to, "udp://[ff02::1]:9000@eth1");
	ck_assert_str_eq(c->listen_on, "udp://127.0.0.1:3333");
	ck_assert_uint_eq(c->n_jobs, 2);
	ck_assert_str_eq(c->jobs[0]->name, "second");
	j = c->jobs[1];
	ck_assert_str_eq(j->name, "full-job.1_a@b:c+d");
	ck_assert_int_eq(j->order, 5);
	ck_assert_int_eq(CPU_COUNT(j->cpus), 5);
	ck_assert_str_eq(j->argv[0], "/usr/bin/env");
	ck_assert_str_eq(j->argv[2], "A B=c d");
	ck_assert_str_eq(j->argv[3], "quote\"inside");
	ck_assert_str_eq(j->argv[4], "back\\slash");
	ck_assert_str_eq(j->argv[5], "#not a comment");
	ck_assert_ptr_null(j->argv[6]);
	ck_assert_str_eq(CONF_MORE(j)->dir, "/srv");
	ck_assert_str_eq(CONF_MORE(j)->in, "/etc/hostname");
	ck_assert_str_eq(j->out, "/var/log/full.out");
	ck_assert_ptr_null(j->err);
	ck_assert_uint_eq(j->n_env, 3);
	ck_assert_str_eq(j->env[1], "GREETING=hello world");
	ck_assert_str_eq(j->user, "1000");
	ck_assert(j->has_nice && j->nice == -20);
	ck_assert_uint_eq(j->n_ulimits, 14);
	ck_assert(ulimit_of(j, RLIMIT_DATA, &v) == 0 && v == RLIM_INFINITY);
	ck_assert(ulimit_of(j, RLIMIT_NOFILE, &v) == 0 && v == 1024);
	ck_assert(ulimit_of(j, RLIMIT_AS, &v) == 0 && v == 1073741824);
	ck_assert_int_eq(CONF_MORE(j)->bounce_ms, 12 * 3600 * 1000);
	ck_assert_uint_eq(j->n_depends, 4);
	ck_assert_str_eq(j->depends[3], "/etc/with space.conf");
	ck_assert_int_eq(j->stop_timeout_ms, 30000);
	ck_assert_int_eq(j->restart_delay_ms, 120000);
	ck_assert(j->disabled && j->wait && j->once);
	conf_free(c);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_error_messages)
{
	errors(JOB("  cmdd /bin/x\n"), "pmtr.conf:4: job \"t\": unknown keyword \"cmdd\"");
	errors("job {\n  cmdd /bin/x\n}\n", "pmtr.conf:1: job has no name",
	       "pmtr.conf:1: job has no cmd", "pmtr.conf:2: unknown keyword \"cmdd\"");
	errors("job {\n name web\n cmd sleep 20\n}\n",
	       "pmtr.conf:3: job \"web\": cmd must be an absolute path");
	errors("job {\n name web\n cmd /x\n}\n\njob {\n name web\n cmd /y\n}\n",
	       "pmtr.conf:7: duplicate job name \"web\" (first at line 2)");
	errors("job {\n name web\n}\n", "pmtr.conf:1: job \"web\" has no cmd");
	errors("\n\n\n\n\n\n\n\njob {\n cmd /x\n}\n", "pmtr.conf:9: job has no name");
	errors("job {\n name a\n cmd \"/bin/x\n}\n",
	       "pmtr.conf:3: job \"a\": unterminated quote");
	errors("job {\n name a\n cmd /x\n}\n}\n", "pmtr.conf:5: \"}\" without an open block");
	errors("}\n", "pmtr.conf:1: \"}\" without an open block");
	errors("job {\n name a\n cmd /x\n", "pmtr.conf:1: block opened here is never closed");
	errors(JOB("  name u\n"), "pmtr.conf:4: job \"t\": name given twice (first at line 2)");
	errors(JOB("  cmd /y\n"), "pmtr.conf:4: job \"t\": cmd given twice (first at line 3)");
	errors(JOB("  once\n  once\n"), "pmtr.conf:5: job \"t\": once given twice (first at line 4)");
	errors("name x\n", "pmtr.conf:1: name is only allowed inside a job");
	errors("bounce every 5\n", "pmtr.conf:1: bounce every is only allowed inside a job");
	errors("frobnicate\n", "pmtr.conf:1: unknown keyword \"frobnicate\"");
	errors("{\n", "pmtr.conf:1: unknown keyword \"{\"");
	errors("job {\n cmd /x\n name\n}\n", "pmtr.conf:3: missing argument for name");
	errors("job {\n name a\n cmd\n}\n", "pmtr.conf:3: job \"a\": missing argument for cmd");
	errors(JOB("  dir /a /b\n"), "pmtr.conf:4: job \"t\": extra argument \"/b\" for dir");
	errors("job { name x\n cmd /x\n}\n", "pmtr.conf:1: extra argument \"name\" after \"{\"");
	errors("job {\n name a\n cmd /x\n} x\n", "pmtr.conf:4: job \"a\": extra argument \"x\" after \"}\"");
}
END_TEST

START_TEST(test_error_braces)
{
	/* "job" with its "{" on the next line: one error, the job is still read */
	errors("job\n{\n name a\n cmd /x\n}\n", "pmtr.conf:1: expected \"{\" after job");
	/* a forgotten "}": reported at the job that lacks it; the next job is read */
	errors("job {\n name a\n cmd /x\n\njob {\n name b\n cmd /y\n}\n",
	       "pmtr.conf:1: block opened here is never closed");
	/* a ulimit or depends block left open */
	errors("job {\n name t\n cmd /x\n ulimit {\n  -n 5\n",
	       "pmtr.conf:1: block opened here is never closed",
	       "pmtr.conf:4: job \"t\": block opened here is never closed");
	errors(JOB("  ulimit {\n    -n 5\n"), "pmtr.conf:1: block opened here is never closed");
	errors(JOB("  depends {\n    /a\n  once\n"),
	       "pmtr.conf:4: job \"t\": block opened here is never closed");
	errors("job {\n name a\n depends {\n  /a\n cmd /x\n}\n",
	       "pmtr.conf:3: job \"a\": block opened here is never closed");
	/* a quoted brace is a word, not a brace */
	errors("job {\n name a\n cmd /x\n\"}\"\n",
	       "pmtr.conf:1: block opened here is never closed",
	       "pmtr.conf:4: job \"a\": unknown keyword \"}\"");
}
END_TEST

START_TEST(test_all_errors_reported)
{
	const char *text = "job {\n"			/* 1 */
			   "  name web\n"			/* 2 */
			   "  cmd sleep\n"			/* 3 */
			   "  nice 99\n"			/* 4 */
			   "}\n"				/* 5 */
			   "job {\n"				/* 6 */
			   "  name ok\n"			/* 7 */
			   "  cmd /bin/true\n"			/* 8 */
			   "}\n"				/* 9 */
			   "job {\n"				/* 10 */
			   "  name other\n"			/* 11 */
			   "  cpu x\n"				/* 12 */
			   "  cmd /x\n"				/* 13 */
			   "}\n"				/* 14 */
			   "report to nowhere\n";		/* 15 */

	errors(text, "pmtr.conf:3: job \"web\": cmd must be an absolute path",
	       "pmtr.conf:4: job \"web\": bad number \"99\" for nice (expected -20 to 20)",
	       "pmtr.conf:12: job \"other\": bad cpu list \"x\"",
	       "pmtr.conf:15: bad address \"nowhere\" for report to: it must start with udp://");
}
END_TEST

START_TEST(test_too_many_errors)
{
	char *text = malloc(60 * 6 + 1);
	const char *want[52];
	char msgs[51][64];

	for (int i = 0; i < 60; i++)
		memcpy(text + i * 6, "bogus\n", 6);
	text[360] = '\0';
	for (int i = 0; i < 50; i++) {
		snprintf(msgs[i], sizeof(msgs[i]), "pmtr.conf:%d: unknown keyword \"bogus\"", i + 1);
		want[i] = msgs[i];
	}
	want[50] = "pmtr.conf: too many errors";
	want[51] = NULL;
	errors_at(__LINE__, text, strlen(text), want);
	free(text);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "job {\n name a\n cmd /x\0y\n}\n";

	errors_at(__LINE__, text, sizeof(text) - 1,
		  (const char *[]){ "pmtr.conf:3: job \"a\": nul byte in line", NULL });
}
END_TEST

static char trace_buf[4096];

static void trace_cb(const char *fmt, ...)
{
	size_t o = strlen(trace_buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(trace_buf + o, sizeof(trace_buf) - o, fmt, ap);
	va_end(ap);
	o = strlen(trace_buf);
	snprintf(trace_buf + o, sizeof(trace_buf) - o, "\n");
}

START_TEST(test_trace_lines)
{
	const char *text = "report to udp://h:1\njob {\n  name web\n  cmd /bin/sleep \"2 0\"\n"
			   "  ulimit {\n  -n 5\n  }\n}\n";
	struct parse_errors e;
	struct conf *c;

	trace_buf[0] = '\0';
	c = parse_conf(text, strlen(text), "pmtr.conf", &e, trace_cb);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(trace_buf,
			 "pmtr.conf:1: report to udp://h:1\n"
			 "pmtr.conf:2: job {\n"
			 "pmtr.conf:3: job at line 2: name web\n"
			 "pmtr.conf:4: job web: cmd /bin/sleep \"2 0\"\n"
			 "pmtr.conf:5: job web: ulimit {\n"
			 "pmtr.conf:6: job web: ulimit block: -n 5\n"
			 "pmtr.conf:7: job web: ulimit block: }\n"
			 "pmtr.conf:8: job web: }\n");
	conf_free(c);
}
END_TEST

/* ---- files ---- */

START_TEST(test_file_errors)
{
	struct parse_errors e;
	char dir[] = "/tmp/check_parse.XXXXXX", path[64], want[128];
	struct conf *c;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	c = parse_conf_file(path, &e, NULL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ck_assert_str_eq(e.msgs[0], want);
	parse_errors_free(&e);

	c = parse_conf_file(dir, &e, NULL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	ck_assert_str_eq(e.msgs[0], want);
	parse_errors_free(&e);

	snprintf(path, sizeof(path), "%s/big.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 5 << 20), 0);
	close(fd);
	c = parse_conf_file(path, &e, NULL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	snprintf(want, sizeof(want), "%s: file too large", path);
	ck_assert_str_eq(e.msgs[0], want);
	parse_errors_free(&e);
	unlink(path);

	/* the same limit holds for a buffer */
	{
		size_t len = (4u << 20) + 1;
		char *buf = malloc(len);

		memset(buf, '\n', len);
		c = parse_conf(buf, len, "pmtr.conf", &e, NULL);
		ck_assert_ptr_null(c);
		ck_assert_uint_eq(e.n, 1);
		ck_assert_str_eq(e.msgs[0], "pmtr.conf: file too large");
		parse_errors_free(&e);
		free(buf);
	}

	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_eq(write(fd, "job {\n", 6), 6);
	close(fd);
	c = parse_conf_file(path, &e, NULL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 3);
	snprintf(want, sizeof(want), "%s:1: block opened here is never closed", path);
	ck_assert_str_eq(e.msgs[0], want);
	parse_errors_free(&e);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* ---- hostile input ---- */

static void check_rejected(const char *buf, size_t len)
{
	struct parse_errors e;
	struct conf *c = parse_conf(buf, len, "pmtr.conf", &e, NULL);

	ck_assert_ptr_null(c);
	ck_assert_uint_ge(e.n, 1);
	ck_assert_uint_le(e.n, 51);
	for (size_t i = 0; i < e.n; i++) {
		ck_assert_uint_lt(strlen(e.msgs[i]), 400);
		ck_assert(strncmp(e.msgs[i], "pmtr.conf:", 10) == 0);
		for (const char *s = e.msgs[i]; *s; s++)
			ck_assert_msg(*s >= 0x20 && *s < 0x7f, "unprintable byte in %s", e.msgs[i]);
	}
	parse_errors_free(&e);
}

START_TEST(test_binary_garbage)
{
	size_t len = 1 << 20;
	char *buf = malloc(len);
	uint32_t x = 12345;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (char)(x >> 16);
	}
	check_rejected(buf, len);
	/* the same bytes behind a valid start */
	memcpy(buf, "job {\n name a\n cmd /x\n", 22);
	check_rejected(buf, len);
	free(buf);
}
END_TEST

START_TEST(test_long_lines)
{
	size_t len = 1 << 20;
	char *buf = malloc(len + 64);
	struct parse_errors e;
	struct conf *c;
	char want[200];

	ck_assert_ptr_nonnull(buf);
	/* a 1 MB word: the message quotes only its start */
	memset(buf, 'a', len);
	snprintf(want, sizeof(want),
		 "pmtr.conf:1: unknown keyword \"%.48s...\"", buf);
	errors_at(__LINE__, buf, len, (const char *[]){ want, NULL });

	/* a 1 MB line of quotes never closed */
	memset(buf, '"', len);
	buf[len - 1] = 'x';
	errors_at(__LINE__, buf, len,
		  (const char *[]){ "pmtr.conf:1: unterminated quote", NULL });

	/* a valid job whose cmd line is 1 MB of arguments */
	memcpy(buf, "job {\nname a\ncmd /x", 19);
	for (size_t i = 19; i < len; i += 2)
		memcpy(buf + i, " y", 2);
	memcpy(buf + len, "\n}\n", 3);
	c = parse_conf(buf, len + 3, "pmtr.conf", &e, NULL);
	ck_assert_msg(c != NULL, "%s", joined(&e));
	ck_assert_str_eq(c->jobs[0]->argv[(len - 19) / 2], "y");
	ck_assert_ptr_null(c->jobs[0]->argv[(len - 19) / 2 + 1]);
	conf_free(c);
	free(buf);
}
END_TEST

START_TEST(test_deep_nesting)
{
	size_t n = 10000, len = n * 6;
	char *buf = malloc(len + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(buf + i * 6, "job {\n", 6);
	check_rejected(buf, len);
	/* all on one line */
	for (size_t i = 0; i < n; i++)
		memcpy(buf + i * 6, "job { ", 6);
	check_rejected(buf, len);
	/* and as many closing braces */
	memset(buf, '}', len);
	check_rejected(buf, len);
	for (size_t i = 0; i < len; i += 2)
		memcpy(buf + i, "}\n", 2);
	check_rejected(buf, len);
	/* ulimit and depends blocks opened over and over */
	for (size_t i = 0; i + 12 <= len; i += 12)
		memcpy(buf + i, "ulimit {   \n", 12);
	memcpy(buf, "job {\n", 6);
	check_rejected(buf, len);
	free(buf);
}
END_TEST

START_TEST(test_many_jobs)
{
	/* 20000 jobs parse in linear time; duplicates are found among them */
	size_t n = 20000;
	char *buf = malloc(n * 64);
	size_t o = 0;
	struct parse_errors e;
	struct conf *c;

	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(buf + o, "job {\nname j%zu\ncmd /x\norder %zu\n}\n", i,
				     (n - i) % 7);
	c = parse_conf(buf, o, "pmtr.conf", &e, NULL);
	ck_assert_msg(c != NULL, "%s", joined(&e));
	ck_assert_uint_eq(c->n_jobs, n);
	for (size_t i = 1; i < n; i++)
		ck_assert(c->jobs[i - 1]->order < c->jobs[i]->order ||
			  (c->jobs[i - 1]->order == c->jobs[i]->order &&
			   c->jobs[i - 1]->line < c->jobs[i]->line));
	conf_free(c);

	o = 0;
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(buf + o, "job {\nname same\ncmd /x\n}\n");
	check_rejected(buf, o);
	free(buf);
}
END_TEST

/* ---- value syntaxes ---- */

START_TEST(test_parse_duration)
{
	static const struct { const char *text; int64_t ms; } good[] = {
		{ "0", 0 }, { "5", 5000 }, { "5s", 5000 }, { "2m", 120000 }, { "3h", 10800000 },
		{ "1d", 86400000 }, { "250ms", 250 }, { "0ms", 0 }, { "007s", 7000 },
		{ "36500d", 36500LL * 86400000 },
	};
	static const char *bad[] = {
		"", "s", "ms", "-1", "+1", "1.5", "10x", "5 s", " 5", "5S", "1sm", "0x10",
		"36501d", "99999999999999999999", "18446744073709551616ms", "1e3", "5mss",
	};
	int64_t ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(parse_duration(good[i].text, &ms) == 0, "%s", good[i].text);
		ck_assert_int_eq(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse_duration(bad[i], &ms) == -1, "\"%s\" accepted", bad[i]);
	ck_assert_int_eq(parse_duration(NULL, &ms), -1);
}
END_TEST

START_TEST(test_parse_cpus)
{
	static const char *bad[] = {
		"", "0x", "0X", "3-1", "0,,1", ",1", "1,", "1-", "-1", "1-2-3", "a", "0xg",
		"1024", "0-1024", "99999999999999999999", "0x0", "0x00", "1 2", "0x1 ",
	};
	cpu_set_t set;
	char hex[300];

	ck_assert_int_eq(parse_cpus("0", &set), 0);
	ck_assert_int_eq(CPU_COUNT(&set), 1);
	ck_assert(CPU_ISSET(0, &set));
	ck_assert_int_eq(parse_cpus("1023", &set), 0);
	ck_assert(CPU_ISSET(1023, &set) && CPU_COUNT(&set) == 1);
	ck_assert_int_eq(parse_cpus("0-1023", &set), 0);
	ck_assert_int_eq(CPU_COUNT(&set), 1024);
	ck_assert_int_eq(parse_cpus("5,1-2,2-3", &set), 0);
	ck_assert_int_eq(CPU_COUNT(&set), 4);
	ck_assert_int_eq(parse_cpus("0xF0", &set), 0);
	ck_assert(CPU_COUNT(&set) == 4 && CPU_ISSET(4, &set) && CPU_ISSET(7, &set));
	ck_assert_int_eq(parse_cpus("0x0001", &set), 0);
	ck_assert(CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set));
	/* a mask as wide as CPU_SETSIZE, and one bit more */
	memset(hex, '0', sizeof(hex));
	hex[0] = '0';
	hex[1] = 'x';
	hex[2] = '8';
	hex[2 + CPU_SETSIZE / 4] = '\0';
	ck_assert_int_eq(parse_cpus(hex, &set), 0);
	ck_assert(CPU_COUNT(&set) == 1 && CPU_ISSET(CPU_SETSIZE - 1, &set));
	hex[2] = '1';
	hex[2 + CPU_SETSIZE / 4] = '0';
	hex[3 + CPU_SETSIZE / 4] = '\0';
	ck_assert_int_eq(parse_cpus(hex, &set), -1);
	/* leading zero digits beyond the set size are fine */
	hex[2] = '0';
	hex[2 + CPU_SETSIZE / 4] = '1';
	ck_assert_int_eq(parse_cpus(hex, &set), 0);
	ck_assert(CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse_cpus(bad[i], &set) == -1, "\"%s\" accepted", bad[i]);
	ck_assert_int_eq(parse_cpus(NULL, &set), -1);
}
END_TEST

START_TEST(test_parse_ulimit)
{
	const char *flags = "cdefilmnqrstuv";
	rlim_t v;

	for (const char *f = flags; *f; f++)
		ck_assert_int_ge(parse_ulimit_flag(*f), 0);
	for (int c = 0; c < 256; c++)
		if (!c || !strchr(flags, c))
			ck_assert_int_eq(parse_ulimit_flag((char)c), -1);
	ck_assert_int_eq(parse_ulimit_flag('n'), RLIMIT_NOFILE);

	ck_assert_int_eq(parse_ulimit_value("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse_ulimit_value("8388608", &v), 0);
	ck_assert_uint_eq(v, 8388608);
	ck_assert_int_eq(parse_ulimit_value("infinity", &v), 0);
	ck_assert(v == RLIM_INFINITY);
	ck_assert_int_eq(parse_ulimit_value("unlimited", &v), 0);
	ck_assert(v == RLIM_INFINITY);
	ck_assert_int_eq(parse_ulimit_value("18446744073709551615", &v), 0);
	ck_assert(v == (rlim_t)-1);
	ck_assert_int_eq(parse_ulimit_value("18446744073709551616", &v), -1);
	ck_assert_int_eq(parse_ulimit_value("99999999999999999999999", &v), -1);
	ck_assert_int_eq(parse_ulimit_value("", &v), -1);
	ck_assert_int_eq(parse_ulimit_value("-1", &v), -1);
	ck_assert_int_eq(parse_ulimit_value("+1", &v), -1);
	ck_assert_int_eq(parse_ulimit_value("10x", &v), -1);
	ck_assert_int_eq(parse_ulimit_value("0x10", &v), -1);
	ck_assert_int_eq(parse_ulimit_value("Infinity", &v), -1);
	ck_assert_int_eq(parse_ulimit_value(" 1", &v), -1);
	ck_assert_int_eq(parse_ulimit_value(NULL, &v), -1);
}
END_TEST

/* ---- conf_job_equal ---- */

static struct conf_job *job_from_text(const char *text)
{
	struct conf *c = ok(text);
	struct conf_job *j;

	j = only_job(c);
	c->n_jobs = 0;
	conf_free(c);
	return j;
}

static struct conf_job *job_from(const char *body)
{
	char text[1024];

	snprintf(text, sizeof(text), "job {\n%s\n}\n", body);
	return job_from_text(text);
}

#define BASE "name a\ncmd /bin/x 1 2\ndir /d\nin /i\nout /o\nerr /e\nenv A=1\nenv B=2\n" \
	"user u\nnice 3\ncpu 0-1\nulimit -n 5 -c 0\nbounce every 5m\ndepends { /f /g }\n" \
	"stop timeout 3s\nrestart delay 4s\n"

START_TEST(test_job_equal)
{
	static const char *variants[] = {
		"name b\ncmd /bin/x 1 2\n",
		"cmd /bin/x 1 3\n", "cmd /bin/x 1\n", "cmd /bin/x 1 2 3\n", "cmd /bin/y 1 2\n",
		"dir /e\n", "in /j\n", "out /p\n", "out syslog\n", "err /f\n", "err syslog\n",
		"env A=1\nenv B=3\n", "env A=1\n", "env B=2\nenv A=1\n",
		"user v\n", "nice 4\n", "cpu 0-2\n", "ulimit -n 6 -c 0\n", "ulimit -c 0 -n 5\n",
		"ulimit -n 5\n", "ulimit -n 5 -c 0 -s 1\n",
		"bounce every 6m\n", "depends { /f }\n", "depends { /g /f }\n",
		"stop timeout 2s\n", "restart delay 5s\n", "disable\n", "once\n", "wait\n",
		"stop signal INT\n", "essential\n", "umask 027\n", "group g\n",
		"env file /env\n",
	};
	/* the base with one setting removed, changed or added at a time */
	struct conf_job *base = job_from(BASE), *other;
	char body[1024];

	other = job_from(BASE);
	ck_assert(conf_job_equal(base, other));
	ck_assert(conf_job_equal(other, base));
	conf_job_free(other);

	/* line and order do not count */
	other = job_from_text("\n\n\njob {\n" BASE "order 9\n}\n");
	ck_assert_int_ne(other->line, base->line);
	ck_assert(conf_job_equal(base, other));
	conf_job_free(other);

	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		/* replace the keyword lines of the variant in the base */
		char kw[32], line[1024];
		const char *v = variants[i];
		size_t o = 0;

		body[0] = '\0';
		for (const char *p = BASE; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = (size_t)(nl - p);
			bool replaced = false;

			snprintf(line, sizeof(line), "%.*s", (int)n, p);
			sscanf(line, "%31s", kw);
			for (const char *q = v; *q;) {
				char vkw[32];

				sscanf(q, "%31s", vkw);
				if (strcmp(vkw, kw) == 0)
					replaced = true;
				q = strchr(q, '\n') + 1;
			}
			if (!replaced)
				o += (size_t)snprintf(body + o, sizeof(body) - o, "%s\n", line);
			p = nl + 1;
		}
		snprintf(body + o, sizeof(body) - o, "%s", v);
		if (!strstr(body, "name "))
			snprintf(body + strlen(body), sizeof(body) - strlen(body), "name a\n");
		other = job_from(body);
		ck_assert_msg(!conf_job_equal(base, other), "equal despite:\n%s", v);
		ck_assert_msg(!conf_job_equal(other, base), "equal despite:\n%s", v);
		conf_job_free(other);
	}

	/* has_nice without nice, cpus against none, NULL jobs */
	other = job_from("name a\ncmd /x\n");
	{
		struct conf_job *nice0 = job_from("name a\ncmd /x\nnice 0\n");
		struct conf_job *cpu = job_from("name a\ncmd /x\ncpu 0\n");

		ck_assert(!conf_job_equal(other, nice0));
		ck_assert(!conf_job_equal(other, cpu));
		ck_assert(!conf_job_equal(cpu, other));
		conf_job_free(nice0);
		conf_job_free(cpu);
	}
	ck_assert(!conf_job_equal(other, NULL));
	ck_assert(!conf_job_equal(NULL, other));
	ck_assert(conf_job_equal(NULL, NULL));
	ck_assert(conf_job_equal(other, other));
	conf_job_free(other);
	conf_job_free(base);
	conf_free(NULL);
	conf_job_free(NULL);
}
END_TEST

/* ---- operator keywords: stop signal, umask, group, env file ---- */

START_TEST(test_ready)
{
	struct conf *c = ok(JOB(""));
	struct conf_job *j = only_job(c);

	ck_assert_int_eq(CONF_MORE(j)->ready, CONF_READY_STARTED);
	ck_assert_int_eq(CONF_MORE(j)->ready_timeout_ms, 90000);
	ck_assert_ptr_null(CONF_MORE(j)->check_argv);
	conf_free(c);
	c = ok(JOB("  ready notify\n  ready timeout 5s\n"));
	ck_assert_int_eq(CONF_MORE(only_job(c))->ready, CONF_READY_NOTIFY);
	ck_assert_int_eq(CONF_MORE(only_job(c))->ready_timeout_ms, 5000);
	conf_free(c);
	c = ok(JOB("  ready tcp 8080\n"));
	ck_assert_int_eq(CONF_MORE(only_job(c))->ready, CONF_READY_TCP);
	ck_assert_str_eq(CONF_MORE(only_job(c))->ready_host, "127.0.0.1");
	ck_assert_int_eq(CONF_MORE(only_job(c))->ready_port, 8080);
	conf_free(c);
	c = ok(JOB("  ready tcp [::1]:443\n"));
	ck_assert_str_eq(CONF_MORE(only_job(c))->ready_host, "::1");
	ck_assert_int_eq(CONF_MORE(only_job(c))->ready_port, 443);
	conf_free(c);
	c = ok(JOB("  ready tcp localhost:5432\n"));
	ck_assert_str_eq(CONF_MORE(only_job(c))->ready_host, "127.0.0.1");
	conf_free(c);
	c = ok(JOB("  ready cmd /usr/bin/pg_isready -q\n"));
	ck_assert_int_eq(CONF_MORE(only_job(c))->ready, CONF_READY_CMD);
	ck_assert_str_eq(CONF_MORE(only_job(c))->ready_argv[0], "/usr/bin/pg_isready");
	ck_assert_str_eq(CONF_MORE(only_job(c))->ready_argv[1], "-q");
	ck_assert_ptr_null(CONF_MORE(only_job(c))->ready_argv[2]);
	conf_free(c);
	errors(JOB("  ready tcp 0\n"), "pmtr.conf:4: job \"t\": bad address \"0\" for ready tcp "
	       "(expected [HOST:]PORT, HOST a numeric IPv4 or [IPv6] address)");
	errors(JOB("  ready tcp db.example:80\n"), "pmtr.conf:4: job \"t\": bad address "
	       "\"db.example:80\" for ready tcp (expected [HOST:]PORT, HOST a numeric IPv4 or "
	       "[IPv6] address)");
	errors(JOB("  ready tcp 70000\n"), "pmtr.conf:4: job \"t\": bad address \"70000\" for "
	       "ready tcp (expected [HOST:]PORT, HOST a numeric IPv4 or [IPv6] address)");
	errors(JOB("  ready cmd true\n"),
	       "pmtr.conf:4: job \"t\": the command of ready cmd must be an absolute path");
	errors(JOB("  ready notify\n  ready tcp 80\n"),
	       "pmtr.conf:5: job \"t\": ready given twice (first at line 4)");
	errors(JOB("  ready cmd /bin/true\n  ready notify\n"),
	       "pmtr.conf:5: job \"t\": ready given twice (first at line 4)");
	errors(JOB("  ready notify now\n"),
	       "pmtr.conf:4: job \"t\": extra argument \"now\" for ready notify");
	errors(JOB("  ready timeout 0\n"),
	       "pmtr.conf:4: job \"t\": ready timeout must be more than 0");
	errors(JOB("  ready\n"), "pmtr.conf:4: job \"t\": expected \"notify\" or \"tcp\" or "
	       "\"cmd\" or \"timeout\" after ready");
}
END_TEST

START_TEST(test_check)
{
	struct conf *c = ok(JOB("  check cmd /bin/check --fast\n"));
	struct conf_job *j = only_job(c);

	ck_assert_str_eq(CONF_MORE(j)->check_argv[0], "/bin/check");
	ck_assert_str_eq(CONF_MORE(j)->check_argv[1], "--fast");
	ck_assert_int_eq(CONF_MORE(j)->check_every_ms, 30000);
	ck_assert_int_eq(CONF_MORE(j)->check_timeout_ms, 10000);
	ck_assert_uint_eq(CONF_MORE(j)->check_retries, 3);
	conf_free(c);
	c = ok(JOB("  check retries 5 timeout 2s every 1m cmd /bin/true\n"));
	j = only_job(c);
	ck_assert_int_eq(CONF_MORE(j)->check_every_ms, 60000);
	ck_assert_int_eq(CONF_MORE(j)->check_timeout_ms, 2000);
	ck_assert_uint_eq(CONF_MORE(j)->check_retries, 5);
	conf_free(c);
	errors(JOB("  check cmd\n"), "pmtr.conf:4: job \"t\": check needs a command");
	errors(JOB("  check every 5s\n"), "pmtr.conf:4: job \"t\": check needs \"cmd\" and a command");
	errors(JOB("  check every cmd /bin/true\n"),
	       "pmtr.conf:4: job \"t\": bad time \"cmd\" for check every");
	errors(JOB("  check retries 0 cmd /bin/true\n"),
	       "pmtr.conf:4: job \"t\": bad number \"0\" for check retries (expected 1 to 100)");
	errors(JOB("  check often 5 cmd /bin/true\n"), "pmtr.conf:4: job \"t\": unknown check "
	       "setting \"often\" (expected every, timeout, retries or cmd)");
	errors(JOB("  check cmd bin/true\n"),
	       "pmtr.conf:4: job \"t\": the command of check must be an absolute path");
	errors(JOB("  check cmd /bin/a\n  check cmd /bin/b\n"),
	       "pmtr.conf:5: job \"t\": check given twice (first at line 4)");
}
END_TEST

START_TEST(test_schedule)
{
	struct conf *c = ok(JOB("  schedule 30 3 * * mon-fri\n  schedule jitter 5m\n"
				"  schedule overlap replace\n  run timeout 1h\n"));
	const struct conf_job_more *m = CONF_MORE(only_job(c));
	char text[128];

	ck_assert(CONF_SCHEDULED(only_job(c)));
	ck_assert_ptr_nonnull(m->schedule);
	cron_text(m->schedule, text, sizeof(text));
	ck_assert_str_eq(text, "30 3 * * 1-5");
	ck_assert_int_eq(m->schedule_jitter_ms, 300000);
	ck_assert_int_eq(m->schedule_overlap, CONF_OVERLAP_REPLACE);
	ck_assert_int_eq(m->run_timeout_ms, 3600000);
	conf_free(c);
	c = ok(JOB("  schedule every 15m\n"));
	ck_assert_int_eq(CONF_MORE(only_job(c))->schedule_every_ms, 900000);
	ck_assert_int_eq(CONF_MORE(only_job(c))->schedule_overlap, CONF_OVERLAP_SKIP);
	conf_free(c);
	c = ok(JOB("  schedule @daily\n"));
	ck_assert(CONF_SCHEDULED(only_job(c)));
	conf_free(c);
	c = ok(JOB("  run timeout 10s\n"));
	ck_assert(!CONF_SCHEDULED(only_job(c)));
	conf_free(c);
	errors(JOB("  schedule 0 3 * *\n"), "pmtr.conf:4: job \"t\": schedule: expected 5 fields, got 4");
	errors(JOB("  schedule 0 3 * * * *\n"),
	       "pmtr.conf:4: job \"t\": schedule: expected 5 fields, got 6");
	errors(JOB("  schedule 61 3 * * *\n"),
	       "pmtr.conf:4: job \"t\": schedule: minute: 61 is out of range (0-59)");
	errors(JOB("  schedule 0 24 * * *\n"),
	       "pmtr.conf:4: job \"t\": schedule: hour: 24 is out of range (0-23)");
	errors(JOB("  schedule 0 3 * jnu *\n"),
	       "pmtr.conf:4: job \"t\": schedule: month: bad name \"jnu\"");
	errors(JOB("  schedule */0 * * * *\n"), "pmtr.conf:4: job \"t\": schedule: minute: step 0");
	errors(JOB("  schedule @often\n"),
	       "pmtr.conf:4: job \"t\": schedule: unknown schedule \"@often\"");
	errors(JOB("  schedule every 0\n"), "pmtr.conf:4: job \"t\": schedule every must be more than 0");
	errors(JOB("  run timeout 0\n"), "pmtr.conf:4: job \"t\": run timeout must be more than 0");
	errors(JOB("  schedule overlap sometimes\n  schedule every 1m\n"),
	       "pmtr.conf:4: job \"t\": bad value \"sometimes\" for schedule overlap "
	       "(expected skip or replace)");
	errors(JOB("  schedule every 1m\n  schedule 0 3 * * *\n"),
	       "pmtr.conf:4: job \"t\": schedule every and schedule CRON cannot both be given "
	       "(schedule at line 5)");
	errors(JOB("  schedule jitter 1m\n"),
	       "pmtr.conf:4: job \"t\": schedule jitter without a schedule");
	errors(JOB("  schedule @hourly\n  once\n"),
	       "pmtr.conf:5: job \"t\": a scheduled job (schedule at line 4) cannot be once: "
	       "it would run once, not at each due time");
	errors(JOB("  bounce every 1h\n  schedule @hourly\n"),
	       "pmtr.conf:4: job \"t\": a scheduled job (schedule at line 5) cannot be bounce "
	       "every: it is not restarted between its runs");
}
END_TEST

START_TEST(test_log_file)
{
	struct conf *c = ok(JOB("  log file /var/log/t.log\n  log rotate compress daily keep 9 size 10M\n"
				"  log timestamps\n"));
	const struct conf_job_more *m = CONF_MORE(only_job(c));

	ck_assert_str_eq(m->log_file, "/var/log/t.log");
	ck_assert_ptr_nonnull(m->log_rotate);
	ck_assert_uint_eq(m->log_rotate->size, 10u << 20);
	ck_assert_int_eq(m->log_rotate->period, CONF_ROTATE_DAILY);
	ck_assert_uint_eq(m->log_rotate->keep, 9);
	ck_assert(m->log_rotate->compress);
	ck_assert(m->log_timestamps);
	conf_free(c);
	c = ok(JOB("  log file /var/log/t.log\n  log rotate every 90m\n"));
	m = CONF_MORE(only_job(c));
	ck_assert_int_eq(m->log_rotate->period, CONF_ROTATE_EVERY);
	ck_assert_int_eq(m->log_rotate->every_ms, 90 * 60000);
	ck_assert_uint_eq(m->log_rotate->keep, CONF_DEFAULT_LOG_KEEP);
	ck_assert_uint_eq(m->log_rotate->size, 0);
	conf_free(c);
	errors(JOB("  log file var/log/t.log\n"),
	       "pmtr.conf:4: job \"t\": log file must be an absolute path");
	errors(JOB("  log file /l\n  log rotate keep 3\n"),
	       "pmtr.conf:5: job \"t\": log rotate needs size, every, hourly or daily: when to rotate");
	errors(JOB("  log file /l\n  log rotate size\n"),
	       "pmtr.conf:5: job \"t\": log rotate: size needs a value");
	errors(JOB("  log file /l\n  log rotate size 10Q\n"),
	       "pmtr.conf:5: job \"t\": log rotate: bad size \"10Q\" (expected a number with K, M, G or T)");
	errors(JOB("  log file /l\n  log rotate daily hourly\n"),
	       "pmtr.conf:5: job \"t\": log rotate: the period given twice");
	errors(JOB("  log file /l\n  log rotate size 1M keep 0\n"),
	       "pmtr.conf:5: job \"t\": log rotate: bad number \"0\" for keep (expected 1 to 1000)");
	errors(JOB("  log file /l\n  log rotate every 0\n"),
	       "pmtr.conf:5: job \"t\": log rotate: bad time \"0\" for every (1s or more)");
	errors(JOB("  log file /l\n  log rotate weekly\n"),
	       "pmtr.conf:5: job \"t\": unknown log rotate option \"weekly\" (expected size, every, "
	       "hourly, daily, keep or compress)");
	errors(JOB("  log rotate size 1M\n"), "pmtr.conf:4: job \"t\": log rotate without a log file");
	errors(JOB("  log file /var/log/\n"),
	       "pmtr.conf:4: job \"t\": log file /var/log/ names a directory, not a file");
	errors(JOB("  log timestamps\n"), "pmtr.conf:4: job \"t\": log timestamps without a log file");
	errors(JOB("  out /tmp/o\n  log file /l\n"),
	       "pmtr.conf:5: job \"t\": log file and out /tmp/o cannot both be given (out at line 4)");
}
END_TEST

START_TEST(test_resource_limits)
{
	static const struct { const char *text; uint64_t bytes; } sizes[] = {
		{ "1", 1 }, { "4096", 4096 }, { "32M", 32ull << 20 }, { "32m", 32ull << 20 },
		{ "1K", 1024 }, { "2G", 2ull << 30 }, { "3T", 3ull << 40 },
		{ "infinity", CONF_LIMIT_INFINITY },
	};
	static const char *const bad_sizes[] = { "0", "0M", "-1", "12Q", "M", "", "1.5G",
		"16777216T", "18446744073709551615", "1KB" };
	struct conf *c = ok(JOB(""));
	struct conf_job *j = only_job(c);
	uint32_t pct;
	unsigned mask;

	ck_assert(!conf_job_has_limits(j, &mask));
	conf_free(c);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t v = 0;

		ck_assert_msg(parse_size(sizes[i].text, &v) == 0 && v == sizes[i].bytes,
			      "%s: got %llu", sizes[i].text, (unsigned long long)v);
	}
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		uint64_t v;

		ck_assert_msg(parse_size(bad_sizes[i], &v) < 0, "%s accepted", bad_sizes[i]);
	}
	ck_assert(parse_percent("50%", &pct) == 0 && pct == 50);
	ck_assert(parse_percent("100000%", &pct) == 0 && pct == 100000);
	ck_assert(parse_percent("infinity", &pct) == 0 && pct == CONF_CPU_INFINITY);
	ck_assert(parse_percent("0%", &pct) < 0);
	ck_assert(parse_percent("100001%", &pct) < 0);
	ck_assert(parse_percent("50", &pct) < 0);
	ck_assert(parse_percent("%", &pct) < 0);
	ck_assert(parse_percent("5.5%", &pct) < 0);

	c = ok(JOB("  memory max 256M\n  memory high 200M\n  pids max 64\n  cpu max 150%\n"
		   "  cpu weight 200\n  cpu 0\n"));
	j = only_job(c);
	ck_assert_uint_eq(CONF_MORE(j)->memory_max, 256ull << 20);
	ck_assert_uint_eq(CONF_MORE(j)->memory_high, 200ull << 20);
	ck_assert_uint_eq(CONF_MORE(j)->pids_max, 64);
	ck_assert_uint_eq(CONF_MORE(j)->cpu_max_percent, 150);
	ck_assert_uint_eq(CONF_MORE(j)->cpu_weight, 200);
	ck_assert_ptr_nonnull(j->cpus);
	ck_assert(conf_job_has_limits(j, &mask));
	ck_assert_uint_eq(mask, 7);
	conf_free(c);
	c = ok(JOB("  pids max infinity\n  memory max infinity\n"));
	ck_assert_uint_eq(CONF_MORE(only_job(c))->pids_max, CONF_LIMIT_INFINITY);
	ck_assert_uint_eq(CONF_MORE(only_job(c))->memory_max, CONF_LIMIT_INFINITY);
	conf_free(c);
	errors(JOB("  memory max 12Q\n"), "pmtr.conf:4: job \"t\": bad size \"12Q\" for memory max "
	       "(expected a number with K, M, G or T, or infinity)");
	errors(JOB("  memory high 0\n"), "pmtr.conf:4: job \"t\": bad size \"0\" for memory high "
	       "(expected a number with K, M, G or T, or infinity)");
	errors(JOB("  cpu max 0%\n"), "pmtr.conf:4: job \"t\": bad percent \"0%\" for cpu max "
	       "(expected 1% to 100000%, or infinity)");
	errors(JOB("  cpu max 50\n"), "pmtr.conf:4: job \"t\": bad percent \"50\" for cpu max "
	       "(expected 1% to 100000%, or infinity)");
	errors(JOB("  cpu weight 0\n"),
	       "pmtr.conf:4: job \"t\": bad number \"0\" for cpu weight (expected 1 to 10000)");
	errors(JOB("  cpu weight 10001\n"),
	       "pmtr.conf:4: job \"t\": bad number \"10001\" for cpu weight (expected 1 to 10000)");
	errors(JOB("  pids max 0\n"),
	       "pmtr.conf:4: job \"t\": bad number \"0\" for pids max (expected 1 or more, or infinity)");
	errors(JOB("  memory max 1M\n  memory max 2M\n"),
	       "pmtr.conf:5: job \"t\": memory max given twice (first at line 4)");
}
END_TEST

START_TEST(test_limits_live)
{
	struct conf *a = ok(JOB("  memory max 100M\n  cpu max 50%\n"));
	struct conf *b = ok(JOB("  memory max 200M\n  cpu max 150%\n  pids max 10\n"));
	char what[256];

	ck_assert(conf_job_same_process(only_job(a), only_job(b)));
	ck_assert(conf_job_limits_differ(only_job(a), only_job(b)));
	ck_assert(conf_job_supervision_differs(only_job(a), only_job(b), what, sizeof(what)));
	ck_assert_str_eq(what, "memory max 200M, pids max 10, cpu max 150%");
	ck_assert(conf_job_supervision_differs(only_job(b), only_job(a), what, sizeof(what)));
	ck_assert_str_eq(what, "memory max 100M, pids max none, cpu max 50%");
	conf_job_take_supervision(only_job(a), only_job(b));
	ck_assert_uint_eq(CONF_MORE(only_job(a))->memory_max, 200ull << 20);
	/* taken over whole: the source is left with what the target had */
	ck_assert_uint_eq(CONF_MORE(only_job(a))->pids_max, 10);
	ck_assert_uint_eq(CONF_MORE(only_job(a))->cpu_max_percent, 150);
	ck_assert_uint_eq(CONF_MORE(only_job(b))->memory_max, 100ull << 20);
	conf_free(a);
	conf_free(b);
}
END_TEST

#define NAMED(name, body) "job {\n  name " name "\n  cmd /bin/true\n" body "}\n"

/* The jobs written back as blocks, one after the other, parse to equal jobs. */
static void round_trip(struct conf *c)
{
	size_t cap = 1, len = 0;
	char *all = calloc(1, 1);
	struct parse_errors e;
	struct conf *back;

	for (size_t i = 0; i < c->n_jobs; i++) {
		char *text = conf_job_text(c->jobs[i]);

		ck_assert_ptr_nonnull(text);
		cap += strlen(text);
		all = realloc(all, cap);
		ck_assert_ptr_nonnull(all);
		memcpy(all + len, text, strlen(text) + 1);
		len += strlen(text);
		free(text);
	}
	back = parse_conf(all, len, "state", &e, NULL);
	ck_assert_msg(back && back->n_jobs == c->n_jobs, "the jobs written as:\n%s\ndo not parse:%s",
		      all, joined(&e));
	for (size_t i = 0; i < c->n_jobs; i++) {
		struct conf_job *same = NULL;

		for (size_t j = 0; j < back->n_jobs; j++)
			if (strcmp(back->jobs[j]->name, c->jobs[i]->name) == 0)
				same = back->jobs[j];
		ck_assert_msg(same && conf_job_equal(c->jobs[i], same) &&
			      conf_job_same_process(c->jobs[i], same),
			      "job %s, written as part of:\n%s\nparses to another job", c->jobs[i]->name, all);
	}
	conf_free(back);
	parse_errors_free(&e);
	free(all);
}

START_TEST(test_job_text_round_trip)
{
	struct conf *c = ok_file("full.conf");

	round_trip(c);
	conf_free(c);
	c = ok(NAMED("db", "  ready cmd /usr/bin/pg_isready -h \"a b\"\n  ready timeout 2m\n"
		     "  memory max 1G\n  memory high 512M\n  pids max infinity\n  cpu max 250%\n"
		     "  cpu weight 50\n  check every 5s timeout 2s retries 7 cmd /bin/sh -c "
		     "\"test -f /run/x \\\"y\\\"\"\n  stop signal QUIT\n  umask 077\n  once\n")
	       NAMED("web", "  after db\n  ready tcp [::1]:8080\n  env A=\"b c\"\n  dir \"/srv/a b\"\n"
		     "  cpu 0-1,3\n  nice -5\n  bounce every 1h\n  disable\n  order -3\n")
	       NAMED("n", "  ready notify\n  wait\n  essential\n"));
	round_trip(c);
	conf_free(c);
}
END_TEST

/* ---- every row of the settings table ---- */

/* A value of each kind that no job has before its lines are read. A kind added
 * to conf.h without one here is a -Wswitch warning, an error in CI. */
static const char *example_of(enum setting_kind kind)
{
	switch (kind) {
	case SK_PATH:
	case SK_PATH_OR_SYSLOG: return "/srv/x";
	case SK_STRING: return "someone";
	case SK_UMASK: return "077";
	case SK_INT:
	case SK_U32: return "3";
	case SK_DURATION:
	case SK_POSITIVE_DURATION: return "7s";
	case SK_SIGNAL: return "QUIT";
	case SK_FLAG:
	case SK_READY_NOTIFY: return "";
	case SK_SIZE: return "64M";
	case SK_COUNT_LIMIT: return "10";
	case SK_PERCENT: return "50%";
	case SK_NAME: return "other";
	case SK_CMD: return "/bin/x \"a b\"";
	case SK_ENV: return "A=\"b c\"";
	case SK_CPUS: return "0,2-3";
	case SK_ULIMIT: return "-n 5 -c infinity";
	case SK_DEPENDS: return "{ /f \"/g h\" }";
	case SK_READY_TCP: return "[::1]:8080";
	case SK_READY_CMD: return "/bin/ready -q";
	case SK_AFTER: return "b";
	case SK_CHECK: return "every 5s retries 2 cmd /bin/probe x";
	case SK_CHOICE: return "replace";
	case SK_CRON: return "*/5 1-3 * jan mon-fri";
	case SK_LOG_ROTATE: return "size 10M daily keep 7 compress";
	case SK_COUNT: break;
	}
	return NULL;
}

#define JOB_B "job {\n  name b\n  cmd /bin/true\n}\n"

/* What a job needs before it can have the row's setting: a schedule for the
 * settings of one ("schedule jitter", "schedule overlap"), a log file for
 * "log rotate" and "log timestamps". */
static const char *needs(const struct setting *row)
{
	bool of_schedule = strcmp(row->word, "schedule") == 0 && row->second &&
			   strcmp(row->second, "every") != 0;
	bool of_log = strcmp(row->word, "log") == 0 && strcmp(row->second, "file") != 0;

	return of_schedule ? "  schedule every 1h\n" : of_log ? "  log file /var/log/t.log\n" : "";
}

/* Job "t" (or "other"), with one setting of the table given, next to a job "b". */
static struct conf *with_setting(const struct setting *row)
{
	const char *value = example_of(row->kind);
	char text[512];

	ck_assert_msg(value != NULL, "no example value for %s", row->display);
	snprintf(text, sizeof(text), "job {\n%s%s%s  %s%s%s%s%s\n}\n" JOB_B,
		 row->kind == SK_NAME ? "" : "  name t\n",
		 row->kind == SK_CMD ? "" : "  cmd /bin/true\n", needs(row), row->word,
		 row->second ? " " : "", row->second ? row->second : "", *value ? " " : "", value);
	return ok(text);
}

/* Job "t" with only what the row's setting needs, next to a job "b". */
static struct conf *plain_job(const struct setting *row)
{
	char text[256];

	snprintf(text, sizeof(text), "job {\n  name t\n  cmd /bin/true\n%s}\n" JOB_B, needs(row));
	return ok(text);
}

static struct conf_job *not_b(struct conf *c)
{
	ck_assert_uint_eq(c->n_jobs, 2);
	return strcmp(c->jobs[0]->name, "b") != 0 ? c->jobs[0] : c->jobs[1];
}

/* Each setting, set: differs from the plain job, is classified as its row says,
 * is taken over live when it is not a process setting, and written back as
 * text parses to the same job. */
START_TEST(test_every_setting)
{
	for (size_t i = 0; i < job_settings_count; i++) {
		const struct setting *row = &job_settings[i];
		bool process = row->class == SC_PROCESS, limit = row->class == SC_LIMIT;
		struct conf *plain = plain_job(row), *c = with_setting(row), *again = with_setting(row);
		struct conf_job *p = not_b(plain), *v = not_b(c);
		char what[256];
		unsigned mask;

		ck_assert_msg(conf_job_equal(p, v) == row->not_compared, "%s: equal", row->display);
		ck_assert_msg(conf_job_equal(v, p) == row->not_compared, "%s: equal", row->display);
		ck_assert_msg(conf_job_same_process(p, v) == !process, "%s: same process",
			      row->display);
		ck_assert_msg(conf_job_supervision_differs(p, v, what, sizeof(what)) ==
			      (!process && !row->not_described), "%s: applied \"%s\"", row->display,
			      what);
		ck_assert_msg(process || row->not_described || strncmp(what, row->display,
			      strlen(row->display)) == 0, "%s: applied \"%s\"", row->display, what);
		ck_assert_msg(conf_job_limits_differ(p, v) == limit, "%s: limits", row->display);
		ck_assert_msg(conf_job_has_limits(v, &mask) == limit && mask == row->controllers,
			      "%s: has limits %#x", row->display, mask);
		ck_assert_uint_eq(conf_job_differences(p, v, what, sizeof(what)), 1);
		ck_assert_str_eq(what, row->display);
		round_trip(c);
		if (!process) {
			/* take-over copies values of struct conf_job: none may be a pointer */
			ck_assert_msg(row->in_more || row->size <= sizeof(int64_t), "%s", row->display);
			conf_job_take_supervision(p, v);
			ck_assert_uint_eq(conf_job_differences(p, not_b(again), what, sizeof(what)), 0);
		}
		conf_free(plain);
		conf_free(c);
		conf_free(again);
	}
}
END_TEST

START_TEST(test_differences)
{
	struct conf_job *a = job_from("name t\ncmd /bin/true\nstop timeout 3\n");
	struct conf_job *b = job_from("name t\ncmd /bin/false\nenv A=1\nstop timeout 3\n");
	struct conf_job *c = job_from("name t\ncmd /bin/true\nenv A=1\nready notify\nonce\n");
	char what[64];

	ck_assert_uint_eq(conf_job_differences(a, b, what, sizeof(what)), 2);
	ck_assert_str_eq(what, "cmd, env");
	ck_assert_uint_eq(conf_job_differences(a, c, what, sizeof(what)), 4);
	ck_assert_str_eq(what, "env, ready notify, stop timeout, once");
	ck_assert_uint_eq(conf_job_differences(a, a, what, sizeof(what)), 0);
	ck_assert_str_eq(what, "");
	/* cut, never overrun; the count is still whole */
	ck_assert_uint_eq(conf_job_differences(a, c, what, 10), 4);
	ck_assert_uint_lt(strlen(what), 10);
	ck_assert_uint_eq(conf_job_differences(a, c, NULL, 0), 4);
	conf_job_free(a);
	conf_job_free(b);
	conf_job_free(c);
}
END_TEST


START_TEST(test_after_graph)
{
	struct conf *c = ok(NAMED("db", "") NAMED("web", "  after db\n  after cache\n")
			    NAMED("cache", ""));

	ck_assert_uint_eq(CONF_MORE(c->jobs[1])->n_after, 2);
	ck_assert_str_eq(CONF_MORE(c->jobs[1])->after[0], "db");
	ck_assert_str_eq(CONF_MORE(c->jobs[1])->after[1], "cache");
	ck_assert_int_eq(CONF_MORE(c->jobs[1])->after_line, 8);
	conf_free(c);
	/* a chain written backwards is fine: after is about readiness, not file order */
	conf_free(ok(NAMED("a", "  after b\n") NAMED("b", "  after c\n") NAMED("c", "")));
	errors(NAMED("web", "  after db\n"), "pmtr.conf:4: job \"web\": after \"db\": no such job");
	errors(NAMED("web", "  after web\n"),
	       "pmtr.conf:4: job \"web\": after \"web\": a job cannot wait for itself");
	errors(NAMED("a", "  after b\n") NAMED("b", "  after a\n"),
	       "pmtr.conf:9: job \"b\": after \"a\" makes a cycle: b -> a -> b");
	errors(NAMED("a", "  after c\n") NAMED("b", "  after a\n") NAMED("c", "  after b\n"),
	       "pmtr.conf:9: job \"b\": after \"a\" makes a cycle: b -> a -> c -> b");
	/* a cycle beside a good chain, the good part is not blamed */
	errors(NAMED("x", "") NAMED("a", "  after x b\n") NAMED("b", "  after a\n"),
	       "pmtr.conf:13: job \"b\": after \"a\" makes a cycle: b -> a -> b");
	errors(NAMED("web", "  after\n"), "pmtr.conf:4: job \"web\": missing argument for after");
	/* a wait job holds back the jobs after it in start order: it cannot wait for one */
	errors(NAMED("setup", "  wait\n  after db\n") NAMED("db", ""),
	       "pmtr.conf:5: job \"setup\": after \"db\": it starts after this wait job, which "
	       "holds it back: both would wait for ever");
	errors(NAMED("db", "  order 2\n") NAMED("setup", "  wait\n  after db\n  order 1\n"),
	       "pmtr.conf:10: job \"setup\": after \"db\": it starts after this wait job, which "
	       "holds it back: both would wait for ever");
	conf_free(ok(NAMED("db", "") NAMED("setup", "  wait\n  after db\n")));
	errors(NAMED("web", "  after db/x\n"),
	       "pmtr.conf:4: job \"web\": bad job name \"db/x\" after after");
}
END_TEST

/* The after graph is checked whatever else failed: pmtr -t says every error at once. */
START_TEST(test_after_beside_errors)
{
	/* a duplicate name and a cycle elsewhere */
	errors(NAMED("a", "  after b\n") NAMED("b", "  after a\n") NAMED("c", "") NAMED("c", ""),
	       "pmtr.conf:16: duplicate job name \"c\" (first at line 12)",
	       "pmtr.conf:9: job \"b\": after \"a\" makes a cycle: b -> a -> b");
	/* an unknown keyword and an unknown name, in one job or in two */
	errors(NAMED("web", "  bogus 1\n  after nosuch\n"),
	       "pmtr.conf:4: job \"web\": unknown keyword \"bogus\"",
	       "pmtr.conf:5: job \"web\": after \"nosuch\": no such job");
	errors(NAMED("db", "  bogus 1\n") NAMED("web", "  after nosuch\n  after web\n"),
	       "pmtr.conf:4: job \"db\": unknown keyword \"bogus\"",
	       "pmtr.conf:9: job \"web\": after \"nosuch\": no such job",
	       "pmtr.conf:9: job \"web\": after \"web\": a job cannot wait for itself");
	/* a job with errors is still a job: naming it is no error */
	errors(NAMED("db", "  bogus 1\n  nice 99\n") NAMED("web", "  after db\n"),
	       "pmtr.conf:4: job \"db\": unknown keyword \"bogus\"",
	       "pmtr.conf:5: job \"db\": bad number \"99\" for nice (expected -20 to 20)");
	/* a duplicate name in a cycle: the graph has the first job of the name */
	errors(NAMED("a", "  after b\n") NAMED("b", "  after a\n") NAMED("a", ""),
	       "pmtr.conf:12: duplicate job name \"a\" (first at line 2)",
	       "pmtr.conf:9: job \"b\": after \"a\" makes a cycle: b -> a -> b");
	/* and only that one: a later job of the name says nothing more */
	errors(NAMED("a", "") NAMED("b", "  after a\n") NAMED("a", "  after b nosuch\n"),
	       "pmtr.conf:11: duplicate job name \"a\" (first at line 2)");
	/* an unknown name beside a cycle */
	errors(NAMED("a", "  after b nosuch\n") NAMED("b", "  after a\n"),
	       "pmtr.conf:4: job \"a\": after \"nosuch\": no such job",
	       "pmtr.conf:9: job \"b\": after \"a\" makes a cycle: b -> a -> b");
	/* a name that could not be read may be the one named: no "no such job" then */
	errors("job {\n  name \"db\n  cmd /bin/true\n}\n" NAMED("web", "  after db\n"),
	       "pmtr.conf:2: unterminated quote");
	errors("job {\n  name db x\n  cmd /bin/true\n}\n" NAMED("web", "  after db\n"),
	       "pmtr.conf:2: extra argument \"x\" for name");
	/* but a name refused for its characters cannot be named in after */
	errors(NAMED("d/b", "") NAMED("web", "  after db\n"),
	       "pmtr.conf:2: bad job name \"d/b\": use letters, digits and .-_@:+ only",
	       "pmtr.conf:8: job \"web\": after \"db\": no such job");
	errors("job \"{\n  name db\n}\n" NAMED("web", "  after db\n"),
	       "pmtr.conf:1: unterminated quote", "pmtr.conf:2: name is only allowed inside a job",
	       "pmtr.conf:3: \"}\" without an open block");
	errors("include etc/*.conf\n" NAMED("web", "  after db\n"),
	       "pmtr.conf:1: include must be an absolute path");
	/* a job without a name is in no graph */
	errors("job {\n  cmd /bin/true\n  after web\n}\n" NAMED("web", ""),
	       "pmtr.conf:1: job has no name");
	/* a wait job after a later one, beside an error of that job */
	errors(NAMED("setup", "  wait\n  after db\n") NAMED("db", "  bogus\n"),
	       "pmtr.conf:10: job \"db\": unknown keyword \"bogus\"",
	       "pmtr.conf:5: job \"setup\": after \"db\": it starts after this wait job, which "
	       "holds it back: both would wait for ever");
	/* but not when an order could not be read: which starts first is not known */
	errors(NAMED("setup", "  wait\n  after db\n") NAMED("db", "  order -5x\n"),
	       "pmtr.conf:10: job \"db\": bad number \"-5x\" for order");
	errors(NAMED("setup", "  wait\n  after db\n") NAMED("db", "  order 1\n  order -5\n"),
	       "pmtr.conf:11: job \"db\": order given twice (first at line 10)");
	errors(NAMED("setup", "  wait\n  after db\n") NAMED("db", "  order \"-5\n"),
	       "pmtr.conf:10: job \"db\": unterminated quote");
}
END_TEST

/* At most PARSE_MAX_ERRORS errors, after ones included, then "too many errors" last. */
START_TEST(test_after_errors_capped)
{
	size_t n = 40, cap = n * 80 + 64, o = 0;
	char *text = malloc(cap);
	struct parse_errors e;

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, cap - o, "job {\nname j%zu\ncmd /bin/true\nbogus\n"
				      "after none%zu\n}\n", i, i);
	ck_assert_ptr_null(parse_conf(text, o, "pmtr.conf", &e, NULL));
	ck_assert_uint_eq(e.n, 51);
	ck_assert_str_eq(e.msgs[0], "pmtr.conf:4: job \"j0\": unknown keyword \"bogus\"");
	ck_assert_str_eq(e.msgs[39], "pmtr.conf:238: job \"j39\": unknown keyword \"bogus\"");
	ck_assert_str_eq(e.msgs[40], "pmtr.conf:5: job \"j0\": after \"none0\": no such job");
	ck_assert_str_eq(e.msgs[49], "pmtr.conf:59: job \"j9\": after \"none9\": no such job");
	ck_assert_str_eq(e.msgs[50], "pmtr.conf: too many errors");
	parse_errors_free(&e);
	free(text);
}
END_TEST

START_TEST(test_after_long_chain)
{
	/* 5000 jobs each after the next: no deep recursion, no cycle; then closed */
	size_t n = 5000, cap = n * 64 + 64, o = 0;
	char *text = malloc(cap);
	struct parse_errors e;
	struct conf *c;

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, cap - o, "job {\nname j%zu\ncmd /bin/true\n%s%zu\n}\n",
				      i, i + 1 < n ? "after j" : "order ", i + 1);
	c = parse_conf(text, o, "pmtr.conf", &e, NULL);
	ck_assert_msg(c != NULL, "a chain of %zu: %s", n, joined(&e));
	conf_free(c);
	parse_errors_free(&e);
	o = 0;
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, cap - o, "job {\nname j%zu\ncmd /bin/true\nafter j%zu\n}\n",
				      i, (i + 1) % n);
	c = parse_conf(text, o, "pmtr.conf", &e, NULL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_msg(strstr(e.msgs[0], "makes a cycle: j4999 -> j0 -> j1 -> ") != NULL, "%s",
		      e.msgs[0]);
	parse_errors_free(&e);
	/* and beside a duplicate name, which the graph leaves out */
	o += (size_t)snprintf(text + o, cap - o, "job {\nname j7\ncmd /bin/true\nafter j9\n}\n");
	c = parse_conf(text, o, "pmtr.conf", &e, NULL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 2);
	ck_assert_str_eq(e.msgs[0], "pmtr.conf:25002: duplicate job name \"j7\" (first at line 37)");
	ck_assert_msg(strstr(e.msgs[1], "makes a cycle: j4999 -> j0 -> j1 -> ") != NULL, "%s",
		      e.msgs[1]);
	parse_errors_free(&e);
	free(text);
}
END_TEST

START_TEST(test_stop_signal)
{
	static const struct { const char *text; int sig; } good[] = {
		{ "QUIT", SIGQUIT }, { "SIGINT", SIGINT }, { "usr1", SIGUSR1 }, { "sigwinch", SIGWINCH },
		{ "9", SIGKILL }, { "1", SIGHUP }, { "RTMIN", 0 }, { "RTMIN+2", 2 }, { "RTMAX-1", -1 },
	};
	struct conf *c = ok(JOB(""));

	ck_assert_int_eq(only_job(c)->stop_signal, SIGTERM);
	conf_free(c);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char text[256];
		int want = good[i].sig;

		if (strncmp(good[i].text, "RTMIN", 5) == 0)
			want += SIGRTMIN;
		else if (strncmp(good[i].text, "RTMAX", 5) == 0)
			want += SIGRTMAX;
		snprintf(text, sizeof(text), JOB("  stop signal %s\n"), good[i].text);
		c = ok(text);
		ck_assert_msg(only_job(c)->stop_signal == want, "%s: got %d, want %d",
			      good[i].text, only_job(c)->stop_signal, want);
		conf_free(c);
	}
	errors(JOB("  stop signal FOO\n"),
	       "pmtr.conf:4: job \"t\": unknown signal \"FOO\" for stop signal");
	errors(JOB("  stop signal 0\n"), "pmtr.conf:4: job \"t\": unknown signal \"0\" for stop signal");
	errors(JOB("  stop signal 65\n"),
	       "pmtr.conf:4: job \"t\": unknown signal \"65\" for stop signal");
	errors(JOB("  stop signal -9\n"),
	       "pmtr.conf:4: job \"t\": unknown signal \"-9\" for stop signal");
	errors(JOB("  stop signal SIG\n"),
	       "pmtr.conf:4: job \"t\": unknown signal \"SIG\" for stop signal");
	errors(JOB("  stop signal RTMIN+99\n"),
	       "pmtr.conf:4: job \"t\": unknown signal \"RTMIN+99\" for stop signal");
	errors(JOB("  stop signal\n"), "pmtr.conf:4: job \"t\": missing argument for stop signal");
	errors(JOB("  stop signal TERM KILL\n"),
	       "pmtr.conf:4: job \"t\": extra argument \"KILL\" for stop signal");
	errors(JOB("  stop signal INT\n  stop signal QUIT\n"),
	       "pmtr.conf:5: job \"t\": stop signal given twice (first at line 4)");
	errors("stop signal QUIT\n", "pmtr.conf:1: stop signal is only allowed inside a job");
	/* stop timeout and stop signal side by side */
	c = ok(JOB("  stop timeout 3\n  stop signal QUIT\n"));
	ck_assert_int_eq(only_job(c)->stop_signal, SIGQUIT);
	ck_assert_int_eq(only_job(c)->stop_timeout_ms, 3000);
	conf_free(c);
}
END_TEST

START_TEST(test_umask_group_env_file)
{
	struct conf *c = ok(JOB(""));
	struct conf_job *j = only_job(c);

	ck_assert_uint_eq(j->umask, 022);
	ck_assert_ptr_null(j->group);
	ck_assert_ptr_null(CONF_MORE(j)->env_file);
	conf_free(c);

	c = ok(JOB("  umask 0027\n  group www-data\n  env file /etc/web.env\n  env A=1\n"));
	j = only_job(c);
	ck_assert_uint_eq(j->umask, 027);
	ck_assert_str_eq(j->group, "www-data");
	ck_assert_str_eq(CONF_MORE(j)->env_file, "/etc/web.env");
	ck_assert_uint_eq(j->n_env, 1);
	ck_assert_str_eq(j->env[0], "A=1");
	conf_free(c);

	c = ok(JOB("  umask 0\n  group 4321\n  env file=x\n"));
	j = only_job(c);
	ck_assert_uint_eq(j->umask, 0);
	ck_assert_str_eq(j->group, "4321");
	ck_assert_ptr_null(CONF_MORE(j)->env_file);
	ck_assert_str_eq(j->env[0], "file=x");	/* a variable named file */
	conf_free(c);

	errors(JOB("  umask 0999\n"),
	       "pmtr.conf:4: job \"t\": bad umask \"0999\" (expected octal digits, at most 0777)");
	errors(JOB("  umask 1777\n"),
	       "pmtr.conf:4: job \"t\": bad umask \"1777\" (expected octal digits, at most 0777)");
	errors(JOB("  umask 00022\n"),
	       "pmtr.conf:4: job \"t\": bad umask \"00022\" (expected octal digits, at most 0777)");
	errors(JOB("  umask u=rwx\n"),
	       "pmtr.conf:4: job \"t\": bad umask \"u=rwx\" (expected octal digits, at most 0777)");
	errors(JOB("  group \"\"\n"), "pmtr.conf:4: job \"t\": group must not be empty");
	errors(JOB("  group a b\n"), "pmtr.conf:4: job \"t\": extra argument \"b\" for group");
	errors(JOB("  env file web.env\n"), "pmtr.conf:4: job \"t\": env file must be an absolute path");
	errors(JOB("  env file\n"), "pmtr.conf:4: job \"t\": missing argument for env file");
	errors(JOB("  env file /a\n  env file /b\n"),
	       "pmtr.conf:5: job \"t\": env file given twice (first at line 4)");
	errors("umask 022\n", "pmtr.conf:1: umask is only allowed inside a job");
	errors("env file /x\n", "pmtr.conf:1: env file is only allowed inside a job");
}
END_TEST

START_TEST(test_env_lines)
{
	static const struct { const char *line, *entry, *error; } cases[] = {
		{ "A=1", "A=1", NULL },
		{ "  B=two words  ", "B=two words", NULL },
		{ "C=\"quoted value\"", "C=quoted value", NULL },
		{ "D=\"a \\\"b\\\" \\\\c\"", "D=a \"b\" \\c", NULL },
		{ "E=", "E=", NULL },
		{ "F=x=y", "F=x=y", NULL },
		{ "_G1=ok\r", "_G1=ok", NULL },
		{ "", NULL, NULL },
		{ "   ", NULL, NULL },
		{ "# a comment", NULL, NULL },
		{ "  # indented", NULL, NULL },
		{ "novalue", NULL, "expected VAR=VALUE" },
		{ "=x", NULL, "expected VAR=VALUE" },
		{ "1A=x", NULL, "expected VAR=VALUE" },
		{ "A-B=x", NULL, "expected VAR=VALUE: bad character in the name" },
		{ "export A=x", NULL, "expected VAR=VALUE: bad character in the name" },
		{ "H=\"open", NULL, "unterminated quote" },
		{ "H=\"", NULL, "unterminated quote" },
		{ "I=\"a\"b\"", NULL, "unescaped quote inside the value" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[128], *entry = (char *)"unset";
		const char *why;

		snprintf(line, sizeof(line), "%s", cases[i].line);
		why = parse_env_line(line, &entry);
		if (cases[i].error) {
			ck_assert_msg(why && strcmp(why, cases[i].error) == 0,
				      "\"%s\": error \"%s\", want \"%s\"", cases[i].line,
				      why ? why : "(none)", cases[i].error);
			continue;
		}
		ck_assert_msg(!why, "\"%s\": unexpected error %s", cases[i].line, why);
		if (!cases[i].entry)
			ck_assert_msg(!entry, "\"%s\": expected no entry", cases[i].line);
		else
			ck_assert_msg(entry && strcmp(entry, cases[i].entry) == 0,
				      "\"%s\": entry \"%s\", want \"%s\"", cases[i].line,
				      entry ? entry : "(null)", cases[i].entry);
	}
}
END_TEST

START_TEST(test_supervision_settings)
{
	struct conf_job *a = job_from("name a\ncmd /x\n");
	struct conf_job *b = job_from("name a\ncmd /x\nstop signal QUIT\nstop timeout 5\n"
				      "restart delay 2\nbounce every 1m\norder 3\nonce\nwait\n"
				      "essential\n");
	struct conf_job *c = job_from("name a\ncmd /x\nbounce every 1m\n");
	struct conf_job *d = job_from("name a\ncmd /x\numask 077\n");
	char what[256];

	/* only pmtr's settings differ: the same process */
	ck_assert(conf_job_same_process(a, b));
	ck_assert(!conf_job_equal(a, b));
	ck_assert(conf_job_supervision_differs(a, b, what, sizeof(what)));
	ck_assert_str_eq(what, "stop timeout 5 sec, stop signal SIGQUIT, restart delay 2 sec, "
			 "bounce every 1 min, order 3, once, wait, essential");
	ck_assert(conf_job_supervision_differs(b, a, what, sizeof(what)));
	ck_assert_str_eq(what, "stop timeout 10 sec, stop signal SIGTERM, restart delay 10 sec, "
			 "bounce every off, order 0, no once, no wait, no essential");
	ck_assert(!conf_job_supervision_differs(a, a, what, sizeof(what)));
	ck_assert_str_eq(what, "");
	/* a short buffer is cut, never overrun, and still says something differs */
	ck_assert(conf_job_supervision_differs(a, b, what, 12));
	ck_assert_uint_lt(strlen(what), 12);
	/* a process setting is not a supervision setting */
	ck_assert(!conf_job_same_process(a, d));
	ck_assert(!conf_job_supervision_differs(a, d, what, sizeof(what)));

	/* take-over moves what src has in conf_job_more: compare with fresh copies */
	conf_job_take_supervision(a, b);
	conf_job_free(b);
	b = job_from("name a\ncmd /x\nstop signal QUIT\nstop timeout 5\n"
		     "restart delay 2\nbounce every 1m\norder 3\nonce\nwait\nessential\n");
	ck_assert(conf_job_equal(a, b));
	ck_assert(!conf_job_same_process(a, d));
	conf_job_take_supervision(a, c);
	conf_job_free(c);
	c = job_from("name a\ncmd /x\nbounce every 1m\n");
	ck_assert(conf_job_equal(a, c));
	conf_job_free(a);
	conf_job_free(b);
	conf_job_free(c);
	conf_job_free(d);
}
END_TEST

START_TEST(test_signal_names)
{
	ck_assert_int_eq(util_parse_signal("TERM"), SIGTERM);
	ck_assert_int_eq(util_parse_signal("SIGTERM"), SIGTERM);
	ck_assert_int_eq(util_parse_signal("sigterm"), SIGTERM);
	ck_assert_int_eq(util_parse_signal("Hup"), SIGHUP);
	ck_assert_int_eq(util_parse_signal("IOT"), SIGABRT);
	ck_assert_int_eq(util_parse_signal("CLD"), SIGCHLD);
	ck_assert_int_eq(util_parse_signal("15"), 15);
	ck_assert_int_eq(util_parse_signal("64"), 64);
	ck_assert_int_eq(util_parse_signal("RTMAX"), SIGRTMAX);
	ck_assert_int_eq(util_parse_signal("rtmin+1"), SIGRTMIN + 1);
	ck_assert_int_eq(util_parse_signal("0"), -1);
	ck_assert_int_eq(util_parse_signal("65"), -1);
	ck_assert_int_eq(util_parse_signal(""), -1);
	ck_assert_int_eq(util_parse_signal(NULL), -1);
	ck_assert_int_eq(util_parse_signal("+15"), -1);
	ck_assert_int_eq(util_parse_signal("TERM "), -1);
	ck_assert_int_eq(util_parse_signal("SIGSIGTERM"), -1);
	ck_assert_int_eq(util_parse_signal("RTMIN-1"), -1);
	ck_assert_int_eq(util_parse_signal("RTMAX+1"), -1);
	ck_assert_int_eq(util_parse_signal("RTMIN+"), -1);
}
END_TEST

/* ---- include ---- */

static char inc_dir[256];

/* Remove the test's directory, if it made one. */
static void inc_done(void)
{
	char cmd[PATH_MAX + 16];

	if (!inc_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", inc_dir);
	ck_assert_int_eq(system(cmd), 0);
	inc_dir[0] = '\0';
}

/* A fresh directory for one test's files, removed by the next call or inc_done. */
static const char *inc_setup(void)
{
	inc_done();
	snprintf(inc_dir, sizeof(inc_dir), "%s/pmtr-check-include.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(inc_dir));
	return inc_dir;
}

static void make_dir(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", inc_dir, name);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

__attribute__((format(printf, 3, 4)))
static void put(mode_t mode, const char *name, const char *fmt, ...)
{
	char path[PATH_MAX], *text;
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", inc_dir, name);
	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&text, fmt, ap), 0);
	va_end(ap);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	free(text);
}

static void remove_file(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", inc_dir, name);
	ck_assert_int_eq(unlink(path), 0);
}

static void chmod_file(const char *name, mode_t mode)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", inc_dir, name);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Whether the set in inc_dir reads as it did when last was filled. */
static bool unchanged_since(const struct parse_input *last)
{
	struct parse_opts opts = { .check_owner = true, .owner = geteuid() };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/main.conf", inc_dir);
	return parse_input_unchanged(path, &opts, last);
}

static struct conf *parse_main(struct parse_errors *e, struct parse_input *in, bool owner)
{
	struct parse_opts opts = { .check_owner = owner, .owner = geteuid() };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/main.conf", inc_dir);
	return parse_conf_set(path, &opts, e, in);
}

/* Every message, with the test directory written as "D". */
static char *messages(const struct parse_errors *e)
{
	static char buf[4096];
	size_t o = 0, dl = strlen(inc_dir);

	buf[0] = '\0';
	for (size_t i = 0; i < e->n_warnings + e->n; i++) {
		const char *m = i < e->n_warnings ? e->warnings[i] : e->msgs[i - e->n_warnings];

		for (const char *s = m; *s && o < sizeof(buf) - 2; s++) {
			if (strncmp(s, inc_dir, dl) == 0) {
				buf[o++] = 'D';
				s += dl - 1;
			} else {
				buf[o++] = *s;
			}
		}
		buf[o++] = '\n';
	}
	buf[o] = '\0';
	return buf;
}

START_TEST(test_include_order_and_files)
{
	struct parse_errors e;
	struct parse_input in;
	struct conf *c;

	inc_setup();
	make_dir("d");
	put(0644, "main.conf", "job {\n name m\n cmd /bin/true\n}\ninclude %s/d/*.conf\n"
	    "include %s/d/b.conf\ninclude %s/none/*.conf\n", inc_dir, inc_dir, inc_dir);
	put(0644, "d/b.conf", "job {\n name b\n cmd /bin/true\n}\n");
	put(0644, "d/a.conf", "# first\njob {\n name a1\n cmd /bin/true\n}\n"
	    "job {\n name a2\n cmd /bin/true\n order -1\n}\n");
	put(0644, "d/.hidden.conf", "garbage\n");
	put(0644, "d/c.conf~", "garbage\n");
	put(0644, "d/c.conf.swp", "garbage\n");
	make_dir("d/dir.conf");
	c = parse_main(&e, &in, true);
	ck_assert_msg(c != NULL, "errors:\n%s", messages(&e));
	ck_assert_uint_eq(e.n_warnings, 0);
	/* by order, then main file, then each file in lexical order */
	ck_assert_uint_eq(c->n_jobs, 4);
	ck_assert_str_eq(c->jobs[0]->name, "a2");
	ck_assert_str_eq(c->jobs[1]->name, "m");
	ck_assert_str_eq(c->jobs[2]->name, "a1");
	ck_assert_str_eq(c->jobs[3]->name, "b");
	ck_assert_ptr_null(c->jobs[1]->file);
	ck_assert(strstr(c->jobs[2]->file, "/d/a.conf") != NULL);
	ck_assert_int_eq(c->jobs[2]->line, 2);
	/* what was read: each file once, and every pattern */
	ck_assert_int_eq(in.error, 0);
	ck_assert_uint_eq(in.n_files, 2);
	ck_assert(strstr(in.files[0], "/d/a.conf") && strstr(in.files[1], "/d/b.conf"));
	ck_assert_uint_eq(in.n_patterns, 3);
	ck_assert(strstr(in.patterns[2], "/none/*.conf") != NULL);
	{
		uint64_t before = in.hash;
		struct parse_input again;
		struct conf *c2;

		/* the same files give the same hash; any change another */
		c2 = parse_main(&e, &again, true);
		ck_assert_uint_eq(again.hash, before);
		conf_free(c2);
		parse_input_free(&again);
		/* and reading them without parsing tells the same */
		ck_assert(unchanged_since(&in));
		put(0644, "d/c.conf", "job {\n name c\n cmd /bin/true\n}\n");
		ck_assert(!unchanged_since(&in));
		remove_file("d/c.conf");
		ck_assert(unchanged_since(&in));
		chmod_file("d/a.conf", 0640);
		ck_assert(!unchanged_since(&in));
		chmod_file("d/a.conf", 0644);
		ck_assert(unchanged_since(&in));
		put(0644, "d/b.conf", "job {\n name b\n cmd /bin/false\n}\n");
		ck_assert(!unchanged_since(&in));
		c2 = parse_main(&e, &again, true);
		ck_assert_uint_ne(again.hash, before);
		conf_free(c2);
		parse_input_free(&again);
	}
	parse_input_free(&in);
	parse_errors_free(&e);
	conf_free(c);
	inc_done();
}
END_TEST

START_TEST(test_include_errors)
{
	struct parse_errors e;
	struct parse_input in;
	struct conf *c;

	inc_setup();
	/* errors in the main file's include lines */
	put(0644, "main.conf", "include d/*.conf\ninclude /a*/b.conf\ninclude /etc/\n"
	    "include\ninclude /a /b\njob {\n name m\n cmd /bin/true\n include /x\n}\n");
	c = parse_main(&e, &in, false);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(messages(&e),
			 "D/main.conf:1: include must be an absolute path\n"
			 "D/main.conf:2: include: wildcards are allowed in the file name only\n"
			 "D/main.conf:3: include must name files, not a directory (for example /etc/*.conf)\n"
			 "D/main.conf:4: missing argument for include\n"
			 "D/main.conf:5: extra argument \"/b\" for include\n"
			 "D/main.conf:9: job \"m\": include is not allowed inside a job\n");
	parse_errors_free(&e);
	parse_input_free(&in);

	/* errors inside included files name them; every file is reported */
	put(0644, "main.conf", "job {\n name web\n cmd /bin/true\n}\ninclude %s/*.inc\n", inc_dir);
	put(0644, "a.inc", "job {\n name a\n cmd /bin/true\n bogus 1\n}\n");
	put(0644, "b.inc", "report to udp://h:1\nlisten on udp://h:2\ninclude /x/*.conf\n"
	    "job {\n name web\n cmd /bin/true\n}\njob {\n name a\n cmd /bin/true\n}\n"
	    "job {\n name c\n");
	c = parse_main(&e, &in, false);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(messages(&e),
			 "D/a.inc:4: job \"a\": unknown keyword \"bogus\"\n"
			 "D/b.inc:1: report to is only allowed in the main configuration file "
			 "D/main.conf: an included file holds job blocks only\n"
			 "D/b.inc:2: listen on is only allowed in the main configuration file "
			 "D/main.conf: an included file holds job blocks only\n"
			 "D/b.inc:3: include is only allowed in the main configuration file "
			 "D/main.conf: an included file holds job blocks only\n"
			 "D/b.inc:5: duplicate job name \"web\" (first at D/main.conf:2)\n"
			 "D/b.inc:9: duplicate job name \"a\" (first at D/a.inc:2)\n"
			 "D/b.inc:12: block opened here is never closed\n"
			 "D/b.inc:12: job \"c\" has no cmd\n");
	/* the files were read even though the set is rejected: pmtr watches them */
	ck_assert_uint_eq(in.n_files, 2);
	ck_assert_uint_eq(in.n_patterns, 1);
	parse_errors_free(&e);
	parse_input_free(&in);

	/* the after graph spans the files and is checked beside their errors */
	put(0644, "main.conf", "job {\n name a\n cmd /bin/true\n after b\n}\ninclude %s/*.inc\n",
	    inc_dir);
	put(0644, "a.inc", "job {\n name a\n cmd /bin/true\n}\n");
	put(0644, "b.inc", "job {\n name b\n cmd /bin/true\n bogus 1\n after a nosuch\n}\n");
	c = parse_main(&e, &in, false);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(messages(&e),
			 "D/a.inc:2: duplicate job name \"a\" (first at D/main.conf:2)\n"
			 "D/b.inc:4: job \"b\": unknown keyword \"bogus\"\n"
			 "D/b.inc:5: job \"b\": after \"nosuch\": no such job\n"
			 "D/b.inc:5: job \"b\": after \"a\" makes a cycle: b -> a -> b\n");
	parse_errors_free(&e);
	parse_input_free(&in);
	/* a file that was not read may hold the job named: no "no such job" then */
	put(0644, "main.conf", "job {\n name web\n cmd /bin/true\n after db\n}\ninclude %s/*.inc\n",
	    inc_dir);
	put(0666, "a.inc", "job {\n name db\n cmd /bin/true\n}\n");
	remove_file("b.inc");
	c = parse_main(&e, &in, true);
	ck_assert_ptr_null(c);
	{
		char want[128];

		snprintf(want, sizeof(want), "D/a.inc: refused: it is writable by others (pmtr "
			 "runs the jobs it holds as %s)\n", geteuid() == 0 ? "root" : "this user");
		ck_assert_str_eq(messages(&e), want);
	}
	parse_errors_free(&e);
	parse_input_free(&in);

	/* an unreadable main file */
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/none.conf", inc_dir);
		c = parse_conf_set(path, NULL, &e, &in);
		ck_assert_ptr_null(c);
		ck_assert_int_eq(in.error, ENOENT);
		ck_assert_str_eq(messages(&e), "D/none.conf: No such file or directory\n");
		parse_errors_free(&e);
		parse_input_free(&in);
	}
	inc_done();
}
END_TEST

START_TEST(test_include_owner)
{
	struct parse_errors e;
	struct parse_input in;
	const char *who = geteuid() == 0 ? "root" : "this user";
	struct conf *c;
	char sub[PATH_MAX], want[1024];

	inc_setup();
	put(0644, "main.conf", "include %s/*.inc\n", inc_dir);
	put(0644, "a.inc", "job {\n name a\n cmd /bin/true\n}\n");
	put(0664, "b.inc", "job {\n name b\n cmd /bin/true\n}\n");
	put(0646, "c.inc", "job {\n name c\n cmd /bin/true\n}\n");
	/* without the check (pmtr not root) any file will do */
	c = parse_main(&e, &in, false);
	ck_assert_msg(c != NULL, "%s", messages(&e));
	ck_assert_uint_eq(c->n_jobs, 3);
	conf_free(c);
	parse_errors_free(&e);
	parse_input_free(&in);
	/* with it, files others may write are refused */
	c = parse_main(&e, &in, true);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want),
		 "D/b.inc: refused: it is writable by its group (pmtr runs the jobs it holds as %s)\n"
		 "D/c.inc: refused: it is writable by others (pmtr runs the jobs it holds as %s)\n",
		 who, who);
	ck_assert_str_eq(messages(&e), want);
	parse_errors_free(&e);
	parse_input_free(&in);
	/* so are files in a directory others may write; the main file is warned about */
	put(0644, "b.inc", "job {\n name b\n cmd /bin/true\n}\n");
	put(0644, "c.inc", "job {\n name c\n cmd /bin/true\n}\n");
	put(0666, "main.conf", "include %s/sub/*.inc\n", inc_dir);
	make_dir("sub");
	snprintf(sub, sizeof(sub), "%s/sub", inc_dir);
	ck_assert_int_eq(chmod(sub, 0777), 0);
	put(0644, "sub/d.inc", "job {\n name d\n cmd /bin/true\n}\n");
	c = parse_main(&e, &in, true);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want),
		 "D/main.conf: warning: it is writable by others (pmtr runs the jobs it holds as %s)\n"
		 "D/sub/d.inc: refused: its directory D/sub is writable by others (pmtr runs the "
		 "jobs it holds as %s)\n", who, who);
	ck_assert_str_eq(messages(&e), want);
	parse_errors_free(&e);
	parse_input_free(&in);
	/* fixed: accepted, with the warning about the main file only */
	ck_assert_int_eq(chmod(sub, 0755), 0);
	c = parse_main(&e, &in, true);
	ck_assert_msg(c != NULL, "%s", messages(&e));
	ck_assert_uint_eq(e.n_warnings, 1);
	conf_free(c);
	parse_errors_free(&e);
	parse_input_free(&in);
	/* a file of another owner */
	if (geteuid() == 0) {
		char path[PATH_MAX];

		put(0644, "main.conf", "include %s/sub/*.inc\n", inc_dir);
		snprintf(path, sizeof(path), "%s/sub/d.inc", inc_dir);
		ck_assert_int_eq(chown(path, 1234, 0), 0);
		c = parse_main(&e, &in, true);
		ck_assert_ptr_null(c);
		ck_assert_str_eq(messages(&e), "D/sub/d.inc: refused: it is owned by uid 1234, "
				 "not root (pmtr runs the jobs it holds as root)\n");
		parse_errors_free(&e);
		parse_input_free(&in);
	}
	inc_done();
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc;

	tc = tcase_create("keywords");
	tcase_add_test(tc, test_minimal_job_and_defaults);
	tcase_add_test(tc, test_empty_files);
	tcase_add_test(tc, test_name_characters);
	tcase_add_test(tc, test_cmd_quoting);
	tcase_add_test(tc, test_dir_in_out_err);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_user);
	tcase_add_test(tc, test_nice);
	tcase_add_test(tc, test_cpu);
	tcase_add_test(tc, test_ulimit_all_flags);
	tcase_add_test(tc, test_ulimit_forms);
	tcase_add_test(tc, test_ulimit_errors);
	tcase_add_test(tc, test_times);
	tcase_add_test(tc, test_depends);
	tcase_add_test(tc, test_flags_and_order);
	tcase_add_test(tc, test_job_order_is_stable);
	tcase_add_test(tc, test_report_listen);
	tcase_add_test(tc, test_control_socket);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_stop_signal);
	tcase_add_test(tc, test_ready);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_schedule);
	tcase_add_test(tc, test_log_file);
	tcase_add_test(tc, test_after_graph);
	tcase_add_test(tc, test_after_long_chain);
	tcase_add_test(tc, test_after_beside_errors);
	tcase_add_test(tc, test_after_errors_capped);
	tcase_add_test(tc, test_resource_limits);
	tcase_add_test(tc, test_limits_live);
	tcase_add_test(tc, test_job_text_round_trip);
	tcase_add_test(tc, test_every_setting);
	tcase_add_test(tc, test_differences);
	tcase_add_test(tc, test_umask_group_env_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_seed_example);
	tcase_add_test(tc, test_seed_snippets);
	tcase_add_test(tc, test_full_file);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_include_order_and_files);
	tcase_add_test(tc, test_include_errors);
	tcase_add_test(tc, test_include_owner);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_error_messages);
	tcase_add_test(tc, test_error_braces);
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_too_many_errors);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_trace_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_binary_garbage);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_many_jobs);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_parse_duration);
	tcase_add_test(tc, test_parse_cpus);
	tcase_add_test(tc, test_parse_ulimit);
	tcase_add_test(tc, test_job_equal);
	tcase_add_test(tc, test_supervision_settings);
	tcase_add_test(tc, test_env_lines);
	tcase_add_test(tc, test_signal_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(parse_suite());
}
