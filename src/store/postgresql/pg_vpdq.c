/* The frames of vPDQ signals in PostgreSQL (vpdq_bank.h; the rules of sqlite_vpdq.c): the
 * signal row holds the identity of the frame list (SHA-256 of its canonical text), its frames
 * are rows of vpdq_frames in list order (id), deleted with it. A new signal's frames go in with
 * one INSERT ... SELECT FROM unnest(arrays) (one round trip for the whole list); a signal that
 * is already there keeps its frames (the identity is the list). */
#include "store/postgresql/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childguard/pdq.h"
#include "common/alloc.h"
#include "common/error.h"
#include "common/hex.h"

/* The frames as four array literals: frame numbers, qualities, hashes (hex), timestamps. */
static cg_status insert_frames(cg_bankdb *db, int64_t signal_id, const cg_vpdq_frame *frames,
                               size_t n, cg_error *err)
{
    const size_t cap = n * (CG_PDQ_HEX_LEN + 64) + 16;
    char *nums = cg__malloc(cap), *qual = cg__malloc(cap), *hash = cg__malloc(cap),
         *ts = cg__malloc(cap);
    size_t ln = 0, lq = 0, lh = 0, lt = 0;
    cg__pg_params p = {0};
    char what[64];
    cg_status r;

    if (nums == NULL || qual == NULL || hash == NULL || ts == NULL) {
        r = cg__fail(err, CG_E_NOMEM, "%s: out of memory storing vpdq frames", db->path);
        goto out;
    }
    ln = (size_t)snprintf(nums, cap, "{");
    lq = (size_t)snprintf(qual, cap, "{");
    lh = (size_t)snprintf(hash, cap, "{");
    lt = (size_t)snprintf(ts, cap, "{");
    for (size_t i = 0; i < n; i++) {
        char hex[CG_PDQ_HEX_LEN + 1];
        const char *sep = i + 1 < n ? "," : "}";

        cg_pdq_to_hex(&frames[i].hash, hex);
        ln += (size_t)snprintf(nums + ln, cap - ln, "%llu%s",
                               (unsigned long long)frames[i].frame_number, sep);
        lq += (size_t)snprintf(qual + lq, cap - lq, "%d%s", frames[i].quality, sep);
        lh += (size_t)snprintf(hash + lh, cap - lh, "%s%s", hex, sep);
        lt += (size_t)snprintf(ts + lt, cap - lt, "%.9g%s", (double)frames[i].timestamp, sep);
    }
    cg__pg_param_int(&p, signal_id);
    cg__pg_param_text(&p, nums);
    cg__pg_param_text(&p, qual);
    cg__pg_param_text(&p, hash);
    cg__pg_param_text(&p, ts);
    snprintf(what, sizeof(what), "signal %lld: storing vpdq frames", (long long)signal_id);
    r = cg__pg_query(db,
                     "INSERT INTO vpdq_frames(signal_id, frame, quality, hash, timestamp)"
                     " SELECT $1::bigint, f, q, decode(h, 'hex'), t FROM unnest($2::bigint[],"
                     " $3::integer[], $4::text[], $5::double precision[]) WITH ORDINALITY"
                     " AS u(f, q, h, t, o) ORDER BY o",
                     &p, what, NULL, err);
out:
    cg__free(nums);
    cg__free(qual);
    cg__free(hash);
    cg__free(ts);
    return r;
}

cg_status cg__pg_vpdq_add_in_tx(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                                size_t n, int64_t now, int *merged, int *filled, cg_error *err)
{
    cg_status r;

    *merged = 0;
    *filled = 0;
    r = cg__vpdq_signal_from_frames(db, s, frames, n, err);
    if (r != CG_OK)
        return r;
    r = cg__pg_signal_add_in_tx(db, s, now, merged, filled, err);
    if (r != CG_OK || *merged)
        return r;
    return insert_frames(db, s->id, frames, n, err);
}

cg_status cg__pg_vpdq_put(cg_bankdb *db, cg_bank_signal *s, const cg_vpdq_frame *frames,
                          size_t n, int64_t now, int *merged, int *filled, cg_error *err)
{
    return cg__pg_vpdq_add_in_tx(db, s, frames, n, now, merged, filled, err);
}

cg_status cg__pg_vpdq_frames(cg_bankdb *db, int64_t signal_id,
                             int (*fn)(const cg_vpdq_frame *frame, void *ud), void *ud,
                             cg_error *err)
{
    cg__pg_params p = {0};
    PGresult *res = NULL;
    cg_bank_signal sig;
    char what[64];
    cg_status r;

    if (fn == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bank_vpdq_frames: NULL argument");
    r = cg__pg_signal_get(db, signal_id, &sig, err);
    if (r != CG_OK)
        return r;
    cg__pg_param_int(&p, signal_id);
    snprintf(what, sizeof(what), "signal %lld: reading vpdq frames", (long long)signal_id);
    r = cg__pg_query(db,
                     "SELECT frame, quality, encode(hash, 'hex'), timestamp FROM vpdq_frames"
                     " WHERE signal_id = $1::bigint ORDER BY id",
                     &p, what, &res, err);
    if (r != CG_OK)
        return r;
    for (int i = 0; i < PQntuples(res); i++) {
        cg_vpdq_frame f;

        memset(&f, 0, sizeof(f));
        if (PQgetlength(res, i, 2) != CG_PDQ_HEX_LEN ||
            cg_pdq_from_hex(PQgetvalue(res, i, 2), CG_PDQ_HEX_LEN, &f.hash) != CG_OK) {
            r = cg__fail(err, CG_E_DECODE, "%s: signal %lld: a vpdq frame hash is not 32 bytes",
                         db->path, (long long)signal_id);
            break;
        }
        f.frame_number = (uint64_t)cg__pg_int(res, i, 0);
        f.quality = (int)cg__pg_int(res, i, 1);
        f.timestamp = (float)strtod(PQgetvalue(res, i, 3), NULL);
        if (fn(&f, ud) != 0)
            break;
    }
    PQclear(res);
    return r;
}
