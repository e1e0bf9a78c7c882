#!/bin/bash
# exec_context.sh: the context a job runs in: fds, stdin, signals, umask, session, dir, env, ulimit, cpu, nice. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

# pmtr is started with a hostile context that the jobs must not inherit: extra open
# descriptors, ignored and blocked signals, umask 077.
mkdir "$T/wd"
echo "some input" >"$T/input.txt"
exec 7<"$T/input.txt" 200>"$T/extra-fd"
[ -e /proc/$$/fd/7 ] && [ -e /proc/$$/fd/200 ] || fail "could not open fds 7 and 200 in the test shell"
umask 077
export FOO=from_pmtr
# (signals 32 and 33 cannot be set through glibc: under GNU make, pmtr inherits
# them ignored anyway, as make leaves them)
PMTR_LAUNCH=(env --default-signal --ignore-signal=USR1,PIPE,TSTP,34,64 --block-signal=USR2,WINCH,35)

# The first CPU this test may run on, and the same as a hex mask.
CPU=$(status_field $$ Cpus_allowed_list | sed 's/[-,].*//')
[ -n "$CPU" ] || fail "cannot read Cpus_allowed_list"
if [ "$CPU" -lt 60 ]; then HEX=$(printf '0x%x' $((1 << CPU))); else HEX=; fi

script child.sh <<EOF
#!/bin/sh
/bin/sleep 301 &
echo \$! >$T/grandchild.pid.tmp && mv $T/grandchild.pid.tmp $T/grandchild.pid
wait
EOF

write_conf <<EOF
job {
  name ctx
  cmd /bin/sleep 300
  dir $T/wd
  env BAR=one
  env "BAZ=two words"
  ulimit -n 64 -c 0
  ulimit {
    -s 4194304
  }
  cpu $CPU
  nice 5
  restart delay 1
}
job {
  name input
  cmd /bin/sleep 300
  in $T/input.txt
}
job {
  name cpux
  cmd /bin/sleep 300
  cpu $CPU,1000
}
job {
  name cpuhex
  cmd /bin/sleep 300
  cpu ${HEX:-$CPU}
}
job {
  name child
  cmd $T/child.sh
}
EOF

start_pmtr
wait_job ctx
P=$JOB_PID
# the job is started once its exec is done: wait until /proc shows sleep
wait_until 5 "job ctx [$P] to exec /bin/sleep" grep -q '^sleep$' /proc/"$P"/comm
wait_job input
IN=$JOB_PID
wait_job cpux
CX=$JOB_PID
wait_job cpuhex
CH=$JOB_PID
wait_job child
C=$JOB_PID
for p in $IN $CX $CH; do
	wait_until 5 "pid $p to exec /bin/sleep" grep -q '^sleep$' /proc/"$p"/comm
done

fds=$(fds_of "$P")
[ "$fds" = "0 1 2" ] || fail "job ctx has fds '$fds', expected '0 1 2' (pmtr was started with fds 7 and 200 open)"
ok "only fds 0 1 2 are open (pmtr inherited 7 and 200)"

[ "$(readlink /proc/"$P"/fd/0)" = /dev/null ] || fail "stdin is $(readlink /proc/"$P"/fd/0), expected /dev/null"
ok "stdin is /dev/null by default"
for fd in 1 2; do
	case $(readlink /proc/"$P"/fd/$fd) in
	pipe:* | socket:*) ;;
	*) fail "fd $fd is $(readlink /proc/"$P"/fd/$fd), expected a pipe to pmtr" ;;
	esac
done
ok "stdout and stderr are pipes to pmtr"

[ "$(readlink /proc/"$IN"/fd/0)" = "$T/input.txt" ] || fail "job input: stdin is $(readlink /proc/"$IN"/fd/0), expected $T/input.txt"
[ "$(fds_of "$IN")" = "0 1 2" ] || fail "job input has fds '$(fds_of "$IN")', expected '0 1 2'"
ok "in FILE: stdin is that file"

blk=$(status_field "$P" SigBlk)
ign=$(status_field "$P" SigIgn)
# The signal numbers in a /proc mask.
signums() {
	local m=$((16#$1)) i out=
	for i in $(seq 0 63); do [ $((m >> i & 1)) = 1 ] && out="$out $((i + 1))"; done
	echo "${out# }"
}
[ "$blk" = 0000000000000000 ] || fail "signal mask SigBlk=$blk (signals $(signums "$blk")), expected empty (pmtr was started with USR2, WINCH, 35 blocked)"
[ "$ign" = 0000000000000000 ] || fail "ignored signals SigIgn=$ign (signals $(signums "$ign")), expected none (pmtr started with $(signums "$(status_field "$PMTR_PID" SigIgn)") ignored)"
ok "empty signal mask and no ignored signals"

um=$(status_field "$P" Umask)
[ "$um" = 0022 ] || fail "umask is $um, expected 0022 (pmtr runs with umask 077)"
ok "umask 022"

[ "$(sid_of "$P")" = "$P" ] || fail "job is not a session leader: sid $(sid_of "$P"), pid $P"
[ "$(pgid_of "$P")" = "$P" ] || fail "job does not lead its process group: pgid $(pgid_of "$P"), pid $P"
[ "$(ppid_of "$P")" = "$PMTR_PID" ] || fail "job's parent is $(ppid_of "$P"), expected pmtr $PMTR_PID"
ok "own session and process group, child of pmtr"

wait_for_file "$T/grandchild.pid"
G=$(cat "$T/grandchild.pid")
[ "$(pgid_of "$G")" = "$C" ] || fail "a job's child is in group $(pgid_of "$G"), expected the job's group $C"
ok "a job's own children stay in its process group"

[ "$(readlink /proc/"$P"/cwd)" = "$T/wd" ] || fail "cwd is $(readlink /proc/"$P"/cwd), expected $T/wd"
[ "$(readlink /proc/"$IN"/cwd)" = "$(pwd -P)" ] || fail "job without dir: cwd is $(readlink /proc/"$IN"/cwd), expected pmtr's $(pwd -P)"
ok "dir sets the working directory; without it, pmtr's"

has_env "$P" BAR=one || fail "environment lacks BAR=one: $(tr '\0' ' ' </proc/"$P"/environ)"
has_env "$P" "BAZ=two words" || fail "environment lacks 'BAZ=two words'"
has_env "$P" FOO=from_pmtr || fail "environment lacks pmtr's FOO=from_pmtr"
has_env "$IN" FOO=from_pmtr || fail "job input: environment lacks pmtr's FOO=from_pmtr"
has_env_var "$IN" BAR && fail "job input has job ctx's BAR"
ok "env adds to pmtr's environment, per job"

lim() { grep "^$2 " /proc/"$1"/limits | sed "s/^$2 *//" | awk '{print $1, $2}'; }
[ "$(lim "$P" "Max open files")" = "64 64" ] || fail "Max open files: '$(lim "$P" "Max open files")', expected '64 64'"
[ "$(lim "$P" "Max core file size")" = "0 0" ] || fail "Max core file size: '$(lim "$P" "Max core file size")', expected '0 0'"
[ "$(lim "$P" "Max stack size")" = "4194304 4194304" ] || fail "Max stack size: '$(lim "$P" "Max stack size")', expected '4194304 4194304'"
ok "ulimit sets soft = hard (inline and block forms)"

[ "$(status_field "$P" Cpus_allowed_list)" = "$CPU" ] || fail "cpu $CPU: Cpus_allowed_list is $(status_field "$P" Cpus_allowed_list)"
[ "$(status_field "$CX" Cpus_allowed_list)" = "$CPU" ] || fail "cpu $CPU,1000: Cpus_allowed_list is $(status_field "$CX" Cpus_allowed_list)"
[ "$(status_field "$CH" Cpus_allowed_list)" = "$CPU" ] || fail "cpu ${HEX:-$CPU}: Cpus_allowed_list is $(status_field "$CH" Cpus_allowed_list)"
ok "cpu list, hex mask, absent CPUs ignored"

[ "$(nice_of "$P")" = 5 ] || fail "nice is $(nice_of "$P"), expected 5"
[ "$(nice_of "$IN")" = "$(nice_of "$PMTR_PID")" ] || fail "job without nice: nice $(nice_of "$IN"), pmtr's is $(nice_of "$PMTR_PID")"
ok "nice 5; without nice, pmtr's"

assert_no_log "failed to start" "no job failed to start"
exit 0
