-- V11: leave room in orch_grain_state's pages for the next version of each row. A grain's row is
-- rewritten a few times soon after it is inserted (a task: about three times in its lifecycle); in a
-- page filled to 100 % each rewrite lands in another page and adds a primary-key entry, in a page
-- with room it stays in place (a heap-only update: no index write, less WAL, less to vacuum).
-- Rows already stored keep their pages until rewritten; nothing is read differently.
ALTER TABLE orch_grain_state SET (fillfactor = 60);
