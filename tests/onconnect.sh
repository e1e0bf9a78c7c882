#!/bin/bash
# onconnect.sh: onconnect: usage errors, concurrent clients on fd 3, the children's context, reaping, IPv6, exec failures, stop by signal. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

ONCONNECT=$(dirname "$PMTR")/onconnect
[ -x "$ONCONNECT" ] || { say "$ONCONNECT is not an executable"; exit 99; }

# onconnect is started in a hostile context that its children must not inherit:
# an extra descriptor, ignored and blocked signals (SIGCHLD ignored too, which
# onconnect must undo to reap at all).
exec 7<"$TESTS_SRCDIR/lib.sh"
OC_LAUNCH=(env --default-signal --ignore-signal=USR1,PIPE,INT,QUIT,CHLD --block-signal=USR2,WINCH)
"${OC_LAUNCH[@]}" true 2>/dev/null || OC_LAUNCH=(env)

OC=
PORT=

# start_onconnect [OPTIONS] PROGRAM [ARGS...]: run "onconnect -v -p PORT ..." in the
# background on a free port (a random one, again while it is in use), stderr to a
# fresh $LOG. Sets PORT and OC, and PMTR_PID, which lib.sh's log waits and cleanup
# watch. The test's client descriptors 5 and 6 are not passed on.
start_onconnect() {
	local try
	for _ in $(seq 20); do
		RUN=$((RUN + 1))
		LOG=$T/log.$RUN
		: >"$LOG"
		PORT=$((20000 + RANDOM % 40000))
		"${OC_LAUNCH[@]}" PMTR_TEST_MARK="$T" "$ONCONNECT" -v -p "$PORT" "$@" \
			>"$LOG" 2>&1 </dev/null 5>&- 6>&- &
		OC=$!
		PMTR_PID=$OC
		wait_until 5 "onconnect [$OC] to listen or exit" \
			eval "_log_has 'listening on' || ! pid_running $OC"
		if _log_has "listening on"; then
			say "started onconnect [$OC] on port $PORT: ${*//$'\n'/; }"
			return 0
		fi
		wait "$OC"
		PMTR_PID=
		_log_has "Address already in use" || fail "onconnect -p $PORT $* did not start"
	done
	fail "no free port found in 20 tries"
}

# connect FD HOST: open a client connection on descriptor FD (5 or 6).
connect() {
	eval "exec $1<>/dev/tcp/$2/$PORT" 2>"$T/connect.err" ||
		fail "cannot connect to $2 port $PORT: $(cat "$T/connect.err")"
}

# greeting FD: the first line the child sends, in GREETING; its pid in CHILD.
greeting() {
	GREETING=
	read -r -t 5 -u "$1" GREETING || fail "no greeting on fd $1 within 5 s (log: $(tail -n 3 "$LOG"))"
	CHILD=$(echo "$GREETING" | sed -n 's/^hello \([0-9][0-9]*\) .*/\1/p')
	[ -n "$CHILD" ] || fail "greeting '$GREETING' has no pid"
}

# A child whose shell is waiting for its cat: every redirection is undone.
in_cat() {
	local c
	for c in $(children_of "$1"); do
		[ "$(cat /proc/"$c"/comm 2>/dev/null)" = cat ] && return 0
	done
	return 1
}

# True once PID is gone entirely: exited and reaped, not a zombie.
reaped() { [ ! -e /proc/"$1" ]; }

# ---- usage errors --------------------------------------------------------------

script noexec.sh <<'EOF'
#!/bin/sh
exit 0
EOF
chmod 644 "$T/noexec.sh"

# usage_error WORD ARGS...: exit 1, one "onconnect: ..." line with WORD, the usage.
usage_error() {
	local word=$1
	shift
	run_cmd 5 "$ONCONNECT" "$@"
	[ "$RC" = 1 ] || fail "onconnect $*: exit status $RC, expected 1; stderr: $(cat "$T/err")"
	head -n 1 "$T/err" | grep -q "^onconnect: .*$word" ||
		fail "onconnect $*: first line of stderr is '$(head -n 1 "$T/err")', expected 'onconnect: ...$word...'"
	grep -q "^usage: onconnect" "$T/err" || fail "onconnect $*: no usage on stderr"
	[ -s "$T/out" ] && fail "onconnect $*: unexpected stdout: $(cat "$T/out")"
	ok "usage error: onconnect $* -> 'onconnect: ...$word...', exit 1"
}

usage_error "-p" /bin/true
usage_error "-p" -v -a 127.0.0.1 /bin/true
usage_error "port" -p 0 /bin/true
usage_error "port" -p 65536 /bin/true
usage_error "port" -p http /bin/true
usage_error "port" -p 80x /bin/true
usage_error "port" -p -1 /bin/true
usage_error "address" -a 127.0.0.256 -p 9 /bin/true
usage_error "address" -a localhost -p 9 /bin/true
usage_error "absolute" -p 9 true
usage_error "absolute" -p 9 bin/true
usage_error "executable" -p 9 "$T/noexec.sh"
usage_error "regular file" -p 9 "$T"
usage_error "No such file" -p 9 "$T/missing"
usage_error "PROGRAM" -p 9
usage_error "PROGRAM" -v -p 9
usage_error "unknown option" -Z -p 9 /bin/true
usage_error "needs an argument" -p

run_cmd 5 "$ONCONNECT" -V
[ "$RC" = 0 ] && [ "$(cat "$T/out")" = "onconnect $SOURCE_VERSION" ] ||
	fail "-V: exit status $RC, stdout '$(cat "$T/out")', expected 0 and 'onconnect $SOURCE_VERSION'"
ok "-V prints 'onconnect $SOURCE_VERSION', exit 0"
run_cmd 5 "$ONCONNECT" -h
[ "$RC" = 0 ] && grep -q "^usage: onconnect" "$T/out" && [ ! -s "$T/err" ] ||
	fail "-h: exit status $RC, stdout '$(head -n 1 "$T/out")', stderr '$(head -n 1 "$T/err")'"
ok "-h prints the usage on stdout, exit 0"

# ---- two concurrent clients ------------------------------------------------------

# Greets with its pid and arguments, echoes one line, then holds the connection
# until the client closes it. /bin/sh -c rather than a script file, because a shell
# running a script keeps the file open and that would hide the fds onconnect passes.
SERVE='echo "hello $$ $0|$1" >&3
read -r line <&3 && echo "you said $line" >&3
cat <&3 >/dev/null
echo "$$" >>'"$T"'/done'

start_onconnect /bin/sh -c "$SERVE" serve "two words"
assert_log "^onconnect\[$OC\]: listening on \[::\]:$PORT for /bin/sh$" "log 'listening on [::]:$PORT for /bin/sh'"

connect 5 127.0.0.1
greeting 5
C1=$CHILD
[ "$GREETING" = "hello $C1 serve|two words" ] ||
	fail "greeting is '$GREETING', expected 'hello $C1 serve|two words' (PROGRAM's arguments)"
ok "first client: PROGRAM runs with its arguments and writes to the client on fd 3"
connect 6 127.0.0.1
greeting 6
C2=$CHILD
[ "$C1" != "$C2" ] || fail "both clients are served by the same process $C1"
pid_running "$C1" || fail "first child $C1 is gone while the second client is served"
ok "second client, while the first is connected: its own child [$C2]"

for fd in 5 6; do
	echo "ping$fd" >&"$fd"
	read -r -t 5 -u "$fd" line || fail "no reply on fd $fd"
	[ "$line" = "you said ping$fd" ] || fail "reply on fd $fd is '$line', expected 'you said ping$fd'"
done
ok "each child reads its own client's data from fd 3"

wait_for_log "connection from 127\.0\.0\.1:[0-9]*: started \[$C1\]$"
wait_for_log "connection from 127\.0\.0\.1:[0-9]*: started \[$C2\]$"
ok "-v logs 'connection from 127.0.0.1:PORT: started [PID]' for each"

# ---- reaping ----------------------------------------------------------------------

exec 5>&-
wait_until 5 "child $C1 to be reaped after its client closed" reaped "$C1"
grep -qx "$C1" "$T/done" 2>/dev/null || fail "child $C1 did not see the end of its connection"
wait_for_log "\[$C1\] exited after .*: exit status 0$"
pid_running "$C2" || fail "child $C2 ended when the other client closed"
ok "first client closes: its child sees EOF on fd 3, exits, is reaped (no zombie); the other goes on"
exec 6>&-
wait_until 5 "child $C2 to be reaped" reaped "$C2"
wait_until 5 "onconnect to have no child left" eval '[ -z "$(children_of "$OC")" ]'
pid_running "$OC" || fail "onconnect exited after its clients left"
ok "second client closes: reaped too; onconnect has no child, zombie or not, and keeps listening"

# ---- IPv6 -------------------------------------------------------------------------

if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	connect 5 ::1
	greeting 5
	C=$CHILD
	wait_for_log "connection from \[::1\]:[0-9]*: started \[$C\]$"
	exec 5>&-
	wait_until 5 "child $C to be reaped" reaped "$C"
	ok "the default listener serves IPv6 too ([::1] in the log) and IPv4 clients show as 127.0.0.1"
	stop_pmtr TERM
	[ "$PMTR_RC" = 0 ] || fail "exit status $PMTR_RC after SIGTERM, expected 0"

	start_onconnect -a ::1 /bin/sh -c "$SERVE" serve v6
	assert_log "listening on \[::1\]:$PORT for" "-a ::1: log 'listening on [::1]:$PORT'"
	connect 5 ::1
	greeting 5
	[ "$GREETING" = "hello $CHILD serve|v6" ] || fail "-a ::1: greeting '$GREETING'"
	exec 5>&-
	wait_until 5 "child $CHILD to be reaped" reaped "$CHILD"
	ok "-a ::1 listens on the IPv6 loopback only and serves it"
else
	say "no IPv6 loopback address: IPv6 not checked"
fi
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "exit status $PMTR_RC after SIGTERM, expected 0"

# ---- the children's context ---------------------------------------------------------

# PROGRAM is sleep itself, so that what it has is what onconnect gave it (a shell
# would add descriptors and block signals of its own while it runs commands).
start_onconnect /bin/sleep 300
connect 5 127.0.0.1
connect 6 127.0.0.1
wait_for_log_count "connection from 127\.0\.0\.1:[0-9]*: started \[" 2
KIDS=$(sed -n 's/.*: started \[\([0-9][0-9]*\)\]$/\1/p' "$LOG" | tr '\n' ' ')
for C in $KIDS; do
	wait_until 5 "child $C to exec /bin/sleep" grep -qx sleep /proc/"$C"/comm
	[ "$(ppid_of "$C")" = "$OC" ] || fail "child $C: parent is $(ppid_of "$C"), expected onconnect $OC"
	fds=$(fds_of "$C")
	[ "$fds" = "0 1 2 3" ] || fail "child $C has fds '$fds', expected '0 1 2 3' (onconnect has fd 7 open, and fds of its own)"
	case $(readlink /proc/"$C"/fd/3) in
	socket:*) ;;
	*) fail "child $C: fd 3 is $(readlink /proc/"$C"/fd/3), expected a socket" ;;
	esac
	for fd in 0 1 2; do
		[ "$(readlink /proc/"$C"/fd/$fd)" = "$(readlink /proc/"$OC"/fd/$fd)" ] ||
			fail "child $C: fd $fd is $(readlink /proc/"$C"/fd/$fd), onconnect's is $(readlink /proc/"$OC"/fd/$fd)"
	done
	blk=$(status_field "$C" SigBlk)
	ign=$(status_field "$C" SigIgn)
	[ "$blk" = 0000000000000000 ] || fail "child $C: SigBlk=$blk, expected an empty mask (onconnect blocks $(status_field "$OC" SigBlk))"
	[ "$ign" = 0000000000000000 ] || fail "child $C: SigIgn=$ign, expected no ignored signal (onconnect ignores $(status_field "$OC" SigIgn))"
	[ "$(pgid_of "$C")" = "$C" ] || fail "child $C: process group $(pgid_of "$C"), expected its own"
done
set -- $KIDS
[ "$(readlink /proc/"$1"/fd/3)" != "$(readlink /proc/"$2"/fd/3)" ] ||
	fail "both children have the same socket on fd 3"
ok "children: fds 0-2 are onconnect's, 3 is the connection, nothing else; default signals, empty mask, own process group"

stop_pmtr TERM 5
[ "$PMTR_RC" = 0 ] || fail "exit status $PMTR_RC after SIGTERM, expected 0"
for C in $KIDS; do
	reaped "$C" || fail "child $C is still there after onconnect exited"
	assert_log "\[$C\] exited after .*: signal SIGTERM$"
done
exec 5>&- 6>&-
assert_no_marked "SIGTERM: no child left"
ok "SIGTERM: the children get SIGTERM and are reaped, onconnect exits 0"

# ---- a port in use, -a with IPv4 ---------------------------------------------------

start_onconnect -a 127.0.0.1 /bin/sh -c "$SERVE" serve v4
assert_log "listening on 127\.0\.0\.1:$PORT for" "-a 127.0.0.1: log 'listening on 127.0.0.1:$PORT'"
connect 5 127.0.0.1
greeting 5
exec 5>&-
wait_until 5 "child $CHILD to be reaped" reaped "$CHILD"
ok "-a 127.0.0.1 listens there and serves"
run_cmd 5 "$ONCONNECT" -a 127.0.0.1 -p "$PORT" /bin/true
[ "$RC" = 1 ] || fail "second listener on port $PORT: exit status $RC, expected 1"
grep -q "^onconnect: bind 127\.0\.0\.1:$PORT: Address already in use$" "$T/err" ||
	fail "second listener on port $PORT: stderr '$(cat "$T/err")', expected 'onconnect: bind 127.0.0.1:$PORT: Address already in use'"
ok "a port in use: 'onconnect: bind ADDR:PORT: Address already in use', exit 1"
stop_pmtr TERM

# ---- out of descriptors: accepting pauses, then resumes ---------------------------

if command -v prlimit >/dev/null 2>&1 && prlimit --pid $$ --nofile >/dev/null 2>&1; then
	start_onconnect /bin/sh -c "$SERVE" serve emfile
	# the lowest free descriptor as the limit: none left below it, so accept
	# fails with EMFILE (descriptors open above a limit are allowed)
	n=0
	while [ -e /proc/"$OC"/fd/$n ]; do n=$((n + 1)); done
	read -r soft hard < <(prlimit --pid "$OC" --nofile --raw --noheadings -o SOFT,HARD)
	prlimit --pid "$OC" --nofile="$n:$hard" || fail "prlimit --pid $OC --nofile=$n:$hard failed"
	connect 5 127.0.0.1
	wait_for_log "accept: Too many open files: pausing 100 ms"
	cpu() { local l; read -r l </proc/"$OC"/stat; l=${l##*) }; set -- $l; echo $((${12} + ${13})); }
	c0=$(cpu)
	sleep 1 # a measuring window, not a wait for an event
	c1=$(cpu)
	[ $((c1 - c0)) -le 20 ] || fail "onconnect used $((c1 - c0)) ticks of CPU in 1 s while out of descriptors: a busy loop"
	lines=$(log_count "accept: Too many open files")
	[ "$lines" -le 3 ] || fail "$lines lines 'accept: Too many open files' in about 1 s, expected at most one a second"
	ok "out of descriptors: logged (at most once a second), no busy loop ($((c1 - c0)) ticks in 1 s)"
	prlimit --pid "$OC" --nofile="$soft:$hard" || fail "prlimit --pid $OC --nofile=$soft:$hard failed"
	greeting 5
	exec 5>&-
	wait_until 5 "child $CHILD to be reaped" reaped "$CHILD"
	ok "descriptors back: the waiting client is served"
	stop_pmtr TERM
	[ "$PMTR_RC" = 0 ] || fail "exit status $PMTR_RC after SIGTERM, expected 0"
else
	say "no prlimit: the out-of-descriptors case is not checked"
fi

# ---- PROGRAM gone or not executable after start: 127 and 126 ------------------------

script gone.sh <<'EOF'
#!/bin/sh
echo "hello $$ gone|" >&3
EOF
start_onconnect "$T/gone.sh"
rm "$T/gone.sh"
connect 5 127.0.0.1
read -r -t 5 -u 5 line && fail "the client of a missing PROGRAM read '$line'"
exec 5>&-
wait_for_log "connection from 127\.0\.0\.1:[0-9]*: exec $T/gone\.sh: No such file or directory$"
wait_for_log "exited after .*: exit status 127$"
ok "PROGRAM removed after start: message on stderr, the child exits 127, connection closed"
stop_pmtr TERM

script noperm.sh <<'EOF'
#!/bin/sh
echo "hello $$ noperm|" >&3
EOF
start_onconnect "$T/noperm.sh"
chmod 644 "$T/noperm.sh"
connect 5 127.0.0.1
read -r -t 5 -u 5 line && fail "the client of a non-executable PROGRAM read '$line'"
exec 5>&-
wait_for_log "exec $T/noperm\.sh: Permission denied$"
wait_for_log "exited after .*: exit status 126$"
ok "PROGRAM made non-executable after start: the child exits 126"
stop_pmtr TERM
assert_no_marked "no process left after the exec failures"

# ---- SIGTERM stops the listener and the children -------------------------------------

start_onconnect /bin/sh -c "$SERVE" serve stop
connect 5 127.0.0.1
greeting 5
C1=$CHILD
connect 6 127.0.0.1
greeting 6
C2=$CHILD
for fd in 5 6; do
	echo ping >&"$fd"
	read -r -t 5 -u "$fd" line || fail "no reply on fd $fd"
done
wait_until 5 "child $C1 to wait in its cat" in_cat "$C1"
wait_until 5 "child $C2 to wait in its cat" in_cat "$C2"
stop_pmtr TERM 5
[ "$PMTR_RC" = 0 ] || fail "exit status $PMTR_RC after SIGTERM, expected 0"
assert_log "stopping (SIGTERM): 2 connections open"
read -r -t 5 -u 5 line && fail "client 1 read '$line' after the stop, expected the end of the connection"
exec 5>&- 6>&-
reaped "$C1" && reaped "$C2" || fail "children $C1 $C2 still there after onconnect exited"
assert_no_marked "SIGTERM: the children and their own children (cat) are gone"
ok "SIGTERM: children stopped, connections closed, exit 0"

# A child that ignores SIGTERM, with a child of its own: SIGKILL after 5 s, to the group.
STUBBORN='trap "" TERM
echo "hello $$ stubborn|" >&3
while :; do /bin/sleep 0.2; done'
start_onconnect /bin/sh -c "$STUBBORN"
connect 5 127.0.0.1
greeting 5
C=$CHILD
t0=$(now_ms)
kill -TERM "$OC"
wait_for_log "stopping (SIGTERM): 1 connection open"
wait_pmtr_exit 8
t=$(($(now_ms) - t0))
[ "$PMTR_RC" = 0 ] || fail "exit status $PMTR_RC, expected 0"
[ "$t" -ge 4500 ] || fail "onconnect exited after $t ms, before its 5 s stop timeout"
assert_log "stop timeout of 5 sec: 1 child still running: sending SIGKILL"
exec 5>&-
reaped "$C" || fail "child $C is still there"
assert_no_marked "the stubborn child and its sleep are gone"
ok "a child that ignores SIGTERM gets SIGKILL (its whole group) after 5 s ($t ms); exit 0"

# SIGINT starts the stop, SIGQUIT during it kills at once.
start_onconnect /bin/sh -c "$STUBBORN"
connect 5 127.0.0.1
greeting 5
t0=$(now_ms)
kill -INT "$OC"
wait_for_log "stopping (SIGINT): 1 connection open"
kill -QUIT "$OC"
wait_pmtr_exit 3
t=$(($(now_ms) - t0))
[ "$PMTR_RC" = 0 ] || fail "exit status $PMTR_RC, expected 0"
assert_log "SIGQUIT again: 1 child still running: sending SIGKILL"
exec 5>&-
assert_no_marked "SIGINT then SIGQUIT: nothing left"
ok "SIGINT stops, a second signal (SIGQUIT) sends SIGKILL at once ($t ms); exit 0"

exit 0
