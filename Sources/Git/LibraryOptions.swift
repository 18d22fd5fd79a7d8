internal import CLibgit2

/// Process-wide libgit2 settings for reading speed (see also ``ObjectCache``). They apply to
/// every repository opened afterwards in this process.
public enum LibraryOptions {
  /// Whether every object read from the object database is hashed again and compared with its
  /// ID (libgit2's default is on; git's own CLI does not do this on ordinary reads and leaves
  /// it to `git fsck`). Turning it off saves a SHA-1 of every object read, which for large
  /// trees (a year's folder of incidents) was a quarter of the cost of walking history.
  ///
  /// The corresponding libgit2 function is `git_libgit2_opts` with
  /// `GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION`.
  /// - Throws: ``GitError`` if libgit2 refuses the setting.
  public static func setStrictHashVerification(_ enabled: Bool) throws(GitError) {
    _ = libgit2Initialized
    try check(
      git_incident_set_strict_hash_verification(enabled ? 1 : 0), "git_libgit2_opts")
  }
}
