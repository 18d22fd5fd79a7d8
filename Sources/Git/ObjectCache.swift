import Foundation
internal import CLibgit2

/// libgit2's in-memory object cache (process-wide).
public enum ObjectCache {
  /// libgit2's own limit for caching a tree: 4 KiB.
  public static let defaultTreeLimit = 4096

  /// The limit last set with ``setTreeLimit(bytes:)`` (``defaultTreeLimit`` until then).
  public static var treeLimit: Int { state.lock.withLock { state.treeLimit } }

  private final class State: @unchecked Sendable {
    let lock = NSLock()
    var treeLimit = ObjectCache.defaultTreeLimit
  }

  private static let state = State()

  /// Lets trees up to `bytes` large be cached (libgit2's default is 4 KiB, so a folder of more
  /// than about 90 entries, such as a year of incidents, is re-read and re-parsed on every
  /// lookup). Walks over many commits that read the same large folders call this first.
  ///
  /// The corresponding libgit2 function is `git_libgit2_opts` with
  /// `GIT_OPT_SET_CACHE_OBJECT_LIMIT`.
  /// - Throws: ``GitError`` if libgit2 refuses the setting.
  public static func setTreeLimit(bytes: Int) throws(GitError) {
    _ = libgit2Initialized
    state.lock.lock()
    defer { state.lock.unlock() }
    try check(
      git_incident_set_cache_object_limit(GIT_OBJECT_TREE, bytes), "git_libgit2_opts")
    state.treeLimit = bytes
  }

  /// Runs `body` with trees larger than libgit2's default limit left out of the cache, then
  /// sets the limit back: for a walk that reads many versions of a large tree once each (a
  /// year's folder in every commit that changed it), which would otherwise all stay cached
  /// (tens of MB, allocated page by page).
  ///
  /// The corresponding libgit2 function is `git_libgit2_opts` with
  /// `GIT_OPT_SET_CACHE_OBJECT_LIMIT`.
  public static func withoutLargeTrees<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    let previous = treeLimit
    guard previous > defaultTreeLimit else { return try body() }
    try? setTreeLimit(bytes: defaultTreeLimit)
    defer { try? setTreeLimit(bytes: previous) }
    return try body()
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
