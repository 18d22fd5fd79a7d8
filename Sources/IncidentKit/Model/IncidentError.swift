import Git

/// Why a command could not do what was asked. Every case is the user's to act on except
/// ``git(_:)``, which wraps an unexpected libgit2 failure.
public enum IncidentError: Error, Sendable, CustomStringConvertible {
  /// A change the lifecycle or policy does not allow; the text says why and what is allowed.
  case refused(String)
  /// A record file that cannot be read as a valid record (file, line, column, field).
  case invalidRecord(FormatError)
  /// Input that is not acceptable (a malformed ID, time or name), with what would be right.
  case invalidInput(String)
  /// No incident matches the given ID or prefix.
  case notFound(String)
  /// More than one incident matches an ID prefix; the candidates are listed.
  case ambiguous(String, [IncidentID])
  /// No author identity is configured for a change.
  case missingIdentity
  /// Files of the incident have uncommitted changes in the work tree or index.
  case uncommittedChanges([String])
  /// The path is not inside a git repository.
  case notARepository(String)
  /// HEAD is detached, so there is no branch to commit to.
  case detachedHead
  /// Another writer kept moving the branch; the change was not made.
  case tooManyRetries(Int)
  /// An unexpected libgit2 failure.
  case git(GitError)

  /// True for problems with input, records or rules (exit code 1); false for internal faults.
  public var isUserError: Bool {
    if case .git = self { return false }
    return true
  }

  public var description: String {
    switch self {
    case .refused(let why): return why
    case .invalidRecord(let error): return "invalid record: \(error.description)"
    case .invalidInput(let why): return why
    case .notFound(let query): return "no incident matches '\(query.prefix(60))'; `git incident list` shows them all"
    case .ambiguous(let query, let ids):
      return "'\(query)' matches \(ids.count) incidents: "
        + ids.map(\.rawValue).joined(separator: ", ") + "; give more of the ID"
    case .missingIdentity:
      return """
        no identity to record this change as: user.name and user.email are not both set.
        Set them with `git config --global user.name "Your Name"` and \
        `git config --global user.email you@example.com`, or pass --as "Name <email>". \
        GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL, when set (even empty), override git config.
        """
    case .uncommittedChanges(let files):
      return "uncommitted changes to "
        + files.joined(separator: ", ")
        + "; nothing was changed. `git diff HEAD -- <file>` shows them; commit them, set them aside (`git stash`) or discard them (`git checkout HEAD -- <file>`), and run the command again"
    case .notARepository(let path):
      return "\(path) is not in a git repository; run `git incident init` there first"
    case .detachedHead:
      return "HEAD is detached; check out a branch (`git switch <branch>`) before changing records"
    case .tooManyRetries(let n):
      return "the branch kept moving under this change (\(n) attempts); nothing was written, try again"
    case .git(let error): return "git: \(error.description)"
    }
  }
}
