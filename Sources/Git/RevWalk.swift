internal import CLibgit2

/// Walks commits reachable from a starting point, as `git rev-list` does.
///
/// Use it as a `Sequence` of commit IDs. Owns its `git_revwalk` handle.
public final class RevWalk: Sequence, IteratorProtocol {
  let pointer: OpaquePointer
  let repository: Repository

  /// Starts a walk from `tip`.
  ///
  /// - Parameters:
  ///   - oldestFirst: when true, parents come before children (`git log --reverse --topo-order`);
  ///     otherwise newest first in topological order.
  ///   - hiding: commits whose ancestors (and themselves) are left out, as `^rev` does.
  ///
  /// The corresponding libgit2 functions are `git_revwalk_new`, `git_revwalk_sorting`,
  /// `git_revwalk_push` and `git_revwalk_hide`.
  public init(
    repository: Repository, from tip: ObjectID, oldestFirst: Bool = false,
    hiding: [ObjectID] = []
  ) throws(GitError) {
    var walk: OpaquePointer?
    try check(git_revwalk_new(&walk, repository.pointer), "git_revwalk_new")
    self.pointer = walk!
    self.repository = repository
    var mode = GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue
    if oldestFirst { mode |= GIT_SORT_REVERSE.rawValue }
    try check(git_revwalk_sorting(pointer, mode), "git_revwalk_sorting")
    var oid = tip.raw
    try check(git_revwalk_push(pointer, &oid), "git_revwalk_push")
    for hidden in hiding {
      var h = hidden.raw
      try check(git_revwalk_hide(pointer, &h), "git_revwalk_hide")
    }
  }

  deinit { git_revwalk_free(pointer) }

  /// The next commit ID, or nil at the end (errors end the walk).
  ///
  /// The corresponding libgit2 function is `git_revwalk_next`.
  public func next() -> ObjectID? {
    var oid = git_oid()
    guard git_revwalk_next(&oid, pointer) == 0 else { return nil }
    return ObjectID(oid)
  }
}

@available(*, unavailable)
extension RevWalk: Sendable {}
