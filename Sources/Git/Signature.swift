import Foundation
internal import CLibgit2

/// Who made a commit and when: a name, an email and a time with its UTC offset.
public struct Signature: Sendable, Equatable {
  /// The person's name, for example `Ana Lima`.
  public var name: String
  /// The email address, for example `ana@example.com`.
  public var email: String
  /// The instant (UTC).
  public var date: Date
  /// The signer's UTC offset in minutes (for example 60 for +01:00), as git records it.
  public var offsetMinutes: Int

  /// Creates a signature; `date` defaults to now and the offset to UTC.
  public init(name: String, email: String, date: Date = Date(), offsetMinutes: Int = 0) {
    self.name = name
    self.email = email
    self.date = date
    self.offsetMinutes = offsetMinutes
  }

  init(_ raw: UnsafePointer<git_signature>) {
    name = String(cString: raw.pointee.name)
    email = String(cString: raw.pointee.email)
    date = Date(timeIntervalSince1970: TimeInterval(raw.pointee.when.time))
    offsetMinutes = Int(raw.pointee.when.offset)
  }

  /// `Name <email>`, as git writes it.
  public var formatted: String { "\(name) <\(email)>" }

  /// Makes a libgit2 signature the caller frees with `git_signature_free`.
  ///
  /// The corresponding libgit2 function is `git_signature_new`.
  func makeRaw() throws(GitError) -> UnsafeMutablePointer<git_signature> {
    var sig: UnsafeMutablePointer<git_signature>?
    let seconds = git_time_t(date.timeIntervalSince1970.rounded(.down))
    try check(
      git_signature_new(&sig, name, email, seconds, Int32(offsetMinutes)), "git_signature_new")
    return sig!
  }
}
