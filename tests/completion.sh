#!/bin/bash
# completion.sh: the bash completion of pmtrctl (completion/pmtrctl): options, commands, signal names, socket paths, and job names from a running pmtr. SPDX-License-Identifier: MIT
# make check runs this with $(SHELL), which may be dash: run it in bash, or skip.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "completion: SKIP - needs bash, which is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
COMPLETION=$TESTS_SRCDIR/../completion/pmtrctl
[ -f "$COMPLETION" ] || { say "no $COMPLETION"; exit 99; }
SOCK=$T/ctl.sock

# shellcheck source=../completion/pmtrctl
. "$COMPLETION" || fail "sourcing $COMPLETION failed"
[ "$(complete -p pmtrctl 2>/dev/null)" = "complete -F _pmtrctl pmtrctl" ] ||
	fail "sourcing $COMPLETION does not register _pmtrctl for pmtrctl: '$(complete -p pmtrctl 2>&1)'"
ok "completion/pmtrctl registers _pmtrctl for pmtrctl"

# complete_line LINE WORD...: call _pmtrctl as bash does for LINE, which it cut
# into the WORDs (the cursor at the end of LINE, in the last WORD); sets GOT,
# the replies sorted and one space apart.
complete_line() {
	COMP_LINE=$1
	COMP_POINT=${#1}
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=(unchanged)
	_pmtrctl pmtrctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	GOT=
	if [ ${#COMPREPLY[@]} -gt 0 ]; then
		GOT=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ')
		GOT=${GOT% }
	fi
}

# expect_line WANT DESCRIPTION LINE WORD...: completing LINE gives exactly WANT.
expect_line() {
	local want=$1 desc=$2 line=$3
	shift 3
	complete_line "$line" "$@"
	[ "$GOT" = "$want" ] || fail "$desc: completing '$line' gives '$GOT', expected '$want'"
	ok "$desc: '${line#"$PMTRCTL" }' -> '$want'"
}

# expect WANT DESCRIPTION WORD...: the same for the words one space apart.
expect() {
	local want=$1 desc=$2
	shift 2
	expect_line "$want" "$desc" "$*" "$@"
}

# has WORD: GOT holds WORD.
has() { [[ " $GOT " == *" $1 "* ]]; }

# ---- without a daemon: what the command line alone decides -----------------
P=$PMTRCTL
expect "disable enable logs reexec reload reopen restart signal start status stop wait" "commands" "$P" ""
expect "start status stop" "commands starting with st" "$P" st
expect "reexec reload reopen restart" "commands starting with re" "$P" re
expect "" "no such command" "$P" x
expect "--help --socket --version -V -h -s" "options before the command" "$P" -
expect "--help --socket --version" "long options" "$P" --
expect "disable enable logs reexec reload reopen restart signal start status stop wait" \
	"commands after -s SOCKET" "$P" -s "$SOCK" ""
expect "--json --long -l" "the options of status" "$P" -s "$SOCK" status -
expect "--pmtr -f -n" "the options of logs" "$P" -s "$SOCK" logs -
expect "" "a number after logs -n" "$P" -s "$SOCK" logs -n ""
expect "" "nothing after reload" "$P" -s "$SOCK" reload ""
expect "-t" "the option of wait" "$P" -s "$SOCK" wait -
expect "" "a time after wait -t" "$P" -s "$SOCK" wait -t ""

complete_line "$P signal " "$P" signal ""
for sig in HUP INT QUIT USR1 USR2 TERM KILL CONT STOP TSTP WINCH ALRM; do
	has "$sig" || fail "completing 'signal ' gives no $sig: '$GOT'"
done
[[ " $GOT" == *" SIG"* ]] && fail "completing 'signal ' gives names with SIG: '$GOT'"
[[ $GOT =~ [a-z] ]] && fail "completing 'signal ' gives names that are not upper case: '$GOT'"
ok "signal names after signal, without SIG: $GOT"
expect "TERM TRAP TSTP TTIN TTOU" "signal names starting with T" "$P" signal T
expect "SIGTERM SIGTRAP SIGTSTP SIGTTIN SIGTTOU" "signal names starting with SIGT" "$P" signal SIGT
expect "SIGHUP" "SIGH" "$P" signal SIGH

# Socket paths: files, after -s, --socket and --socket= (which bash cuts at "=").
: >"$T/ctl.sockfile"
expect "$T/ctl.sockfile" "a file after -s" "$P" -s "$T/ctl.s"
expect "$T/ctl.sockfile" "a file after --socket" "$P" --socket "$T/ctl.s"
expect_line "$T/ctl.sockfile" "a file after --socket=" "$P --socket=$T/ctl.s" \
	"$P" --socket = "$T/ctl.s"
rm -f "$T/ctl.sockfile"

expect "" "no job names when no pmtr listens on the socket" "$P" -s "$SOCK" stop ""

# Job names come from the program on the line, asked "-s SOCKET status": only
# the first column below a NAME header, and only what is a job name.
LONG=$(printf 'x%.0s' $(seq 129))
script fakectl <<EOF
#!/bin/sh
echo "\$*" >"$T/fakectl.args"
printf 'NAME  STATE\nweb  running\nbad/name  running\n$LONG  stopped\nw1  stopped\n'
EOF
script fakectl-noheader <<'EOF'
#!/bin/sh
printf 'web  running\nw1  stopped\n'
EOF
expect "w1 web" "the first column under the header, only job names" "$T/fakectl" -s "$T/x y" stop ""
[ "$(cat "$T/fakectl.args")" = "-s $T/x y status" ] ||
	fail "job names: the program was run as '$(cat "$T/fakectl.args")', expected '-s $T/x y status'"
ok "job names: the program on the line runs as '-s SOCKET status'"
for quoted in "'$T/x y'" "\"$T/x y\"" "$T/x\\ y"; do
	expect "w1 web" "the socket given as $quoted" "$T/fakectl" -s "$quoted" stop w
	[ "$(cat "$T/fakectl.args")" = "-s $T/x y status" ] ||
		fail "job names: with the socket $quoted, the program was run as '$(cat "$T/fakectl.args")'"
done
ok "job names: a quoted socket is passed unquoted"
expect "" "no job names without the header" "$T/fakectl-noheader" stop w

# ---- with a daemon: job names -----------------------------------------------
write_conf <<'EOF'
job {
  name web
  cmd /bin/sleep 1000
}
job {
  name db
  cmd /bin/sleep 1000
}
job {
  name app@eu:1
  cmd /bin/sleep 1000
}
EOF
start_pmtr -s "$SOCK"
wait_job web
wait_job db
wait_job 'app@eu:1'
wait_until 5 "socket $SOCK" test -S "$SOCK"
run_cmd 10 "$PMTRCTL" -s "$SOCK" status
[ "$RC" = 0 ] || fail "pmtrctl status: exit $RC: $(cat "$T/err")"

JOBS="app@eu:1 db web"
for cmd in start stop restart enable disable status wait reopen; do
	expect "$JOBS" "job names after $cmd" "$P" -s "$SOCK" "$cmd" ""
done
expect "web" "job names after stop, starting with w" "$P" -s "$SOCK" stop w
expect "db" "job names after restart, starting with d" "$P" -s "$SOCK" restart d
expect "web" "job names after more job names" "$P" -s "$SOCK" stop db w
expect "web" "job names after status --json" "$P" -s "$SOCK" status --json w
expect "$JOBS" "job names after logs -f" "$P" -s "$SOCK" logs -f ""
expect "web" "job names after logs -n 10" "$P" -s "$SOCK" logs -n 10 w
expect "$JOBS" "job names after signal HUP" "$P" -s "$SOCK" signal HUP ""
expect "web" "job names after signal SIGTERM, starting with w" "$P" -s "$SOCK" signal SIGTERM w
expect "" "nothing after reload, with a daemon" "$P" -s "$SOCK" reload ""
expect "" "nothing after logs -n, with a daemon" "$P" -s "$SOCK" logs -n ""
expect "web" "the socket of --socket SOCKET" "$P" --socket "$SOCK" stop w
expect "web" "the socket of -sSOCKET" "$P" "-s$SOCK" stop w
expect_line "web" "the socket of --socket=SOCKET" "$P --socket=$SOCK stop w" \
	"$P" --socket = "$SOCK" stop w
expect "" "the socket of -s, not the default one" "$P" -s "$T/none.sock" stop ""

# bash cuts "app@eu:1" at "@" and ":"; readline replaces the text after the
# last ":", or from the last "@": the replies are what replaces it.
expect_line "app@eu:1" "a job name with @ and :, starting with a" \
	"$P -s $SOCK stop a" "$P" -s "$SOCK" stop a
expect_line "@eu:1" "a job name with @ and :, after app@e" \
	"$P -s $SOCK stop app@e" "$P" -s "$SOCK" stop app @ e
expect_line "1" "a job name with @ and :, after app@eu:" \
	"$P -s $SOCK stop app@eu:" "$P" -s "$SOCK" stop app @ eu :

# ---- a daemon that never answers: completion gives up, soon ----------------
if command -v timeout >/dev/null; then
	GARBAGE=$(helper ctl-garbage) || { say "cannot build tests/helpers/ctl-garbage"; exit 99; }
	MUTE=$T/mute.sock
	"$GARBAGE" -L -H 20 "$MUTE" >"$T/mute.out" 2>"$T/mute.err" &
	EXTRA_PIDS+=("$!")
	wait_until 5 "the mute daemon listening" grep -q listening "$T/mute.err"
	t0=$(now_ms)
	expect "" "no job names from a daemon that does not answer" "$P" -s "$MUTE" stop ""
	took=$(($(now_ms) - t0))
	[ "$took" -lt 5000 ] || fail "completing against a mute daemon took $took ms"
	ok "completing against a mute daemon gave up after $took ms"
else
	say "no timeout(1) here: the bound on a mute daemon is not checked"
fi

stop_pmtr
assert_no_marked
