#!/bin/sh
# The deal's app: a pure function of the task's index and arguments, so every honest worker's output
# (and so its result digest) is the same. STALL_FLAG (an allow-list argument, not from the server)
# makes it hang once the flag file exists, so a test can kill its worker mid-task.
set -eu
if [ "${1:-}" = "--stall-if" ]; then
  flag="$2"; shift 2
  if [ -f "$flag" ]; then
    touch "$flag.stalled-$IEXEC_TASK_INDEX"
    sleep 120
  fi
fi
printf 'task %s: %s\n' "$IEXEC_TASK_INDEX" "$*" > "$IEXEC_OUT/result.txt"
printf '%s\n' "$(( IEXEC_TASK_INDEX * IEXEC_TASK_INDEX ))" > "$IEXEC_OUT/square.txt"
