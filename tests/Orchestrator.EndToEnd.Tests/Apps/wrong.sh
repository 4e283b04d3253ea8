#!/bin/sh
# A dishonest (or broken) worker's idea of the same app: a different output for every task.
set -eu
printf 'task %s: forged\n' "$IEXEC_TASK_INDEX" > "$IEXEC_OUT/result.txt"
