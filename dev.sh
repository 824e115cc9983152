#!/usr/bin/env bash
# envint developer entry point. On a fresh Debian 12 machine, as root:
#   ./dev.sh up     install packages, build, start MariaDB (under ./var),
#                   envint and nginx on http://127.0.0.1:8080 with demo data
#   ./dev.sh test   the whole suite (unit + integration) built with
#                   AddressSanitizer and UBSan; ends with "N passed, N failed"
#   ./dev.sh down   stop what `up` started (by recorded pid)
#   ./dev.sh build  just build (into build-dev/)
#   ./dev.sh fuzz [SECONDS]  every libFuzzer harness of tests/fuzz (default 10 s each)
#   ./dev.sh soak [SECONDS]  mixed load with worker kills and a MariaDB restart
#                   (default 300 s); prints a report, not part of `test`
#   ./dev.sh bench [FLAGS]   the benchmarks (tests/bench/run FLAGS); prints a
#                   table, not part of `test`
#   ./dev.sh cluster [SECONDS]  three Galera nodes, two envint, nginx: mixed
#                   traffic while nodes and envint masters are killed, a node
#                   isolated, envint reloaded (default 300 s); prints a report
#   ./dev.sh unit [NAME [PATTERN]]  unit tests (all, or tests/unit/test_NAME,
#                   only the cases matching PATTERN), sanitizer build
#   ./dev.sh it [FILTER]     integration tests whose module::name holds FILTER
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
PORT=${ENVINT_PORT:-8080}
JOBS=$(nproc 2>/dev/null || echo 2)

PACKAGES=(
	build-essential autoconf automake pkg-config
	libfcgi-dev libyajl-dev default-libmysqlclient-dev uuid-dev libssl-dev
	libcmocka-dev
	mariadb-server mariadb-client nginx python3 curl
	galera-4 rsync
	apache2 libapache2-mod-fcgid spawn-fcgi
	clang libclang-rt-14-dev sqlmap wrk
	python3-jsonschema
)
# The OpenAPI lint (tests/openapi/lint) runs a validator from npm: Debian's
# nodejs and npm, unless a node with npm is already there (NodeSource's
# nodejs provides npm and conflicts with Debian's npm package).
NODE_PACKAGES=(nodejs npm)

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "dev.sh: run as root (or install sudo)" >&2; exit 1; }
		echo sudo
	fi
}

deps() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		missing+=("${NODE_PACKAGES[@]}")
	fi
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "dev.sh: installing ${missing[*]}"
	local sudo; sudo=$(need_root)
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [configure flags...]: configures once, then makes.
build() {
	local dir=$1; shift
	[ -x configure ] || ./autogen.sh >/dev/null 2>&1
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ configure -nt "$dir/Makefile" ]; then
		(cd "$dir" && "$ROOT/configure" -q "$@")
	fi
	make -s -C "$dir" -j"$JOBS"
}

# Counts TAP results of the last `make check` in DIR, from automake's .trs files.
summary() {
	local dir=$1 pass fail
	pass=$(find "$dir/tests" -name '*.trs' -exec cat {} + 2>/dev/null | grep -cE '^:test-result: (PASS|XFAIL|SKIP)' || true)
	fail=$(find "$dir/tests" -name '*.trs' -exec cat {} + 2>/dev/null | grep -cE '^:test-result: (FAIL|XPASS|ERROR)' || true)
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
}

cmd_test() {
	deps
	build build-asan --enable-sanitizers
	local rc=0
	find build-asan/tests -name '*.trs' -delete 2>/dev/null || true
	make -s -C build-asan -j"$JOBS" check || rc=$?
	# show what failed, with the runner's diagnostics
	for log in $(find build-asan/tests -name '*.log'); do
		grep -qE '^(not ok|Bail out!)' "$log" && { echo "---- $log"; { grep -vE '^ok ' "$log" | head -80 || true; }; }
	done
	fuzz_short || rc=1
	summary build-asan || rc=1
	return $rc
}

# Every libFuzzer harness for FUZZ_SECONDS (default 6) each, about 30 s in
# all: a regression check, not a search. Writes one TAP-style .trs per
# harness next to make check's, so summary counts them.
fuzz_short() {
	local out=build-asan/tests/fuzz rc=0
	mkdir -p "$out"
	echo "== fuzz (${FUZZ_SECONDS:-6} s per harness)"
	tests/fuzz/run.sh "${FUZZ_SECONDS:-6}" | tee "$out/run.log" || rc=$?
	local h line list
	list=$(tests/fuzz/harnesses.sh)
	[ -n "$list" ] || { echo "---- fuzz: no harness found"; return 1; }
	for h in $list; do
		line=$(grep -E "^$h " "$out/run.log" || true)
		if [ -n "$line" ] && ! echo "$line" | grep -qE 'CRASH|FAILING'; then
			echo ":test-result: PASS" > "$out/$h.trs"
		else
			echo ":test-result: FAIL" > "$out/$h.trs"
			echo "---- fuzz $h: ${line:-did not run}"
			rc=1
		fi
	done
	return $rc
}

case "${1:-}" in
up)
	deps
	build build-dev
	python3 tests/integration/devstack.py up "$ROOT/build-dev" "$PORT"
	;;
down)
	python3 tests/integration/devstack.py down
	;;
test)
	cmd_test
	;;
build)
	deps
	build build-dev
	;;
fuzz)
	deps
	tests/fuzz/run.sh "${2:-10}"
	;;
soak)
	deps
	build build-dev
	python3 tests/soak/soak.py "$ROOT/build-dev" "${2:-300}"
	;;
unit)
	deps
	build build-asan --enable-sanitizers
	if [ -n "${2:-}" ]; then
		make -s -C build-asan "tests/unit/test_$2"
		exec build-asan/tests/unit/"test_$2" "${3:-}"
	fi
	make -s -C build-asan -j"$JOBS" check TESTS="$(make -s -C build-asan print-unit-tests)"
	;;
it)
	deps
	build build-asan --enable-sanitizers
	ENVINT_TEST_FILTER="${2:-}" ENVINT_BUILDDIR="$ROOT/build-asan" ENVINT_SRCDIR="$ROOT" \
		python3 tests/integration/run
	;;
bench)
	deps
	build build-dev
	shift
	tests/bench/run "$@"
	;;
cluster)
	deps
	build build-dev
	python3 tests/cluster/long.py "$ROOT/build-dev" "${2:-300}"
	;;
*)
	sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
