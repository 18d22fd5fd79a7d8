import Foundation

extension BlameLine {
  /// The line as JSON: `field`, `value` (null when unset), `commit` (40 hex), `author`,
  /// `date` (RFC 3339 UTC), `subject`, `hand_edit`, `merge`.
  public var json: JSONValue {
    .object([
      "field": .string(field), "value": .optional(value), "commit": .string(commit.hex),
      "author": .string(author), "date": .time(date), "subject": .string(subject),
      "hand_edit": .bool(isHandEdit), "merge": .bool(isMerge),
    ])
  }
}

extension AuditViolation {
  /// The violation as JSON: `commit` (40 hex), `file` and `line` (null when not about one),
  /// `rule`, `message`.
  public var json: JSONValue {
    .object([
      "commit": .string(commit.hex), "file": .optional(file),
      "line": line.map { .number(Double($0)) } ?? .null, "rule": .string(rule),
      "message": .string(message),
    ])
  }
}

extension AuditedCommit {
  /// The commit as JSON.
  public var json: JSONValue {
    .object([
      "commit": .string(commit.hex), "author": .string(author), "date": .time(date),
      "subject": .string(subject), "hand_edit": .bool(isHandEdit), "merge": .bool(isMerge),
      "files": .array(files.map(JSONValue.string)), "signature": .optional(signature),
    ])
  }
}

extension AuditReport {
  /// The report as JSON: `passed`, `tip`, `since`, `commits_walked`, `commits_audited`,
  /// `signatures_checked`, `violations`, `hand_edits`, `reverted`, `commits`.
  public var json: JSONValue {
    .object([
      "passed": .bool(passed), "tip": .optional(tip?.hex), "since": .optional(since?.hex),
      "commits_walked": .number(Double(commitsWalked)),
      "commits_audited": .number(Double(audited.count)),
      "signatures_checked": .number(Double(signaturesChecked)),
      "violations": .array(violations.map(\.json)),
      "hand_edits": .array(handEdits.map(\.json)),
      "reverted": .array(reverted.map {
        var object: [String: JSONValue] = ["reverted_by": .string($0.revertedBy.hex)]
        if case .object(let v) = $0.violation.json { object.merge(v) { a, _ in a } }
        return .object(object)
      }),
      "commits": .array(audited.map(\.json)),
    ])
  }
}
