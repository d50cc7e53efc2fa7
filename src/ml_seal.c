/*
 * ml_seal.c - the integrity seal of stored models.
 *
 * A model row carries model_hmac: HMAC-SHA256, under a 32-byte key only the
 * server can read ($PGDATA/alphapulse_model.key, mode 0600, made on first
 * use), of a domain tag, the algorithm, the symbol, the feature set, the
 * feature names, the feature count and the model (the XGBoost bytes, or the
 * text of a linear model's coefficients).  Every load
 * checks the seal and then validates the model's structure before a library
 * sees it; only the extension's own code seals (ap_train's registration, the
 * superuser-only sealing functions below), so a hand-written row is refused.
 *
 * Registration runs as the owner of alphapulse.models (callers have no write
 * right on it) the way SECURITY DEFINER does: SetUserIdAndSecContext with
 * SECURITY_LOCAL_USERID_CHANGE and a pinned search_path, restored on error.
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "ml_seal.h"
#include "ml_validate.h"

static uint8 model_key[AP_MODEL_KEY_LEN];
static bool model_key_loaded = false;

/* Reads the key file; false when it does not exist. */
static bool
ReadKeyFile(void)
{
	uint8		buf[AP_MODEL_KEY_LEN + 1];
	int			fd = OpenTransientFile(AP_MODEL_KEY_FILE, O_RDONLY | PG_BINARY);
	int			n;

	if (fd < 0)
	{
		if (errno == ENOENT)
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open the model key file \"%s\": %m", AP_MODEL_KEY_FILE)));
	}
	n = read(fd, buf, sizeof(buf));
	CloseTransientFile(fd);
	if (n != AP_MODEL_KEY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the model key file \"%s\" is damaged", AP_MODEL_KEY_FILE),
				 errdetail("It holds %d bytes, expected %d.", n, AP_MODEL_KEY_LEN),
				 errhint("Restore it from a backup of this cluster, or remove it and run ap_reseal_models() as a superuser.")));
	memcpy(model_key, buf, AP_MODEL_KEY_LEN);
	model_key_loaded = true;
	return true;
}

/*
 * Writes a fresh key to a private temp file and links it into place: link()
 * fails if another backend got there first, and then its key is the one used.
 */
static void
CreateKeyFile(void)
{
	char		tmp[MAXPGPATH];
	uint8		key[AP_MODEL_KEY_LEN];
	int			fd;

	if (!pg_strong_random(key, sizeof(key)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate the model key")));
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", AP_MODEL_KEY_FILE, MyProcPid);
	(void) unlink(tmp);			/* left by a crashed backend of the same pid */
	fd = OpenTransientFilePerm(tmp, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY, S_IRUSR | S_IWUSR);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create \"%s\": %m", tmp)));
	if (write(fd, key, sizeof(key)) != sizeof(key) || pg_fsync(fd) != 0)
	{
		int			save = errno ? errno : ENOSPC;

		CloseTransientFile(fd);
		(void) unlink(tmp);
		errno = save;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write \"%s\": %m", tmp)));
	}
	CloseTransientFile(fd);
	if (link(tmp, AP_MODEL_KEY_FILE) != 0 && errno != EEXIST)
	{
		int			save = errno;

		(void) unlink(tmp);
		errno = save;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create the model key file \"%s\": %m", AP_MODEL_KEY_FILE)));
	}
	(void) unlink(tmp);
	fsync_fname(".", true);
	explicit_bzero(key, sizeof(key));
}

static void
LoadKey(void)
{
	if (model_key_loaded)
		return;
	if (ReadKeyFile())
		return;
	CreateKeyFile();
	if (!ReadKeyFile())
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("the model key file \"%s\" vanished", AP_MODEL_KEY_FILE)));
}

void
ApModelMac(const char *algorithm, int p, const ApModelIdentity *who, const void *data,
		   size_t len, uint8 *mac)
{
	pg_hmac_ctx *ctx;
	uint8		pbytes[4] = {(uint8) (p >> 24), (uint8) (p >> 16), (uint8) (p >> 8), (uint8) p};

	LoadKey();
	ctx = pg_hmac_create(PG_SHA256);
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	/* tag and algorithm with their terminating zeros: no two messages run together */
	if (pg_hmac_init(ctx, model_key, AP_MODEL_KEY_LEN) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) AP_MODEL_MAC_TAG, sizeof(AP_MODEL_MAC_TAG)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) algorithm, strlen(algorithm) + 1) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) who->symbol, strlen(who->symbol) + 1) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) who->feature_set, strlen(who->feature_set) + 1) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) who->feature_names, strlen(who->feature_names) + 1) < 0 ||
		pg_hmac_update(ctx, pbytes, sizeof(pbytes)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_hmac_final(ctx, mac, AP_MODEL_MAC_LEN) < 0)
	{
		const char *e = pstrdup(pg_hmac_error(ctx));

		pg_hmac_free(ctx);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute the model HMAC: %s", e)));
	}
	pg_hmac_free(ctx);
}

bool
ApModelMacMatches(const char *algorithm, int p, const ApModelIdentity *who, const void *data,
				  size_t len, bytea *stored)
{
	uint8		mac[AP_MODEL_MAC_LEN];
	uint8		diff = 0;
	const uint8 *s;

	if (stored == NULL || VARSIZE_ANY_EXHDR(stored) != AP_MODEL_MAC_LEN)
		return false;
	ApModelMac(algorithm, p, who, data, len, mac);
	s = (const uint8 *) VARDATA_ANY(stored);
	/* constant time: a timing oracle must not reveal a valid MAC byte by byte */
	for (int i = 0; i < AP_MODEL_MAC_LEN; i++)
		diff |= mac[i] ^ s[i];
	return diff == 0;
}

/* The text a linear model's seal covers: its coefficients' jsonb text. */
char *
ApCoefficientsText(Datum coefficients)
{
	return DatumGetCString(DirectFunctionCall1(jsonb_out, coefficients));
}

/*
 * Validates a model for sealing (XGBoost bytes structurally; linear models
 * have their coefficients checked when loaded) and returns its seal, or NULL
 * with *reason set when it is not sound.
 */
bytea *
ApSealModel(const char *algorithm, int p, const ApModelIdentity *who, bytea *model,
			Datum coefficients, char *reason)
{
	bytea	   *mac = palloc(VARHDRSZ + AP_MODEL_MAC_LEN);

	SET_VARSIZE(mac, VARHDRSZ + AP_MODEL_MAC_LEN);
	if (strcmp(algorithm, "xgboost") == 0)
	{
		if (model == NULL)
		{
			strlcpy(reason, "no model bytes", AP_MODEL_REASON_LEN);
			return NULL;
		}
		if (!ApValidateXgbModel((const unsigned char *) VARDATA_ANY(model), VARSIZE_ANY_EXHDR(model),
								p, NULL, reason))
			return NULL;
		ApModelMac(algorithm, p, who, VARDATA_ANY(model), VARSIZE_ANY_EXHDR(model), (uint8 *) VARDATA(mac));
	}
	else
	{
		char	   *text;

		if (coefficients == (Datum) 0)
		{
			strlcpy(reason, "no coefficients", AP_MODEL_REASON_LEN);
			return NULL;
		}
		text = ApCoefficientsText(coefficients);
		ApModelMac(algorithm, p, who, text, strlen(text), (uint8 *) VARDATA(mac));
	}
	return mac;
}

/* The owner of alphapulse.models: the identity model rows are written under. */
static Oid
ModelsOwner(void)
{
	Oid			relid = get_relname_relid("models", get_namespace_oid("alphapulse", false));
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		elog(ERROR, "alphapulse.models does not exist");
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * SPI_execute_with_args as the owner of alphapulse.models, with search_path
 * pinned to pg_catalog, pg_temp: what a SECURITY DEFINER function with that
 * SET clause does, for the registration statements of ap_train.  The caller's
 * identity and settings come back on return and on error (so ap_train's
 * failure logging runs as the caller).
 */
int
ApExecuteAsModelsOwner(const char *sql, int nargs, Oid *types, Datum *values,
					   const char *nulls, long tcount)
{
	Oid			save_user;
	int			save_sec;
	int			save_nest;
	volatile int ret = 0;

	GetUserIdAndSecContext(&save_user, &save_sec);
	save_nest = NewGUCNestLevel();
	(void) set_config_option("search_path", AP_SAFE_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	SetUserIdAndSecContext(ModelsOwner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		ret = SPI_execute_with_args(sql, nargs, types, values, nulls, false, tcount);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
	AtEOXact_GUC(true, save_nest);
	return ret;
}

int
ApPinSearchPath(void)
{
	int			nest = NewGUCNestLevel();

	(void) set_config_option("search_path", AP_SAFE_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

void
ApUnpinSearchPath(int nest)
{
	AtEOXact_GUC(true, nest);
}

/*
 * Registration writes as the owner, so it checks what the table's grants
 * used to: the caller must be a writer (or a superuser).
 */
void
ApCheckMayRegister(const char *action)
{
	Oid			writer = get_role_oid("alphapulse_writer", true);

	if (!superuser() && !(OidIsValid(writer) && has_privs_of_role(GetUserId(), writer)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", action),
				 errhint("It takes membership in alphapulse_writer.")));
}

static void
RequireSuperuser(const char *fn)
{
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may run %s", fn)));
}

/*
 * Seals models after a structural check: every model (all) or only those
 * without a seal.  Returns (model_id, sealed, reason) per model looked at;
 * a model that fails is left unsealed, so it refuses to load.
 */
static Datum
SealModels(FunctionCallInfo fcinfo, bool all, const char *fn)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		n;
	SPITupleTable *tab;
	int			nest;

	RequireSuperuser(fn);
	InitMaterializedSRF(fcinfo, 0);
	nest = ApPinSearchPath();
	SPI_connect();
	if (SPI_execute(psprintf("SELECT m.id, m.algorithm, pg_catalog.array_length(m.feature_names, 1), m.model, m.coefficients, "
							 "m.symbol, m.feature_set, m.feature_names::pg_catalog.text "
							 "FROM alphapulse.models m %s ORDER BY m.id FOR UPDATE",
							 all ? "" : "WHERE m.model_hmac IS NULL"), false, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the models failed");
	n = SPI_processed;
	tab = SPI_tuptable;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = tab->vals[i];
		TupleDesc	td = tab->tupdesc;
		bool		isnull,
					mnull,
					cnull;
		int64		id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		char	   *algorithm = TextDatumGetCString(SPI_getbinval(tup, td, 2, &isnull));
		Datum		pd = SPI_getbinval(tup, td, 3, &isnull);
		int			p = isnull ? 0 : DatumGetInt32(pd);
		Datum		md = SPI_getbinval(tup, td, 4, &mnull);
		Datum		cd = SPI_getbinval(tup, td, 5, &cnull);
		char		reason[AP_MODEL_REASON_LEN];
		bytea	   *mac;
		Oid			t[2] = {BYTEAOID, INT8OID};
		Datum		a[2];
		char		nulls[2] = {' ', ' '};
		Datum		values[3];
		bool		vnulls[3] = {false, false, false};
		ApModelIdentity who;

		who.symbol = TextDatumGetCString(SPI_getbinval(tup, td, 6, &isnull));
		who.feature_set = TextDatumGetCString(SPI_getbinval(tup, td, 7, &isnull));
		who.feature_names = TextDatumGetCString(SPI_getbinval(tup, td, 8, &isnull));
		mac = ApSealModel(algorithm, p, &who, mnull ? NULL : DatumGetByteaPP(md), cnull ? (Datum) 0 : cd, reason);
		a[0] = PointerGetDatum(mac);
		a[1] = Int64GetDatum(id);
		if (mac == NULL)
			nulls[0] = 'n';
		if (SPI_execute_with_args("UPDATE alphapulse.models SET model_hmac = $1 WHERE id OPERATOR(pg_catalog.=) $2",
								  2, t, a, nulls, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "sealing model %lld failed", (long long) id);
		if (mac == NULL)
			ereport(WARNING,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("model %lld is malformed and stays unsealed", (long long) id),
					 errdetail("%s", reason)));
		values[0] = Int64GetDatum(id);
		values[1] = BoolGetDatum(mac != NULL);
		if (mac == NULL)
			values[2] = CStringGetTextDatum(reason);
		else
			vnulls[2] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, vnulls);
	}
	SPI_finish();
	ApUnpinSearchPath(nest);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(ap_seal_unsealed_models);

/* alphapulse.seal_models(): seals models that have no seal (the 0.2.0 upgrade). */
Datum
ap_seal_unsealed_models(PG_FUNCTION_ARGS)
{
	return SealModels(fcinfo, false, "alphapulse.seal_models()");
}

PG_FUNCTION_INFO_V1(ap_reseal_models);

/* ap_reseal_models(): seals every model under this cluster's key (after a restore). */
Datum
ap_reseal_models(PG_FUNCTION_ARGS)
{
	return SealModels(fcinfo, true, "ap_reseal_models()");
}

PG_FUNCTION_INFO_V1(ap_validate_model);

/* alphapulse.validate_model(bytes, features): NULL when sound, else the reason. */
Datum
ap_validate_model(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	char		reason[AP_MODEL_REASON_LEN];

	if (ApValidateXgbModel((const unsigned char *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b),
						   PG_GETARG_INT32(1), NULL, reason))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(reason));
}
