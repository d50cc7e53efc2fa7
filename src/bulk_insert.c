/*
 * bulk_insert.c - many new rows into one table as COPY inserts them:
 * table_multi_insert (a heap page per WAL record), then each row's index
 * entries and AFTER ROW trigger events and transition-table capture, the
 * statement triggers around it.  The one thing it does differently: a
 * foreign key on a column that holds one value in every row (a symbol, a
 * model id) is checked once, by the query its RI trigger runs per row, as
 * the referenced table's owner and locking the referenced row until commit
 * as the trigger does; its per-row RI trigger events are left out.  That
 * check per row was 60% of inserting 200k signals or a page of bars.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "bulk_insert.h"

/* rows per table_multi_insert, as COPY buffers them */
#define AP_BULK_BATCH 1000

struct ApBulk
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	TransitionCaptureState *tcs;
	BulkInsertState bistate;
	CommandId	cid;
	int		   *col;			/* per attribute: the caller's column or -1 */
	ExprState **defexprs;		/* per attribute not given: its default */
	TupleDesc	slotdesc;		/* the slots' descriptor: a copy, not reference-counted */
	TupleTableSlot **slots;		/* made as rows come: a page rarely fills a batch */
	int			nslots;
	int			k;				/* slots filled */
	int64		count;
};

/* A foreign key checked once: the caller's column and the referenced one. */
typedef struct KeyCheck
{
	Oid			conid;
	int			c;
	Oid			pkrel;
	AttrNumber	pkatt;
} KeyCheck;

/* The one attribute number of an int2[] column of pg_constraint, or 0. */
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

/* The caller's column for a foreign key's RI trigger if it is a constant one, else -1. */
static int
ConstantKeyColumn(Relation rel, Oid conid, const char *const *columns, int ncols,
				  const bool *constant, KeyCheck *check)
{
	HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conid));
	AttrNumber	fk,
				pk;
	Oid			pkrel;
	int			c = -1;

	if (!HeapTupleIsValid(tup))
		return -1;
	fk = SingleKey(tup, Anum_pg_constraint_conkey);
	pk = SingleKey(tup, Anum_pg_constraint_confkey);
	pkrel = ((Form_pg_constraint) GETSTRUCT(tup))->confrelid;
	ReleaseSysCache(tup);
	if (fk <= 0 || pk <= 0 ||
		TupleDescAttr(RelationGetDescr(rel), fk - 1)->atttypid != get_atttype(pkrel, pk))
		return -1;
	for (int i = 0; i < ncols; i++)
		if (constant[i] && strcmp(columns[i], NameStr(TupleDescAttr(RelationGetDescr(rel), fk - 1)->attname)) == 0)
			c = i;
	check->conid = conid;
	check->c = c;
	check->pkrel = pkrel;
	check->pkatt = pk;
	return c;
}

/*
 * Whether the triggers allow the bulk path: no BEFORE ROW or INSTEAD OF
 * insert trigger, and every foreign key's RI check on a constant column
 * (collected in *checks, one per constraint).
 */
static bool
TriggersAllow(Relation rel, const char *const *columns, int ncols, const bool *constant,
			  List **checks)
{
	TriggerDesc *td = rel->trigdesc;

	*checks = NIL;
	for (int i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *tg = &td->triggers[i];
		KeyCheck   *kc;
		bool		seen = false;
		ListCell   *lc;

		if (TRIGGER_FOR_INSERT(tg->tgtype) && TRIGGER_FOR_ROW(tg->tgtype) &&
			(TRIGGER_FOR_BEFORE(tg->tgtype) || TRIGGER_FOR_INSTEAD(tg->tgtype)))
			return false;
		if (RI_FKey_trigger_type(tg->tgfoid) != RI_TRIGGER_FK)
			continue;
		foreach(lc, *checks)
			seen |= ((KeyCheck *) lfirst(lc))->conid == tg->tgconstraint;
		if (seen)
			continue;
		kc = palloc(sizeof(KeyCheck));
		if (ConstantKeyColumn(rel, tg->tgconstraint, columns, ncols, constant, kc) < 0)
			return false;
		*checks = lappend(*checks, kc);
	}
	return true;
}

/* What the bulk path cannot reproduce, short of triggers and indexes. */
static bool
TableAllows(Relation rel, AclMode need)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;

	return rel->rd_rel->relkind == RELKIND_RELATION &&
		!rel->rd_rel->relrowsecurity &&
		rel->rd_rules == NULL &&
		!(constr && constr->has_generated_stored) &&
		pg_class_aclmask(RelationGetRelid(rel), GetUserId(), need, ACLMASK_ALL) == need;
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

/* One foreign key for every row: the RI trigger's query, as it runs it. */
static void
CheckKey(Relation rel, const KeyCheck *kc, Datum value)
{
	Oid			type = get_atttype(kc->pkrel, kc->pkatt);
	char	   *sql = psprintf("SELECT 1 FROM ONLY %s x WHERE x.%s OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x",
							   quote_qualified_identifier(get_namespace_name(get_rel_namespace(kc->pkrel)),
														  get_rel_name(kc->pkrel)),
							   quote_identifier(get_attname(kc->pkrel, kc->pkatt, false)));
	Oid			save_user;
	int			save_sec;
	int			rc;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(OwnerOf(kc->pkrel),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
	rc = SPI_execute_with_args(sql, 1, &type, &value, NULL, false, 1);
	SetUserIdAndSecContext(save_user, save_sec);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "checking a foreign key failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
	{
		Oid			out;
		bool		varlena;

		getTypeOutputInfo(type, &out, &varlena);
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("insert or update on table \"%s\" violates foreign key constraint \"%s\"",
						RelationGetRelationName(rel), get_constraint_name(kc->conid)),
				 errdetail("Key (%s)=(%s) is not present in table \"%s\".",
						   get_attname(kc->pkrel, kc->pkatt, false), OidOutputFunctionCall(out, value),
						   get_rel_name(kc->pkrel)),
				 errtableconstraint(rel, get_constraint_name(kc->conid))));
	}
}

/* The result relation's triggers without the RI checks done once; flags recomputed. */
static void
DropKeyTriggers(ResultRelInfo *rri)
{
	TriggerDesc *td = rri->ri_TrigDesc;
	int			n = 0;

	if (td == NULL)
		return;
	for (int i = 0; i < td->numtriggers; i++)
		if (RI_FKey_trigger_type(td->triggers[i].tgfoid) != RI_TRIGGER_FK)
			td->triggers[n++] = td->triggers[i];
	td->numtriggers = n;
	memset(&td->trig_insert_before_row, 0,
		   offsetof(TriggerDesc, trig_delete_old_table) + sizeof(bool) -
		   offsetof(TriggerDesc, trig_insert_before_row));
	for (int i = 0; i < n; i++)
	{
		int16		t = td->triggers[i].tgtype;
		bool		oldt = td->triggers[i].tgoldtable != NULL,
					newt = td->triggers[i].tgnewtable != NULL;

#define AP_FLAG(f, level, timing, event) td->f |= TRIGGER_TYPE_MATCHES(t, level, timing, event)
		AP_FLAG(trig_insert_before_row, TRIGGER_TYPE_ROW, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_INSERT);
		AP_FLAG(trig_insert_after_row, TRIGGER_TYPE_ROW, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_INSERT);
		AP_FLAG(trig_insert_instead_row, TRIGGER_TYPE_ROW, TRIGGER_TYPE_INSTEAD, TRIGGER_TYPE_INSERT);
		AP_FLAG(trig_insert_before_statement, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_INSERT);
		AP_FLAG(trig_insert_after_statement, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_INSERT);
		AP_FLAG(trig_update_before_row, TRIGGER_TYPE_ROW, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_UPDATE);
		AP_FLAG(trig_update_after_row, TRIGGER_TYPE_ROW, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_UPDATE);
		AP_FLAG(trig_update_instead_row, TRIGGER_TYPE_ROW, TRIGGER_TYPE_INSTEAD, TRIGGER_TYPE_UPDATE);
		AP_FLAG(trig_update_before_statement, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_UPDATE);
		AP_FLAG(trig_update_after_statement, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_UPDATE);
		AP_FLAG(trig_delete_before_row, TRIGGER_TYPE_ROW, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_DELETE);
		AP_FLAG(trig_delete_after_row, TRIGGER_TYPE_ROW, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_DELETE);
		AP_FLAG(trig_delete_instead_row, TRIGGER_TYPE_ROW, TRIGGER_TYPE_INSTEAD, TRIGGER_TYPE_DELETE);
		AP_FLAG(trig_delete_before_statement, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_DELETE);
		AP_FLAG(trig_delete_after_statement, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_DELETE);
		AP_FLAG(trig_truncate_before_statement, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_TRUNCATE);
		AP_FLAG(trig_truncate_after_statement, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_TRUNCATE);
#undef AP_FLAG
		td->trig_insert_new_table |= TRIGGER_FOR_INSERT(t) && newt;
		td->trig_update_old_table |= TRIGGER_FOR_UPDATE(t) && oldt;
		td->trig_update_new_table |= TRIGGER_FOR_UPDATE(t) && newt;
		td->trig_delete_old_table |= TRIGGER_FOR_DELETE(t) && oldt;
	}
	/* the per-trigger caches are indexed by position in the array */
	rri->ri_TrigFunctions = palloc0(sizeof(FmgrInfo) * Max(n, 1));
	rri->ri_TrigWhenExprs = palloc0(sizeof(ExprState *) * Max(n, 1));
	rri->ri_TrigInstrument = NULL;
	if (n == 0)
		rri->ri_TrigDesc = NULL;
}

/* Per attribute: the caller's column, or -1 and its default expression. */
static void
MapColumns(ApBulk *b, const char *const *columns, int ncols)
{
	TupleDesc	td = RelationGetDescr(b->rel);

	b->col = palloc(sizeof(int) * td->natts);
	b->defexprs = palloc0(sizeof(ExprState *) * td->natts);
	for (int j = 0; j < td->natts; j++)
	{
		Form_pg_attribute att = TupleDescAttr(td, j);

		b->col[j] = -1;
		if (att->attisdropped)
			continue;
		for (int c = 0; c < ncols; c++)
			if (strcmp(NameStr(att->attname), columns[c]) == 0)
				b->col[j] = c;
		if (b->col[j] < 0)
		{
			Node	   *def = build_column_default(b->rel, j + 1);

			if (def != NULL)
				b->defexprs[j] = ExecInitExpr(expression_planner((Expr *) def), NULL);
		}
	}
}

/* Closes what ApBulkBegin opened, having inserted nothing. */
static void
CloseExecutor(ApBulk *b)
{
	ExecCloseResultRelations(b->estate);
	ExecCloseRangeTableRelations(b->estate);
	FreeExecutorState(b->estate);
}

ApBulk *
ApBulkBegin(const char *schema, const char *table, const char *const *columns, int ncols,
			const bool *constant, const Datum *value, AclMode need)
{
	ApBulk	   *b = palloc0(sizeof(ApBulk));
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	List	   *checks;
	ListCell   *lc;

	b->rel = table_openrv(makeRangeVar(pstrdup(schema), pstrdup(table), -1), RowExclusiveLock);
	if (!TableAllows(b->rel, need) || !TriggersAllow(b->rel, columns, ncols, constant, &checks))
	{
		table_close(b->rel, NoLock);
		return NULL;
	}
	b->estate = CreateExecutorState();
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(b->rel);
	rte->relkind = b->rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_INSERT;
	ExecInitRangeTable(b->estate, list_make1(rte));
	b->rri = makeNode(ResultRelInfo);
	ExecInitResultRelation(b->estate, b->rri, 1);
	CheckValidResultRel(b->rri, CMD_INSERT);
	ExecOpenIndices(b->rri, false);
	/* a deferred uniqueness check would need the rows' recheck events */
	for (int i = 0; i < b->rri->ri_NumIndices; i++)
		if (!b->rri->ri_IndexRelationDescs[i]->rd_index->indimmediate)
		{
			CloseExecutor(b);
			table_close(b->rel, NoLock);
			return NULL;
		}
	foreach(lc, checks)
		CheckKey(b->rel, lfirst(lc), value[((KeyCheck *) lfirst(lc))->c]);
	DropKeyTriggers(b->rri);
	MapColumns(b, columns, ncols);
	b->slots = palloc(sizeof(TupleTableSlot *) * AP_BULK_BATCH);
	/* the relation's descriptor would be pinned and unpinned in the resource owner per slot */
	b->slotdesc = CreateTupleDescCopy(RelationGetDescr(b->rel));
	b->estate->es_output_cid = b->cid = GetCurrentCommandId(true);
	b->bistate = GetBulkInsertState();
	AfterTriggerBeginQuery();
	ExecBSInsertTriggers(b->estate, b->rri);
	b->tcs = MakeTransitionCaptureState(b->rri->ri_TrigDesc, RelationGetRelid(b->rel), CMD_INSERT);
	return b;
}

/* Inserts the filled slots, then their index entries and AFTER ROW events. */
static void
Flush(ApBulk *b)
{
	if (b->k == 0)
		return;
	table_multi_insert(b->rel, b->slots, b->k, b->cid, 0, b->bistate);
	for (int i = 0; i < b->k; i++)
	{
		List	   *recheck = ExecInsertIndexTuples(b->rri, b->slots[i], b->estate,
													false, false, NULL, NIL);

		ExecARInsertTriggers(b->estate, b->rri, b->slots[i], recheck, b->tcs);
		list_free(recheck);
		ExecClearTuple(b->slots[i]);
	}
	b->count += b->k;
	b->k = 0;
	ResetPerTupleExprContext(b->estate);
	CHECK_FOR_INTERRUPTS();
}

void
ApBulkAdd(ApBulk *b, const Datum *values)
{
	TupleTableSlot *slot;
	TupleDesc	td = RelationGetDescr(b->rel);
	ExprContext *econtext = GetPerTupleExprContext(b->estate);

	if (b->k == b->nslots)
		b->slots[b->nslots++] = MakeSingleTupleTableSlot(b->slotdesc, table_slot_callbacks(b->rel));
	slot = b->slots[b->k];
	ExecClearTuple(slot);
	for (int j = 0; j < td->natts; j++)
	{
		slot->tts_isnull[j] = b->col[j] < 0;
		slot->tts_values[j] = b->col[j] < 0 ? (Datum) 0 : values[b->col[j]];
		if (b->defexprs[j] != NULL)
			slot->tts_values[j] = ExecEvalExpr(b->defexprs[j], econtext, &slot->tts_isnull[j]);
	}
	ExecStoreVirtualTuple(slot);
	if (td->constr)
		ExecConstraints(b->rri, slot, b->estate);
	if (++b->k == AP_BULK_BATCH)
		Flush(b);
}

int64
ApBulkEnd(ApBulk *b)
{
	int64		count;

	Flush(b);
	FreeBulkInsertState(b->bistate);
	table_finish_bulk_insert(b->rel, 0);
	ExecASInsertTriggers(b->estate, b->rri, b->tcs);
	AfterTriggerEndQuery(b->estate);
	for (int i = 0; i < b->nslots; i++)
		ExecDropSingleTupleTableSlot(b->slots[i]);
	CloseExecutor(b);
	table_close(b->rel, NoLock);
	count = b->count;
	pfree(b);
	/* as after an SPI insert: the rest of the statement sees the rows */
	CommandCounterIncrement();
	return count;
}
