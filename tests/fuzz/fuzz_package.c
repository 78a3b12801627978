/* libFuzzer target for the signed-package parsers: manifest.json (a manifest that parses must
 * write and parse back to the same struct), a payload line of each kind, a minisign public
 * key, secret key and signature (verified against a fixed key over a fixed message), and the
 * package exchange's tar reader (package_tar.c). Traps
 * when a failure is not CG_E_INVAL / CG_E_NOTFOUND / CG_E_UNSUPPORTED or its message does not
 * name the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "exchange/package_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect_clean_failure(cg_status st, const cg_error *err, const char *name)
{
    if (st != CG_OK && ((st != CG_E_INVAL && st != CG_E_NOTFOUND && st != CG_E_UNSUPPORTED) ||
                        strstr(err->message, name) == NULL))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    cg_package_manifest m, m2;
    cg_minisign_pubkey pk, fixed;
    cg_minisign_seckey sk;
    cg__package_line line;
    cg_error err;
    char why[160];
    cg_status st;

    memset(&err, 0, sizeof(err));
    st = cg_package_manifest_parse("fuzz.json", text, size, &m, &err);
    expect_clean_failure(st, &err, "fuzz.json");
    if (st == CG_OK) {
        char *out = NULL;

        if (cg_package_manifest_write(&m, &out, &err) != CG_OK ||
            cg_package_manifest_parse("again", out, strlen(out), &m2, &err) != CG_OK ||
            memcmp(&m, &m2, sizeof(m)) != 0)
            __builtin_trap();
        cg_free(out);
    }
    for (int k = 0; k < CG_PACKAGE_MAX_FILES; k++) {
        st = cg__package_line_parse((cg_package_kind)k, text, size, &line, why, sizeof(why));
        if (st != CG_OK && (st != CG_E_INVAL || why[0] == '\0'))
            __builtin_trap();
        if (st == CG_OK && line.type == NULL)
            __builtin_trap();
    }
    expect_clean_failure(cg_minisign_pubkey_parse("fuzz.pub", text, size, &pk, &err), &err,
                         "fuzz.pub");
    expect_clean_failure(cg_minisign_seckey_parse("fuzz.key", text, size, &sk, &err), &err,
                         "fuzz.key");
    memset(&fixed, 0x5a, sizeof(fixed));
    memset(fixed.key_id, 0, sizeof(fixed.key_id));
    st = cg_minisign_verify(&fixed, 1, "fuzz.minisig", text, size, "abc", 3, NULL, NULL, 0,
                            &err);
    if (st == CG_OK) /* no input can carry a valid signature by this made-up key */
        __builtin_trap();
    expect_clean_failure(st, &err, "fuzz.minisig");
    {
        /* The package exchange's tar reader: a clean refusal naming the archive, or members
         * that lie inside the input. */
        cg__package_tar t;

        st = cg__package_tar_index("fuzz.tar", data, size, &t, &err);
        if (st != CG_OK && ((st != CG_E_INVAL && st != CG_E_DECODE) ||
                            strstr(err.message, "fuzz.tar") == NULL))
            __builtin_trap();
        for (int i = 0; st == CG_OK && i < 5; i++)
            if (t.data[i] != NULL && (t.data[i] < data || t.data[i] + t.len[i] > data + size))
                __builtin_trap();
    }
    return 0;
}
