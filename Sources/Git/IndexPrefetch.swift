import Dispatch
import Foundation
internal import CLibgit2

/// The index file read on another thread while the caller goes on.
///
/// Reading the index is the largest single step of a change at 10,000 incidents (15 to 20 ms
/// of a 45 ms `note`: libgit2 parses every one of the 20,000 entries and verifies the file's
/// SHA-1 trailer), and nothing before the check for staged changes needs it. The read opens
/// its own `git_index` from the file's path (`git_index_open`), so the two threads never share
/// a libgit2 object: libgit2 objects are to be used from one thread at a time (libgit2's
/// `docs/threading.md`). ``Repository/index()`` waits for the read and hands the result to the
/// repository (`git_repository_set_index`), which is what `git_repository_index` would have
/// loaded.
///
/// Not `Sendable`: owned by one ``Repository`` (or by ``early`` until one takes it).
final class IndexPrefetch {
  /// What the reading thread found; written by it before it signals `done`, read by the owner
  /// only after waiting for `done`.
  private final class Slot: @unchecked Sendable {
    /// The git directory whose index was read, without a trailing slash.
    var gitDirectory: String?
    /// The opened index.
    var index: OpaquePointer?
  }

  private let slot = Slot()
  private let done = DispatchSemaphore(value: 0)
  private var waited = false

  /// Starts reading the index of the repository whose git directory is `gitDirectory`
  /// (`<git dir>/index`).
  convenience init(gitDirectory: String) {
    self.init { slot in
      slot.gitDirectory = gitDirectory
      var index: OpaquePointer?
      // A failure leaves the slot empty: the owner then reads the index itself, and reports
      // libgit2's error from its own thread (error messages are thread-local).
      if git_index_open(&index, gitDirectory + "/index") == 0 { slot.index = index }
    }
  }

  /// Starts finding the repository at or above `path` (as ``Repository/open(at:search:)``
  /// does) and reading its index, before the caller has opened it.
  convenience init(discoveringFrom path: String) {
    self.init { slot in
      _ = libgit2Initialized
      var repository: OpaquePointer?
      guard git_repository_open_ext(&repository, path, 0, nil) == 0 else { return }
      defer { git_repository_free(repository) }
      guard git_repository_is_bare(repository) == 0 else { return }
      let gitDirectory = String(cString: git_repository_path(repository)).trimmingSlash()
      slot.gitDirectory = gitDirectory
      var index: OpaquePointer?
      if git_index_open(&index, gitDirectory + "/index") == 0 { slot.index = index }
    }
  }

  private init(_ read: @escaping @Sendable (Slot) -> Void) {
    let slot = slot
    let done = done
    // A thread of its own: a Dispatch worker can take milliseconds to start in a new process.
    let thread = Thread {
      read(slot)
      done.signal()
    }
    thread.start()
  }

  /// Waits for the read; the opened index of `gitDirectory` (the caller owns it), or nil when
  /// the read failed or found another repository's index (which is freed).
  func take(for gitDirectory: String) -> OpaquePointer? {
    if !waited {
      done.wait()
      waited = true
    }
    defer { slot.index = nil }
    guard let index = slot.index else { return nil }
    guard slot.gitDirectory == gitDirectory else {
      git_index_free(index)
      return nil
    }
    return index
  }

  deinit {
    // Not taken (the command stopped before it needed the index): free what was read.
    if !waited { done.wait() }
    if let index = slot.index { git_index_free(index) }
  }

  // MARK: Started before the repository is opened

  private final class Early: @unchecked Sendable {
    let lock = NSLock()
    var prefetch: IndexPrefetch?
  }

  private static let early = Early()

  /// Starts the read for the repository at or above `path`, to be taken over by the first
  /// ``takeEarly()``.
  static func startEarly(discoveringFrom path: String) {
    early.lock.withLock {
      guard early.prefetch == nil else { return }
      early.prefetch = IndexPrefetch(discoveringFrom: path)
    }
  }

  /// The read ``startEarly(discoveringFrom:)`` started, once; nil when there is none.
  static func takeEarly() -> IndexPrefetch? {
    early.lock.withLock {
      defer { early.prefetch = nil }
      return early.prefetch
    }
  }
}
