import Dispatch
import Foundation

/// The new files of a series of commits, written into the work tree on a thread of their own
/// while the series' objects are written, and taken back when the series does not land.
///
/// Git's checkout also writes the work tree before it moves `HEAD`. Only files that neither the
/// tip's tree nor the work tree holds are written here (``WorkTreeFile/create(_:at:folders:)``
/// with `O_EXCL`: nothing that exists is overwritten), so taking them back (``undo()``) loses
/// nothing: it removes exactly the files and folders this made. The index is not touched: the
/// caller stages the files once the branch has moved, from the metadata returned by ``wait()``.
///
/// A process killed between the writes and the move of the branch leaves the new files as
/// untracked files (`git status` lists them; `git clean` removes them); the branch and the
/// index are as before.
final class WorkTreeCreation: @unchecked Sendable {
  /// One file's outcome: its metadata after the write, or why it was not written.
  typealias Outcome = Result<stat, WorkTreeFile.Failure>

  /// The files, by repository-relative path, in the order written.
  let files: [(path: String, data: Data)]
  /// The work tree's root folder.
  let root: String
  // Written by the writing thread before it signals `finished`; read after `wait()`.
  private var outcomes: [Outcome] = []
  private var folders: [String] = []
  private let finished = DispatchSemaphore(value: 0)
  private var done = false

  /// Starts writing `files` under `root` on another thread.
  init(root: String, files: [(path: String, data: Data)]) {
    self.root = root
    self.files = files
    DispatchQueue.global(qos: .userInitiated).async {
      self.write()
      self.finished.signal()
    }
  }

  private func write() {
    var folders: [String] = []
    var outcomes: [Outcome] = []
    outcomes.reserveCapacity(files.count)
    for file in files {
      do throws(WorkTreeFile.Failure) {
        outcomes.append(.success(try WorkTreeFile.create(file.data, at: root + "/" + file.path, folders: &folders)))
      } catch {
        outcomes.append(.failure(error))
      }
    }
    self.outcomes = outcomes
    self.folders = folders
  }

  /// Waits until every file is written; the outcomes are in the order of ``files``.
  func wait() -> [Outcome] {
    if !done {
      finished.wait()
      done = true
    }
    return outcomes
  }

  /// Takes the writes back: waits for them, then removes every file written and every folder
  /// made, deepest first (`rmdir(2)`, which leaves a folder that holds anything else).
  func undo() {
    for (file, outcome) in zip(files, wait()) {
      if case .success = outcome { unlink(root + "/" + file.path) }
    }
    for folder in folders.reversed() { rmdir(folder) }
    outcomes = []
    folders = []
  }
}
