import Foundation
import IncidentKit

/// Text renderings for people.
enum Render {
  static func record(_ record: IncidentRecord) -> String {
    let i = record.incident
    var out = "\(i.id)  \(i.severity)  \(i.status.rawValue)  \(i.kind.rawValue)\n\(i.title)"
    var tags: [String] = []
    if !i.services.isEmpty { tags.append("Services: " + i.services.joined(separator: ", ")) }
    if !i.labels.isEmpty { tags.append("Labels:   " + i.labels.joined(separator: ", ")) }
    if !tags.isEmpty { out += "\n\n" + tags.joined(separator: "\n") }
    if !i.roles.isEmpty {
      out += "\n\nRoles:\n" + Output.table(i.roles.map { ["  " + $0.role, $0.person] })
    }
    let times = IncidentTimesView.rows(i.times)
    if !times.isEmpty { out += "\n\nTimes (UTC):\n" + Output.table(times.map { ["  " + $0.0, RFC3339.format($0.1)] }) }
    if let reason = i.declinedReason { out += "\nDeclined: \(reason)" }
    if let pm = record.postmortemStatus { out += "\nPostmortem: \(pm)" }
    if let summary = i.summary {
      out += "\n\nSummary:\n" + summary.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }
    if !record.tasks.tasks.isEmpty {
      out += "\n\nTasks" + (record.tasks.playbook.map { " (playbook \($0))" } ?? "") + ":\n"
      out += record.tasks.tasks.map { t in
        "  [\(t.status == .done ? "x" : " ")] \(t.id)  \(t.title)" + (t.doneBy.map { "  (done by \(personName($0)))" } ?? "")
      }.joined(separator: "\n")
    }
    if !record.actions.items.isEmpty {
      out += "\n\nAction items:\n" + Output.table(record.actions.items.map { a in
        ["  " + a.id, a.status.rawValue, a.due ?? "-", a.priority?.rawValue ?? "-", a.owner.map(personName) ?? "(no owner)", a.title]
      })
    }
    out += "\n\nTimeline (UTC):\n"
    out += Output.table(record.timeline.events.map { e in
      ["  " + Output.shortTime(e.at), personName(e.by), describe(e)]
    })
    return out
  }

  static func describe(_ e: TimelineEvent) -> String {
    var text: String
    switch e.type {
    case "declared": text = "declared \(e.to ?? ""): \(e.text ?? "")"
    case "status": text = "status \(e.from ?? "?") -> \(e.to ?? "?")" + (e.reason.map { " (\($0))" } ?? "") + (e.text.map { ": \($0)" } ?? "")
    case "severity": text = "severity \(e.from ?? "?") -> \(e.to ?? "?")" + (e.text.map { ": \($0)" } ?? "")
    case "role": text = e.from.map { "\(e.role ?? "role") \($0) -> \(e.to ?? "")" } ?? "\(e.role ?? "role"): \(e.to ?? "")"
    case "update": text = "\(e.audience ?? "internal") update: \(e.text ?? "")"
    case "note": text = "note: \(e.text ?? "")"
    default: text = "\(e.type): " + (e.text ?? e.to ?? "")
    }
    return text.replacingOccurrences(of: "\n", with: " ⏎ ")
  }

  static func personName(_ person: String) -> String {
    if let open = person.firstIndex(of: "<") {
      let name = person[..<open].trimmingCharacters(in: .whitespaces)
      if !name.isEmpty { return name }
    }
    return person
  }

  /// One line per change: `2026-11-29 10:42Z  Ana Lima  severity SEV3 -> SEV2`.
  static func history(_ entries: [HistoryEntry]) -> String {
    let width = entries.map(\.authorName.count).max() ?? 0
    let lines = entries.flatMap { $0.lines(nameWidth: width) }
    return lines.isEmpty ? "no history" : lines.joined(separator: "\n")
  }
}

extension Render {
  /// `postmortem check` output: one line per problem, `file:line: level: message`, hints
  /// indented below, then a summary line.
  static func postmortemReport(_ report: PostmortemReport, strict: Bool) -> String {
    var lines: [String] = []
    for p in report.problems {
      lines.append("\(report.file)\(p.line.map { ":\($0)" } ?? ""): \(p.level.rawValue): \(p.message)")
      if let hint = p.hint { lines.append("    hint: \(hint)") }
    }
    let source = report.fromWorkTree ? "work tree" : "committed"
    let counts = "\(report.errors.count) error\(report.errors.count == 1 ? "" : "s"), \(report.warnings.count) warning\(report.warnings.count == 1 ? "" : "s")"
    lines.append(report.passes(strict: strict)
      ? "postmortem check passed (\(source) copy): \(counts)"
      : "postmortem check failed (\(source) copy): \(counts)" + (strict && report.errors.isEmpty ? " (--strict)" : ""))
    return lines.joined(separator: "\n")
  }
}

enum IncidentTimesView {
  nonisolated(unsafe) static let labels: [(String, KeyPath<IncidentTimes, Date?>)] = [
    ("started", \.startedAt), ("detected", \.detectedAt), ("acknowledged", \.acknowledgedAt),
    ("reported", \.reportedAt), ("mitigated", \.mitigatedAt), ("contained", \.containedAt),
    ("eradicated", \.eradicatedAt), ("resolved", \.resolvedAt), ("review", \.reviewAt),
    ("closed", \.closedAt), ("declined", \.declinedAt),
  ]

  static func rows(_ t: IncidentTimes) -> [(String, Date)] {
    labels.compactMap { name, path in t[keyPath: path].map { (name, $0) } }
  }
}
