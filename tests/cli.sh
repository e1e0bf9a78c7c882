#!/bin/bash
# cli.sh: pmtr's command line: -V, -h, bad options, -t, -c, -Fc, -p, start-up errors, daemon mode. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

GOOD=$T/good.conf
cat >"$GOOD" <<EOF
# two jobs
job {
  name one
  cmd /bin/sleep 300
}
job {
  name two
  cmd /bin/sleep 300
  restart delay 1
}
EOF

BAD=$T/bad.conf
cat >"$BAD" <<EOF
job {
  name a
  cmd /bin/true
  bogus word
}
job {
  name b
  cmd bin/true
  nice abc
}
EOF

# ---- -V, -h, bad options ----
run_cmd 5 "$PMTR" -V
[ "$RC" = 0 ] || fail "-V: exit status $RC, expected 0"
[ "$(cat "$T/out")" = "pmtr $SOURCE_VERSION" ] || fail "-V: stdout is '$(cat "$T/out")', expected 'pmtr $SOURCE_VERSION'"
[ -s "$T/err" ] && fail "-V: unexpected stderr: $(cat "$T/err")"
ok "-V prints 'pmtr $SOURCE_VERSION' on stdout, exit 0"

run_cmd 5 "$PMTR" -h
[ "$RC" = 0 ] || fail "-h: exit status $RC, expected 0"
grep -qi usage "$T/out" || fail "-h: no usage on stdout: $(cat "$T/out")"
grep -q -- "-c" "$T/out" || fail "-h: usage does not mention -c"
[ -s "$T/err" ] && fail "-h: unexpected stderr: $(cat "$T/err")"
ok "-h prints usage on stdout, exit 0"

run_cmd 5 "$PMTR" -Z
[ "$RC" = 1 ] || fail "-Z: exit status $RC, expected 1"
grep -qi usage "$T/err" || fail "-Z: no usage on stderr: $(cat "$T/err")"
[ -s "$T/out" ] && fail "-Z: unexpected stdout: $(cat "$T/out")"
ok "bad option: usage on stderr, exit 1"

run_cmd 5 "$PMTR" -t -c "$GOOD" extra
[ "$RC" = 1 ] || fail "extra argument: exit status $RC, expected 1"
grep -qi usage "$T/err" || fail "extra argument: no usage on stderr: $(cat "$T/err")"
ok "extra argument: usage on stderr, exit 1"

run_cmd 5 "$PMTR" -t -c
[ "$RC" = 1 ] || fail "-c without argument: exit status $RC, expected 1"
ok "-c without its argument: exit 1"

# ---- -t ----
run_cmd 5 "$PMTR" -t -c "$GOOD"
[ "$RC" = 0 ] || fail "-t on a valid file: exit status $RC, expected 0; stderr: $(cat "$T/err")"
[ -s "$T/out" ] || [ -s "$T/err" ] && fail "-t on a valid file printed: $(cat "$T/out" "$T/err")"
ok "-t on a valid file: exit 0, prints nothing"

run_cmd 5 "$PMTR" -t -v -c "$GOOD"
[ "$RC" = 0 ] || fail "-t -v: exit status $RC"
cat "$T/out" "$T/err" | grep -qxF "$GOOD: 2 jobs, configuration ok" ||
	fail "-t -v: no line '$GOOD: 2 jobs, configuration ok' in: $(cat "$T/out" "$T/err")"
ok "-t -v prints 'FILE: 2 jobs, configuration ok'"

run_cmd 5 "$PMTR" -t -vv -c "$GOOD"
[ "$RC" = 0 ] || fail "-t -vv: exit status $RC"
run_cmd 5 "$PMTR" -t -v -v -v -c "$GOOD"
[ "$RC" = 0 ] || fail "-t -v -v -v: exit status $RC"
ok "-vv and -v -v -v accepted"

run_cmd 5 "$PMTR" -t -s "$T/ctl.sock" -c "$GOOD"
[ "$RC" = 0 ] || fail "-s PATH: exit status $RC; stderr: $(cat "$T/err")"
run_cmd 5 "$PMTR" -t -s none -c "$GOOD"
[ "$RC" = 0 ] || fail "-s none: exit status $RC; stderr: $(cat "$T/err")"
ok "-s PATH and -s none accepted"

cp "$BAD" "$T/bad.copy"
run_cmd 5 "$PMTR" -t -c "$BAD"
[ "$RC" = 1 ] || fail "-t on an invalid file: exit status $RC, expected 1"
for line in 4 8 9; do
	grep -q "^$BAD:$line: ." "$T/err" || fail "-t: no error '$BAD:$line: ...' on stderr; got: $(cat "$T/err")"
done
if grep -v "^$BAD:[0-9][0-9]*: ." "$T/err" | grep -q .; then
	fail "-t: stderr has lines not of the form FILE:LINE: message: $(grep -v "^$BAD:[0-9]*: " "$T/err")"
fi
[ -s "$T/out" ] && fail "-t on an invalid file printed on stdout: $(cat "$T/out")"
cmp -s "$BAD" "$T/bad.copy" || fail "-t modified the file it tested"
ok "-t on an invalid file: every error (lines 4, 8, 9) as FILE:LINE: message, exit 1"

run_cmd 5 "$PMTR" -t -c "$T/missing.conf"
[ "$RC" = 1 ] || fail "-t on a missing file: exit status $RC, expected 1"
grep -qxF "$T/missing.conf: No such file or directory" "$T/err" ||
	fail "-t on a missing file: expected '$T/missing.conf: No such file or directory', got: $(cat "$T/err")"
[ -e "$T/missing.conf" ] && fail "-t created the missing file"
ok "-t on a missing file: 'FILE: No such file or directory', exit 1, file not created"

(cd "$T" && run_cmd 5 "$PMTR" -t -c bad.conf && echo "$RC" >"$T/rc.rel")
[ "$(cat "$T/rc.rel")" = 1 ] || fail "-t -c relative: exit status $(cat "$T/rc.rel"), expected 1"
grep -q "bad.conf:4: ." "$T/err" || fail "-t -c relative: no 'bad.conf:4:' error; got: $(cat "$T/err")"
ok "-t with a relative -c path reports FILE:LINE"

# ---- invalid configuration at start-up ----
run_cmd 5 env PMTR_TEST_MARK="$T" "$PMTR" -F -c "$BAD" -s none
[ "$RC" = 1 ] || fail "start-up with an invalid file: exit status $RC, expected 1"
grep -q "^$BAD:4: ." "$T/err" || fail "start-up with an invalid file: no '$BAD:4:' on stderr; got: $(cat "$T/err")"
grep -q "$BAD:9: ." "$T/err" || fail "start-up with an invalid file: no '$BAD:9:' on stderr; got: $(cat "$T/err")"
grep -q "started job" "$T/err" && fail "start-up with an invalid file started a job"
ok "start-up (-F) with an invalid file: FILE:LINE errors, exit 1, no job started"

run_cmd 5 env PMTR_TEST_MARK="$T" "$PMTR" -c "$BAD" -s none
[ "$RC" = 1 ] || fail "start-up (background) with an invalid file: exit status $RC, expected 1"
grep -q "$BAD:4: ." "$T/err" || fail "start-up (background) with an invalid file: no '$BAD:4:' on stderr; got: $(cat "$T/err")"
ok "start-up (no -F) with an invalid file: FILE:LINE error on stderr, exit 1"

# ---- missing file without -t: created empty, pmtr idles ----
umask 022
NEW=$T/new.conf
CONF=$NEW
start_pmtr
wait_for_log "$NEW: 0 jobs"
[ -f "$NEW" ] || fail "missing configuration file was not created"
[ -s "$NEW" ] && fail "created configuration file is not empty"
mode=$(stat -c %a "$NEW")
[ "$mode" = 644 ] || fail "created configuration file has mode $mode, expected 644"
ok "missing file created empty (mode 644), pmtr starts with 0 jobs"
assert_log "^pmtr\[$PMTR_PID\]: pmtr: starting$" "log line 'pmtr[PID]: pmtr: starting'"
if grep -v "^pmtr\[$PMTR_PID\]: " "$LOG" | grep -q .; then
	fail "log lines without the 'pmtr[$PMTR_PID]: ' prefix: $(grep -v "^pmtr\[$PMTR_PID\]: " "$LOG" | head -3)"
fi
ok "every foreground log line starts with 'pmtr[PID]: '"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_log "pmtr: exiting"
ok "SIGTERM: exit 0"

# ---- -Fc FILE (the Dockerfile form) and -p PIDFILE ----
CONF=$GOOD
start_pmtr_raw -Fc "$GOOD" -s none -p "$T/pmtr.pid"
wait_job one
wait_job two
wait_for_file "$T/pmtr.pid"
wait_until 2 "pidfile $T/pmtr.pid to hold pmtr's pid $PMTR_PID" \
	grep -qx "$PMTR_PID" "$T/pmtr.pid"
ok "-Fc FILE runs the jobs; -p writes the pid"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
[ -e "$T/pmtr.pid" ] && fail "pidfile $T/pmtr.pid still there after pmtr exited"
ok "pidfile removed at exit"

# ---- background (no -F): the parent exits 0 once the configuration parsed ----
cat >"$T/daemon.conf" <<EOF
job {
  name d1
  cmd $T/d1.sh
}
EOF
cat >"$T/d1.sh" <<EOF
#!/bin/sh
echo \$\$ >$T/d1.pid.tmp && mv $T/d1.pid.tmp $T/d1.pid
exec /bin/sleep 300
EOF
chmod 755 "$T/d1.sh"
sed 's/d1/d2/g' "$T/d1.sh" >"$T/d2.sh" && chmod 755 "$T/d2.sh"
(cd "$T" && exec env PMTR_TEST_MARK="$T" "$PMTR" -c daemon.conf -s none -p "$T/daemon.pid" \
	>"$T/daemon.out" 2>&1 </dev/null) &
parent=$!
wait_until 5 "the pmtr parent process to exit" eval "! pid_running $parent"
wait "$parent"
rc=$?
[ "$rc" = 0 ] || fail "background start: parent exit status $rc, expected 0; output: $(cat "$T/daemon.out")"
ok "background start: the parent exits 0"
wait_until 5 "pidfile $T/daemon.pid" grep -q '^[0-9][0-9]*$' "$T/daemon.pid"
D=$(cat "$T/daemon.pid")
EXTRA_PIDS+=("$D")
pid_running "$D" || fail "daemon pid $D from the pidfile is not running"
[ "$D" != "$parent" ] || fail "daemon pid is the parent's pid"
[ "$(sid_of "$D")" = "$D" ] || fail "daemon $D is not a session leader (sid $(sid_of "$D"))"
[ "$(readlink /proc/"$D"/cwd)" = / ] || fail "daemon cwd is $(readlink /proc/"$D"/cwd), expected /"
for fd in 0 1 2; do
	[ "$(readlink /proc/"$D"/fd/$fd)" = /dev/null ] ||
		fail "daemon fd $fd is $(readlink /proc/"$D"/fd/$fd), expected /dev/null"
done
ok "daemon: own session, cwd /, stdio on /dev/null"
wait_for_file "$T/d1.pid"
ok "daemon runs its job"
# the relative -c path was made absolute: an edit is still seen after chdir("/")
cat >>"$T/daemon.conf" <<EOF
job {
  name d2
  cmd $T/d2.sh
}
EOF
wait_for_file "$T/d2.pid" 5
ok "daemon started with a relative -c path applies an edit of that file"
kill -TERM "$D"
wait_for_pid_gone "$D" 5
[ -e "$T/daemon.pid" ] && fail "daemon pidfile still there after it exited"
assert_no_marked "daemon left no job behind"
ok "daemon stops on SIGTERM and removes its pidfile"

exit 0
