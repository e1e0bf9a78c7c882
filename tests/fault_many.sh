#!/bin/bash
# fault_many.sh: 1000 jobs exiting and restarting at once, and jobs exiting in a tight loop (a 5 s version of the 10-minute soak): restarts throttled by the restart delay, pmtr survives and its CPU time stays low. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

TEST_TIMEOUT=60
N=1000
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
avail=$(($(ulimit -u 2>/dev/null | sed 's/unlimited/100000/') - $(ls -d /proc/[0-9]* 2>/dev/null | wc -l)))
[ "$avail" -ge $((N + 200)) ] || skip "room for only $avail more processes here; needs $((N + 200))"

# CPU time (user + system) pmtr has used so far, in milliseconds.
cpu_ms() {
	local l
	read -r l </proc/"$PMTR_PID"/stat || fail "pmtr is gone"
	l=${l##*) }
	set -- $l
	echo $(((${12} + ${13}) * 1000 / HZ))
}
# Starts of every job so far.
all_starts() { grep -c "started job " "$LOG"; }

# ---- 1000 jobs, all exiting at once and restarting after 1 s, for 2 s
W=2
for ((i = 1; i <= N; i++)); do
	printf 'job {\n  name f%d\n  cmd /bin/false\n  restart delay 1\n}\n' "$i"
done >"$CONF"
start_pmtr
wait_for_log "$CONF: $N jobs" 20
wait_for_log "started job f$N \[" 20
wait_for_log "job f$N restarts in 1 sec" 20
c0=$(cpu_ms)
s0=$(all_starts)
t0=$(now_ms)
deadline=$((t0 + W * 1000))
while [ "$(now_ms)" -lt "$deadline" ]; do
	_check_pmtr_alive "$N jobs to keep restarting"
	sleep 0.2
done
c1=$(cpu_ms)
s1=$(all_starts)
el=$(($(now_ms) - t0))
starts=$((s1 - s0))
cpu=$((c1 - c0))
say "$N jobs, restart delay 1 s: $starts starts in $el ms, pmtr used $cpu ms of CPU"
# each job exits at once and restarts 1 s after its exit: at most W+1 starts each
[ "$starts" -le $((N * (W + 1))) ] || fail "$starts starts of $N jobs in $el ms with a 1 s restart delay: not throttled"
[ "$starts" -ge $((N * (W - 1) / 2)) ] || fail "only $starts starts of $N jobs in $el ms with a 1 s restart delay: restarts are lost or starved"
for j in f1 f500 f$N; do
	n=$(job_starts $j)
	[ "$n" -le $((W + 3)) ] || fail "job $j started $n times in about $((el / 1000 + 2)) s with a 1 s restart delay"
done
ok "$N jobs restarting at once: $starts starts in $el ms, throttled by the restart delay"
# pmtr's own work per start: fork, pipes, logging; 1 ms of CPU per start is generous,
# 5 ms for a sanitizer build, whose every fork copies its shadow memory's page tables
PER_START=1
grep -qa -e __asan_init "$PMTR" && PER_START=5
[ "$cpu" -le $((starts * PER_START)) ] ||
	fail "pmtr used $cpu ms of CPU for $starts starts (more than $PER_START ms per start)"
ok "pmtr CPU for $starts starts: $cpu ms"
m=$(log_lines)
: >"$CONF"
wait_for_log_since "$m" "$CONF: 0 jobs" 10
stop_pmtr TERM 20
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked "1000 jobs: nothing left"

# ---- a tight exit loop: 10 jobs of /bin/false, restart delay 1 s, for 5 s
# (the issue's 10-minute soak, shortened: the rate is what is checked)
W=5
for i in $(seq 10); do
	printf 'job {\n  name t%d\n  cmd /bin/false\n  restart delay 1\n}\n' "$i"
done >"$CONF"
start_pmtr
wait_for_log "started job t10 \[" 5
c0=$(cpu_ms)
t0=$(now_ms)
declare -A first
for i in $(seq 10); do first[$i]=$(job_starts t$i); done
deadline=$((t0 + W * 1000))
while [ "$(now_ms)" -lt "$deadline" ]; do
	_check_pmtr_alive "the jobs to keep restarting"
	sleep 0.2
done
c1=$(cpu_ms)
el=$(($(now_ms) - t0))
for i in $(seq 10); do
	n=$(($(job_starts t$i) - first[$i]))
	[ "$n" -ge $((W - 1)) ] && [ "$n" -le $((W + 1)) ] ||
		fail "job t$i started $n times in $el ms of a tight exit loop with a 1 s restart delay (expected about $W)"
done
ok "tight exit loop: each job started about once a second ($W s: $(($(job_starts t1) - first[1])) starts of t1)"
cpu=$((c1 - c0))
[ "$cpu" -lt $((500 * PER_START)) ] ||
	fail "pmtr used $cpu ms of CPU in $el ms of a throttled exit loop (bound $((500 * PER_START)) ms)"
ok "pmtr CPU over $el ms of the exit loop: $cpu ms"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
