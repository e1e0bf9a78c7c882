/* pmtrctl_wait.h: pmtrctl wait: ask for the status again and again until every job waited for runs, is ready and is not unhealthy. SPDX-License-Identifier: MIT */
#ifndef PMTR_PMTRCTL_WAIT_H
#define PMTR_PMTRCTL_WAIT_H

#include <stdint.h>

#include "ctlproto.h"

/* Ask req (a status) every 100 ms until every job waited for is ready, or
 * timeout_ms is over (0: ask once). Waited for: the jobs named (one in state
 * scheduled is settled), or without names every job but the disabled, done and
 * scheduled ones and those with a next run. Not ready in time: says which are not
 * and why, and returns EXIT_NOT_READY. Returns the exit status. */
int wait_ready(const char *path, struct ctl_request *req, int64_t timeout_ms);

#endif
