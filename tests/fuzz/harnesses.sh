#!/bin/sh
# Prints the names of the libFuzzer harnesses of tests/fuzz/, one per line:
# every fuzz_*.c that defines LLVMFuzzerTestOneInput. The one list build.sh,
# run.sh and dev.sh use.
here=$(cd "$(dirname "$0")" && pwd)
grep -l LLVMFuzzerTestOneInput "$here"/fuzz_*.c | sed 's|.*/||; s|\.c$||'
