/* The ops a backend leaves NULL in its table (not implemented yet) answer through here:
 * cg_bankdb_open (store.c) uses a copy of the table in which each NULL op is the stub below,
 * which fails with CG_E_UNSUPPORTED naming the feature, the op and the backend, e.g.
 * "postgresql://u@h/db: the review queue (review_insert) is not supported by the postgresql
 * store yet". So a caller never calls NULL, whatever it does. One stub per op of store_ops.h
 * (but open and close, which every backend has, and the optional data_version, watch,
 * replica_state and import_merged_late, which callers test for NULL): a new op needs its stub
 * here too. */
#include "store/store_int.h"

#include <string.h>

#include "common/error.h"

/* What a group of ops is, for the message. */
static const char *feature(const char *op)
{
    static const struct {
        const char *prefix, *what;
    } groups[] = {
        {"review_", "the review queue"},     {"apikey_", "API keys"},
        {"outbox_", "the webhook outbox"},   {"job_", "the job ledger"},
        {"state_", "the engine's saved state"}, {"vpdq_", "vPDQ signals"},
        {"bank_", "banks"},                  {"signal_", "signals"},
        {"import_", "imports"},              {"change", "the change log"},
        {"prune_", "the change log"},
    };

    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        if (strncmp(op, groups[i].prefix, strlen(groups[i].prefix)) == 0)
            return groups[i].what;
    }
    return "transactions";
}

static cg_status unsupported(cg_bankdb *db, const char *op, cg_error *err)
{
    return cg__fail(err, CG_E_UNSUPPORTED, "%s: %s (%s) is not supported by the %s store yet",
                    db->path, feature(op), op, db->ops->name);
}

static cg_status unsupported_snapshot_begin(cg_bankdb *db, const char *what, cg_error *err)
{
    (void)what;
    return unsupported(db, "snapshot_begin", err);
}

static cg_status unsupported_snapshot_end(cg_bankdb *db, const char *what, cg_error *err)
{
    (void)what;
    return unsupported(db, "snapshot_end", err);
}

static cg_status unsupported_begin_write(cg_bankdb *db, const char *what, cg_error *err)
{
    (void)what;
    return unsupported(db, "begin_write", err);
}

static cg_status unsupported_commit(cg_bankdb *db, const char *what, cg_error *err)
{
    (void)what;
    return unsupported(db, "commit", err);
}

static void unsupported_rollback(cg_bankdb *db)
{
    (void)db;
}

static cg_status unsupported_bank_insert(cg_bankdb *db, cg_bank *bank, const char *thresholds,
                                         int64_t now, cg_error *err)
{
    (void)bank;
    (void)thresholds;
    (void)now;
    return unsupported(db, "bank_insert", err);
}

static cg_status unsupported_bank_get(cg_bankdb *db, const char *name, cg_bank *out, cg_error *err)
{
    (void)name;
    (void)out;
    return unsupported(db, "bank_get", err);
}

static cg_status unsupported_bank_get_by_id(cg_bankdb *db, int64_t id, cg_bank *out, cg_error *err)
{
    (void)id;
    (void)out;
    return unsupported(db, "bank_get_by_id", err);
}

static cg_status unsupported_bank_update_row(cg_bankdb *db, const cg_bank *bank,
                                             const char *thresholds, const char *name,
                                             cg_error *err)
{
    (void)bank;
    (void)thresholds;
    (void)name;
    return unsupported(db, "bank_update_row", err);
}

static cg_status unsupported_bank_delete_facts(cg_bankdb *db, const char *name, int64_t *id,
                                               int64_t *count, cg_error *err)
{
    (void)name;
    (void)id;
    (void)count;
    return unsupported(db, "bank_delete_facts", err);
}

static cg_status unsupported_bank_delete_row(cg_bankdb *db, const char *name, cg_error *err)
{
    (void)name;
    return unsupported(db, "bank_delete_row", err);
}

static cg_status unsupported_bank_list(cg_bankdb *db, int (*fn)(const cg_bank *bank, void *ud),
                                       void *ud, cg_error *err)
{
    (void)fn;
    (void)ud;
    return unsupported(db, "bank_list", err);
}

static cg_status unsupported_signal_put(cg_bankdb *db, cg_bank_signal *s, int64_t now, int *merged,
                                        int *filled, cg_error *err)
{
    (void)s;
    (void)now;
    (void)merged;
    (void)filled;
    return unsupported(db, "signal_put", err);
}

static cg_status unsupported_signal_get(cg_bankdb *db, int64_t id, cg_bank_signal *out,
                                        cg_error *err)
{
    (void)id;
    (void)out;
    return unsupported(db, "signal_get", err);
}

static cg_status unsupported_signal_find(cg_bankdb *db, int64_t bank_id, const cg_signal_type *type,
                                         const uint8_t *value, cg_bank_signal *out, cg_error *err)
{
    (void)bank_id;
    (void)type;
    (void)value;
    (void)out;
    return unsupported(db, "signal_find", err);
}

static cg_status unsupported_signal_describe(cg_bankdb *db, int64_t id, cg__signal_facts *out,
                                             cg_error *err)
{
    (void)id;
    (void)out;
    return unsupported(db, "signal_describe", err);
}

static cg_status unsupported_signal_set_disabled_row(cg_bankdb *db, int64_t id, int64_t until,
                                                     cg_error *err)
{
    (void)id;
    (void)until;
    return unsupported(db, "signal_set_disabled_row", err);
}

static cg_status unsupported_signal_delete_row(cg_bankdb *db, int64_t id, cg_error *err)
{
    (void)id;
    return unsupported(db, "signal_delete_row", err);
}

static cg_status unsupported_signal_foreach(cg_bankdb *db, int64_t bank_id,
                                            const cg_signal_type *type,
                                            int (*fn)(const cg_bank_signal *s, void *ud), void *ud,
                                            cg_error *err)
{
    (void)bank_id;
    (void)type;
    (void)fn;
    (void)ud;
    return unsupported(db, "signal_foreach", err);
}

static cg_status unsupported_signal_count(cg_bankdb *db, int64_t bank_id,
                                          const cg_signal_type *type, int64_t *out, cg_error *err)
{
    (void)bank_id;
    (void)type;
    (void)out;
    return unsupported(db, "signal_count", err);
}

static cg_status unsupported_import_begin(cg_bankdb *db, int64_t bank_id, cg_bank *bank,
                                          cg_error *err)
{
    (void)bank_id;
    (void)bank;
    return unsupported(db, "import_begin", err);
}

static cg_status unsupported_import_put(cg_bankdb *db, cg_bank_signal *s,
                                        const cg_vpdq_frame *frames, size_t n, int64_t now,
                                        int *merged, cg_error *err)
{
    (void)s;
    (void)frames;
    (void)n;
    (void)now;
    (void)merged;
    return unsupported(db, "import_put", err);
}

static cg_status unsupported_import_bulk(cg_bankdb *db, int64_t bank_id, cg_error *err)
{
    (void)bank_id;
    return unsupported(db, "import_bulk", err);
}

static cg_status unsupported_import_end(cg_bankdb *db, int commit, cg_error *err)
{
    (void)commit;
    return unsupported(db, "import_end", err);
}

static cg_status unsupported_vpdq_put(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                                      size_t n, int64_t now, int *merged, int *filled,
                                      cg_error *err)
{
    (void)s;
    (void)frames;
    (void)n;
    (void)now;
    (void)merged;
    (void)filled;
    return unsupported(db, "vpdq_put", err);
}

static cg_status unsupported_vpdq_frames(cg_bankdb *db, int64_t signal_id,
                                         int (*fn)(const cg_vpdq_frame *frame, void *ud), void *ud,
                                         cg_error *err)
{
    (void)signal_id;
    (void)fn;
    (void)ud;
    return unsupported(db, "vpdq_frames", err);
}

static cg_status unsupported_change_seq(cg_bankdb *db, int64_t *out, cg_error *err)
{
    (void)out;
    return unsupported(db, "change_seq", err);
}

static cg_status unsupported_changes_since(cg_bankdb *db, int64_t seq,
                                           int (*fn)(int64_t seq, cg_change_kind kind, int64_t id, void *ud),
                                           void *ud, cg_error *err)
{
    (void)seq;
    (void)fn;
    (void)ud;
    return unsupported(db, "changes_since", err);
}

static cg_status unsupported_prune_changes(cg_bankdb *db, int64_t keep_seconds, cg_error *err)
{
    (void)keep_seconds;
    return unsupported(db, "prune_changes", err);
}

static cg_status unsupported_review_insert(cg_bankdb *db, cg_review_item *item, const char *tenant,
                                           const char *verdict_json, const uint8_t *preview,
                                           size_t preview_len, int64_t now, cg_error *err)
{
    (void)item;
    (void)tenant;
    (void)verdict_json;
    (void)preview;
    (void)preview_len;
    (void)now;
    return unsupported(db, "review_insert", err);
}

static cg_status unsupported_review_find_open(cg_bankdb *db, const char *tenant,
                                              const char *content_id, int64_t *id, cg_error *err)
{
    (void)tenant;
    (void)content_id;
    (void)id;
    return unsupported(db, "review_find_open", err);
}

static cg_status unsupported_review_refresh_row(cg_bankdb *db, int64_t id,
                                                const cg_review_item *item,
                                                const char *verdict_json, cg_error *err)
{
    (void)id;
    (void)item;
    (void)verdict_json;
    return unsupported(db, "review_refresh_row", err);
}

static cg_status unsupported_review_get(cg_bankdb *db, int64_t id, cg_review_item *out,
                                        char **verdict_json, cg_error *err)
{
    (void)id;
    (void)out;
    (void)verdict_json;
    return unsupported(db, "review_get", err);
}

static cg_status unsupported_review_preview_get(cg_bankdb *db, int64_t id, uint8_t **data,
                                                size_t *len, cg_error *err)
{
    (void)id;
    (void)data;
    (void)len;
    return unsupported(db, "review_preview_get", err);
}

static cg_status unsupported_review_list(cg_bankdb *db, const cg_review_filter *filter,
                                         int (*fn)(const cg_review_item *item, void *ud), void *ud,
                                         cg_error *err)
{
    (void)filter;
    (void)fn;
    (void)ud;
    return unsupported(db, "review_list", err);
}

static cg_status unsupported_review_counts(cg_bankdb *db, int64_t out[CG_REVIEW_STATE_COUNT],
                                           cg_error *err)
{
    (void)out;
    return unsupported(db, "review_counts", err);
}

static cg_status unsupported_review_state(cg_bankdb *db, int64_t id, cg_review_state *state,
                                          char *reviewer, cg_error *err)
{
    (void)id;
    (void)state;
    (void)reviewer;
    return unsupported(db, "review_state", err);
}

static cg_status unsupported_review_next_pending(cg_bankdb *db, int64_t *id, cg_error *err)
{
    (void)id;
    return unsupported(db, "review_next_pending", err);
}

static cg_status unsupported_review_claim_row(cg_bankdb *db, int64_t id, const char *reviewer,
                                              int64_t now, cg_error *err)
{
    (void)id;
    (void)reviewer;
    (void)now;
    return unsupported(db, "review_claim_row", err);
}

static cg_status unsupported_review_release_row(cg_bankdb *db, int64_t id, cg_error *err)
{
    (void)id;
    return unsupported(db, "review_release_row", err);
}

static cg_status unsupported_review_propose_row(cg_bankdb *db, int64_t id,
                                                const cg_review_decision *d, int64_t now,
                                                cg_error *err)
{
    (void)id;
    (void)d;
    (void)now;
    return unsupported(db, "review_propose_row", err);
}

static cg_status unsupported_review_decide_row(cg_bankdb *db, int64_t id,
                                               const cg_review_decision *d, const char *bank,
                                               int64_t added, int confirms, int64_t now,
                                               cg_error *err)
{
    (void)id;
    (void)d;
    (void)bank;
    (void)added;
    (void)confirms;
    (void)now;
    return unsupported(db, "review_decide_row", err);
}

static cg_status unsupported_apikey_get(cg_bankdb *db, int64_t id, cg_key *out,
                                        uint8_t hash[CG__APIKEY_HASH_BYTES], int *found,
                                        cg_error *err)
{
    (void)id;
    (void)out;
    (void)hash;
    (void)found;
    return unsupported(db, "apikey_get", err);
}

static cg_status unsupported_apikey_find_live(cg_bankdb *db, int64_t id, const char *name,
                                              cg_key *out, int *found, cg_error *err)
{
    (void)id;
    (void)name;
    (void)out;
    (void)found;
    return unsupported(db, "apikey_find_live", err);
}

static cg_status unsupported_apikey_insert(cg_bankdb *db, const cg_key *k,
                                           const uint8_t hash[CG__APIKEY_HASH_BYTES], int64_t now,
                                           int64_t *id, cg_error *err)
{
    (void)k;
    (void)hash;
    (void)now;
    (void)id;
    return unsupported(db, "apikey_insert", err);
}

static cg_status unsupported_apikey_touch(cg_bankdb *db, int64_t id, int64_t now, int *done,
                                          cg_error *err)
{
    (void)id;
    (void)now;
    (void)done;
    return unsupported(db, "apikey_touch", err);
}

static cg_status unsupported_apikey_revoke_row(cg_bankdb *db, int64_t id, int64_t now,
                                               cg_error *err)
{
    (void)id;
    (void)now;
    return unsupported(db, "apikey_revoke_row", err);
}

static cg_status unsupported_apikey_generation(cg_bankdb *db, int64_t *out, cg_error *err)
{
    (void)out;
    return unsupported(db, "apikey_generation", err);
}

static cg_status unsupported_apikey_list(cg_bankdb *db, int (*fn)(const cg_key *key, void *ud),
                                         void *ud, cg_error *err)
{
    (void)fn;
    (void)ud;
    return unsupported(db, "apikey_list", err);
}

static cg_status unsupported_state_put(cg_bankdb *db, const char *tenant, const uint8_t *data,
                                       size_t len, int64_t now, cg_error *err)
{
    (void)tenant;
    (void)data;
    (void)len;
    (void)now;
    return unsupported(db, "state_put", err);
}

static cg_status unsupported_state_get(cg_bankdb *db, const char *tenant, uint8_t **data,
                                       size_t *len, int64_t *saved, int *found, cg_error *err)
{
    (void)tenant;
    (void)data;
    (void)len;
    (void)saved;
    (void)found;
    return unsupported(db, "state_get", err);
}

static cg_status unsupported_outbox_pending(cg_bankdb *db, const char *tenant, int64_t *n,
                                            cg_error *err)
{
    (void)tenant;
    (void)n;
    return unsupported(db, "outbox_pending", err);
}

static cg_status unsupported_outbox_insert(cg_bankdb *db, const char *tenant, const char *target,
                                           const char *payload_json, int64_t now, int64_t *id,
                                           cg_error *err)
{
    (void)tenant;
    (void)target;
    (void)payload_json;
    (void)now;
    (void)id;
    return unsupported(db, "outbox_insert", err);
}

static cg_status unsupported_outbox_due(cg_bankdb *db, int64_t now, int limit,
                                        int (*fn)(const cg_outbox_entry *entry, void *ud), void *ud,
                                        cg_error *err)
{
    (void)now;
    (void)limit;
    (void)fn;
    (void)ud;
    return unsupported(db, "outbox_due", err);
}

static cg_status unsupported_outbox_mark_delivered(cg_bankdb *db, int64_t id, cg_error *err)
{
    (void)id;
    return unsupported(db, "outbox_mark_delivered", err);
}

static cg_status unsupported_outbox_mark_retry(cg_bankdb *db, int64_t id, const char *error_text,
                                               int64_t next_attempt, cg_error *err)
{
    (void)id;
    (void)error_text;
    (void)next_attempt;
    return unsupported(db, "outbox_mark_retry", err);
}

static cg_status unsupported_outbox_mark_failed(cg_bankdb *db, int64_t id, const char *error_text,
                                                cg_error *err)
{
    (void)id;
    (void)error_text;
    return unsupported(db, "outbox_mark_failed", err);
}

static cg_status unsupported_outbox_counts(cg_bankdb *db, int64_t *pending, int64_t *delivered,
                                           int64_t *failed, cg_error *err)
{
    (void)pending;
    (void)delivered;
    (void)failed;
    return unsupported(db, "outbox_counts", err);
}

static cg_status unsupported_outbox_prune(cg_bankdb *db, int64_t before, int64_t *removed,
                                          cg_error *err)
{
    (void)before;
    (void)removed;
    return unsupported(db, "outbox_prune", err);
}

static cg_status unsupported_job_queue(cg_bankdb *db, const char *tenant, const char *id,
                                       int64_t now, int *created, cg_error *err)
{
    (void)tenant;
    (void)id;
    (void)now;
    (void)created;
    return unsupported(db, "job_queue", err);
}

static cg_status unsupported_job_get(cg_bankdb *db, const char *tenant, const char *id, cg_job *out,
                                     cg_error *err)
{
    (void)tenant;
    (void)id;
    (void)out;
    return unsupported(db, "job_get", err);
}

static cg_status unsupported_job_done(cg_bankdb *db, const char *tenant, const char *id,
                                      const char *verdict_json, int64_t review_id, int64_t now,
                                      cg_error *err)
{
    (void)tenant;
    (void)id;
    (void)verdict_json;
    (void)review_id;
    (void)now;
    return unsupported(db, "job_done", err);
}

static cg_status unsupported_job_fail(cg_bankdb *db, const char *tenant, const char *id,
                                      const char *reason, int64_t now, cg_error *err)
{
    (void)tenant;
    (void)id;
    (void)reason;
    (void)now;
    return unsupported(db, "job_fail", err);
}

static cg_status unsupported_job_counts(cg_bankdb *db, const char *tenant, int64_t counts[3],
                                        cg_error *err)
{
    (void)tenant;
    (void)counts;
    return unsupported(db, "job_counts", err);
}

int cg__store_ops_fill(const cg__store_ops *in, cg__store_ops *out)
{
    int filled = 0;

    *out = *in;
#define FILL(op)                                                                                 \
    do {                                                                                         \
        if (out->op == NULL) {                                                                   \
            out->op = unsupported_##op;                                                          \
            filled = 1;                                                                          \
        }                                                                                        \
    } while (0)
    FILL(snapshot_begin);
    FILL(snapshot_end);
    FILL(begin_write);
    FILL(commit);
    FILL(rollback);
    FILL(bank_insert);
    FILL(bank_get);
    FILL(bank_get_by_id);
    FILL(bank_update_row);
    FILL(bank_delete_facts);
    FILL(bank_delete_row);
    FILL(bank_list);
    FILL(signal_put);
    FILL(signal_get);
    FILL(signal_find);
    FILL(signal_describe);
    FILL(signal_set_disabled_row);
    FILL(signal_delete_row);
    FILL(signal_foreach);
    FILL(signal_count);
    FILL(import_begin);
    FILL(import_put);
    FILL(import_bulk);
    FILL(import_end);
    FILL(vpdq_put);
    FILL(vpdq_frames);
    FILL(change_seq);
    FILL(changes_since);
    FILL(prune_changes);
    FILL(review_insert);
    FILL(review_find_open);
    FILL(review_refresh_row);
    FILL(review_get);
    FILL(review_preview_get);
    FILL(review_list);
    FILL(review_counts);
    FILL(review_state);
    FILL(review_next_pending);
    FILL(review_claim_row);
    FILL(review_release_row);
    FILL(review_propose_row);
    FILL(review_decide_row);
    FILL(apikey_get);
    FILL(apikey_find_live);
    FILL(apikey_insert);
    FILL(apikey_touch);
    FILL(apikey_revoke_row);
    FILL(apikey_generation);
    FILL(apikey_list);
    FILL(state_put);
    FILL(state_get);
    FILL(outbox_pending);
    FILL(outbox_insert);
    FILL(outbox_due);
    FILL(outbox_mark_delivered);
    FILL(outbox_mark_retry);
    FILL(outbox_mark_failed);
    FILL(outbox_counts);
    FILL(outbox_prune);
    FILL(job_queue);
    FILL(job_get);
    FILL(job_done);
    FILL(job_fail);
    FILL(job_counts);
#undef FILL
    return filled;
}
