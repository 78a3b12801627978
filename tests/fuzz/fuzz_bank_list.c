/* libFuzzer target for the hash-list reader and writer (src/store/list.h). The first byte picks
 * the options (format, default type, a small max_line so overlong lines and resynchronisation
 * are reached); the rest is the file, read through fmemopen to its end. Traps unless:
 *   - the reader ends (no record without progress: at most one record per input byte, plus
 *     the typed columns of a row);
 *   - every good record has a known type, and its text fields are NUL-terminated, within the
 *     limits of bank.h and (for note, external_id, source) valid UTF-8 that jansson accepts;
 *   - quality is -1 or 0..100 and disabled_until >= 0; every rejection has a reason;
 *   - a good record written by the writer (CSV, TSV or JSONL, by the same selector) reads back
 *     to the same signal;
 *   - a fatal status is INVAL (not a hash list) and comes with a message. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/list.h"
#include "childguard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t max)
{
    const size_t n = strnlen(s, max + 1);
    json_t *j;

    if (n > max)
        __builtin_trap();
    j = json_stringn(s, n); /* NULL when not valid UTF-8 */
    if (j == NULL)
        __builtin_trap();
    json_decref(j);
}

static void same_signal(const cg_bank_signal *a, const cg_bank_signal *b)
{
    if (a->type != b->type || memcmp(a->value, b->value, a->type->bytes) != 0 ||
        a->quality != b->quality || a->disabled_until != b->disabled_until ||
        strcmp(a->note, b->note) != 0 || strcmp(a->external_id, b->external_id) != 0 ||
        strcmp(a->source, b->source) != 0)
        __builtin_trap();
}

/* Writes s in format and reads it back with AUTO detection. */
static void round_trip(const cg_bank_signal *s, cg_list_format format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len), *in;
    cg__list_reader *rd = NULL;
    cg_import_options opt;
    cg_bank_signal back;
    const char *reject = NULL;
    int got = 0;

    if (out == NULL)
        return;
    if (cg__list_write_header(out, format, NULL) != CG_OK ||
        cg__list_write_row(out, format, s, NULL, NULL) != CG_OK)
        __builtin_trap();
    fclose(out);
    in = fmemopen(buf, len, "r");
    if (in == NULL)
        __builtin_trap();
    memset(&opt, 0, sizeof(opt));
    if (cg__list_reader_open(in, &opt, &rd, NULL) != CG_OK ||
        cg__list_reader_format(rd) != format ||
        cg__list_reader_next(rd, &back, &got, &reject, NULL) != CG_OK || got != 1 ||
        reject != NULL)
        __builtin_trap();
    same_signal(s, &back);
    if (cg__list_reader_next(rd, &back, &got, &reject, NULL) != CG_OK || got != 0)
        __builtin_trap();
    cg__list_reader_close(rd);
    fclose(in);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t max_lines[] = {0, 80, 300, 4096};
    cg_import_options opt;
    cg__list_reader *rd = NULL;
    cg_error err = {0};
    cg_status st;
    FILE *in;
    uint64_t records = 0;
    uint8_t sel;

    if (size < 2)
        return 0;
    sel = data[0];
    data++;
    size--;
    memset(&opt, 0, sizeof(opt));
    opt.format = (cg_list_format)(sel % 5);
    opt.default_type = (sel >> 3) & 1 ? cg_signal_type_find("sha256") : NULL;
    opt.max_line = max_lines[(sel >> 4) & 3];
    opt.source = (sel >> 6) & 1 ? "fuzz" : NULL;
    in = fmemopen((void *)data, size, "r");
    if (in == NULL)
        return 0;
    st = cg__list_reader_open(in, &opt, &rd, &err);
    if (st != CG_OK) {
        if (rd != NULL || st != CG_E_INVAL || err.message[0] == '\0')
            __builtin_trap();
        fclose(in);
        return 0;
    }
    if (cg__list_reader_format(rd) == CG_LIST_AUTO)
        __builtin_trap();
    for (;;) {
        cg_bank_signal s;
        const char *reject = NULL;
        int got = -1;

        st = cg__list_reader_next(rd, &s, &got, &reject, &err);
        if (st != CG_OK) {
            if (st != CG_E_INVAL || err.message[0] == '\0')
                __builtin_trap();
            break;
        }
        if (got == 0)
            break;
        if (got != 1 || ++records > 8 * (uint64_t)size + 8 ||
            cg__list_reader_line(rd) == 0 || cg__list_reader_bytes(rd) > size)
            __builtin_trap();
        if (reject != NULL) {
            if (reject[0] == '\0' || strlen(reject) > 255)
                __builtin_trap();
            continue;
        }
        if (s.type == NULL || cg_signal_type_find(s.type->name) != s.type ||
            s.type->bytes > CG_SIGNAL_MAX_BYTES || s.quality < -1 || s.quality > 100 ||
            s.disabled_until < 0)
            __builtin_trap();
        check_text(s.note, CG_BANK_TEXT_MAX);
        check_text(s.external_id, CG_BANK_FIELD_MAX);
        check_text(s.source, CG_BANK_FIELD_MAX);
        round_trip(&s, (cg_list_format)(CG_LIST_CSV + (sel >> 5) % 3));
    }
    cg__list_reader_close(rd);
    fclose(in);
    return 0;
}
