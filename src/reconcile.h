/* reconcile.h: the reload diff: a freshly parsed configuration applied to the running jobs. SPDX-License-Identifier: MIT */
#ifndef PMTR_RECONCILE_H
#define PMTR_RECONCILE_H

#include "jobs.h"

/* Apply a freshly parsed configuration: start added jobs, stop removed ones, restart
 * changed ones, leave the others alone. Takes the jobs out of conf. -1 on ENOMEM. */
int jobs_apply(struct jobs *jobs, struct conf *conf);

/* The reload diff, pure: for each job of the new table, the index of the job of the
 * same name in the old table, or -1 when it is new. Old jobs that no index names are
 * the removed ones. -1 on ENOMEM. */
int jobs_match(struct conf_job *const *old, size_t n_old,
	       struct conf_job *const *new, size_t n_new, long *old_index);

#endif
