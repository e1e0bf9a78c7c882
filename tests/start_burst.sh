#!/bin/bash
# start_burst.sh: pmtr does not wait for a child to exec before starting the next: a burst of jobs each gets its own output, and children stuck before exec (writing to a FIFO nobody reads) hold up no other job nor pmtr's control socket, then run once a reader comes, or go when pmtr stops. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
N=300
STUCK=40	# more than pmtr's 32 start slots: the rest start by fork
mkfifo "$T/fifo" || fail "mkfifo"
{
	for ((i = 1; i <= N; i++)); do
		printf 'job {\n  name b%d\n  cmd /bin/sh -c "echo line-of-$0; exec /bin/sleep 300" b%d\n}\n' "$i" "$i"
	done
	for ((i = 1; i <= STUCK; i++)); do
		printf 'job {\n  name s%d\n  cmd /bin/sleep 300\n  out %s\n}\n' "$i" "$T/fifo"
	done
	printf 'job {\n  name last\n  cmd /bin/sleep 300\n}\n'
} | write_conf

start_pmtr -v
# Each job's line comes through its own pipe: a mix-up of descriptors between
# children started side by side would tag a line with another job.
wait_for_log_count "line-of-b" "$N" 20
bad=$(grep -E '\bb[0-9]+\[[0-9]+\]: line-of-' "$LOG" | sed -E 's/.*\b(b[0-9]+)\[[0-9]+\]: line-of-(b[0-9]+).*/\1 \2/' |
	awk '$1 != $2' | head -n 3)
[ -z "$bad" ] || fail "lines tagged with the wrong job: $bad"
[ "$(grep -cE '\bb[0-9]+\[[0-9]+\]: line-of-' "$LOG")" = "$N" ] || fail "not every job's line is tagged with its job"
ok "$N jobs started in a burst each log their own line"

# The stuck children hold their slots; the job after them still starts and execs.
wait_job last 10
wait_until 10 "job last to exec /bin/sleep" grep -qx sleep "/proc/$JOB_PID/comm"
ok "a job after $STUCK children stuck before exec runs"
assert_log "children still on their way to exec: starting by fork" "with every start slot taken, pmtr starts by fork"
stuck=$(sed -n 's/.*started job s[0-9]* \[\([0-9]*\)\]$/\1/p' "$LOG")
[ "$(echo "$stuck" | wc -w)" = "$STUCK" ] || fail "not every stuck job was started"
for p in $stuck; do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" != sleep ] || fail "job [$p] exec'd without a reader on its FIFO"
done

# A reader lets them go on to exec.
exec 7<>"$T/fifo"
for p in $stuck; do
	wait_until 10 "stuck job [$p] to exec once the FIFO has a reader" grep -qx sleep "/proc/$p/comm"
done
ok "the $STUCK stuck jobs exec once their FIFO has a reader"
exec 7>&-

# Stopping with children stuck before exec leaves nothing behind.
printf 'job {\n  name s1\n  cmd /bin/sleep 300\n  out %s\n}\n' "$T/fifo" | write_conf
stop_pmtr TERM 10
start_pmtr -v
wait_job s1
# Its process is blocked opening its output FIFO, which has no reader (the
# kernel's wait_for_partner; where /proc does not name it, asleep at least):
# it has not exec'd, and cannot until a reader comes.
_blocked_on_fifo() {
	case $(cat "/proc/$1/wchan" 2>/dev/null) in
	wait_for_partner) return 0 ;;
	"" | 0) [ "$(pid_state "$1")" = S ] ;;
	*) return 1 ;;
	esac
}
wait_until 5 "job s1 [$JOB_PID] to block opening its output FIFO" _blocked_on_fifo "$JOB_PID"
[ "$(cat "/proc/$JOB_PID/comm" 2>/dev/null)" != sleep ] || fail "job s1 exec'd without a reader"
stop_pmtr TERM 10
assert_no_marked "pmtr stopped with a child stuck before exec: nothing left"

# With every start slot held by a stuck child, pmtr's loop waits for none: the
# jobs after them start by fork, and the control socket answers all along.
# (pmtr used to wait 10 ms on a slot for each such start: at least 4 s here;
# a build with sanitizers takes about 1 s to fork the 400.)
AFTER=400
{
	for ((i = 1; i <= STUCK; i++)); do
		printf 'job {\n  name s%d\n  cmd /bin/sleep 300\n  out %s\n}\n' "$i" "$T/fifo"
	done
	for ((i = 1; i <= AFTER; i++)); do
		printf 'job {\n  name c%d\n  cmd /bin/sleep 300\n}\n' "$i"
	done
} | write_conf
start_pmtr_raw -F -v -c "$CONF" -s "$T/sock"
wait_for_file "$T/sock" 10
worst=0 calls=0
for ((k = 0; k < 400; k++)); do
	t0=$(now_ms)
	timeout -k 2 20 "$PMTRCTL" -s "$T/sock" status >"$T/status" 2>&1 || fail "pmtrctl status: $(head -c 300 "$T/status")"
	took=$(($(now_ms) - t0))
	calls=$((calls + 1))
	[ "$took" -le "$worst" ] || worst=$took
	[ "$(job_starts "c$AFTER")" -ge 1 ] && break
	sleep 0.01
done
[ "$(job_starts "c$AFTER")" -ge 1 ] || fail "job c$AFTER did not start (a burst with $STUCK stuck children)"
say "pmtrctl status: $calls calls during the burst, the slowest $worst ms"
[ "$worst" -lt 2500 ] || fail "pmtrctl status took $worst ms during the burst: pmtr's loop was held up"
ok "with $STUCK children stuck before exec, $AFTER jobs after them start while pmtr answers its socket"
wait_until 10 "job c$AFTER to exec /bin/sleep" grep -qx sleep "/proc/$(job_pid "c$AFTER")/comm"
[ "$(grep -c "started job c" "$LOG")" = "$AFTER" ] || fail "not every job after the stuck ones started"
ok "the $AFTER jobs after the stuck ones run"
stop_pmtr TERM 20
assert_no_marked "pmtr stopped with $STUCK children stuck before exec: nothing left"
