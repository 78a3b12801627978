/* childguard: the harms and alert levels — the vocabulary the text engine finds and the policy
 * decides on. In a header of their own, in the lowest layer (src/common/harm.c), so that the
 * policy (policy.h) and the guidance catalogue name harms without the text engine's API. The
 * name functions keep their cg_text_ names (docs/api-c.md); they are pure and thread-safe. */
#ifndef CHILDGUARD_HARM_H
#define CHILDGUARD_HARM_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Append-only: values are pinned. */
typedef enum cg_harm {
    CG_HARM_GROOMING = 0,
    CG_HARM_SEXUAL_SOLICITATION = 1, /* requests for sexual images or video */
    CG_HARM_SEXTORTION = 2,          /* threat to expose + images + a demand */
    CG_HARM_BULLYING = 3,
    CG_HARM_SELF_HARM_RISK = 4,      /* the writer's own statements of despair */
    CG_HARM_PERSONAL_DATA = 5,       /* phone, e-mail, address, school, handles, codes */
    CG_HARM_COUNT = 6
} cg_harm;

/* "grooming", "sexual_solicitation", ...; NULL out of range. */
CG_API const char *cg_text_harm_name(cg_harm h);
/* The harm named name (exact, lowercase); -1 if none. */
CG_API int cg_text_harm_from_name(const char *name);

typedef enum cg_alert {
    CG_ALERT_NONE = 0,
    CG_ALERT_WATCH = 1,
    CG_ALERT_ALERT = 2,
    CG_ALERT_URGENT = 3
} cg_alert;

/* "none", "watch", "alert", "urgent"; NULL out of range. */
CG_API const char *cg_text_alert_name(cg_alert a);

#ifdef __cplusplus
}
#endif
#endif
