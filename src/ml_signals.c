/*
 * ml_signals.c - writing scores into alphapulse.signals.
 *
 * Where the time of a 200k-row ap_score went (bench/score.sh): the INSERT of
 * the rows cost about twice the rest of the call, and 60% of it was the
 * foreign key to alphapulse.models, checked by its RI trigger once per row
 * (a queued trigger event and a locking query each), the rest the executor's
 * row-at-a-time heap insert (one WAL record per row) and the primary key.
 * Every row of one call carries the same model_id, so one check does: when
 * none of the model's signals exist from the first time on, the rows go in
 * as COPY writes them (table_multi_insert, a page per WAL record, then the
 * indexes) after the model row is locked once by the RI trigger's own query.
 * Whatever that path would not reproduce (another trigger or foreign key,
 * rules, row security, a deferrable index, no table-level INSERT privilege)
 * sends the rows through the SQL insert, as does a model that scored some of
 * these times already (the upsert).
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_relation.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "ml_signals.h"
#include "ml_util.h"

/* rows per table_multi_insert, as COPY buffers them */
#define AP_SIGNALS_BATCH 1000

/* the columns ApWriteSignals fills; any other gets its default */
enum
{
	SIG_SYMBOL, SIG_TS, SIG_MODEL, SIG_SCORE, SIG_SIGNAL, SIG_NCOLS
};
static const char *const SignalColumns[SIG_NCOLS] = {"symbol", "ts", "model_id", "score", "signal"};

/* ap_score's rule, with PostgreSQL's float order (NaN above every number) */
static const char *
SignalOf(double score, double buy, double sell)
{
	if (float8_gt(score, buy))
		return "BUY";
	if (float8_lt(score, sell))
		return "SELL";
	return "HOLD";
}

/* The one attribute number in an int2[] catalog column, or 0. */
static AttrNumber
SingleKey(HeapTuple tup, int attnum)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(CONSTROID, tup, attnum, &isnull);
	ArrayType  *a;

	if (isnull)
		return 0;
	a = DatumGetArrayTypeP(d);
	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != INT2OID)
		return 0;
	return ((int16 *) ((char *) a + ARR_OVERHEAD_NONULLS(1)))[0];
}

/*
 * Whether every trigger of signals is the RI check of model_id -> models(id);
 * *conid gets that constraint (InvalidOid when there is none).
 */
static bool
OnlyModelKeyTriggers(Relation rel, Oid models, Oid *conid)
{
	TriggerDesc *td = rel->trigdesc;
	AttrNumber	model_att = attnameAttNum(rel, "model_id", false);
	AttrNumber	id_att = get_attnum(models, "id");

	*conid = InvalidOid;
	if (td == NULL)
		return true;
	for (int i = 0; i < td->numtriggers; i++)
	{
		Trigger    *tg = &td->triggers[i];
		HeapTuple	tup;
		bool		ours;

		if (RI_FKey_trigger_type(tg->tgfoid) != RI_TRIGGER_FK || tg->tgconstrrelid != models)
			return false;
		tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(tg->tgconstraint));
		if (!HeapTupleIsValid(tup))
			return false;
		ours = SingleKey(tup, Anum_pg_constraint_conkey) == model_att &&
			SingleKey(tup, Anum_pg_constraint_confkey) == id_att;
		ReleaseSysCache(tup);
		if (!ours)
			return false;
		*conid = tg->tgconstraint;
	}
	return true;
}

/* Whether the bulk path writes exactly what the SQL insert would. */
static bool
BulkPathApplies(Relation rel, Oid models, Oid *conid)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;

	return rel->rd_rel->relkind == RELKIND_RELATION &&
		!rel->rd_rel->relrowsecurity &&
		rel->rd_rules == NULL &&
		!(constr && constr->has_generated_stored) &&
		pg_class_aclcheck(RelationGetRelid(rel), GetUserId(), ACL_INSERT) == ACLCHECK_OK &&
		OnlyModelKeyTriggers(rel, models, conid);
}

/* A relation's owner. */
static Oid
OwnerOf(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * The foreign key, once for every row: the query the RI trigger runs per row,
 * as the referenced table's owner, locking the model row until commit.
 */
static void
CheckModelKey(Oid conid, Oid models, int64 model_id)
{
	Oid			t[1] = {INT8OID};
	Datum		a[1] = {Int64GetDatum(model_id)};
	Oid			save_user;
	int			save_sec;
	int			rc;

	if (!OidIsValid(conid))
		return;
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(OwnerOf(models),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
	rc = SPI_execute_with_args("SELECT 1 FROM ONLY alphapulse.models x WHERE x.id OPERATOR(pg_catalog.=) $1 "
							   "FOR KEY SHARE OF x", 1, t, a, NULL, false, 1);
	SetUserIdAndSecContext(save_user, save_sec);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "checking the model of the signals failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("insert or update on table \"signals\" violates foreign key constraint \"%s\"",
						get_constraint_name(conid)),
				 errdetail("Key (model_id)=(%lld) is not present in table \"models\".",
						   (long long) model_id)));
}

/* Inserts one batch of filled slots and their index entries. */
static void
FlushBatch(ResultRelInfo *rri, EState *estate, TupleTableSlot **slots, int k,
		   CommandId cid, BulkInsertState bistate)
{
	if (k == 0)
		return;
	table_multi_insert(rri->ri_RelationDesc, slots, k, cid, 0, bistate);
	for (int i = 0; i < k; i++)
	{
		List	   *recheck = ExecInsertIndexTuples(rri, slots[i], estate, false, false, NULL, NIL);

		/* BulkPathApplies admitted only immediate indexes: nothing is deferred */
		Assert(recheck == NIL);
		list_free(recheck);
		ExecClearTuple(slots[i]);
	}
	ResetPerTupleExprContext(estate);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Column numbers of the filled columns in col[], and the default expressions
 * of the others (NULL when they have none) in defexprs[].
 */
static void
MapColumns(Relation rel, int *col, ExprState **defexprs)
{
	TupleDesc	td = RelationGetDescr(rel);

	for (int j = 0; j < td->natts; j++)
	{
		Form_pg_attribute att = TupleDescAttr(td, j);

		col[j] = -1;
		defexprs[j] = NULL;
		if (att->attisdropped)
			continue;
		for (int c = 0; c < SIG_NCOLS; c++)
			if (strcmp(NameStr(att->attname), SignalColumns[c]) == 0)
				col[j] = c;
		if (col[j] < 0)
		{
			Node	   *def = build_column_default(rel, j + 1);

			if (def != NULL)
				defexprs[j] = ExecInitExpr(expression_planner((Expr *) def), NULL);
		}
	}
}

/*
 * The bulk path; false (having written nothing) when an index is deferrable.
 * The caller holds RowExclusiveLock on rel.
 */
static bool
BulkInsertSignals(Relation rel, const char *symbol, int64 model_id, const TimestampTz *ts,
				  const double *score, int n, double buy, double sell)
{
	EState	   *estate = CreateExecutorState();
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	ResultRelInfo *rri = makeNode(ResultRelInfo);
	TupleDesc	td = RelationGetDescr(rel);
	TupleTableSlot **slots;
	ExprState **defexprs;
	ExprContext *econtext;
	BulkInsertState bistate;
	CommandId	cid;
	int		   *col;
	Datum		fixed[SIG_NCOLS];
	int			k = 0;

	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_INSERT;
	ExecInitRangeTable(estate, list_make1(rte));
	ExecInitResultRelation(estate, rri, 1);
	CheckValidResultRel(rri, CMD_INSERT);
	ExecOpenIndices(rri, false);
	for (int i = 0; i < rri->ri_NumIndices; i++)
		if (!rri->ri_IndexRelationDescs[i]->rd_index->indimmediate)
		{
			ExecCloseResultRelations(estate);
			ExecCloseRangeTableRelations(estate);
			FreeExecutorState(estate);
			return false;
		}

	col = palloc(sizeof(int) * td->natts);
	defexprs = palloc(sizeof(ExprState *) * td->natts);
	MapColumns(rel, col, defexprs);
	fixed[SIG_SYMBOL] = CStringGetTextDatum(symbol);
	fixed[SIG_MODEL] = Int64GetDatum(model_id);
	slots = palloc(sizeof(TupleTableSlot *) * AP_SIGNALS_BATCH);
	for (int i = 0; i < AP_SIGNALS_BATCH; i++)
		slots[i] = table_slot_create(rel, NULL);
	econtext = GetPerTupleExprContext(estate);
	estate->es_output_cid = cid = GetCurrentCommandId(true);
	bistate = GetBulkInsertState();
	{
		Datum		sig[3] = {CStringGetTextDatum("BUY"), CStringGetTextDatum("SELL"),
		CStringGetTextDatum("HOLD")};

		for (int r = 0; r < n; r++)
		{
			TupleTableSlot *slot = slots[k];
			const char *s = SignalOf(score[r], buy, sell);

			fixed[SIG_TS] = TimestampTzGetDatum(ts[r]);
			fixed[SIG_SCORE] = Float8GetDatum(score[r]);
			fixed[SIG_SIGNAL] = sig[s[0] == 'B' ? 0 : s[0] == 'S' ? 1 : 2];
			ExecClearTuple(slot);
			for (int j = 0; j < td->natts; j++)
			{
				slot->tts_isnull[j] = col[j] < 0;
				slot->tts_values[j] = col[j] < 0 ? (Datum) 0 : fixed[col[j]];
				if (defexprs[j] != NULL)
					slot->tts_values[j] = ExecEvalExpr(defexprs[j], econtext, &slot->tts_isnull[j]);
			}
			ExecStoreVirtualTuple(slot);
			if (td->constr)
				ExecConstraints(rri, slot, estate);
			if (++k == AP_SIGNALS_BATCH)
			{
				FlushBatch(rri, estate, slots, k, cid, bistate);
				k = 0;
			}
		}
		FlushBatch(rri, estate, slots, k, cid, bistate);
	}
	FreeBulkInsertState(bistate);
	table_finish_bulk_insert(rel, 0);
	for (int i = 0; i < AP_SIGNALS_BATCH; i++)
		ExecDropSingleTupleTableSlot(slots[i]);
	ExecCloseResultRelations(estate);
	ExecCloseRangeTableRelations(estate);
	FreeExecutorState(estate);
	/* as after an SPI insert: the rest of the statement sees the rows */
	CommandCounterIncrement();
	return true;
}

/* The SQL insert (an upsert unless fresh), one statement for every row. */
static void
SqlWriteSignals(const char *symbol, int64 model_id, const TimestampTz *ts, const double *score,
				int n, double buy, double sell, bool fresh)
{
	Datum	   *tsd = palloc(sizeof(Datum) * n);
	Datum	   *scd = palloc(sizeof(Datum) * n);
	Oid			t[5] = {TEXTOID, INT8OID, TIMESTAMPTZARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID};
	Datum		a[5];
	Datum		th[2] = {Float8GetDatum(buy), Float8GetDatum(sell)};
	const char *insert = "INSERT INTO alphapulse.signals AS g (symbol, ts, model_id, score, signal) "
		"SELECT $1, u.ts, $2, u.score, CASE WHEN u.score OPERATOR(pg_catalog.>) $5[1] THEN 'BUY' "
		"WHEN u.score OPERATOR(pg_catalog.<) $5[2] THEN 'SELL' ELSE 'HOLD' END "
		"FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(ts, score)";

	for (int i = 0; i < n; i++)
	{
		tsd[i] = TimestampTzGetDatum(ts[i]);
		scd[i] = Float8GetDatum(score[i]);
	}
	a[0] = CStringGetTextDatum(symbol);
	a[1] = Int64GetDatum(model_id);
	a[2] = PointerGetDatum(construct_array(tsd, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	a[3] = PointerGetDatum(construct_array(scd, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	a[4] = PointerGetDatum(construct_array(th, 2, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (SPI_execute_with_args(fresh ? insert :
							  psprintf("%s ON CONFLICT (symbol, ts, model_id) DO UPDATE SET score = excluded.score, "
									   "signal = excluded.signal, created = pg_catalog.now() "
									   "WHERE NOT (g.score OPERATOR(pg_catalog.=) excluded.score "
									   "AND g.signal OPERATOR(pg_catalog.=) excluded.signal)",
									   insert),
							  5, t, a, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "writing signals failed");
}

bool
ApWriteSignals(const char *symbol, int64 model_id, const TimestampTz *ts, const double *score,
			   int n, double buy, double sell)
{
	Oid			t[3] = {TEXTOID, INT8OID, TIMESTAMPTZOID};
	Datum		a[3];
	bool		isnull,
				fresh;
	Relation	rel;
	Oid			models,
				conid;
	TimestampTz first;

	if (n == 0)
		return false;
	first = ts[0];
	for (int i = 1; i < n; i++)
		first = Min(first, ts[i]);
	/*
	 * Scorers of one symbol and model take turns; when none of the rows is
	 * there yet the rows need no upsert's per-row probe.
	 */
	ApLockRows(AP_SIGNALS_TABLE, symbol, (uint32) (model_id ^ (model_id >> 32)));
	a[0] = CStringGetTextDatum(symbol);
	a[1] = Int64GetDatum(model_id);
	a[2] = TimestampTzGetDatum(first);
	/* a statement of its own, so its snapshot sees what the scorer before us committed */
	if (SPI_execute_with_args("SELECT NOT EXISTS (SELECT FROM alphapulse.signals s WHERE s.symbol OPERATOR(pg_catalog.=) $1 "
							  "AND s.model_id OPERATOR(pg_catalog.=) $2 AND s.ts OPERATOR(pg_catalog.>=) $3)",
							  3, t, a, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading the signals of a model failed");
	/* a transaction snapshot cannot see a concurrent scorer's rows: always upsert */
	fresh = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) &&
		!IsolationUsesXactSnapshot();
	if (fresh)
	{
		models = get_relname_relid("models", get_namespace_oid("alphapulse", false));
		rel = table_openrv(makeRangeVar("alphapulse", "signals", -1), RowExclusiveLock);
		if (OidIsValid(models) && BulkPathApplies(rel, models, &conid))
		{
			bool		done;

			CheckModelKey(conid, models, model_id);
			done = BulkInsertSignals(rel, symbol, model_id, ts, score, n, buy, sell);
			table_close(rel, NoLock);
			if (done)
				return true;
		}
		else
			table_close(rel, NoLock);
	}
	SqlWriteSignals(symbol, model_id, ts, score, n, buy, sell, fresh);
	return false;
}
