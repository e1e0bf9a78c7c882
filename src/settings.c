/* settings.c: the table of job settings and their defaults. SPDX-License-Identifier: MIT */
#include "config.h"

#include <limits.h>
#include <signal.h>

#include "settings.h"
#include "util.h"

const struct conf_job conf_job_defaults = {
	.stop_timeout_ms = CONF_DEFAULT_STOP_TIMEOUT_MS,
	.restart_delay_ms = CONF_DEFAULT_RESTART_DELAY_MS,
	.stop_signal = SIGTERM,
	.umask = CONF_DEFAULT_UMASK,
};

const struct conf_job_more conf_job_more_defaults = {
	.ready = CONF_READY_STARTED,
	.ready_timeout_ms = CONF_DEFAULT_READY_TIMEOUT_MS,
	.check_every_ms = CONF_DEFAULT_CHECK_EVERY_MS,
	.check_timeout_ms = CONF_DEFAULT_CHECK_TIMEOUT_MS,
	.check_retries = CONF_DEFAULT_CHECK_RETRIES,
};

#define SIZE_OF(type, f) sizeof(((struct type *)0)->f)
#define JOB(f) .offset = offsetof(struct conf_job, f), .size = SIZE_OF(conf_job, f)
#define MORE(f) .in_more = true, .offset = offsetof(struct conf_job_more, f), \
	.size = SIZE_OF(conf_job_more, f)
#define JOB_LIST(f, n) JOB(f), .count_at = offsetof(struct conf_job, n), .repeatable = true
#define ARGS(lo, hi) .min_args = (lo), .max_args = (hi)
#define ONE ARGS(1, 1)
#define NONE ARGS(0, 0)
#define ANY SETTING_ANY_ARGS
#define LIVE .class = SC_SUPERVISION
#define LIMIT(c) .class = SC_LIMIT, .controllers = (c)
#define BOUNDS(lo, hi) .min = (lo), .max = (hi)

const struct setting job_settings[] = {
	/* the process: a change starts a new one */
	{ "name", NULL, "name", SK_NAME, JOB(name), ONE },
	{ "cmd", NULL, "cmd", SK_CMD, JOB(argv), ARGS(1, ANY) },
	{ "dir", NULL, "dir", SK_PATH, JOB(dir), ONE },
	{ "in", NULL, "in", SK_PATH, JOB(in), ONE },
	{ "out", NULL, "out", SK_PATH_OR_SYSLOG, JOB(out), ONE },
	{ "err", NULL, "err", SK_PATH_OR_SYSLOG, JOB(err), ONE },
	{ "env", NULL, "env", SK_ENV, JOB_LIST(env, n_env), ONE },
	{ "env", "file", "env file", SK_PATH, JOB(env_file), ONE },
	{ "user", NULL, "user", SK_STRING, JOB(user), ONE },
	{ "group", NULL, "group", SK_STRING, JOB(group), ONE },
	{ "umask", NULL, "umask", SK_UMASK, JOB(umask), ONE },
	{ "nice", NULL, "nice", SK_INT, JOB(nice), ONE, BOUNDS(-20, 20), .optional = true,
	  .set_at = offsetof(struct conf_job, has_nice) },
	{ "cpu", NULL, "cpu", SK_CPUS, JOB(cpus), ONE },
	{ "ulimit", NULL, "ulimit", SK_ULIMIT, JOB_LIST(ulimits, n_ulimits), ARGS(1, ANY) },
	{ "depends", NULL, "depends", SK_DEPENDS, JOB_LIST(depends, n_depends), ARGS(0, ANY) },
	/* how readiness is seen is part of the run: NOTIFY_SOCKET, a probe */
	{ "ready", "notify", "ready notify", SK_READY_NOTIFY, MORE(ready), NONE },
	{ "ready", "tcp", "ready tcp", SK_READY_TCP, MORE(ready_host), ONE },
	{ "ready", "cmd", "ready cmd", SK_READY_CMD, MORE(ready_argv), ARGS(1, ANY) },
	/* only pmtr uses them: taken over live */
	{ "stop", "timeout", "stop timeout", SK_DURATION, JOB(stop_timeout_ms), ONE, LIVE },
	{ "stop", "signal", "stop signal", SK_SIGNAL, JOB(stop_signal), ONE, LIVE },
	{ "restart", "delay", "restart delay", SK_DURATION, JOB(restart_delay_ms), ONE, LIVE },
	{ "bounce", "every", "bounce every", SK_POSITIVE_DURATION, JOB(bounce_ms), ONE, LIVE },
	{ "order", NULL, "order", SK_INT, JOB(order), ONE, LIVE, BOUNDS(INT_MIN, INT_MAX),
	  .not_compared = true },
	{ "once", NULL, "once", SK_FLAG, JOB(once), NONE, LIVE },
	{ "wait", NULL, "wait", SK_FLAG, JOB(wait), NONE, LIVE },
	{ "essential", NULL, "essential", SK_FLAG, JOB(essential), NONE, LIVE },
	{ "disable", NULL, "disable", SK_FLAG, JOB(disabled), NONE, LIVE, .not_described = true },
	{ "ready", "timeout", "ready timeout", SK_POSITIVE_DURATION, MORE(ready_timeout_ms), ONE,
	  LIVE },
	{ "after", NULL, "after", SK_AFTER, MORE(after), .count_at = offsetof(struct conf_job_more,
	  n_after), .repeatable = true, ARGS(1, ANY), LIVE },
	{ "check", NULL, "check", SK_CHECK, MORE(check_argv), ARGS(1, ANY), LIVE },
	/* cgroup limits: taken over live and written to the cgroup */
	{ "memory", "max", "memory max", SK_SIZE, MORE(memory_max), ONE, LIMIT(SETTING_MEMORY) },
	{ "memory", "high", "memory high", SK_SIZE, MORE(memory_high), ONE, LIMIT(SETTING_MEMORY) },
	{ "pids", "max", "pids max", SK_COUNT_LIMIT, MORE(pids_max), ONE, LIMIT(SETTING_PIDS),
	  BOUNDS(1, 4194304) },
	{ "cpu", "max", "cpu max", SK_PERCENT, MORE(cpu_max_percent), ONE, LIMIT(SETTING_CPU) },
	{ "cpu", "weight", "cpu weight", SK_U32, MORE(cpu_weight), ONE, LIMIT(SETTING_CPU),
	  BOUNDS(1, 10000) },
};

const size_t job_settings_count = ARRAY_SIZE(job_settings);
_Static_assert(ARRAY_SIZE(job_settings) <= SETTINGS_MAX, "SETTINGS_MAX is too small");

const void *setting_base(const struct setting *row, const struct conf_job *job)
{
	return row->in_more ? (const void *)CONF_MORE(job) : (const void *)job;
}
