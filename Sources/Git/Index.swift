internal import CLibgit2

/// The repository's index (the staging area).
///
/// Owns its `git_index` handle. Changes are kept in memory until ``write()``.
public final class Index {
  let pointer: OpaquePointer
  let repository: Repository

  init(pointer: OpaquePointer, repository: Repository) {
    self.pointer = pointer
    self.repository = repository
  }

  deinit { git_index_free(pointer) }

  /// The blob ID staged at `path` (stage 0), or nil when the path is not in the index.
  ///
  /// The corresponding libgit2 function is `git_index_get_bypath`.
  public func entryID(atPath path: String) -> ObjectID? {
    guard let entry = git_index_get_bypath(pointer, path, 0) else { return nil }
    return ObjectID(entry.pointee.id)
  }

  /// True when `path` has conflict entries (stages 1-3) from an unfinished merge.
  public func hasConflict(atPath path: String) -> Bool {
    (1...3).contains { git_index_get_bypath(pointer, path, Int32($0)) != nil }
  }

  /// Stages the work tree's file at `path` (reading and hashing it).
  ///
  /// The corresponding libgit2 function is `git_index_add_bypath`.
  public func add(path: String) throws(GitError) {
    try check(git_index_add_bypath(pointer, path), "git_index_add_bypath")
  }

  /// Removes `path` from the index.
  ///
  /// The corresponding libgit2 function is `git_index_remove_bypath`.
  public func remove(path: String) throws(GitError) {
    try check(git_index_remove_bypath(pointer, path), "git_index_remove_bypath")
  }

  /// Writes the index back to disk, under git's `index.lock`.
  ///
  /// The corresponding libgit2 function is `git_index_write`.
  public func write() throws(GitError) {
    try check(git_index_write(pointer), "git_index_write")
  }
}

@available(*, unavailable)
extension Index: Sendable {}
