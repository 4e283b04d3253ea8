-- V5: the chain bridge's own state (src/Orchestrator.Bridge/Storage/PostgresBridgeStore.cs).
-- bridge_transactions: one row per (chain, sender account, nonce), written before the first broadcast
-- (write-ahead). With eth_getTransactionCount(pending) it is how a restarted bridge recovers its
-- nonce, re-broadcasts what a restarted node forgot, and waits for (instead of re-sending) the
-- finalization of tasks already in flight. status: 0 pending, 1 confirmed, 2 reverted, 3 dropped.
CREATE TABLE IF NOT EXISTS bridge_transactions
(
    chain_id                 bigint      NOT NULL,
    account                  text        NOT NULL,
    nonce                    bigint      NOT NULL,
    kind                     text        NOT NULL,
    to_address               text        NOT NULL,
    data                     bytea       NOT NULL,
    gas_limit                text        NOT NULL,
    max_fee_per_gas          text        NOT NULL,
    max_priority_fee_per_gas text        NOT NULL,
    hashes                   text[]      NOT NULL,
    raw                      bytea       NOT NULL,
    task_ids                 text[]      NOT NULL,
    status                   smallint    NOT NULL,
    sent_at                  timestamptz NOT NULL,
    block_number             bigint      NULL,
    mined_hash               text        NULL,
    gas_used                 bigint      NULL,
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bridge_transactions_pk PRIMARY KEY (chain_id, account, nonce)
);

CREATE INDEX IF NOT EXISTS bridge_transactions_pending ON bridge_transactions (chain_id, account) WHERE status = 0;

-- bridge_cursors: the last block each listener fully processed (it resumes at the next one).
CREATE TABLE IF NOT EXISTS bridge_cursors
(
    name         text        NOT NULL,
    block_number bigint      NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bridge_cursors_pk PRIMARY KEY (name)
);
