/* The handle's current tenant (include/childguard/tenant.h): the review queue (src/review/)
 * and the outbox (store_outbox.c) scope every read and write by it. */
#include "store/store_int.h"

#include <string.h>

#include "childguard/tenant.h"
#include "common/error.h"

int cg_tenant_valid(const char *name)
{
    size_t n;

    if (name == NULL)
        return 0;
    n = strnlen(name, CG_TENANT_MAX + 1);
    if (n == 0 || n > CG_TENANT_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

cg_status cg_bankdb_set_tenant(cg_bankdb *db, const char *tenant, cg_error *err)
{
    if (db == NULL)
        return cg__fail(err, CG_E_INVAL, "cg_bankdb_set_tenant: db is NULL");
    if (tenant == NULL || tenant[0] == '\0')
        tenant = CG_TENANT_DEFAULT;
    if (!cg_tenant_valid(tenant))
        return cg__fail(err, CG_E_INVAL,
                        "%s: tenant \"%.64s\": 1-64 characters of [A-Za-z0-9_.-] expected",
                        db->path, tenant);
    memcpy(db->tenant, tenant, strlen(tenant) + 1);
    return CG_OK;
}

const char *cg_bankdb_tenant(const cg_bankdb *db)
{
    return db != NULL && db->tenant[0] != '\0' ? db->tenant : CG_TENANT_DEFAULT;
}
