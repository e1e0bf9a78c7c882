/* fuzz.h: what every fuzz harness shares: libFuzzer's entry point, and CHECK, which
 * turns a broken invariant into a crash so that libFuzzer keeps the input.
 * SPDX-License-Identifier: MIT */
#ifndef PMTR_FUZZ_H
#define PMTR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#endif
