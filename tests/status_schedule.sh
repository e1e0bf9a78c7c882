#!/bin/bash
# status_schedule.sh: what pmtrctl status, status --json and wait make of the next_run and last_run of scheduled jobs, from a stand-in daemon. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
command -v python3 >/dev/null 2>&1 || skip "no python3 for the stand-in daemon"

# A stand-in for a pmtr with scheduled jobs: answers every status request in
# version 2 with the lines of ANSWER that are of the jobs named (all without
# names), "NOW+N" and "NOW-N" in them replaced by the Unix time then, plus or minus N.
script fake-pmtr.py <<'PY'
#!/usr/bin/env python3
import re, socket, sys, time
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
    names = data.split(b"\n")[1].split()[1:] if data.count(b"\n") >= 2 else []
    now = int(time.time())
    with open(answer, "rb") as f:
        text = re.sub(rb"NOW([+-][0-9]+)", lambda m: b"%d" % (now + int(m.group(1))), f.read())
    lines = text.splitlines()
    body = b"".join(l + b"\n" for l in lines if not names or l.split(b" ")[1] in names)
    try:
        conn.sendall(b"pmtr-ctl 2\nok\n" + body)
    except OSError:
        pass
    conn.close()
PY
# 2114380800 is 2037-01-01 00:00:00 UTC, 1577934017 2020-01-02 03:00:17 UTC.
cat >"$T/answer" <<'EOF'
job web running 2199 312 0 - - /usr/sbin/nginx ready=yes
job backup scheduled 0 0 0 0 - /usr/local/bin/backup ready=no next_run=2114380800 last_run=1577934017
job purge scheduled 0 0 0 0 - /bin/purge ready=no next_run=NOW+18750 last_run=NOW-3030
job report starting 2300 1 0 - - /bin/report ready=no next_run=NOW+600 last_run=NOW-1
job paused disabled 0 0 0 0 - /bin/paused ready=no last_run=1577934017
EOF
SOCK=$T/fake.sock
python3 "$T/fake-pmtr.py" "$SOCK" "$T/answer" 60 >"$T/fake.out" 2>"$T/fake.err" &
EXTRA_PIDS+=($!)
wait_until 5 "the stand-in listening" grep -q listening "$T/fake.err"
# fctl COLUMNS TZ ARGS...: pmtrctl against the stand-in, in that width and zone.
fctl() {
	local cols=$1 tz=$2
	shift 2
	run_cmd 15 env COLUMNS="$cols" TZ="$tz" "$PMTRCTL" -s "$SOCK" "$@"
}
# aligned HEADER: each line of $T/out has a cell starting where HEADER starts.
aligned() {
	local col line
	col=$(head -n 1 "$T/out" | awk -v h="$1" '{ print index($0, h) }')
	[ "$col" -gt 1 ] || fail "status: no $1 column: $(cat "$T/out")"
	while IFS= read -r line; do
		case ${line:col-3:2} in '  ') ;; *) fail "status: the $1 column is not aligned: $(cat "$T/out")" ;; esac
		case ${line:col-1:1} in ' ' | '') fail "status: the $1 column is not aligned: $(cat "$T/out")" ;; esac
	done <"$T/out"
}

# ---- the table ---------------------------------------------------------------
fctl 200 UTC0 status
[ "$RC" = 0 ] || fail "status: exit $RC: $(cat "$T/err")"
head -n 1 "$T/out" | grep -q '^NAME  *STATE  *PID  *UPTIME  *RESTARTS  *LAST EXIT  *NEXT RUN  *LAST RUN  *COMMAND$' ||
	fail "status: header with NEXT RUN and LAST RUN: $(head -n 1 "$T/out")"
for want in '^web  *running  *2199 .*  -  *-  */usr/sbin/nginx$' \
	'^backup  *scheduled  *- .*  exit 0  *2037-01-01 00:00 (in [0-9]*d[0-9][0-9]h)  *2020-01-02 03:00:17  */usr/local/bin/backup$' \
	'^purge  *scheduled  .* 20[0-9-]* [0-9:]* (in 5h12m)  *20[0-9-]* [0-9:]*  */bin/purge$' \
	'^report  *starting  *2300 .* (in 10m00s)  *20[0-9-]* [0-9:]*  */bin/report$' \
	'^paused  *disabled  .*  -  *2020-01-02 03:00:17  */bin/paused$'; do
	grep -q "$want" "$T/out" || fail "status: no line /$want/ in: $(cat "$T/out")"
done
aligned "NEXT RUN"
aligned "LAST RUN"
aligned "COMMAND"
ok "status: NEXT RUN with how long until it, LAST RUN, in local time (UTC), aligned"

fctl 200 XYZ-5 status backup
grep -q '^backup  *scheduled .*  2037-01-01 05:00 (in [0-9]*d[0-9][0-9]h)  *2020-01-02 08:00:17  */usr/local/bin/backup$' "$T/out" ||
	fail "status in a zone 5 hours east of UTC: $(cat "$T/out")"
ok "status: the times are in the client's local time zone"

fctl 60 UTC0 status
[ "$RC" = 0 ] || fail "status on 60 columns: exit $RC: $(cat "$T/err")"
for want in '^backup  *scheduled .*  in [0-9]*d[0-9][0-9]h  *[0-9]*d[0-9][0-9]h ago  ' \
	'^purge  *scheduled .*  in 5h12m  *50m[0-9][0-9]s ago  ' \
	'^web  *running .*  -  *-  '; do
	grep -q "$want" "$T/out" || fail "status on 60 columns: no line /$want/ in: $(cat "$T/out")"
done
aligned "NEXT RUN"
aligned "LAST RUN"
ok "status: in a table too wide for its terminal, \"in 5h12m\" and \"50m30s ago\""

fctl 200 UTC0 status web
head -n 1 "$T/out" | grep -q '^NAME  *STATE  *PID  *UPTIME  *RESTARTS  *LAST EXIT  *COMMAND$' ||
	fail "status of a job without a schedule has no NEXT RUN or LAST RUN column: $(cat "$T/out")"
fctl 200 UTC0 status paused
head -n 1 "$T/out" | grep -q '^NAME  *STATE  *PID  *UPTIME  *RESTARTS  *LAST EXIT  *LAST RUN  *COMMAND$' ||
	fail "status of a disabled scheduled job: a LAST RUN column alone: $(cat "$T/out")"
ok "status: the columns only when a job has such a time"

# ---- JSON --------------------------------------------------------------------
fctl 200 UTC0 status --json
[ "$RC" = 0 ] || fail "status --json: exit $RC: $(cat "$T/err")"
for want in '"name":"web",.*"restart_at":null,"next_run":null,"last_run":null,' \
	'"name":"backup",.*"restart_at":null,"next_run":2114380800,"last_run":1577934017,' \
	'"name":"paused",.*"next_run":null,"last_run":1577934017,'; do
	grep -q "$want" "$T/out" || fail "status --json: no /$want/ in: $(cat "$T/out")"
done
python3 -c 'import json, sys; d = json.load(sys.stdin); assert len(d["jobs"]) == 5' <"$T/out" ||
	fail "status --json is not one JSON document with 5 jobs: $(cat "$T/out")"
ok "status --json: next_run and last_run in Unix seconds, null when not said"

# ---- wait --------------------------------------------------------------------
fctl 80 UTC0 wait -t 0
[ "$RC" = 0 ] && [ ! -s "$T/err" ] ||
	fail "wait without names should leave out the scheduled jobs and report's run: exit $RC: $(cat "$T/err")"
fctl 80 UTC0 wait -t 0 backup purge web
[ "$RC" = 0 ] && [ ! -s "$T/err" ] || fail "wait backup purge web: exit $RC: $(cat "$T/err")"
fctl 80 UTC0 wait -t 0 report purge
[ "$RC" = 5 ] && [ "$(cat "$T/err")" = "pmtrctl: not ready: report (starting)" ] ||
	fail "wait report purge: exit $RC: $(cat "$T/err")"
fctl 80 UTC0 wait -t 0 paused
[ "$RC" = 5 ] && [ "$(cat "$T/err")" = "pmtrctl: not ready: paused (disabled)" ] ||
	fail "wait paused: exit $RC: $(cat "$T/err")"
ok "wait: scheduled jobs are left out, or settled when named; a named run counts once ready"
