/* Internal: change notification of a store, for the matcher's refresher (issue 17). A backend
 * that can push notice of a commit (PostgreSQL: LISTEN/NOTIFY on the change log) calls fn(ud)
 * from a thread of its own soon after any commit that wrote the change log, by anyone, and
 * again after its notification connection came back from a loss (changes may have been missed
 * meanwhile). It is a hint to poll now: readers keep polling the change log, which always works
 * (store_ops.h). */
#ifndef CG_STORE_WATCH_H
#define CG_STORE_WATCH_H

#include "childguard/bank.h"

/* Starts watching db until cg_bankdb_close (which waits for the watcher to stop, so fn is
 * never called after close returns). CG_E_UNSUPPORTED (no error set) when the backend cannot;
 * once per handle; call it before another thread uses db. */
cg_status cg__bankdb_watch(cg_bankdb *db, void (*fn)(void *ud), void *ud, cg_error *err);

#endif
