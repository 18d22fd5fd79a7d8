import Foundation
internal import CLibgit2

/// Writes a chain of trees, each one the previous one with some files added or replaced, as a
/// long series of commits needs (an import of thousands of incidents into one growing folder).
///
/// ``Repository/createTree(updating:with:)`` starts every tree from the stored previous one:
/// it reads and parses each folder on the written paths and copies all its entries into a new
/// tree builder, so a chain of `n` commits into one folder costs `n` reads, parses and copies
/// of a folder growing to `n` entries. A chain keeps one tree builder per folder it has
/// touched, alive from one tree to the next: a tree is a few insertions, then each changed
/// folder written once, deepest first. The trees written are the same objects, byte for byte,
/// as ``Repository/createTree(updating:with:)`` writes (git's tree format depends only on the
/// entries, which the builder sorts).
///
/// Not `Sendable`: use it on the task that owns its ``Repository``.
///
/// The corresponding libgit2 functions are `git_treebuilder_new`, `git_treebuilder_insert`,
/// `git_treebuilder_get` and `git_treebuilder_write`.
public final class TreeChain {
  /// The repository the trees are written to.
  public let repository: Repository
  /// One builder per folder path ("" is the root), holding that folder's current entries.
  private var builders: [String: OpaquePointer] = [:]

  /// Where the folders the chain starts from are read.
  let reader: Repository

  /// Starts a chain from `base` (nil to start from an empty tree), writing to `repository`.
  ///
  /// - Parameters:
  ///   - repository: where the trees are written.
  ///   - reader: where `base` and its folders are read; `repository` when nil. A chain reads
  ///     only folders of `base`: a folder it wrote keeps its builder.
  ///   - base: the tree the first ``write(_:)`` starts from.
  /// - Throws: ``GitError`` when `base` cannot be read.
  public init(repository: Repository, reading reader: Repository? = nil, base: ObjectID?) throws(GitError) {
    self.repository = repository
    self.reader = reader ?? repository
    var root: OpaquePointer?
    if let base {
      let tree = try self.reader.tree(base)
      try check(git_treebuilder_new(&root, repository.pointer, tree.pointer), "git_treebuilder_new")
    } else {
      try check(git_treebuilder_new(&root, repository.pointer, nil), "git_treebuilder_new")
    }
    builders[""] = root!
  }

  deinit {
    for builder in builders.values { git_treebuilder_free(builder) }
  }

  /// A tree written by ``write(_:)``: its ID and folder path ("" for the root).
  public struct Written: Sendable, Equatable {
    /// The tree's ID.
    public var id: ObjectID
    /// The folder's slash-separated path; "" for the root.
    public var path: String
  }

  /// Adds or replaces regular files (mode 100644) at the slash-separated paths, creating
  /// folders as needed, writes every folder that changed (deepest first) and returns the new
  /// root tree's ID and the trees written, root last.
  ///
  /// - Throws: ``GitError`` when a path is empty, ends in a slash, or passes through a file
  ///   (an entry that is not a folder), or when libgit2 fails to write.
  public func write(_ files: [(path: String, blob: ObjectID)]) throws(GitError)
    -> (tree: ObjectID, written: [Written])
  {
    var dirty: Set<String> = [""]  // the root is always written, even for no files
    for file in files {
      let (folder, name) = Self.split(file.path)
      guard !name.isEmpty else {
        throw GitError(code: .other(-1), function: "TreeChain.write", message: "invalid path '\(file.path)'")
      }
      let builder = try self.builder(folder)
      var oid = file.blob.raw
      try check(
        git_treebuilder_insert(nil, builder, name, &oid, GIT_FILEMODE_BLOB), "git_treebuilder_insert")
      var path = folder
      while dirty.insert(path).inserted, !path.isEmpty { path = Self.split(path).folder }
    }
    // Deepest folders first, so each folder holds its subfolders' new trees when written.
    let order = dirty.sorted {
      let a = $0.utf8.count(where: { $0 == UInt8(ascii: "/") }) + ($0.isEmpty ? 0 : 1)
      let b = $1.utf8.count(where: { $0 == UInt8(ascii: "/") }) + ($1.isEmpty ? 0 : 1)
      return a != b ? a > b : $0 < $1
    }
    var written: [Written] = []
    var root = git_oid()
    for folder in order {
      var oid = git_oid()
      try check(git_treebuilder_write(&oid, builders[folder]!), "git_treebuilder_write")
      written.append(Written(id: ObjectID(oid), path: folder))
      if folder.isEmpty {
        root = oid
      } else {
        let (parent, name) = Self.split(folder)
        try check(
          git_treebuilder_insert(nil, builders[parent]!, name, &oid, GIT_FILEMODE_TREE),
          "git_treebuilder_insert")
      }
    }
    return (ObjectID(root), written)
  }

  /// The builder of `folder`, made from the folder's tree in its parent's builder (or empty
  /// when the parent has no such entry).
  private func builder(_ folder: String) throws(GitError) -> OpaquePointer {
    if let builder = builders[folder] { return builder }
    let (parentPath, name) = Self.split(folder)
    let parent = try builder(parentPath)
    var made: OpaquePointer?
    if let entry = git_treebuilder_get(parent, name) {
      guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else {
        throw GitError(
          code: .other(-1), function: "TreeChain.write",
          message: "'\(folder)' is a file, not a folder")
      }
      let tree = try reader.tree(ObjectID(git_tree_entry_id(entry)))
      try check(git_treebuilder_new(&made, repository.pointer, tree.pointer), "git_treebuilder_new")
    } else {
      try check(git_treebuilder_new(&made, repository.pointer, nil), "git_treebuilder_new")
    }
    builders[folder] = made!
    return made!
  }

  /// `a/b/c` -> (`a/b`, `c`); `c` -> ("", `c`).
  static func split(_ path: String) -> (folder: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    return (String(path[..<slash]), String(path[path.index(after: slash)...]))
  }
}

@available(*, unavailable)
extension TreeChain: Sendable {}
