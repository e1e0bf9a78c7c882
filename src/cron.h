/* cron.h: schedule expressions as crontab(5) writes them, and their next due time in local time. SPDX-License-Identifier: MIT */
#ifndef PMTR_CRON_H
#define PMTR_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* One expression as bit sets: bit n set when value n matches. Day-of-week has Sunday
 * as bit 0 (7 in the text is folded onto it). A day field is restricted unless its
 * text starts with `*`, as Vixie cron decides; only then does the day rule care. */
struct cron {
	uint64_t minutes;		/* bits 0-59 */
	uint32_t hours;			/* bits 0-23 */
	uint32_t days;			/* bits 1-31 */
	uint16_t months;		/* bits 1-12 */
	uint8_t weekdays;		/* bits 0-6 */
	bool days_restricted, weekdays_restricted;
};

/* Parse five fields (minute hour day-of-month month day-of-week) or an @-form
 * (@hourly @daily @midnight @weekly @monthly @yearly @annually) into *out: 0, or -1
 * with a short lower-case message in why, e.g. `minute: 61 is out of range (0-59)`. */
int cron_parse(const char *text, struct cron *out, char *why, size_t why_len);

/* Whether the local time tm (minute, hour, day, month, weekday) is one of c's: when
 * both day fields are restricted either one matching is enough, else both must. */
bool cron_matches(const struct cron *c, const struct tm *tm);

/* The first minute boundary strictly after `after` that c selects, in local time
 * (TZ as localtime_r reads it). A local time that a daylight-saving change skips is
 * due at the next minute that exists; a repeated local time is due once, at its first
 * occurrence. (time_t)-1 when nothing is due by the end of the eighth local year
 * after after's (so 29 February is always found, even across 2100). */
time_t cron_next(const struct cron *c, time_t after);

/* Write c's canonical text (which cron_parse reads back to an equal struct) into buf
 * as snprintf does: the length it needs, the text cut to fit len. */
size_t cron_text(const struct cron *c, char *buf, size_t len);

bool cron_equal(const struct cron *a, const struct cron *b);

#endif
