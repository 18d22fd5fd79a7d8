internal import CLibgit2

/// Process-wide libgit2 settings for reading speed. They apply to every repository opened
/// afterwards in this process.
public enum LibraryOptions {
  /// Whether every object read from the object database is hashed again and compared with its
  /// ID (libgit2's default is on; git's own CLI does not do this on ordinary reads and leaves
  /// it to `git fsck`). Turning it off saves a SHA-1 of every object read, which for large
  /// trees (a year's folder of incidents) is most of the cost of walking history.
  ///
  /// The corresponding libgit2 function is `git_libgit2_opts` with
  /// `GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION`.
  public static func setStrictHashVerification(_ enabled: Bool) {
    _ = libgit2Initialized
    _ = clibgit2_set_strict_hash_verification(enabled ? 1 : 0)
  }

  /// The largest tree, in bytes, that libgit2 keeps in its object cache (default 4096). Trees
  /// that list thousands of incidents are larger, and are otherwise inflated and parsed again
  /// on every path lookup through them.
  ///
  /// The corresponding libgit2 function is `git_libgit2_opts` with
  /// `GIT_OPT_SET_CACHE_OBJECT_LIMIT` for `GIT_OBJECT_TREE`.
  public static func setTreeCacheLimit(bytes: Int) {
    _ = libgit2Initialized
    _ = clibgit2_set_cache_object_limit(GIT_OBJECT_TREE, bytes)
  }
}
