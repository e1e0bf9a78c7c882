#!/bin/bash
# stop_signal.sh: "stop signal" (name, SIG name, any case, number; TERM by default) is what every stop sends first: on removal, on pmtrctl stop, at shutdown; SIGKILL after the stop timeout when ignored. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
SOCK=$T/ctl.sock

# catch.sh SIG: ends with status 0 on SIG only. It ignores SIGTERM (and so does its
# child), so a job of it stopped by the wrong signal runs on to its 20 s stop timeout.
# The child ignores SIG too (so that it does not die of it, SIGQUIT dumping core).
script catch.sh <<'EOF'
#!/bin/sh
sig=$1
trap '' TERM "$sig"
/bin/sleep 300 &
child=$!
trap 'echo got $sig; kill -KILL $child; exit 0' "$sig"
echo ready
while :; do wait; done
EOF
# deaf.sh: ignores SIGQUIT and SIGTERM (its exec'd sleep inherits that).
script deaf.sh <<'EOF'
#!/bin/sh
trap '' QUIT TERM
exec /bin/sleep 300
EOF

# A job NAME running catch.sh SIG with "stop signal SPELLING" and a long stop timeout.
catcher() {
	cat <<EOF
job {
  name $1
  cmd $T/catch.sh $2
  stop signal $3
  stop timeout 20
}
EOF
}
base_conf() {
	catcher hupn HUP 1
	catcher quitd QUIT Quit
	cat <<EOF
job {
  name plain
  cmd /bin/sleep 300
}
job {
  name termx
  cmd /bin/sleep 300
  stop signal SIGTERM
}
EOF
}

# wait_ready NAME: job NAME started and its trap is set; sets JOB_PID.
wait_ready() {
	wait_job "$1"
	wait_for_log "$1\[$JOB_PID\]: ready"
}

# expect_caught NAME PID SIG: stopped with "with SIGSIG", the job caught it and
# exited 0 by itself: no SIGKILL.
expect_caught() {
	wait_for_log "stopping job $1 \[$2\] with SIG$3\$" 3
	wait_for_log "$1\[$2\]: got $3\$" 3
	wait_for_log "job $1 \[$2\] exited after [0-9]* sec: exit status 0\$" 3
	wait_for_pid_gone "$2" 2
	assert_no_log "job $1 \[$2\] still running" "job $1 was not sent SIGKILL"
}

# ---- configuration check: spellings accepted, a bad one refused
{
	base_conf
	catcher qa QUIT QUIT
	catcher qb QUIT sigquit
	catcher qc QUIT SIGQUIT
	catcher qn QUIT 3
} >"$CONF"
run_cmd 5 "$PMTR" -t -c "$CONF"
[ "$RC" = 0 ] || fail "pmtr -t on stop signal 1, Quit, QUIT, sigquit, SIGQUIT, 3, SIGTERM: exit $RC: $(cat "$T/err")"
ok "stop signal accepts a name, SIG name, any case, a number"
printf 'job {\n  name bad\n  cmd /bin/sleep 300\n  stop signal SIGFOO\n}\n' >"$T/bad.conf"
run_cmd 5 "$PMTR" -t -c "$T/bad.conf"
[ "$RC" = 1 ] || fail "pmtr -t on stop signal SIGFOO: exit $RC, expected 1"
grep -q "$T/bad.conf:4: .*SIGFOO" "$T/out" "$T/err" || fail "no FILE:4 error naming SIGFOO: $(cat "$T/out" "$T/err")"
ok "an unknown stop signal is an error at its line"

# ---- removal from the file: each spelling sends SIGQUIT, not SIGTERM
{
	base_conf
	catcher qa QUIT QUIT
	catcher qb QUIT sigquit
	catcher qc QUIT SIGQUIT
	catcher qn QUIT 3
	cat <<EOF
job {
  name deaf
  cmd $T/deaf.sh
  stop signal QUIT
  stop timeout 1
}
EOF
} >"$CONF"
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
declare -A P
for j in hupn quitd qa qb qc qn; do
	wait_ready "$j"
	P[$j]=$JOB_PID
done
for j in plain termx deaf; do
	wait_job "$j"
	P[$j]=$JOB_PID
done
wait_until 3 "job deaf to exec sleep" grep -qx sleep /proc/"${P[deaf]}"/comm

t0=$(now_ms)
{
	base_conf
	catcher qc QUIT SIGQUIT
} >"$CONF"
for j in qa qb qn; do expect_caught "$j" "${P[$j]}" QUIT; done
el=$(($(now_ms) - t0))
[ "$el" -le 5000 ] || fail "the removed jobs took $el ms to end: not reached by their stop signal"
ok "removed jobs with stop signal QUIT, sigquit, 3 got SIGQUIT and exited 0 at once ($el ms, stop timeout 20 s)"
wait_for_log "stopping job deaf \[${P[deaf]}\] with SIGQUIT\$" 1
wait_for_log "job deaf \[${P[deaf]}\] still running after 1 sec: sending SIGKILL\$" 3
wait_for_log "job deaf \[${P[deaf]}\] exited after [0-9]* sec: signal SIGKILL\$" 2
ok "a removed job that ignores its stop signal gets SIGKILL after its stop timeout"
for j in hupn quitd qc plain termx; do
	if [ "$(job_pid "$j")" != "${P[$j]}" ] || ! pid_running "${P[$j]}"; then
		fail "job $j [${P[$j]}] was touched by the removal of others"
	fi
done

# ---- pmtrctl stop sends the stop signal too
run_cmd 10 "$PMTRCTL" -s "$SOCK" stop qc
[ "$RC" = 0 ] || fail "pmtrctl stop qc: exit $RC: $(cat "$T/err")"
expect_caught qc "${P[qc]}" QUIT
ok "pmtrctl stop: the job got its stop signal SIGQUIT and exited 0"
run_cmd 10 "$PMTRCTL" -s "$SOCK" stop plain
[ "$RC" = 0 ] || fail "pmtrctl stop plain: exit $RC: $(cat "$T/err")"
wait_for_log "job plain \[${P[plain]}\] exited after [0-9]* sec: signal SIGTERM\$" 3
assert_log "stopping job plain \[${P[plain]}\]\$" "default stop signal: 'stopping job plain [${P[plain]}]', no 'with'"

# ---- shutdown: each job gets its own stop signal
t0=$(now_ms)
kill -TERM "$PMTR_PID"
wait_pmtr_exit 8
el=$(($(now_ms) - t0))
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
expect_caught quitd "${P[quitd]}" QUIT
expect_caught hupn "${P[hupn]}" HUP
assert_log "stopping job termx \[${P[termx]}\]\$" "stop signal SIGTERM: 'stopping job termx [${P[termx]}]', no 'with'"
assert_log "job termx \[${P[termx]}\] exited after [0-9]* sec: signal SIGTERM\$" "stop signal SIGTERM sends SIGTERM"
[ "$el" -le 5000 ] || fail "shutdown took $el ms: the jobs were not reached by their stop signal"
ok "shutdown: stop signal Quit and 1 sent SIGQUIT and SIGHUP, the jobs exited 0; pmtr exited 0 in $el ms"
[ "$(log_count "sending SIGKILL")" = 1 ] || fail "SIGKILL sent $(log_count "sending SIGKILL") times, expected once (job deaf)"
ok "SIGKILL was sent only to the job that ignored its stop signal"
assert_no_marked
exit 0
