#!/bin/bash
# reload_settings.sh: a save that changes only stop signal, stop timeout, restart delay, bounce every or order applies them to the running job without a restart, pending timers measured again; a process setting (env) restarts it. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# deaf.sh: ignores SIGTERM, so only SIGKILL after the stop timeout ends it.
script deaf.sh <<'EOF'
#!/bin/sh
trap '' TERM
exec /bin/sleep 300
EOF
# stamp.sh NAME: records each start time (ns) in $T/NAME.starts.
script stamp.sh <<EOF
#!/bin/sh
date +%s%N >>$T/\$1.starts
exec /bin/sleep 300
EOF
# flop.sh: fails on its first run, then runs.
script flop.sh <<EOF
#!/bin/sh
[ -e $T/flop.ran ] && exec /bin/sleep 300
: >$T/flop.ran
exit 1
EOF

# gen STEP: the configuration at each step.
#   1: initial; 2: supervision settings changed; 3: deaf removed;
#   4: env of s changed; 5: bounce every added to bb.
gen() {
	local step=$1
	echo "# step $step"
	echo "job {"
	echo "  name s"
	echo "  cmd /bin/sleep 300"
	if [ "$step" -ge 4 ]; then echo "  env V=2"; else echo "  env V=1"; fi
	if [ "$step" -ge 2 ]; then
		printf '  stop timeout 5\n  restart delay 3\n  stop signal INT\n  bounce every 10m\n  order 2\n'
	else
		printf '  stop timeout 2\n  restart delay 2\n  order 1\n'
	fi
	echo "}"
	if [ "$step" -lt 3 ]; then
		echo "job {"
		echo "  name deaf"
		echo "  cmd $T/deaf.sh"
		if [ "$step" -ge 2 ]; then echo "  stop timeout 1"; else echo "  stop timeout 20"; fi
		echo "}"
	fi
	echo "job {"
	echo "  name flop"
	echo "  cmd $T/flop.sh"
	if [ "$step" -ge 2 ]; then echo "  restart delay 1"; else echo "  restart delay 30"; fi
	echo "}"
	echo "job {"
	echo "  name bb"
	echo "  cmd $T/stamp.sh bb"
	[ "$step" -ge 5 ] && echo "  bounce every $BOUNCE"
	echo "}"
}
save() { gen "$1" >"$T/next"; cat "$T/next" >"$CONF"; }

# expect_same NAME PID: job NAME still runs under PID and was not started again.
expect_same() {
	[ "$(job_pid "$1")" = "$2" ] || fail "job $1 was restarted ($2 -> $(job_pid "$1"))"
	pid_running "$2" || fail "job $1 [$2] is no longer running"
}

gen 1 >"$CONF"
start_pmtr
wait_job s
S=$JOB_PID
wait_job deaf
D=$JOB_PID
wait_job bb
B=$JOB_PID
wait_for_log "job flop \[[0-9]*\] exited after"
wait_for_log "job flop restarts in 30 sec\$"
wait_until 3 "job deaf to exec sleep" grep -qx sleep /proc/"$D"/comm
wait_until 3 "job s to exec sleep" grep -qx sleep /proc/"$S"/comm

# ---- supervision settings only: applied in place
m=$(log_lines)
t0=$(now_ms)
save 2
wait_for_log_since "$m" "$CONF: 4 jobs; [1-4] changed live\$" 2
line=$(tail -n +"$((m + 1))" "$LOG" | grep -m1 "job s \[$S\]: applied ")
[ -n "$line" ] || fail "no 'job s [$S]: applied ...' line"
for what in "stop signal SIGINT" "stop timeout 5 sec" "restart delay 3 sec" "bounce every 10 min" "order 2"; do
	case $line in
	*"$what"*) ;;
	*) fail "'$what' is not in the log line: $line" ;;
	esac
done
ok "log: $line"
assert_log "job deaf \[$D\]: applied stop timeout 1 sec\$"
assert_log "job flop: applied restart delay 1 sec\$"
expect_same s "$S"
expect_same deaf "$D"
expect_same bb "$B"
assert_no_log_since "$m" "stopping job" "a save of supervision settings stops nothing"
ok "supervision settings applied without a restart"

# the job waiting out its restart delay of 30 s: measured again with 1 s
wait_for_log_since "$m" "started job flop \[" 2.5
el=$(($(now_ms) - t0))
ok "job flop in a 30 s restart delay lowered to 1 s started again $el ms after the save"

# the new stop timeout is the one used: 1 s, not 20 s
m=$(log_lines)
t0=$(now_ms)
save 3
wait_for_log_since "$m" "stopping job deaf \[$D\]\$" 2
wait_for_log_since "$m" "job deaf \[$D\] still running after 1 sec: sending SIGKILL\$" 3
wait_for_pid_gone "$D" 2
ok "the stop timeout lowered from 20 s to 1 s is the one used ($(($(now_ms) - t0)) ms to kill)"
expect_same s "$S"

# ---- a process setting (env) restarts the job, stopped with its new stop signal
m=$(log_lines)
save 4
wait_for_log_since "$m" "stopping job s \[$S\] with SIGINT: its env changed\$" 2
wait_for_log_since "$m" "job s \[$S\] exited after [0-9]* sec: signal SIGINT\$" 3
wait_new_pid s "$S" 3
S2=$JOB_PID
wait_until 3 "job s [$S2] to exec sleep" grep -qx sleep /proc/"$S2"/comm
has_env "$S2" V=2 || fail "restarted job s [$S2] does not have V=2"
ok "env changed: job s restarted ($S -> $S2) with V=2, stopped with its applied stop signal SIGINT"
expect_same bb "$B"

# ---- bounce every added to a running job: counted from the job's start
read -r st <"$T/bb.starts"
st=$((st / 1000000))
# let bb run 2 s at least, so that its start and the save are told apart
ran_2s() { [ $(($(now_ms) - st)) -ge 2000 ]; }
wait_until 5 "job bb to run 2 s" ran_2s
ran=$(($(now_ms) - st))
BOUNCE=$((ran / 1000 + 2))
m=$(log_lines)
t0=$(now_ms)
save 5
wait_for_log_since "$m" "job bb \[$B\]: applied bounce every $BOUNCE sec\$" 2
expect_same bb "$B"
wait_for_log_since "$m" "bouncing job bb \[$B\]" $((BOUNCE + 2))
t1=$(now_ms)
from_start=$((t1 - st))
from_save=$((t1 - t0))
[ "$from_start" -ge $((BOUNCE * 1000 - 500)) ] || fail "job bb bounced $from_start ms after its start, before its bounce every $BOUNCE s"
[ "$from_save" -le $((BOUNCE * 1000 - 700)) ] ||
	fail "job bb bounced $from_save ms after the save, $from_start ms after its start: bounce every $BOUNCE s not counted from its start"
wait_new_pid bb "$B" 2
ok "bounce every $BOUNCE added to a job running $ran ms: bounced $from_start ms after its start ($from_save ms after the save)"
expect_same s "$S2"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
