-- V7: bridge rows are never overwritten (issue 18).
-- bridge_transactions: one row per (chain, account, nonce, attempt). A nonce given back (refused at
-- its broadcast) and used again, or used by two silos' senders, gets a new attempt row; the rows of
-- earlier attempts (and their task ids) stay as they were. Rows written before V7 become attempt 0.
ALTER TABLE bridge_transactions ADD COLUMN IF NOT EXISTS attempt integer NOT NULL DEFAULT 0;
ALTER TABLE bridge_transactions DROP CONSTRAINT IF EXISTS bridge_transactions_pk;
ALTER TABLE bridge_transactions ADD CONSTRAINT bridge_transactions_pk PRIMARY KEY (chain_id, account, nonce, attempt);

-- What an attempt carried never changes: only its progress (status, fees, hashes, receipt) moves.
CREATE OR REPLACE FUNCTION bridge_transactions_keep_identity() RETURNS trigger AS $$
BEGIN
    IF NEW.chain_id <> OLD.chain_id OR NEW.account <> OLD.account OR NEW.nonce <> OLD.nonce OR NEW.attempt <> OLD.attempt
       OR NEW.kind <> OLD.kind OR NEW.data <> OLD.data OR NEW.task_ids <> OLD.task_ids THEN
        RAISE EXCEPTION 'bridge_transactions rows are never overwritten: (%, %, %, attempt %) keeps its kind, data and task ids',
            OLD.chain_id, OLD.account, OLD.nonce, OLD.attempt;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS bridge_transactions_keep_identity ON bridge_transactions;
CREATE TRIGGER bridge_transactions_keep_identity BEFORE UPDATE ON bridge_transactions
    FOR EACH ROW EXECUTE FUNCTION bridge_transactions_keep_identity();
