import Foundation
internal import CLibgit2

extension Repository {
  /// Runs `body` with every object it writes held in memory, then writes the commits it wrote
  /// and everything they reach to the object database as one pack file (with its index), as
  /// `git fast-import` does, instead of one loose file per object.
  ///
  /// libgit2's pack is built from the new commits: objects not reachable from a commit written
  /// in `body` are dropped, and objects the new commits reach that were already on disk are
  /// packed again (harmless duplicates that `git gc` removes), so use it for long chains of
  /// commits.
  ///
  /// Use it on a ``Repository`` opened only for the batch: the in-memory backend stays attached
  /// to this handle's object database afterwards (libgit2 1.5 cannot detach it), emptied, so
  /// objects written later through the same handle would again only be held in memory. Nothing
  /// is written to disk when `body` throws. Objects become visible to other handles once the
  /// pack is written (libgit2 rescans the pack folder on a miss).
  ///
  /// - Returns: what `body` returned.
  /// - Throws: ``GitError`` from `body` or from writing the pack.
  ///
  /// The corresponding libgit2 functions are `git_mempack_new`, `git_odb_add_backend`,
  /// `git_mempack_dump`, `git_odb_write_pack` and `git_mempack_reset`.
  public func withObjectsInMemory<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
    var odb: OpaquePointer?
    try check(git_repository_odb(&odb, pointer), "git_repository_odb")
    defer { git_odb_free(odb) }
    var backend: OpaquePointer?
    try check(git_mempack_new(&backend), "git_mempack_new")
    // The object database owns the backend from here on and frees it with itself.
    try check(git_odb_add_backend(odb, backend, 999), "git_odb_add_backend")
    defer { git_mempack_reset(backend) }
    let result = try body()
    var buffer = git_buf()
    defer { git_buf_dispose(&buffer) }
    try check(git_mempack_dump(&buffer, pointer, backend), "git_mempack_dump")
    var writer: UnsafeMutablePointer<git_odb_writepack>?
    try check(git_odb_write_pack(&writer, odb, nil, nil), "git_odb_write_pack")
    defer { writer?.pointee.free(writer) }
    var progress = git_indexer_progress()
    try check(writer!.pointee.append(writer, buffer.ptr, buffer.size, &progress), "git_odb_writepack append")
    try check(writer!.pointee.commit(writer, &progress), "git_odb_writepack commit")
    return result
  }
}
