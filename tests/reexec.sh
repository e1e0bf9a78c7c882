#!/bin/bash
# reexec.sh: pmtrctl reexec runs pmtr's binary anew in the same process: jobs keep their pids, counters, output (no line lost or logged twice) and timers; a crash-looping job through ten reexecs in a row; a missing binary leaves the old pmtr running (exit 4); as process 1 too. SPDX-License-Identifier: MIT
TEST_TIMEOUT=120
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=$(dirname "$PMTR")/pmtrctl
SOCK=$T/ctl.sock
use_pmtr_copy	# the binary this test may remove

script counter.sh <<'EOF'
#!/bin/sh
# one numbered line every 20 ms, the last one without its newline for a while
i=0
while :; do
	i=$((i + 1))
	printf 'n=%d' "$i"
	sleep 0.01
	printf '\n'
	sleep 0.01
done
EOF
UPORT=$((20000 + RANDOM % 40000))
write_conf <<EOF
listen on udp://127.0.0.1:$UPORT
job {
  name spare
  cmd /bin/sleep 300
  disable
}
job {
  name steady
  cmd /bin/sleep 300
}
job {
  name counter
  cmd $T/counter.sh
}
job {
  name crash
  cmd /bin/sh -c "exit 3"
  restart delay 100ms
}
job {
  name later
  cmd /bin/sh -c "date +%s%3N >>$T/later.times; exit 4"
  restart delay 3s
}
EOF

reexec() {	# expected exit status
	run_cmd 20 "$PMTRCTL" -s "$SOCK" reexec
	[ "$RC" = "$1" ] || { cat "$T/err"; fail "pmtrctl reexec: exit $RC, expected $1"; }
}
status_of() { "$PMTRCTL" -s "$SOCK" status "$1" | awk -v j="$1" '$1 == j'; }

# pmtr raises its soft open-file limit and gives jobs the one it was started with
# shellcheck disable=SC2016
PMTR_LAUNCH=(sh -c 'ulimit -Sn 1000 && exec env --default-signal "$@"' sh)
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
PMTR_LAUNCH=(env --default-signal)
wait_job steady
STEADY=$JOB_PID
wait_job counter
COUNTER=$JOB_PID
wait_for_log "job later .* exited" 5
wait_for_log "job later restarts in 3 sec" 5
wait_for_log_count "started job crash \[" 3 10
restarts_before=$(status_of steady | awk '{print $5}')
run_cmd 10 "$PMTRCTL" -s "$SOCK" logs -n 5 counter
[ "$RC" = 0 ] && [ "$(wc -l <"$T/out")" = 5 ] || fail "pmtrctl logs counter before the reexec: exit $RC, $(cat "$T/out")"
cp "$T/out" "$T/logs.before"

reexec 0
grep -qx "pmtr [0-9.]*" "$T/out" || fail "pmtrctl reexec printed '$(cat "$T/out")', not the new pmtr's version"
ok "pmtrctl reexec waits for the new pmtr and prints its version: $(cat "$T/out")"
assert_log "pmtr: re-executed, 5 jobs taken over" "the new image takes over every job"
kill -0 "$PMTR_PID" 2>/dev/null || fail "pmtr is gone after the reexec"
[ "$(status_of steady | awk '{print $3}')" = "$STEADY" ] || fail "job steady has another pid after the reexec"
[ "$(status_of counter | awk '{print $3}')" = "$COUNTER" ] || fail "job counter has another pid after the reexec"
[ "$(status_of steady | awk '{print $5}')" = "$restarts_before" ] || fail "job steady's restarts changed"
grep -qx sleep "/proc/$STEADY/comm" || fail "job steady's process is not the same sleep"
ok "jobs keep their pids and counters, and were not signalled"
# the counter writes 50 lines a second: its ring keeps the last few hundred
run_cmd 10 "$PMTRCTL" -s "$SOCK" logs -n 300 counter
grep -F -x -f "$T/logs.before" "$T/out" | cmp -s - "$T/logs.before" ||
	fail "pmtrctl logs after the reexec lacks the lines it showed before: $(cat "$T/logs.before")"
ok "pmtrctl logs shows after the reexec the lines it showed before"

# The UDP control socket is handed over, not opened again.
[ "$(log_count "udp: listening on")" = 1 ] || fail "the UDP socket was opened again by the new image"
printf 'enable spare' >/dev/udp/127.0.0.1/"$UPORT"
wait_job spare 5
ok "the UDP control socket carries on: a datagram after the reexec enables a job"
nofile() { awk '/^Max open files/ {print $4}' "/proc/$1/limits"; }
[ "$(nofile "$STEADY")" = 1000 ] || fail "job steady has the open-file limit '$(nofile "$STEADY")', not 1000"
[ "$(nofile "$JOB_PID")" = 1000 ] ||
	fail "job spare, started after the reexec, has the open-file limit '$(nofile "$JOB_PID")', not 1000"
ok "a job started after the reexec gets pmtr's first open-file limit back, as before"

# The job in its 3 s restart delay starts again on time, not at once, not late:
# each run writes the time it started.
wait_for_log_count "started job later \[" 2 8
wait_until 5 "job later's second run to write its time" eval '[ "$(wc -l <"$T/later.times")" -ge 2 ]'
late=$(awk 'NR == 1 {a = $1} NR == 2 {print $1 - a}' "$T/later.times")
[ "$late" -ge 2900 ] && [ "$late" -le 4500 ] || fail "job later restarted after $late ms, not about 3000"
ok "a job in its restart delay across the reexec restarts on time ($late ms)"

# Ten reexecs in a row while job crash exits every 100 ms, a client asks for the
# status and the logs all along (none of its requests is refused or lost), and
# another follows job counter's output.
(
	fails=0
	for _ in $(seq 40); do
		timeout 10 "$PMTRCTL" -s "$SOCK" status >/dev/null 2>>"$T/status.err" || fails=$((fails + 1))
		timeout 10 "$PMTRCTL" -s "$SOCK" logs -n 1 counter >/dev/null 2>>"$T/status.err" ||
			fails=$((fails + 1))
	done
	echo "$fails" >"$T/status.fails"
) &
ASKER=$!
"$PMTRCTL" -s "$SOCK" logs -f -n 0 counter >"$T/follow.out" 2>"$T/follow.err" &
FOLLOWER=$!
EXTRA_PIDS+=("$ASKER" "$FOLLOWER")
wait_until 5 "pmtrctl logs -f to show a line" test -s "$T/follow.out"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	reexec 0
done
wait "$ASKER"
[ "$(cat "$T/status.fails")" = 0 ] || fail "$(cat "$T/status.fails") status and logs requests failed during the reexecs: $(head -n 3 "$T/status.err")"
n=$(wc -l <"$T/follow.out")
wait_until 5 "pmtrctl logs -f to go on after the reexecs" eval '[ "$(wc -l <"$T/follow.out")" -gt "$n" ]'
kill -INT "$FOLLOWER"
wait_until 5 "pmtrctl logs -f to end on SIGINT" eval '! kill -0 "$FOLLOWER" 2>/dev/null'
wait "$FOLLOWER" || fail "pmtrctl logs -f: exit status $?: $(cat "$T/follow.err")"
gaps=$(sed -n 's/.* counter\[[0-9]*\]: n=\([0-9]*\)$/\1/p' "$T/follow.out" |
	awk 'NR == 1 {prev = $1; next} $1 != prev + 1 {print "after " prev ": " $1; exit} {prev = $1}')
[ -z "$gaps" ] || fail "pmtrctl logs -f across the reexecs lost or repeated a line: $gaps"
[ ! -s "$T/follow.err" ] || fail "pmtrctl logs -f complained: $(cat "$T/follow.err")"
ok "pmtrctl logs -f follows on across ten reexecs: $(wc -l <"$T/follow.out") lines, none lost or shown twice"
kill -0 "$PMTR_PID" 2>/dev/null || fail "pmtr is gone after ten reexecs"
[ "$(status_of steady | awk '{print $3}')" = "$STEADY" ] || fail "job steady has another pid after ten reexecs"
n=$(log_count "started job crash \[")
wait_for_log_count "started job crash \[" $((n + 3)) 10
[ "$(log_count "re-executed, 5 jobs taken over")" = 11 ] || fail "not every reexec took the five jobs over"
ok "ten reexecs under a crash-looping job: pmtr and every job carry on, status asked meanwhile always answered"

# Job output: every number once, in order, across the eleven reexecs (and the
# line that was half written at the last one, ended since).
m=$(log_lines)
wait_for_log_since "$m" "counter\[$COUNTER\]: n=" 5
seq_ok=$(sed -n "s/.*counter\[$COUNTER\]: n=\([0-9]*\)\$/\1/p" "$LOG" |
	awk 'NR == 1 {prev = $1; next} $1 != prev + 1 {print "after " prev ": " $1; exit} {prev = $1}')
[ -z "$seq_ok" ] || fail "job counter's lines were lost or repeated: $seq_ok"
[ "$(grep -c "counter\[$COUNTER\]: n=" "$LOG")" -gt 20 ] || fail "too few lines of job counter were logged"
ok "job output continues across reexecs: no line lost or logged twice"

# A stop in progress goes on in the new image: its SIGKILL comes on time.
printf 'job {\n  name stubborn\n  cmd /bin/sh -c "trap \\"\\" TERM; while :; do sleep 0.1; done"\n  stop timeout 2s\n}\n' >>"$CONF"
wait_job stubborn 5
STUBBORN=$JOB_PID
run_cmd 10 "$PMTRCTL" -s "$SOCK" stop stubborn
[ "$RC" = 0 ] || fail "pmtrctl stop stubborn: exit $RC"
t0=$(now_ms)
reexec 0
[ "$(status_of stubborn | awk '{print $2}')" = stopping ] || fail "job stubborn is not stopping after the reexec: $(status_of stubborn)"
wait_for_pid_gone "$STUBBORN" 6
took=$(($(now_ms) - t0))
[ "$took" -ge 1500 ] || fail "job stubborn went after $took ms: before its stop timeout"
assert_log "job stubborn \[$STUBBORN\] exited after .*: signal SIGKILL" "the new image sends SIGKILL at the old image's deadline"
ok "a stop in progress across the reexec: SIGKILL at its deadline ($took ms after the stop)"
m=$(log_lines)
head -n -5 "$CONF" >"$T/trim.conf" && mv "$T/trim.conf" "$CONF"
wait_for_log_since "$m" "$CONF: 5 jobs" 5

# A file that does not parse at the reexec: the jobs run on as handed over.
cp "$CONF" "$T/good.conf"
m=$(log_lines)
echo "job {" >>"$CONF"
wait_for_log_since "$m" "invalid, keeping the running configuration" 5
reexec 0
wait_for_log_since "$m" "invalid, keeping the jobs as they run" 5
[ "$(status_of steady | awk '{print $3}')" = "$STEADY" ] || fail "job steady has another pid after a reexec with a bad file"
m=$(log_lines)
cp "$T/good.conf" "$T/new.conf" && mv "$T/new.conf" "$CONF"
wait_for_log_since "$m" "$CONF: 5 jobs" 5
[ "$(status_of steady | awk '{print $3}')" = "$STEADY" ] || fail "job steady was restarted by the good file after the reexec"
ok "a file that does not parse at the reexec: the jobs run on, the next good file applies"

# A binary that is gone: the old pmtr runs on and says why. A job still on its way
# to exec (its output is a FIFO nobody reads yet) gets there afterwards, and pmtr
# lets go of what it prepared for that start as usual.
mkfifo "$T/fifo" || fail "mkfifo"
printf 'job {\n  name held\n  cmd /bin/sleep 300\n  out %s\n}\n' "$T/fifo" >>"$CONF"
wait_job held 5
HELD=$JOB_PID
mv "$PMTR" "$PMTR.gone"
reexec 4
grep -q "exec .*: No such file or directory" "$T/err" || fail "pmtrctl did not say why: $(cat "$T/err")"
kill -0 "$PMTR_PID" 2>/dev/null || fail "pmtr is gone after a failed reexec"
run_cmd 10 "$PMTRCTL" -s "$SOCK" status steady
[ "$RC" = 0 ] && grep -q " $STEADY " "$T/out" || fail "pmtr does not answer with its jobs after a failed reexec"
assert_log "re-exec failed, running on" "pmtr logs the failed reexec"
ok "a missing binary: pmtrctl exits 4 with the reason, the old pmtr runs on"
exec 7<>"$T/fifo"
wait_until 10 "job held [$HELD] to exec once its FIFO has a reader" grep -qx sleep "/proc/$HELD/comm"
# pmtr lets go of the start at the turn of its loop after the exec: after this request
run_cmd 10 "$PMTRCTL" -s "$SOCK" status held
kill -0 "$PMTR_PID" 2>/dev/null || fail "pmtr is gone after a job held across a failed reexec exec'd"
run_cmd 10 "$PMTRCTL" -s "$SOCK" status held
[ "$RC" = 0 ] && grep -q " $HELD " "$T/out" || fail "pmtr does not answer after a job held across a failed reexec exec'd"
ok "a job on its way to exec across a failed reexec gets there, pmtr runs on"
exec 7>&-
m=$(log_lines)
head -n -5 "$CONF" >"$T/trim.conf" && mv "$T/trim.conf" "$CONF"
wait_for_log_since "$m" "$CONF: 5 jobs" 5
mv "$PMTR.gone" "$PMTR"
stop_pmtr TERM 10
assert_no_marked "after the reexecs and a stop, nothing left"

# Under systemd: RELOADING=1 before the exec, READY=1 after. A job that becomes
# ready only after the reexec tells the notify socket the old image opened.
RECV=$(helper notify-recv) || fail "no notify-recv helper"
SEND=$(helper notify-send) || fail "no notify-send helper"
"$RECV" "$T/sd.sock" >"$T/sd.out" 2>"$T/sd.err" &
EXTRA_PIDS+=($!)
wait_until 3 "notify-recv to listen" grep -q listening "$T/sd.err"
cat >"$T/sd.conf" <<EOF
job {
  name late-ready
  cmd $SEND -d 3000 -w 300000 READY=1
  ready notify
  ready timeout 30s
}
EOF
PMTR_LAUNCH=(env --default-signal NOTIFY_SOCKET="$T/sd.sock")
start_pmtr_raw -F -c "$T/sd.conf" -s "$SOCK"
PMTR_LAUNCH=(env --default-signal)
wait_job late-ready
reexec 0
wait_for_log "job late-ready \[$JOB_PID\] is ready" 10
grep -q "re-executed" "$LOG" && [ "$(grep -n "re-executed" "$LOG" | cut -d: -f1)" -lt "$(grep -n "late-ready .* is ready" "$LOG" | cut -d: -f1)" ] ||
	fail "job late-ready was ready before the reexec: the test did not test the hand-over"
ok "a job that is starting across the reexec gets ready through the socket the old image opened"
wait_until 10 "READY=1 after RELOADING=1" eval '[ "$(grep -x -e RELOADING=1 -e READY=1 "$T/sd.out" | tr "\n" " ")" = "RELOADING=1 READY=1 " ]'
ok "under systemd: RELOADING=1 before the exec, READY=1 once the new image's jobs are ready"
stop_pmtr TERM 10

# As process 1 of a PID namespace (the way tests/pid1.sh runs it).
if [ "$(id -u)" = 0 ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
	PMTR_LAUNCH=(unshare --pid --fork --mount-proc --kill-child env --default-signal)
	start_pmtr_raw -F -c "$CONF" -s "$SOCK"
	wait_for_log "pmtr\[1\]: started job steady \[" 5
	P1=$(children_of "$PMTR_PID" | head -n 1)
	first=$(job_pid steady)
	reexec 0
	assert_log "pmtr\[1\]: pmtr: re-executed, 5 jobs taken over" "as process 1: the new image is process 1"
	[ "$(status_of steady | awk '{print $3}')" = "$first" ] || fail "as process 1: job steady has another pid"
	ok "as process 1 in a PID namespace: reexec keeps the jobs"
	kill -TERM "$P1"
	wait_pmtr_exit 10
	PMTR_LAUNCH=(env --default-signal)
	assert_no_marked "as process 1: nothing left"
else
	say "SKIP - as process 1: unshare --pid is not permitted here"
fi
