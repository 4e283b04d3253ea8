#!/bin/sh
# An app whose result is large and incompressible (its first allow-list argument: the size in MiB), so its
# worker's upload lasts long enough for a test to kill the worker in the middle of it. One random MiB is
# repeated: cheap to write on a loaded machine, and beyond deflate's 32 KiB window, so it stays large.
set -eu
block=$(mktemp)
head -c 1048576 /dev/urandom > "$block"
i=0
while [ "$i" -lt "$1" ]; do cat "$block"; i=$((i + 1)); done > "$IEXEC_OUT/blob.bin"
rm -f "$block"
printf 'large app: wrote %s MiB for task %s\n' "$1" "$IEXEC_TASK_INDEX"
