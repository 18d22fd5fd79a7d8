import Foundation
import Git

/// The person a change is recorded as: commit author, committer and the timeline's `by`.
public struct Identity: Sendable, Equatable {
  /// The name, non-empty.
  public var name: String
  /// The email, non-empty.
  public var email: String

  /// Creates an identity from its parts.
  public init(name: String, email: String) {
    self.name = name
    self.email = email
  }

  /// `Name <email>`.
  public var formatted: String { "\(name) <\(email)>" }

  /// Parses `Name <email>` as given to `--as`.
  ///
  /// - Throws: ``IncidentError/invalidInput(_:)`` when the form is wrong or a part is empty.
  public static func parse(_ text: String) throws(IncidentError) -> Identity {
    if text.contains("\n") || text.contains("\r") {
      throw .invalidInput("--as must be one line, \"Name <email>\"")
    }
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") else {
      throw .invalidInput("--as expects \"Name <email>\", got '\(text)'")
    }
    let name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
    let email = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
      .trimmingCharacters(in: .whitespaces)
    guard !name.isEmpty, !email.isEmpty, !name.contains("<"), !email.contains(">"),
      !text.contains("\n")
    else {
      throw .invalidInput("--as expects \"Name <email>\" with both parts non-empty, got '\(text)'")
    }
    guard let cleanName = sanitized(name), let cleanEmail = sanitized(email) else {
      throw .invalidInput("--as expects \"Name <email>\" with both parts non-empty, got '\(text)'")
    }
    return Identity(name: cleanName, email: cleanEmail)
  }

  /// Cleans a name or email as git does (`strbuf_addstr_without_crud` in git's ident.c): `<`,
  /// `>` and line breaks are removed everywhere, and "crud" (whitespace, control characters and
  /// `.,:;<>"'\\`) is trimmed from both ends. Nil when nothing is left.
  static func sanitized(_ value: String) -> String? {
    let crud = Set(".,:;<>\"'\\".unicodeScalars)
    var scalars = Array(value.unicodeScalars.filter { $0 != "<" && $0 != ">" && $0 != "\n" && $0 != "\r" })
    func isCrud(_ s: Unicode.Scalar) -> Bool { s.value <= 32 || crud.contains(s) }
    while let first = scalars.first, isCrud(first) { scalars.removeFirst() }
    while let last = scalars.last, isCrud(last) { scalars.removeLast() }
    guard !scalars.isEmpty else { return nil }
    var out = String.UnicodeScalarView()
    out.append(contentsOf: scalars)
    return String(out)
  }

  /// Resolves who a change is recorded as, in git's order of precedence: `--as`, then the
  /// `GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL` variables, then `user.name`/`user.email` from git
  /// config (repository, global, XDG, system). An empty value counts as missing.
  ///
  /// - Throws: ``IncidentError/missingIdentity`` when no complete identity is found.
  public static func resolve(
    explicit: String?, config: Config, environment: [String: String]
  ) throws(IncidentError) -> Identity {
    if let explicit { return try parse(explicit) }
    func value(_ env: String, _ key: String) -> String? {
      (environment[env] ?? config.string(key)).flatMap(sanitized)
    }
    guard let name = value("GIT_AUTHOR_NAME", "user.name"),
      let email = value("GIT_AUTHOR_EMAIL", "user.email")
    else { throw .missingIdentity }
    return Identity(name: name, email: email)
  }

  /// The committer: `GIT_COMMITTER_NAME`/`GIT_COMMITTER_EMAIL` when set, else the author.
  public func committer(environment: [String: String]) -> Identity {
    guard let name = environment["GIT_COMMITTER_NAME"].flatMap(Self.sanitized),
      let email = environment["GIT_COMMITTER_EMAIL"].flatMap(Self.sanitized)
    else { return self }
    return Identity(name: name, email: email)
  }
}
