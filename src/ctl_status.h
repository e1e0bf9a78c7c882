/* ctl_status.h: a job's line in the answer to status and details, as the control protocol writes it (doc/protocol.md). SPDX-License-Identifier: MIT */
#ifndef PMTR_CTL_STATUS_H
#define PMTR_CTL_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "job.h"

/* The job's status line for a client of protocol version (its version 2
 * attributes, its cgroup's usage with details), now the CLOCK_MONOTONIC ms of
 * the request; malloc'd, NULL on ENOMEM. */
char *ctl_status_line(const struct job *job, int64_t now, int version, bool details);

#endif
