#!/bin/bash
# wait_cli.sh: pmtrctl wait (exit 0 once the jobs run and are ready, 5 when not in time) and the readiness fields of pmtrctl status. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
GARBAGE=$(helper ctl-garbage) || { say "cannot build tests/helpers/ctl-garbage"; exit 99; }
SOCK=$T/ctl.sock
ctl() { run_cmd 15 "$PMTRCTL" -s "$SOCK" "$@"; }

# expect STATUS STDERR WHAT: the last ctl ended with STATUS and printed exactly
# STDERR on standard error, nothing on standard output.
expect() {
	[ "$RC" = "$1" ] || fail "$3: exit status $RC, expected $1 (stderr: $(cat "$T/err"))"
	[ "$(cat "$T/err")" = "$2" ] || fail "$3: stderr is '$(cat "$T/err")', expected '$2'"
	[ ! -s "$T/out" ] || fail "$3: stdout is '$(cat "$T/out")', expected nothing"
}

# timed COMMAND...: run it, the milliseconds it took in $MS.
timed() {
	local t0
	t0=$(now_ms)
	"$@"
	MS=$(($(now_ms) - t0))
}

_state_is() {
	ctl status --json "$1"
	grep -qF "\"state\":\"$2\"" "$T/out"
}

# ---- the real pmtr, jobs without ready: running is ready -------------------
write_conf <<CONF
job {
  name web
  cmd /bin/sleep 300
}
job {
  name flap
  cmd /bin/false
  restart delay 30
}
job {
  name off
  cmd /bin/sleep 300
  disable
}
job {
  name init
  cmd /bin/true
  once
}
CONF
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_job web
wait_until 5 "job flap waiting to restart" _state_is flap "waiting to restart"
wait_until 5 "job init done" _state_is init done

timed ctl wait web
expect 0 "" "wait web (running)"
[ "$MS" -lt 2000 ] || fail "wait web took $MS ms for a job that runs"
ctl wait -t 0 web
expect 0 "" "wait -t 0 web"
ctl wait -t5s web
expect 0 "" "wait -t5s web"
ctl wait --timeout=1m -- web
expect 0 "" "wait --timeout=1m -- web"
ok "wait on a running job without ready: exit 0 at once, silent; -t TIME, -tTIME, --timeout=TIME"

ctl wait -t 0 flap
expect 5 "pmtrctl: not ready: flap (waiting to restart)" "wait -t 0 flap"
timed ctl wait -t 300ms web flap
expect 5 "pmtrctl: not ready after 300 ms: flap (waiting to restart)" "wait -t 300ms web flap"
[ "$MS" -ge 300 ] && [ "$MS" -lt 3000 ] || fail "wait -t 300ms took $MS ms"
timed ctl wait -t 1 flap init off
expect 5 "pmtrctl: not ready after 1 s: flap (waiting to restart), init (done), off (disabled)" \
	"wait -t 1 flap init off"
[ "$MS" -ge 1000 ] && [ "$MS" -lt 4000 ] || fail "wait -t 1 took $MS ms"
ok "not ready in time: exit 5 after the time, naming each job not ready with its state (done and disabled named too)"

ctl wait -t 0
expect 5 "pmtrctl: not ready: flap (waiting to restart)" "wait -t 0 without names"
ctl stop flap
[ "$RC" = 0 ] || fail "stop flap: status $RC: $(cat "$T/err")"
wait_until 5 "job flap disabled" _state_is flap disabled
timed ctl wait -t 5
expect 0 "" "wait without names, every job running, disabled or done"
[ "$MS" -lt 2000 ] || fail "wait without names took $MS ms"
ok "wait without names: every job but the disabled and done ones"

ctl wait nope
expect 3 'pmtrctl: no such job: "nope"' "wait nope"
ctl wait -t 10 web nope
[ "$RC" = 3 ] || fail "wait web nope: status $RC, expected 3"
ok "an unknown job: exit 3 at once, the daemon's message"

for bad in 1x -1 "" 5sec 1.5 8d 604801 s ms 99999999999999999999; do
	ctl wait -t "$bad" web
	[ "$RC" = 1 ] || fail "wait -t '$bad': status $RC, expected 1"
	grep -q "^pmtrctl: bad time \"" "$T/err" || fail "wait -t '$bad': $(cat "$T/err")"
done
ctl wait -t
expect 1 "pmtrctl: -t needs a time (10s, 500ms)" "wait -t without a time"
ctl wait --json
[ "$RC" = 1 ] && grep -q 'unknown option "--json" for wait' "$T/err" || fail "wait --json: status $RC: $(cat "$T/err")"
ctl wait 'a/b'
[ "$RC" = 1 ] && grep -q 'bad job name "a/b"' "$T/err" || fail "wait a/b: status $RC: $(cat "$T/err")"
ok "a bad time, option or name: exit 1"

ctl status
[ "$RC" = 0 ] || fail "status: $RC"
head -n 1 "$T/out" | grep -q '^NAME  *STATE  *PID  *UPTIME  *RESTARTS  *LAST EXIT  *COMMAND$' ||
	fail "status without status texts has no STATUS column: $(head -n 1 "$T/out")"
ok "status: no STATUS column when no job has a status text"

stop_pmtr TERM
ctl wait -t 0 web
[ "$RC" = 2 ] && grep -q "cannot connect to $SOCK" "$T/err" || fail "wait without a daemon: status $RC: $(cat "$T/err")"
ok "wait without a daemon: exit 2"

# ---- a pmtr of protocol version 1: running counts as ready -----------------
# old_pmtr NAME ANSWER: a stand-in for a pmtr of version 1 on $T/NAME.sock, which
# answers every status request with ANSWER (printf format).
old_pmtr() {
	printf "pmtr-ctl 1\nok\n$2" >"$T/$1-answer"
	"$GARBAGE" -L -f "$T/$1-answer" -H 30 "$T/$1.sock" >"$T/$1.out" 2>"$T/$1.err" &
	EXTRA_PIDS+=($!)
	wait_until 5 "the version 1 stand-in $1 listening" grep -q listening "$T/$1.err"
}
old_pmtr up 'job web running 42 7 0 - - /bin/web\njob off disabled 0 0 0 - - /bin/off\n'
old_pmtr down 'job web running 42 7 0 - - /bin/web\njob bak waiting\\sto\\srestart 0 0 1 1 - /bin/bak\n'
run_cmd 15 "$PMTRCTL" -s "$T/up.sock" wait -t 0
expect 0 "" "wait -t 0 against a version 1 pmtr whose jobs run"
run_cmd 15 "$PMTRCTL" -s "$T/down.sock" wait -t 350ms
expect 5 "pmtrctl: not ready after 350 ms: bak (waiting to restart)" "wait against a version 1 pmtr"
[ "$(grep -c '^request pmtr-ctl 2$' "$T/down.out")" = 1 ] && [ "$(grep -c '^request pmtr-ctl 1$' "$T/down.out")" -ge 3 ] ||
	fail "wait should ask in version 2 once, then in version 1: $(grep -c request "$T/down.out") requests: $(head -n 5 "$T/down.out")"
ok "a pmtr of protocol version 1: a running job is ready; asked in version 1 after the first refusal"

# ---- a daemon that sends ready, health and note ----------------------------
# A stand-in for a pmtr with ready probes and checks: answers every status request
# with the lines of $T/v2-answer that are of the jobs named (all without names).
if ! command -v python3 >/dev/null 2>&1; then
	ok "SKIPPED: readiness fields from a version 2 daemon (no python3)"
	exit 0
fi
script fake-pmtr.py <<'PY'
#!/usr/bin/env python3
import socket, sys, time
path, answer, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(16)
srv.settimeout(0.2)
print("listening", file=sys.stderr, flush=True)
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        continue
    conn.settimeout(2)
    data = b""
    try:
        while data.count(b"\n") < 2:
            more = conn.recv(4096)
            if not more:
                break
            data += more
    except socket.timeout:
        pass
    words = data.split(b"\n")[1].split() if data.count(b"\n") >= 2 else []
    with open(answer, "rb") as f:
        lines = f.read().splitlines()
    names = words[1:]
    body = b"".join(l + b"\n" for l in lines if not names or l.split(b" ")[1] in names)
    unknown = [n for n in names if not any(l.split(b" ")[1] == n for l in lines)]
    if unknown:
        reply = b"pmtr-ctl 2\nerror unknown no such job: \"" + unknown[0] + b"\"\n"
    else:
        reply = b"pmtr-ctl 2\nok\n" + body
    try:
        conn.sendall(reply)
    except OSError:
        pass
    conn.close()
PY
NEW=$T/new.sock
cat >"$T/v2-answer" <<'EOF'
job web running 2199 312 0 - - /usr/sbin/nginx ready=yes health=healthy note=serving\s3\ssites
job db starting 2201 4 0 - - /usr/bin/db ready=no health=starting note=replaying\sWAL
job api running 2203 60 2 1 - /usr/bin/api ready=yes health=unhealthy
job new running 2204 1 0 - - /usr/bin/new ready=yes health=starting
job cache running 2205 9 0 - - /usr/bin/cache ready=yes
job off disabled 0 0 0 - - /usr/bin/off ready=no
EOF
python3 "$T/fake-pmtr.py" "$NEW" "$T/v2-answer" 40 >"$T/new.out" 2>"$T/new.err" &
EXTRA_PIDS+=($!)
wait_until 5 "the version 2 stand-in listening" grep -q listening "$T/new.err"
nctl() { run_cmd 15 env COLUMNS=200 "$PMTRCTL" -s "$NEW" "$@"; }

nctl status
[ "$RC" = 0 ] || fail "status from the stand-in: $RC: $(cat "$T/err")"
cp "$T/out" "$T/table"
head -n 1 "$T/table" | grep -q '^NAME  *STATE  *PID  *UPTIME  *RESTARTS  *LAST EXIT  *STATUS  *COMMAND$' ||
	fail "status: header with STATUS before COMMAND: $(head -n 1 "$T/table")"
for want in '^web  *running (healthy)  *2199 .*  serving 3 sites  */usr/sbin/nginx$' \
	'^db  *starting  *2201 .*  replaying WAL  */usr/bin/db$' \
	'^api  *running (unhealthy)  *2203 .*  exit 1  *-  */usr/bin/api$' \
	'^new  *running (checking)  *2204 .*  -  */usr/bin/new$' \
	'^cache  *running  *2205 ' \
	'^off  *disabled  *- '; do
	grep -q "$want" "$T/table" || fail "status: no line /$want/ in: $(cat "$T/table")"
done
col=$(head -n 1 "$T/table" | awk '{ print index($0, "STATUS") }')
while IFS= read -r line; do
	case ${line:col-1:1} in ' ' | '') fail "status: the STATUS column is not aligned: $(cat "$T/table")" ;; esac
done <"$T/table"
ok "status: STATE shows starting and the health of running jobs; a STATUS column when a job has a text"

nctl status --json
[ "$RC" = 0 ] || fail "status --json from the stand-in: $RC"
cp "$T/out" "$T/json"
for want in '{"name":"web","state":"running","ready":true,"health":"healthy","status_text":"serving 3 sites","pid":2199,' \
	'{"name":"db","state":"starting","ready":false,"health":"starting","status_text":"replaying WAL","pid":2201,' \
	'{"name":"api","state":"running","ready":true,"health":"unhealthy","status_text":null,"pid":2203,' \
	'{"name":"cache","state":"running","ready":true,"health":null,"status_text":null,"pid":2205,' \
	'{"name":"off","state":"disabled","ready":false,"health":null,"status_text":null,"pid":null,'; do
	grep -qF "$want" "$T/json" || fail "status --json: no $want in: $(cat "$T/json")"
done
if python3 -c 'import json, sys; d = json.load(sys.stdin); assert len(d["jobs"]) == 6' <"$T/json"; then :; else
	fail "status --json is not one JSON document with 6 jobs: $(cat "$T/json")"
fi
ok "status --json: ready, health and status_text, null when not said"

nctl wait -t 0
expect 5 "pmtrctl: not ready: db (starting), api (unhealthy)" "wait -t 0 with a starting and an unhealthy job"
nctl wait -t 0 web new cache
expect 0 "" "wait -t 0 web new cache"
ok "wait: a starting or unhealthy job is not ready; a healthy one, one being checked first and one without check are"

# db becomes ready while wait waits for it.
(
	sleep 0.5
	sed -e 's/^job db starting 2201 4 0 - - \/usr\/bin\/db ready=no health=starting/job db running 2201 5 0 - - \/usr\/bin\/db ready=yes health=healthy/' \
		"$T/v2-answer" >"$T/v2-answer.new" && mv "$T/v2-answer.new" "$T/v2-answer"
) &
EXTRA_PIDS+=($!)
timed nctl wait -t 10 db web
expect 0 "" "wait -t 10 db web, db ready after 0.5 s"
[ "$MS" -ge 400 ] && [ "$MS" -lt 5000 ] || fail "wait for db took $MS ms, expected about 500"
grep -q '^job db running' "$T/v2-answer" || fail "db was not made ready"
ok "wait returns once the job is ready (after $MS ms)"

nctl wait -t 0 db nope
[ "$RC" = 3 ] || fail "wait db nope from the stand-in: status $RC"
exit 0
