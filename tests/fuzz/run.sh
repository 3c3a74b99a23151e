#!/bin/sh
# tests/fuzz/run.sh: builds the libFuzzer targets of tests/fuzz/ and runs
# each for a while on a corpus seeded from the repository.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]   build, seed, fuzz (default 60)
#   tests/fuzz/run.sh --build-only           build the targets only
#
# Everything goes under build/fuzz/ (BUILD=dir moves build/): obj/ the
# project's modules built with fuzzer coverage and ASan+UBSan, bin/ the
# targets, corpus/<target>/ the seeds plus whatever the fuzzer adds (kept
# across runs), crashes/<target>/ crash, leak, timeout and OOM inputs, and
# log/<target>.log libFuzzer's output. One line per target says what ran;
# the exit status is 1 if any target found a problem, 2 if the build failed.
# CC, FUZZ_TARGETS ("fuzz_decode fuzz_rules") and JOBS can be overridden.
set -eu

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CC=${CC:-clang}
BUILD=${BUILD:-build}
OUT=$BUILD/fuzz
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
PKGS="libpcap libndpi libmaxminddb jansson inih libcurl libcrypto libnftables libmicrohttpd libsystemd libnats"
TARGETS=${FUZZ_TARGETS:-"fuzz_capture fuzz_decode fuzz_rules fuzz_config fuzz_inventory fuzz_verdict fuzz_fleet"}

build_only=0
secs=60
case "${1:-}" in
--build-only) build_only=1 ;;
"") ;;
*[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET | --build-only]" >&2; exit 2 ;;
*) secs=$1 ;;
esac

LIB_CFLAGS=$(pkg-config --cflags $PKGS) || { echo "fuzz: pkg-config failed (run make once to install the build packages)" >&2; exit 2; }
LIB_LIBS="$(pkg-config --libs $PKGS) -lcsv -pthread"
CPPFLAGS="-Iinclude -D_GNU_SOURCE -DEGRESSD_SIGDIR=\"$ROOT/signatures\" $LIB_CFLAGS"
CFLAGS="-std=c11 -g -O1 -pthread -fno-omit-frame-pointer -fno-sanitize-recover=all"
SAN_OBJ="-fsanitize=fuzzer-no-link,address,undefined"
SAN_BIN="-fsanitize=fuzzer,address,undefined"
# The targets, like the unit tests, include folder-internal headers
# (classify/sig.h, enforce/webhook.h): the folders go on their quote path
# only, never on the modules'.
TEST_CPPFLAGS="-iquote capture -iquote classify -iquote common -iquote enforce"

mkdir -p "$OUT/obj" "$OUT/bin"

# The project's modules: everything but the two files with main().
# Rebuilt when the source or any header (include/ and the folders') is
# newer than the object.
srcs=$(ls common/*.c capture/*.c classify/*.c enforce/*.c)
# shellcheck disable=SC2046
newest_h=$(ls -t $(find include common capture classify enforce -name '*.h') | head -n 1)
stale=""
for s in $srcs; do
	o=$OUT/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')
	if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ "$newest_h" -nt "$o" ] ||
	    [ "$0" -nt "$o" ]; then
		stale="$stale $s"
	fi
done
if [ -n "$stale" ]; then
	echo "fuzz: compiling$(echo $stale | wc -w | sed 's/^/ /') modules"
	# shellcheck disable=SC2086
	printf '%s\n' $stale | xargs -P "$JOBS" -I{} sh -c '
		o="$1/obj/$(echo "$2" | tr / _ | sed "s/\.c\$/.o/")"
		exec $3 $4 $5 $6 -c "$2" -o "$o"' sh "$OUT" {} "$CC" \
		"$CPPFLAGS" "$CFLAGS" "$SAN_OBJ" || { echo "fuzz: build failed" >&2; exit 2; }
fi
objs=""
for s in $srcs; do
	objs="$objs $OUT/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')"
done

for t in $TARGETS; do
	bin=$OUT/bin/$t
	need=0
	[ -f "$bin" ] || need=1
	for f in tests/fuzz/$t.c tests/fuzz/fuzz_file.h $objs; do
		[ "$need" = 1 ] || [ "$f" -nt "$bin" ] && need=1
	done
	if [ "$need" = 1 ]; then
		echo "fuzz: linking $t"
		# shellcheck disable=SC2086
		$CC $CPPFLAGS $TEST_CPPFLAGS $CFLAGS $SAN_BIN -Itests/fuzz tests/fuzz/$t.c $objs \
		    $LIB_LIBS -o "$bin" || { echo "fuzz: build of $t failed" >&2; exit 2; }
	fi
done
[ "$build_only" = 1 ] && exit 0

# Seeds: rewritten each run (the fuzzer's own additions stay).
python3 tests/fuzz/seeds.py "$ROOT" "$OUT/corpus"

export EGRESSD_SIGDIR="$ROOT/signatures"
status=0
for t in $TARGETS; do
	corpus=$OUT/corpus/$t
	crashes=$OUT/crashes/$t
	log=$OUT/log/$t.log
	mkdir -p "$corpus" "$crashes" "$OUT/log"
	extra=""
	# Capture seeds are cut to 16 KiB; let inputs grow a little past that.
	[ "$t" = fuzz_capture ] && extra="-max_len=65536"
	before=$(ls "$crashes" | wc -l)
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$OUT/bin/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$crashes/" $extra \
	    "$corpus" >"$log" 2>&1 || true
	end=$(date +%s)
	after=$(ls "$crashes" | wc -l)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	n=$((after - before))
	echo "fuzz $t: ${execs:-?} executions in $((end - start)) s, $n crashes"
	if [ "$n" -gt 0 ]; then
		status=1
		grep -m 1 -A 15 '^==[0-9]*==ERROR\|runtime error\|^==[0-9]*== ERROR' "$log" | sed 's/^/    /' || true
		echo "    log: $log; inputs: $crashes/"
	fi
done
exit $status
