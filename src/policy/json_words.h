/* Internal: the words the policy layer's JSON loaders (policy.c, guidance.c) use in their error
 * messages for what a value is ("expected a string, found an array"). */
#ifndef CG_POLICY_JSON_WORDS_H
#define CG_POLICY_JSON_WORDS_H

#include <jansson.h>

/* "an object", "an array", "a string", "an integer", "a number", "a boolean" or "null". */
const char *cg__json_type_words(const json_t *v);

#endif
