-- V6: grain state for the group-commit storage (Orchestrator:PostgresGrainStorage = GroupCommit).
-- One row per (service, state name, grain id). Version is the ETag; a clear keeps the row (payload
-- NULL, version + 1) so an older activation can never resurrect cleared state with a stale ETag.
CREATE TABLE IF NOT EXISTS orch_grain_state
(
    service_id  varchar(150) NOT NULL,
    state_name  varchar(150) NOT NULL,
    grain_id    varchar(512) NOT NULL,
    version     integer      NOT NULL,
    payload     bytea        NULL,
    modified_on timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, state_name, grain_id)
);

-- Writes one grain's state if its ETag matches. Returns (ok, version): the new version on success;
-- on a conflict the version storage holds (NULL when there is no row), for the exception message.
CREATE OR REPLACE FUNCTION orch_write_grain_state(
    p_service_id varchar, p_state_name varchar, p_grain_id varchar, p_expected integer, p_payload bytea)
RETURNS TABLE (ok boolean, version integer) LANGUAGE plpgsql AS $fn$
DECLARE
    v integer;
BEGIN
    IF p_expected IS NULL THEN
        INSERT INTO orch_grain_state AS s (service_id, state_name, grain_id, version, payload)
        VALUES (p_service_id, p_state_name, p_grain_id, 1, p_payload)
        ON CONFLICT DO NOTHING
        RETURNING s.version INTO v;
    ELSE
        UPDATE orch_grain_state AS s
           SET payload = p_payload, version = s.version + 1, modified_on = now()
         WHERE s.service_id = p_service_id AND s.state_name = p_state_name AND s.grain_id = p_grain_id
           AND s.version = p_expected
        RETURNING s.version INTO v;
    END IF;
    IF v IS NOT NULL THEN
        RETURN QUERY SELECT true, v;
    ELSE
        RETURN QUERY SELECT false, (SELECT s.version FROM orch_grain_state s
                                     WHERE s.service_id = p_service_id AND s.state_name = p_state_name AND s.grain_id = p_grain_id);
    END IF;
END
$fn$;

-- Clears one grain's state if its ETag matches (same result shape as the write).
CREATE OR REPLACE FUNCTION orch_clear_grain_state(
    p_service_id varchar, p_state_name varchar, p_grain_id varchar, p_expected integer)
RETURNS TABLE (ok boolean, version integer) LANGUAGE plpgsql AS $fn$
DECLARE
    v integer;
BEGIN
    IF p_expected IS NULL THEN
        -- Nothing was ever written for this activation: a clear of nothing succeeds if nothing is there.
        SELECT s.version INTO v FROM orch_grain_state s
         WHERE s.service_id = p_service_id AND s.state_name = p_state_name AND s.grain_id = p_grain_id;
        RETURN QUERY SELECT v IS NULL, v;
        RETURN;
    END IF;
    UPDATE orch_grain_state AS s
       SET payload = NULL, version = s.version + 1, modified_on = now()
     WHERE s.service_id = p_service_id AND s.state_name = p_state_name AND s.grain_id = p_grain_id
       AND s.version = p_expected
    RETURNING s.version INTO v;
    IF v IS NOT NULL THEN
        RETURN QUERY SELECT true, v;
    ELSE
        RETURN QUERY SELECT false, (SELECT s.version FROM orch_grain_state s
                                     WHERE s.service_id = p_service_id AND s.state_name = p_state_name AND s.grain_id = p_grain_id);
    END IF;
END
$fn$;
