/* libFuzzer target for report drafts: the stored verdict JSON of a review item is input the
 * report code parses (a database can be edited). Every input is drafted as NCMEC XML and as
 * JSON. Traps unless each draft either fails cleanly (no output) or succeeds with output that
 * is NUL-terminated of the length given; XML drafts are validated by the library itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cg_review_item item;
    char *json = malloc(size + 1);
    cg_report_options opt;

    if (json == NULL)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    memset(&item, 0, sizeof(item));
    item.id = 7;
    strcpy(item.content_id, "sha256:00");
    strcpy(item.kind, size % 2 ? "image" : "message");
    strcpy(item.label, "csam");
    item.created = 1790000000;
    memset(&opt, 0, sizeof(opt));
    opt.reporter_name = "Fuzz Reviewer";
    opt.now = 1790000000;
    for (int f = 0; f < 2; f++) {
        char *out = (char *)1;
        size_t len = 12345;
        cg_error err;
        cg_status st = cg_report_draft(&item, json, (cg_report_format)f, &opt, &out, &len, &err);
        if (st == CG_OK) {
            if (out == NULL || strlen(out) != len)
                __builtin_trap();
            cg_free(out);
        }
    }
    free(json);
    return 0;
}
