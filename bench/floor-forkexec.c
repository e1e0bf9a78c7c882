/* floor-forkexec.c: the start-up floor of this machine: fork (or vfork) and exec N
 * copies of a command as fast as a C loop can, then wait for a SIGTERM and take
 * them down. SPDX-License-Identifier: MIT
 *
 *   floor-forkexec [-v] N CMD [ARGS...]    -v: vfork instead of fork
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static char **cmd;

int main(int argc, char **argv)
{
	int use_vfork = 0, n, i = 1, sfd;
	struct signalfd_siginfo si;
	sigset_t set;
	pid_t *pids;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		use_vfork = 1;
		i++;
	}
	if (argc < i + 2) {
		fprintf(stderr, "usage: floor-forkexec [-v] N CMD [ARGS...]\n");
		return 2;
	}
	n = atoi(argv[i]);
	cmd = argv + i + 1;
	pids = calloc((size_t)n, sizeof(*pids));
	if (!pids)
		return 1;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	for (int k = 0; k < n; k++) {
		pid_t pid = use_vfork ? vfork() : fork();

		if (pid == 0) {
			sigset_t none;

			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			execv(cmd[0], cmd);
			_exit(127);
		}
		pids[k] = pid;
	}
	if (read(sfd, &si, sizeof(si)) < 0)
		return 1;
	for (int k = 0; k < n; k++)
		if (pids[k] > 0)
			kill(pids[k], SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}
