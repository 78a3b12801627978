/* Where the commands keep caches (compiled lexicons, cg_text_config.cache_dir):
 * $CHILDGUARD_CACHE_DIR ("off" for none), else $XDG_CACHE_HOME/childguard, else
 * $HOME/.cache/childguard. */
#ifndef CG_PROGRAMS_CACHEPATH_H
#define CG_PROGRAMS_CACHEPATH_H

/* Sets CHILDGUARD_CACHE_DIR for this process when the user has not (the library reads it when
 * a configuration names no cache directory), creating the parent directory (0700) when it is
 * missing. Nothing when neither XDG_CACHE_HOME nor HOME is an absolute path. */
void cachepath_default(void);

#endif
