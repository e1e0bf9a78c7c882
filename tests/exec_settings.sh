#!/bin/bash
# exec_settings.sh (root): umask, group without user, env file (parsing, precedence, missing or bad file retried) as seen in /proc of the job. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

require_root
# pmtr's own mask, which the jobs must not inherit
umask 077

# An env file with everything the format allows (the CR is a file from Windows).
printf '%s\n' '# a comment' '' '   ' '  # an indented comment' 'A=1' 'B="two words"' \
	'  A=3  ' 'C=x' 'D=$HOME `x` $(y)' 'E="say \"hi\" \\ ok"' 'F=a=b c' >"$T/env"
printf 'G=crlf\r\n' >>"$T/env"
printf '# first\nOK=1\nNOEQUALS\nLATER=1\n' >"$T/bad.env"

write_conf <<EOF
job {
  name um
  cmd /bin/sleep 300
  umask 027
}
job {
  name dflt
  cmd /bin/sleep 300
}
job {
  name grp
  cmd /bin/sleep 300
  group 4321
}
job {
  name ef
  cmd /bin/sleep 300
  env file $T/env
  env C=y
}
job {
  name miss
  cmd /bin/sleep 300
  env file $T/missing
  restart delay 1
}
job {
  name badl
  cmd /bin/sleep 300
  env file $T/bad.env
  restart delay 1
}
EOF

# wait_exec NAME: job NAME started and exec'd /bin/sleep; sets JOB_PID.
wait_exec() {
	wait_job "$1"
	wait_until 3 "job $1 [$JOB_PID] to exec /bin/sleep" grep -qx sleep /proc/"$JOB_PID"/comm
}

start_pmtr

# ---- umask
wait_exec um
v=$(status_field "$JOB_PID" Umask)
[ "$v" = 0027 ] || fail "umask 027: /proc/$JOB_PID/status has Umask '$v', expected 0027"
ok "umask 027: Umask 0027"
wait_exec dflt
v=$(status_field "$JOB_PID" Umask)
[ "$v" = 0022 ] || fail "no umask: /proc/$JOB_PID/status has Umask '$v', expected 0022 (pmtr's is 0077)"
ok "no umask: Umask 0022, not pmtr's 0077"

# ---- group without user: gid and supplementary groups, uid unchanged
wait_exec grp
v=$(status_field "$JOB_PID" Gid)
[ "$v" = "4321 4321 4321 4321" ] || fail "group 4321: Gid is '$v', expected 4321 4321 4321 4321"
v=$(status_field "$JOB_PID" Groups)
v=${v% }
[ "$v" = 4321 ] || fail "group 4321 as root: Groups is '$v', expected 4321 alone"
v=$(status_field "$JOB_PID" Uid)
[ "$v" = "0 0 0 0" ] || fail "group 4321 without user: Uid is '$v', expected 0 0 0 0"
ok "group 4321 without user: Gid 4321 (real, effective, saved, fs), Groups 4321, still uid 0"

# ---- env file: comments and blanks skipped, last line wins, env wins over the file
wait_exec ef
EF=$JOB_PID
for e in A=3 'B=two words' C=y 'D=$HOME `x` $(y)' 'E=say "hi" \ ok' 'F=a=b c' G=crlf; do
	has_env "$EF" "$e" || fail "env file: job ef [$EF] lacks '$e'; it has: $(tr '\0' '\n' </proc/"$EF"/environ | grep '^[A-G]=')"
done
ok "env file: A=3 (last line wins), B=two words (quotes dropped), C=y (env wins), values kept literally, CR dropped"
[ "$(tr '\0' '\n' </proc/"$EF"/environ | grep -c '^A=')" = 1 ] || fail "env file: A is set more than once"
[ "$(tr '\0' '\n' </proc/"$EF"/environ | grep -c '^C=')" = 1 ] || fail "env file: C is set more than once"
# What the job has beyond pmtr's own environment is what the test set, and only
# that: a comment or a blank line taken as a variable would show here. Any
# variable of the caller's is in both, whatever its value holds (a '#' under
# dpkg-buildpackage), and so out of the comparison.
added=$(comm -z -23 <(sort -z /proc/"$EF"/environ) <(sort -z /proc/"$PMTR_PID"/environ) | tr '\0' '\n')
want=$(printf '%s\n' A=3 'B=two words' C=y 'D=$HOME `x` $(y)' 'E=say "hi" \ ok' 'F=a=b c' G=crlf | sort)
[ "$added" = "$want" ] ||
	fail "env file: job ef [$EF] has beyond pmtr's environment: $(printf '%s' "$added" | tr '\n' '|'), expected $(printf '%s' "$want" | tr '\n' '|')"
has_env "$EF" "PMTR_TEST_MARK=$T" || fail "env file: pmtr's own environment is not passed on"
ok "env file: each name once, no comment taken, pmtr's environment kept"

# ---- a missing env file: the start fails, is retried after the restart delay
wait_for_log "job miss failed to start: env file $T/missing: No such file or directory\$"
assert_log "job miss restarts in 1 sec\$"
t0=$(now_ms)
n=$(log_count "job miss failed to start: env file $T/missing")
wait_for_log_count "job miss failed to start: env file $T/missing: No such file or directory\$" $((n + 1)) 3
ok "a missing env file: 'failed to start: env file $T/missing: No such file or directory', retried ($(($(now_ms) - t0)) ms later)"
[ "$(job_starts miss)" = 0 ] || fail "job miss was started without its env file"
echo MISS=found >"$T/missing"
wait_exec miss 3
has_env "$JOB_PID" MISS=found || fail "job miss [$JOB_PID] started without MISS=found"
ok "the env file created: job miss started at its next try, with its variable"

# ---- a bad line
wait_for_log "job badl failed to start: env file $T/bad.env line 3: expected VAR=VALUE\$"
n=$(log_count "job badl failed to start")
wait_for_log_count "job badl failed to start" $((n + 1)) 3
[ "$(job_starts badl)" = 0 ] || fail "job badl was started despite its bad env file"
ok "a bad line: 'env file $T/bad.env line 3: expected VAR=VALUE', not started, retried"
printf '# first\nOK=1\nNOW=EQUALS\nLATER=1\n' >"$T/bad.env"
wait_exec badl 3
for e in OK=1 NOW=EQUALS LATER=1; do
	has_env "$JOB_PID" "$e" || fail "job badl [$JOB_PID] lacks $e of its fixed env file"
done
ok "the fixed env file: job badl started with its variables"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
