/* pmtrctl_logs.h: pmtrctl logs and logs -f: the jobs' last lines of output, then (follow) the new ones until Ctrl-C or the jobs leave. SPDX-License-Identifier: MIT */
#ifndef PMTR_PMTRCTL_LOGS_H
#define PMTR_PMTRCTL_LOGS_H

#include "ctlproto.h"

/* Ask for req (CTL_LOGS or CTL_FOLLOW) and print its lines as they come. A follow
 * ends with EXIT_OK on SIGINT or SIGTERM, and goes on across a pmtr that executes
 * itself anew, from the line after the last one shown. The names of req are taken
 * out as their jobs leave. Returns the exit status. */
int logs_show(const char *path, struct ctl_request *req);

#endif
