#!/bin/bash
# fault_fork.sh (root): pmtr's own fork fails (RLIMIT_NPROC of its user reached): logged, retried after the restart delay, pmtr and the other jobs carry on. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# pmtr runs as an otherwise unused uid, under RLIMIT_NPROC 4: itself and three
# jobs. The limit counts every process of the real uid, so the uid must have no
# other process (nobody may run some elsewhere); root is exempt from the limit.
require_root
command -v setpriv >/dev/null && command -v prlimit >/dev/null ||
	skip "needs setpriv and prlimit (util-linux)"
uid_busy() { [ -n "$(find /proc -maxdepth 1 -user "$1" 2>/dev/null | head -n 1)" ]; }
U=
for try in 0 1 2 3 4 5 6 7; do
	u=$((61000 + ($$ + try * 97) % 3000))
	uid_busy "$u" || { U=$u; break; }
done
[ -n "$U" ] || skip "found no unused uid for the test"
NPROC=4
PMTR_LAUNCH=(prlimit --nproc=$NPROC:$NPROC setpriv --reuid=$U --regid=$U --clear-groups env --default-signal)
use_pmtr_copy

# gen N...: one job jN (/bin/sleep 30N, restart delay 1 s) per argument.
gen() {
	local n
	for n in "$@"; do
		printf 'job {\n  name j%s\n  cmd /bin/sleep 30%s\n  restart delay 1\n}\n' "$n" "$n"
	done
}
gen 1 2 3 4 5 >"$CONF"
chmod 644 "$CONF"

start_pmtr
wait_job j3
for j in 1 2 3; do wait_job j$j; eval "P$j=\$JOB_PID"; done
[ "$(status_field "$PMTR_PID" Uid | cut -d' ' -f1)" = "$U" ] || fail "pmtr does not run as uid $U"

# ---- the jobs past the limit: fork fails with EAGAIN, logged without a pid
for j in j4 j5; do
	wait_for_log "job $j failed to start: fork: Resource temporarily unavailable\$" 5
	ok "job $j: 'job $j failed to start: fork: Resource temporarily unavailable'"
done
[ "$(job_starts j4)" = 0 ] && [ "$(job_starts j5)" = 0 ] || fail "j4 or j5 started although the limit allows 3 jobs"
assert_log "job j4 restarts in 1 sec\$" "a failed fork is followed by the restart delay"

# ---- retried with the restart delay: the attempts are about 1 s apart, not a busy loop
t0=$(now_ms)
n0=$(log_count "job j4 failed to start: fork")
wait_for_log_count "job j4 failed to start: fork" $((n0 + 2)) 4
el=$(($(now_ms) - t0))
[ "$el" -ge 900 ] || fail "two more fork attempts of j4 within $el ms: not throttled by the 1 s restart delay"
ok "failed fork retried after the restart delay (2 more attempts in $el ms)"
n=$(log_count "job j5 failed to start: fork")
[ "$n" -le 6 ] || fail "job j5: $n failed forks within a few seconds with a 1 s restart delay"

# ---- pmtr and the running jobs carry on
pid_running "$PMTR_PID" || fail "pmtr died"
for j in 1 2 3; do
	eval "p=\$P$j"
	pid_running "$p" || fail "job j$j [$p] is no longer running"
	[ "$(job_pid j$j)" = "$p" ] || fail "job j$j was restarted"
done
ok "pmtr alive, the three running jobs untouched"

# ---- a freed slot is taken: after j1 is removed, j4 or j5 starts (on its next retry)
m=$(log_lines)
gen 2 3 4 5 >"$T/next"
cat "$T/next" >"$CONF"
wait_for_log_since "$m" "stopping job j1 \[$P1\]" 3
wait_for_pid_gone "$P1" 3
wait_until 4 "job j4 or j5 to start in the freed slot" eval '[ $(($(job_starts j4) + $(job_starts j5))) -ge 1 ]'
ok "once a process slot is free, a job that could not be forked starts"
for j in 2 3; do
	eval "p=\$P$j"
	pid_running "$p" || fail "job j$j [$p] is no longer running"
done

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
