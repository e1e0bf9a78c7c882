/* check_output.c: unit tests of how a line of a job's output is made printable (output_sanitize): the fast path over clean runs against a byte-by-byte reference, on every byte value in every position and on random lines. SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "check_run.h"

/* The rule, one byte at a time: tab and bytes from 0x20 up, 0x7f aside, as they
 * are; the others as \xHH; a CR at the end dropped. */
static size_t reference(char *dst, const char *src, size_t len)
{
	char *start = dst;

	if (len > 0 && src[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if ((c >= 0x20 && c != 0x7f) || c == '\t')
			*dst++ = (char)c;
		else
			dst += sprintf(dst, "\\x%02x", c);
	}
	*dst = '\0';
	return (size_t)(dst - start);
}

static void same_as_reference(const char *src, size_t len)
{
	static char want[4 * 4096 + 1], got[4 * 4096 + 1];
	size_t n_want = reference(want, src, len);
	size_t n_got = output_sanitize(got, src, len);

	ck_assert_uint_eq(n_got, n_want);
	ck_assert_uint_eq(strlen(got), n_got);
	ck_assert_msg(memcmp(got, want, n_want + 1) == 0, "\"%s\" instead of \"%s\"", got, want);
}

/* Every byte value at every position of lines up to 24 bytes long: the first
 * byte of each 8-byte block, the last, and those across the blocks. */
START_TEST(every_byte_everywhere)
{
	char line[24];

	for (size_t len = 1; len <= sizeof(line); len++)
		for (size_t at = 0; at < len; at++)
			for (int c = 0; c < 256; c++) {
				memset(line, 'a', len);
				line[at] = (char)c;
				same_as_reference(line, len);
			}
}
END_TEST

START_TEST(random_lines)
{
	static const char some[] = "abc \t\r\n\x01\x1f\x7f\x80\xc3\xa9\xff~ ";
	char line[300];
	unsigned seed = 12345;

	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(line));

		for (size_t i = 0; i < len; i++)
			line[i] = rand_r(&seed) % 4 ? 'x' : some[rand_r(&seed) % (sizeof(some) - 1)];
		same_as_reference(line, len);
	}
	same_as_reference("", 0);
	same_as_reference("\r", 1);
	same_as_reference("a line\r", 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("sanitize");

	tcase_add_test(tc, every_byte_everywhere);
	tcase_add_test(tc, random_lines);
	suite_add_tcase(s, tc);
	return check_run(s);
}
