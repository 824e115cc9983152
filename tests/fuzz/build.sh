#!/bin/bash
# Builds the libFuzzer harnesses of tests/fuzz/ into tests/fuzz/bin/.
#
#   tests/fuzz/build.sh            # all harnesses
#   tests/fuzz/build.sh fuzz_body  # some of them
#
# The application sources (app/*/*.c but the envint program's own
# app/proc/main.c and app/proc/dbwatch.c (linked with --wrap), and app/ctl/,
# handlers/*.c, db/*.c) are compiled directly with clang and the fuzzer's instrumentation,
# not taken from the gcc-built libenvint.a. Objects go to bin/obj/ and are
# shared by every harness (same flags). Needs clang with libFuzzer
# (Debian 12: apt-get install -y clang libclang-rt-14-dev).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CC=${CC:-clang}
# -fno-sanitize-recover=all: an UBSan report aborts, so libFuzzer records it
# as a crash instead of printing it and going on.
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -I$top"
PKGS="fcgi yajl libmariadb uuid libcrypto"
# shellcheck disable=SC2086 # PKGS and the flag lists are meant to split
PKG_CFLAGS=$(pkg-config --cflags $PKGS)
# shellcheck disable=SC2086
PKG_LIBS=$(pkg-config --libs $PKGS)
HARNESSES=$("$here/harnesses.sh" | tr '\n' ' ')

if [ $# -gt 0 ]; then
	HARNESSES="$*"
fi

if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
	$CC -fsanitize=fuzzer,address,undefined -x c - -o /dev/null 2>/dev/null; then
	echo "build.sh: '$CC -fsanitize=fuzzer' does not link;" \
	     "install clang and libclang-rt-14-dev" >&2
	exit 1
fi

bin="$here/bin"
obj="$bin/obj"
mkdir -p "$obj"

# Application objects, rebuilt when the source or any header is newer.
# shellcheck disable=SC2012
newest_header=$(ls -t "$top"/app/*/*.h "$top"/db/*.h "$top"/handlers/*.h | head -n 1)
srcs=""
for f in "$top"/app/*/*.c "$top"/handlers/*.c "$top"/db/*.c; do
	case "$f" in
	*/app/proc/main.c|*/app/proc/dbwatch.c|*/app/ctl/*) continue ;;
	esac
	srcs="$srcs $f"
done
jobs=$(nproc 2>/dev/null || echo 2)
objs=""
todo=""
for f in $srcs; do
	rel=${f#"$top"/}
	o="$obj/$(echo "$rel" | tr / _ | sed 's/\.c$/.o/')"
	objs="$objs $o"
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then
		todo="$todo $f:$o"
	fi
done
if [ -n "$todo" ]; then
	# shellcheck disable=SC2086,SC2016
	echo "build.sh: compiling $(echo $todo | wc -w) application sources"
	# shellcheck disable=SC2086,SC2016
	echo $todo | tr ' ' '\n' | xargs -P "$jobs" -I{} sh -c '
		src=${1%%:*}; out=${1#*:}
		'"$CC $FLAGS $PKG_CFLAGS"' -c "$src" -o "$out"' _ {}
fi

for h in $HARNESSES; do
	src="$here/$h.c"
	if [ ! -f "$src" ]; then
		echo "build.sh: no harness $src" >&2
		exit 1
	fi
	echo "build.sh: $h"
	# shellcheck disable=SC2086
	$CC $FLAGS -Wall -Wextra -Wno-unused-parameter $PKG_CFLAGS -I"$here" \
		"$src" $objs $PKG_LIBS -lm -o "$bin/$h"
done
echo "build.sh: binaries in $bin"
