/* check_run.c: runs one Check suite for a test binary's main(). SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>

#include "check_run.h"

int check_run(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
