/* childguard: tenants. Every API key belongs to a tenant (an organisation or a service using a
 * shared server); review items, report drafts, outbox entries and conversation state are kept
 * per tenant, so one tenant can neither read nor change another's. Banks are shared: an operator
 * limits which banks a key may read (keys.h), not which tenant owns them. The command line acts
 * as the default tenant, "default" (docs/security.md).
 *
 * A bank database handle has a current tenant (cg_bankdb_set_tenant): the review queue and the
 * outbox read and write through it only that tenant's rows. A new handle's tenant is "default".
 *
 * Threading: like cg_bankdb, one thread at a time per handle. */
#ifndef CHILDGUARD_TENANT_H
#define CHILDGUARD_TENANT_H

#include "bank.h"
#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A tenant name: 1-64 characters of [A-Za-z0-9_.-]. */
#define CG_TENANT_MAX 64
/* The tenant of the command line and of keys made without one. */
#define CG_TENANT_DEFAULT "default"

/* 1 when name is a valid tenant name, else 0 (NULL: 0). */
CG_API int cg_tenant_valid(const char *name);

/* Makes tenant the handle's current tenant (NULL or "": CG_TENANT_DEFAULT). CG_E_INVAL for an
 * invalid name (the handle keeps its tenant). */
CG_API cg_status cg_bankdb_set_tenant(cg_bankdb *db, const char *tenant, cg_error *err);

/* The handle's current tenant (never NULL; owned by the handle, valid until the next
 * cg_bankdb_set_tenant on it). */
CG_API const char *cg_bankdb_tenant(const cg_bankdb *db);

#ifdef __cplusplus
}
#endif

#endif
