#!/bin/bash
# fault_fds.sh: pmtr near its descriptor limit: 1000 jobs under a soft RLIMIT_NOFILE of 256 (pmtr raises it to the hard limit; jobs get 256 back), and under a hard limit of 256 (jobs fail cleanly, pmtr keeps working). SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

TEST_TIMEOUT=90
N=1000
command -v prlimit >/dev/null || skip "needs prlimit (util-linux)"
hard=$(ulimit -Hn)
# Each job holds a pipe in pmtr and is a process: 1000 of them must fit.
avail=$(($(ulimit -u 2>/dev/null | sed 's/unlimited/100000/') - $(ls -d /proc/[0-9]* 2>/dev/null | wc -l)))
[ "$avail" -ge $((N + 200)) ] || skip "room for only $avail more processes here; needs $((N + 200))"

# gen N: N jobs k1..kN, each a /bin/sleep with a distinct argument.
gen() {
	local i
	for ((i = 1; i <= $1; i++)); do
		printf 'job {\n  name k%d\n  cmd /bin/sleep %d\n  restart delay 1\n}\n' "$i" $((100000 + i))
	done
}
# poll_log_since MARK PATTERN TIMEOUT_S: like wait_for_log_since, but returns 1 on a timeout.
poll_log_since() {
	local deadline=$(($(now_ms) + $3 * 1000))
	until _log_has_since "$1" "$2"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}
running_jobs() { grep -c "started job k[0-9]* \[" "$LOG"; }
# live processes among pmtr's children
live_children() { children_of "$PMTR_PID" | wc -l; }

# ---- part 1: soft limit 256, hard limit left as it is: every job starts
if [ "$hard" != unlimited ] && [ "$hard" -lt 4096 ]; then
	say "SKIP - part 1: the hard RLIMIT_NOFILE is $hard here, 1000 jobs need about 2000"
else
	gen $N >"$CONF"
	PMTR_LAUNCH=(prlimit --nofile=256: env --default-signal)
	start_pmtr
	wait_for_log "$CONF: $N jobs" 20
	wait_until 20 "$N jobs to start" eval '[ "$(running_jobs)" -ge $N ]'
	soft=$(sed -n 's/^Max open files *\([0-9a-z]*\) .*/\1/p' /proc/"$PMTR_PID"/limits)
	say "pmtr's soft limit is now $soft (started with 256, hard $hard)"
	[ "$soft" = "$hard" ] || fail "pmtr's soft RLIMIT_NOFILE is $soft: it did not raise it to the hard limit $hard"
	assert_no_log "failed to start" "soft limit 256, hard $hard: no job failed to start"
	ok "all $N jobs started under a soft descriptor limit of 256 (pmtr raised its soft limit to $soft)"
	wait_job k1
	K1=$JOB_PID
	wait_job k$N
	KN=$JOB_PID
	for p in "$K1" "$KN"; do
		wait_until 3 "pid $p to exec /bin/sleep" grep -qx sleep /proc/"$p"/comm
		js=$(sed -n 's/^Max open files *\([0-9a-z]*\) .*/\1/p' /proc/"$p"/limits)
		[ "$js" = 256 ] || fail "job [$p]: soft RLIMIT_NOFILE is $js, expected the 256 pmtr was started with"
	done
	ok "jobs get back the original soft limit (256)"
	pid_running "$K1" && pid_running "$KN" || fail "jobs died"
	t0=$(now_ms)
	stop_pmtr TERM 30
	say "stopping $N jobs took $(($(now_ms) - t0)) ms"
	[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
	assert_no_marked "part 1: every job stopped"
fi

# ---- part 2: hard limit 256 too: what does not fit fails cleanly, pmtr keeps working
gen $N >"$CONF"
PMTR_LAUNCH=(prlimit --nofile=256:256 env --default-signal)
start_pmtr
wait_for_log "$CONF: $N jobs" 20
wait_for_log "failed to start: .*Too many open files" 20
wait_until 10 "about 200 jobs to start" eval '[ "$(running_jobs)" -ge 200 ]'
# it settles: no new starts while nothing exits
wait_until 10 "the jobs to settle" eval '[ "$(live_children)" -ge 200 ]'
started=$(running_jobs)
ok "hard limit 256: $started jobs started, the others fail with a logged reason"
# the failures name the step and EMFILE; none are unexplained
bad=$(grep "failed to start" "$LOG" | grep -v "Too many open files" | head -n 3)
[ -z "$bad" ] || fail "failures for another reason than EMFILE: $bad"
reason=$(grep -m1 "failed to start" "$LOG" | sed 's/.*failed to start: //')
ok "the reason logged: '$reason'"
pid_running "$PMTR_PID" || fail "pmtr died at its descriptor limit"

# pmtr still reads its configuration: SIGHUP re-reads the file
m=$(log_lines)
kill -HUP "$PMTR_PID"
wait_for_log_since "$m" "pmtr: SIGHUP: reading $CONF" 3
if ! poll_log_since "$m" "$CONF: $N jobs" 5; then
	tail -n +"$((m + 1))" "$LOG" | grep -m3 -e "$CONF" | sed 's/^/  | /'
	fail "SIGHUP at the descriptor limit: the configuration was not read again ('$CONF: $N jobs' not logged)"
fi
ok "SIGHUP at the descriptor limit: the configuration is read again"

# removing most jobs frees descriptors: the rest of the smaller set starts
M=100
m=$(log_lines)
gen $M >"$T/next"
cat "$T/next" >"$CONF"
wait_for_log_since "$m" "$CONF: $M jobs" 10
wait_until 20 "the jobs beyond k$M to stop" eval '[ "$(live_children)" -le $M ]'
wait_until 10 "every job k1..k$M to run" eval '[ "$(live_children)" -ge $M ]'
for i in 1 $M; do
	pid=$(job_pid k$i)
	[ -n "$pid" ] && pid_running "$pid" || fail "job k$i is not running after the others were removed"
done
ok "after $((N - M)) jobs were removed, all $M remaining jobs run"
m=$(log_lines)
printf 'job {\n  name late\n  cmd /bin/sleep 100999\n}\n' >>"$CONF"
wait_for_log_since "$m" "started job late \[" 5
ok "a job added later starts"

stop_pmtr TERM 30
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked "part 2: every job stopped"
exit 0
