import Foundation

/// How `stats` groups incidents.
public enum StatsGrouping: String, Sendable, CaseIterable {
  /// By severity, in the repository's order (worst first).
  case severity
  /// By affected service; an incident with several services counts in each, one with none in
  /// `(none)`.
  case service
  /// By kind (outage, security).
  case kind
  /// By the UTC month (`2026-11`) of the declaration (`reported_at`).
  case month
}

/// The incident review's figures: counts, the four time measures and action items.
public struct Stats: Sendable {
  /// One group's figures.
  public struct Group: Sendable {
    /// The group's value (`SEV1`, `checkout`, `2026-11`), or `all`.
    public var key: String
    /// How many incidents.
    public var count: Int
    /// How many incidents per status, only statuses that occur.
    public var statuses: [(status: IncidentStatus, count: Int)]
    /// The figures of each measure.
    public var metrics: [(metric: IncidentMetric, summary: MetricSummary)]
  }

  /// Action item counts.
  public struct Actions: Sendable, Equatable {
    public var total = 0
    public var open = 0
    public var done = 0
    public var cancelled = 0
    /// Open with a due time before ``Stats/generatedAt``.
    public var overdue = 0
  }

  public var generatedAt: Date
  public var since: Date?
  public var until: Date?
  public var grouping: StatsGrouping?
  /// Every selected incident.
  public var overall: Group
  /// One per group when ``grouping`` is set, in the grouping's order.
  public var groups: [Group]
  public var actions: Actions

  /// Computes the figures over `data`.
  ///
  /// - Parameters:
  ///   - now: the time overdue is measured against.
  public init(_ data: ReviewData, by grouping: StatsGrouping?, since: Date?, until: Date?, now: Date) {
    generatedAt = now
    self.since = since
    self.until = until
    self.grouping = grouping
    overall = Self.group("all", data.incidents)
    var groups: [Group] = []
    if let grouping {
      var buckets: [String: [Incident]] = [:]
      for incident in data.incidents {
        for key in Self.keys(incident, grouping) { buckets[key, default: []].append(incident) }
      }
      let ordered = buckets.keys.sorted { a, b in
        if grouping == .severity {
          let ra = data.settings.rank(ofSeverity: a), rb = data.settings.rank(ofSeverity: b)
          if ra != rb { return ra < rb }
        }
        return a < b
      }
      groups = ordered.map { Self.group($0, buckets[$0]!) }
    }
    self.groups = groups
    var actions = Actions()
    for item in data.actions {
      actions.total += 1
      if item.isDone { actions.done += 1 }
      if item.isCancelled { actions.cancelled += 1 }
      if item.isOpen { actions.open += 1 }
      if item.isOverdue(at: now) { actions.overdue += 1 }
    }
    self.actions = actions
  }

  static func keys(_ incident: Incident, _ grouping: StatsGrouping) -> [String] {
    switch grouping {
    case .severity: return [incident.severity]
    case .kind: return [incident.kind.rawValue]
    case .service: return incident.services.isEmpty ? ["(none)"] : Lifecycle.unique(incident.services)
    case .month: return [month(of: incident)]
    }
  }

  /// `YYYY-MM` (UTC) of the declaration, else of detection or start; `unknown` without times.
  public static func month(of incident: Incident) -> String {
    guard let date = incident.times.reportedAt ?? incident.times.detectedAt ?? incident.times.startedAt
    else { return "unknown" }
    return String(RFC3339.format(date).prefix(7))
  }

  static func group(_ key: String, _ incidents: [Incident]) -> Group {
    var statuses: [(IncidentStatus, Int)] = []
    for status in IncidentStatus.allCases {
      let n = incidents.filter { $0.status == status }.count
      if n > 0 { statuses.append((status, n)) }
    }
    let metrics = IncidentMetric.allCases.map { metric in
      (metric, MetricSummary(incidents.compactMap { metric.seconds($0) }))
    }
    return Group(key: key, count: incidents.count, statuses: statuses, metrics: metrics)
  }

  // MARK: Output

  /// The figures as JSON: every formula and the percentile definition included, durations in
  /// seconds (null when no incident has both times).
  public var json: JSONValue {
    var object: [String: JSONValue] = [
      "generated_at": .time(generatedAt), "since": .time(since), "until": .time(until),
      "by": .optional(grouping?.rawValue), "unit": .string("seconds"),
      "percentile_definition": .string(MetricSummary.definition),
      "formulas": .object(Dictionary(uniqueKeysWithValues: IncidentMetric.allCases.map { ($0.rawValue, JSONValue.string($0.formula)) })),
      "overall": Self.json(overall),
      "action_items": .object([
        "total": .number(Double(actions.total)), "open": .number(Double(actions.open)),
        "done": .number(Double(actions.done)), "cancelled": .number(Double(actions.cancelled)),
        "overdue": .number(Double(actions.overdue)),
        "definition": .string("open: neither done nor cancelled; overdue: open with a due time before generated_at"),
      ]),
    ]
    object["groups"] = .array(groups.map(Self.json))
    return .object(object)
  }

  static func json(_ group: Group) -> JSONValue {
    func number(_ d: Double?) -> JSONValue { d.map(JSONValue.number) ?? .null }
    var metrics: [String: JSONValue] = [:]
    for (metric, s) in group.metrics {
      metrics[metric.rawValue] = .object([
        "formula": .string(metric.formula), "n": .number(Double(s.n)), "mean": number(s.mean),
        "median": number(s.median), "p90": number(s.p90),
      ])
    }
    var statuses: [String: JSONValue] = [:]
    for (status, n) in group.statuses { statuses[status.rawValue] = .number(Double(n)) }
    return .object([
      "key": .string(group.key), "count": .number(Double(group.count)),
      "statuses": .object(statuses), "metrics": .object(metrics),
    ])
  }

  /// One CSV row per group and measure (RFC 4180), overall first:
  /// `group,count,metric,formula,n,mean_seconds,median_seconds,p90_seconds`.
  public var csv: String {
    var rows = [["group", "count", "metric", "formula", "n", "mean_seconds", "median_seconds", "p90_seconds"]]
    for group in [overall] + groups {
      for (metric, s) in group.metrics {
        rows.append([
          group.key, String(group.count), metric.rawValue, metric.formula, String(s.n),
          CSV.number(s.mean), CSV.number(s.median), CSV.number(s.p90),
        ])
      }
    }
    return CSV.render(rows)
  }

  /// A text report for people, durations as `1h 02m`.
  public var text: String {
    var out = "Incidents: \(overall.count)"
    if since != nil || until != nil {
      out += " declared" + (since.map { " from \(RFC3339.format($0))" } ?? "") + (until.map { " before \(RFC3339.format($0))" } ?? "")
    }
    out += "\n"
    for group in [overall] + groups {
      if group.key != "all" || !groups.isEmpty {
        out += "\n\(group.key == "all" ? "All" : "\(grouping?.rawValue ?? "") \(group.key)"): \(group.count) incident\(group.count == 1 ? "" : "s")\n"
      }
      out += "  statuses: " + group.statuses.map { "\($0.status.rawValue) \($0.count)" }.joined(separator: ", ") + "\n"
      var rows = [["  measure", "formula", "n", "mean", "median", "p90"]]
      for (metric, s) in group.metrics {
        rows.append(["  " + metric.label, metric.formula, String(s.n), Self.duration(s.mean), Self.duration(s.median), Self.duration(s.p90)])
      }
      out += Self.table(rows) + "\n"
    }
    out += "\nAction items: \(actions.open) open (\(actions.overdue) overdue), \(actions.done) done, \(actions.cancelled) cancelled\n"
    out += "Figures: \(MetricSummary.definition).\n"
    return out
  }

  /// `45s`, `12m 05s`, `3h 07m`, `2d 04h`; `-` for nil.
  public static func duration(_ seconds: Double?) -> String {
    guard let seconds else { return "-" }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return String(format: "%dm %02ds", s / 60, s % 60) }
    if s < 86_400 { return String(format: "%dh %02dm", s / 3600, s % 3600 / 60) }
    return String(format: "%dd %02dh", s / 86_400, s % 86_400 / 3600)
  }

  static func table(_ rows: [[String]]) -> String {
    guard let columns = rows.map(\.count).max() else { return "" }
    var widths = Array(repeating: 0, count: columns)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    return rows.map { row in
      row.enumerated().map { i, cell in
        i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }
}

/// RFC 4180 CSV: fields with a comma, a double quote, CR or LF are quoted, quotes doubled;
/// records end with CRLF.
///
/// Against CSV (formula) injection, as the OWASP "CSV Injection" page recommends: a cell that
/// starts with `=`, `+`, `-`, `@`, a tab or a CR gets a single quote `'` in front, so a
/// spreadsheet shows it as text instead of running it as a formula; plain numbers (`-5`,
/// `-0.25`, `+3`) are left as they are, so durations stay numbers.
public enum CSV {
  /// The characters that make a spreadsheet read a cell as a formula (OWASP).
  static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r", "\r\n"]

  /// `s` with a leading `'` when a spreadsheet would read it as a formula; plain numbers are
  /// left alone.
  public static func neutralized(_ s: String) -> String {
    guard let first = s.first, formulaStarts.contains(first) else { return s }
    if s.range(of: #"^[+-]?[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil { return s }
    return "'" + s
  }

  /// One field: neutralized (see ``neutralized(_:)``), then quoted when needed.
  public static func field(_ raw: String) -> String {
    let s = neutralized(raw)
    if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
      return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return s
  }

  public static func render(_ rows: [[String]]) -> String {
    rows.map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
  }

  /// A number without a needless `.0`; empty for nil.
  public static func number(_ d: Double?) -> String {
    guard let d else { return "" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return String(format: "%.3f", d)
  }
}
