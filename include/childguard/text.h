/* childguard: the text-harm engine — grooming, sexual solicitation, sextortion, bullying,
 * self-harm risk and personal-data leaks in chat, in Vietnamese and English.
 *
 * Names here are the vocabulary every part of the engine shares (lexicon files, detectors, the
 * conversation model, the JSON output): harms, grooming stages and the facets of the other
 * harms. Their text names are stable (used in data files and JSON).
 *
 * Threading: the name functions are pure and thread-safe. */
#ifndef CHILDGUARD_TEXT_H
#define CHILDGUARD_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

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

/* The sub-category of a cue, by harm (text names in parentheses):
 * - grooming stages after O'Connell: friendship forming (friendship), relationship forming
 *   (relationship), risk assessment (risk_assessment: "are you alone", "delete this chat"),
 *   exclusivity (exclusivity: "our secret", moving to a private app), sexual (sexual),
 *   meeting (meeting);
 * - sextortion facets: threat (threat), a reference to images (image), a demand (demand);
 * - bullying: insult, threat (bully_threat), exclusion, humiliation, self-harm incitement
 *   (incitement);
 * - self_harm_risk: despair; sexual_solicitation: request;
 * - personal_data (detectors, not lexicons): phone, email, address, school, handle, code.
 * CG_FACET_NONE is for cues that carry a harm only. */
typedef enum cg_facet {
    CG_FACET_NONE = 0,
    CG_FACET_FRIENDSHIP = 1,
    CG_FACET_RELATIONSHIP = 2,
    CG_FACET_RISK_ASSESSMENT = 3,
    CG_FACET_EXCLUSIVITY = 4,
    CG_FACET_SEXUAL = 5,
    CG_FACET_MEETING = 6,
    CG_FACET_THREAT = 7,
    CG_FACET_IMAGE = 8,
    CG_FACET_DEMAND = 9,
    CG_FACET_INSULT = 10,
    CG_FACET_BULLY_THREAT = 11,
    CG_FACET_EXCLUSION = 12,
    CG_FACET_HUMILIATION = 13,
    CG_FACET_INCITEMENT = 14,
    CG_FACET_DESPAIR = 15,
    CG_FACET_REQUEST = 16,
    CG_FACET_PHONE = 17,
    CG_FACET_EMAIL = 18,
    CG_FACET_ADDRESS = 19,
    CG_FACET_SCHOOL = 20,
    CG_FACET_HANDLE = 21,
    CG_FACET_CODE = 22, /* one-time codes, passwords */
    CG_FACET_COUNT = 23
} cg_facet;

/* "grooming", "sexual_solicitation", ...; NULL out of range. */
CG_API const char *cg_harm_name(cg_harm h);
/* The harm named name (exact, lowercase); -1 if none. */
CG_API int cg_harm_from_name(const char *name);
/* "none", "friendship", ...; NULL out of range. */
CG_API const char *cg_facet_name(cg_facet f);
CG_API int cg_facet_from_name(const char *name);
/* The harm a facet belongs to (CG_FACET_NONE: -1). */
CG_API int cg_facet_harm(cg_facet f);

#ifdef __cplusplus
}
#endif
#endif
