/* after.c: the "after" graph of a parsed set: every name it gives is a job, no cycle, no wait job held back. SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

struct job_ref {
	const char *name;
	size_t index;
};

static int by_ref_name(const void *a, const void *b)
{
	return strcmp(((const struct job_ref *)a)->name, ((const struct job_ref *)b)->name);
}

/* The jobs of the set sorted by name, to find one by name; NULL on ENOMEM. */
static struct job_ref *sorted_refs(struct parser *p)
{
	size_t n = p->conf->n_jobs;
	struct job_ref *refs = malloc((n ? n : 1) * sizeof(*refs));

	if (!refs) {
		p->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct job_ref){ p->conf->jobs[i]->name, i };
	qsort(refs, n, sizeof(*refs), by_ref_name);
	return refs;
}

static struct job_ref *find_ref(struct job_ref *refs, size_t n, const char *name)
{
	struct job_ref key = { name, 0 };

	return bsearch(&key, refs, n, sizeof(*refs), by_ref_name);
}

/* An error at the job's first "after" line, in the file that holds the job. */
#define after_error(p, job, fmt, ...) \
	((p)->file = (job)->file ? (job)->file : (p)->main_file, \
	 parser_error((p), CONF_MORE(job)->after_line, false, "job \"%s\": " fmt, (job)->name, \
		      __VA_ARGS__))

/* Prepend " -> name" (or just name, first) to the text that ends at *o. */
static void prepend(char **o, const char *name, bool arrow)
{
	size_t len = strlen(name);

	if (arrow) {
		*o -= 4;
		memcpy(*o, " -> ", 4);
	}
	*o -= len;
	memcpy(*o, name, len);
}

/* Say the cycle that the edge from job u to job v closes: u -> v -> ... -> u, the
 * jobs from v to u being the open path of the search (parent[] walks it back). */
static void say_cycle(struct parser *p, size_t u, size_t v, const size_t *parent)
{
	struct conf_job **jobs = p->conf->jobs;
	size_t len = 2 * strlen(jobs[u]->name) + 4;
	char *path, *o;

	for (size_t w = u; w != v; w = parent[w])
		len += strlen(jobs[parent[w]]->name) + 4;
	path = malloc(len + 1);
	if (!path) {
		p->oom = true;
		return;
	}
	o = path + len;
	*o = '\0';
	prepend(&o, jobs[u]->name, false);
	for (size_t w = u; w != v; w = parent[w])
		prepend(&o, jobs[parent[w]]->name, true);
	prepend(&o, jobs[u]->name, true);
	after_error(p, jobs[u], "after \"%s\" makes a cycle: %s", jobs[v]->name, o);
	free(path);
}

/* Depth first along "after": a job met again while its own search is open closes a
 * cycle. Iterative, so that a chain of 10,000 jobs needs no deep stack. */
static void find_cycles(struct parser *p, size_t *const *deps, const size_t *n_deps)
{
	size_t n = p->conf->n_jobs;
	unsigned char *color = calloc(n, 1);	/* 0 new, 1 on the path, 2 done */
	size_t *parent = calloc(n, sizeof(*parent)), *next = calloc(n, sizeof(*next));
	size_t *stack = calloc(n, sizeof(*stack));

	if (!color || !parent || !next || !stack) {
		p->oom = true;
		goto out;
	}
	for (size_t root = 0; root < n; root++) {
		size_t top = 0;

		if (color[root])
			continue;
		stack[top++] = root;
		color[root] = 1;
		while (top) {
			size_t u = stack[top - 1], v;

			if (next[u] == n_deps[u]) {
				color[u] = 2;
				top--;
				continue;
			}
			v = deps[u][next[u]++];
			if (color[v] == 1) {
				say_cycle(p, u, v, parent);
			} else if (!color[v]) {
				color[v] = 1;
				parent[v] = u;
				stack[top++] = v;
			}
		}
	}
out:
	free(color);
	free(parent);
	free(next);
	free(stack);
}

void parser_check_after(struct parser *p)
{
	struct conf_job **jobs = p->conf->jobs;
	size_t n = p->conf->n_jobs, n_edges = 0;
	struct job_ref *refs = NULL;
	size_t **deps = NULL, *n_deps = NULL, *all = NULL;

	for (size_t i = 0; i < n; i++)
		n_edges += CONF_MORE(jobs[i])->n_after;
	if (!n_edges)
		return;
	refs = sorted_refs(p);
	deps = calloc(n, sizeof(*deps));
	n_deps = calloc(n, sizeof(*n_deps));
	all = malloc(n_edges * sizeof(*all));
	if (!refs || !deps || !n_deps || !all) {
		p->oom = true;
		goto out;
	}
	n_edges = 0;
	for (size_t i = 0; i < n; i++) {
		deps[i] = all + n_edges;
		for (size_t a = 0; a < CONF_MORE(jobs[i])->n_after; a++) {
			const char *name = CONF_MORE(jobs[i])->after[a];
			struct job_ref *hit = find_ref(refs, n, name);

			if (!hit) {
				if (!p->jobs_lost)
					after_error(p, jobs[i], "after \"%s\": no such job", name);
			} else if (hit->index == i) {
				after_error(p, jobs[i], "after \"%s\": a job cannot wait for itself",
					    name);
			} else {
				deps[i][n_deps[i]++] = hit->index;
			}
		}
		n_edges += n_deps[i];
	}
	/* the edges that are left may still close a cycle: say it now too */
	find_cycles(p, deps, n_deps);
out:
	p->file = p->main_file;
	free(refs);
	free(deps);
	free(n_deps);
	free(all);
}

/* Once the jobs are in start order: a wait job holds back every job after it, so
 * one that names such a job in "after" would wait for it for ever. */
void parser_check_wait_after(struct parser *p)
{
	struct conf_job **jobs = p->conf->jobs;
	size_t n = p->conf->n_jobs;
	struct job_ref *refs;

	if (p->orders_lost)
		return;
	for (size_t i = 0; i < n; i++)
		if (jobs[i]->wait && CONF_MORE(jobs[i])->n_after)
			goto check;
	return;
check:
	refs = sorted_refs(p);
	if (!refs)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct conf_job_more *more = CONF_MORE(jobs[i]);

		if (!jobs[i]->wait)
			continue;
		for (size_t a = 0; a < more->n_after; a++) {
			struct job_ref *hit = find_ref(refs, n, more->after[a]);

			if (hit && hit->index > i)
				after_error(p, jobs[i], "after \"%s\": it starts after this wait job, "
					    "which holds it back: both would wait for ever", more->after[a]);
		}
	}
	p->file = p->main_file;
	free(refs);
}

