import Foundation
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

  /// The file mode staged at `path` (stage 0), as git writes it (`0o100644`, `0o100755`,
  /// `0o120000`), or nil when the path is not in the index.
  ///
  /// The corresponding libgit2 function is `git_index_get_bypath`.
  public func entryMode(atPath path: String) -> UInt32? {
    git_index_get_bypath(pointer, path, 0)?.pointee.mode
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

  /// Stages `blob` at `path` for a work-tree file just written with exactly the blob's bytes,
  /// taking the file's metadata from `lstat` (so `git status` sees it as unchanged) instead of
  /// reading, filtering and hashing it again as ``add(path:)`` does (which also resolves the
  /// path and looks for `.gitattributes` in every folder above it).
  ///
  /// - Parameters:
  ///   - path: the repository-relative path.
  ///   - blob: the blob whose bytes the file holds.
  ///   - file: the file's absolute path in the work tree.
  /// - Throws: ``GitError`` when the file cannot be examined or the entry is refused.
  ///
  /// The corresponding libgit2 function is `git_index_add`.
  public func add(path: String, blob: ObjectID, file: String) throws(GitError) {
    var st = stat()
    guard lstat(file, &st) == 0 else {
      throw GitError(code: .notFound, function: "lstat", message: "cannot read \(file): \(String(cString: strerror(errno)))")
    }
    try add(path: path, blob: blob, metadata: st)
  }

  /// Stages `blob` at `path` for a regular work-tree file just written with exactly the blob's
  /// bytes, whose metadata the writer already has (`fstat(2)` of the file after the write,
  /// which is what `lstat(2)` would give while nobody changes it).
  ///
  /// - Parameters:
  ///   - path: the repository-relative path.
  ///   - blob: the blob whose bytes the file holds.
  ///   - metadata: the file's `stat`: times, device, inode, owner and size go into the entry,
  ///     so `git status` sees the file as unchanged.
  /// - Throws: ``GitError`` when the entry is refused.
  ///
  /// The corresponding libgit2 function is `git_index_add`.
  public func add(path: String, blob: ObjectID, metadata st: stat) throws(GitError) {
    var entry = git_index_entry()
    entry.ctime = git_index_time(
      seconds: Int32(truncatingIfNeeded: st.st_ctim.tv_sec), nanoseconds: UInt32(st.st_ctim.tv_nsec))
    entry.mtime = git_index_time(
      seconds: Int32(truncatingIfNeeded: st.st_mtim.tv_sec), nanoseconds: UInt32(st.st_mtim.tv_nsec))
    entry.dev = UInt32(truncatingIfNeeded: st.st_dev)
    entry.ino = UInt32(truncatingIfNeeded: st.st_ino)
    entry.mode = GIT_FILEMODE_BLOB.rawValue
    entry.uid = UInt32(truncatingIfNeeded: st.st_uid)
    entry.gid = UInt32(truncatingIfNeeded: st.st_gid)
    entry.file_size = UInt32(truncatingIfNeeded: st.st_size)
    entry.id = blob.raw
    let rc = path.withCString { cPath -> Int32 in
      entry.path = cPath
      return git_index_add(pointer, &entry)
    }
    try check(rc, "git_index_add")
  }

  /// Removes `path` from the index.
  ///
  /// The corresponding libgit2 function is `git_index_remove_bypath`.
  public func remove(path: String) throws(GitError) {
    try check(git_index_remove_bypath(pointer, path), "git_index_remove_bypath")
  }

  /// Reads the index file again if it changed on disk since it was read (another command
  /// staged something), dropping changes made in memory only in that case.
  ///
  /// The corresponding libgit2 function is `git_index_read` (not forced).
  public func reloadIfChanged() throws(GitError) {
    try check(git_index_read(pointer, 0), "git_index_read")
  }

  /// Changes the index file from what is on disk now, as git changes it from read to write,
  /// so that what other commands stage meanwhile is kept.
  ///
  /// git holds `index.lock` from its read to its write; libgit2 takes it only for the write.
  /// So this takes git's lock itself (`index.lock`, created exclusively, as git creates it),
  /// reads the file again if it changed since this index was read, applies `change` in
  /// memory, and releases the lock only for libgit2's write to take it again at once. A
  /// command that takes the lock in those microseconds makes the write fail, and the update
  /// starts over from that command's file; a command that finds the lock held fails, as with
  /// git (`index.lock: File exists`). While another process holds the lock, it retries every
  /// 2 ms. Killed while it holds the lock (in the common case microseconds; a read of the
  /// file when another command changed it, 15 ms at 20,000 entries), it leaves `index.lock`
  /// behind, as git does.
  ///
  /// - Parameters:
  ///   - seconds: how long to wait for another process's lock, in all.
  ///   - change: applied to the entries as read; may run more than once.
  /// - Throws: ``GitError`` `.locked` when the lock is still held after the wait; what
  ///   `change` or the read or write throws.
  ///
  /// The corresponding libgit2 functions are `git_index_read` (not forced) and
  /// `git_index_write`.
  public func update(waitingForLock seconds: Double, _ change: (Index) throws(GitError) -> Void)
    throws(GitError)
  {
    let lock = String(cString: git_index_path(pointer)) + ".lock"
    let deadline = Date().addingTimeInterval(seconds)
    func wait() throws(GitError) {
      guard Date() < deadline else {
        throw GitError(
          code: .locked, function: "git_index_write",
          message: "\(lock) exists: another git process is changing the index")
      }
      usleep(2_000)
    }
    while true {
      let fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      guard fd >= 0 else {
        guard errno == EEXIST else {
          throw GitError(
            code: .other(-1), function: "open",
            message: "cannot create \(lock): \(String(cString: strerror(errno)))")
        }
        try wait()
        continue
      }
      close(fd)
      do {
        try reloadIfChanged()
        try change(self)
      } catch {
        unlink(lock)
        throw error
      }
      unlink(lock)
      do {
        try write()
        return
      } catch where error.code == .locked {
        try wait()
      }
    }
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
