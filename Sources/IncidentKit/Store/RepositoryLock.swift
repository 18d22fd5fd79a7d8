import Foundation

/// An exclusive advisory lock that serialises this tool's writers on one repository, so a
/// writer's read-check-commit-update sequence is never interleaved with another's. Writers that
/// do not take it (git's own CLI) are still handled by the compare-and-swap on the branch.
///
/// The lock is `flock(2)` on the git directory itself: nothing is left behind, and the kernel
/// releases it when the process exits, even on a crash.
final class RepositoryLock {
  private let fd: Int32

  /// Blocks until the lock on `gitDirectory` is held.
  init(gitDirectory: String) {
    fd = open(gitDirectory, O_RDONLY | O_CLOEXEC)
    if fd >= 0 {
      while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    }
  }

  deinit {
    if fd >= 0 {
      flock(fd, LOCK_UN)
      close(fd)
    }
  }
}
