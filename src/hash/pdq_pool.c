/* The pool of PDQ hashers (pdq.h): a cg_object_pool of cg_pdq_hasher. The engine, the
 * command-line workers and the server's request threads each borrow from one of these. */
#include "childguard/pdq.h"
#include "childguard/pool.h"
#include "common/error.h"

/* The type is the object pool itself, seen through the PDQ hasher API. */
static cg_object_pool *objects(cg_pdq_hasher_pool *p)
{
    return (cg_object_pool *)p;
}

static cg_status hasher_create(void *ud, void **obj, cg_error *err)
{
    cg_pdq_hasher *h = NULL;
    cg_status st = cg_pdq_hasher_create(&h);

    (void)ud;
    *obj = h;
    return st == CG_OK ? CG_OK : cg__fail(err, st, "cannot create a PDQ hasher");
}

static void hasher_destroy(void *obj)
{
    cg_pdq_hasher_destroy(obj);
}

cg_status cg_pdq_hasher_pool_create(size_t max, cg_pdq_hasher_pool **out)
{
    cg_object_pool *p = NULL;
    cg_status st = cg_object_pool_create(max, hasher_create, hasher_destroy, NULL, &p);

    *out = (cg_pdq_hasher_pool *)p;
    return st;
}

void cg_pdq_hasher_pool_destroy(cg_pdq_hasher_pool *p)
{
    cg_object_pool_destroy(objects(p));
}

cg_status cg_pdq_hasher_pool_take(cg_pdq_hasher_pool *p, cg_pdq_hasher **out)
{
    void *obj = NULL;
    cg_status st = cg_object_pool_take(objects(p), &obj, NULL);

    *out = obj;
    return st;
}

void cg_pdq_hasher_pool_give(cg_pdq_hasher_pool *p, cg_pdq_hasher *h)
{
    cg_object_pool_give(objects(p), h);
}
