-- V9: leadership with fencing for the bridge (issue 18): exactly one live sender per account and one
-- live listener per hub, whatever the number of silos (src/Orchestrator.Bridge/Leadership).
-- A row per role. A silo takes or renews it with one conditional upsert; token grows by one on every
-- change of holder (or a holder coming back after its lease ran out), so a deposed leader's token no
-- longer matches and every write it makes (bridge_transactions, bridge_cursors) is refused in SQL.
-- expires_at is on the database's clock only: one clock decides who holds the lease.
CREATE TABLE IF NOT EXISTS bridge_leases
(
    name       text        NOT NULL,
    holder     text        NOT NULL,
    token      bigint      NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT bridge_leases_pk PRIMARY KEY (name)
);
