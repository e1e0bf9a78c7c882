/* preflight.h: what pmtr -t can tell of a valid configuration before a job runs: programs, directories, users and groups that are not there (yet). SPDX-License-Identifier: MIT */
#ifndef PMTR_PREFLIGHT_H
#define PMTR_PREFLIGHT_H

#include <stddef.h>

#include "conf.h"

/* Look at each job's cmd (an executable regular file), dir (a directory), user
 * and group (known to the system) and call warn with one line for each that is
 * not, "FILE:LINE: warning: job web: cmd /srv/web/bin/server: No such file or
 * directory", FILE the job's file or main_file; and a control socket group that
 * is unknown. Only warnings: the program may
 * be installed, the user made, later. Returns how many. */
size_t preflight_check(const struct conf *conf, const char *main_file,
		       void (*warn)(const char *line));

#endif
