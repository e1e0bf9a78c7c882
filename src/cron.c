/* cron.c: schedule expressions as crontab(5) writes them, and their next due time in local time. SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

/* The five fields in order; names[i] stands for the value min + i. */
static const struct field {
	const char *name;
	int min, max;
	const char *const *names;
} fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day-of-month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day-of-week", 0, 7, day_names },
};

static const struct {
	const char *word, *fields;
} nicknames[] = {
	{ "@hourly", "0 * * * *" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@monthly", "0 0 1 * *" },
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
};

__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* One value of a field at *p (a number, or a name where the field has names);
 * advances *p past it. */
static int parse_value(const struct field *f, const char **p, const char *end, int *value,
		       char *why, size_t why_len)
{
	const char *s = *p, *e = s;

	while (e < end && isalnum((unsigned char)*e))
		e++;
	int n = (int)(e - s);
	if (n == 0)
		return fail(why, why_len, "%s: expected a number at \"%.*s\"", f->name,
			    (int)(end - s), s);
	if (isdigit((unsigned char)*s)) {
		long v = 0;
		for (const char *q = s; q < e; q++) {
			if (!isdigit((unsigned char)*q))
				return fail(why, why_len, "%s: bad number \"%.*s\"", f->name, n, s);
			if (v < 1000)
				v = v * 10 + (*q - '0');
		}
		if (v < f->min || v > f->max)
			return fail(why, why_len, "%s: %.*s is out of range (%d-%d)", f->name, n, s,
				    f->min, f->max);
		*value = (int)v;
	} else if (f->names) {
		int i = 0;
		while (f->names[i] && !(n == 3 && strncasecmp(f->names[i], s, 3) == 0))
			i++;
		if (!f->names[i])
			return fail(why, why_len, "%s: bad name \"%.*s\"", f->name, n, s);
		*value = f->min + i;
	} else {
		return fail(why, why_len, "%s: bad number \"%.*s\"", f->name, n, s);
	}
	*p = e;
	return 0;
}

/* One item of a list, s..end: `*`, `*` /n, a, a-b, a-b/n; its values into *mask. */
static int parse_item(const struct field *f, const char *s, const char *end, uint64_t *mask,
		      char *why, size_t why_len)
{
	int low = f->min, high = f->max, step = 1;
	bool range = true;

	if (s == end)
		return fail(why, why_len, "%s: empty item", f->name);
	if (*s == '*') {
		s++;
		if (f->max == 7)	/* day-of-week: 7 is Sunday again */
			high = 6;
	} else {
		if (parse_value(f, &s, end, &low, why, why_len) < 0)
			return -1;
		high = low;
		range = false;
		if (s < end && *s == '-') {
			s++;
			if (parse_value(f, &s, end, &high, why, why_len) < 0)
				return -1;
			if (high < low)
				return fail(why, why_len, "%s: range %d-%d goes backwards", f->name,
					    low, high);
			range = true;
		}
	}
	if (s < end && *s == '/') {
		int width = f->max - f->min + 1;
		const char *at = ++s;
		if (!range)
			return fail(why, why_len, "%s: a step needs * or a range", f->name);
		long v = 0;
		while (s < end && isdigit((unsigned char)*s)) {
			if (v < 1000)
				v = v * 10 + (*s - '0');
			s++;
		}
		if (s == at || s < end)
			return fail(why, why_len, "%s: bad step \"%.*s\"", f->name,
				    (int)(end - at), at);
		if (v == 0)
			return fail(why, why_len, "%s: step 0", f->name);
		if (v > width)
			return fail(why, why_len, "%s: step %ld is out of range (1-%d)", f->name,
				    v, width);
		step = (int)v;
	}
	if (s < end)
		return fail(why, why_len, "%s: unexpected \"%.*s\"", f->name, (int)(end - s), s);
	for (int v = low; v <= high; v += step)
		*mask |= (uint64_t)1 << v;
	return 0;
}

/* One field, s..end (a comma-separated list): its values and whether it starts with `*`. */
static int parse_field(const struct field *f, const char *s, const char *end, uint64_t *mask,
		       bool *star, char *why, size_t why_len)
{
	*mask = 0;
	*star = *s == '*';
	for (;;) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *item_end = comma ? comma : end;
		if (parse_item(f, s, item_end, mask, why, why_len) < 0)
			return -1;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

static int parse_fields(const char *text, struct cron *out, char *why, size_t why_len)
{
	const char *start[6], *end[6];
	int n = 0;
	const char *p = text;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n < 6)
			start[n] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (n < 6)
			end[n] = p;
		n++;
	}
	if (n != 5)
		return fail(why, why_len, "expected 5 fields, got %d", n);

	uint64_t mask[5];
	bool star[5];
	for (int i = 0; i < 5; i++)
		if (parse_field(&fields[i], start[i], end[i], &mask[i], &star[i], why, why_len) < 0)
			return -1;
	memset(out, 0, sizeof(*out));
	out->minutes = mask[0];
	out->hours = (uint32_t)mask[1];
	out->days = (uint32_t)mask[2];
	out->months = (uint16_t)mask[3];
	out->weekdays = (uint8_t)((mask[4] | mask[4] >> 7) & 0x7f);
	out->days_restricted = !star[2];
	out->weekdays_restricted = !star[4];
	return 0;
}

int cron_parse(const char *text, struct cron *out, char *why, size_t why_len)
{
	while (isspace((unsigned char)*text))
		text++;
	if (*text != '@')
		return parse_fields(text, out, why, why_len);

	size_t n = strcspn(text, " \t\r\n");
	for (size_t i = 0; i < sizeof(nicknames) / sizeof(nicknames[0]); i++) {
		if (strlen(nicknames[i].word) != n || strncasecmp(nicknames[i].word, text, n))
			continue;
		const char *rest = text + n;
		while (isspace((unsigned char)*rest))
			rest++;
		if (*rest)
			return fail(why, why_len, "%s takes no fields", nicknames[i].word);
		return parse_fields(nicknames[i].fields, out, why, why_len);
	}
	return fail(why, why_len, "unknown schedule \"%.*s\"", (int)n, text);
}

static bool day_matches(const struct cron *c, int mday, int wday)
{
	bool dom = c->days >> mday & 1, dow = c->weekdays >> wday & 1;

	if (c->days_restricted && c->weekdays_restricted)
		return dom || dow;
	return dom && dow;
}

bool cron_matches(const struct cron *c, const struct tm *tm)
{
	return (c->minutes >> tm->tm_min & 1) && (c->hours >> tm->tm_hour & 1) &&
	       (c->months >> (tm->tm_mon + 1) & 1) && day_matches(c, tm->tm_mday, tm->tm_wday);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

static long offset_at(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return tm.tm_gmtoff;
}

/* The instant when the local clock first shows `label` (local time counted as if it
 * were UTC), or, when a daylight-saving change skips it, the first minute after the
 * change. Zone offsets change at most once within a day of a time, as in every zone. */
static time_t instant_of(time_t label)
{
	long before = offset_at(label - 86400), later = offset_at(label + 86400);
	time_t a = label - before, b = label - later;
	bool a_ok = a + offset_at(a) == label, b_ok = b + offset_at(b) == label;

	if (a_ok && b_ok)
		return a < b ? a : b;
	if (a_ok || b_ok)
		return a_ok ? a : b;
	if (later <= before)
		return a;	/* no gap where one was expected: an odd zone */
	/* In the gap: b shows a time before it, a one after; find the change between. */
	long old = offset_at(b);
	while (a - b > 1) {
		time_t mid = b + (a - b) / 2;
		if (offset_at(mid) == old)
			b = mid;
		else
			a = mid;
	}
	return a + (60 - a % 60) % 60;
}

/* A local calendar minute, walked forward with carries. */
struct walk {
	int64_t year;
	int month, day, hour, minute;	/* month 1-12, day 1-31 */
};

static void next_month(struct walk *w)
{
	w->day = 1;
	w->hour = w->minute = 0;
	if (++w->month > 12) {
		w->month = 1;
		w->year++;
	}
}

static void next_day(struct walk *w)
{
	w->hour = w->minute = 0;
	if (++w->day > days_in_month(w->year, w->month))
		next_month(w);
}

static void next_hour(struct walk *w)
{
	w->minute = 0;
	if (++w->hour > 23)
		next_day(w);
}

static void next_minute(struct walk *w)
{
	if (++w->minute > 59)
		next_hour(w);
}

time_t cron_next(const struct cron *c, time_t after)
{
	struct tm now;

	if (!localtime_r(&after, &now))
		return (time_t)-1;
	struct walk w = { now.tm_year + 1900LL, now.tm_mon + 1, now.tm_mday, now.tm_hour,
			  now.tm_min };
	int64_t last_year = w.year + 8;
	next_minute(&w);

	while (w.year <= last_year) {
		int64_t days = days_from_civil(w.year, w.month, w.day);
		int wday = (int)(((days + 4) % 7 + 7) % 7);	/* 1970-01-01 was a Thursday */
		if (!(c->months >> w.month & 1))
			next_month(&w);
		else if (!day_matches(c, w.day, wday))
			next_day(&w);
		else if (!(c->hours >> w.hour & 1))
			next_hour(&w);
		else if (!(c->minutes >> w.minute & 1))
			next_minute(&w);
		else {
			time_t t = instant_of((time_t)(days * 86400 + w.hour * 3600 + w.minute * 60));
			if (t > after)
				return t;
			next_minute(&w);	/* the repeated hour's first pass is behind us */
		}
	}
	return (time_t)-1;
}

/* Append to buf as snprintf would, counting what did not fit. */
__attribute__((format(printf, 4, 5)))
static void put(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	size_t room = *used < len ? len - *used : 0;

	va_start(ap, fmt);
	int n = vsnprintf(room ? buf + *used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

/* The values of mask from..to as a list of runs: 1-5,7,9-10. */
static void put_runs(char *buf, size_t len, size_t *used, uint64_t mask, int from, int to,
		     bool comma)
{
	for (int v = from; v <= to; v++) {
		if (!(mask >> v & 1))
			continue;
		int last = v;
		while (last < to && mask >> (last + 1) & 1)
			last++;
		put(buf, len, used, last > v ? "%s%d-%d" : "%s%d", comma ? "," : "", v, last);
		comma = true;
		v = last;
	}
}

/* How a field's text must begin: day fields say by `*` whether they are restricted. */
enum star { STAR_ANY, STAR_MUST, STAR_NEVER };

/* One field: `*`, `*` /n, or runs; a field that must start with `*` but is none of
 * those starts with `*` /width, which selects only the first value (so a step that
 * wide is never the whole of a field's text). */
static void put_field(char *buf, size_t len, size_t *used, uint64_t mask, int min, int max,
		      enum star star)
{
	if (star != STAR_NEVER) {
		for (int step = 1; step < max - min + 1; step++) {
			uint64_t pattern = 0;
			for (int v = min; v <= max; v += step)
				pattern |= (uint64_t)1 << v;
			if (pattern == mask) {
				put(buf, len, used, step == 1 ? "*" : "*/%d", step);
				return;
			}
		}
	}
	if (star == STAR_MUST) {
		put(buf, len, used, "*/%d", max - min + 1);
		put_runs(buf, len, used, mask, min + 1, max, true);
		return;
	}
	put_runs(buf, len, used, mask, min, max, false);
}

size_t cron_text(const struct cron *c, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	put_field(buf, len, &used, c->minutes, 0, 59, STAR_ANY);
	put(buf, len, &used, " ");
	put_field(buf, len, &used, c->hours, 0, 23, STAR_ANY);
	put(buf, len, &used, " ");
	put_field(buf, len, &used, c->days, 1, 31,
		  c->days_restricted ? STAR_NEVER : STAR_MUST);
	put(buf, len, &used, " ");
	put_field(buf, len, &used, c->months, 1, 12, STAR_ANY);
	put(buf, len, &used, " ");
	put_field(buf, len, &used, c->weekdays, 0, 6,
		  c->weekdays_restricted ? STAR_NEVER : STAR_MUST);
	return used;
}

bool cron_equal(const struct cron *a, const struct cron *b)
{
	return a->minutes == b->minutes && a->hours == b->hours && a->days == b->days &&
	       a->months == b->months && a->weekdays == b->weekdays &&
	       a->days_restricted == b->days_restricted &&
	       a->weekdays_restricted == b->weekdays_restricted;
}
