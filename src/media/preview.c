/* Reviewer-safe previews (include/childguard/review.h): placeholder until it lands. */
#include "childguard/review.h"
