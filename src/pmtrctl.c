/* pmtrctl.c: the pmtr control client's main: read the command line, run the command, report how it went. SPDX-License-Identifier: MIT */
/*
 * pmtrctl's units, each with a header saying what it offers:
 *   lib/ctlcommand.c   the table of control commands, shared with pmtr
 *   pmtrctl_args.c     the command line, read by that table
 *   pmtrctl_client.c   talking to pmtr: connect, exchange, retries across a reexec
 *   pmtrctl_output.c   messages, the status table and JSON, lines of output
 *   pmtrctl_logs.c     logs and logs -f
 *   pmtrctl_wait.c     wait
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmtrctl_args.h"
#include "pmtrctl_client.h"
#include "pmtrctl_logs.h"
#include "pmtrctl_output.h"
#include "pmtrctl_wait.h"

/* One request and its answer: status and details shown as a table or JSON; of the
 * others nothing but a failure (and reexec the new version). */
static int ask(const char *path, struct ctl_request *req, bool json, bool usage)
{
	struct job_list jobs = { 0 };
	struct buf reply = { 0 };
	int rc = client_request(path, req, &reply, NULL, &jobs);

	if (rc == EXIT_OK && (req->command == CTL_STATUS || req->command == CTL_DETAILS)) {
		if (json) {
			out_json(jobs.v, jobs.n, &jobs.config);
		} else if (out_table(jobs.v, jobs.n, usage) < 0) {
			out_complain("%s", strerror(ENOMEM));
			rc = EXIT_USAGE;
		} else {
			out_config_note(&jobs.config);
		}
	}
	client_jobs_free(&jobs);
	free(reply.data);
	return rc;
}

static int run(struct pmtrctl_args *args)
{
	/* pmtrctl's own command, wait: status asked again and again */
	if (!(args->command->where & CTL_ON_WIRE))
		return wait_ready(args->socket, &args->req, args->timeout_ms);
	if (args->req.command == CTL_LOGS || args->req.command == CTL_FOLLOW)
		return logs_show(args->socket, &args->req);
	return ask(args->socket, &args->req, args->json, args->long_view);
}

int main(int argc, char **argv)
{
	static char out_buf[1 << 16];
	static struct pmtrctl_args args;
	int rc;

	/* A table of 1000 jobs goes out in a few writes, not one per line. */
	setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	rc = args_parse(argc, argv, &args);
	if (rc != 0) {
		free(args.req.names);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	rc = run(&args);
	free(args.req.names);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		out_complain("cannot write the output: %s", strerror(errno));
		if (rc == EXIT_OK)
			rc = EXIT_USAGE;
	}
	return rc;
}
