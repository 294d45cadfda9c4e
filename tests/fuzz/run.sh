#!/usr/bin/env bash
# run.sh -- builds the task-file parser's libFuzzer target with clang and
# runs it briefly (FUZZ_SECONDS, default 20) from the fixtures; TAP output.
set -u
: "${STRATUS_BUILDDIR:?run through make check}"
: "${STRATUS_SRCDIR:?run through make check}"
secs=${FUZZ_SECONDS:-20}
CLANG=${CLANG:-clang}

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "1..0 # SKIP clang is not installed"
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/stratus-fuzz.XXXXXX")
trap 'rm -rf "$T"' EXIT

# The whole of proto/ is one library; build it into the target from source.
# shellcheck disable=SC2046
if ! "$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
    -I"$STRATUS_BUILDDIR" -I"$STRATUS_SRCDIR" \
    $(pkg-config --cflags yaml-0.1 libcjson) \
    "$STRATUS_SRCDIR"/tests/fuzz/fuzz_taskfile.c "$STRATUS_SRCDIR"/proto/*.c \
    $(pkg-config --libs yaml-0.1 libcjson) -o "$T/fuzz_taskfile" \
    >"$T/build.log" 2>&1; then
	if grep -q "fuzzer" "$T/build.log" && ! [ -e "$T/fuzz_taskfile" ] &&
	    grep -qi "libclang_rt.fuzzer\|cannot find.*fuzzer" "$T/build.log"; then
		echo "1..0 # SKIP this clang has no libFuzzer runtime"
		exit 0
	fi
	echo "not ok 1 - the fuzz target builds with clang"
	sed 's/^/# /' "$T/build.log" | tail -30
	echo "1..1"
	exit 1
fi
echo "ok 1 - the fuzz target builds with clang -fsanitize=fuzzer,address"

mkdir "$T/corpus"
cp "$STRATUS_SRCDIR"/tests/fixtures/*.yml "$T/corpus/" 2>/dev/null
[ -f "$STRATUS_SRCDIR/.cirrus.yml" ] && cp "$STRATUS_SRCDIR/.cirrus.yml" "$T/corpus/self.yml"
(cd "$T" && ASAN_OPTIONS=detect_leaks=1 ./fuzz_taskfile -max_total_time="$secs" \
    -max_len=8192 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$T/" corpus >"$T/fuzz.log" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
	echo "ok 2 - ${secs}s of fuzzing found nothing ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$T/fuzz.log" | sed 's/.*: *//') runs)"
else
	echo "not ok 2 - the fuzzer found a crash (rc $rc)"
	grep -A25 -m1 "ERROR\|==ERROR\|runtime error\|deadly signal" "$T/fuzz.log" | sed 's/^/# /'
	for f in "$T"/crash-* "$T"/leak-* "$T"/timeout-* "$T"/oom-*; do
		[ -e "$f" ] || continue
		echo "# input $(basename "$f") (base64):"
		base64 "$f" | sed 's/^/#   /'
	done
fi
echo "1..2"
[ $rc -eq 0 ]
