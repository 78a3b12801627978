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
/* MAJOR * 10000 + MINOR * 100 + PATCH: compare with cg_version_number() to find the library a
 * program runs with (it may be newer than the headers it was built with). */
#define CG_VERSION_NUMBER (CG_VERSION_MAJOR * 10000 + CG_VERSION_MINOR * 100 + CG_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version as "MAJOR.MINOR.PATCH"; a static string. */
CG_API const char *cg_version(void);
/* The running library's CG_VERSION_NUMBER (e.g. 100 for 0.1.0). */
CG_API unsigned cg_version_number(void);

#ifdef __cplusplus
}
#endif
#endif
