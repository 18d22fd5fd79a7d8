#ifndef CLIBGIT2_SHIM_H
#define CLIBGIT2_SHIM_H
// Deprecated names (giterr_*, git_cred_*) must not creep in.
#define GIT_DEPRECATE_HARD 1
#include <git2.h>
#include <git2/sys/commit.h>
#include <git2/sys/mempack.h>
#endif
