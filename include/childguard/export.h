/* childguard: symbol visibility and version.
 * Threading: nothing here has state. */
#ifndef CHILDGUARD_EXPORT_H
#define CHILDGUARD_EXPORT_H

#if defined(CG_BUILDING_LIBRARY) && defined(__GNUC__)
#define CG_API __attribute__((visibility("default")))
#else
#define CG_API
#endif

#define CG_VERSION_MAJOR 0
#define CG_VERSION_MINOR 1
#define CG_VERSION_PATCH 0
#define CG_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version as "MAJOR.MINOR.PATCH"; a static string. */
CG_API const char *cg_version(void);

#ifdef __cplusplus
}
#endif
#endif
