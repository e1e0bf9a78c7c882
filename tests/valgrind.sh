#!/bin/bash
# valgrind.sh: pmtr under valgrind through start, restarts, job output, reloads (valid and invalid), SIGHUP, pmtrctl (logs and a follower too), ready probes and checks, and stop: no error, no leak. SPDX-License-Identifier: MIT
TEST_TIMEOUT=${TEST_TIMEOUT:-150}
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

command -v valgrind >/dev/null 2>&1 || skip "valgrind is not installed"
valgrind -q --error-exitcode=99 /bin/true 2>/dev/null || skip "valgrind does not run here"
# libtool may have built a wrapper script; valgrind needs the real binary
case $(head -c 2 "$PMTR") in '#!') skip "$PMTR is a libtool wrapper script" ;; esac
# a sanitizer build checks itself; valgrind cannot run it
grep -qa -e __asan_init -e __ubsan_handle "$PMTR" && skip "$PMTR is built with a sanitizer"

VG=$T/valgrind.log
# One log for both images of a reexec: valgrind follows the exec into the new
# one (--trace-children; not into the jobs, all in /bin or $T) and both write to
# descriptor 9.
exec 9>>"$VG"
PMTR_WRAP=(valgrind --log-fd=9 --trace-children=yes --trace-children-skip="/bin/*,/usr/*,$T/*"
	--error-exitcode=99
	--leak-check=full --show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible
	--child-silent-after-fork=yes)

script talk.sh <<'EOF'
#!/bin/sh
echo "hello from the job"
exec /bin/sleep 300
EOF

UPORT=$((20000 + RANDOM % 40000))
SOCK=$T/ctl.sock
PMTRCTL=$(dirname "$PMTR")/pmtrctl

gen() {
	cat <<EOF
listen on udp://127.0.0.1:$UPORT
job {
  name a
  cmd /bin/sleep 300
  ready cmd /bin/true
  check every 200ms retries 100 cmd /bin/sh -c "echo checked; exit \$((\$\$ % 2))"
}
job {
  name talk
  cmd $T/talk.sh
  env V=$1
}
job {
  name quick
  cmd /bin/sh -c "echo quick; exit 3"
  restart delay 300ms
}
EOF
	shift
	local j
	for j in "$@"; do printf 'job {\n  name %s\n  cmd /bin/sleep 300\n}\n' "$j"; done
}

gen 1 >"$CONF"
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_job a 20
wait_job talk 20
wait_for_log "talk\[[0-9]*\]: hello from the job" 20
wait_for_log_count "started job quick \[" 2 20
wait_for_log "job a \[[0-9]*\] is ready" 20
wait_for_log "job a \[[0-9]*\]: check failed" 20
ok "under valgrind: jobs start, output is logged, a quick job restarts, a ready probe, checks"

m=$(log_lines)
gen 2 c >"$T/next"
cat "$T/next" >"$CONF"
wait_for_log_since "$m" "started job c \[" 20
wait_for_log_since "$m" "started job talk \[" 20
m=$(log_lines)
gen 2 >"$CONF.tmp"
mv -f "$CONF.tmp" "$CONF"
wait_for_log_since "$m" "stopping job c \[" 20
m=$(log_lines)
printf 'job {\n  name x\n  bogus\n}\n' >"$CONF"
wait_for_log_since "$m" "invalid, keeping the running configuration" 20
m=$(log_lines)
gen 3 d >"$CONF"
wait_for_log_since "$m" "started job d \[" 20
n=$(log_count "$CONF: 4 jobs")
kill -HUP "$PMTR_PID"
wait_for_log_count "$CONF: 4 jobs" $((n + 1)) 20
ok "under valgrind: reloads (in place, rename, invalid) and SIGHUP"

# A drop-in file with the second release's keywords, an edit applied to the
# running job, and the file's removal.
umask 022
mkdir "$T/conf.d"
printf 'A=1\n# a comment\nB="two words"\n' >"$T/env"
inc() {
	printf 'job {\n  name inc\n  cmd /bin/sleep 300\n  env file %s\n  group 0\n' "$T/env"
	printf '  umask 027\n  stop signal INT\n  stop timeout %s\n}\n' "$1"
}
m=$(log_lines)
inc 10 >"$T/conf.d/inc.conf"
{ gen 3 d; echo "include $T/conf.d/*.conf"; } >"$CONF"
wait_for_log_since "$m" "started job inc \[" 20
m=$(log_lines)
inc 5 >"$T/conf.d/inc.conf"
wait_for_log_since "$m" "job inc \[[0-9]*\]: applied stop timeout 5 sec" 20
m=$(log_lines)
rm "$T/conf.d/inc.conf"
wait_for_log_since "$m" "stopping job inc \[[0-9]*\] with SIGINT" 20
ok "under valgrind: an included file added, edited (applied live) and removed"

# a control session and a UDP datagram
if [ -x "$PMTRCTL" ]; then
	run_cmd 30 "$PMTRCTL" -s "$SOCK" status
	[ "$RC" = 0 ] || fail "pmtrctl status under valgrind: exit $RC: $(cat "$T/err")"
	grep -q '^d  *running ' "$T/out" || fail "pmtrctl status: no running job d: $(cat "$T/out")"
	run_cmd 30 "$PMTRCTL" -s "$SOCK" stop d
	[ "$RC" = 0 ] || fail "pmtrctl stop d under valgrind: exit $RC: $(cat "$T/err")"
	wait_for_log "control: stop job d" 20
	run_cmd 30 "$PMTRCTL" -s "$SOCK" logs -n 5 quick talk
	[ "$RC" = 0 ] && grep -q "quick\[[0-9]*\]: quick\$" "$T/out" ||
		fail "pmtrctl logs under valgrind: exit $RC: $(cat "$T/out" "$T/err")"
	run_cmd 30 "$PMTRCTL" -s "$SOCK" signal CONT talk
	[ "$RC" = 0 ] || fail "pmtrctl signal under valgrind: exit $RC: $(cat "$T/err")"
	# a follower still connected when pmtr stops
	"$PMTRCTL" -s "$SOCK" logs -f quick >"$T/follow.out" 2>&1 &
	EXTRA_PIDS+=($!)
	wait_until 20 "the follower to show a line" test -s "$T/follow.out"
	ok "under valgrind: a pmtrctl session (status, stop, logs, signal, a follower)"
fi
m=$(log_lines)
printf 'disable a' >/dev/udp/127.0.0.1/"$UPORT"
printf '\001\002 garbage' >/dev/udp/127.0.0.1/"$UPORT"
wait_for_log_since "$m" "udp control from 127.0.0.1:[0-9]*: disable job a" 20
wait_for_log_since "$m" "stopping job a \[" 20
ok "under valgrind: UDP datagrams"

if [ -x "$PMTRCTL" ]; then
	m=$(log_lines)
	run_cmd 60 "$PMTRCTL" -s "$SOCK" reexec
	[ "$RC" = 0 ] || { cat "$T/err"; fail "pmtrctl reexec under valgrind: exit $RC"; }
	wait_for_log_since "$m" "re-executed, [0-9]* jobs taken over" 30
	run_cmd 30 "$PMTRCTL" -s "$SOCK" status
	[ "$RC" = 0 ] || fail "pmtrctl status after a reexec under valgrind: exit $RC"
	ok "under valgrind: a reexec (both images under valgrind)"
fi

stop_pmtr TERM 30
if [ "$PMTR_RC" != 0 ]; then
	sed 's/^/  vg| /' "$VG" | tail -n 60
	fail "pmtr under valgrind: exit status $PMTR_RC (99: valgrind found errors or leaks)"
fi
if grep -Eq "== (Invalid|Conditional jump|Use of uninitialised|Syscall param|Mismatched|Source and destination)" "$VG"; then
	sed 's/^/  vg| /' "$VG" | tail -n 60
	fail "valgrind reports errors (before a reexec)"
fi
grep -q "ERROR SUMMARY: 0 errors" "$VG" || {
	sed 's/^/  vg| /' "$VG" | tail -n 60
	fail "valgrind reports errors"
}
if grep -Eq "(definitely|indirectly|possibly) lost: [1-9]" "$VG"; then
	sed 's/^/  vg| /' "$VG" | tail -n 60
	fail "valgrind reports leaks"
fi
ok "valgrind: 0 errors, no leak ($(grep -Eo 'in use at exit: [0-9,]+ bytes' "$VG" | head -n 1))"
assert_no_marked
exit 0
