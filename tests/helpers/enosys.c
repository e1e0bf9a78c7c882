/* enosys.c: run a command with some system calls failing with ENOSYS, as under a
 * seccomp profile that does not know them (Docker's default one answers clone3 so).
 * SPDX-License-Identifier: MIT
 *
 *   enosys SYSCALL[,SYSCALL...] CMD [ARGS...]     SYSCALL: clone3 or close_range
 *
 * The filter looks at system call numbers only, not at the architecture: enough
 * for a test that runs native programs. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_CALLS 4

static long number_of(const char *name)
{
#ifdef SYS_clone3
	if (strcmp(name, "clone3") == 0)
		return SYS_clone3;
#endif
#ifdef SYS_close_range
	if (strcmp(name, "close_range") == 0)
		return SYS_close_range;
#endif
	return -1;
}

int main(int argc, char **argv)
{
	struct sock_filter filter[2 + 2 * MAX_CALLS];
	struct sock_fprog prog = { .filter = filter };
	unsigned short n = 0;
	char *names, *name, *save = NULL;
	int calls = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: enosys SYSCALL[,SYSCALL...] CMD [ARGS...]\n");
		return 2;
	}
	filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						   offsetof(struct seccomp_data, nr));
	names = argv[1];
	for (name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		long nr = number_of(name);

		if (nr < 0 || calls == MAX_CALLS) {
			fprintf(stderr, "enosys: cannot filter %s\n", name);
			return 2;
		}
		filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							   (unsigned)nr, 0, 1);
		filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
							   SECCOMP_RET_ERRNO | ENOSYS);
		calls++;
	}
	filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = n;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("enosys: seccomp");
		return 2;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
