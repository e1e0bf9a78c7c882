/* conf.c: freeing and comparing parsed jobs (struct conf). SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"

static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

void conf_job_free(struct conf_job *job)
{
	if (!job)
		return;
	free(job->name);
	free_strv(job->argv, strv_len(job->argv));
	free(job->dir);
	free(job->in);
	free(job->out);
	free(job->err);
	free(job->user);
	free_strv(job->env, job->n_env);
	free_strv(job->depends, job->n_depends);
	free(job->cpus);
	free(job->ulimits);
	free(job);
}

void conf_free(struct conf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->n_jobs; i++)
		conf_job_free(conf->jobs[i]);
	free(conf->jobs);
	free(conf->report_to);
	free(conf->listen_on);
	free(conf);
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool strv_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!str_eq(a[i], b[i]))
			return false;
	return true;
}

bool conf_job_equal(const struct conf_job *a, const struct conf_job *b)
{
	if (a == b)
		return true;
	if (!a || !b)
		return false;
	if (!str_eq(a->name, b->name) || !str_eq(a->dir, b->dir) ||
	    !str_eq(a->in, b->in) || !str_eq(a->out, b->out) ||
	    !str_eq(a->err, b->err) || !str_eq(a->user, b->user))
		return false;
	if (!strv_eq(a->argv, strv_len(a->argv), b->argv, strv_len(b->argv)))
		return false;
	if (!strv_eq(a->env, a->n_env, b->env, b->n_env) ||
	    !strv_eq(a->depends, a->n_depends, b->depends, b->n_depends))
		return false;
	if (a->has_nice != b->has_nice || (a->has_nice && a->nice != b->nice))
		return false;
	if (!a->cpus != !b->cpus || (a->cpus && !CPU_EQUAL(a->cpus, b->cpus)))
		return false;
	if (a->n_ulimits != b->n_ulimits)
		return false;
	for (size_t i = 0; i < a->n_ulimits; i++)
		if (a->ulimits[i].resource != b->ulimits[i].resource ||
		    a->ulimits[i].value != b->ulimits[i].value)
			return false;
	return a->bounce_ms == b->bounce_ms &&
	       a->stop_timeout_ms == b->stop_timeout_ms &&
	       a->restart_delay_ms == b->restart_delay_ms &&
	       a->disabled == b->disabled && a->once == b->once && a->wait == b->wait &&
	       a->essential == b->essential;
}

static bool needs_quotes(const char *arg)
{
	return !*arg || strpbrk(arg, " \t\r\v\f\"\\#") != NULL;
}

char *conf_job_command(const struct conf_job *job)
{
	size_t len = 1;
	char *text, *out;

	for (char **arg = job->argv; *arg; arg++) {
		len += strlen(*arg) * 2 + 3;	/* worst case: every byte escaped, quotes, blank */
	}
	text = malloc(len);
	if (!text)
		return NULL;
	out = text;
	for (char **arg = job->argv; *arg; arg++) {
		bool quote = needs_quotes(*arg);

		if (arg != job->argv)
			*out++ = ' ';
		if (quote)
			*out++ = '"';
		for (const char *c = *arg; *c; c++) {
			if (quote && (*c == '"' || *c == '\\'))
				*out++ = '\\';
			*out++ = *c;
		}
		if (quote)
			*out++ = '"';
	}
	*out = '\0';
	return text;
}
