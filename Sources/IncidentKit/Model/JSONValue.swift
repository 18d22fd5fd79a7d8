import Foundation

/// A JSON value, for output whose shape must be exact (nulls kept, keys sorted).
public enum JSONValue: Sendable, Equatable, Encodable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .null: try c.encodeNil()
    case .bool(let b): try c.encode(b)
    case .number(let n):
      if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
    case .string(let s): try c.encode(s)
    case .array(let a): try c.encode(a)
    case .object(let o): try c.encode(o)
    }
  }

  /// A string, or null for nil.
  public static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

  /// An RFC 3339 UTC time, or null for nil.
  public static func time(_ d: Date?) -> JSONValue { d.map { .string(RFC3339.format($0)) } ?? .null }

  /// Pretty-printed JSON with sorted keys, ending with a newline.
  public func rendered() -> String {
    if let fast = fastRendered() { return fast }  // the same bytes, much faster
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(self)) ?? Data("null".utf8)
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}

extension Incident {
  /// The incident as JSON: every field present, `null` where unknown; times RFC 3339 UTC.
  public var json: [String: JSONValue] {
    var times: [String: JSONValue] = [:]
    for field in IncidentTimes.fields { times[field.name] = .time(self.times[keyPath: field.path]) }
    var roles: [String: JSONValue] = [:]
    for r in self.roles { roles[r.role] = .string(r.person) }
    return [
      "id": .string(id.rawValue), "title": .string(title), "kind": .string(kind.rawValue),
      "severity": .string(severity), "status": .string(status.rawValue),
      "summary": .optional(summary), "services": .array(services.map(JSONValue.string)),
      "labels": .array(labels.map(JSONValue.string)), "roles": .object(roles),
      "times": .object(times), "declined_reason": .optional(declinedReason),
      "declared_by": .optional(declaredBy),
    ]
  }
}

extension TimelineEvent {
  /// The event as JSON: every field present, `null` where absent.
  public var json: JSONValue {
    .object([
      "id": .string(id), "at": .time(at), "by": .string(by), "type": .string(type),
      "text": .optional(text), "from": .optional(from), "to": .optional(to),
      "role": .optional(role), "audience": .optional(audience), "reason": .optional(reason),
    ])
  }
}

extension IncidentRecord {
  /// The incident with its timeline and postmortem status.
  public var json: JSONValue {
    var object = incident.json
    object["timeline"] = .array(timeline.events.map(\.json))
    object["postmortem_status"] = .optional(postmortemStatus)
    object["actions"] = .array(actions.items.map(\.json))
    object["tasks"] = .array(tasks.tasks.map(\.json))
    object["playbook"] = .optional(tasks.playbook)
    return .object(object)
  }
}

extension HistoryEntry {
  /// The entry as JSON.
  public var json: JSONValue {
    .object([
      "commit": .string(commit.hex), "author": .string(author), "date": .time(date),
      "subject": .string(subject), "change": .optional(changeKind),
      "hand_edit": .bool(isHandEdit), "merge": .bool(isMerge),
      "changes": .array(changes.map(JSONValue.string)),
      "parents": .array(parents.map { .string($0.hex) }), "mark": .optional(mark),
    ])
  }
}

extension ActionItem {
  /// The action item as JSON: every field present, `null` where absent; times RFC 3339 UTC,
  /// `due` a `YYYY-MM-DD` date.
  public var json: JSONValue {
    .object([
      "id": .string(id), "title": .string(title), "type": .optional(type?.rawValue),
      "priority": .optional(priority?.rawValue), "status": .string(status.rawValue),
      "owner": .optional(owner), "due": .optional(due), "link": .optional(link),
      "created_at": .time(createdAt), "created_by": .optional(createdBy),
      "done_at": .time(doneAt), "done_by": .optional(doneBy),
    ])
  }
}

extension PlaybookTask {
  /// The task as JSON: every field present, `null` where absent.
  public var json: JSONValue {
    .object([
      "id": .string(id), "title": .string(title), "status": .string(status.rawValue),
      "done_at": .time(doneAt), "done_by": .optional(doneBy),
    ])
  }
}
