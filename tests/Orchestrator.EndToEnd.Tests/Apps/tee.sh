#!/bin/sh
# The TEE deal's app: the honest computation, plus proof that the enclave handed it the dataset key
# the secret service released: the SHA-256 of IEXEC_DATASET_KEY, and whether the key file under
# IEXEC_SECRETS_DIR holds the same bytes.
set -eu
printf 'task %s: %s\n' "$IEXEC_TASK_INDEX" "$*" > "$IEXEC_OUT/result.txt"
printf '%s\n' "$(( IEXEC_TASK_INDEX * IEXEC_TASK_INDEX ))" > "$IEXEC_OUT/square.txt"
printf '%s' "${IEXEC_DATASET_KEY:-}" | sha256sum | cut -d' ' -f1 > "$IEXEC_OUT/dataset-key.sha256"
if [ "$(cat "$IEXEC_SECRETS_DIR/dataset/key")" = "${IEXEC_DATASET_KEY:-}" ]; then echo same; else echo different; fi > "$IEXEC_OUT/dataset-key-file.txt"
# The requester secrets the deal selected, by index: exactly those, nothing else.
env | grep '^IEXEC_REQUESTER_SECRET_' | sort > "$IEXEC_OUT/requester-secrets.txt" || true
