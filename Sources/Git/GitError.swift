internal import CLibgit2

/// An error reported by libgit2, with the call that failed and libgit2's own message.
///
/// libgit2 reports failure as a negative return code and keeps a per-thread message that
/// `git_error_last()` returns; ``check(_:_:)`` reads it at once, on the same thread, because in
/// libgit2 1.5 the slot may hold a stale message from an earlier call or be empty.
public struct GitError: Error, Sendable, CustomStringConvertible, Equatable {
  /// The classification of a failure, from libgit2's `git_error_code`.
  public enum Code: Sendable, Equatable {
    /// `GIT_ENOTFOUND`: the object, reference or path does not exist.
    case notFound
    /// `GIT_EEXISTS`: the object or reference already exists.
    case exists
    /// `GIT_EMODIFIED`: a reference moved since it was read (compare-and-swap failed).
    case modified
    /// `GIT_ELOCKED`: a lock file (for example `index.lock`) is held by another process.
    case locked
    /// `GIT_EUNBORNBRANCH`: HEAD names a branch that has no commit yet.
    case unbornBranch
    /// `GIT_ECONFLICT`: a checkout or merge would overwrite changes.
    case conflict
    /// `GIT_EAUTH`: authentication failed.
    case authentication
    /// `GIT_ENONFASTFORWARD`: a push or update is not a fast-forward.
    case nonFastForward
    /// `GIT_EUSER`: a callback asked to stop.
    case user
    /// Any other negative code, kept as libgit2 returned it.
    case other(Int32)

    init(_ raw: Int32) {
      switch raw {
      case GIT_ENOTFOUND.rawValue: self = .notFound
      case GIT_EEXISTS.rawValue: self = .exists
      case GIT_EMODIFIED.rawValue: self = .modified
      case GIT_ELOCKED.rawValue: self = .locked
      case GIT_EUNBORNBRANCH.rawValue: self = .unbornBranch
      case GIT_ECONFLICT.rawValue: self = .conflict
      case GIT_EAUTH.rawValue: self = .authentication
      case GIT_ENONFASTFORWARD.rawValue: self = .nonFastForward
      case GIT_EUSER.rawValue: self = .user
      default: self = .other(raw)
      }
    }
  }

  /// What kind of failure this is.
  public var code: Code
  /// The libgit2 function that failed, for example `git_reference_create_matching`.
  public var function: String
  /// libgit2's message, or a fallback naming the return code when libgit2 left none.
  public var message: String

  /// Creates an error by hand (used for failures this module detects itself).
  public init(code: Code, function: String, message: String) {
    self.code = code
    self.function = function
    self.message = message
  }

  public var description: String { "\(function): \(message)" }
}

/// Ensures `git_libgit2_init` ran once in this process before any other libgit2 call, with
/// the parse of the system's certificate authorities deferred to the first transfer (see
/// ``TLSCertificates``).
///
/// A global `let` is initialised lazily and exactly once, thread-safely, by the Swift runtime.
let libgit2Initialized: Int32 = TLSCertificates.initializeLibrary()

/// Throws a ``GitError`` when `result` is negative, reading `git_error_last()` immediately.
///
/// - Parameters:
///   - result: the return code of a libgit2 call.
///   - function: that call's name, kept in the error.
/// - Returns: `result` when it is zero or positive (some calls return counts or booleans).
/// - Throws: ``GitError`` for any negative return code.
@discardableResult
func check(_ result: Int32, _ function: String) throws(GitError) -> Int32 {
  guard result < 0 else { return result }
  var message = "libgit2 returned \(result)"
  if let last = git_error_last(), let text = last.pointee.message {
    message = String(cString: text).trimmingTrailingNewlines()
  }
  throw GitError(code: GitError.Code(result), function: function, message: message)
}

extension String {
  func trimmingTrailingNewlines() -> String {
    var s = self
    while s.hasSuffix("\n") { s.removeLast() }
    return s
  }
}
