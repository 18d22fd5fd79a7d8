internal import CLibgit2

/// A tree object: one folder of a commit's snapshot.
///
/// Owns its `git_tree` handle and keeps its ``Repository`` alive.
public final class Tree {
  let pointer: OpaquePointer
  /// The repository this tree was read from.
  public let repository: Repository

  init(pointer: OpaquePointer, repository: Repository) {
    self.pointer = pointer
    self.repository = repository
  }

  deinit { git_tree_free(pointer) }

  /// This tree's ID.
  public var id: ObjectID { ObjectID(git_tree_id(pointer)) }

  /// One entry of a tree.
  public struct Entry: Sendable, Equatable {
    /// What an entry holds.
    public enum Kind: Sendable, Equatable {
      /// A file (regular or executable) or a symbolic link.
      case blob
      /// A subfolder.
      case tree
      /// A submodule's commit or anything else.
      case other
    }

    /// The entry's name within its folder.
    public var name: String
    /// The object the entry points at.
    public var id: ObjectID
    /// Blob, tree or other.
    public var kind: Kind
    /// git's file mode: `0o100644` a file, `0o100755` an executable file, `0o120000` a
    /// symbolic link, `0o040000` a folder, `0o160000` a submodule.
    public var mode: UInt32
  }

  /// The entries of this folder, in git's order (by name).
  ///
  /// The corresponding libgit2 functions are `git_tree_entrycount` and `git_tree_entry_byindex`.
  public var entries: [Entry] {
    let count = git_tree_entrycount(pointer)
    var out: [Entry] = []
    out.reserveCapacity(count)
    for i in 0..<count {
      out.append(Self.makeEntry(git_tree_entry_byindex(pointer, i)))
    }
    return out
  }

  /// The entry at a slash-separated path below this tree, or nil when there is none.
  ///
  /// The corresponding libgit2 function is `git_tree_entry_bypath`.
  public func entry(atPath path: String) -> Entry? {
    var entry: OpaquePointer?
    guard git_tree_entry_bypath(&entry, pointer, path) == 0, let entry else { return nil }
    defer { git_tree_entry_free(entry) }
    return Self.makeEntry(entry)
  }

  /// The subtree at a path, or nil when the path is missing or not a folder.
  public func subtree(atPath path: String) throws(GitError) -> Tree? {
    guard let entry = entry(atPath: path), entry.kind == .tree else { return nil }
    return try repository.tree(entry.id)
  }

  /// The corresponding libgit2 functions are `git_tree_entry_name`, `git_tree_entry_id`,
  /// `git_tree_entry_type` and `git_tree_entry_filemode`.
  static func makeEntry(_ entry: OpaquePointer?) -> Entry {
    let name = String(cString: git_tree_entry_name(entry))
    let id = ObjectID(git_tree_entry_id(entry))
    let kind: Entry.Kind
    switch git_tree_entry_type(entry) {
    case GIT_OBJECT_BLOB: kind = .blob
    case GIT_OBJECT_TREE: kind = .tree
    default: kind = .other
    }
    return Entry(name: name, id: id, kind: kind, mode: git_tree_entry_filemode(entry).rawValue)
  }
}

@available(*, unavailable)
extension Tree: Sendable {}
