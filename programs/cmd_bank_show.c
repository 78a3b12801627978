/* `childguard bank list` and `bank show`: banks and their settings, as text or JSON
 * (bank_cli.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "childguard.h"
#include "bank_cli.h"
#include "cli.h"

static json_t *bank_json(bank_ctx *c, const cg_bank *b)
{
    json_t *o = json_object(), *counts = json_object(), *thr = json_object();
    int64_t total = 0;

    json_object_set_new(o, "name", json_string(b->name));
    json_object_set_new(o, "label", json_string(b->label));
    json_object_set_new(o, "kind", json_string(bank_kind_name(b->kind)));
    json_object_set_new(o, "enabled", json_boolean(b->enabled));
    json_object_set_new(o, "description", json_string(b->description));
    json_object_set_new(o, "created", json_integer(b->created));
    for (size_t i = 0; i < cg_signal_type_count(); i++) {
        const cg_signal_type *t = cg_signal_type_at(i);
        int64_t n = 0;
        if (cg_bank_signal_count(c->db, b->id, t, &n, NULL) == CG_OK && n > 0)
            json_object_set_new(counts, t->name, json_integer(n));
        total += n;
        json_object_set_new(thr, t->name, json_integer(cg_bank_threshold_for(b, t)));
    }
    json_object_set_new(o, "signals", json_integer(total));
    json_object_set_new(o, "by_type", counts);
    json_object_set_new(o, "thresholds", thr);
    json_object_set_new(o, "pdq_min_quality", json_integer(cg_bank_pdq_min_quality(b)));
    /* The bank's flood limit: null when not set (the exchange's, else the engine's applies). */
    json_object_set_new(o, "flood_per_hour",
                        b->flood_per_hour != 0 ? json_integer(b->flood_per_hour) : json_null());
    return o;
}

#define QUARANTINE_FIRST 10

/* "quarantined": {"count": N, "first": [signal ids, oldest first, at most 10]}: the signals a
 * flood quarantine switched off and no reviewer released. */
static int add_quarantined(bank_ctx *c, const cg_bank *b, json_t *o)
{
    int64_t ids[QUARANTINE_FIRST];
    size_t n = 0;
    json_t *q = json_object(), *first = json_array();
    cg_error err;

    if (cg_flood_quarantined(c->db, b->id, (int64_t)time(NULL), ids, QUARANTINE_FIRST, &n,
                             &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        json_decref(q);
        json_decref(first);
        return -1;
    }
    for (size_t i = 0; i < n && i < QUARANTINE_FIRST; i++)
        json_array_append_new(first, json_integer(ids[i]));
    json_object_set_new(q, "count", json_integer((json_int_t)n));
    json_object_set_new(q, "first", first);
    json_object_set_new(o, "quarantined", q);
    return 0;
}

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    if (s != NULL) {
        puts(s);
        free(s);
    }
    json_decref(o);
}

typedef struct list_ctx {
    bank_ctx *c;
    int json;
    int count;
} list_ctx;

static int list_one(const cg_bank *b, void *ud)
{
    list_ctx *l = ud;
    json_t *o = bank_json(l->c, b);

    l->count++;
    if (l->json) {
        print_json(o);
        return 0;
    }
    printf("%-24s %-10s %-5s %-8s %10" JSON_INTEGER_FORMAT "  %s\n", b->name, b->label,
           bank_kind_name(b->kind), b->enabled ? "enabled" : "disabled",
           json_integer_value(json_object_get(o, "signals")), b->description);
    json_decref(o);
    return 0;
}

int bank_do_list(bank_ctx *c, int argc, char **argv)
{
    list_ctx l = {c, argc > 1 && strcmp(argv[1], "--json") == 0, 0};
    cg_error err;

    if (bank_open_db(c, 0) != 0)
        return CLI_ERROR;
    if (!l.json)
        printf("%-24s %-10s %-5s %-8s %10s  %s\n", "NAME", "LABEL", "KIND", "STATE", "SIGNALS",
               "DESCRIPTION");
    if (cg_bank_list(c->db, list_one, &l, &err) != CG_OK) {
        fprintf(stderr, "childguard bank: %s\n", err.message);
        return CLI_ERROR;
    }
    return CLI_OK;
}

int bank_do_show(bank_ctx *c, int argc, char **argv)
{
    int json = argc > 2 && strcmp(argv[2], "--json") == 0;
    cg_bank b;

    if (argc < 2) {
        fprintf(stderr, "childguard bank show: give a bank NAME\n");
        return CLI_ERROR;
    }
    if (bank_open_db(c, 0) != 0 || bank_get(c, argv[1], &b) != 0)
        return CLI_ERROR;
    json_t *o = bank_json(c, &b);
    if (add_quarantined(c, &b, o) != 0) {
        json_decref(o);
        return CLI_ERROR;
    }
    if (json) {
        print_json(o);
        return CLI_OK;
    }
    time_t created = (time_t)b.created;
    struct tm tm;
    char when[32] = "?";
    if (gmtime_r(&created, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("name:        %s\nlabel:       %s\nkind:        %s\nstate:       %s\n"
           "created:     %s\ndescription: %s\nsignals:     %" JSON_INTEGER_FORMAT "\n",
           b.name, b.label, bank_kind_name(b.kind), b.enabled ? "enabled" : "disabled", when,
           b.description, json_integer_value(json_object_get(o, "signals")));
    for (size_t i = 0; i < cg_signal_type_count(); i++) {
        const cg_signal_type *t = cg_signal_type_at(i);
        json_t *n = json_object_get(json_object_get(o, "by_type"), t->name);
        printf("  %-8s %10" JSON_INTEGER_FORMAT " signals, match at distance <= %d", t->name,
               n ? json_integer_value(n) : 0, cg_bank_threshold_for(&b, t));
        if (strcmp(t->name, "pdq") == 0)
            printf(", acted on when both qualities >= %d", cg_bank_pdq_min_quality(&b));
        putchar('\n');
    }
    if (b.flood_per_hour > 0)
        printf("flood:       quarantine an exchange signal matching more than %d different "
               "images an hour\n", b.flood_per_hour);
    else
        printf("flood:       %s\n", b.flood_per_hour < 0 ? "off for this bank"
                                                        : "the exchange's or engine's limit");
    {
        json_t *q = json_object_get(o, "quarantined"), *first = json_object_get(q, "first");
        size_t i;
        json_t *v;

        printf("quarantined: %" JSON_INTEGER_FORMAT,
               json_integer_value(json_object_get(q, "count")));
        json_array_foreach(first, i, v)
            printf("%s%" JSON_INTEGER_FORMAT, i == 0 ? " (signal " : ", ", json_integer_value(v));
        if (json_array_size(first) > 0)
            printf("%s)", json_integer_value(json_object_get(q, "count")) >
                                  (json_int_t)json_array_size(first)
                              ? ", ..."
                              : "");
        putchar('\n');
    }
    json_decref(o);
    return CLI_OK;
}

