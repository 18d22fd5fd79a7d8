import Foundation
internal import CLibgit2

/// An open git repository, bare or with a work tree.
///
/// Owns its `git_repository` handle and frees it on deinit. Objects read from it (``Tree``,
/// ``Commit``) keep the repository alive. Not `Sendable`: use one per task.
public final class Repository {
  let pointer: OpaquePointer
  /// The index being read on another thread (``prefetchIndex()``), until ``index()`` takes it.
  private var pendingIndex: IndexPrefetch?

  private init(pointer: OpaquePointer) {
    self.pointer = pointer
  }

  deinit { git_repository_free(pointer) }

  /// Opens the repository at `path`, or (when `search` is true) the nearest one above it, as
  /// git does for `-C <path>`.
  ///
  /// The corresponding libgit2 function is `git_repository_open_ext`.
  /// - Throws: ``GitError`` with code `.notFound` when no repository is there.
  public static func open(at path: String, search: Bool = true) throws(GitError) -> Repository {
    _ = libgit2Initialized
    var repo: OpaquePointer?
    let flags = search ? UInt32(0) : GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue
    try check(git_repository_open_ext(&repo, path, flags, nil), "git_repository_open_ext")
    return Repository(pointer: repo!)
  }

  /// Creates a new repository at `path` (the folder is created when missing), with git's
  /// default initial branch (`init.defaultBranch` from config, else `master`).
  ///
  /// The corresponding libgit2 function is `git_repository_init`.
  /// - Throws: ``GitError`` when the folder cannot be written.
  public static func create(at path: String, bare: Bool = false) throws(GitError) -> Repository {
    _ = libgit2Initialized
    var repo: OpaquePointer?
    try check(git_repository_init(&repo, path, bare ? 1 : 0), "git_repository_init")
    return Repository(pointer: repo!)
  }

  /// True for a repository without a work tree.
  public var isBare: Bool { git_repository_is_bare(pointer) == 1 }

  /// True for a shallow clone (some history is missing).
  public var isShallow: Bool { git_repository_is_shallow(pointer) == 1 }

  /// The work tree's folder, without a trailing slash; nil for a bare repository.
  public var workingDirectory: String? {
    guard let p = git_repository_workdir(pointer) else { return nil }
    return String(cString: p).trimmingSlash()
  }

  /// The `.git` folder (or the bare repository's folder), without a trailing slash.
  public var gitDirectory: String { String(cString: git_repository_path(pointer)).trimmingSlash() }

  // MARK: HEAD and references

  /// Where HEAD points.
  public enum Head: Sendable, Equatable {
    /// HEAD names a branch (`refs/heads/...`); `tip` is nil while the branch has no commit.
    case branch(name: String, tip: ObjectID?)
    /// HEAD points at a commit directly.
    case detached(ObjectID)
  }

  /// Reads HEAD without requiring the branch to exist yet.
  ///
  /// The corresponding libgit2 functions are `git_reference_lookup` and
  /// `git_reference_symbolic_target`.
  public func head() throws(GitError) -> Head {
    var ref: OpaquePointer?
    try check(git_reference_lookup(&ref, pointer, "HEAD"), "git_reference_lookup")
    defer { git_reference_free(ref) }
    if git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC {
      let name = String(cString: git_reference_symbolic_target(ref))
      return .branch(name: name, tip: try referenceTarget(name))
    }
    return .detached(ObjectID(git_reference_target(ref)))
  }

  /// The commit a reference resolves to, or nil when it does not exist.
  ///
  /// The corresponding libgit2 function is `git_reference_name_to_id`.
  public func referenceTarget(_ name: String) throws(GitError) -> ObjectID? {
    var oid = git_oid()
    let rc = git_reference_name_to_id(&oid, pointer, name)
    if rc == GIT_ENOTFOUND.rawValue { return nil }
    try check(rc, "git_reference_name_to_id")
    return ObjectID(oid)
  }

  /// Moves (or creates) a reference with a compare-and-swap on its old value.
  ///
  /// - Parameters:
  ///   - name: the full reference name, for example `refs/heads/main`.
  ///   - target: the new commit.
  ///   - expected: the value read before; nil means the reference must not exist yet.
  ///   - message: the reflog message.
  /// - Throws: ``GitError`` with code `.modified` or `.exists` when another writer moved the
  ///   reference first; the caller re-reads and retries.
  ///
  /// The corresponding libgit2 functions are `git_reference_create_matching` and (for a new
  /// reference) `git_reference_create` with `force` 0.
  public func updateReference(
    _ name: String, to target: ObjectID, expecting expected: ObjectID?, message: String
  ) throws(GitError) {
    var ref: OpaquePointer?
    var new = target.raw
    if var old = expected?.raw {
      try check(
        git_reference_create_matching(&ref, pointer, name, &new, 1, &old, message),
        "git_reference_create_matching")
    } else {
      try check(git_reference_create(&ref, pointer, name, &new, 0, message), "git_reference_create")
    }
    git_reference_free(ref)
  }

  /// Resolves a revision expression (`HEAD~2`, a hex ID, a branch) to a commit ID.
  ///
  /// The corresponding libgit2 function is `git_revparse_single`.
  /// - Throws: ``GitError`` `.notFound` when nothing matches.
  public func resolveCommit(_ spec: String) throws(GitError) -> ObjectID {
    var object: OpaquePointer?
    try check(git_revparse_single(&object, pointer, spec), "git_revparse_single")
    defer { git_object_free(object) }
    var peeled: OpaquePointer?
    try check(git_object_peel(&peeled, object, GIT_OBJECT_COMMIT), "git_object_peel")
    defer { git_object_free(peeled) }
    return ObjectID(git_object_id(peeled))
  }

  /// True when `ancestor` is `descendant` or one of its ancestors.
  ///
  /// The corresponding libgit2 function is `git_graph_descendant_of`.
  public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws(GitError) -> Bool {
    if ancestor == descendant { return true }
    var a = ancestor.raw
    var d = descendant.raw
    return try check(git_graph_descendant_of(pointer, &d, &a), "git_graph_descendant_of") == 1
  }

  // MARK: Objects

  /// The bytes of a blob.
  ///
  /// The corresponding libgit2 functions are `git_blob_lookup` and `git_blob_rawcontent`.
  /// - Throws: ``GitError`` `.notFound` when there is no such blob.
  public func blob(_ id: ObjectID) throws(GitError) -> Data {
    var blob: OpaquePointer?
    var oid = id.raw
    try check(git_blob_lookup(&blob, pointer, &oid), "git_blob_lookup")
    defer { git_blob_free(blob) }
    let size = Int(git_blob_rawsize(blob))
    guard size > 0, let raw = git_blob_rawcontent(blob) else { return Data() }
    return Data(bytes: raw, count: size)
  }

  /// Writes a blob and returns its ID (an existing identical blob is reused).
  ///
  /// The corresponding libgit2 function is `git_blob_create_from_buffer`.
  public func createBlob(_ data: Data) throws(GitError) -> ObjectID {
    var oid = git_oid()
    let rc = data.withUnsafeBytes { buffer in
      git_blob_create_from_buffer(&oid, pointer, buffer.baseAddress, buffer.count)
    }
    try check(rc, "git_blob_create_from_buffer")
    return ObjectID(oid)
  }

  /// Looks up a tree.
  ///
  /// The corresponding libgit2 function is `git_tree_lookup`.
  public func tree(_ id: ObjectID) throws(GitError) -> Tree {
    var tree: OpaquePointer?
    var oid = id.raw
    try check(git_tree_lookup(&tree, pointer, &oid), "git_tree_lookup")
    return Tree(pointer: tree!, repository: self)
  }

  /// Looks up a commit.
  ///
  /// The corresponding libgit2 function is `git_commit_lookup`.
  public func commit(_ id: ObjectID) throws(GitError) -> Commit {
    var commit: OpaquePointer?
    var oid = id.raw
    try check(git_commit_lookup(&commit, pointer, &oid), "git_commit_lookup")
    return Commit(pointer: commit!, repository: self)
  }

  /// One change to a tree: write a blob at a path, or remove the path.
  public enum TreeUpdate: Sendable {
    /// Adds or replaces a regular file (mode 100644) at the slash-separated path.
    case upsert(path: String, blob: ObjectID)
    /// Removes the file at the path (a missing path is an error).
    case remove(path: String)
  }

  /// Builds a new tree from `base` (nil to start from nothing) with `updates` applied, creating
  /// intermediate trees as needed, and returns its ID. Only the trees on the updated paths are
  /// rewritten.
  ///
  /// The corresponding libgit2 function is `git_tree_create_updated`.
  public func createTree(updating base: ObjectID?, with updates: [TreeUpdate]) throws(GitError)
    -> ObjectID
  {
    // libgit2 starts from an empty tree builder when the baseline is NULL, so an unborn branch
    // writes no stray empty-tree object.
    var baseTree: Tree?
    if let base { baseTree = try tree(base) }
    var cPaths: [UnsafeMutablePointer<CChar>] = []
    defer { cPaths.forEach { free($0) } }
    var raw: [git_tree_update] = []
    for update in updates {
      var u = git_tree_update()
      switch update {
      case .upsert(let path, let blob):
        u.action = GIT_TREE_UPDATE_UPSERT
        u.id = blob.raw
        u.filemode = GIT_FILEMODE_BLOB
        let p = strdup(path)!
        cPaths.append(p)
        u.path = UnsafePointer(p)
      case .remove(let path):
        u.action = GIT_TREE_UPDATE_REMOVE
        u.filemode = GIT_FILEMODE_BLOB
        let p = strdup(path)!
        cPaths.append(p)
        u.path = UnsafePointer(p)
      }
      raw.append(u)
    }
    var oid = git_oid()
    try check(
      git_tree_create_updated(&oid, pointer, baseTree?.pointer, raw.count, &raw),
      "git_tree_create_updated")
    return ObjectID(oid)
  }

  /// The ID of the empty tree, writing it when the object database lacks it.
  ///
  /// The corresponding libgit2 functions are `git_treebuilder_new` and `git_treebuilder_write`.
  public func emptyTreeID() throws(GitError) -> ObjectID {
    var builder: OpaquePointer?
    try check(git_treebuilder_new(&builder, pointer, nil), "git_treebuilder_new")
    defer { git_treebuilder_free(builder) }
    var oid = git_oid()
    try check(git_treebuilder_write(&oid, builder), "git_treebuilder_write")
    return ObjectID(oid)
  }

  /// Writes a commit object without moving any reference; returns its ID.
  ///
  /// The corresponding libgit2 function is `git_commit_create` with a NULL `update_ref`.
  public func createCommit(
    tree: ObjectID, parents: [ObjectID], author: Signature, committer: Signature, message: String
  ) throws(GitError) -> ObjectID {
    var oid = git_oid()
    try withCommitInputs(tree: tree, parents: parents, author: author, committer: committer) {
      (treePointer, authorSig, committerSig, parentPointers, count) throws(GitError) in
      try check(
        git_commit_create(
          &oid, pointer, nil, authorSig, committerSig, nil, message, treePointer, count,
          parentPointers),
        "git_commit_create")
    }
    return ObjectID(oid)
  }

  /// Looks up the tree and parents and makes the two signatures a commit needs, keeping them
  /// alive (and freeing the signatures) around `body`; shared by commit creation and
  /// ``commitBuffer(tree:parents:author:committer:message:)``.
  func withCommitInputs(
    tree: ObjectID, parents: [ObjectID], author: Signature, committer: Signature,
    _ body: (
      OpaquePointer?, UnsafeMutablePointer<git_signature>, UnsafeMutablePointer<git_signature>,
      UnsafeMutablePointer<OpaquePointer?>?, Int
    ) throws(GitError) -> Void
  ) throws(GitError) {
    let treeObject = try self.tree(tree)
    var parentCommits: [Commit] = []
    for id in parents { parentCommits.append(try commit(id)) }
    let authorSig = try author.makeRaw()
    defer { git_signature_free(authorSig) }
    let committerSig = try committer.makeRaw()
    defer { git_signature_free(committerSig) }
    var parentPointers: [OpaquePointer?] = parentCommits.map { $0.pointer }
    let count = parentPointers.count
    try withExtendedLifetime((treeObject, parentCommits)) { () throws(GitError) in
      try parentPointers.withUnsafeMutableBufferPointer { buffer throws(GitError) in
        try body(treeObject.pointer, authorSig, committerSig, buffer.baseAddress, count)
      }
    }
  }

  // MARK: Work tree

  /// The blob ID the work tree's file at `path` would have, after git's filters (line endings);
  /// nil when the file does not exist. Bare repositories have no work tree and return nil.
  ///
  /// The corresponding libgit2 function is `git_repository_hashfile`.
  public func hashWorkingFile(_ path: String) throws(GitError) -> ObjectID? {
    guard let workdir = workingDirectory else { return nil }
    let full = workdir + "/" + path
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue
    else { return nil }
    // The filters' attribute lookups read the index: the one being read, not a second copy.
    try installPendingIndex()
    var oid = git_oid()
    try check(
      git_repository_hashfile(&oid, pointer, path, GIT_OBJECT_BLOB, nil), "git_repository_hashfile")
    return ObjectID(oid)
  }

  /// Whether the work tree's file at `path` holds `blob` (nil: there is no file), as git sees
  /// it: a regular file with exactly the blob's bytes does; otherwise the file is hashed
  /// after git's filters (line endings, `.gitattributes`) by ``hashWorkingFile(_:)``.
  ///
  /// The byte-for-byte comparison reads no index, so a read started by ``prefetchIndex()``
  /// goes on meanwhile (git's filters look up `.gitattributes` in the index too).
  ///
  /// The corresponding libgit2 functions are `git_odb_hash`, then `git_repository_hashfile`.
  /// - Throws: ``GitError`` when the file cannot be read.
  public func workingFile(_ path: String, holds blob: ObjectID?) throws(GitError) -> Bool {
    guard let workdir = workingDirectory else { return blob == nil }
    var st = stat()
    let full = workdir + "/" + path
    if lstat(full, &st) == 0 {
      let type = st.st_mode & S_IFMT
      // A folder is no file; a named pipe, socket or device is never a record, and reading
      // one would block or never end.
      if type == S_IFDIR { return blob == nil }
      if type != S_IFREG && type != S_IFLNK { return false }
      var target = stat()
      if type == S_IFLNK, stat(full, &target) != 0 || target.st_mode & S_IFMT != S_IFREG { return false }
    }
    if let blob {
      if st.st_mode & S_IFMT == S_IFREG, st.st_size < 64 << 20,
        let bytes = FileManager.default.contents(atPath: full),
        ObjectID.blob(hashing: bytes) == blob
      {
        return true
      }
    }
    return try hashWorkingFile(path) == blob
  }

  /// The repository's index (staging area). Nil for a bare repository.
  ///
  /// Waits for a read started by ``prefetchIndex()`` and installs what it read.
  ///
  /// The corresponding libgit2 function is `git_repository_index`.
  public func index() throws(GitError) -> Index? {
    guard !isBare else { return nil }
    try installPendingIndex()
    var index: OpaquePointer?
    try check(git_repository_index(&index, pointer), "git_repository_index")
    return Index(pointer: index!, repository: self)
  }

  /// Waits for a read started by ``prefetchIndex()`` and makes what it read the repository's
  /// index; nothing when none is under way.
  private func installPendingIndex() throws(GitError) {
    if let pending = pendingIndex {
      pendingIndex = nil
      if let read = pending.take(for: gitDirectory) {
        // What git_repository_index does after its own git_index_open: the repository owns the
        // index (and keeps a reference), whose case, file mode and symlink handling follow the
        // repository's config (core.ignorecase, core.filemode, core.symlinks).
        defer { git_index_free(read) }
        try check(git_repository_set_index(pointer, read), "git_repository_set_index")
        try check(
          git_index_set_caps(read, GIT_INDEX_CAPABILITY_FROM_OWNER.rawValue), "git_index_set_caps")
      }
    }
  }

  /// Starts reading the index file on another thread, so that the next ``index()`` (which
  /// waits for it) does not read it then: for a caller that has other work to do first, as a
  /// change computes its commit before it checks the index. Takes over the read
  /// ``prefetchIndex(forRepositoryAt:)`` started, if any (a read of another repository's index
  /// is then dropped by ``index()``). Does nothing for a bare repository or when a read is
  /// already under way.
  ///
  /// Call it only when nothing before that ``index()`` uses the repository's index through
  /// libgit2 (status, checkout, merge): ``index()`` installs the file as read, which would
  /// replace an index libgit2 loaded for them in between. Costs one thread for as long as the
  /// read takes (15 ms for 20,000 entries); the opened index is freed when never taken.
  ///
  /// The corresponding libgit2 functions are `git_index_open` (on the other thread), then
  /// `git_repository_set_index` and `git_index_set_caps` in ``index()``.
  public func prefetchIndex() {
    guard !isBare, pendingIndex == nil else { return }
    pendingIndex = IndexPrefetch.takeEarly() ?? IndexPrefetch(gitDirectory: gitDirectory)
  }

  /// Starts finding the repository at or above `path` and reading its index on another
  /// thread, before anything has opened it: a command that will change records starts this
  /// first thing, so the read (15 ms at 10,000 incidents) overlaps the parsing of its
  /// arguments and the computing of the change. The first ``prefetchIndex()`` in this
  /// process takes it over. A process that never calls it frees nothing (the read's index
  /// stays until the process exits); call it only where a change is about to be made.
  ///
  /// The corresponding libgit2 functions are `git_repository_open_ext` and `git_index_open`.
  public static func prefetchIndex(forRepositoryAt path: String) {
    IndexPrefetch.startEarly(discoveringFrom: path)
  }

  /// A read-only snapshot of the configuration at every level (repository, global, XDG,
  /// system), as git reads it.
  ///
  /// The corresponding libgit2 function is `git_repository_config_snapshot`.
  public func config() throws(GitError) -> Config {
    var config: OpaquePointer?
    try check(git_repository_config_snapshot(&config, pointer), "git_repository_config_snapshot")
    return Config(pointer: config!)
  }

  /// Sets a value in the repository's own configuration file (`.git/config`).
  ///
  /// The corresponding libgit2 function is `git_config_set_string`.
  public func setLocalConfig(_ key: String, _ value: String) throws(GitError) {
    var config: OpaquePointer?
    try check(git_repository_config(&config, pointer), "git_repository_config")
    defer { git_config_free(config) }
    var local: OpaquePointer?
    try check(
      git_config_open_level(&local, config, GIT_CONFIG_LEVEL_LOCAL), "git_config_open_level")
    defer { git_config_free(local) }
    try check(git_config_set_string(local, key, value), "git_config_set_string")
  }
}

@available(*, unavailable)
extension Repository: Sendable {}

extension String {
  func trimmingSlash() -> String {
    var s = self
    while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
    return s
  }
}
