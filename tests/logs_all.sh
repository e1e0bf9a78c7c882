#!/bin/bash
# logs_all.sh: pmtrctl logs without a job shows every job's lines in time order (with -f, of jobs added later too), logs --pmtr shows pmtr's own lines, and status says when a job waiting to restart starts again. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
SOCK=$T/ctl.sock
ctl() { run_cmd 15 "$PMTRCTL" -s "$SOCK" "$@"; }
STAMP='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{3\}'

script tick.sh <<'EOF'
#!/bin/sh
# $1: the word; a numbered line every 50 ms
i=1
while :; do echo "$1 $i"; i=$((i + 1)); /bin/sleep 0.05; done
EOF

cat >"$CONF" <<EOF
job {
  name ping
  cmd $T/tick.sh ping
}
job {
  name pong
  cmd $T/tick.sh pong
}
job {
  name slow
  cmd /bin/sh -c "exit 3"
  restart delay 30
}
EOF
before_start=$(date +%s)
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_for_log "job slow restarts in 30 sec"
after_exit=$(date +%s)
wait_for_log "ping\[[0-9]*\]: ping 10\$"
wait_for_log "pong\[[0-9]*\]: pong 10\$"

# ---- when a job waiting to restart starts again
COLUMNS=200 ctl status
after_status=$(date +%s)
[ "$RC" = 0 ] || fail "status: exit status $RC: $(cat "$T/err")"
in=$(sed -n 's/^slow  *waiting to restart (in \([0-9]*\)s) .*/\1/p' "$T/out")
[ -n "$in" ] || fail "status: slow should be \"waiting to restart (in Ns)\": $(cat "$T/out")"
# it exited at before_start or later, and restarts 30 s after (rounded up)
[ "$in" -le 30 ] && [ "$in" -ge $((30 - (after_status - before_start) - 1)) ] ||
	fail "status: slow restarts in ${in}s, expected 30 s after its exit (started at $before_start, asked at $after_status)"
grep -q '^ping  *running  ' "$T/out" || fail "status: a running job says no more than running: $(cat "$T/out")"
ok "status: a job waiting to restart says when (in ${in}s)"
COLUMNS=60 ctl status slow ping
[ "$RC" = 0 ] || fail "status: exit status $RC: $(cat "$T/err")"
grep -q '^slow  *restart in [0-9]*s  ' "$T/out" ||
	fail "status on 60 columns: slow should be \"restart in Ns\": $(cat "$T/out")"
ok "status: in a table too wide for its terminal, \"restart in Ns\""

ctl status --json slow ping
[ "$RC" = 0 ] || fail "status --json: exit status $RC"
at=$(sed -n 's/.*"name":"slow".*"restart_at":\([0-9]*\).*/\1/p' "$T/out")
[ -n "$at" ] && [ "$at" -ge $((before_start + 30)) ] && [ "$at" -le $((after_exit + 31)) ] ||
	fail "status --json: restart_at \"$at\" of slow should be from $((before_start + 30)) to $((after_exit + 31)): $(cat "$T/out")"
grep -q '"name":"ping".*"restart_at":null' "$T/out" ||
	fail "status --json: a running job's restart_at should be null: $(cat "$T/out")"
ok "status --json: restart_at is the Unix time of the restart, null for a job not waiting"

# ---- logs without a job: every job's lines, in time order
ctl logs -n 10
[ "$RC" = 0 ] || fail "logs without a job: exit status $RC: $(cat "$T/err")"
[ "$(grep -c " ping\[[0-9]*\]: ping [0-9]*\$" "$T/out")" = 10 ] &&
	[ "$(grep -c " pong\[[0-9]*\]: pong [0-9]*\$" "$T/out")" = 10 ] ||
	fail "logs -n 10 without a job: 10 lines of ping and 10 of pong expected: $(cat "$T/out")"
grep -v "^$STAMP \(ping\|pong\)\[[0-9]*\]: " "$T/out" && fail "logs without a job: lines of no job expected"
cut -c1-23 "$T/out" | sort -c 2>/dev/null || fail "logs without a job: not in time order: $(cat "$T/out")"
# interleaved: the jobs alternate, not one job's lines then the other's
changes=$(sed 's/.* \(p[io]ng\)\[.*/\1/' "$T/out" | uniq | wc -l)
[ "$changes" -ge 3 ] || fail "logs without a job: the two jobs' lines are not interleaved: $(cat "$T/out")"
ok "logs without a job: every job's last lines, interleaved in time order"

# ---- pmtr's own lines
ctl logs --pmtr
[ "$RC" = 0 ] || fail "logs --pmtr: exit status $RC: $(cat "$T/err")"
grep -q "^$STAMP pmtr\[$PMTR_PID\]: started job ping \[[0-9]*\]\$" "$T/out" ||
	fail "logs --pmtr: \"started job ping\" expected, as pmtr[PID]: $(cat "$T/out")"
grep -q "^$STAMP pmtr\[$PMTR_PID\]: job slow restarts in 30 sec\$" "$T/out" ||
	fail "logs --pmtr: \"job slow restarts in 30 sec\" expected: $(cat "$T/out")"
grep -q "ping\[" "$T/out" && fail "logs --pmtr: no job's lines expected: $(cat "$T/out")"
ctl logs -n 1 --pmtr ping
[ "$RC" = 0 ] && [ "$(wc -l <"$T/out")" = 2 ] && grep -q " pmtr\[$PMTR_PID\]: " "$T/out" &&
	grep -q " ping\[[0-9]*\]: ping " "$T/out" ||
	fail "logs -n 1 --pmtr ping: the last line of each expected: $(cat "$T/out")"
ok "logs --pmtr: pmtr's own lines (started job ...), alone or beside a job's"

"$PMTRCTL" -s "$SOCK" logs -f -n 0 --pmtr >"$T/own.out" 2>"$T/own.err" &
F=$!
EXTRA_PIDS+=("$F")
# it is connected once a control line of its own time can reach it: ask again
# until the SIGHUP's line, sent after it started, shows
wait_until 10 "logs -f --pmtr to show \"SIGHUP: reading\"" \
	eval 'kill -HUP $PMTR_PID; grep -q "pmtr\[$PMTR_PID\]: pmtr: SIGHUP: reading " "$T/own.out"'
kill -INT "$F"
wait_until 3 "the follower to end on SIGINT" eval '! pid_running $F'
wait "$F"
rc=$?
[ "$rc" = 0 ] || fail "logs -f --pmtr ended by SIGINT: exit status $rc: $(cat "$T/own.err")"
grep -q "ping\[" "$T/own.out" && fail "logs -f --pmtr: no job's lines expected: $(cat "$T/own.out")"
ok "logs -f --pmtr: follows pmtr's new lines"

# ---- logs -f without a job: jobs added later are followed too
"$PMTRCTL" -s "$SOCK" logs -f -n 0 >"$T/all.out" 2>"$T/all.err" &
F=$!
EXTRA_PIDS+=("$F")
wait_until 5 "the follower of every job to show ping" grep -q " ping\[[0-9]*\]: ping " "$T/all.out"
cat >>"$CONF" <<EOF
job {
  name late
  cmd $T/tick.sh late
}
EOF
wait_until 10 "the follower of every job to show the job added later" \
	grep -q "^$STAMP late\[[0-9]*\]: late 1\$" "$T/all.out"
pid_running "$F" || fail "logs -f without a job ended: $(cat "$T/all.err")"
kill -INT "$F"
wait_until 3 "the follower to end on SIGINT" eval '! pid_running $F'
wait "$F"
rc=$?
[ "$rc" = 0 ] || fail "logs -f without a job ended by SIGINT: exit status $rc: $(cat "$T/all.err")"
grep -q " pong\[[0-9]*\]: pong " "$T/all.out" || fail "logs -f without a job: pong expected: $(cat "$T/all.out")"
awk '/ late\[/ { n = $NF; if (p && n != p + 1) exit 1; p = n }' "$T/all.out" ||
	fail "logs -f: the job added later skipped or repeated a line: $(grep late "$T/all.out")"
ok "logs -f without a job: every job, and a job added later from its first line"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
exit 0
