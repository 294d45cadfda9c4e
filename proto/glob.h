/* glob.h -- path globs with "**", as .gitignore and Cirrus artifacts use. */
#ifndef PROTO_GLOB_H
#define PROTO_GLOB_H

/*
 * Match path (relative, '/'-separated) against pattern.  Each '/'-separated
 * segment is an fnmatch(3) pattern that never matches '/'; a whole segment
 * "**" matches any number (zero included) of segments.  Leading "./" of
 * either is ignored.  1 on a match, else 0.
 */
int	glob_match(const char *pattern, const char *path);

/*
 * The directory part of pattern before its first segment holding a glob
 * character ("build" for "build/[ab].txt"; "" when the first
 * segment has one; the whole pattern when it has none).  Caller frees.
 */
char	*glob_static_prefix(const char *pattern);

#endif
