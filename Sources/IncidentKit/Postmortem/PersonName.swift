import Foundation

/// People as postmortems and action items name them: `Name <email>` or a bare name, cleaned as
/// git cleans an identity (``Identity/sanitized(_:)``, after `strbuf_addstr_without_crud` in
/// git's ident.c) so that `<>`, `" . "` or stray quotes never count as someone.
public enum PersonName {
  /// The parts of a person's text after cleaning: the name (possibly empty) and the email, if
  /// the text has a `<...>` part with something left in it.
  public struct Parts: Sendable, Equatable {
    public var name: String
    public var email: String?

    /// `Name <email>`, `Name` or `<email>`.
    public var formatted: String {
      switch (name.isEmpty, email) {
      case (false, let email?): return "\(name) <\(email)>"
      case (true, let email?): return "<\(email)>"
      default: return name
      }
    }
  }

  /// Splits and cleans `text`: the email is what is between the last `<` and the `>` after it,
  /// the name what comes before; each is cleaned by git's rules.
  ///
  /// - Returns: nil when nothing is left of either part (`<>`, `""`, `" . "`): nobody.
  public static func parts(_ text: String) -> Parts? {
    var name = text
    var email: String?
    if let open = text.lastIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
      name = String(text[..<open]) + String(text[text.index(after: close)...])
      email = Identity.sanitized(String(text[text.index(after: open)..<close]))
    }
    let cleanName = Identity.sanitized(name) ?? ""
    guard !cleanName.isEmpty || email != nil else { return nil }
    return Parts(name: cleanName, email: email)
  }

  /// `text` cleaned (see ``parts(_:)``), nil when it names nobody.
  public static func cleaned(_ text: String) -> String? { parts(text)?.formatted }

  /// Cleans a person given on the command line.
  ///
  /// - Parameter what: the option, for the message (`--owner`).
  /// - Throws: ``IncidentError/invalidInput(_:)`` for control characters or text that names
  ///   nobody once cleaned (`<>`).
  static func required(_ text: String, what: String) throws(IncidentError) -> String {
    let line = try Lifecycle.singleLine(text, what: what)
    guard let clean = cleaned(line) else {
      throw .invalidInput("\(what) '\(text)' names nobody once cleaned up (git's rules drop <, >, quotes and surrounding punctuation); give \"Name <email>\" or a name")
    }
    return clean
  }

  /// True when `a` and `b` are the same person for authorship: the same email, or the same
  /// name, case-insensitively. Either is enough, so an author writing from another address is
  /// still the author (names are compared whole, after cleaning).
  public static func samePerson(_ a: String, _ b: String) -> Bool {
    guard let pa = parts(a), let pb = parts(b) else { return false }
    if let ea = pa.email, let eb = pb.email, ea.lowercased() == eb.lowercased() { return true }
    return !pa.name.isEmpty && pa.name.lowercased() == pb.name.lowercased()
  }

  /// The key two mentions of one person share in a list: the email when there is one, else the
  /// name, lower-cased.
  static func listKey(_ text: String) -> String {
    guard let p = parts(text) else { return "" }
    return p.email.map { "<" + $0.lowercased() + ">" } ?? p.name.lowercased()
  }

  /// True when `query` is the whole name, the whole email or the whole `Name <email>` of
  /// `person`, case-insensitively (`actions --owner`).
  public static func matches(_ person: String, query: String) -> Bool {
    guard let p = parts(person), let q = parts(query) else { return false }
    let name = p.name.lowercased(), email = p.email?.lowercased()
    if let qe = q.email {
      return qe.lowercased() == email && (q.name.isEmpty || q.name.lowercased() == name)
    }
    let text = q.name.lowercased()
    return text == name || text == email
  }
}
