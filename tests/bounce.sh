#!/bin/bash
# bounce.sh: bounce every T stops and starts a job again every T of running, at once (no restart delay). SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

script b.sh <<EOF
#!/bin/sh
date +%s%N >>$T/b.starts
exec /bin/sleep 300
EOF

write_conf <<EOF
job {
  name b
  cmd $T/b.sh
  bounce every 1
  restart delay 5
}
job {
  name steady
  cmd /bin/sleep 300
}
EOF
start_pmtr
wait_job steady
S=$JOB_PID
wait_job b
P1=$JOB_PID
wait_for_log "bouncing job b \[$P1\]" 2.5
wait_for_pid_gone "$P1" 2
wait_new_pid b "$P1" 2
P2=$JOB_PID
ok "bounced once: 'bouncing job b [$P1]', restarted as $P2"
wait_for_log "bouncing job b \[$P2\]" 2.5
wait_new_pid b "$P2" 2
ok "bounced again"

# the third run may still be starting when its log line appears
wait_until 3 "b.sh to record 3 runs" eval '[ "$(wc -l <"$T/b.starts")" -ge 3 ]'
mapfile -t st <"$T/b.starts"
[ "${#st[@]}" -ge 3 ] || fail "b.sh ran ${#st[@]} times, expected 3"
for i in 1 2; do
	gap=$(((st[i] - st[i - 1]) / 1000000))
	[ "$gap" -ge 950 ] || fail "job b bounced $gap ms after its start; bounce every 1 s"
	[ "$gap" -le 2000 ] || fail "job b started again $gap ms after its previous start: bounce every 1 s (restart delay 5 s must not apply)"
	ok "bounce interval $gap ms (bounce every 1 s)"
done
[ "$(job_pid steady)" = "$S" ] && pid_running "$S" || fail "job steady (no bounce) was restarted"
ok "a job without bounce is not bounced"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
