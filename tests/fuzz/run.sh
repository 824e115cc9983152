#!/bin/sh
# Runs every libFuzzer harness of tests/fuzz/ for SECONDS each (default 10).
#
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]
#
# For each harness: builds if needed (build.sh), runs the saved reproducers
# of regressions/<harness>/ once each as a plain regression check, then
# fuzzes a working copy of corpus/<harness>/ (copied to
# corpus-work/<harness>/, so the committed corpus is never modified) with
# dict/<harness>.dict. Logs: corpus-work/logs/<harness>.log; crash inputs:
# corpus-work/artifacts/<harness>/. Prints one line per harness and exits
# non-zero if any harness crashed or any regression input failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-10}
[ $# -gt 0 ] && shift
HARNESSES=${*:-$("$here/harnesses.sh" | tr '\n' ' ')}

case "$secs" in
''|*[!0-9]*) echo "usage: $0 [SECONDS] [HARNESS...]" >&2; exit 2 ;;
esac

# build when a binary is missing or older than any source it is made of
need_build=0
for h in $HARNESSES; do
	b="$here/bin/$h"
	if [ ! -x "$b" ] ||
	   [ -n "$(find "$top/app" "$top/db" "$top/handlers" "$here" -maxdepth 1 \
		  \( -name '*.c' -o -name '*.h' \) -newer "$b" 2>/dev/null | head -n 1)" ]; then
		need_build=1
	fi
done
if [ "$need_build" = 1 ]; then
	# shellcheck disable=SC2086
	"$here/build.sh" $HARNESSES || { echo "run.sh: build failed" >&2; exit 1; }
fi

work="$here/corpus-work"
mkdir -p "$work/logs"
status=0
printf '%-16s %12s %9s %-28s %s\n' harness runs exec/s "coverage (start -> end)" result
for h in $HARNESSES; do
	b="$here/bin/$h"
	log="$work/logs/$h.log"
	art="$work/artifacts/$h"
	result=OK

	# 1. regressions: every saved reproducer must now run clean
	reg_fail=0
	reg_n=0
	if [ -d "$here/regressions/$h" ]; then
		for f in "$here/regressions/$h"/*; do
			[ -f "$f" ] || continue
			case "$f" in *.md|*.txt) continue ;; esac
			reg_n=$((reg_n + 1))
			if ! "$b" "$f" > "$work/logs/$h.regression.$(basename "$f").log" 2>&1; then
				reg_fail=$((reg_fail + 1))
				echo "run.sh: $h: regression input fails: $f" \
				     "(log: $work/logs/$h.regression.$(basename "$f").log)" >&2
			fi
		done
	fi

	# 2. fuzzing over a working copy of the seed corpus
	rm -rf "${work:?}/$h" "$art"
	mkdir -p "$work/$h" "$art"
	if [ -d "$here/corpus/$h" ]; then
		cp -R "$here/corpus/$h/." "$work/$h/"
	fi
	before=$(find "$work/$h" -type f | wc -l)
	dict=""
	[ -f "$here/dict/$h.dict" ] && dict="-dict=$here/dict/$h.dict"
	# shellcheck disable=SC2086
	"$b" -max_total_time="$secs" -timeout=25 -print_final_stats=1 \
		-artifact_prefix="$art/" $dict "$work/$h" > "$log" 2>&1
	rc=$?
	after=$(find "$work/$h" -type f | wc -l)

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	init=$(grep -m 1 -o 'INITED cov: [0-9]* ft: [0-9]*' "$log" | sed 's/INITED //')
	last=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
	cov0=$(echo "$init" | awk '{print $2}'); ft0=$(echo "$init" | awk '{print $4}')
	cov1=$(echo "$last" | awk '{print $2}'); ft1=$(echo "$last" | awk '{print $4}')
	if [ "$rc" -ne 0 ]; then
		# shellcheck disable=SC2012
		crash=$(ls -t "$art" 2>/dev/null | head -n 1)
		result="CRASH (exit $rc): $art/$crash, log $log"
		status=1
	fi
	if [ "$reg_fail" -gt 0 ]; then
		result="$result; REGRESSIONS FAILING: $reg_fail of $reg_n"
		status=1
	elif [ "$reg_n" -gt 0 ]; then
		result="$result; regressions ok: $reg_n"
	fi
	printf '%-16s %12s %9s %-28s %s\n' "$h" "${runs:-?}" "${eps:-?}" \
		"cov ${cov0:-?}->${cov1:-?} ft ${ft0:-?}->${ft1:-?} +$((after - before))" "$result"
done
exit $status
