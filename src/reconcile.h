/* reconcile.h: the reload diff: a freshly parsed configuration applied to the running jobs. SPDX-License-Identifier: MIT */
#ifndef PMTR_RECONCILE_H
#define PMTR_RECONCILE_H

#include "jobs.h"

/* What an apply did, job by job. */
struct reconcile_counts {
	size_t added, removed;
	size_t changed;		/* restarted (or stopped) for a new process */
	size_t applied;		/* took settings only pmtr uses over, live */
	size_t unchanged;
};

/* Apply a freshly parsed configuration: start added jobs, stop removed ones, restart
 * changed ones, leave the others alone. Takes the jobs out of conf. What it did
 * goes in *counts (may be NULL). -1 on ENOMEM. */
int jobs_apply(struct jobs *jobs, struct conf *conf, struct reconcile_counts *counts);

/* The reload diff, pure: for each job of the new table, the index of the job of the
 * same name in the old table, or -1 when it is new. Old jobs that no index names are
 * the removed ones. -1 on ENOMEM. */
int jobs_match(struct conf_job *const *old, size_t n_old,
	       struct conf_job *const *new, size_t n_new, long *old_index);

#endif
