#!/bin/bash
# output.sh: job output logged as NAME[PID]: text (long lines cut, bytes escaped, floods kept, all before the exit line), or appended to out/err files. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

script talk.sh <<'EOF'
#!/bin/sh
echo "hello stdout"
echo "hello stderr" >&2
printf 'a\001b\177c\n'
head -c 1500 /dev/zero | tr '\0' x
echo
printf 'last words without newline'
EOF

script flood.sh <<'EOF'
#!/bin/sh
seq 1 20000
EOF

script files.sh <<'EOF'
#!/bin/sh
echo to-out
echo to-err >&2
EOF

script explicit.sh <<'EOF'
#!/bin/sh
echo explicit-syslog-out
echo explicit-syslog-err >&2
EOF

printf 'previous line\n' >"$T/out.txt"
umask 077

write_conf <<EOF
job {
  name talk
  cmd $T/talk.sh
  once
}
job {
  name flood
  cmd $T/flood.sh
  once
}
job {
  name files
  cmd $T/files.sh
  out $T/out.txt
  err $T/err.txt
  once
}
job {
  name explicit
  cmd $T/explicit.sh
  out syslog
  err syslog
  once
}
EOF

start_pmtr
wait_job talk
P=$JOB_PID
wait_for_log "job talk is once: not restarting"
assert_log "talk\[$P\]: hello stdout\$" "stdout line logged as 'talk[$P]: hello stdout'"
assert_log "talk\[$P\]: hello stderr\$" "stderr line logged as 'talk[$P]: hello stderr'"
assert_log "talk\[$P\]: a\\\\x01b\\\\x7fc\$" "non-printable bytes shown as \\xHH"
x1024=$(head -c 1024 /dev/zero | tr '\0' x)
x476=$(head -c 476 /dev/zero | tr '\0' x)
assert_log "talk\[$P\]: $x1024\$" "a 1500-byte line is cut at 1024 bytes"
assert_log "talk\[$P\]: $x476\$" "the rest of the long line follows as a line of 476 bytes"
assert_log "talk\[$P\]: last words without newline\$" "a last line without newline is logged at exit"
last_out=$(grep -n "talk\[$P\]: " "$LOG" | tail -n 1 | cut -d: -f1)
exit_line=$(grep -n "job talk \[$P\] exited" "$LOG" | cut -d: -f1)
[ -n "$exit_line" ] && [ "$last_out" -lt "$exit_line" ] ||
	fail "the job's last output (log line $last_out) comes after its exit line ($exit_line): $(grep -n talk "$LOG")"
ok "the job's output is logged before the line that says it exited"

wait_job flood
F=$JOB_PID
wait_for_log "job flood is once: not restarting" 10
n=$(grep -c "flood\[$F\]: [0-9]*\$" "$LOG")
[ "$n" = 20000 ] || fail "a job writing 20000 lines at once: $n logged"
assert_log "flood\[$F\]: 20000\$" "the last of 20000 lines is logged"
ok "20000 lines written at once: all 20000 logged"

wait_for_log "job files is once: not restarting"
[ "$(cat "$T/out.txt")" = "previous line
to-out" ] || fail "out file: expected the old line and to-out appended, got: $(cat "$T/out.txt")"
[ "$(cat "$T/err.txt")" = "to-err" ] || fail "err file: expected to-err, got: $(cat "$T/err.txt")"
mode=$(stat -c %a "$T/err.txt")
[ "$mode" = 644 ] || fail "err file created with mode $mode, expected 644 (pmtr runs with umask 077)"
assert_no_log "to-out" "output sent to a file is not logged"
assert_no_log "to-err" "error output sent to a file is not logged"
ok "out/err: appended to the files, created 0644"

wait_for_log "job explicit is once: not restarting"
assert_log "explicit\[[0-9]*\]: explicit-syslog-out\$" "out syslog: logged"
assert_log "explicit\[[0-9]*\]: explicit-syslog-err\$" "err syslog: logged"

# the once jobs ran once
for j in talk flood files explicit; do
	[ "$(job_starts $j)" = 1 ] || fail "once job $j started $(job_starts $j) times"
done
ok "once jobs were started once"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
exit 0
