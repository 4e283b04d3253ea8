#!/bin/sh
# An example app for the process executor: deterministic output from the task's index and arguments.
# The worker agent sets IEXEC_IN, IEXEC_OUT, IEXEC_TASK_ID, IEXEC_TASK_INDEX, ... and passes the
# deal's parameters as arguments; everything written under $IEXEC_OUT is the result.
set -eu
printf 'task %s (%s): %s squared is %s\n' "$IEXEC_TASK_INDEX" "$IEXEC_TASK_ID" "$IEXEC_TASK_INDEX" "$(( IEXEC_TASK_INDEX * IEXEC_TASK_INDEX ))" > "$IEXEC_OUT/result.txt"
printf 'arguments: %s\n' "$*" >> "$IEXEC_OUT/result.txt"
