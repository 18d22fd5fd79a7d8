import Foundation
internal import CLibgit2

/// A commit object.
///
/// Owns its `git_commit` handle and keeps its ``Repository`` alive.
public final class Commit {
  let pointer: OpaquePointer
  /// The repository this commit was read from.
  public let repository: Repository

  init(pointer: OpaquePointer, repository: Repository) {
    self.pointer = pointer
    self.repository = repository
  }

  deinit { git_commit_free(pointer) }

  /// This commit's ID.
  public var id: ObjectID { ObjectID(git_commit_id(pointer)) }

  /// The ID of the commit's root tree.
  public var treeID: ObjectID { ObjectID(git_commit_tree_id(pointer)) }

  /// The commit's root tree.
  ///
  /// The corresponding libgit2 function is `git_commit_tree`.
  public func tree() throws(GitError) -> Tree {
    var tree: OpaquePointer?
    try check(git_commit_tree(&tree, pointer), "git_commit_tree")
    return Tree(pointer: tree!, repository: repository)
  }

  /// The parents' IDs, first parent first.
  public var parentIDs: [ObjectID] {
    let count = git_commit_parentcount(pointer)
    return (0..<count).map { ObjectID(git_commit_parent_id(pointer, $0)) }
  }

  /// The full message, as stored.
  public var message: String { String(cString: git_commit_message(pointer)) }

  /// The first paragraph of the message, on one line.
  public var summary: String {
    guard let s = git_commit_summary(pointer) else { return "" }
    return String(cString: s)
  }

  /// The author.
  public var author: Signature { Signature(git_commit_author(pointer)) }

  /// The committer.
  public var committer: Signature { Signature(git_commit_committer(pointer)) }

  /// The message's trailers (`Key: value` lines of the last paragraph), in order.
  ///
  /// The corresponding libgit2 function is `git_message_trailers`.
  public var trailers: [(key: String, value: String)] { Self.trailers(of: message) }

  /// Parses the trailers of any commit message.
  ///
  /// The corresponding libgit2 function is `git_message_trailers`.
  public static func trailers(of message: String) -> [(key: String, value: String)] {
    _ = libgit2Initialized
    var array = git_message_trailer_array()
    guard git_message_trailers(&array, message) == 0 else { return [] }
    defer { git_message_trailer_array_free(&array) }
    var out: [(key: String, value: String)] = []
    for i in 0..<array.count {
      let t = array.trailers[i]
      out.append((String(cString: t.key), String(cString: t.value)))
    }
    return out
  }
}

@available(*, unavailable)
extension Commit: Sendable {}
