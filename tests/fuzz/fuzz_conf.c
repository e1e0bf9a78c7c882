/* fuzz_conf.c: libFuzzer harness for the pmtr.conf parser (parse_conf) and the invariants of what it returns. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ctlproto.h"
#include "parse.h"
#include "fuzz.h"

#define FUZZ_FILE "fuzz.conf"
/* Above this many jobs, skip the quadratic checks: they are not what is fuzzed. */
#define QUADRATIC_MAX 256

/* pmtr -vv's trace callback, minus the output: the formatting is what is exercised. */
static void trace_cb(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void trace_cb(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

/* conf_job_command writes the command "as the configuration writes it": parsed
 * again as the cmd of a job, it gives back the same argv. */
static void check_command_round_trip(const struct conf_job *job, const char *command)
{
	struct parse_errors errs;
	struct conf *again;
	char *text;
	size_t n;

	if (asprintf(&text, "job {\n\tname %s\n\tcmd %s\n}\n", job->name, command) < 0)
		abort();
	again = parse_conf(text, strlen(text), "round-trip.conf", &errs, NULL);
	if (!again) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "round trip: %s\n", errs.msgs[i]);
		fprintf(stderr, "round trip of the command \"%s\" failed\n", command);
	}
	CHECK(again != NULL);
	CHECK(again->n_jobs == 1);
	n = strv_len(job->argv);
	CHECK(strv_len(again->jobs[0]->argv) == n);
	for (size_t i = 0; i < n; i++)
		CHECK(strcmp(job->argv[i], again->jobs[0]->argv[i]) == 0);
	conf_free(again);
	free(text);
}

static void check_job(const struct conf_job *job)
{
	char *command;

	CHECK(job != NULL);
	CHECK(job->name != NULL);
	/* pmtrctl and the UDP control must be able to name every job. */
	CHECK(ctl_valid_job_name(job->name));
	CHECK(job->argv != NULL);
	CHECK(job->argv[0] != NULL);
	CHECK(job->argv[0][0] == '/');
	for (size_t i = 0; i < job->n_env; i++)
		CHECK(job->env[i] != NULL && strchr(job->env[i], '=') != NULL);
	for (size_t i = 0; i < job->n_depends; i++)
		CHECK(job->depends[i] != NULL && job->depends[i][0] == '/');
	CHECK(job->n_ulimits <= CONF_MAX_ULIMITS);
	CHECK(job->stop_timeout_ms >= 0 && job->restart_delay_ms >= 0 && CONF_MORE(job)->bounce_ms >= 0);
	CHECK(conf_job_equal(job, job));
	command = conf_job_command(job);
	CHECK(command != NULL);
	CHECK(strchr(command, '\n') == NULL);
	check_command_round_trip(job, command);
	free(command);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_errors errs, errs2;
	struct conf *conf, *conf2;
	struct parse_udp spec;

	conf = parse_conf((const char *)data, size, FUZZ_FILE, &errs, trace_cb);
	if (!conf) {
		CHECK(errs.n > 0);
		for (size_t i = 0; i < errs.n; i++) {
			CHECK(errs.msgs[i] != NULL);
			CHECK(strncmp(errs.msgs[i], FUZZ_FILE ":", sizeof(FUZZ_FILE)) == 0);
			CHECK(strchr(errs.msgs[i], '\n') == NULL);
		}
		parse_errors_free(&errs);
		return 0;
	}
	CHECK(errs.n == 0);
	CHECK(conf->n_jobs == 0 || conf->jobs != NULL);
	for (size_t i = 0; i < conf->n_jobs; i++) {
		check_job(conf->jobs[i]);
		if (i > 0)
			CHECK(conf->jobs[i - 1]->order <= conf->jobs[i]->order);
	}
	if (conf->n_jobs <= QUADRATIC_MAX)
		for (size_t i = 0; i < conf->n_jobs; i++)
			for (size_t j = i + 1; j < conf->n_jobs; j++)
				CHECK(strcmp(conf->jobs[i]->name, conf->jobs[j]->name) != 0);
	if (conf->report_to)
		CHECK(parse_udp_spec(conf->report_to, true, &spec) == NULL);
	if (conf->listen_on)
		CHECK(parse_udp_spec(conf->listen_on, false, &spec) == NULL);

	/* The parser is deterministic: the same bytes give equal jobs (reload relies on
	 * conf_job_equal to leave unchanged jobs alone). */
	conf2 = parse_conf((const char *)data, size, FUZZ_FILE, &errs2, NULL);
	CHECK(conf2 != NULL);
	CHECK(conf2->n_jobs == conf->n_jobs);
	for (size_t i = 0; i < conf->n_jobs; i++) {
		CHECK(strcmp(conf->jobs[i]->name, conf2->jobs[i]->name) == 0);
		CHECK(conf_job_equal(conf->jobs[i], conf2->jobs[i]));
	}
	conf_free(conf2);
	conf_free(conf);
	return 0;
}
