/* Internal: reading and writing hash-list files (one hash per line, CSV, TSV, JSON lines), the
 * formats hotlines, HMA, ThreatExchange and StopNCII exchange (docs/list-formats.md). The store
 * (store_import.c, store_export.c) drives these inside its transactions; this layer knows
 * nothing of SQLite. */
#ifndef CG_BANK_LIST_H
#define CG_BANK_LIST_H

#include <stdint.h>
#include <stdio.h>

#include "childguard/bank.h"
#include "childguard/vpdq_bank.h"

typedef struct cg__list_reader cg__list_reader;

/* Starts reading in (borrowed; not closed). opt may be NULL (defaults: AUTO, guess the type by
 * length, max_line 64 KiB). The reader detects the format (when AUTO) from the first line. */
cg_status cg__list_reader_open(FILE *in, const cg_import_options *opt, cg__list_reader **out,
                               cg_error *err);

/* Reads the next record into s (all fields but id, bank_id and added; quality -1 and
 * disabled_until 0 when the line has none; source from the line or opt->source).
 * Returns CG_OK and *got = 1 for a good record; CG_OK, *got = 1 and *reject = a reason (static
 * or reader-owned, valid until the next call) for a bad line, which the caller counts and skips;
 * CG_OK and *got = 0 at the end. Any other status is fatal for the whole file: an I/O error, or
 * input that is plainly not a hash list (binary bytes, every one of the first 100 data lines
 * rejected), with err naming the line. Blank lines and lines starting with '#' (LINES format
 * only) are skipped. A line longer than max_line is rejected and skipped, not fatal. */
cg_status cg__list_reader_next(cg__list_reader *r, cg_bank_signal *s, int *got,
                               const char **reject, cg_error *err);

/* The frames of the last good record when it is a vpdq signal (its value is their identity);
 * reader-owned, valid until the next call. */
void cg__list_reader_vpdq(const cg__list_reader *r, const cg_vpdq_frame **frames, size_t *n);

/* Number of the line the last record came from (from 1), and bytes consumed so far. */
uint64_t cg__list_reader_line(const cg__list_reader *r);
uint64_t cg__list_reader_bytes(const cg__list_reader *r);
cg_list_format cg__list_reader_format(const cg__list_reader *r);

void cg__list_reader_close(cg__list_reader *r);

/* Writing (rows are buffered: flush and check the stream at the end): the header (CSV/TSV: signal_type,signal,bank,label,quality,source,external_id,note,
 * added,disabled_until; none for LINES and JSONL), then one row per signal. Values are quoted or
 * escaped as the format needs (CSV: RFC 4180; TSV: \t \n \\ escaped; JSONL: jansson). Times are
 * written as unix seconds. CG_E_IO when out fails (the message says why, e.g. disk full). */
cg_status cg__list_write_header(FILE *out, cg_list_format format, cg_error *err);
cg_status cg__list_write_row(FILE *out, cg_list_format format, const cg_bank_signal *s,
                             const cg_bank *bank, cg_error *err);
/* The same with the signal field given as text (a vpdq frame list, cg_vpdq_format_json)
 * instead of the value's hex; LINES writes "<type> <text>". text NULL is cg__list_write_row. */
cg_status cg__list_write_row_text(FILE *out, cg_list_format format, const cg_bank_signal *s,
                                  const cg_bank *bank, const char *text, cg_error *err);

#endif
