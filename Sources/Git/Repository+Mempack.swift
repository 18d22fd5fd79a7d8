import Foundation
internal import CLibgit2

/// An object to write into the pack of ``Repository/withObjectsInMemory(_:)``.
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
  /// Runs `body` with a handle on this repository whose object database is only an in-memory
  /// store, then writes the objects `body` listed to this repository's object database as one
  /// pack file (with its index), as `git fast-import` does, instead of one loose file per
  /// object.
  ///
  /// `body` gets the in-memory handle (write through it) and appends to its second argument
  /// every object the new commits need that it wrote: its commits, their new trees and blobs
  /// (``TreeChain/write(_:)`` returns the trees it wrote). Objects written but not listed are
  /// dropped; a listed object that was already on disk is packed again (a harmless duplicate
  /// that `git gc` removes). Listing the objects, rather than letting libgit2 find what the new
  /// commits reach (`git_mempack_dump`, which walks the whole tree of every new commit, so a
  /// chain of `n` commits into a growing folder visits `n²/2` entries), keeps the work
  /// proportional to what was written.
  ///
  /// The handle sees only what is in memory: the objects of `existing` (read from disk and
  /// copied in first, not packed again; for example the parent of the first new commit, which
  /// `git_commit_create` checks exists) and what `body` writes; read anything else through
  /// this repository (``TreeChain`` reads its starting folders through its `reading`
  /// repository). So a write costs no file-system call: libgit2 looks for every object it
  /// writes in each backend of the database, which for the on-disk ones is an `utime` of the
  /// loose file and, on a miss, a rescan of the pack folder.
  ///
  /// Nothing is written to disk when `body` throws. The handle is discarded afterwards.
  ///
  /// - Parameters:
  ///   - existing: objects already in this repository that `body` reads through the handle.
  ///   - body: writes through the handle it is given and lists the objects to pack.
  /// - Returns: what `body` returned.
  /// - Throws: ``GitError`` when an object of `existing` cannot be read, from `body`, or from
  ///   writing the pack.
  ///
  /// The corresponding libgit2 functions are `git_odb_new`, `git_mempack_new`,
  /// `git_odb_add_backend`, `git_repository_set_odb`, `git_config_open_ondisk`,
  /// `git_repository_set_config`, `git_packbuilder_new`,
  /// `git_packbuilder_insert`, `git_packbuilder_write_buf` and `git_odb_write_pack`.
  public func withObjectsInMemory<T>(
    copying existing: [ObjectID],
    _ body: (_ writer: Repository, _ pack: inout [PackedObject]) throws(GitError) -> T
  ) throws(GitError) -> T {
    let writer = try Repository.open(at: gitDirectory, search: false)
    var memory: OpaquePointer?
    try check(git_odb_new(&memory), "git_odb_new")
    defer { git_odb_free(memory) }
    var backend: OpaquePointer?
    try check(git_mempack_new(&backend), "git_mempack_new")
    // The object database owns the backend from here on and frees it with itself; the handle
    // holds the database until it is freed.
    try check(git_odb_add_backend(memory, backend, 999), "git_odb_add_backend")
    try check(git_repository_set_odb(writer.pointer, memory), "git_repository_set_odb")
    var disk: OpaquePointer?
    try check(git_repository_odb(&disk, pointer), "git_repository_odb")
    defer { git_odb_free(disk) }
    for id in existing {
      var oid = id.raw
      var object: OpaquePointer?
      try check(git_odb_read(&object, disk, &oid), "git_odb_read")
      defer { git_odb_object_free(object) }
      var copied = git_oid()
      try check(
        git_odb_write(
          &copied, memory, git_odb_object_data(object), git_odb_object_size(object),
          git_odb_object_type(object)),
        "git_odb_write")
    }
    var objects: [PackedObject] = []
    let result = try body(writer, &objects)
    guard !objects.isEmpty else { return result }
    // Delta bases are looked for only among neighbours (a window of one object, as
    // fast-import deltas a blob only against the previous version of its path): the full search
    // over a window of ten objects was a third of a large import's CPU time, for a pack about a
    // fifth smaller; `git gc` searches fully later. libgit2 takes the limit from the handle's
    // configuration (`pack.windowMemory`), so the handle gets one of its own, from a temporary
    // file kept until the pack is written.
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
    try check(git_repository_set_config(writer.pointer, config), "git_repository_set_config")
    var builder: OpaquePointer?
    try check(git_packbuilder_new(&builder, writer.pointer), "git_packbuilder_new")
    defer { git_packbuilder_free(builder) }
    // As git_mempack_dump: delta search on every core.
    git_packbuilder_set_threads(builder, 0)
    for object in objects {
      var oid = object.id.raw
      try check(git_packbuilder_insert(builder, &oid, object.path), "git_packbuilder_insert")
    }
    var buffer = git_buf()
    defer { git_buf_dispose(&buffer) }
    try check(git_packbuilder_write_buf(&buffer, builder), "git_packbuilder_write_buf")
    var pack: UnsafeMutablePointer<git_odb_writepack>?
    try check(git_odb_write_pack(&pack, disk, nil, nil), "git_odb_write_pack")
    defer { pack?.pointee.free(pack) }
    var progress = git_indexer_progress()
    try check(pack!.pointee.append(pack, buffer.ptr, buffer.size, &progress), "git_odb_writepack append")
    try check(pack!.pointee.commit(pack, &progress), "git_odb_writepack commit")
    withExtendedLifetime(writer) {}
    return result
  }
}
