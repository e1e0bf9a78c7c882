/* enosys.c: run a command with some system calls failing with ENOSYS, as under a
 * seccomp profile that does not know them (Docker's default one answers clone3 so).
 * SPDX-License-Identifier: MIT
 *
 *   enosys SYSCALL[,SYSCALL...] CMD [ARGS...]
 *
 * SYSCALL: clone3, close_range, or clone_vm: clone with CLONE_VM (a fork, which
 * glibc makes by clone without it, still works) and clone3, as a sandbox that
 * allows no shared-memory children would.
 *
 * The filter looks at system call numbers only, not at the architecture: enough
 * for a test that runs native programs. */
#include <errno.h>
#include <sched.h>
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

#define CLONE_VM_CALL (-2)

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
	if (strcmp(name, "clone_vm") == 0)
		return CLONE_VM_CALL;
	return -1;
}

int main(int argc, char **argv)
{
	struct sock_filter filter[2 + 6 * MAX_CALLS];
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

		if (nr == -1 || calls == MAX_CALLS) {
			fprintf(stderr, "enosys: cannot filter %s\n", name);
			return 2;
		}
		if (nr == CLONE_VM_CALL) {
#ifdef SYS_clone3
			filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
								   SYS_clone3, 0, 1);
			filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
								   SECCOMP_RET_ERRNO | ENOSYS);
#endif
			/* clone's flags are its first argument (low word): test CLONE_VM,
			 * then load the number back for the next test. */
			filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
								   SYS_clone, 0, 4);
			filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
								   offsetof(struct seccomp_data, args[0]));
			filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
								   CLONE_VM, 0, 1);
			filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
								   SECCOMP_RET_ERRNO | ENOSYS);
			filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
								   offsetof(struct seccomp_data, nr));
		} else {
			filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
								   (unsigned)nr, 0, 1);
			filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
								   SECCOMP_RET_ERRNO | ENOSYS);
		}
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
