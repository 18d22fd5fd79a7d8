import Dispatch
import Foundation
internal import CLibgit2

/// The index file read on another thread while the caller goes on.
///
/// Reading the index is the largest single step of a change at 10,000 incidents (15 to 20 ms
/// of a 50 ms `note`: libgit2 parses every one of the 20,000 entries and verifies the file's
/// SHA-1 trailer), and nothing before the check for staged changes needs it. The read opens its own
/// `git_index` from the file's path (`git_index_open`), so the two threads never share a
/// libgit2 object: libgit2 objects are to be used from one thread at a time (libgit2's
/// `docs/threading.md`). ``Repository/index()`` waits for the read and hands the result to the
/// repository (`git_repository_set_index`), which is what `git_repository_index` would have
/// loaded.
///
/// Not `Sendable`: owned by one ``Repository``.
final class IndexPrefetch {
  /// The opened index; written by the reading thread before it signals `done`, read by the
  /// owner only after waiting for `done`.
  private final class Slot: @unchecked Sendable {
    var index: OpaquePointer?
  }

  private let slot = Slot()
  private let done = DispatchSemaphore(value: 0)
  private var waited = false

  /// Starts reading the index file at `path` (`<git dir>/index`).
  init(path: String) {
    let slot = slot
    let done = done
    // A thread of its own: a Dispatch worker can take milliseconds to start in a new process.
    let thread = Thread {
      var index: OpaquePointer?
      // A failure leaves the slot empty: the owner then reads the index itself, and reports
      // libgit2's error from its own thread (error messages are thread-local).
      if git_index_open(&index, path) == 0 { slot.index = index }
      done.signal()
    }
    thread.start()
  }

  /// Waits for the read; the opened index (the caller owns it), or nil when it failed.
  func take() -> OpaquePointer? {
    if !waited {
      done.wait()
      waited = true
    }
    defer { slot.index = nil }
    return slot.index
  }

  deinit {
    // Not taken (the command stopped before it needed the index): free what was read.
    if let index = take() { git_index_free(index) }
  }
}
