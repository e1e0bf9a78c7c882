/* alloc.c: allocate and touch N MiB, say so, then sleep: the memory hog of tests/vm/resources-in-vm.sh. SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 0;
	char *p;

	if (mib <= 0) {
		fprintf(stderr, "usage: alloc MIB\n");
		return 2;
	}
	p = malloc((size_t)mib << 20);
	if (!p) {
		perror("alloc: malloc");
		return 1;
	}
	/* One MiB at a time, so that a memory limit stops it part way. */
	for (long i = 0; i < mib; i++)
		memset(p + (i << 20), 1, 1 << 20);
	printf("alloc: touched %ld MiB\n", mib);
	fflush(stdout);
	for (;;)
		pause();
}
