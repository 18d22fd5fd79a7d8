/// A commit message in the form DESIGN section 4 gives: subject, optional body, trailers.
///
/// ```
/// INC-20261129-7K3Q: status active -> mitigated
///
/// Rolled back the deploy.
///
/// Incident: INC-20261129-7K3Q
/// Incident-Change: status
/// Incident-Status: mitigated
/// ```
/// `git log --format='%(trailers)'` and `git interpret-trailers` read the trailers.
public struct CommitMessage: Sendable, Equatable {
  /// The first line (kept to one line).
  public var subject: String
  /// Free text between subject and trailers; empty for none.
  public var body: String
  /// `Key: value` pairs, in order; values are single lines.
  public var trailers: [(key: String, value: String)]

  public init(subject: String, body: String = "", trailers: [(key: String, value: String)]) {
    self.subject = subject
    self.body = body
    self.trailers = trailers
  }

  /// The full message text, ending with a newline.
  public var text: String {
    var out = Self.oneLine(subject) + "\n"
    let trimmedBody = body.isEmpty ? "" : body.trimmingCharacters(in: .whitespacesAndNewlines)
    if !trimmedBody.isEmpty { out += "\n" + trimmedBody + "\n" }
    if !trailers.isEmpty {
      out += "\n" + trailers.map { "\($0.key): \(Self.oneLine($0.value))" }.joined(separator: "\n") + "\n"
    }
    return out
  }

  /// The first line of `text`, shortened to `limit` characters with an ellipsis.
  public static func oneLine(_ text: String, limit: Int = 200) -> String {
    let trimmed = text.split(separator: "\n", omittingEmptySubsequences: true).first?.trimmingWhitespace ?? ""
    return trimmed.count > limit ? String(trimmed.prefix(limit - 1)) + "…" : trimmed
  }

  public static func == (lhs: CommitMessage, rhs: CommitMessage) -> Bool {
    lhs.subject == rhs.subject && lhs.body == rhs.body
      && lhs.trailers.map(\.key) == rhs.trailers.map(\.key)
      && lhs.trailers.map(\.value) == rhs.trailers.map(\.value)
  }
}

import Foundation
