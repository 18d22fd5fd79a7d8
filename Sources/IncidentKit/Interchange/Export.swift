import Foundation
import Yams

/// The formats of `git incident export`.
public enum ExportFormat: String, Sendable, CaseIterable {
  /// One JSON document that validates against `schema/export.json`.
  case json
  /// RFC 4180 CSV, one row per incident with the computed durations in seconds.
  case csv
  /// Markdown for reading.
  case markdown
}

/// Incidents with their timelines, action items and postmortem paths, written as JSON, CSV or
/// Markdown.
public struct Export: Sendable {
  /// The selected records, newest declaration first.
  public var records: [IncidentRecord]
  public var actions: [IncidentID: [ActionMetric]]
  public var postmortems: [IncidentID: String]
  public var generatedAt: Date
  /// The filter, as JSON, recorded in the JSON document.
  public var filter: [String: JSONValue]

  /// The format version of the JSON document (`version` in `schema/export.json`).
  public static let version = 1

  // MARK: JSON

  /// `{"format": "git-incident-export", "version": 1, "generated_at", "filter", "incidents": [...]}`;
  /// each incident has every field of `show --json`, plus `source`, `durations` (seconds or
  /// null, with the formulas in `formulas`), `postmortem` (path and status, or null),
  /// `actions`, and `extra` (the keys the tool does not know, such as `veris`).
  public var json: JSONValue {
    .object([
      "format": .string("git-incident-export"), "version": .number(Double(Self.version)),
      "generated_at": .time(generatedAt), "filter": .object(filter),
      "formulas": .object(Dictionary(uniqueKeysWithValues: IncidentMetric.allCases.map { ($0.rawValue, JSONValue.string($0.formula)) })),
      "incidents": .array(records.map(json(of:))),
    ])
  }

  func json(of record: IncidentRecord) -> JSONValue {
    guard case .object(var object) = record.json else { return record.json }
    let incident = record.incident
    object["source"] = incident.source.map { .object(["system": .string($0.system), "id": .string($0.id)]) } ?? .null
    var durations: [String: JSONValue] = [:]
    for metric in IncidentMetric.allCases {
      durations[metric.rawValue] = metric.seconds(incident).map(JSONValue.number) ?? .null
    }
    object["durations"] = .object(durations)
    object["postmortem"] = postmortems[incident.id].map {
      .object(["path": .string($0), "status": .optional(record.postmortemStatus)])
    } ?? .null
    object["actions"] = .array((actions[incident.id] ?? []).map { a in
      .object([
        "id": .string(a.id), "title": .string(a.title), "status": .string(a.status),
        "owner": .optional(a.owner), "priority": .optional(a.priority), "due": .optional(a.dueDate),
        "done_at": .time(a.doneAt),
      ])
    })
    var extra: [String: JSONValue] = [:]
    for field in incident.extra { extra[field.key] = Self.json(field.value) }
    object["extra"] = .object(extra)
    return .object(object)
  }

  /// A YAML value as JSON: plain scalars that YAML reads as null, bools or numbers become
  /// those; everything else a string.
  static func json(_ node: Node) -> JSONValue {
    switch node {
    case .scalar(let scalar):
      let text = scalar.string
      guard scalar.style == .plain || scalar.style == .any else { return .string(text) }
      if ["", "~", "null", "Null", "NULL"].contains(text) { return .null }
      if ["true", "True", "TRUE"].contains(text) { return .bool(true) }
      if ["false", "False", "FALSE"].contains(text) { return .bool(false) }
      if let i = Int64(text) { return .number(Double(i)) }
      if text.contains("."), let d = Double(text), d.isFinite { return .number(d) }
      return .string(text)
    case .mapping(let mapping):
      var object: [String: JSONValue] = [:]
      for (k, v) in mapping { object[k.string ?? ""] = json(v) }
      return .object(object)
    case .sequence(let sequence):
      return .array(sequence.map(json))
    case .alias:
      return .null
    }
  }

  // MARK: CSV

  /// The CSV columns, in order.
  public static let csvColumns: [String] =
    ["id", "title", "kind", "severity", "status", "services", "labels", "commander"]
    + IncidentTimes.fields.map(\.name)
    + IncidentMetric.allCases.map { "\($0.rawValue)_seconds" }
    + ["source_system", "source_id", "postmortem", "actions_open", "actions_done"]

  /// RFC 4180 CSV with a header row and one row per incident; lists joined with `; `, times
  /// RFC 3339 UTC, durations in seconds (empty when unknown).
  public var csv: String {
    var rows = [Self.csvColumns]
    for record in records {
      let i = record.incident
      var row = [
        i.id.rawValue, i.title, i.kind.rawValue, i.severity, i.status.rawValue,
        i.services.joined(separator: "; "), i.labels.joined(separator: "; "), i.commander ?? "",
      ]
      row += IncidentTimes.fields.map { i.times[keyPath: $0.path].map(RFC3339.format) ?? "" }
      row += IncidentMetric.allCases.map { CSV.number($0.seconds(i)) }
      let items = actions[i.id] ?? []
      row += [
        i.source?.system ?? "", i.source?.id ?? "", postmortems[i.id] ?? "",
        String(items.filter(\.isOpen).count), String(items.filter(\.isDone).count),
      ]
      rows.append(row)
    }
    return CSV.render(rows)
  }

  // MARK: Markdown

  /// Text from records for Markdown: `&`, `<` and `>` as HTML entities, so HTML in a title or
  /// note (`<script>`, `<svg onload=...>`) is shown, never rendered.
  static func markdownText(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }

  /// Text for a Markdown table cell or a one-line item: ``markdownText(_:)``, pipes escaped
  /// (`\|`), line breaks as spaces.
  static func markdownCell(_ s: String) -> String {
    markdownText(s).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\r\n", with: " ")
      .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
  }

  /// A Markdown document: a summary table, then each incident with its times, durations,
  /// summary and timeline. Text from the records is escaped (``markdownText(_:)``,
  /// ``markdownCell(_:)``).
  public var markdown: String {
    let cell = Self.markdownCell
    var out = "# Incidents\n\nExported \(RFC3339.format(generatedAt)); \(records.count) incident\(records.count == 1 ? "" : "s"). Times in UTC.\n\n"
    out += "| ID | Severity | Status | Kind | Declared | Title |\n|---|---|---|---|---|---|\n"
    for r in records {
      let i = r.incident
      out += "| \(i.id) | \(cell(i.severity)) | \(i.status.rawValue) | \(i.kind.rawValue) | \(i.times.reportedAt.map(RFC3339.format) ?? "-") | \(cell(i.title)) |\n"
    }
    for r in records {
      let i = r.incident
      out += "\n## \(i.id): \(cell(i.title))\n\n"
      out += "- Severity: \(cell(i.severity)); status: \(i.status.rawValue); kind: \(i.kind.rawValue)\n"
      if !i.services.isEmpty { out += "- Services: \(cell(i.services.joined(separator: ", ")))\n" }
      if !i.labels.isEmpty { out += "- Labels: \(cell(i.labels.joined(separator: ", ")))\n" }
      for role in i.roles { out += "- \(cell(role.role.capitalized)): \(cell(role.person))\n" }
      if let s = i.source { out += "- Source: \(cell(s.text))\n" }
      if let pm = postmortems[i.id] { out += "- Postmortem: [\(pm)](\(pm))\(r.postmortemStatus.map { " (\($0))" } ?? "")\n" }
      for field in IncidentTimes.fields {
        if let d = i.times[keyPath: field.path] { out += "- \(field.name): \(RFC3339.format(d))\n" }
      }
      for metric in IncidentMetric.allCases {
        if let s = metric.seconds(i) { out += "- \(metric.label) (\(metric.formula)): \(Stats.duration(s))\n" }
      }
      if let summary = i.summary { out += "\n" + Self.markdownText(summary) + "\n" }
      if !r.timeline.events.isEmpty {
        out += "\n| Time | Event |\n|---|---|\n"
        for e in r.timeline.events {
          var what = e.type
          if let from = e.from, let to = e.to { what += " \(from) -> \(to)" } else if let to = e.to { what += " \(to)" }
          if let text = e.text { what += ": " + text }
          out += "| \(RFC3339.format(e.at)) | \(cell(what)) |\n"
        }
      }
      let items = actions[i.id] ?? []
      if !items.isEmpty {
        out += "\nAction items:\n\n"
        for a in items { out += "- [\(a.isDone ? "x" : " ")] \(cell(a.title))\(a.owner.map { " (\(cell($0)))" } ?? "")\n" }
      }
    }
    return out
  }
}

extension IncidentStore {
  /// Reads the incidents `filter` selects, with timelines, action items and postmortem paths,
  /// for ``Export``.
  ///
  /// - Returns: the export and the records that could not be read (left out).
  /// - Throws: ``IncidentError`` when the settings cannot be read or git fails.
  public func export(filter: IncidentFilter, filterJSON: [String: JSONValue] = [:]) throws(IncidentError)
    -> (export: Export, problems: [String])
  {
    let data = try reviewData(filter: filter)
    let tree = try headTree()
    var records: [IncidentRecord] = []
    var problems = data.problems
    for incident in data.incidents {
      do {
        records.append(try record(incident.id, in: tree))
      } catch {
        problems.append(error.description)
      }
    }
    var actions: [IncidentID: [ActionMetric]] = [:]
    for item in data.actions { actions[item.incident, default: []].append(item) }
    return (Export(records: records, actions: actions, postmortems: data.postmortems, generatedAt: now, filter: filterJSON), problems)
  }
}
