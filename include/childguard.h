/* childguard: the public API, one umbrella over the per-area headers. */
#ifndef CHILDGUARD_H
#define CHILDGUARD_H

#include "childguard/export.h"
#include "childguard/status.h"
#include "childguard/hex.h"
#include "childguard/timestamp.h"
#include "childguard/image.h"
#include "childguard/pdq.h"
#include "childguard/digest.h"
#include "childguard/signal.h"
#include "childguard/pool.h"
#include "childguard/content.h"
#include "childguard/index.h"
#include "childguard/bank.h"
#include "childguard/tenant.h"
#include "childguard/matcher.h"
#include "childguard/text.h"
#include "childguard/textmodel.h"
#include "childguard/policy.h"
#include "childguard/audit.h"
#include "childguard/review.h"
#include "childguard/report.h"
#include "childguard/engine.h"
#include "childguard/keys.h"
#include "childguard/outbox.h"
#include "childguard/video.h"
#include "childguard/vpdq.h"
#include "childguard/signals.h"
#include "childguard/vpdq_bank.h"
#include "childguard/vision.h"

#endif
