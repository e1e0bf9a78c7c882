#!/bin/sh
# run.sh: builds the libFuzzer harnesses with clang and runs each for SECONDS, keeping what they find. SPDX-License-Identifier: MIT
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]    (targets: conf ctl udp notify state; default all)
# Environment:
#   CLANG           the compiler (default clang)
#   FUZZ_BUILDDIR   where config.h is (default: the source tree, for in-tree builds)
#   FUZZ_WORK       scratch directory for objects, binaries and the growing corpora
#                   (default: a new directory under ${TMPDIR:-/tmp}, kept afterwards)
#   FUZZ_PARALLEL   how many targets to run at once (default 1)
#   FUZZ_FLAGS      extra libFuzzer flags
# Every crash, leak, timeout or out-of-memory input is copied into
# tests/fuzz/regressions/TARGET/, which make check replays; the exit status is 1 when
# there was one. Merge the grown corpus into the seeds by hand (doc/fuzzing.md).

set -u

SECONDS_EACH=${1:-600}
[ $# -gt 0 ] && shift
TARGETS=${*:-conf ctl udp notify state}
CLANG=${CLANG:-clang}
FUZZ_DIR=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$FUZZ_DIR/../.." && pwd)
BUILDDIR=${FUZZ_BUILDDIR:-$SRCDIR}
WORK=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/pmtr-fuzz.XXXXXX")}
PARALLEL=${FUZZ_PARALLEL:-1}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-std=gnu11 -g -O1 -D_GNU_SOURCE -include $BUILDDIR/config.h -I$BUILDDIR -I$SRCDIR/lib -I$SRCDIR/src"

case $SECONDS_EACH in
''|*[!0-9]*) echo "run.sh: SECONDS must be a number, not '$SECONDS_EACH'" >&2; exit 2 ;;
esac
if [ ! -f "$BUILDDIR/config.h" ]; then
	echo "run.sh: no config.h in $BUILDDIR: run configure, or set FUZZ_BUILDDIR" >&2
	exit 2
fi
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "run.sh: $CLANG not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi
mkdir -p "$WORK/obj" "$WORK/bin" || exit 2
echo "run.sh: work directory $WORK"

# The code under test, instrumented once: every .c of lib/ and src/ but the programs
# (the files with a main). The linker takes from the archive what each harness needs.
build_lib() {
	rm -f "$WORK/libfuzzed.a" "$WORK"/obj/*.o
	for c in "$SRCDIR"/lib/*.c "$SRCDIR"/src/*.c; do
		grep -q '^int main(' "$c" && continue
		o=$WORK/obj/$(basename "$(dirname "$c")")_$(basename "$c" .c).o
		"$CLANG" $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$c" -o "$o" || return 1
	done
	ar rcs "$WORK/libfuzzed.a" "$WORK"/obj/*.o
}

build_target() {
	"$CLANG" $CFLAGS $SAN -fsanitize=fuzzer "$FUZZ_DIR/fuzz_$1.c" "$WORK/libfuzzed.a" \
		-o "$WORK/bin/fuzz_$1"
}

# Words of each language, so that the fuzzer need not guess them byte by byte.
write_dict() {
	case $1 in
	conf) words='job { } name cmd dir in out err env user nice cpu ulimit bounce every
		depends disable wait once order stop timeout restart delay essential report to
		listen on udp:// syslog infinity unlimited -c -d -e -f -i -l -m -n -q -r -s -t
		-u -v ms 0x # " \\" \\\\ 10s 5m 1h 2d /bin/sh' ;;
	ctl) words='pmtr-ctl\x201\x0a pmtr-ctl\x202\x0a status start stop restart enable disable
		reload logs follow signal job line missed output end file= running stopping pending
		waiting\\sto\\srestart done \\s \\t \\n \\\\ \\x \\e \x20-\x20' ;;
	udp) words='enable disable udp:// [ ] @ :65535 report \x0a' ;;
	notify) words='READY=1 READY=0 STATUS= MAINPID= RELOADING=1 STOPPING=1 WATCHDOG=1
		ERRNO= = \x0a \x00 \x7f \x1b \xc3\xa9' ;;
	esac
	for w in $words; do
		printf '"%s"\n' "$w"
	done >"$WORK/$1.dict"
}

run_target() {
	t=$1
	corpus=$WORK/corpus/$t
	artifacts=$WORK/artifacts/$t
	mkdir -p "$corpus" "$artifacts" "$FUZZ_DIR/regressions/$t"
	write_dict "$t"
	echo "run.sh: fuzz_$t for $SECONDS_EACH s, log $WORK/$t.log"
	# Fork mode keeps going after a finding, so that one bug does not end the run early.
	"$WORK/bin/fuzz_$t" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-max_total_time="$SECONDS_EACH" -print_final_stats=1 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
		-dict="$WORK/$t.dict" -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} \
		"$corpus" "$FUZZ_DIR/corpus/$t" >"$WORK/$t.log" 2>&1
	rc=$?
	grep -E '^#[0-9]+: cov' "$WORK/$t.log" | tail -n 1
	grep -E '^(==[0-9]+==ERROR|SUMMARY)' "$WORK/$t.log" | sort | uniq -c
	echo "run.sh: fuzz_$t exited $rc"
	for a in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* \
		"$artifacts"/oom-*; do
		[ -f "$a" ] || continue
		cp "$a" "$FUZZ_DIR/regressions/$t/"
		echo "run.sh: FOUND $t: $FUZZ_DIR/regressions/$t/$(basename "$a")"
	done
}

build_lib || { echo "run.sh: building the code under test failed" >&2; exit 1; }
for t in $TARGETS; do
	build_target "$t" || { echo "run.sh: building fuzz_$t failed" >&2; exit 1; }
done

running=0
for t in $TARGETS; do
	run_target "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$PARALLEL" ]; then
		wait
		running=0
	fi
done
wait

found=0
for t in $TARGETS; do
	for a in "$WORK/artifacts/$t"/*; do
		[ -f "$a" ] && found=1
	done
done
if [ "$found" = 1 ]; then
	echo "run.sh: findings kept in $FUZZ_DIR/regressions/; see doc/fuzzing.md"
	exit 1
fi
echo "run.sh: no findings"
exit 0
