-- models: sealed model rows (issue 7, finding 1).
--
-- No role writes alphapulse.models directly any more: ap_train registers
-- models as the table's owner from C (after validating and sealing them),
-- ap_promote and ap_rollback are SECURITY DEFINER, and every load checks the
-- seal (HMAC-SHA256 under $PGDATA/alphapulse_model.key) and then the model's
-- structure before XGBoost sees a byte of it.

ALTER TABLE alphapulse.models ADD COLUMN model_hmac bytea
	CONSTRAINT models_hmac_length CHECK (model_hmac IS NULL OR pg_catalog.length(model_hmac) OPERATOR(pg_catalog.=) 32);
COMMENT ON COLUMN alphapulse.models.model_hmac IS
'Integrity seal: HMAC-SHA256, under the server-side key $PGDATA/alphapulse_model.key, of a domain tag, the algorithm, the feature count and the model (XGBoost bytes or the coefficients'' jsonb text). Checked before every load; NULL or a mismatch refuses the model (a superuser reseals with ap_reseal_models())';
COMMENT ON COLUMN alphapulse.models.model_sha256 IS
'SHA-256 of the XGBoost bytes, informational only (anyone can compute it); the load check is model_hmac';
COMMENT ON TABLE alphapulse.models IS 'Model registry: version per symbol, algorithm, feature set and names, training and holdout windows, CV and holdout metrics, the model (XGBoost UBJ bytes or linear coefficients on standardised features) sealed by model_hmac and structurally validated before every load, training-data statistics of each feature (for drift checks), stage challenger/champion/archived; exactly one champion per symbol that has models. Written only by ap_train, ap_promote and ap_rollback';

-- Registration writes models and runs as the owner of alphapulse.models;
-- TRIGGER on either table would let a role run its own function with that
-- identity, so it goes with the write rights.  SELECT stays (via reader).
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON alphapulse.models
	FROM alphapulse_writer, alphapulse_admin;
REVOKE TRIGGER ON alphapulse.runs FROM alphapulse_admin;
REVOKE USAGE ON SEQUENCE alphapulse.models_id_seq FROM alphapulse_writer;

-- Promotion and rollback run as the owner (callers no longer hold UPDATE on
-- alphapulse.models) and lock in one order: their definitions are in
-- 91_evaluate.sql, with the evaluation that also promotes.

CREATE FUNCTION alphapulse.validate_model(model bytea, n_features integer)
RETURNS text
AS 'MODULE_PATHNAME', 'ap_validate_model'
LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION alphapulse.validate_model(bytea, integer) IS
'Structural check of XGBoost UBJSON model bytes for a model of n_features features, as every load runs it: NULL when sound, else the reason. Not executable by PUBLIC';
REVOKE ALL ON FUNCTION alphapulse.validate_model(bytea, integer) FROM PUBLIC;

CREATE FUNCTION alphapulse.seal_models()
RETURNS TABLE (model_id bigint, sealed boolean, reason text)
AS 'MODULE_PATHNAME', 'ap_seal_unsealed_models'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION alphapulse.seal_models() IS
'Superuser only: validates and seals every model that has no seal yet (the 0.2.0 upgrade runs it for 0.1.0 models); a malformed model stays unsealed and refuses to load. One row per model looked at';
REVOKE ALL ON FUNCTION alphapulse.seal_models() FROM PUBLIC;

CREATE FUNCTION @extschema@.ap_reseal_models()
RETURNS TABLE (model_id bigint, sealed boolean, reason text)
AS 'MODULE_PATHNAME', 'ap_reseal_models'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ap_reseal_models() IS
'Superuser only: validates every model structurally and seals the sound ones under this cluster''s key, for models restored from another cluster (whose key differs); a malformed model is left unsealed and reported. Run it only for models whose origin you trust. One row per model';
REVOKE ALL ON FUNCTION @extschema@.ap_reseal_models() FROM PUBLIC;

-- 0.1.0 models: seal the sound ones now (a malformed one is reported and stays unsealed).
SELECT pg_catalog.count(*) FROM alphapulse.seal_models();
-- Sealing updated the rows, which queued the deferred champion check: run it
-- now, or every later ALTER TABLE alphapulse.models of this upgrade fails with
-- "pending trigger events" on a database that has models.
SET CONSTRAINTS alphapulse.models_one_champion_check IMMEDIATE;
SET CONSTRAINTS alphapulse.models_one_champion_check DEFERRED;
