/* check_run.h: what every Check test binary's main() calls to run its suite. SPDX-License-Identifier: MIT */
#ifndef PMTR_CHECK_RUN_H
#define PMTR_CHECK_RUN_H

#include <check.h>

/* Run every test of suite (freed with its runner); the exit status: EXIT_SUCCESS
 * when every test passed, else EXIT_FAILURE. */
int check_run(Suite *suite);

#endif
