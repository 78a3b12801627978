/* childguard: the guidance catalogue — what to tell whom about a harm or an image topic, and who
 * can help. Policy output (policy.h decides which topic and audience; this says the words), so
 * it is part of the policy layer and needs no text engine: an image-only engine loads it too.
 *
 * One catalogue (data/text/guidance.json by default, docs/text.md "Guidance") holds, per topic,
 * a short text per audience and language, and help lines per country. A topic is a harm name
 * ("grooming", ...) or an image topic named after a bank label: "csam" (a match against known
 * child sexual abuse material), "ncii" (non-consensual intimate images), "nudity" (the nudity
 * model). Languages are data: any ISO 639-1 code the file uses ("vi", "en", ...; up to
 * CG_GUIDANCE_MAX_LANGS). Help lines come from one country (else the file's "default") and are
 * routed by data: a line may be limited to some topics, to an age band of the person concerned
 * (e.g. Take It Down for images of someone under 18, StopNCII for 18 and over) and to some
 * audiences.
 *
 * Threading: a catalogue is immutable once open; lookups may run on any number of threads. */
#ifndef CHILDGUARD_GUIDANCE_H
#define CHILDGUARD_GUIDANCE_H

#include <stddef.h>

#include "export.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cg_audience {
    CG_AUDIENCE_RECIPIENT = 0, /* the child who received it */
    CG_AUDIENCE_SENDER = 1,    /* the child who sent it: a nudge to think again */
    CG_AUDIENCE_GUARDIAN = 2,
    CG_AUDIENCE_MODERATOR = 3
} cg_audience;

/* "recipient", "sender", "guardian", "moderator"; NULL out of range. */
CG_API const char *cg_policy_audience_name(cg_audience a);

/* The age band of the person concerned (the child or adult shown in an image, or the user the
 * guidance is about). Values are pinned. */
typedef enum cg_age_band {
    CG_AGE_UNKNOWN = 0, /* every help line passes the age filter; lines say who they are for */
    CG_AGE_CHILD = 1,   /* under 18 */
    CG_AGE_ADULT = 2    /* 18 and over */
} cg_age_band;

/* "unknown", "child", "adult"; NULL out of range. */
CG_API const char *cg_policy_age_band_name(cg_age_band b);

/* Most help lines one lookup returns (and one country may list). */
#define CG_GUIDANCE_MAX_HELP 16
/* Most languages one catalogue may hold; a language code is two lowercase letters (room is
 * kept for three). */
#define CG_GUIDANCE_MAX_LANGS 8
#define CG_GUIDANCE_LANG_MAX 3

/* A guidance text and its help lines in one language. Strings are owned by the catalogue and
 * live as long as it. */
typedef struct cg_guidance {
    const char *text;                         /* NULL when the catalogue has none */
    const char *help[CG_GUIDANCE_MAX_HELP];   /* in catalogue order */
    size_t n_help;
} cg_guidance;

typedef struct cg_guidance_catalog cg_guidance_catalog;

/* Where the catalogue is: DIR/text/guidance.json with DIR data_dir, else $CHILDGUARD_DATA, else
 * the install's share/childguard (else the source tree's), written to buf (cap bytes); returns
 * buf. */
CG_API const char *cg_guidance_default_path(const char *data_dir, char *buf, size_t cap);

/* Opens the catalogue at path with the help lines of country (ISO 3166 alpha-2, any case;
 * NULL or "": "VN"). Anything that is not of the documented shape (unknown key, audience,
 * language code or age band, a text that is not a string, too many help lines or languages,
 * an unknown topic in "harms") is CG_E_INVAL naming the file and the place
 * ("help.VN[2].ages[0]"); every country's lines are checked, not only the loaded ones; a
 * country the file does not list is CG_E_INVAL naming those it does. */
CG_API cg_status cg_guidance_catalog_open(const char *path, const char *country,
                                          cg_guidance_catalog **out, cg_error *err);
CG_API void cg_guidance_catalog_destroy(cg_guidance_catalog *c);

/* Guidance on topic for audience in lang (a missing text falls back to "en", then to the
 * file's first language), with the help lines of the catalogue's country that are for this
 * topic, age band (out of range counts as unknown) and audience. An unknown topic gives text
 * NULL and no help lines; a harm the catalogue has no texts for gives text NULL with its help
 * lines. c may be NULL (empty result). */
CG_API void cg_guidance_lookup(const cg_guidance_catalog *c, const char *topic,
                               cg_audience audience, const char *lang, cg_age_band age,
                               cg_guidance *out);
/* 1 when the catalogue has texts for a topic of that name, else 0. */
CG_API int cg_guidance_has_topic(const cg_guidance_catalog *c, const char *topic);
/* The catalogue's languages in file order of first appearance: count, and code i (NULL out of
 * range). */
CG_API size_t cg_guidance_lang_count(const cg_guidance_catalog *c);
CG_API const char *cg_guidance_lang(const cg_guidance_catalog *c, size_t i);

#ifdef __cplusplus
}
#endif
#endif
