-- V3: grain state (Orleans.Persistence.AdoNet). One row per (service, grain type, grain id);
-- Version is the ETag: a write carrying a stale version changes nothing and Orleans raises
-- InconsistentStateException, which fences a second activation of the same grain.
CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            integer      NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NULL,
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    Version                integer      NULL
);

-- Unique on the full key (NULL extension mapped to '') so two racing first writes cannot both insert.
CREATE UNIQUE INDEX IF NOT EXISTS UX_OrleansStorage_Key
    ON OrleansStorage (GrainIdHash, GrainTypeHash, ServiceId, GrainIdN0, GrainIdN1, GrainTypeString, COALESCE(GrainIdExtensionString, ''));

-- Returns the new version, or the caller's version unchanged when the ETag did not match
-- (Orleans compares the two to detect the conflict).
CREATE OR REPLACE FUNCTION orleans_write_to_storage(
    p_grain_id_hash integer, p_grain_id_n0 bigint, p_grain_id_n1 bigint, p_grain_type_hash integer,
    p_grain_type_string varchar, p_grain_id_extension_string varchar, p_service_id varchar,
    p_grain_state_version integer, p_payload_binary bytea)
RETURNS TABLE (newgrainstateversion integer) LANGUAGE plpgsql AS $fn$
DECLARE
    n integer := 0;
    v integer := p_grain_state_version;
BEGIN
    IF p_grain_state_version IS NOT NULL THEN
        UPDATE OrleansStorage
           SET PayloadBinary = p_payload_binary, ModifiedOn = now(), Version = Version + 1
         WHERE GrainIdHash = p_grain_id_hash AND GrainTypeHash = p_grain_type_hash AND ServiceId = p_service_id
           AND GrainIdN0 = p_grain_id_n0 AND GrainIdN1 = p_grain_id_n1 AND GrainTypeString = p_grain_type_string
           AND COALESCE(GrainIdExtensionString, '') = COALESCE(p_grain_id_extension_string, '')
           AND Version = p_grain_state_version;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            v := p_grain_state_version + 1;
        END IF;
    ELSE
        INSERT INTO OrleansStorage
            (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version)
        VALUES
            (p_grain_id_hash, p_grain_id_n0, p_grain_id_n1, p_grain_type_hash, p_grain_type_string, p_grain_id_extension_string, p_service_id, p_payload_binary, now(), 1)
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            v := 1;
        END IF;
    END IF;
    RETURN QUERY SELECT v;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('WriteToStorageKey',
 'SELECT newgrainstateversion AS NewGrainStateVersion FROM orleans_write_to_storage(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary);'),
('ReadFromStorageKey',
 'SELECT PayloadBinary, now() AS ReadOn, Version
    FROM OrleansStorage
   WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
     AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
     AND COALESCE(GrainIdExtensionString, '''') = COALESCE(@GrainIdExtensionString, '''');'),
('ClearStorageKey',
 'UPDATE OrleansStorage SET PayloadBinary = NULL, ModifiedOn = now(), Version = Version + 1
   WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
     AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
     AND COALESCE(GrainIdExtensionString, '''') = COALESCE(@GrainIdExtensionString, '''')
     AND Version = @GrainStateVersion
  RETURNING Version AS NewGrainStateVersion;')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
