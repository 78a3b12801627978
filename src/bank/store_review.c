/* The human review queue (include/childguard/review.h, docs/review.md): items in the bank
 * database beside the banks, so a decision and the bank additions it makes are one transaction.
 *
 * Tables (store.c, schema step 2): review_items holds one row per item with every field of
 * cg_review_item, the verdict JSON and the optional preview; review_signals holds the item's
 * signals in order. No content bytes are stored: the verdict is hashes, matches and spans, and
 * the preview (quarantine only) is the blurred greyscale image cg_review_preview made.
 *
 * State changes (claim, release, decide) read the item and write it inside one BEGIN IMMEDIATE
 * transaction: the write lock is taken before the read, so two processes claiming the same item
 * are serialised and the second sees the first's claim (CG_E_BUSY).
 *
 * Audit records follow the rule of the bank's own records (store_audit.c): the record is built
 * before the commit (so running out of memory rolls the change back) and appended after it, so
 * the log never claims a change that did not land; if the append fails after the commit, the
 * caller gets CG_E_IO saying the change "committed but not audited". The bank additions of a
 * decision are named in the decision's own record (bank, bank_signals), not in separate
 * bank_change records. */
#include "bank/store_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bank/store_audit.h"
#include "childguard/review.h"
#include "childguard/tenant.h"
#include "common/alloc.h"
#include "common/error.h"

/* The largest verdict JSON accepted (bytes): a verdict is hashes, matches and spans, never
 * content, so this is generous. */
#define REVIEW_VERDICT_MAX (1u << 20)
/* The largest preview accepted: a PGM of 1024 x 1024 (cg_review_preview's largest) plus its
 * header. */
#define REVIEW_PREVIEW_MAX (1024u * 1024u + 64u)

#define ITEM_COLUMNS                                                                             \
    "id, content_id, kind, label, priority, reason, state, reviewer, note, created, claimed_at," \
    " decided_at, bank_signal_count, bank, preview IS NOT NULL, tenant, proposed_state,"       \
    " proposed_by, proposed_bank, proposed_at, confirmed_by"
/* The column after ITEM_COLUMNS in item_load's query. */
#define ITEM_VERDICT_COLUMN 21
/* The label whose allow-listing needs two reviewers. */
#define TWO_REVIEWER_LABEL "csam"

static const char *const state_names[CG_REVIEW_STATE_COUNT] = {
    "pending", "claimed", "confirmed", "false_positive", "escalated",
};

const char *cg_review_state_name(cg_review_state s)
{
    if ((unsigned)s >= CG_REVIEW_STATE_COUNT)
        return "unknown";
    return state_names[s];
}

int cg_review_state_from_name(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < CG_REVIEW_STATE_COUNT; i++)
        if (strcmp(name, state_names[i]) == 0)
            return i;
    return -1;
}

cg_status cg_review_set_actor(cg_bankdb *db, const char *actor, unsigned rights, cg_error *err)
{
    size_t n;

    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_set_actor: db is NULL");
    if (actor == NULL)
        actor = "";
    n = strnlen(actor, sizeof(db->review_actor));
    if (n >= sizeof(db->review_actor) || !cg__utf8_valid(actor, n))
        return cg__fail(err, CG_E_INVAL, "%s: review actor longer than %zu bytes or not UTF-8",
                        db->path, sizeof(db->review_actor) - 1);
    memcpy(db->review_actor, actor, n + 1);
    db->review_rights = rights;
    db->review_rights_set = 1;
    return CG_OK;
}

/* ---- validation --------------------------------------------------------------------------- */

/* A reviewer name: 1..CG_REVIEW_NAME_MAX bytes of UTF-8 without control characters. */
static int reviewer_valid(const char *s)
{
    size_t n;

    if (s == NULL)
        return 0;
    n = strnlen(s, CG_REVIEW_NAME_MAX + 1);
    if (n == 0 || n > CG_REVIEW_NAME_MAX || !cg__utf8_valid(s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* A content kind: 1..CG_REVIEW_NAME_MAX of [a-z0-9_-]. */
static int kind_valid(const char *s, size_t cap)
{
    const char *end = memchr(s, '\0', cap);

    if (end == NULL || end == s)
        return 0;
    for (; s < end; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* Checks what cg_review_add stores; returns NULL when valid, else a static reason. */
static const char *item_invalid(const cg_review_item *it)
{
    const long cid = cg__bank_text_check(it->content_id, sizeof(it->content_id));

    if (cid <= 0)
        return cid == 0 ? "content_id is empty"
                        : "content_id longer than 127 bytes or not UTF-8";
    for (long i = 0; i < cid; i++)
        if ((unsigned char)it->content_id[i] < 0x20)
            return "content_id holds a control character";
    if (!kind_valid(it->kind, sizeof(it->kind)))
        return "kind must be 1-63 characters of [a-z0-9_-] (image, file, message, video)";
    if (cg__bank_text_check(it->label, sizeof(it->label)) < 0)
        return "label longer than 64 bytes or not UTF-8";
    if (it->priority < 0 || it->priority > 3)
        return "priority out of range (0 normal .. 3 urgent)";
    if (cg__bank_text_check(it->reason, sizeof(it->reason)) < 0)
        return "reason longer than 1023 bytes or not UTF-8";
    if (it->n_signals > CG_REVIEW_MAX_SIGNALS)
        return "more than 16 signals";
    for (size_t i = 0; i < it->n_signals; i++) {
        const cg_review_signal *s = &it->signals[i];

        if (s->type == NULL || s->type->name == NULL ||
            cg_signal_type_find(s->type->name) != s->type)
            return "a signal has an unknown signal type";
        if (s->quality < -1 || s->quality > 100)
            return "a signal's quality is out of range (-1..100)";
    }
    return NULL;
}

/* Checks the verdict: a JSON object of at most REVIEW_VERDICT_MAX bytes. */
static cg_status verdict_check(cg_bankdb *db, const char *json, cg_error *err)
{
    const size_t n = strnlen(json, REVIEW_VERDICT_MAX + 1);
    json_error_t jerr;
    json_t *v;
    int obj;

    if (n > REVIEW_VERDICT_MAX)
        return cg__fail(err, CG_E_LIMIT, "%s: review item: verdict JSON longer than %u bytes",
                        db->path, REVIEW_VERDICT_MAX);
    v = json_loadb(json, n, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: review item: verdict is not JSON: %s (column %d)",
                        db->path, jerr.text, jerr.column);
    obj = json_is_object(v);
    json_decref(v);
    if (!obj)
        return cg__fail(err, CG_E_INVAL, "%s: review item: verdict JSON is not an object",
                        db->path);
    return CG_OK;
}

/* ---- audit -------------------------------------------------------------------------------- */

/* Appends one "review" record for item id after its change committed; data is stolen (NULL:
 * no change, no record). A failure is CG_E_IO naming the committed change. */
static cg_status audit_record(cg_bankdb *db, cg_audit *audit, const char *actor, int64_t id,
                              json_t *data, cg_error *err)
{
    char subject[32], what[48];

    snprintf(subject, sizeof(subject), "review:%lld", (long long)id);
    snprintf(what, sizeof(what), "review item %lld", (long long)id);
    return cg__store_audit_committed(db, audit, "review", actor, subject, what, data, err);
}

/* The record of a change, built before the commit: NULL from json_pack (out of memory, or text
 * that is not UTF-8) fails the change instead of losing its record. */
static cg_status audit_data(cg_bankdb *db, cg_audit *audit, int64_t id, json_t *data,
                            json_t **out, cg_error *err)
{
    *out = NULL;
    if (audit == NULL) {
        json_decref(data);
        return CG_OK;
    }
    if (data == NULL)
        return cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory (audit record)",
                        db->path, (long long)id);
    *out = data;
    return CG_OK;
}

/* Ends a state change: commit and then append its record on success; rollback otherwise. */
static cg_status finish(cg_bankdb *db, cg_status s, const char *what, cg_audit *audit,
                        const char *actor, int64_t id, json_t *rec, cg_error *err)
{
    /* A handle that names its own actor (the HTTP service: the API key) records the change
     * under it, and the reviewer whose decision it is in the record. */
    if (s == CG_OK && rec != NULL && db->review_actor[0] != '\0') {
        if (json_object_set_new(rec, "reviewer", json_string(actor)) != 0)
            s = cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory (audit record)",
                         db->path, (long long)id);
        actor = db->review_actor;
    }
    if (s == CG_OK)
        s = cg__bankdb_commit(db, what, err); /* rolls back itself when it fails */
    else
        cg__bankdb_rollback(db);
    if (s != CG_OK) {
        json_decref(rec);
        return s;
    }
    return audit_record(db, audit, actor, id, rec, err);
}

/* ---- reading items ------------------------------------------------------------------------ */

/* Fills out from a row of ITEM_COLUMNS (signals are read separately). */
static cg_status item_from_row(cg_bankdb *db, sqlite3_stmt *st, cg_review_item *out,
                               cg_error *err)
{
    const char *state = (const char *)sqlite3_column_text(st, 6);
    int s;

    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    if (cg__bankdb_column_text(st, 1, out->content_id, sizeof(out->content_id)) < 0 ||
        cg__bankdb_column_text(st, 2, out->kind, sizeof(out->kind)) < 0 ||
        cg__bankdb_column_text(st, 3, out->label, sizeof(out->label)) < 0 ||
        cg__bankdb_column_text(st, 5, out->reason, sizeof(out->reason)) < 0 ||
        cg__bankdb_column_text(st, 7, out->reviewer, sizeof(out->reviewer)) < 0 ||
        cg__bankdb_column_text(st, 8, out->note, sizeof(out->note)) < 0 ||
        cg__bankdb_column_text(st, 13, out->bank, sizeof(out->bank)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: review item %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    out->priority = sqlite3_column_int(st, 4);
    s = cg_review_state_from_name(state);
    if (s < 0)
        return cg__fail(err, CG_E_DECODE, "%s: review item %lld: unknown state \"%s\"", db->path,
                        (long long)out->id, state != NULL ? state : "");
    out->state = (cg_review_state)s;
    out->created = sqlite3_column_int64(st, 9);
    out->claimed_at = sqlite3_column_int64(st, 10);
    out->decided_at = sqlite3_column_int64(st, 11);
    out->bank_signal_count = sqlite3_column_int64(st, 12);
    out->has_preview = sqlite3_column_int(st, 14);
    if (cg__bankdb_column_text(st, 15, out->tenant, sizeof(out->tenant)) < 0 ||
        cg__bankdb_column_text(st, 17, out->proposed_by, sizeof(out->proposed_by)) < 0 ||
        cg__bankdb_column_text(st, 18, out->proposed_bank, sizeof(out->proposed_bank)) < 0 ||
        cg__bankdb_column_text(st, 20, out->confirmed_by, sizeof(out->confirmed_by)) < 0)
        return cg__fail(err, CG_E_DECODE, "%s: review item %lld: a stored field exceeds its limit",
                        db->path, (long long)out->id);
    if (out->proposed_by[0] != '\0') {
        const char *ps = (const char *)sqlite3_column_text(st, 16);

        s = cg_review_state_from_name(ps);
        if (s < 0)
            return cg__fail(err, CG_E_DECODE, "%s: review item %lld: unknown proposed state",
                            db->path, (long long)out->id);
        out->proposed_state = (cg_review_state)s;
        out->proposed_at = sqlite3_column_int64(st, 19);
    }
    return CG_OK;
}

/* Reads the signals of out->id with sig (SELECT signal_type, value, quality ... WHERE item_id =
 * ?1 ORDER BY seq), which is reset afterwards. */
static cg_status item_signals(cg_bankdb *db, sqlite3_stmt *sig, cg_review_item *out,
                              cg_error *err)
{
    cg_status s = CG_OK;
    int rc;

    out->n_signals = 0;
    sqlite3_bind_int64(sig, 1, out->id);
    while ((rc = sqlite3_step(sig)) == SQLITE_ROW) {
        const char *tname = (const char *)sqlite3_column_text(sig, 0);
        const void *blob = sqlite3_column_blob(sig, 1);
        const size_t n = (size_t)sqlite3_column_bytes(sig, 1);
        cg_review_signal *rs;

        if (out->n_signals == CG_REVIEW_MAX_SIGNALS) {
            s = cg__fail(err, CG_E_DECODE, "%s: review item %lld: more than %d signals stored",
                         db->path, (long long)out->id, CG_REVIEW_MAX_SIGNALS);
            break;
        }
        rs = &out->signals[out->n_signals];
        rs->type = cg_signal_type_find(tname);
        if (rs->type == NULL) {
            s = cg__fail(err, CG_E_UNSUPPORTED,
                         "%s: review item %lld: unknown signal type \"%s\"", db->path,
                         (long long)out->id, tname != NULL ? tname : "");
            break;
        }
        if (blob == NULL || n != rs->type->bytes) {
            s = cg__fail(err, CG_E_DECODE,
                         "%s: review item %lld: %s value of %zu bytes (expected %zu)", db->path,
                         (long long)out->id, rs->type->name, n, rs->type->bytes);
            break;
        }
        memcpy(rs->value, blob, n);
        rs->quality = sqlite3_column_int(sig, 2);
        out->n_signals++;
    }
    if (s == CG_OK && rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "reading the signals of review item %lld",
                            (long long)out->id);
    sqlite3_reset(sig);
    return s;
}

static const char SIGNALS_SQL[] =
    "SELECT signal_type, value, quality FROM review_signals WHERE item_id = ?1 ORDER BY seq";

/* Reads item id (with its signals) into out; CG_E_NOTFOUND when absent. verdict (may be NULL)
 * receives a copy of the verdict JSON. */
static cg_status item_load(cg_bankdb *db, int64_t id, cg_review_item *out, char **verdict,
                           cg_error *err)
{
    sqlite3_stmt *st = NULL, *sig = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "SELECT " ITEM_COLUMNS ", verdict_json FROM review_items"
                           " WHERE id = ?1 AND tenant = ?2",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no review item %lld", db->path, (long long)id);
    } else if (rc != SQLITE_ROW) {
        s = cg__bankdb_fail(db, err, rc, "reading review item %lld", (long long)id);
    } else {
        s = item_from_row(db, st, out, err);
        if (s == CG_OK && verdict != NULL) {
            const char *v = (const char *)sqlite3_column_text(st, ITEM_VERDICT_COLUMN);

            *verdict = cg__strdup(v != NULL ? v : "{}");
            if (*verdict == NULL)
                s = cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory", db->path,
                             (long long)id);
        }
    }
    sqlite3_finalize(st);
    if (s == CG_OK)
        s = cg__bankdb_prepare(db, SIGNALS_SQL, &sig, err);
    if (s == CG_OK)
        s = item_signals(db, sig, out, err);
    sqlite3_finalize(sig);
    if (s != CG_OK && verdict != NULL) {
        cg__free(*verdict);
        *verdict = NULL;
    }
    return s;
}

/* ---- public: adding and reading ----------------------------------------------------------- */

/* What adding and refreshing both check first: arguments, a writable handle, a valid item and
 * verdict. fn names the caller in the NULL-argument message. */
static cg_status check_new_item(cg_bankdb *db, const cg_review_item *item, const char *verdict,
                                const char *fn, cg_error *err)
{
    const char *why;
    cg_status s;

    if (db == NULL || item == NULL)
        return cg__fail(err, CG_E_INVAL, "%s: NULL argument", fn);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    why = item_invalid(item);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: review item \"%.*s\": %s", db->path,
                        CG_REVIEW_ID_MAX, item->content_id, why);
    if (memchr(item->tenant, '\0', sizeof(item->tenant)) == NULL ||
        (item->tenant[0] != '\0' && !cg_tenant_valid(item->tenant)))
        return cg__fail(err, CG_E_INVAL, "%s: review item \"%.*s\": invalid tenant", db->path,
                        CG_REVIEW_ID_MAX, item->content_id);
    return verdict_check(db, verdict, err);
}

/* The tenant an item is added or refreshed for: its own, else the handle's. */
static const char *item_tenant(const cg_bankdb *db, const cg_review_item *item)
{
    return item->tenant[0] != '\0' ? item->tenant : cg_bankdb_tenant(db);
}

/* Inserts the item row and its signals inside the caller's transaction. */
static cg_status item_insert(cg_bankdb *db, cg_review_item *item, const char *verdict,
                             const uint8_t *preview, size_t preview_len, int64_t now,
                             cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "INSERT INTO review_items(content_id, kind, label, priority, reason,"
                           " state, created, verdict_json, preview, tenant)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8, ?9)",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, item->content_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, item->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, item->label, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, item->priority);
    sqlite3_bind_text(st, 5, item->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    sqlite3_bind_text(st, 7, verdict, -1, SQLITE_STATIC);
    if (preview != NULL)
        sqlite3_bind_blob(st, 8, preview, (int)preview_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 8);
    sqlite3_bind_text(st, 9, item_tenant(db, item), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "adding review item for \"%s\"", item->content_id);
    else
        item->id = sqlite3_last_insert_rowid(db->db);
    sqlite3_finalize(st);
    if (s != CG_OK || item->n_signals == 0)
        return s;

    s = cg__bankdb_prepare(db,
                           "INSERT INTO review_signals(item_id, seq, signal_type, value, quality)"
                           " VALUES (?1, ?2, ?3, ?4, ?5)",
                           &st, err);
    if (s != CG_OK)
        return s;
    for (size_t i = 0; i < item->n_signals && s == CG_OK; i++) {
        const cg_review_signal *sg = &item->signals[i];

        sqlite3_bind_int64(st, 1, item->id);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_text(st, 3, sg->type->name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, sg->value, (int)sg->type->bytes, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, sg->quality);
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = cg__bankdb_fail(db, err, rc, "review item %lld: adding signal %zu",
                                (long long)item->id, i);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg_review_add(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                        const uint8_t *preview, size_t preview_len, cg_audit *audit,
                        cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    const char *verdict = verdict_json != NULL ? verdict_json : "{}";
    json_t *rec = NULL;
    cg_status s;

    s = check_new_item(db, item, verdict, "cg_review_add", err);
    if (s != CG_OK)
        return s;
    if ((preview == NULL) != (preview_len == 0))
        return cg__fail(err, CG_E_INVAL, "%s: review item \"%s\": preview and its length disagree",
                        db->path, item->content_id);
    if (preview_len > REVIEW_PREVIEW_MAX)
        return cg__fail(err, CG_E_LIMIT,
                        "%s: review item \"%s\": preview of %zu bytes (at most %u)", db->path,
                        item->content_id, preview_len, REVIEW_PREVIEW_MAX);
    if (preview != NULL && (preview_len < 3 || memcmp(preview, "P5", 2) != 0))
        return cg__fail(err, CG_E_INVAL,
                        "%s: review item \"%s\": preview is not a PGM made by cg_review_preview",
                        db->path, item->content_id);

    s = cg__bankdb_begin_write(db, "adding a review item", err);
    if (s != CG_OK)
        return s;
    s = item_insert(db, item, verdict, preview, preview_len, now, err);
    if (s == CG_OK)
        s = audit_data(db, audit, item->id,
                       json_pack("{s:s,s:I,s:s,s:s,s:s,s:i,s:I,s:b,s:s}", "action", "add",
                                 "item", (json_int_t)item->id, "content_id", item->content_id,
                                 "kind", item->kind, "label", item->label, "priority",
                                 item->priority, "signals", (json_int_t)item->n_signals,
                                 "preview", preview != NULL, "tenant", item_tenant(db, item)),
                       &rec, err);
    if (s != CG_OK) {
        cg__bankdb_rollback(db);
        item->id = 0;
        return s;
    }
    s = cg__bankdb_commit(db, "adding a review item", err);
    if (s != CG_OK) {
        json_decref(rec);
        item->id = 0;
        return s;
    }
    item->state = CG_REVIEW_PENDING;
    item->created = now;
    item->claimed_at = item->decided_at = 0;
    item->reviewer[0] = item->note[0] = item->bank[0] = '\0';
    item->bank_signal_count = 0;
    item->has_preview = preview != NULL;
    snprintf(item->tenant, sizeof(item->tenant), "%s", item_tenant(db, item));
    /* Committed: the item exists (its id stands) even if its record cannot be appended. */
    return audit_record(db, audit, "childguard", item->id, rec, err);
}

/* The newest open (pending or claimed) item for content_id inside the caller's transaction;
 * *id = 0 when there is none. */
static cg_status find_open(cg_bankdb *db, const char *tenant, const char *content_id, int64_t *id,
                           cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    *id = 0;
    s = cg__bankdb_prepare(db,
                           "SELECT id FROM review_items WHERE tenant = ?2 AND content_id = ?1"
                           " AND state IN ('pending', 'claimed') ORDER BY id DESC LIMIT 1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, content_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, tenant, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "looking up review items of \"%s\"", content_id);
    sqlite3_finalize(st);
    return s;
}

cg_status cg_review_refresh(cg_bankdb *db, cg_review_item *item, const char *verdict_json,
                            cg_audit *audit, cg_error *err)
{
    const char *verdict = verdict_json != NULL ? verdict_json : "{}";
    sqlite3_stmt *st = NULL;
    json_t *rec = NULL;
    int64_t id = 0;
    cg_status s;
    int rc;

    s = check_new_item(db, item, verdict, "cg_review_refresh", err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_begin_write(db, "refreshing a review item", err);
    if (s != CG_OK)
        return s;
    s = find_open(db, item_tenant(db, item), item->content_id, &id, err);
    if (s == CG_OK && id == 0)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no open review item for \"%s\"", db->path,
                     item->content_id);
    if (s == CG_OK)
        s = cg__bankdb_prepare(db,
                               "UPDATE review_items SET label = ?1, reason = ?2,"
                               " priority = max(priority, ?3), verdict_json = ?4 WHERE id = ?5",
                               &st, err);
    if (s == CG_OK) {
        sqlite3_bind_text(st, 1, item->label, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, item->reason, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, item->priority);
        sqlite3_bind_text(st, 4, verdict, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, id);
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            s = cg__bankdb_fail(db, err, rc, "refreshing review item %lld", (long long)id);
        sqlite3_finalize(st);
    }
    if (s == CG_OK)
        s = audit_data(db, audit, id,
                       json_pack("{s:s,s:I,s:s,s:s,s:i}", "action", "refresh", "item",
                                 (json_int_t)id, "content_id", item->content_id, "label",
                                 item->label, "priority", item->priority),
                       &rec, err);
    if (s == CG_OK)
        item->id = id;
    return finish(db, s, "refreshing a review item", audit, "childguard", id, rec, err);
}

cg_status cg_review_get(cg_bankdb *db, int64_t id, cg_review_item *out, char **verdict_json,
                        cg_error *err)
{
    if (verdict_json != NULL)
        *verdict_json = NULL;
    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_get: out is NULL");
    memset(out, 0, sizeof(*out));
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_get: db is NULL");
    return item_load(db, id, out, verdict_json, err);
}

cg_status cg_review_preview_get(cg_bankdb *db, int64_t id, uint8_t **data, size_t *len,
                                cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (data == NULL || len == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_preview_get: NULL argument");
    *data = NULL;
    *len = 0;
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_preview_get: db is NULL");
    s = cg__bankdb_prepare(db, "SELECT preview FROM review_items WHERE id = ?1 AND tenant = ?2",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no review item %lld", db->path, (long long)id);
    } else if (rc != SQLITE_ROW) {
        s = cg__bankdb_fail(db, err, rc, "reading the preview of review item %lld",
                            (long long)id);
    } else if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: review item %lld has no preview", db->path,
                     (long long)id);
    } else {
        const void *b = sqlite3_column_blob(st, 0);
        const size_t n = (size_t)sqlite3_column_bytes(st, 0);

        *data = cg__malloc(n > 0 ? n : 1);
        if (*data == NULL) {
            s = cg__fail(err, CG_E_NOMEM, "%s: review item %lld: out of memory (preview)",
                         db->path, (long long)id);
        } else {
            if (n > 0)
                memcpy(*data, b, n);
            *len = n;
        }
    }
    sqlite3_finalize(st);
    return s;
}

cg_status cg_review_list(cg_bankdb *db, const cg_review_filter *filter,
                         int (*fn)(const cg_review_item *item, void *ud), void *ud, cg_error *err)
{
    char sql[512];
    sqlite3_stmt *st = NULL, *sig = NULL;
    cg_review_item item;
    cg_status s;
    int rc, w;

    if (db == NULL || fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_list: NULL argument");
    if (filter != NULL && (filter->state < -1 || filter->state >= CG_REVIEW_STATE_COUNT))
        return cg__fail(err, CG_E_INVAL, "%s: review list: state %d out of range", db->path,
                        filter->state);
    /* Only fixed text goes into the SQL; values are bound. With a state the queue index serves
     * both the filter and the order. */
    w = snprintf(sql, sizeof(sql),
                 "SELECT " ITEM_COLUMNS " FROM review_items WHERE tenant = ?5%s%s%s"
                 " ORDER BY priority DESC, created, id LIMIT ?4",
                 filter != NULL && filter->state >= 0 ? " AND state = ?1" : "",
                 filter != NULL && filter->label != NULL ? " AND label = ?2" : "",
                 filter != NULL && filter->reviewer != NULL ? " AND reviewer = ?3" : "");
    if (w < 0 || (size_t)w >= sizeof(sql))
        return cg__fail(err, CG_E_INVAL, "%s: review list: query too long", db->path);
    s = cg__bankdb_prepare(db, sql, &st, err);
    if (s == CG_OK)
        s = cg__bankdb_prepare(db, SIGNALS_SQL, &sig, err);
    if (s != CG_OK) {
        sqlite3_finalize(st);
        return s;
    }
    if (filter != NULL && filter->state >= 0)
        sqlite3_bind_text(st, 1, state_names[filter->state], -1, SQLITE_STATIC);
    if (filter != NULL && filter->label != NULL)
        sqlite3_bind_text(st, 2, filter->label, -1, SQLITE_STATIC);
    if (filter != NULL && filter->reviewer != NULL)
        sqlite3_bind_text(st, 3, filter->reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4,
                       filter != NULL && filter->limit > 0 && filter->limit <= INT64_MAX
                           ? (int64_t)filter->limit
                           : -1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        s = item_from_row(db, st, &item, err);
        if (s == CG_OK)
            s = item_signals(db, sig, &item, err);
        if (s != CG_OK || fn(&item, ud) != 0)
            break;
    }
    if (s == CG_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "listing review items");
    sqlite3_finalize(sig);
    sqlite3_finalize(st);
    return s;
}

cg_status cg_review_counts(cg_bankdb *db, int64_t out[CG_REVIEW_STATE_COUNT], cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    if (out == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_counts: out is NULL");
    memset(out, 0, sizeof(int64_t) * CG_REVIEW_STATE_COUNT);
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_counts: db is NULL");
    s = cg__bankdb_prepare(db,
                           "SELECT state, count(*) FROM review_items WHERE tenant = ?1"
                           " GROUP BY state",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const int k = cg_review_state_from_name((const char *)sqlite3_column_text(st, 0));

        if (k < 0) {
            s = cg__fail(err, CG_E_DECODE, "%s: review items in an unknown state \"%s\"",
                         db->path, (const char *)sqlite3_column_text(st, 0));
            break;
        }
        out[k] = sqlite3_column_int64(st, 1);
    }
    if (s == CG_OK && rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "counting review items");
    sqlite3_finalize(st);
    if (s != CG_OK)
        memset(out, 0, sizeof(int64_t) * CG_REVIEW_STATE_COUNT);
    return s;
}

/* ---- public: claim, release, decide ------------------------------------------------------- */

/* The state and reviewer of item id, read inside the caller's transaction. */
static cg_status item_state(cg_bankdb *db, int64_t id, cg_review_state *state, char *reviewer,
                            cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc, k;

    s = cg__bankdb_prepare(db,
                           "SELECT state, reviewer FROM review_items WHERE id = ?1 AND tenant = ?2",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no review item %lld", db->path, (long long)id);
    } else if (rc != SQLITE_ROW) {
        s = cg__bankdb_fail(db, err, rc, "reading review item %lld", (long long)id);
    } else {
        k = cg_review_state_from_name((const char *)sqlite3_column_text(st, 0));
        if (k < 0 || cg__bankdb_column_text(st, 1, reviewer, CG_REVIEW_NAME_MAX + 1) < 0)
            s = cg__fail(err, CG_E_DECODE, "%s: review item %lld: bad stored state or reviewer",
                         db->path, (long long)id);
        else
            *state = (cg_review_state)k;
    }
    sqlite3_finalize(st);
    return s;
}

/* The next pending item by priority then age, inside the caller's transaction. */
static cg_status next_pending(cg_bankdb *db, int64_t *id, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;
    int rc;

    s = cg__bankdb_prepare(db,
                           "SELECT id FROM review_items WHERE tenant = ?1 AND state = 'pending'"
                           " ORDER BY priority DESC, created, id LIMIT 1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_text(st, 1, cg_bankdb_tenant(db), -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: no pending review item", db->path);
    else
        s = cg__bankdb_fail(db, err, rc, "finding the next pending review item");
    sqlite3_finalize(st);
    return s;
}

/* Runs a one-row UPDATE of item id with text/int bindings prepared by the caller. */
static cg_status update_step(cg_bankdb *db, sqlite3_stmt *st, int64_t id, const char *what,
                             cg_error *err)
{
    const int rc = sqlite3_step(st);
    cg_status s = CG_OK;

    if (rc != SQLITE_DONE)
        s = cg__bankdb_fail(db, err, rc, "review item %lld: %s", (long long)id, what);
    else if (sqlite3_changes(db->db) != 1)
        s = cg__fail(err, CG_E_NOTFOUND, "%s: review item %lld vanished while %s", db->path,
                     (long long)id, what);
    sqlite3_finalize(st);
    return s;
}

static cg_status claim_locked(cg_bankdb *db, int64_t id, const char *reviewer, int64_t now,
                              cg_audit *audit, json_t **rec, cg_error *err)
{
    char holder[CG_REVIEW_NAME_MAX + 1];
    cg_review_state state = CG_REVIEW_PENDING;
    sqlite3_stmt *st = NULL;
    cg_status s;

    s = item_state(db, id, &state, holder, err);
    if (s != CG_OK)
        return s;
    if (state == CG_REVIEW_CLAIMED && strcmp(holder, reviewer) == 0)
        return CG_OK; /* claiming one's own item again */
    if (state == CG_REVIEW_CLAIMED)
        return cg__fail(err, CG_E_BUSY, "%s: review item %lld is claimed by %s", db->path,
                        (long long)id, holder);
    if (state == CG_REVIEW_ESCALATED)
        return cg__fail(err, CG_E_INVAL,
                        "%s: review item %lld is escalated: a senior reviewer decides it "
                        "without claiming",
                        db->path, (long long)id);
    if (state != CG_REVIEW_PENDING)
        return cg__fail(err, CG_E_INVAL, "%s: review item %lld is already decided (%s by %s)",
                        db->path, (long long)id, state_names[state], holder);
    s = cg__bankdb_prepare(db,
                           "UPDATE review_items SET state = 'claimed', reviewer = ?2,"
                           " claimed_at = ?3 WHERE id = ?1 AND state = 'pending'",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    s = update_step(db, st, id, "claiming", err);
    if (s == CG_OK)
        s = audit_data(db, audit, id,
                       json_pack("{s:s,s:I}", "action", "claim", "item", (json_int_t)id), rec,
                       err);
    return s;
}

cg_status cg_review_claim(cg_bankdb *db, int64_t id, const char *reviewer, int64_t *claimed_id,
                          cg_audit *audit, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    json_t *rec = NULL;
    cg_status s;

    if (claimed_id != NULL)
        *claimed_id = 0;
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_claim: db is NULL");
    if (!reviewer_valid(reviewer))
        return cg__fail(err, CG_E_INVAL,
                        "%s: review claim: reviewer must be 1-63 bytes of UTF-8 text", db->path);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_begin_write(db, "claiming a review item", err);
    if (s != CG_OK)
        return s;
    if (id < 0)
        s = next_pending(db, &id, err);
    if (s == CG_OK)
        s = claim_locked(db, id, reviewer, now, audit, &rec, err);
    s = finish(db, s, "claiming a review item", audit, reviewer, id, rec, err);
    if (s == CG_OK && claimed_id != NULL)
        *claimed_id = id;
    return s;
}

cg_status cg_review_release(cg_bankdb *db, int64_t id, const char *reviewer, cg_audit *audit,
                            cg_error *err)
{
    char holder[CG_REVIEW_NAME_MAX + 1];
    cg_review_state state = CG_REVIEW_PENDING;
    sqlite3_stmt *st = NULL;
    json_t *rec = NULL;
    cg_status s;

    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_release: db is NULL");
    if (!reviewer_valid(reviewer))
        return cg__fail(err, CG_E_INVAL,
                        "%s: review release: reviewer must be 1-63 bytes of UTF-8 text",
                        db->path);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_begin_write(db, "releasing a review item", err);
    if (s != CG_OK)
        return s;
    s = item_state(db, id, &state, holder, err);
    if (s == CG_OK && state != CG_REVIEW_CLAIMED)
        s = cg__fail(err, CG_E_INVAL, "%s: review item %lld is not claimed (%s)", db->path,
                     (long long)id, state_names[state]);
    else if (s == CG_OK && strcmp(holder, reviewer) != 0)
        s = cg__fail(err, CG_E_BUSY, "%s: review item %lld is claimed by %s, not %s", db->path,
                     (long long)id, holder, reviewer);
    if (s == CG_OK)
        s = cg__bankdb_prepare(db,
                               "UPDATE review_items SET state = 'pending', reviewer = '',"
                               " claimed_at = 0 WHERE id = ?1 AND state = 'claimed'",
                               &st, err);
    if (s == CG_OK) {
        sqlite3_bind_int64(st, 1, id);
        s = update_step(db, st, id, "releasing", err);
    }
    if (s == CG_OK)
        s = audit_data(db, audit, id,
                       json_pack("{s:s,s:I}", "action", "release", "item", (json_int_t)id), &rec,
                       err);
    return finish(db, s, "releasing a review item", audit, reviewer, id, rec, err);
}

/* Checks a decision's fields; returns NULL when valid, else a static reason. */
static const char *decision_invalid(const cg_review_decision *d)
{
    if (d->state != CG_REVIEW_CONFIRMED && d->state != CG_REVIEW_FALSE_POSITIVE &&
        d->state != CG_REVIEW_ESCALATED)
        return "the decision must be confirmed, false_positive or escalated";
    if (!reviewer_valid(d->reviewer))
        return "reviewer must be 1-63 bytes of UTF-8 text";
    if (d->note != NULL &&
        (strnlen(d->note, CG_REVIEW_TEXT_MAX + 1) > CG_REVIEW_TEXT_MAX ||
         !cg__utf8_valid(d->note, strlen(d->note))))
        return "note longer than 1023 bytes or not UTF-8";
    if (d->bank != NULL && d->state == CG_REVIEW_ESCALATED)
        return "an escalation feeds no bank (decide it later with a bank)";
    if (d->bank != NULL && !cg__bank_name_valid(d->bank))
        return "invalid bank name";
    return NULL;
}

/* Adds item's signals to bank (inside the caller's transaction); *added counts the new ones.
 * PDQ hashes below the bank's minimum quality are left out and counted in *out. */
static cg_status feed_bank(cg_bankdb *db, const cg_review_item *item, const cg_bank *bank,
                           const char *note, int64_t now, int64_t *added, cg_review_outcome *out,
                           cg_error *err)
{
    const int min_q = cg_bank_pdq_min_quality(bank);
    cg_bank_signal bs;
    cg_status s = CG_OK;
    int merged, low_q = -1;

    *added = 0;
    out->min_quality = min_q;
    for (size_t i = 0; i < item->n_signals && s == CG_OK; i++) {
        if (strcmp(item->signals[i].type->name, "pdq") == 0 && item->signals[i].quality >= 0 &&
            item->signals[i].quality < min_q) {
            out->skipped_low_quality++;
            low_q = item->signals[i].quality;
            continue;
        }
        memset(&bs, 0, sizeof(bs));
        bs.bank_id = bank->id;
        bs.type = item->signals[i].type;
        memcpy(bs.value, item->signals[i].value, bs.type->bytes);
        bs.quality = item->signals[i].quality;
        snprintf(bs.source, sizeof(bs.source), "review");
        snprintf(bs.external_id, sizeof(bs.external_id), "review:%lld", (long long)item->id);
        snprintf(bs.note, sizeof(bs.note), "%s", note != NULL ? note : "");
        s = cg__bank_signal_add_in_tx(db, &bs, now, &merged, err);
        if (s == CG_OK && !merged)
            (*added)++;
    }
    if (out->skipped_low_quality > 0)
        snprintf(out->note, sizeof(out->note),
                 "the PDQ hash (quality %d, below bank \"%s\"'s minimum %d) was not added: "
                 "such hashes match unrelated images; the exact hashes were",
                 low_q, bank->name, min_q);
    out->added = *added;
    return s;
}

int cg_review_needs_two(const cg_review_item *item, const char *verdict_json)
{
    json_t *v, *matches, *m;
    size_t i;
    int hit = 0;

    if (item == NULL)
        return 0;
    if (strcmp(item->label, TWO_REVIEWER_LABEL) == 0)
        return 1;
    if (verdict_json == NULL)
        return 0;
    v = json_loads(verdict_json, 0, NULL);
    matches = json_object_get(v, "matches");
    json_array_foreach(matches, i, m) {
        const char *label = json_string_value(json_object_get(m, "label"));
        const char *kind = json_string_value(json_object_get(m, "kind"));

        if (label != NULL && kind != NULL && strcmp(kind, "block") == 0 &&
            strcmp(label, TWO_REVIEWER_LABEL) == 0)
            hit = 1;
    }
    json_decref(v);
    return hit;
}

/* Records d as a proposal awaiting a second reviewer: the item goes back to pending (an
 * escalated one stays escalated, so that a senior reviewer confirms it). */
static cg_status propose_locked(cg_bankdb *db, const cg_review_item *item,
                                const cg_review_decision *d, int64_t now, cg_audit *audit,
                                json_t **rec, cg_error *err)
{
    sqlite3_stmt *st = NULL;
    cg_status s;

    s = cg__bankdb_prepare(db,
                           "UPDATE review_items SET"
                           " state = CASE state WHEN 'escalated' THEN state ELSE 'pending' END,"
                           " reviewer = CASE state WHEN 'escalated' THEN reviewer ELSE '' END,"
                           " claimed_at = 0, proposed_state = ?2, proposed_by = ?3,"
                           " proposed_bank = ?4, proposed_note = ?5, proposed_at = ?6"
                           " WHERE id = ?1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, item->id);
    sqlite3_bind_text(st, 2, state_names[d->state], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->bank, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, d->note != NULL ? d->note : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    s = update_step(db, st, item->id, "recording a proposal", err);
    if (s == CG_OK)
        s = audit_data(db, audit, item->id,
                       json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "action", "propose", "item",
                                 (json_int_t)item->id, "content_id", item->content_id, "from",
                                 state_names[item->state], "state", state_names[d->state],
                                 "bank", d->bank, "note", d->note != NULL ? d->note : ""),
                       rec, err);
    return s;
}

static cg_status decide_locked(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                               int64_t now, cg_audit *audit, json_t **rec,
                               cg_review_outcome *out, cg_error *err)
{
    cg_review_item item;
    cg_review_outcome outcome;
    cg_bank bank;
    sqlite3_stmt *st = NULL;
    char *verdict = NULL;
    int64_t added = 0;
    int needs_two, confirms = 0;
    cg_status s;

    memset(&outcome, 0, sizeof(outcome));
    s = item_load(db, id, &item, &verdict, err);
    if (s != CG_OK)
        return s;
    needs_two = d->state == CG_REVIEW_FALSE_POSITIVE && d->bank != NULL &&
                cg_review_needs_two(&item, verdict);
    cg__free(verdict);
    if (item.state == CG_REVIEW_CLAIMED && strcmp(item.reviewer, d->reviewer) != 0)
        return cg__fail(err, CG_E_BUSY, "%s: review item %lld is claimed by %s", db->path,
                        (long long)id, item.reviewer);
    if (item.state == CG_REVIEW_CONFIRMED || item.state == CG_REVIEW_FALSE_POSITIVE)
        return cg__fail(err, CG_E_INVAL, "%s: review item %lld is already decided (%s by %s)",
                        db->path, (long long)id, state_names[item.state], item.reviewer);
    if (item.state == CG_REVIEW_ESCALATED && db->review_rights_set &&
        !(db->review_rights & CG_REVIEW_RIGHT_SENIOR))
        return cg__fail(err, CG_E_BUSY,
                        "%s: review item %lld is escalated: only a senior reviewer decides it",
                        db->path, (long long)id);
    if (needs_two) {
        /* The same decision proposed by someone else confirms it; by oneself, it waits. */
        const int same = item.proposed_by[0] != '\0' &&
                         item.proposed_state == CG_REVIEW_FALSE_POSITIVE &&
                         strcmp(item.proposed_bank, d->bank) == 0;

        if (same && strcmp(item.proposed_by, d->reviewer) == 0)
            return cg__fail(err, CG_E_BUSY,
                            "%s: review item %lld: allow-listing content of a csam match needs a "
                            "second reviewer to confirm it (proposed by %s)",
                            db->path, (long long)id, item.proposed_by);
        if (!same) {
            memset(&bank, 0, sizeof(bank));
            s = cg_bank_get(db, d->bank, &bank, err);
            if (s != CG_OK)
                return s;
            if (bank.kind != CG_BANK_ALLOW)
                return cg__fail(err, CG_E_INVAL,
                                "%s: review item %lld: bank \"%s\" is a block bank; a "
                                "false_positive decision feeds an allow bank",
                                db->path, (long long)id, bank.name);
            return propose_locked(db, &item, d, now, audit, rec, err);
        }
        confirms = 1;
    }
    memset(&bank, 0, sizeof(bank));
    if (d->bank != NULL) {
        const cg_bank_kind want = d->state == CG_REVIEW_CONFIRMED ? CG_BANK_BLOCK : CG_BANK_ALLOW;

        s = cg_bank_get(db, d->bank, &bank, err);
        if (s != CG_OK)
            return s;
        if (bank.kind != want)
            return cg__fail(err, CG_E_INVAL,
                            "%s: review item %lld: bank \"%s\" is %s; a %s decision feeds %s",
                            db->path, (long long)id, bank.name,
                            bank.kind == CG_BANK_BLOCK ? "a block bank" : "an allow bank",
                            state_names[d->state],
                            want == CG_BANK_BLOCK ? "a block bank" : "an allow bank");
        s = feed_bank(db, &item, &bank, d->note, now, &added, &outcome, err);
        if (s != CG_OK)
            return s;
    }
    /* A decision clears any proposal it does not confirm (the proposal stays named in the
     * audit log); a confirmation keeps the proposer and names the second reviewer. */
    s = cg__bankdb_prepare(db,
                           "UPDATE review_items SET state = ?2, reviewer = ?3, note = ?4,"
                           " decided_at = ?5, bank = ?6, bank_signal_count = ?7,"
                           " confirmed_by = ?8,"
                           " proposed_state = CASE WHEN ?9 THEN proposed_state ELSE '' END,"
                           " proposed_by = CASE WHEN ?9 THEN proposed_by ELSE '' END,"
                           " proposed_bank = CASE WHEN ?9 THEN proposed_bank ELSE '' END,"
                           " proposed_note = CASE WHEN ?9 THEN proposed_note ELSE '' END,"
                           " proposed_at = CASE WHEN ?9 THEN proposed_at ELSE 0 END"
                           " WHERE id = ?1",
                           &st, err);
    if (s != CG_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, state_names[d->state], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->note != NULL ? d->note : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_text(st, 6, bank.name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, added);
    sqlite3_bind_text(st, 8, confirms ? d->reviewer : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, confirms);
    s = update_step(db, st, id, "deciding", err);
    if (s == CG_OK) {
        json_t *data = json_pack("{s:s,s:I,s:s,s:s,s:s,s:I,s:I,s:s,s:s}", "action", "decide",
                                 "item", (json_int_t)id, "content_id", item.content_id, "from",
                                 state_names[item.state], "state", state_names[d->state],
                                 "bank_signals", (json_int_t)added, "skipped_low_quality",
                                 (json_int_t)outcome.skipped_low_quality, "bank", bank.name,
                                 "note", d->note != NULL ? d->note : "");

        if (data != NULL && item.proposed_by[0] != '\0' &&
            json_object_set_new(data, confirms ? "proposed_by" : "replaces_proposal_by",
                                json_string(item.proposed_by)) != 0) {
            json_decref(data);
            data = NULL;
        }
        s = audit_data(db, audit, id, data, rec, err);
    }
    if (s == CG_OK && out != NULL)
        *out = outcome;
    return s;
}

cg_status cg_review_decide(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                           cg_audit *audit, cg_error *err)
{
    return cg_review_decide_outcome(db, id, d, audit, NULL, err);
}

cg_status cg_review_decide_outcome(cg_bankdb *db, int64_t id, const cg_review_decision *d,
                                   cg_audit *audit, cg_review_outcome *outcome, cg_error *err)
{
    const int64_t now = (int64_t)time(NULL);
    json_t *rec = NULL;
    const char *why;
    cg_status s;

    if (db == NULL || d == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_review_decide: NULL argument");
    why = decision_invalid(d);
    if (why != NULL)
        return cg__fail(err, CG_E_INVAL, "%s: review item %lld: %s", db->path, (long long)id,
                        why);
    s = cg__bankdb_check_writable(db, err);
    if (s != CG_OK)
        return s;
    s = cg__bankdb_begin_write(db, "deciding a review item", err);
    if (s != CG_OK)
        return s;
    if (outcome != NULL)
        memset(outcome, 0, sizeof(*outcome));
    s = decide_locked(db, id, d, now, audit, &rec, outcome, err);
    return finish(db, s, "deciding a review item", audit, d->reviewer, id, rec, err);
}
