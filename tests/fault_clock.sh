#!/bin/bash
# fault_clock.sh: restart timing by CLOCK_MONOTONIC: pmtr SIGSTOPped for 2 s then SIGCONTed, and the wall clock set back a day and forward again (seen by pmtr only, through an LD_PRELOAD clock shim), do not bunch or stall restarts. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

TEST_TIMEOUT=90
# Each start of a throttled job appends the time pmtr forked it to $T/NAME.starts,
# in ms of the boot-time clock (as /proc/uptime; 10 ms resolution): the start
# time the kernel gave the process, which does not depend on how soon the job
# then ran, and a clock that neither pmtr's signals nor the shim touch.
HZ=$(getconf CLK_TCK) || HZ=100
script thr.sh <<EOF
#!/bin/sh
name=\$1
read -r stat </proc/\$\$/stat
set -- \${stat##*) }
shift 19
echo \$((\$1 * 1000 / $HZ)) >>$T/\$name.starts
exit 1
EOF
# gaps NAME: the gaps between its consecutive starts, in ms, one per line
gaps() {
	awk 'NR > 1 { print $1 - prev } { prev = $1 }' "$T/$1.starts"
}
starts_of() { [ -f "$T/$1.starts" ] && wc -l <"$T/$1.starts" || echo 0; }
uptime_ms() { local up r; read -r up r </proc/uptime; echo $((10#${up%.*} * 1000 + 10#${up#*.} * 10)); }

# ---- part 1: SIGSTOP for 2 s while three jobs wait out a 1 s restart delay
write_conf <<EOF
job {
  name steady
  cmd /bin/sleep 300
}
job {
  name s1
  cmd $T/thr.sh s1
  restart delay 1
}
job {
  name s2
  cmd $T/thr.sh s2
  restart delay 1
}
job {
  name s3
  cmd $T/thr.sh s3
  restart delay 1
}
EOF
start_pmtr
wait_job steady
S=$JOB_PID
# stop pmtr right after the jobs' second exits, while their restarts are pending
wait_for_log_count "job s3 restarts in 1 sec" 2 5
for j in s1 s2 s3; do wait_for_log_count "job $j restarts in 1 sec" 2 3; done
kill -STOP "$PMTR_PID"
wait_until 5 "pmtr [$PMTR_PID] to be stopped" eval '[ "$(pid_state "$PMTR_PID")" = T ]'
stopped_at=$(uptime_ms)
sleep 2 # the fault itself: pmtr stays stopped for 2 s, past the 1 s delays
cont_mark=$(log_lines)
cont_at=$(uptime_ms)
kill -CONT "$PMTR_PID"
# A stopped pmtr forks nothing: no job's process is younger than the stop and
# older than the SIGCONT (the kernel's start times; no allowance for load).
during=$(cat "$T"/s[123].starts | awk -v a="$stopped_at" -v b="$cont_at" '$1 > a && $1 < b' | head -n 1)
[ -z "$during" ] || fail "a job's process was forked at uptime $during ms, while pmtr was stopped ($stopped_at to $cont_at)"
say "pmtr stopped for $((cont_at - stopped_at)) ms"
# Overdue restarts happen at once after SIGCONT: in pmtr's first turns, before
# the barrier's second SIGHUP, not a restart delay later (unless the barrier
# itself takes that long: then this proves less, but never fails wrongly).
barrier
for j in s1 s2 s3; do
	tail -n +"$((cont_mark + 1))" "$LOG" | grep -q "started job $j \\[" ||
		fail "job $j: its restart, overdue during the stop, did not come at once after SIGCONT"
done
ok "overdue restarts came at once after SIGCONT, before the barrier"
# then once each, and every 1 s again
for j in s1 s2 s3; do wait_until 10 "job $j to start 2 more times after SIGCONT" eval '[ "$(starts_of '$j')" -ge 4 ]'; done
for j in s1 s2 s3; do
	mapfile -t st <"$T/$j.starts"
	first_ms=$(awk -v c="$cont_at" '$1 >= c { print; exit }' "$T/$j.starts")
	[ -n "$first_ms" ] || fail "job $j: no start after SIGCONT"
	# no bunching: after the stop, consecutive forks are at least the restart
	# delay apart (1 s, less the 10 ms resolution); load only makes them later
	bad=$(awk -v c="$cont_at" 'NR > 1 && $1 >= c && ($1 - prev) < 990 { print $1 - prev } { prev = $1 }' "$T/$j.starts" | head -n 1)
	[ -z "$bad" ] || fail "job $j: two starts $bad ms apart after SIGCONT (restart delay 1 s): restarts bunched; starts: ${st[*]}"
	ok "job $j: restarted $((first_ms - cont_at)) ms after SIGCONT, then every $(gaps $j | tail -n 1) ms"
done
[ "$(job_pid steady)" = "$S" ] && pid_running "$S" || fail "job steady was disturbed by the stop"
ok "SIGSTOP/SIGCONT: overdue restarts once each, then the 1 s rhythm again; other jobs untouched"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked

# ---- part 2: the wall clock set back a day, then forward a day
# The system clock cannot be namespaced (time namespaces cover only the monotonic
# and boot clocks) and changing it on a shared machine is not acceptable, so pmtr
# is given a wall clock of its own: a shim preloaded into it that adds an offset,
# read from a file, to CLOCK_REALTIME, gettimeofday() and time(). A pmtr that timed
# restarts by the wall clock would then wait a day, or restart at once.
cat >"$T/fakeclock.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long offset(void)
{
	const char *path = getenv("FAKECLOCK_FILE");
	char buf[32] = "";
	int fd;
	ssize_t n;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int rc;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	rc = real(clk, ts);
	if (rc == 0 && (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE))
		ts->tv_sec += offset();
	return rc;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	if (tv) {
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	return 0;
}

time_t time(time_t *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
EOF
# a sanitizer runtime must be the first library loaded, so no shim can go before it
if grep -qa -e __asan_init "$PMTR"; then
	say "SKIP - wall-clock jump: $PMTR is built with ASan, which refuses a preloaded shim"
	exit 0
fi
if ! ${CC:-cc} -shared -fPIC -O2 -o "$T/fakeclock.so" "$T/fakeclock.c" -ldl 2>"$T/fakeclock.log"; then
	say "SKIP - wall-clock jump: no C compiler to build the clock shim ($(head -c 200 "$T/fakeclock.log"))"
	exit 0
fi
echo -86400 >"$T/offset"
real_now=$(date +%s)
fake_now=$(env LD_PRELOAD="$T/fakeclock.so" FAKECLOCK_FILE="$T/offset" date +%s)
if [ $((real_now - fake_now)) -lt 86000 ] || [ $((real_now - fake_now)) -gt 86800 ]; then
	say "SKIP - wall-clock jump: the clock shim has no effect here (date: $real_now, through the shim: $fake_now)"
	exit 0
fi
ok "clock shim works: date through it is a day behind"
echo 0 >"$T/offset"

write_conf <<EOF
job {
  name steady
  cmd /bin/sleep 300
}
job {
  name w1
  cmd $T/thr.sh w1
  restart delay 2
}
EOF
PMTR_LAUNCH=(env --default-signal LD_PRELOAD="$T/fakeclock.so" FAKECLOCK_FILE="$T/offset")
start_pmtr
wait_job steady
S=$JOB_PID
# back a day while a restart is pending
wait_for_log_count "job w1 restarts in 2 sec" 1 5
echo -86400 >"$T/offset.tmp" && mv "$T/offset.tmp" "$T/offset"
wait_until 30 "job w1 to restart after the wall clock went back a day" eval '[ "$(starts_of w1)" -ge 2 ]'
ok "wall clock set back a day: the pending restart still came after the 2 s delay"
# forward a day (back to the real time) while the next restart is pending
wait_for_log_count "job w1 restarts in 2 sec" 2 5
echo 0 >"$T/offset.tmp" && mv "$T/offset.tmp" "$T/offset"
wait_until 30 "job w1 to restart after the wall clock went forward a day" eval '[ "$(starts_of w1)" -ge 3 ]'
# A restart timed by the wall clock would come at once after the jump forward
# (a gap under the delay), or a day late after the jump back (the bounded waits
# above fail then): no upper bound here, which only load would reach.
bad=$(gaps w1 | awk '$1 < 1990' | head -n 1)
[ -z "$bad" ] || fail "job w1: a gap of $bad ms between starts across wall-clock jumps (restart delay 2 s); gaps: $(gaps w1 | tr '\n' ' ')"
ok "wall clock jumps back and forward a day: restarts stay 2 s apart ($(gaps w1 | tr '\n' ' ')ms)"
if grep -q "exited after [0-9]\{5,\} sec" "$LOG"; then
	fail "a run time of a day or more was logged across the clock jump: $(grep -m1 'exited after [0-9]\{5,\} sec' "$LOG")"
fi
[ "$(job_pid steady)" = "$S" ] && pid_running "$S" || fail "job steady was disturbed by the clock jumps"
ok "run times logged are unaffected; other jobs untouched"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
