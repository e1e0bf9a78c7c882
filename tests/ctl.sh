#!/bin/bash
# ctl.sh: the control socket with the real pmtr and pmtrctl: every command and exit status, permissions, hostile clients, 1000 jobs. SPDX-License-Identifier: MIT
TEST_TIMEOUT=${TEST_TIMEOUT:-150}
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
GARBAGE=$(helper ctl-garbage) || { say "cannot build tests/helpers/ctl-garbage"; exit 99; }
SOCK=$T/ctl.sock
# The table's width: 80 columns unless COLUMNS says otherwise.
unset COLUMNS
TEST_USER=

# ctl ARGS...: pmtrctl -s $SOCK ARGS; sets RC, $T/out and $T/err.
ctl() { run_cmd 15 "$PMTRCTL" -s "$SOCK" "$@"; }

# raw PRINTF-FORMAT ARGS...: send those bytes with ctl-garbage ARGS; like run_cmd.
raw() {
	local data=$1
	shift
	# shellcheck disable=SC2059
	printf "$data" >"$T/in"
	run_cmd 20 "$GARBAGE" -f "$T/in" "$@" "$SOCK"
}

# expect STATUS DESCRIPTION: the last ctl exited STATUS; on success nothing on stderr,
# on failure exactly one line there, starting with "pmtrctl: ".
expect() {
	local want=$1 desc=$2
	[ "$RC" = "$want" ] || fail "$desc: exit status $RC, expected $want (stderr: $(head -c 500 "$T/err"))"
	if [ "$want" = 0 ]; then
		[ -s "$T/err" ] && fail "$desc: unexpected stderr: $(head -c 500 "$T/err")"
	else
		[ "$(wc -l <"$T/err")" = 1 ] || fail "$desc: stderr is not one line: $(head -c 500 "$T/err")"
		grep -q '^pmtrctl: ' "$T/err" || fail "$desc: stderr does not start with 'pmtrctl: ': $(cat "$T/err")"
	fi
	ok "$desc"
}

expect_quiet() {
	expect "$@"
	[ -s "$T/out" ] && fail "$2: unexpected stdout: $(head -c 500 "$T/out")"
	return 0
}

err_has() {
	grep -q -- "$1" "$T/err" || fail "${2:-stderr has /$1/}: stderr is: $(cat "$T/err")"
}

# job_info NAME: JSTATE, JPID and JEXIT of job NAME from "status --json NAME".
job_info() {
	local l
	ctl status --json "$1"
	[ "$RC" = 0 ] || fail "status --json $1: exit status $RC: $(cat "$T/err")"
	l=$(grep -F "{\"name\":\"$1\"," "$T/out")
	JSTATE=$(sed -n 's/.*"state":"\([^"]*\)".*/\1/p' <<<"$l")
	JPID=$(sed -n 's/.*"pid":\([0-9a-z]*\).*/\1/p' <<<"$l")
	JEXIT=$(sed -n 's/.*"exit_code":\([0-9a-z]*\).*/\1/p' <<<"$l")
}

_state_is() { job_info "$1"; [ "$JSTATE" = "$2" ]; }

# wait_state NAME STATE [TIMEOUT_S]
wait_state() {
	wait_until "${3:-5}" "job $1 in state '$2' (last seen '${JSTATE:-}')" _state_is "$1" "$2"
}

_pid_is_new() { job_info "$1"; [ "$JSTATE" = running ] && [ -n "$JPID" ] && [ "$JPID" != null ] && [ "$JPID" != "$2" ]; }

# Inodes of the listening UNIX sockets that process PID holds.
listening_sockets() {
	local inodes i
	inodes=$(ls -l /proc/"$1"/fd 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p')
	for i in $inodes; do
		# /proc/net/unix: Num RefCount Protocol Flags Type St Inode Path; 00010000 = listening
		awk -v i="$i" '$7 == i && $4 == "00010000" { print i }' /proc/net/unix
	done
}

ctl_cleanup() {
	local rc=$?
	[ -n "$TEST_USER" ] && userdel "$TEST_USER" >/dev/null 2>&1
	(exit "$rc")
	cleanup
}
trap ctl_cleanup EXIT

# ---- the client alone ------------------------------------------------------
run_cmd 5 "$PMTRCTL" -V
expect 0 "-V: exit 0"
[ "$(cat "$T/out")" = "pmtrctl $SOURCE_VERSION" ] || fail "-V prints '$(cat "$T/out")', expected 'pmtrctl $SOURCE_VERSION'"
run_cmd 5 "$PMTRCTL" -h
expect 0 "-h: exit 0"
grep -q '^usage: pmtrctl' "$T/out" || fail "-h: no usage on stdout: $(cat "$T/out")"
for cmd in status start stop restart enable disable reload; do
	grep -q "^  $cmd" "$T/out" || fail "-h does not list the command $cmd"
done
ok "-h lists every command"

for args in "" "bogus" "stop" "start" "restart" "enable" "disable" "reload web" \
	"stop a/b" "status --jsn" "-Z status" "-s" "stop web -x" "STATUS"; do
	# shellcheck disable=SC2086
	ctl $args
	expect_quiet 1 "usage error 'pmtrctl $args': exit 1, one line on stderr"
done
ctl stop
err_has "stop needs at least one job name"
ctl stop 'a b/c'
err_has 'bad job name "a b/c"' "a bad name is named"
ctl status $(seq 1 513)
expect_quiet 1 "513 job names: exit 1"

ctl status
expect_quiet 2 "no daemon: exit 2"
[ "$(cat "$T/err")" = "pmtrctl: cannot connect to $SOCK: No such file or directory" ] ||
	fail "no daemon: stderr is '$(cat "$T/err")'"
ok "no daemon: 'cannot connect to PATH: No such file or directory'"

# A daemon that accepts and never answers: pmtrctl gives up after 10 s, exit 2.
# Runs in the background; checked near the end.
MUTE=$T/mute.sock
"$GARBAGE" -L -H 12 "$MUTE" >"$T/mute.out" 2>"$T/mute.err" &
MUTE_SERVER=$!
EXTRA_PIDS+=("$MUTE_SERVER")
wait_until 5 "the mute daemon listening" grep -q listening "$T/mute.err"
(
	t0=$(now_ms)
	timeout -k 2 15 "$PMTRCTL" -s "$MUTE" status >"$T/mute-client.out" 2>"$T/mute-client.err"
	echo "$? $(($(now_ms) - t0))" >"$T/mute-client.rc"
) &
MUTE_CLIENT=$!
EXTRA_PIDS+=("$MUTE_CLIENT")

# A pmtr of protocol version 1: pmtrctl asks again in version 1 what version 1 has.
OLD=$T/old.sock
printf 'pmtr-ctl 1\nok\njob web running 42 7 0 - - /bin/sleep\s1000\n' >"$T/old-answer"
"$GARBAGE" -L -f "$T/old-answer" -H 30 "$OLD" >"$T/old.out" 2>"$T/old.err" &
EXTRA_PIDS+=($!)
wait_until 5 "the old daemon listening" grep -q listening "$T/old.err"
run_cmd 15 "$PMTRCTL" -s "$OLD" status
[ "$RC" = 0 ] && grep -q "^web  *running  *42  *7s  *0  *-  */bin/sleep 1000\$" "$T/out" ||
	fail "status from a version 1 pmtr: status $RC: $(cat "$T/out" "$T/err")"
grep -q "^request pmtr-ctl 2\$" "$T/old.out" && grep -q "^request pmtr-ctl 1\$" "$T/old.out" ||
	fail "pmtrctl should ask in version 2, then 1: $(cat "$T/old.out")"
run_cmd 15 "$PMTRCTL" -s "$OLD" logs web
[ "$RC" = 4 ] && grep -q "this pmtr is older than pmtrctl (protocol version 1) and has no logs command" "$T/err" ||
	fail "logs from a version 1 pmtr: status $RC: $(cat "$T/err")"
ok "a pmtr of protocol version 1: status is asked again in version 1; logs says it is too old (exit 4)"

# ---- a daemon with a few jobs ----------------------------------------------
LONGARG=an-argument-long-enough-to-make-the-command-wider-than-an-eighty-column-terminal
# The restart delay of web and flappy, in seconds.
RESTART_DELAY_S=1
gen_conf() {
	cat <<EOF
job {
  name web
  cmd /bin/sleep $1
  restart delay $RESTART_DELAY_S
}
job {
  name flappy
  cmd /bin/sh -c "exit 3"
  restart delay $RESTART_DELAY_S
}
job {
  name off
  cmd /bin/sleep 1000
  disable
}
job {
  name long
  cmd /bin/sh -c "exec /bin/sleep 1000" $LONGARG
}
job {
  name tabby
  cmd /bin/sh -c "exec /bin/sleep 1000" "tab	here"
}
job {
  name quoted
  cmd /bin/sh -c "exec /bin/sleep 1000" "say \\"hi\\""
}
$2
EOF
}
gen_conf 1000 "" | write_conf
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_until 5 "socket $SOCK" test -S "$SOCK"
[ "$(stat -c %a "$SOCK")" = 660 ] || fail "socket mode is $(stat -c %a "$SOCK"), expected 660"
ok "pmtr listens on -s PATH, mode 0660"
wait_job web
WEB=$JOB_PID
wait_job long
wait_job tabby
wait_job quoted

# Clients that never write, or stop after the hello: the daemon drops them after
# 10 s; checked at the end, meanwhile they hold two of its client slots.
"$GARBAGE" -H 14 "$SOCK" >"$T/idle.out" 2>"$T/idle.err" &
IDLE=$!
EXTRA_PIDS+=("$IDLE")
printf 'pmtr-ctl 1\n' | "$GARBAGE" -i -H 14 "$SOCK" >"$T/hello-only.out" 2>"$T/hello-only.err" &
HELLO_ONLY=$!
EXTRA_PIDS+=("$HELLO_ONLY")
wait_until 5 "idle clients connected" grep -q connected "$T/idle.err" "$T/hello-only.err"

# ---- status: the table -------------------------------------------------------
_exited_with() { job_info "$1"; [ "$JEXIT" = "$2" ]; }
wait_until 5 "job flappy to have exited with 3" _exited_with flappy 3
ctl status
expect 0 "status: exit 0"
cp "$T/out" "$T/table"
head -n 1 "$T/table" | grep -q '^NAME  *STATE  *PID  *UPTIME  *RESTARTS  *LAST EXIT  *COMMAND$' ||
	fail "status: bad header: $(head -n 1 "$T/table")"
ok "status: header NAME STATE PID UPTIME RESTARTS LAST EXIT COMMAND"
[ "$(wc -l <"$T/table")" = 7 ] || fail "status: $(wc -l <"$T/table") lines, expected a header and 6 jobs: $(cat "$T/table")"
grep -q "^web  *running  *$WEB  *[0-9][0-9]*s  *0  *-  */bin/sleep 1000\$" "$T/table" ||
	fail "status: bad line for web [$WEB]: $(grep '^web ' "$T/table")"
ok "status: web running with its pid, uptime, restarts, no last exit, command"
grep -q "^off  *disabled  *-  *-  *0  *-  */bin/sleep 1000\$" "$T/table" ||
	fail "status: bad line for off: $(grep '^off ' "$T/table")"
ok "status: a disabled job shows - for pid, uptime, last exit"
grep -q "^flappy  .*exit 3  */bin/sh -c \"e" "$T/table" ||
	fail "status: bad line for flappy: $(grep '^flappy ' "$T/table")"
ok "status: last exit 'exit 3'"
awk 'length > 80 { bad = 1; print "too long: " $0 } END { exit bad }' "$T/table" || fail "status: a line is wider than 80 columns"
grep -q '^long .*\.\.\.$' "$T/table" || fail "status: the long command is not cut with ...: $(grep '^long ' "$T/table")"
ok "status: every line fits 80 columns, a long command is cut with ..."
# columns line up: STATE starts at the same column on every line
[ "$(awk '{ print index($0, $2) }' "$T/table" | sort -u | wc -l)" = 1 ] ||
	fail "status: the STATE column is not aligned: $(cat "$T/table")"
ok "status: columns aligned"
COLUMNS=200 run_cmd 5 "$PMTRCTL" -s "$SOCK" status long
grep -q -- "$LONGARG\$" "$T/out" || fail "COLUMNS=200: the command is still cut: $(cat "$T/out")"
ok "status: COLUMNS widens the table"
COLUMNS=200 run_cmd 5 "$PMTRCTL" -s "$SOCK" status tabby
grep -q '^tabby .*"tab?here"$' "$T/out" || fail "status: control bytes are not shown as ?: $(cat "$T/out")"
ok "status: a control byte in a command is shown as ?"

ctl status web off
expect 0 "status web off: exit 0"
[ "$(sed 1d "$T/out" | awk '{ print $1 }' | tr '\n' ' ')" = "web off " ] ||
	fail "status web off: lists $(sed 1d "$T/out" | awk '{ print $1 }' | tr '\n' ' ')"
ok "status NAME...: the named jobs, in that order"

# ---- status --json -----------------------------------------------------------
ctl status --json
expect 0 "status --json: exit 0"
cp "$T/out" "$T/json"
head -c 9 "$T/json" | grep -qF '{"jobs":[' || fail "status --json does not start with {\"jobs\":[: $(head -c 100 "$T/json")"
grep -qF "{\"name\":\"web\",\"state\":\"running\",\"ready\":true,\"health\":null,\"status_text\":null,\"pid\":$WEB,\"uptime\":" "$T/json" || fail "status --json: web: $(grep -F '"web"' "$T/json")"
grep -qF '"restarts":0,"exit_code":null,"exit_signal":null,"command":"/bin/sleep 1000","file":null,"oom_kill":false,' "$T/json" ||
	fail "status --json: typed fields of web: $(grep -F '"web"' "$T/json")"
grep -qF '{"name":"off","state":"disabled","ready":false,"health":null,"status_text":null,"pid":null,"uptime":null,"restarts":0,"exit_code":null,"exit_signal":null,"command":"/bin/sleep 1000","file":null,"oom_kill":false,' "$T/json" ||
	fail "status --json: off: $(grep -F '"off"' "$T/json")"
grep -qF '"exit_code":3,"exit_signal":null,"command":"/bin/sh -c \"exit 3\"","file":null,"oom_kill":false,' "$T/json" ||
	fail "status --json: flappy: $(grep -F '"flappy"' "$T/json")"
grep -qF '"command":"/bin/sh -c \"exec /bin/sleep 1000\" \"tab\u0009here\"","file":null,"oom_kill":false,' "$T/json" ||
	fail "status --json: escaping of a command with a tab: $(grep -F '"tabby"' "$T/json")"
# the command as written in the configuration: quotes inside quotes keep their backslash
grep -qF '"command":"/bin/sh -c \"exec /bin/sleep 1000\" \"say \\\"hi\\\"\"","file":null,"oom_kill":false,' "$T/json" ||
	fail "status --json: the command of a job with quotes inside quotes: $(grep -F '"quoted"' "$T/json")"
ok "status --json: numbers, nulls, escaped strings"
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null; then
	python3 -c 'import json, sys; d = json.load(sys.stdin); assert len(d["jobs"]) == 6' <"$T/json" ||
		fail "status --json is not one valid JSON document with 6 jobs"
	ok "status --json parses as JSON (python3)"
fi
ctl status --json nope
expect_quiet 3 "status --json of an unknown job: exit 3"

# ---- stop, start, restart, enable, disable -----------------------------------
ctl start web
expect_quiet 0 "start of a running job: exit 0, nothing printed"
job_info web
[ "$JPID" = "$WEB" ] || fail "start of a running job changed its pid ($WEB -> $JPID)"
ok "start of a running job leaves it alone"

ctl stop web nope
expect_quiet 3 "stop web nope: exit 3"
err_has nope "the unknown job is named"
ctl restart nope web
expect_quiet 3 "restart nope web: exit 3"
job_info web
[ "$JSTATE" = running ] && [ "$JPID" = "$WEB" ] || fail "web was touched by a request with an unknown name: $JSTATE $JPID"
pid_running "$WEB" || fail "web [$WEB] is gone after a request with an unknown name"
ok "an unknown name: nothing done, not even to the valid names"

ctl restart web
expect_quiet 0 "restart web: exit 0"
wait_until 5 "web to run under a new pid" _pid_is_new web "$WEB"
wait_for_pid_gone "$WEB" 5
WEB=$JPID
ok "restart: a new pid [$WEB], the old process gone"

# Stopped jobs stay stopped across their restart delay (the same for both): web while
# running, flappy while it runs, waits or is pending.
ctl stop web flappy
expect_quiet 0 "stop web flappy: exit 0"
wait_state web disabled
wait_state flappy disabled
wait_for_pid_gone "$WEB" 5
MARK=$(log_lines)
# Time is the subject here: a restart timer left by a stop was armed at the
# job's last exit, which came before its state showed disabled, so it would be
# due within one restart delay from now. Once that delay is over, the barrier
# makes pmtr run a turn of its loop begun after it, in which a due timer fires.
sleep "$RESTART_DELAY_S"
barrier
job_info web
[ "$JSTATE" = disabled ] || fail "web is '$JSTATE' one restart delay after stop (${RESTART_DELAY_S}s)"
job_info flappy
[ "$JSTATE" = disabled ] || fail "flappy is '$JSTATE' one restart delay after stop (${RESTART_DELAY_S}s)"
assert_no_log_since "$MARK" "started job web \[" "stopped web not restarted after its restart delay"
assert_no_log_since "$MARK" "started job flappy \[" "stopped flappy not restarted after its restart delay"
ctl stop web
expect_quiet 0 "stop of a stopped job: exit 0"

# A configuration edit that does not change web leaves it stopped; one that does starts it.
gen_conf 1000 "job {
  name extra
  cmd /bin/sleep 1000
}" | write_conf
wait_job extra
job_info web
[ "$JSTATE" = disabled ] || fail "web is '$JSTATE' after an edit that did not change it"
ok "a configuration edit that leaves web alone leaves it stopped"
gen_conf 1001 "job {
  name extra
  cmd /bin/sleep 1000
}" | write_conf
wait_state web running
WEB=$JPID
ok "a configuration edit that changes web starts it again"

ctl start flappy
expect_quiet 0 "start flappy: exit 0"
MARK=$(log_lines)
wait_for_log_since "$MARK" "started job flappy \["
ok "start: a stopped job runs again"

ctl disable web
expect_quiet 0 "disable web: exit 0"
wait_state web disabled
wait_for_pid_gone "$WEB" 5
ctl enable web
expect_quiet 0 "enable web: exit 0"
wait_state web running
ok "disable / enable"
WEB=$JPID

ctl disable off web extra
expect_quiet 0 "disable of three jobs: exit 0"
wait_state extra disabled
wait_state web disabled
ctl enable web extra
expect_quiet 0 "enable of two jobs: exit 0"
wait_state extra running
wait_state web running
WEB=$JPID

# ---- reload ------------------------------------------------------------------
MARK=$(log_lines)
ctl reload
expect_quiet 0 "reload: exit 0"
wait_for_log_since "$MARK" "reload"
ok "reload: the daemon reads its configuration"

# ---- a peer that is neither root nor the daemon's user -----------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	PEER_USER=nobody
	if ! id -u "$PEER_USER" >/dev/null 2>&1; then
		TEST_USER=pmtrtest$$
		useradd -M -r -s /bin/false "$TEST_USER" >/dev/null 2>&1 || TEST_USER=
		PEER_USER=$TEST_USER
	fi
	PEER=(setpriv --reuid="$PEER_USER" --regid="$(id -g "$PEER_USER" 2>/dev/null)" --clear-groups)
	if [ -n "$PEER_USER" ] && "${PEER[@]}" "$PMTRCTL" -V >/dev/null 2>&1; then
		run_cmd 15 "${PEER[@]}" "$PMTRCTL" -s "$SOCK" status
		expect_quiet 2 "user $PEER_USER without access to the 0660 socket: exit 2"
		err_has "Permission denied"
		chmod 0666 "$SOCK"
		run_cmd 15 "${PEER[@]}" "$PMTRCTL" -s "$SOCK" status
		expect 0 "user $PEER_USER may read status"
		grep -q "^web  *running  *$WEB " "$T/out" || fail "status as $PEER_USER: $(cat "$T/out")"
		run_cmd 15 "${PEER[@]}" "$PMTRCTL" -s "$SOCK" logs web
		expect 0 "user $PEER_USER may read logs, as status"
		for cmd in "stop web" "start off" "restart web" "enable off" "disable web" "reload" "reexec" \
			"signal HUP web"; do
			# shellcheck disable=SC2086
			run_cmd 15 "${PEER[@]}" "$PMTRCTL" -s "$SOCK" $cmd
			expect_quiet 4 "user $PEER_USER is refused '$cmd' with exit 4"
		done
		job_info web
		[ "$JSTATE" = running ] && [ "$JPID" = "$WEB" ] || fail "a refused stop touched web: $JSTATE $JPID"
		job_info off
		[ "$JSTATE" = disabled ] || fail "a refused start touched off: $JSTATE"
		ok "refused commands change nothing"
		chmod 0660 "$SOCK"
	else
		echo "skip - non-root peer: no user that can run $PMTRCTL"
	fi
else
	echo "skip - non-root peer: needs root and setpriv"
fi

# ---- hostile clients -----------------------------------------------------------
check_alive() {
	pid_running "$PMTR_PID" || fail "pmtr died after $1"
	ctl status web
	[ "$RC" = 0 ] && grep -q "^web  *running  *$WEB " "$T/out" ||
		fail "no good status after $1: exit $RC: $(cat "$T/err" "$T/out")"
	ok "status answers after $1"
}

run_cmd 15 "$GARBAGE" -r 4096 -x 7 -H 5 "$SOCK"
grep -q '^closed after [0-9]* ms: error usage ' "$T/out" || fail "random bytes: answer $(cat "$T/out")"
check_alive "4 KiB of random bytes (answered: $(cut -d: -f2- "$T/out"))"
run_cmd 15 "$GARBAGE" -r 1000000 -x 8 -H 5 "$SOCK"
check_alive "1 MB of random bytes"
run_cmd 15 "$GARBAGE" -l 1000000 -H 5 "$SOCK"
grep -q '^closed after [0-9]* ms: error usage .*4096' "$T/out" || fail "a 1 MB line: answer $(cat "$T/out")"
check_alive "a 1 MB request line (answered: $(cut -d: -f2- "$T/out"))"
raw 'pmtr-ctl 3\nstatus\n' -S -H 5
grep -q '^closed after [0-9]* ms: error usage unsupported protocol version 3$' "$T/out" ||
	fail "version 3: answer $(cat "$T/out")"
ok "a version 3 client: error usage unsupported protocol version 3"
# An old client (version 1) is answered in version 1: nine fields, no KEY=VALUE.
raw 'pmtr-ctl 1\nstatus web\n' -S -H 5 -a
[ "$(sed -n 1,2p "$T/out")" = "pmtr-ctl 1
ok" ] && [ "$(wc -l <"$T/out")" = 3 ] &&
	sed -n 3p "$T/out" | grep -q '^job web [a-z]* [0-9]* [0-9]* [0-9]* [-0-9]* [-0-9]* [^ =]*$' ||
	fail "a version 1 client: answer $(cat "$T/out")"
raw 'pmtr-ctl 2\nstatus web\n' -S -H 5 -a
[ "$(head -n 1 "$T/out")" = "pmtr-ctl 2" ] || fail "a version 2 client: answer $(cat "$T/out")"
ok "a version 1 client is answered in version 1, a version 2 client in version 2"
raw 'pmtr-ctl 1\nstatus' -S -H 5
grep -q '^closed after [0-9]* ms: error usage ' "$T/out" || fail "an unfinished request: answer $(cat "$T/out")"
ok "a request cut short by the client: error usage"
raw 'pmtr-ctl 1\nstop web\0\n' -S -H 5
grep -q '^closed after [0-9]* ms: error usage ' "$T/out" || fail "a NUL byte: answer $(cat "$T/out")"
check_alive "a request with a NUL byte"

raw 'pmtr-ctl 1\nstatus\n' -n 100 -S -H 10
[ "$(grep -c '^closed after [0-9]* ms: \(ok\|error refused .*\)$' "$T/out")" = 100 ] ||
	fail "100 clients at once: not all answered ok or refused: $(grep -v ': ok$' "$T/out" | sort | uniq -c | head)"
ok "100 clients at once: $(grep -c ': ok$' "$T/out") answered, $(grep -c 'refused' "$T/out") refused as too many"
check_alive "100 clients at once"
run_cmd 20 "$GARBAGE" -n 100 -H 1 "$SOCK"
check_alive "100 idle clients at once"
"$GARBAGE" -n 5 -H 3 -q "$SOCK" >"$T/five.out" 2>"$T/five.err" &
FIVE=$!
EXTRA_PIDS+=("$FIVE")
wait_until 5 "5 idle clients connected" grep -q connected "$T/five.err"
ctl status web
[ "$RC" = 0 ] || fail "status while 5 idle clients are connected: exit $RC: $(cat "$T/err")"
wait "$FIVE"
ok "status answers while idle clients are connected"

# The daemon's time limit on a client that never writes, or never ends its request.
wait "$IDLE"
wait "$HELLO_ONLY"
for f in idle hello-only; do
	ms=$(sed -n 's/^closed after \([0-9]*\) ms: -$/\1/p' "$T/$f.out")
	[ -n "$ms" ] || fail "$f client: not closed by the daemon within 14 s: $(cat "$T/$f.out")"
	[ "$ms" -ge 9000 ] && [ "$ms" -le 12500 ] || fail "$f client: closed after $ms ms, expected about 10 s"
	ok "a client that $([ $f = idle ] && echo "never writes" || echo "sends only the hello") is dropped after $ms ms"
done

wait "$MUTE_CLIENT"
read -r rc ms <"$T/mute-client.rc"
[ "$rc" = 2 ] || fail "a daemon that never answers: pmtrctl exit status $rc, expected 2 ($(cat "$T/mute-client.err"))"
[ "$(cat "$T/mute-client.err")" = "pmtrctl: no answer from $MUTE within 10 s" ] ||
	fail "a daemon that never answers: stderr is '$(cat "$T/mute-client.err")'"
[ "$ms" -ge 9500 ] && [ "$ms" -le 12000 ] || fail "a daemon that never answers: pmtrctl gave up after $ms ms"
ok "a daemon that never answers: 'no answer from PATH within 10 s' after $ms ms, exit 2"
wait "$MUTE_SERVER"

# ---- one daemon per socket -----------------------------------------------------
FIRST=$PMTR_PID
FIRST_LOG=$LOG
run_cmd 10 env PMTR_TEST_MARK="$T" "$PMTR" -F -c "$CONF" -s "$SOCK"
[ "$RC" = 1 ] || fail "a second pmtr on a live socket: exit status $RC, expected 1"
grep -q "another pmtr is running on $SOCK" "$T/err" "$T/out" ||
	fail "a second pmtr on a live socket: no 'another pmtr is running' message: $(cat "$T/err" "$T/out")"
ok "a second pmtr on the same live socket exits 1: $(cat "$T/err" "$T/out" | head -n 1)"
# without -F too: the socket is claimed before pmtr detaches, so its caller sees it
run_cmd 10 env PMTR_TEST_MARK="$T" "$PMTR" -c "$CONF" -s "$SOCK"
[ "$RC" = 1 ] || fail "a second pmtr (no -F) on a live socket: exit status $RC, expected 1"
grep -q "another pmtr is running on $SOCK" "$T/err" ||
	fail "a second pmtr (no -F): no 'another pmtr is running' on stderr: $(cat "$T/err")"
ok "a second pmtr without -F on the same live socket exits 1 before detaching"
PMTR_PID=$FIRST
LOG=$FIRST_LOG
check_alive "a second pmtr tried the socket"

stop_pmtr TERM 10
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM"
[ -e "$SOCK" ] && fail "the socket file is still there after pmtr exited"
ok "the socket file is removed at exit"
assert_no_marked

# ---- a stale socket file is replaced; -s none listens nowhere ------------------
write_conf <<EOF
job {
  name idle
  cmd /bin/sleep 1000
  disable
}
EOF
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_until 5 "socket $SOCK" test -S "$SOCK"
kill -KILL "$PMTR_PID"
wait_pmtr_exit 5 2>/dev/null	# without bash's "Killed" notice
[ -S "$SOCK" ] || fail "no stale socket file left by a killed pmtr"
ctl status
expect_quiet 2 "a stale socket: exit 2"
err_has "Connection refused"
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_for_log "starting"
wait_until 5 "status on a replaced stale socket" eval 'ctl status idle; [ "$RC" = 0 ]'
ok "a stale socket file is replaced"
stop_pmtr

start_pmtr_raw -F -c "$CONF" -s none
wait_for_log "starting"
# The barrier: pmtr has set up and runs its loop, so any socket is made by now.
barrier
[ -z "$(listening_sockets "$PMTR_PID")" ] || fail "pmtr -s none listens on a socket: $(listening_sockets "$PMTR_PID")"
[ -e none ] && fail "pmtr -s none created a file called none"
ok "-s none: no listening socket"
stop_pmtr

# ---- a hanging wait job and 1000 jobs ------------------------------------------
{
	for i in 1 2 3; do
		printf 'job {\n  name run%d\n  cmd /bin/sleep 1000\n}\n' "$i"
	done
	printf 'job {\n  name hang\n  cmd /bin/sleep 1000\n  wait\n}\n'
	printf 'job {\n  name after\n  cmd /bin/sleep 1000\n}\n'
	for i in $(seq 1 1000); do
		printf 'job {\n  name j%04d\n  cmd /bin/sleep 1000\n  disable\n}\n' "$i"
	done
} | write_conf
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_job hang 10
wait_until 10 "socket $SOCK" test -S "$SOCK"
t0=$(now_ms)
ctl status
el=$(($(now_ms) - t0))
expect 0 "status with 1005 jobs"
[ "$(wc -l <"$T/out")" = 1006 ] || fail "status lists $(($(wc -l <"$T/out") - 1)) jobs, expected 1005"
grep -q '^j1000  *disabled ' "$T/out" || fail "status: no j1000"
grep -q '^hang  *running ' "$T/out" || fail "status: the hanging wait job is not running: $(grep '^hang ' "$T/out")"
grep -q '^after  *pending ' "$T/out" || fail "status: the job after the wait job is not pending: $(grep '^after ' "$T/out")"
ok "status lists 1005 jobs in $el ms, while a wait job hangs"
[ "$el" -le 2000 ] || fail "status of 1005 jobs took $el ms"
ctl status --json
[ "$(grep -c '{"name":' "$T/out")" = 1005 ] || fail "status --json lists $(grep -c '{"name":' "$T/out") jobs"
ok "status --json lists 1005 jobs"
raw 'pmtr-ctl 1\nstatus\n' -S -H 5
ms=$(sed -n 's/^closed after \([0-9]*\) ms: ok$/\1/p' "$T/out")
[ -n "$ms" ] || fail "a raw status request: $(cat "$T/out")"
[ "$ms" -le 500 ] || fail "the daemon took $ms ms to answer the status of 1005 jobs"
ok "the daemon answers the status of 1005 jobs in $ms ms"
ctl stop $(seq -f 'j%04g' 1 512)
expect_quiet 0 "stop of 512 jobs in one request"
ctl restart run1 run2 run3
expect_quiet 0 "restart of three jobs"
stop_pmtr TERM 10
assert_no_marked

# ---- while pmtr shuts down: status answers, changes are refused ---------------
script stubborn.sh <<'EOF'
#!/bin/sh
trap '' TERM
echo ready
exec /bin/sleep 1000
EOF
write_conf <<EOF
job {
  name stubborn
  cmd $T/stubborn.sh
  stop timeout 3
}
EOF
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_for_log "stubborn\[[0-9]*\]: ready"
kill -TERM "$PMTR_PID"
wait_for_log "stopping job stubborn"
ctl status stubborn
expect 0 "status while shutting down"
grep -q '^stubborn  *stopping ' "$T/out" || fail "status while shutting down: $(cat "$T/out")"
ctl start stubborn
expect 4 "start while shutting down is refused"
err_has "shutting down"
ctl reload
expect 4 "reload while shutting down is refused"
wait_pmtr_exit 10
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked

exit 0
