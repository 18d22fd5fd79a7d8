import Dispatch
import Foundation
internal import CLibgit2

/// An object to write into a pack of ``Repository/withObjectBatch(copying:_:)``.
public struct PackedObject: Sendable, Equatable {
  /// The object's ID.
  public var id: ObjectID
  /// The path the object was written at (a file's or folder's slash-separated path, "" for a
  /// root tree), or nil for a commit. libgit2 groups objects of the same path when it looks
  /// for delta bases, as `git pack-objects` does.
  public var path: String?

  /// An object to pack, written at `path`.
  public init(id: ObjectID, path: String?) {
    self.id = id
    self.path = path
  }
}

extension Repository {
  /// Runs `body` with an ``ObjectBatch``: a handle on this repository whose object database is
  /// only an in-memory store, and the list of objects to pack. Then writes the listed objects to
  /// this repository's object database as pack files (with their indexes), as `git
  /// fast-import` does, instead of one loose file per object.
  ///
  /// `body` writes through ``ObjectBatch/writer`` and lists (``ObjectBatch/list(_:)``) every
  /// object the new commits need that it wrote: its commits, their new trees and blobs
  /// (``TreeChain/write(_:)`` returns the trees it wrote). Objects written but not listed are
  /// dropped; a listed object that was already on disk is packed again (a harmless duplicate
  /// that `git gc` removes). Listing the objects, rather than letting libgit2 find what the new
  /// commits reach (`git_mempack_dump`, which walks the whole tree of every new commit, so a
  /// chain of `n` commits into a growing folder visits `n²/2` entries), keeps the work
  /// proportional to what was written.
  ///
  /// A long batch can be cut into parts (``ObjectBatch/seal(keeping:)``): each part's objects
  /// are packed on another thread while `body` goes on writing the next part; the last part is
  /// packed when `body` returns. One pack per part.
  ///
  /// The handle sees only what is in memory: the objects of `existing` (read from disk and
  /// copied in first, not packed again; for example the parent of the first new commit, which
  /// `git_commit_create` checks exists), what `body` wrote in the current part, and what the
  /// last seal kept; read anything else through this repository (``TreeChain`` reads its
  /// starting folders through its `reading` repository). So a write costs no file-system call:
  /// libgit2 looks for every object it writes in each backend of the database, which for the
  /// on-disk ones is an `utime` of the loose file and, on a miss, a rescan of the pack folder.
  ///
  /// When `body` throws, nothing more is written: the current part is dropped, and parts sealed
  /// before may already be on disk as packs of objects nothing refers to (`git gc` removes
  /// them). The handle is discarded afterwards.
  ///
  /// - Parameters:
  ///   - existing: objects already in this repository that `body` reads through the handle.
  ///   - body: writes through the batch's handle and lists the objects to pack.
  /// - Returns: what `body` returned.
  /// - Throws: ``GitError`` when an object of `existing` cannot be read, from `body`, or from
  ///   writing a pack.
  ///
  /// The corresponding libgit2 functions are `git_odb_new`, `git_mempack_new`,
  /// `git_odb_add_backend`, `git_repository_set_odb`, `git_config_open_ondisk`,
  /// `git_repository_set_config`, `git_packbuilder_new`,
  /// `git_packbuilder_insert`, `git_packbuilder_write_buf` and `git_odb_write_pack`.
  public func withObjectBatch<T>(
    copying existing: [ObjectID], _ body: (_ batch: ObjectBatch) throws(GitError) -> T
  ) throws(GitError) -> T {
    let batch = try ObjectBatch(target: self, copying: existing)
    let result: T
    do {
      result = try body(batch)
    } catch {
      batch.abandon()
      throw error
    }
    try batch.finish()
    return result
  }

  /// ``withObjectBatch(copying:_:)`` in one part: `body` gets the in-memory handle and appends
  /// the objects to pack to its second argument.
  public func withObjectsInMemory<T>(
    copying existing: [ObjectID],
    _ body: (_ writer: Repository, _ pack: inout [PackedObject]) throws(GitError) -> T
  ) throws(GitError) -> T {
    try withObjectBatch(copying: existing) { (batch: ObjectBatch) throws(GitError) -> T in
      var listed: [PackedObject] = []
      let result = try body(batch.writer, &listed)
      batch.list(listed)
      return result
    }
  }
}

/// Objects written into memory and packed in parts: see
/// ``Repository/withObjectBatch(copying:_:)``.
///
/// Not `Sendable`: use it on the task that runs the batch's body.
public final class ObjectBatch {
  /// The handle to write through. Its object database is the current part's in-memory store.
  public let writer: Repository
  /// The repository the packs go to.
  let target: Repository
  /// The current part's in-memory object database (this batch's reference to it).
  private var memory: OpaquePointer
  /// The current part's objects to pack.
  private var listed: [PackedObject] = []
  /// Packs the sealed parts, one after the other, on another thread.
  private let queue = DispatchQueue(label: "git-incident.pack")
  private let sealed = DispatchGroup()
  private let failure = FailureSlot()
  private var parts = 0

  init(target: Repository, copying existing: [ObjectID]) throws(GitError) {
    self.target = target
    writer = try Repository.open(at: target.gitDirectory, search: false)
    memory = try Self.newMemory()
    try check(git_repository_set_odb(writer.pointer, memory), "git_repository_set_odb")
    var disk: OpaquePointer?
    try check(git_repository_odb(&disk, target.pointer), "git_repository_odb")
    defer { git_odb_free(disk) }
    try Self.copy(existing, from: disk!, to: memory)
  }

  deinit {
    sealed.wait()
    git_odb_free(memory)
  }

  /// Adds objects written through ``writer`` to the current part's pack.
  public func list(_ objects: [PackedObject]) {
    listed += objects
  }

  /// Ends the current part: its listed objects are packed on another thread while writing
  /// goes on into a new, empty in-memory store, into which the objects of `kept` are copied
  /// first (for example the last commit, the parent of the next one). Trees and blobs of the
  /// ended part are no longer readable through ``writer``; a ``TreeChain`` only inserts their
  /// IDs. Nothing happens when nothing was listed.
  ///
  /// - Throws: ``GitError`` when an object of `kept` is not in the current part, or when a
  ///   part sealed before could not be packed.
  public func seal(keeping kept: [ObjectID]) throws(GitError) {
    if let error = failure.error { throw error }
    guard !listed.isEmpty else { return }
    let next = try Self.newMemory()
    do {
      try Self.copy(kept, from: memory, to: next)
    } catch {
      git_odb_free(next)
      throw error
    }
    let part = try Part(gitDirectory: target.gitDirectory, memory: memory, objects: listed)
    listed = []
    try check(git_repository_set_odb(writer.pointer, next), "git_repository_set_odb")
    git_odb_free(memory)
    memory = next
    parts += 1
    let failure = failure
    queue.async(group: sealed) {
      // Parts are packed in order; after a failure the others are dropped.
      guard failure.error == nil else { return }
      do throws(GitError) {
        try part.pack(threads: 1)
      } catch {
        failure.record(error)
      }
    }
  }

  /// Packs the current part here while the other thread finishes the sealed ones, then waits
  /// for them.
  func finish() throws(GitError) {
    var ownError: GitError?
    if !listed.isEmpty {
      do throws(GitError) {
        let part = try Part(gitDirectory: target.gitDirectory, memory: memory, objects: listed)
        listed = []
        // Alone, a part's delta search may use every core.
        try part.pack(threads: parts == 0 ? 0 : 1)
      } catch {
        ownError = error
      }
    }
    sealed.wait()
    if let error = failure.error ?? ownError { throw error }
  }

  /// Drops the current part and lets the sealed ones finish.
  func abandon() {
    listed = []
    sealed.wait()
  }

  /// A new object database whose only backend is an in-memory store (`git_mempack_new`).
  private static func newMemory() throws(GitError) -> OpaquePointer {
    var memory: OpaquePointer?
    try check(git_odb_new(&memory), "git_odb_new")
    var backend: OpaquePointer?
    do {
      try check(git_mempack_new(&backend), "git_mempack_new")
      // The object database owns the backend from here on and frees it with itself.
      try check(git_odb_add_backend(memory, backend, 999), "git_odb_add_backend")
    } catch {
      git_odb_free(memory)
      throw error
    }
    return memory!
  }

  /// Copies objects from one object database to another.
  private static func copy(_ ids: [ObjectID], from source: OpaquePointer, to destination: OpaquePointer)
    throws(GitError)
  {
    for id in ids {
      var oid = id.raw
      var object: OpaquePointer?
      try check(git_odb_read(&object, source, &oid), "git_odb_read")
      defer { git_odb_object_free(object) }
      var copied = git_oid()
      try check(
        git_odb_write(
          &copied, destination, git_odb_object_data(object), git_odb_object_size(object),
          git_odb_object_type(object)),
        "git_odb_write")
    }
  }

  /// One part: its in-memory objects, held by a handle of its own, and the list to pack.
  /// Handed to the packing thread whole and used there only.
  private final class Part: @unchecked Sendable {
    let handle: Repository
    let gitDirectory: String
    let objects: [PackedObject]

    init(gitDirectory: String, memory: OpaquePointer, objects: [PackedObject]) throws(GitError) {
      self.gitDirectory = gitDirectory
      self.objects = objects
      handle = try Repository.open(at: gitDirectory, search: false)
      try check(git_repository_set_odb(handle.pointer, memory), "git_repository_set_odb")
    }

    /// Writes the objects as one pack into the repository's object database, through a handle
    /// of this thread's own.
    func pack(threads: UInt32) throws(GitError) {
      // Delta bases are looked for only among neighbours (a window of one object, as
      // fast-import deltas a blob only against the previous version of its path): the full
      // search over a window of ten objects was a third of a large import's CPU time, for a
      // pack about a fifth smaller; `git gc` searches fully later. libgit2 takes the limit from
      // the handle's configuration (`pack.windowMemory`), so the handle gets one of its own,
      // from a temporary file kept until the pack is written.
      let settings = NSTemporaryDirectory() + "/git-incident-pack-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).config"
      guard FileManager.default.createFile(
        atPath: settings, contents: Data("[pack]\n\twindowMemory = 1\n".utf8))
      else {
        throw GitError(code: .other(-1), function: "write", message: "cannot write \(settings)")
      }
      defer { unlink(settings) }
      var config: OpaquePointer?
      try check(git_config_open_ondisk(&config, settings), "git_config_open_ondisk")
      defer { git_config_free(config) }
      try check(git_repository_set_config(handle.pointer, config), "git_repository_set_config")
      var builder: OpaquePointer?
      try check(git_packbuilder_new(&builder, handle.pointer), "git_packbuilder_new")
      defer { git_packbuilder_free(builder) }
      git_packbuilder_set_threads(builder, threads)
      for object in objects {
        var oid = object.id.raw
        try check(git_packbuilder_insert(builder, &oid, object.path), "git_packbuilder_insert")
      }
      var buffer = git_buf()
      defer { git_buf_dispose(&buffer) }
      try check(git_packbuilder_write_buf(&buffer, builder), "git_packbuilder_write_buf")
      // The repository's object database through a handle of this thread's own: libgit2
      // handles must not be shared between threads.
      let disk = try Repository.open(at: gitDirectory, search: false)
      var odb: OpaquePointer?
      try check(git_repository_odb(&odb, disk.pointer), "git_repository_odb")
      defer { git_odb_free(odb) }
      var pack: UnsafeMutablePointer<git_odb_writepack>?
      try check(git_odb_write_pack(&pack, odb, nil, nil), "git_odb_write_pack")
      defer { pack?.pointee.free(pack) }
      var progress = git_indexer_progress()
      try check(pack!.pointee.append(pack, buffer.ptr, buffer.size, &progress), "git_odb_writepack append")
      try check(pack!.pointee.commit(pack, &progress), "git_odb_writepack commit")
    }
  }

  /// The first error of the packing thread.
  private final class FailureSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var first: GitError?
    var error: GitError? { lock.withLock { first } }
    func record(_ error: GitError) { lock.withLock { if first == nil { first = error } } }
  }
}

@available(*, unavailable)
extension ObjectBatch: Sendable {}
