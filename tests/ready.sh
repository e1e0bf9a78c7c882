#!/bin/bash
# ready.sh: readiness (ready cmd, tcp, notify, timeout), start ordering by after, and health checks that restart a hung job, as status and wait show them. SPDX-License-Identifier: MIT
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
SEND=$(helper notify-send) || skip "no notify-send helper (not built, and no C compiler to build it)"
LISTEN=$(helper tcp-listen) || skip "no tcp-listen helper (not built, and no C compiler to build it)"
SOCK=$T/ctl.sock
ctl() { run_cmd 15 "$PMTRCTL" -s "$SOCK" "$@"; }
# json_of JOB: the job's object of status --json, on one line
json_of() { ctl status --json "$1" && grep -o '{"name":"'"$1"'"[^}]*}' "$T/out"; }
json_has() { json_of "$1" | grep -qF -- "$2"; }
PORT=$((20000 + RANDOM % 40000))

script talk.sh <<SCRIPT
#!/bin/sh
# a daemon that speaks sd_notify: a status first, then ready (the senders live on
# for a while, as a daemon's process does, so that pmtr can tell whose they are)
echo "\$NOTIFY_SOCKET" >$T/notify.name
sleep 0.3
$SEND -w 5000 "STATUS=warming up" &
sleep 0.3
$SEND -w 5000 READY=1 "STATUS=serving" &
exec /bin/sleep 300
SCRIPT

# db's probe finds its file through the job's dir and env file: a probe runs
# in the job's context
echo "READY_FILE=db.ready" >$T/db.env
write_conf <<CONF
job {
  name db
  cmd /bin/sleep 300
  dir $T
  env file $T/db.env
  ready cmd /bin/sh -c "test -f \$READY_FILE"
}
job {
  name web
  cmd /bin/sleep 300
  after db
}
job {
  name listener
  cmd $LISTEN -d 500 $PORT
  ready tcp 127.0.0.1:$PORT
}
job {
  name talk
  cmd $T/talk.sh
  ready notify
}
job {
  name mute
  cmd /bin/sleep 300
  ready notify
  ready timeout 2s
  restart delay 100ms
}
job {
  name hung
  cmd /bin/sleep 300
  restart delay 100ms
  check every 300ms timeout 300ms retries 2 cmd /bin/sh -c "echo probing; test -f $T/healthy || exec /bin/sleep 5"
}
CONF
touch "$T/healthy"
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_job db
DB=$JOB_PID

# ---- ready cmd and after: web waits until db is ready
wait_for_log "job web waits for db to be ready"
json_has db '"state":"starting"' && json_has db '"ready":false' || fail "db before ready: $(json_of db)"
assert_no_log "started job web" "web is not started before db is ready"
ctl wait -t 0 db
[ "$RC" = 5 ] || fail "wait -t 0 on a starting job: exit status $RC, expected 5"
grep -q "db (starting)" "$T/err" || fail "wait -t 0: the message should name db (starting): $(cat "$T/err")"
ok "ready cmd: db is starting; web waits for it; wait -t 0 says so with exit 5"
MARK=$(log_lines)
"$PMTRCTL" -s "$SOCK" wait -t 20 db >"$T/wait.out" 2>&1 &
W=$!
EXTRA_PIDS+=("$W")
# A wait with a short time limit asks until that limit while db is starting,
# and says it was not ready in time: the limit is the subject, not a pause.
ctl wait -t 300ms db
[ "$RC" = 5 ] || fail "wait -t 300ms on a starting job: exit status $RC, expected 5: $(cat "$T/err")"
pid_running "$W" || fail "wait for a starting job returned at once: $(cat "$T/wait.out")"
touch "$T/db.ready"
wait_for_log_since "$MARK" "job db \[$DB\] is ready" 5
wait_until 5 "wait to return once db is ready" eval '! pid_running $W'
wait "$W"
rc=$?
[ "$rc" = 0 ] || fail "wait for db: exit status $rc once db was ready: $(cat "$T/wait.out")"
wait_for_log_since "$MARK" "started job web \[" 5
ready_line=$(grep -n "job db \[$DB\] is ready" "$LOG" | cut -d: -f1)
web_line=$(grep -n "started job web \[" "$LOG" | head -n 1 | cut -d: -f1)
[ "$ready_line" -lt "$web_line" ] || fail "web started (log line $web_line) before db was ready ($ready_line)"
json_has db '"state":"running"' && json_has db '"ready":true' || fail "db once ready: $(json_of db)"
ok "after: web starts once db is ready"

# ---- ready tcp
wait_for_log "job listener \[[0-9]*\] is ready" 10
ok "ready tcp: ready once the port accepts"

# ---- ready notify: STATUS shown, only the job's own processes count
wait_for_log "job talk \[[0-9]*\] is ready" 10
json_has talk '"status_text":"serving"' || fail "talk: the STATUS= text: $(json_of talk)"
ctl status
grep -q "^talk .*serving" "$T/out" || fail "status table: talk's status text: $(cat "$T/out")"
NAME=$(cat "$T/notify.name")
case $NAME in @*) ;; *) fail "NOTIFY_SOCKET of a job: '$NAME', expected an abstract socket @..." ;; esac
MARK=$(log_lines)
NOTIFY_SOCKET=$NAME "$SEND" READY=1 || fail "cannot send to $NAME"
wait_for_log_since "$MARK" "notify socket: ignored 1 datagram (last: from pid [0-9]*, not a process of a job waiting for it)" 5
json_has mute '"state":"starting"' || fail "a foreign READY=1 made mute ready: $(json_of mute)"
ok "ready notify: READY=1 and STATUS= from the job count, from anyone else they are ignored and said"

# ---- ready timeout: not ready in time means a restart
wait_for_log "job mute \[[0-9]*\] not ready after 2 sec: restarting" 10
wait_for_log_count "started job mute \[" 2 10
ok "ready timeout: a job that never gets ready is restarted"

# ---- health checks: a hung job is restarted
wait_job hung
HUNG=$JOB_PID
wait_until 5 "hung to be healthy" json_has hung '"health":"healthy"'
MARK=$(log_lines)
rm -f "$T/healthy"
wait_until 5 "hung to be unhealthy" json_has hung '"health":"unhealthy"'
json_has hung '"state":"running"' || fail "an unhealthy job is still running: $(json_of hung)"
ctl wait -t 0 hung
[ "$RC" = 5 ] || fail "wait -t 0 on an unhealthy job: exit status $RC, expected 5"
wait_for_log_since "$MARK" "job hung \[$HUNG\]: check failed (1 of 2): timed out after 300 ms" 5
wait_for_log_since "$MARK" "job hung \[$HUNG\]: check failed (2 of 2): timed out after 300 ms" 5
wait_for_log_since "$MARK" "job hung \[$HUNG\] unhealthy: 2 checks failed in a row: restarting" 5
wait_for_log_since "$MARK" "stopping job hung \[$HUNG\]" 5
touch "$T/healthy"
wait_new_pid hung "$HUNG" 15
wait_until 5 "hung to be healthy again" json_has hung '"health":"healthy"'
ok "check: two timed-out checks restart the job, which is healthy again"

MARK=$(log_lines)
ctl wait -t 10 db web listener talk hung
[ "$RC" = 0 ] || fail "wait for the ready jobs: exit status $RC: $(cat "$T/err")"
ok "wait: returns 0 once a starting job is ready, and for jobs ready and not unhealthy"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
