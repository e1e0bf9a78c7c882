/* check_cron.c: unit tests of schedule expressions (src/cron.c): parse errors, the day rule, and due times over whole years in several time zones against a minute-by-minute reference. SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "check_run.h"

/* The zones as POSIX TZ rules, so that the tests need no time zone database
 * (a package builder may have none): their 2026 rules, every year. */
#define UTC "UTC0"
#define BERLIN "CET-1CEST,M3.5.0,M10.5.0/3"
#define NEW_YORK "EST5EDT,M3.2.0,M11.1.0"
#define LORD_HOWE "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"
#define KATHMANDU "<+0545>-5:45"

static void use_zone(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi };
	return timegm(&tm);
}

static struct cron parsed(const char *text)
{
	struct cron c;
	char why[128] = "";
	ck_assert_msg(cron_parse(text, &c, why, sizeof(why)) == 0, "%s: %s", text, why);
	return c;
}

static const struct {
	const char *text, *why;
} bad[] = {
	{ "", "expected 5 fields, got 0" },
	{ "* * * *", "expected 5 fields, got 4" },
	{ "* * * * * *", "expected 5 fields, got 6" },
	{ "61 * * * *", "minute: 61 is out of range (0-59)" },
	{ "* 24 * * *", "hour: 24 is out of range (0-23)" },
	{ "* * 0 * *", "day-of-month: 0 is out of range (1-31)" },
	{ "* * 32 * *", "day-of-month: 32 is out of range (1-31)" },
	{ "* * * 13 *", "month: 13 is out of range (1-12)" },
	{ "* * * 0 *", "month: 0 is out of range (1-12)" },
	{ "* * * * 8", "day-of-week: 8 is out of range (0-7)" },
	{ "* * * * mun", "day-of-week: bad name \"mun\"" },
	{ "* * * janu *", "month: bad name \"janu\"" },
	{ "x * * * *", "minute: bad number \"x\"" },
	{ "* 1x * * *", "hour: bad number \"1x\"" },
	{ "* */0 * * *", "hour: step 0" },
	{ "*/61 * * * *", "minute: step 61 is out of range (1-60)" },
	{ "1-5/x * * * *", "minute: bad step \"x\"" },
	{ "5/15 * * * *", "minute: a step needs * or a range" },
	{ "* 5-3 * * *", "hour: range 5-3 goes backwards" },
	{ "1,,2 * * * *", "minute: empty item" },
	{ "1, * * * *", "minute: empty item" },
	{ "1- * * * *", "minute: expected a number at \"\"" },
	{ "*5 * * * *", "minute: unexpected \"5\"" },
	{ "@reboot", "unknown schedule \"@reboot\"" },
	{ "@daily 5", "@daily takes no fields" },
};

START_TEST(parse_errors)
{
	struct cron c;
	char why[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(why, "unset");
		ck_assert_msg(cron_parse(bad[i].text, &c, why, sizeof(why)) == -1, "%s", bad[i].text);
		ck_assert_str_eq(why, bad[i].why);
	}
}
END_TEST

START_TEST(parse_fields_and_names)
{
	struct cron c = parsed("*/15 9-17/4 1,15 JAN-mar,Dec mon-FRI");

	ck_assert_uint_eq(c.minutes, 1ull << 0 | 1ull << 15 | 1ull << 30 | 1ull << 45);
	ck_assert_uint_eq(c.hours, 1u << 9 | 1u << 13 | 1u << 17);
	ck_assert_uint_eq(c.days, 1u << 1 | 1u << 15);
	ck_assert_uint_eq(c.months, 1u << 1 | 1u << 2 | 1u << 3 | 1u << 12);
	ck_assert_uint_eq(c.weekdays, 0x3e);
	ck_assert(c.days_restricted && c.weekdays_restricted);

	c = parsed("0 0 * * 7");
	ck_assert_uint_eq(c.weekdays, 1);
	ck_assert(!c.days_restricted && c.weekdays_restricted);
	c = parsed("0 0 * * 5-7");
	ck_assert_uint_eq(c.weekdays, 1u | 1u << 5 | 1u << 6);
	c = parsed("0 0 */1 * */2");
	ck_assert_uint_eq(c.days, 0xfffffffeu);
	ck_assert_uint_eq(c.weekdays, 1u | 1u << 2 | 1u << 4 | 1u << 6);
	ck_assert(!c.days_restricted && !c.weekdays_restricted);
	c = parsed("0 0 1-31 * 0-7");
	ck_assert(c.days_restricted && c.weekdays_restricted);
	ck_assert_uint_eq(c.weekdays, 0x7f);
}
END_TEST

START_TEST(nicknames)
{
	static const char *const pairs[][2] = {
		{ "@hourly", "0 * * * *" }, { "@daily", "0 0 * * *" },
		{ "@midnight", "0 0 * * *" }, { "@weekly", "0 0 * * 0" },
		{ "@monthly", "0 0 1 * *" }, { "@yearly", "0 0 1 1 *" },
		{ "  @ANNUALLY ", "0 0 1 1 *" },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct cron a = parsed(pairs[i][0]), b = parsed(pairs[i][1]);
		ck_assert_msg(cron_equal(&a, &b), "%s", pairs[i][0]);
	}
}
END_TEST

static bool matches_on(const char *text, int y, int mo, int d, int h, int mi)
{
	struct cron c = parsed(text);
	time_t t = utc(y, mo, d, h, mi);
	struct tm tm;
	gmtime_r(&t, &tm);
	return cron_matches(&c, &tm);
}

START_TEST(day_rule)
{
	/* 2026-12-07 is a Monday, 2026-12-08 a Tuesday, 2026-12-15 a Tuesday. */
	ck_assert(matches_on("0 12 15 * mon", 2026, 12, 7, 12, 0));	/* either day field */
	ck_assert(matches_on("0 12 15 * mon", 2026, 12, 15, 12, 0));
	ck_assert(!matches_on("0 12 15 * mon", 2026, 12, 8, 12, 0));
	ck_assert(!matches_on("0 12 15 * mon", 2026, 12, 7, 12, 1));
	ck_assert(!matches_on("0 12 15 * mon", 2026, 12, 7, 11, 0));
	ck_assert(!matches_on("0 12 15 nov mon", 2026, 12, 7, 12, 0));
	ck_assert(matches_on("0 12 * * mon", 2026, 12, 7, 12, 0));	/* both must */
	ck_assert(!matches_on("0 12 * * mon", 2026, 12, 8, 12, 0));
	ck_assert(!matches_on("0 12 15 * *", 2026, 12, 7, 12, 0));
	ck_assert(!matches_on("0 12 */2 * mon", 2026, 12, 8, 12, 0));	/* `*`-led: both must */
	ck_assert(matches_on("0 12 */2 * mon", 2026, 12, 7, 12, 0));
	ck_assert(!matches_on("0 12 */2 * mon", 2026, 12, 15, 12, 0));
}
END_TEST

START_TEST(text_round_trip)
{
	static const char *const texts[][2] = {
		{ "* * * * *", "* * * * *" },
		{ "*/15 9-17/4 1,15 JAN-mar,Dec mon-FRI", "*/15 9,13,17 1,15 1-3,12 1-5" },
		{ "0 0 */2 * */2", "0 0 */2 * */2" },
		{ "0 0 1-31 * 0-7", "0 0 1-31 * 0-6" },
		{ "0 0 */10,5 * *,3", "0 0 */31,5,11,21,31 * *" },
		{ "0 0 */10,5 * 7", "0 0 */31,5,11,21,31 * 0" },
		{ "0-59 0-23 * 1-12 *", "* * * * *" },
		{ "5,6,7 0 * * */3,5", "5-7 0 * * */7,3,5-6" },
		{ "@weekly", "0 0 * * 0" },
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct cron a = parsed(texts[i][0]);
		size_t n = cron_text(&a, buf, sizeof(buf));
		ck_assert_uint_eq(n, strlen(buf));
		ck_assert_str_eq(buf, texts[i][1]);
		struct cron b = parsed(buf);
		ck_assert_msg(cron_equal(&a, &b), "%s -> %s", texts[i][0], buf);
	}
	struct cron a = parsed("1,3,5,7,9,11,13,15,17,19,21,23,25 * * * *");
	char small[8];
	size_t need = cron_text(&a, small, sizeof(small));
	ck_assert_uint_eq(need, strlen("1,3,5,7,9,11,13,15,17,19,21,23,25 * * * *"));
	ck_assert_str_eq(small, "1,3,5,7");
	a = parsed("0 0 1 * *");
	struct cron b = parsed("0 0 1 * *");
	b.days_restricted = false;
	ck_assert(!cron_equal(&a, &b));
}
END_TEST

static const char *const zones[] = {
	UTC, BERLIN, NEW_YORK, LORD_HOWE, KATHMANDU,
};

static const char *const year_texts[] = {
	"*/15 * * * *", "30 2 * * *", "15 1 * * *", "*/5 1-3 * * *", "0,30 2-3 * * sun",
	"0 12 1,15 * mon", "45 23 * * 1-5", "0 0 1 * *", "0 0 29 2 *", "30 * 31 * *",
};
#define N_YEAR_TEXTS (sizeof(year_texts) / sizeof(year_texts[0]))

static time_t label_of(time_t t)
{
	struct tm tm;
	localtime_r(&t, &tm);
	return t + tm.tm_gmtoff;
}

/* The reference: walk every minute of the UTC timeline; a minute is due when its local
 * time is later than every local time before it (so a repeated time counts once) and
 * it, or a local time the clock skipped just before it, matches. */
START_TEST(whole_year_against_reference)
{
	use_zone(zones[_i]);
	struct cron c[N_YEAR_TEXTS];
	time_t prev[N_YEAR_TEXTS];
	int runs[N_YEAR_TEXTS] = { 0 };
	time_t start = utc(2026, 1, 1, 0, 0), end = utc(2027, 1, 1, 0, 0);

	for (size_t i = 0; i < N_YEAR_TEXTS; i++) {
		c[i] = parsed(year_texts[i]);
		prev[i] = start;
	}
	time_t max_label = 0;
	for (time_t t = start - 86400; t <= start; t += 60)
		if (label_of(t) > max_label)
			max_label = label_of(t);
	for (time_t t = start + 60; t <= end; t += 60) {
		time_t label = label_of(t);
		if (label <= max_label)
			continue;
		bool due[N_YEAR_TEXTS] = { false };
		for (time_t l = max_label + 60; l <= label; l += 60) {
			struct tm tm;
			gmtime_r(&l, &tm);
			for (size_t i = 0; i < N_YEAR_TEXTS; i++)
				due[i] = due[i] || cron_matches(&c[i], &tm);
		}
		max_label = label;
		for (size_t i = 0; i < N_YEAR_TEXTS; i++) {
			if (!due[i])
				continue;
			time_t got = cron_next(&c[i], prev[i]);
			ck_assert_msg(got == t, "%s in %s after %ld: %ld, reference %ld",
				      year_texts[i], zones[_i], (long)prev[i], (long)got, (long)t);
			ck_assert_int_eq(cron_next(&c[i], t - 1), t);
			ck_assert_int_eq(cron_next(&c[i], t - 59), t);
			prev[i] = t;
			runs[i]++;
		}
	}
	for (size_t i = 0; i < N_YEAR_TEXTS; i++) {
		time_t got = cron_next(&c[i], prev[i]);
		ck_assert_msg(got > end, "%s in %s: %ld after the year's last run", year_texts[i],
			      zones[_i], (long)got);
	}
	/* The reference itself: 02:30 once a day, skipped or repeated or not; every quarter
	 * hour of the UTC timeline but those of the repeated local time (an hour in Berlin
	 * and New York, half an hour at Lord Howe): a skipped one runs at the next. */
	static const int quarters_lost[] = { 0, 4, 4, 2, 0 };
	ck_assert_int_eq(runs[1], 365);
	ck_assert_int_eq(runs[0], 365 * 24 * 4 - quarters_lost[_i]);
	ck_assert_int_eq(runs[8], 0);		/* no 29 February in 2026 */
	ck_assert_int_eq(runs[7], 12);
}
END_TEST

/* 02:30 each day where the clock jumps from 02:00 to 03:00 (Berlin, 29 March 2026)
 * and from 03:00 back to 02:00 (25 October 2026). */
START_TEST(dst_berlin)
{
	use_zone(BERLIN);
	struct cron c = parsed("30 2 * * *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 3, 28, 23, 0)), utc(2026, 3, 29, 1, 0));
	ck_assert_int_eq(cron_next(&c, utc(2026, 3, 29, 1, 0)), utc(2026, 3, 30, 0, 30));
	ck_assert_int_eq(cron_next(&c, utc(2026, 10, 25, 0, 0)), utc(2026, 10, 25, 0, 30));
	ck_assert_int_eq(cron_next(&c, utc(2026, 10, 25, 0, 30)), utc(2026, 10, 26, 1, 30));
	ck_assert_int_eq(cron_next(&c, utc(2026, 10, 25, 1, 0)), utc(2026, 10, 26, 1, 30));

	/* Three skipped times and 03:00 itself run once, at 03:00 CEST. */
	c = parsed("0,30 2-3 * * *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 3, 28, 23, 0)), utc(2026, 3, 29, 1, 0));
	ck_assert_int_eq(cron_next(&c, utc(2026, 3, 29, 1, 0)), utc(2026, 3, 29, 1, 30));
	/* Every minute of the repeated hour once: 02:59 CEST, then 03:00 CET. */
	c = parsed("* 2 * * *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 10, 25, 0, 58)), utc(2026, 10, 25, 0, 59));
	ck_assert_int_eq(cron_next(&c, utc(2026, 10, 25, 0, 59)), utc(2026, 10, 26, 1, 0));
}
END_TEST

START_TEST(dst_new_york_and_lord_howe)
{
	use_zone(NEW_YORK);
	struct cron c = parsed("30 1 * * *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 11, 1, 4, 0)), utc(2026, 11, 1, 5, 30));
	ck_assert_int_eq(cron_next(&c, utc(2026, 11, 1, 5, 30)), utc(2026, 11, 2, 6, 30));
	c = parsed("15 2 8 3 *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 3, 1, 0, 0)), utc(2026, 3, 8, 7, 0));

	/* Lord Howe moves by half an hour: 02:00 becomes 02:30 on 4 October 2026. */
	use_zone(LORD_HOWE);
	c = parsed("15 2 * * *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 10, 3, 12, 0)), utc(2026, 10, 3, 15, 30));
	ck_assert_int_eq(cron_next(&c, utc(2026, 10, 3, 15, 30)), utc(2026, 10, 4, 15, 15));
	/* and back from 02:00 to 01:30 on 5 April 2026: 01:45 runs once. */
	c = parsed("45 1 * * *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 4, 4, 12, 0)), utc(2026, 4, 4, 14, 45));
	ck_assert_int_eq(cron_next(&c, utc(2026, 4, 4, 14, 45)), utc(2026, 4, 5, 15, 15));
	ck_assert_int_eq(cron_next(&c, utc(2026, 4, 4, 15, 0)), utc(2026, 4, 5, 15, 15));

	use_zone(KATHMANDU);
	c = parsed("0 0 * * *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 6, 1, 0, 0)), utc(2026, 6, 1, 18, 15));
}
END_TEST

START_TEST(leap_years_and_never)
{
	use_zone(UTC);
	struct cron c = parsed("0 12 29 2 *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 1, 1, 0, 0)), utc(2028, 2, 29, 12, 0));
	ck_assert_int_eq(cron_next(&c, utc(2028, 2, 29, 12, 0)), utc(2032, 2, 29, 12, 0));
	ck_assert_int_eq(cron_next(&c, utc(2096, 3, 1, 0, 0)), utc(2104, 2, 29, 12, 0));
	use_zone(BERLIN);
	ck_assert_int_eq(cron_next(&c, utc(2026, 1, 1, 0, 0)), utc(2028, 2, 29, 11, 0));

	c = parsed("0 0 31 2 *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 1, 1, 0, 0)), (time_t)-1);
	c = parsed("0 0 30 2 *");
	ck_assert_int_eq(cron_next(&c, utc(2026, 1, 1, 0, 0)), (time_t)-1);
	/* Either day field is enough: 31 February never comes, Fridays do. */
	c = parsed("0 0 31 2 fri");
	ck_assert_int_eq(cron_next(&c, utc(2026, 1, 1, 0, 0)), utc(2026, 2, 5, 23, 0));
}
END_TEST

/* Each call walks months, days and hours, not minutes: 10,000 calls on yearly
 * expressions and 1,000 on one that never comes finish within the test's timeout. */
START_TEST(walks_quickly)
{
	use_zone(BERLIN);
	struct cron leap = parsed("0 0 29 2 *"), never = parsed("0 0 31 2 *");
	time_t t = utc(2026, 1, 1, 0, 0);
	for (int i = 0; i < 10000; i++) {
		time_t next = cron_next(&leap, t + i * 3607);
		ck_assert_int_gt(next, t + i * 3607);
	}
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(cron_next(&never, t + i * 86400), (time_t)-1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cron");
	TCase *tc = tcase_create("cron");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, parse_fields_and_names);
	tcase_add_test(tc, nicknames);
	tcase_add_test(tc, day_rule);
	tcase_add_test(tc, text_round_trip);
	tcase_add_loop_test(tc, whole_year_against_reference, 0, sizeof(zones) / sizeof(zones[0]));
	tcase_add_test(tc, dst_berlin);
	tcase_add_test(tc, dst_new_york_and_lord_howe);
	tcase_add_test(tc, leap_years_and_never);
	tcase_add_test(tc, walks_quickly);
	suite_add_tcase(s, tc);
	return check_run(s);
}
