#!/bin/bash
# config_errors.sh: pmtr -t on valid files, on each kind of error, and on hostile input. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

N=0

# valid DESCRIPTION JOBS < FILE: -t exits 0 and says nothing but its warnings of
# programs, directories and users that are not on this machine (preflight.sh
# tests those); -t -v counts JOBS jobs.
valid() {
	local desc=$1 jobs=$2 f
	N=$((N + 1))
	f=$T/valid$N.conf
	cat >"$f"
	run_cmd 5 "$PMTR" -t -c "$f"
	[ "$RC" = 0 ] || fail "$desc: -t exit status $RC, expected 0; stderr: $(head -c 2000 "$T/err")"
	grep -v ': warning: job [^ ]*: \(cmd\|dir\|user\|group\) ' "$T/err" | grep -q . &&
		fail "$desc: -t printed on stderr: $(head -c 2000 "$T/err")"
	run_cmd 5 "$PMTR" -t -v -c "$f"
	cat "$T/out" "$T/err" | grep -qxF "$f: $jobs jobs, configuration ok" ||
		fail "$desc: -t -v did not say '$f: $jobs jobs, configuration ok': $(head -c 2000 "$T/out" "$T/err")"
	ok "valid: $desc"
}

# invalid DESCRIPTION LINES < FILE: -t exits 1 and reports FILE:LINE: for each
# of LINES ("4" or "1|4" when either line is a fair place to report it).
invalid() {
	local desc=$1 lines=$2 f l
	N=$((N + 1))
	f=$T/invalid$N.conf
	cat >"$f"
	run_cmd 5 "$PMTR" -t -c "$f"
	[ "$RC" = 1 ] || fail "$desc: -t exit status $RC, expected 1; stderr: $(head -c 2000 "$T/err")"
	for l in $lines; do
		grep -Eq "^$f:($l): [^ ]" "$T/err" ||
			fail "$desc: no '$f:$l: message' on stderr; got: $(head -c 2000 "$T/err")"
	done
	ok "invalid: $desc -> FILE:$lines:, exit 1"
}

# ---------------------------------------------------------------- valid files
valid "every keyword, quotes, comments, blocks, any order" 2 <<'EOF'
# a comment line

report to udp://127.0.0.1:5000   # trailing comment
listen on udp://0.0.0.0:5001

job {
	name full.job-1_x@y:z+w
	cmd /bin/echo "two words" plain "quote \" and backslash \\" "# not a comment" # a comment
	dir /tmp
	in /dev/null
	out /tmp/pmtr-test-never-written.out
	err syslog
	env A=1
	env "B=x y"
	user root
	nice -20
	cpu 0,2-4
	ulimit -n 30 -c 0
	ulimit {
		-s 8388608
		-v infinity
		-t unlimited
	}
	bounce every 1d
	depends { /etc/hostname /etc/hosts }
	order 2
	stop timeout 500ms
	restart delay 2m
}

    job {
  cmd /bin/true
        name second
  wait
  once
  disable
  cpu 0x8f
  nice 20
  bounce every 90
  depends {
     /etc/passwd
     /etc/group
  }
  stop timeout 3h
  restart delay 1s
}
EOF

valid "every ulimit flag" 1 <<'EOF'
job {
  name limits
  cmd /bin/true
  ulimit -c 0 -d infinity -e 0 -f infinity -i 100 -l 65536 -m infinity -n 64
  ulimit -q 819200 -r 0 -s 8388608 -t infinity -u 1000 -v unlimited
}
EOF

valid "the seed's examples" 4 <<'EOF'
job {
  name tunnel
  cmd /usr/bin/ssh -i key -TNL 5901:127.0.0.1:5901 user@host
}

job {
  name demo-daemon
  dir /home/demo
  cmd /usr/bin/demod
  user demo
  env HOME=/home/demo
  cpu 0-8
}

job {
  name capture
  dir /data
  cmd /usr/sbin/tcpdump -i eth0 -s 0 -G 10 -w %Y%m%d%H%M%S.pcap
}

job {
  name initial-setup
  cmd /bin/mkdir /dev/shm/go
  wait
  once
}
EOF

valid "an empty file" 0 </dev/null
valid "only comments and blank lines" 0 <<'EOF'
# nothing here

   # indented comment
EOF

# ---------------------------------------------------------------- one error each
invalid "unknown keyword" 3 <<'EOF'
job {
  name a
  frobnicate yes
  cmd /bin/true
}
EOF

invalid "missing name" "1|4" <<'EOF'
job {
  cmd /bin/true
  once
}
EOF

invalid "missing cmd" "1|4" <<'EOF'
job {
  name a
  once
}
EOF

invalid "duplicate name" "5|6" <<'EOF'
job {
  name a
  cmd /bin/true
}
job {
  name a
  cmd /bin/false
}
EOF

invalid "relative cmd" 3 <<'EOF'
job {
  name a
  cmd bin/true
}
EOF

invalid "relative dir" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  dir tmp
}
EOF

invalid "bad number (nice abc)" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  nice abc
}
EOF

invalid "nice out of range (21)" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  nice 21
}
EOF

invalid "bad number (order x)" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  order x
}
EOF

invalid "bad time (bounce every 5x)" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  bounce every 5x
}
EOF

invalid "bad time (stop timeout soon)" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  stop timeout soon
}
EOF

invalid "bad time (restart delay -1)" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  restart delay -1
}
EOF

invalid "bad cpu list (cpu xyz)" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  cpu xyz
}
EOF

invalid "bad cpu list (cpu 99999)" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  cpu 99999
}
EOF

invalid "unknown ulimit flag" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  ulimit -z 5
}
EOF

invalid "ulimit -n infinity" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  ulimit -n infinity
}
EOF

invalid "bad ulimit value" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  ulimit -n lots
}
EOF

invalid "unknown flag inside a ulimit block" 6 <<'EOF'
job {
  name a
  cmd /bin/true
  ulimit {
    -n 30
    -z 1
  }
}
EOF

invalid "unterminated quote" 3 <<'EOF'
job {
  name a
  cmd /bin/echo "abc
}
EOF

invalid "} without a block" 1 <<'EOF'
}
job {
  name a
  cmd /bin/true
}
EOF

invalid "block not closed at end of file (reported where it opened)" 3 <<'EOF'
# the job below never ends

job {
  name a
  cmd /bin/true
EOF

invalid "keyword given twice" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  cmd /bin/false
}
EOF

invalid "statement outside a job" 1 <<'EOF'
name a
job {
  name b
  cmd /bin/true
}
EOF

invalid "missing argument" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  dir
}
EOF

invalid "extra arguments (name a b)" 2 <<'EOF'
job {
  name a b
  cmd /bin/true
}
EOF

invalid "extra arguments (once now)" 4 <<'EOF'
job {
  name a
  cmd /bin/true
  once now
}
EOF

invalid "name with a forbidden character" 2 <<'EOF'
job {
  name a/b
  cmd /bin/true
}
EOF

invalid "job without { on its line" "1|2" <<'EOF'
job
{
  name a
  cmd /bin/true
}
EOF

invalid "job inside a job" 3 <<'EOF'
job {
  name a
  job {
  cmd /bin/true
}
EOF

invalid "report to: not udp://" 1 <<'EOF'
report to tcp://127.0.0.1:5000
EOF

invalid "report to: empty host" 1 <<'EOF'
report to udp://:5000
EOF

invalid "report to: port 0" 1 <<'EOF'
report to udp://127.0.0.1:0
EOF

invalid "listen on: port 70000" 1 <<'EOF'
listen on udp://0.0.0.0:70000
EOF

invalid "listen on: no port" 1 <<'EOF'
listen on udp://0.0.0.0
EOF

printf 'job {\n  name a\n  cmd /bin/tr\0ue\n}\n' | invalid "NUL byte" 3

invalid "several errors: all reported" "3 4 8 12 14" <<'EOF'
job {
  name a
  cmd relative/path
  nice abc
}
job {
  name b
  bogus
  cmd /bin/true
}
job {
  name c b
  cmd /bin/true
  cpu zz
}
EOF

# The after graph is checked beside every other error, not once they are fixed.
f=$T/aftertoo.conf
cat >"$f" <<'EOF'
job {
  name a
  cmd /bin/true
  after b
}
job {
  name b
  cmd /bin/true
  after a
}
job {
  name a
  cmd /bin/true
}
EOF
run_cmd 5 "$PMTR" -t -c "$f"
[ "$RC" = 1 ] || fail "duplicate and cycle: -t exit status $RC, expected 1"
printf '%s\n' "$f:12: duplicate job name \"a\" (first at line 2)" \
	"$f:9: job \"b\": after \"a\" makes a cycle: b -> a -> b" >"$T/want"
diff "$T/want" "$T/err" >/dev/null ||
	fail "duplicate and cycle: -t did not say both, in this order: $(diff "$T/want" "$T/err")"
ok "invalid: a duplicate name and an after cycle, both reported by one -t"

# ---------------------------------------------------------------- hostile input
# hostile DESCRIPTION FILE: -t gives exit 1 and a FILE:LINE: message in bounded time,
# no crash, no hang.
hostile() {
	local desc=$1 f=$2 t0 t1
	t0=$(now_ms)
	run_cmd 10 "$PMTR" -t -c "$f"
	t1=$(now_ms)
	[ "$RC" = 1 ] || fail "$desc: -t exit status $RC, expected 1"
	grep -aq "^$f:[0-9][0-9]*: ." "$T/err" ||
		fail "$desc: no 'FILE:LINE: message' on stderr; got: $(head -c 500 "$T/err" | cat -v)"
	ok "hostile: $desc -> FILE:LINE:, exit 1 in $((t1 - t0)) ms"
}

cp /bin/sleep "$T/elf.conf"
hostile "an ELF binary" "$T/elf.conf"

head -c 65536 /dev/urandom >"$T/random.conf"
hostile "64 KiB of random bytes" "$T/random.conf"

{
	printf 'job {\n  name a\n  cmd /bin/true\n'
	head -c 1048576 /dev/zero | tr '\0' x
	printf '\n}\n'
} >"$T/longline.conf"
hostile "a 1 MiB line" "$T/longline.conf"
grep -q "^$T/longline.conf:4: " "$T/err" || fail "1 MiB line: error not reported at line 4: $(head -c 300 "$T/err")"
ok "1 MiB line: error at line 4"

{
	printf 'job {\n  name a\n  cmd /bin/echo "'
	head -c 1048576 /dev/zero | tr '\0' y
} >"$T/longquote.conf"
hostile "a 1 MiB unterminated quote at end of file" "$T/longquote.conf"

head -c 1048576 /dev/zero | tr '\0' '{' >"$T/braces.conf"
hostile "1 MiB of { on one line" "$T/braces.conf"

for i in $(seq 20000); do echo 'job {'; done >"$T/nested.conf"
hostile "20000 nested job blocks" "$T/nested.conf"

{
	printf 'job {\n  name a\n  cmd /bin/true\n'
	for i in $(seq 20000); do echo '  ulimit {'; done
} >"$T/nestedul.conf"
hostile "20000 nested ulimit blocks" "$T/nestedul.conf"

for i in $(seq 20000); do echo '}'; done >"$T/closers.conf"
hostile "20000 lone }" "$T/closers.conf"

printf 'job {\n  name a\0\0\0\n  cmd /bin/true\n}\n\0' >"$T/nuls.conf"
hostile "NUL bytes" "$T/nuls.conf"

printf 'job {\n  name a\n  cmd /bin/true\n}\njob {' >"$T/noeol.conf"
hostile "unclosed block on a last line without newline" "$T/noeol.conf"

# Start-up (not -t) with garbage: exit 1 in bounded time, no job, no crash.
run_cmd 10 env PMTR_TEST_MARK="$T" "$PMTR" -F -s none -c "$T/random.conf"
[ "$RC" = 1 ] || fail "start-up on random bytes: exit status $RC, expected 1"
grep -aq "$T/random.conf:[0-9][0-9]*: ." "$T/err" || fail "start-up on random bytes: no FILE:LINE: message"
ok "start-up on random bytes: FILE:LINE:, exit 1"

exit 0
