#!/bin/bash
# logs.sh: pmtrctl logs shows each job's last lines in time order, -f follows them until Ctrl-C or the job's removal, and a slow follower never holds pmtr up. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
SOCK=$T/ctl.sock
ctl() { run_cmd 15 "$PMTRCTL" -s "$SOCK" "$@"; }
lines_at_least() { [ "$(wc -l <"$1")" -ge "$2" ]; }
STAMP='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{3\}'

script count.sh <<'EOF'
#!/bin/sh
i=1
while [ $i -le 50 ]; do echo "line $i"; i=$((i + 1)); done
printf 'bin\001ary\n'
exec /bin/sleep 300
EOF
script tick.sh <<'EOF'
#!/bin/sh
# $1: the word; a line every 50 ms, and a last word when stopped.
trap 'echo "$1 bye"; exit 0' TERM
i=1
while :; do echo "$1 $i"; i=$((i + 1)); /bin/sleep 0.05; done
EOF

# gen_conf [pong]: the jobs, with pong or without
gen_conf() {
	cat <<EOF
job {
  name count
  cmd $T/count.sh
}
job {
  name quiet
  cmd /bin/sleep 300
}
job {
  name filed
  cmd /bin/sh -c "echo to-file; exec /bin/sleep 300"
  out $T/filed.out
}
job {
  name ping
  cmd $T/tick.sh ping
}
EOF
	[ -n "${1:-}" ] && printf 'job {\n  name pong\n  cmd %s\n}\n' "$T/tick.sh pong"
	return 0
}
gen_conf pong >"$CONF"
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_job count
COUNT=$JOB_PID
wait_for_log "count\[$COUNT\]: bin"
wait_for_log "pong\[[0-9]*\]: pong 3\$"

# ---- the last lines, as the log shows them
ctl logs count
[ "$RC" = 0 ] || fail "logs count: exit status $RC: $(cat "$T/err")"
[ "$(wc -l <"$T/out")" = 20 ] || fail "logs count: expected 20 lines, got $(wc -l <"$T/out"): $(cat "$T/out")"
head -n 1 "$T/out" | grep -q "^$STAMP count\[$COUNT\]: line 32\$" ||
	fail "logs count: first line should be line 32 with its time and pid: $(head -n 1 "$T/out")"
tail -n 1 "$T/out" | grep -q "^$STAMP count\[$COUNT\]: bin\\\\x01ary\$" ||
	fail "logs count: a binary byte shown as in the log (\\x01): $(tail -n 1 "$T/out")"
ok "logs: the last 20 lines, with time and pid, binary bytes as the log shows them"
ctl logs -n 3 count
[ "$(cut -d' ' -f3- "$T/out")" = "count[$COUNT]: line 49
count[$COUNT]: line 50
count[$COUNT]: bin\\x01ary" ] || fail "logs -n 3: $(cat "$T/out")"
ctl logs -n0 count
[ "$RC" = 0 ] && [ ! -s "$T/out" ] || fail "logs -n0: status $RC, output: $(cat "$T/out")"
ctl logs -n 500 count
[ "$(wc -l <"$T/out")" = 51 ] || fail "logs -n 500: expected the 51 lines there are, got $(wc -l <"$T/out")"
ok "logs -n N: the last N lines, or all there are"

ctl logs ping pong
[ "$RC" = 0 ] || fail "logs ping pong: exit status $RC"
grep -q " ping\[[0-9]*\]: ping [0-9]*\$" "$T/out" && grep -q " pong\[[0-9]*\]: pong [0-9]*\$" "$T/out" ||
	fail "logs ping pong: both jobs expected: $(cat "$T/out")"
cut -c1-23 "$T/out" | sort -c 2>/dev/null || fail "logs ping pong: not in time order: $(cat "$T/out")"
ok "logs of two jobs: interleaved in time order"

ctl logs quiet
[ "$RC" = 0 ] && [ ! -s "$T/out" ] || fail "logs of a silent job: status $RC, output: $(cat "$T/out")"
ctl logs filed
[ "$RC" = 0 ] || fail "logs of a job writing to a file: status $RC"
grep -q "job filed writes its standard output to $T/filed.out" "$T/err" ||
	fail "logs of a job writing to a file should say where: $(cat "$T/err")"
ok "logs: a silent job shows nothing, a job writing to a file says where (exit 0)"

ctl logs count nosuch
[ "$RC" = 3 ] || fail "logs of an unknown job: exit status $RC, expected 3"
grep -q 'no such job: "nosuch"' "$T/err" || fail "logs of an unknown job: $(cat "$T/err")"
ctl logs -n
[ "$RC" = 1 ] && grep -q -- '-n needs a number of lines' "$T/err" ||
	fail "logs -n without a number: status $RC, expected 1: $(cat "$T/err")"
ctl logs -n x count
[ "$RC" = 1 ] && grep -q 'bad number of lines "x"' "$T/err" || fail "logs -n x: status $RC: $(cat "$T/err")"
ok "logs: unknown job exit 3, bad use exit 1"

# ---- follow until Ctrl-C
"$PMTRCTL" -s "$SOCK" logs -f -n 2 ping >"$T/follow.out" 2>"$T/follow.err" &
F=$!
EXTRA_PIDS+=("$F")
wait_until 5 "the follower to show new lines" lines_at_least "$T/follow.out" 8
kill -INT "$F"
wait_until 3 "the follower to end on SIGINT" eval '! pid_running $F'
wait "$F"
rc=$?
[ "$rc" = 0 ] || fail "logs -f ended by SIGINT: exit status $rc, expected 0: $(cat "$T/follow.err")"
awk '{ n = $NF; if (NR > 1 && n != p + 1) exit 1; p = n }' "$T/follow.out" ||
	fail "logs -f skipped or repeated a line: $(cat "$T/follow.out")"
ok "logs -f: the last lines then every new one, in order; Ctrl-C ends it with status 0"

# ---- follow ends when the job leaves the configuration; its last words come first
"$PMTRCTL" -s "$SOCK" logs -f -n 0 pong >"$T/gone.out" 2>"$T/gone.err" &
F=$!
EXTRA_PIDS+=("$F")
wait_until 5 "the follower of pong to show lines" test -s "$T/gone.out"
gen_conf >"$CONF"
wait_until 10 "the follower to end when pong is removed" eval '! pid_running $F'
wait "$F"
rc=$?
[ "$rc" = 0 ] || fail "logs -f of a removed job: exit status $rc, expected 0"
tail -n 1 "$T/gone.out" | grep -q "pong\[[0-9]*\]: pong bye\$" ||
	fail "logs -f: the job's last line should come before the end: $(tail -n 3 "$T/gone.out")"
grep -q "job pong left the configuration" "$T/gone.err" || fail "logs -f: the end is not said: $(cat "$T/gone.err")"
ok "logs -f: the job's removal ends it (status 0) after its last line"

# ---- a flood: a follower that reads slowly is told what it missed, others are served
cat >>"$CONF" <<EOF
job {
  name flood
  cmd /bin/sh -c "exec yes flood-line-padded-to-be-a-little-longer-than-short"
}
EOF
wait_for_log "started job flood \["
rss() { status_field "$PMTR_PID" VmRSS | sed 's/ kB//'; }
rss_before=$(rss)
# one follower that never reads, one that reads after a pause
"$PMTRCTL" -s "$SOCK" logs -f flood 2>/dev/null | sleep 300 &
EXTRA_PIDS+=($!)
"$PMTRCTL" -s "$SOCK" logs -f -n 0 flood > >(sleep 2; exec cat >/dev/null) 2>"$T/slow.err" &
S=$!
EXTRA_PIDS+=("$S")
worst=0
for i in $(seq 10); do
	t0=$(now_ms)
	ctl status flood
	t=$(($(now_ms) - t0))
	[ "$RC" = 0 ] || fail "status during the flood: exit status $RC: $(cat "$T/err")"
	[ "$t" -gt "$worst" ] && worst=$t
	sleep 0.2
done
[ "$worst" -lt 2000 ] || fail "status took $worst ms while followers stall on a flood"
wait_until 10 "the slow follower to be told what it missed" grep -q "missed [0-9]* lines of job flood: reading too slowly" "$T/slow.err"
rss_after=$(rss)
say "pmtr's resident size: $rss_before kB before the flood, $rss_after kB after; status at worst $worst ms"
[ "$rss_after" -lt $((rss_before + 8192)) ] || fail "pmtr grew from $rss_before kB to $rss_after kB during the flood"
ok "a flood with stalled followers: status answered within $worst ms, memory bounded, missed lines counted"
kill -KILL "$S" 2>/dev/null

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
exit 0
