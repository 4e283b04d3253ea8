#!/bin/sh
# The deal's app: a pure function of the task's index and arguments, so every honest worker's output
# (and so its result digest) is the same. STALL_FLAG (an allow-list argument, not from the server)
# makes it hang once the flag file exists, so a test can kill its worker mid-task.
set -eu
# --stall-after N FLAG: runs N tasks honestly, then hangs in every later one (so the worker is surely
# mid-task while the deal is young, whatever the machine's speed).
if [ "${1:-}" = "--stall-after" ]; then
  runs="$2"; flag="$3"; shift 3
  mkdir -p "$flag.runs"
  : > "$flag.runs/$IEXEC_TASK_INDEX"
  if [ "$(ls "$flag.runs" | wc -l)" -gt "$runs" ]; then
    touch "$flag.stalled-$IEXEC_TASK_INDEX"
    sleep 120
  fi
fi
if [ "${1:-}" = "--stall-if" ]; then
  flag="$2"; shift 2
  if [ -f "$flag" ]; then
    touch "$flag.stalled-$IEXEC_TASK_INDEX"
    sleep 120
  fi
fi
# What the app says on the way (its logs, which reach the requester; not part of the result).
printf 'honest app: computing task %s\n' "$IEXEC_TASK_INDEX"
printf 'honest app: arguments %s\n' "$*" >&2
printf 'task %s: %s\n' "$IEXEC_TASK_INDEX" "$*" > "$IEXEC_OUT/result.txt"
printf '%s\n' "$(( IEXEC_TASK_INDEX * IEXEC_TASK_INDEX ))" > "$IEXEC_OUT/square.txt"
