import Foundation

/// Writes work-tree copies of committed files the way git's checkout does: the bytes go to a
/// temporary file in the same folder, which is renamed over the old file (`rename(2)` is
/// atomic, so readers see the old or the new file), with mode 0666 less the umask. No
/// `fsync`: like git, the work tree is a copy of what the commit already holds, and `git
/// checkout -- <path>` restores it (Foundation's `.atomic` write syncs every file, which for
/// an import of thousands of incidents was most of its time).
enum WorkTreeFile {
  /// A write that failed, with the system's reason.
  struct Failure: Error, CustomStringConvertible {
    var description: String
    /// True when the file to create was already there.
    var exists = false
  }

  /// Creates `folder` and its missing parents with `mkdir(2)` (mode 0777 less the umask, as git
  /// does), as `mkdir -p`; an existing folder is fine.
  ///
  /// - Parameter created: the folders this call made are appended, parents first.
  /// - Throws: ``Failure`` naming the folder and the system's reason.
  static func makeFolders(_ folder: String, created: inout [String]) throws(Failure) {
    if mkdir(folder, 0o777) == 0 {
      created.append(folder)
      return
    }
    var reason = errno
    if reason == ENOENT {
      let parent = (folder as NSString).deletingLastPathComponent
      if !parent.isEmpty, parent != folder {
        try makeFolders(parent, created: &created)
        if mkdir(folder, 0o777) == 0 {
          created.append(folder)
          return
        }
        reason = errno
      }
    }
    var st = stat()
    if reason == EEXIST, stat(folder, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { return }
    throw Failure(description: "cannot create \(folder): \(String(cString: strerror(reason)))")
  }

  /// ``makeFolders(_:created:)`` without the list of what was made.
  static func makeFolders(_ folder: String) throws(Failure) {
    var created: [String] = []
    try makeFolders(folder, created: &created)
  }

  /// Writes `data` to `path`, creating missing folders.
  ///
  /// - Throws: ``Failure`` naming the system call and reason (`open: Permission denied`).
  static func write(_ data: Data, to path: String) throws(Failure) {
    let folder = (path as NSString).deletingLastPathComponent
    let temporary = "\(folder)/.\((path as NSString).lastPathComponent).git-incident-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    var fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    if fd < 0 && errno == ENOENT {
      try makeFolders(folder)
      fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    }
    guard fd >= 0 else { throw Failure(description: "open: \(String(cString: strerror(errno)))") }
    let written = writeAll(data, to: fd)
    close(fd)
    guard written == 0 else {
      unlink(temporary)
      throw Failure(description: "write: \(String(cString: strerror(written)))")
    }
    guard rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw Failure(description: "rename: \(reason)")
    }
  }

  /// Creates the new file `path` holding `data`, creating missing folders, as git's checkout
  /// writes a file that is not there yet: straight to its name, opened with `O_EXCL`, so a file
  /// that exists (made by someone else since it was found missing) is never overwritten. A
  /// write that fails removes the partial file.
  ///
  /// - Parameter folders: the folders this call made are appended, parents first.
  /// - Returns: the file's metadata after the write (`fstat(2)`), for its index entry.
  /// - Throws: ``Failure`` naming the system call and reason; `exists` is true when the file
  ///   was there already.
  static func create(_ data: Data, at path: String, folders: inout [String]) throws(Failure) -> stat {
    var fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    if fd < 0 && errno == ENOENT {
      try makeFolders((path as NSString).deletingLastPathComponent, created: &folders)
      fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    }
    guard fd >= 0 else {
      let reason = errno
      throw Failure(description: "open: \(String(cString: strerror(reason)))", exists: reason == EEXIST)
    }
    var written = writeAll(data, to: fd)
    var st = stat()
    if written == 0, fstat(fd, &st) != 0 { written = errno }
    close(fd)
    guard written == 0 else {
      unlink(path)
      throw Failure(description: "write: \(String(cString: strerror(written)))")
    }
    return st
  }

  /// Writes all of `data` to `fd`, retrying interrupted and short writes; 0 or the `errno`.
  private static func writeAll(_ data: Data, to fd: Int32) -> Int32 {
    data.withUnsafeBytes { raw -> Int32 in
      var done = 0
      while done < raw.count {
        let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return errno == 0 ? EIO : errno }
        done += n
      }
      return 0
    }
  }
}
