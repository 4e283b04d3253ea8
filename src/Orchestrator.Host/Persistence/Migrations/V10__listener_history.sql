-- V10 on the reorg branch (issue 18; the lead's plan numbers it V12: rename at merge, the statement is idempotent).
-- bridge_cursors.history: what a chain listener keeps to survive a reorganisation deeper than its
-- confirmations (src/Orchestrator.Chain/Reorgs/ListenerCursor.cs): the hashes of the last blocks it read
-- (contiguous, ending at block_number), the deals it created in them, and the orphans (deals whose block
-- was reorganised out, judged once the new chain is read up to reconcileThrough). One JSON document per
-- cursor, written with block_number in the same fenced statement. NULL for a cursor written before
-- (it starts keeping hashes at its next range).
ALTER TABLE bridge_cursors ADD COLUMN IF NOT EXISTS history jsonb NULL;
