#!/bin/bash
# user.sh (root): user (uid, gid, supplementary groups, HOME/USER/LOGNAME), unknown user, negative nice, raised limits. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

require_root
# A test user with two supplementary groups exists only inside a private mount
# namespace, where our own passwd and group files are bound over /etc's.
unshare --mount --propagation private true 2>/dev/null ||
	skip "unshare --mount is not permitted here (needed for a private test user)"

mkdir "$T/home"
# The copies drop any entry of this machine's with one of our names or ids,
# which a lookup would find before ours, and our user from other groups'
# member lists, which would add groups to it.
awk -F: -v OFS=: '$1 != "pmtrtest" && $1 != "nosuchuser" && ($3 < 4242 || $3 > 4245)' \
	/etc/passwd >"$T/passwd"
awk -F: -v OFS=: '
	$1 ~ /^(pmtrtest|pmtrg[123])$/ || ($3 >= 4242 && $3 <= 4245) { next }
	NF >= 4 {
		n = split($4, m, ","); $4 = ""
		for (i = 1; i <= n; i++)
			if (m[i] != "pmtrtest") $4 = $4 ($4 == "" ? "" : ",") m[i]
	}
	{ print }' /etc/group >"$T/group"
echo "pmtrtest:x:4242:4242:pmtr test user:$T/home:/bin/sh" >>"$T/passwd"
cat >>"$T/group" <<EOF
pmtrtest:x:4242:
pmtrg1:x:4243:pmtrtest
pmtrg2:x:4244:daemon,pmtrtest
pmtrg3:x:4245:daemon
EOF
PMTR_LAUNCH=(unshare --mount --propagation private
	sh -c 'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec env --default-signal "$@"'
	sh "$T/passwd" "$T/group")

write_conf <<EOF
job {
  name u
  cmd /bin/sleep 300
  user pmtrtest
}
job {
  name uenv
  cmd /bin/sleep 300
  user pmtrtest
  env HOME=/custom
  env LOGNAME=custom
}
job {
  name unum
  cmd /bin/sleep 300
  user 4242
}
job {
  name uid
  cmd /bin/sh -c "id -u; id -g; id -G"
  user pmtrtest
  once
}
job {
  name nouser
  cmd /bin/sleep 300
  user nosuchuser
  restart delay 1
}
job {
  name negnice
  cmd /bin/sleep 300
  nice -5
}
EOF
# Raising a hard limit needs CAP_SYS_RESOURCE, which some sandboxes drop.
capeff=$(status_field $$ CapEff)
if [ $((0x$capeff >> 24 & 1)) = 1 ]; then
	RAISE=1
	cat >>"$CONF" <<EOF
job {
  name raised
  cmd /bin/sleep 300
  ulimit -l infinity -n 100000
}
EOF
else
	RAISE=
	say "no CAP_SYS_RESOURCE here: raising hard limits not tested"
fi

start_pmtr
wait_job u
U=$JOB_PID
wait_job uenv
UE=$JOB_PID
wait_job unum
UN=$JOB_PID
wait_job negnice
NN=$JOB_PID
R=
if [ -n "$RAISE" ]; then
	wait_job raised
	R=$JOB_PID
fi
for p in $U $UE $UN $NN $R; do
	wait_until 3 "pid $p to exec /bin/sleep" grep -qx sleep /proc/"$p"/comm
done

[ "$(status_field "$U" Uid)" = "4242 4242 4242 4242" ] || fail "user pmtrtest: Uid is '$(status_field "$U" Uid)', expected 4242 (real, effective, saved, fs)"
[ "$(status_field "$U" Gid)" = "4242 4242 4242 4242" ] || fail "user pmtrtest: Gid is '$(status_field "$U" Gid)', expected 4242"
groups=$(status_field "$U" Groups | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ' | sed 's/ $//')
case $groups in
"4242 4243 4244" | "4243 4244") ;;
*) fail "user pmtrtest: supplementary groups '$groups', expected 4243 4244 (and the primary 4242), not root's" ;;
esac
ok "user: uid 4242, gid 4242, supplementary groups $groups"

has_env "$U" "HOME=$T/home" || fail "user job: HOME is not $T/home: $(tr '\0' '\n' </proc/"$U"/environ | grep ^HOME=)"
has_env "$U" USER=pmtrtest || fail "user job: USER is not pmtrtest"
has_env "$U" LOGNAME=pmtrtest || fail "user job: LOGNAME is not pmtrtest"
ok "user: HOME, USER and LOGNAME of that user"
has_env "$UE" HOME=/custom || fail "user job with env HOME=/custom: HOME is $(tr '\0' '\n' </proc/"$UE"/environ | grep ^HOME=)"
has_env "$UE" LOGNAME=custom || fail "user job with env LOGNAME=custom: LOGNAME overridden"
has_env "$UE" USER=pmtrtest || fail "user job with env HOME: USER is not pmtrtest"
ok "user: env settings win over HOME/LOGNAME"

[ "$(status_field "$UN" Uid)" = "4242 4242 4242 4242" ] || fail "user 4242 (numeric): Uid is '$(status_field "$UN" Uid)'"
ok "numeric user id"

wait_for_log "job uid is once: not restarting"
UI=$(job_pid uid)
assert_log "uid\[$UI\]: 4242\$" "id -u in the job prints 4242"
ok "the job's own view: $(grep "uid\[$UI\]: " "$LOG" | sed 's/.*: //' | tr '\n' '/')"

wait_for_log "job nouser failed to start: unknown user nosuchuser\$"
wait_for_log_count "job nouser failed to start: unknown user nosuchuser\$" 2 3
[ "$(job_starts nouser)" = 0 ] || fail "job nouser was started"
ok "unknown user: 'job nouser failed to start: unknown user nosuchuser', retried"

[ "$(nice_of "$NN")" = -5 ] || fail "nice -5: the job's nice is $(nice_of "$NN")"
ok "negative nice (-5)"

if [ -n "$RAISE" ]; then
	lim() { grep "^$2 " /proc/"$1"/limits | sed "s/^$2 *//" | awk '{print $1, $2}'; }
	[ "$(lim "$R" "Max locked memory")" = "unlimited unlimited" ] || fail "ulimit -l infinity: '$(lim "$R" "Max locked memory")'"
	[ "$(lim "$R" "Max open files")" = "100000 100000" ] || fail "ulimit -n 100000: '$(lim "$R" "Max open files")'"
	ok "ulimit raises hard limits as root (-l infinity, -n 100000)"
fi

pid_running "$U" || fail "job u died"
stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
assert_no_marked
exit 0
