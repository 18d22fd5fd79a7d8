import Foundation

/// A problem in a record file that the person editing it can fix: what is wrong, where, and what
/// would be right.
///
/// Every reader in the `Format` layer (``YAMLReader``, ``YAMLMap``) throws this one type, so a
/// command can print any of them the same way, like a compiler diagnostic:
///
/// ```
/// incidents/2026/INC-20261129-7K3Q/incident.yaml:4:11: severity: expected a string, found a sequence
/// ```
///
/// Positions are 1-based. Columns count Unicode scalars (not bytes, not grapheme clusters),
/// which is how libyaml counts them; a UTF-8 byte order mark at the start of the file is not
/// counted.
public struct FormatError: Error, Sendable, CustomStringConvertible, Equatable {
  /// The file, as a path relative to the repository root, such as
  /// `incidents/2026/INC-20261129-7K3Q/incident.yaml`.
  public var file: String

  /// The 1-based line of the problem, or `nil` when the problem concerns the whole file.
  public var line: Int?

  /// The 1-based column of the problem, counted in Unicode scalars, or `nil` when unknown.
  public var column: Int?

  /// The dotted key path of the field concerned, such as `roles.commander` or `events[3].at`
  /// (sequence indexes are 0-based), or `nil` when the problem is not about one field (a syntax
  /// error, for example).
  public var field: String?

  /// What is wrong and what would be right, in plain lowercase English, such as
  /// "expected a string, found a mapping".
  public var message: String

  /// Creates an error.
  ///
  /// - Parameters:
  ///   - file: The repository-relative path of the file.
  ///   - line: The 1-based line, if known.
  ///   - column: The 1-based column in Unicode scalars, if known. Ignored by ``description``
  ///     when `line` is `nil`.
  ///   - field: The dotted key path of the field, if the problem concerns one field.
  ///   - message: What is wrong and what would be right, in plain lowercase English.
  public init(
    file: String, line: Int? = nil, column: Int? = nil, field: String? = nil, message: String
  ) {
    self.file = file
    self.line = line
    self.column = column
    self.field = field
    self.message = message
  }

  /// The error as `file:line:column: field: message`, leaving out the parts that are absent
  /// (a column is only shown after a line).
  public var description: String {
    var text = file
    if let line {
      text += ":\(line)"
      if let column { text += ":\(column)" }
    }
    text += ": "
    if let field, !field.isEmpty { text += "\(field): " }
    return text + message
  }
}
