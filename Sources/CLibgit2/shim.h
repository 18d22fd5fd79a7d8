#ifndef CLIBGIT2_SHIM_H
#define CLIBGIT2_SHIM_H
// Deprecated names (giterr_*, git_cred_*) must not creep in.
#define GIT_DEPRECATE_HARD 1
#include <git2.h>
#include <git2/sys/commit.h>
#include <git2/sys/mempack.h>
#include <git2/sys/repository.h>

// git_libgit2_opts is variadic, which Swift cannot call: one fixed-argument wrapper per option.
static inline int git_incident_set_cache_object_limit(git_object_t type, size_t size) {
  return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, type, size);
}
static inline int git_incident_set_cache_max_size(ssize_t bytes) {
  return git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, bytes);
}
static inline int git_incident_set_strict_hash_verification(int enabled) {
  return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
static inline int git_incident_set_ssl_cert_file(const char *file) {
  return git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, (const char *)0);
}
#endif
