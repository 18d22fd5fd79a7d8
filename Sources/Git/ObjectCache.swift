internal import CLibgit2

/// libgit2's in-memory object cache (process-wide).
public enum ObjectCache {
  /// Lets trees up to `bytes` large be cached (libgit2's default is 4 KiB, so a folder of more
  /// than about 90 entries, such as a year of incidents, is re-read and re-parsed on every
  /// lookup). Walks over many commits that read the same large folders call this first.
  ///
  /// The corresponding libgit2 function is `git_libgit2_opts` with
  /// `GIT_OPT_SET_CACHE_OBJECT_LIMIT`.
  /// - Throws: ``GitError`` if libgit2 refuses the setting.
  public static func setTreeLimit(bytes: Int) throws(GitError) {
    _ = libgit2Initialized
    try check(
      git_incident_set_cache_object_limit(GIT_OBJECT_TREE, bytes), "git_libgit2_opts")
  }

  /// Caps the memory the object cache holds, in bytes (libgit2's default is 256 MiB).
  ///
  /// The corresponding libgit2 function is `git_libgit2_opts` with `GIT_OPT_SET_CACHE_MAX_SIZE`.
  /// - Throws: ``GitError`` if libgit2 refuses the setting.
  public static func setMaxSize(bytes: Int) throws(GitError) {
    _ = libgit2Initialized
    try check(git_incident_set_cache_max_size(bytes), "git_libgit2_opts")
  }
}
