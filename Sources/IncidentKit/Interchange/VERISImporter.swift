import Foundation

/// Reads VERIS JSON (the Vocabulary for Event Recording and Incident Sharing, versions 1.3 and
/// 1.4, as the VERIS Community Database publishes it) into `kind: security` incidents.
///
/// - `incident_id` is the source ID (compared case-insensitively); `plus.master_id` and every
///   other field stay in a `veris` block of `incident.yaml` (actor, action, asset, attribute,
///   victim, timeline, impact, discovery_method, reference, plus ...): only `summary` moves to
///   the record's own `summary`.
/// - Times: `timeline.incident` (year, optional month, day and `time`) is `started_at`, read in
///   the repository's time zone (VERIS dates carry none); `detected_at` is that plus
///   `timeline.compromise` and `timeline.discovery`, `contained_at` that plus
///   `timeline.containment` (units Seconds to Years; a month is 30 days, a year 365 days;
///   Unknown, NA and Never leave the time unset).
/// - Status: `security_incident` Confirmed, Suspected or Near miss -> resolved (VERIS records
///   past incidents; `resolved_at` stays unset because VERIS has no such time); False positive
///   -> declined (false-positive).
/// - Severity from `impact.overall_rating`: Catastrophic 1st level, Damaging 2nd, Painful 3rd,
///   Distracting 4th, Insignificant 5th; Unknown or absent 2nd (a security incident is at least
///   SEV2 by the default definitions).
/// - Values out of range in fields the record does not use (`plus.dbir_year: 220`) are kept as
///   they are and reported as warnings naming the field; invalid values in fields it uses
///   (`timeline.incident.month: 13`) skip the record.
enum VERISImporter {
  static let ratingPosition: [String: Int] = [
    "Catastrophic": 0, "Damaging": 1, "Painful": 2, "Distracting": 3, "Insignificant": 4, "Unknown": 1,
  ]
  static let unitSeconds: [String: Double] = [
    "Seconds": 1, "Minutes": 60, "Hours": 3600, "Days": 86_400, "Weeks": 604_800,
    "Months": 2_592_000, "Years": 31_536_000,
  ]
  static let securityValues = ["Confirmed", "Suspected", "Near miss", "False positive"]
  static let actionCategories = [
    "hacking", "malware", "social", "misuse", "physical", "error", "environmental", "unknown",
  ]

  static func parse(_ data: Data, file: String, settings: Settings, zone: TimeZone, now: Date)
    -> Result<ImportDraft, ImportProblem>
  {
    func problem(_ field: String?, _ message: String) -> Result<ImportDraft, ImportProblem> {
      .failure(ImportProblem(file: file, field: field, message: message))
    }
    let root: JSONNode
    do { root = try JSONNode.parse(data) } catch {
      return problem(nil, "not valid JSON (\(StatuspageImporter.shortError(error))); expected a VERIS incident")
    }
    guard let pairs = root.pairs else { return problem(nil, "expected a JSON object (one VERIS incident)") }
    var clean = ImportText(file: file)
    guard let rawID = root["incident_id"]?.string else {
      return problem("incident_id", (root["incident_id"].map { "expected a string, found \(kindName($0))" } ?? "missing") + "; every VERIS incident has an incident_id")
    }
    let incidentID = clean.line(rawID, field: "incident_id")
    guard !incidentID.isEmpty else {
      return problem("incident_id", "empty; every VERIS incident has an incident_id")
    }
    var warnings: [String] = []
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    let currentYear = calendar.component(.year, from: now)

    // The incident's date: year required, month, day and time optional.
    guard let timeline = root["timeline"], let start = timeline["incident"] else {
      return problem("timeline.incident", "missing; VERIS needs at least timeline.incident.year")
    }
    guard let year = start["year"]?.int else {
      return problem("timeline.incident.year", "missing or not a number; give the year the incident began, like 2021")
    }
    guard (1900...Int64(currentYear)).contains(year) else {
      return problem("timeline.incident.year", "\(year) is out of range; expected 1900 to \(currentYear)")
    }
    var month: Int64 = 1
    var day: Int64 = 1
    var precision = "year"
    if let m = start["month"], !m.isNull {
      guard let value = m.int, (1...12).contains(value) else {
        return problem("timeline.incident.month", "\(describe(m)) is out of range; expected 1 to 12")
      }
      month = value
      precision = "month"
      if let d = start["day"], !d.isNull {
        guard let value = d.int, value >= 1,
          let first = calendar.date(from: DateComponents(year: Int(year), month: Int(month), day: 1)),
          let days = calendar.range(of: .day, in: .month, for: first), days.contains(Int(value))
        else {
          return problem("timeline.incident.day", "\(describe(d)) is not a day of \(year)-\(month)")
        }
        day = value
        precision = "day"
      }
    }
    var text = String(format: "%04d-%02d-%02d", year, month, day)
    if precision == "day", let t = start["time"]?.string, !t.isEmpty {
      text += " " + t
      precision = "time"
    }
    guard let parsed = ImportTime.parse(text, zone: zone) else {
      return problem("timeline.incident.time", "'\(start["time"]?.string ?? "")' is not a time of day; expected HH:MM:SS")
    }
    let startedAt = parsed.date
    warnings.append("\(file): timeline.incident: \(text) (to the \(precision)) has no time zone; read in \(settings.timezone) (timezone in the committed git-incident.yaml) as \(RFC3339.format(startedAt))")
    if let note = parsed.note { warnings.append("\(file): timeline.incident: \(note)") }

    func span(_ key: String) -> Result<TimeInterval?, ImportProblem> {
      guard let node = timeline[key], !node.isNull else { return .success(nil) }
      let unit = node["unit"]?.string
      guard let unit, let seconds = unitSeconds[unit] else { return .success(nil) }
      guard let valueNode = node["value"], !valueNode.isNull else { return .success(nil) }
      let value: Double
      switch valueNode {
      case .int(let i): value = Double(i)
      case .double(let d): value = d
      default:
        return .failure(ImportProblem(file: file, field: "timeline.\(key).value", message: "\(describe(valueNode)) is not a number"))
      }
      guard value >= 0 else {
        return .failure(ImportProblem(file: file, field: "timeline.\(key).value", message: "\(value) is negative; expected a duration of zero or more \(unit)"))
      }
      return .success(value * seconds)
    }
    var offsets: [String: TimeInterval] = [:]
    for key in ["compromise", "discovery", "containment"] {
      switch span(key) {
      case .failure(let p): return .failure(p)
      case .success(let v): if let v { offsets[key] = v }
      }
    }
    var detectedAt: Date?
    if let discovery = offsets["discovery"] {
      detectedAt = startedAt.addingTimeInterval((offsets["compromise"] ?? 0) + discovery)
    }
    var containedAt: Date?
    if let base = detectedAt, let containment = offsets["containment"] {
      containedAt = base.addingTimeInterval(containment)
    }
    for (name, value) in [("timeline.discovery", detectedAt), ("timeline.containment", containedAt)] {
      if let value, value.timeIntervalSince(now) > Lifecycle.futureTolerance {
        warnings.append("\(file): \(name): gives \(RFC3339.format(value)), which is in the future; left unset")
        if name == "timeline.discovery" { detectedAt = nil; containedAt = nil } else { containedAt = nil }
      }
    }

    // Checks of values the record does not use: warn, keep.
    if let dbir = root["plus"]?["dbir_year"], !dbir.isNull {
      if let y = dbir.int, !(2008...Int64(currentYear + 2)).contains(y) {
        warnings.append("\(file): plus.dbir_year: \(y) is out of range (expected 2008 to \(currentYear + 2)); kept as it is in the veris block")
      } else if dbir.int == nil {
        warnings.append("\(file): plus.dbir_year: \(describe(dbir)) is not a year; kept as it is in the veris block")
      }
    }
    let security = root["security_incident"]?.string
    if let security, !securityValues.contains(security) {
      warnings.append("\(file): security_incident: '\(security)' is not one of \(securityValues.joined(separator: ", ")); imported as resolved")
    }
    var severityPosition = 1
    if let rating = root["impact"]?["overall_rating"]?.string {
      if let p = ratingPosition[rating] { severityPosition = p } else {
        warnings.append("\(file): impact.overall_rating: '\(rating)' is not a VERIS rating; using \(ImportSeverity.level(1, settings: settings))")
      }
    }

    let categories = actionCategories.filter { root["action"]?[$0] != nil }
    let victim = root["victim"]?["victim_id"]?.string.map { clean.line($0, field: "victim.victim_id") }
    let what = categories.isEmpty ? "Security incident" : categories.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: ", ")
    var title = victim.map { $0.isEmpty ? what : "\(what) at \($0)" } ?? what
    title = title.split(whereSeparator: \.isNewline).joined(separator: " ")
    if victim == nil || victim!.isEmpty { title += " (VERIS \(incidentID.prefix(8)))" }

    var incident = Incident(
      id: ImportSeverity.placeholderID, title: title, kind: .security,
      severity: ImportSeverity.level(severityPosition, settings: settings),
      status: security == "False positive" ? .declined : .resolved)
    if let summary = root["summary"]?.string.map({ clean.text($0, field: "summary") })?.trimmingCharacters(in: .whitespacesAndNewlines),
      !summary.isEmpty
    {
      incident.summary = summary
    }
    incident.labels = ["veris"] + categories
    incident.times.startedAt = startedAt
    incident.times.detectedAt = detectedAt
    incident.times.containedAt = containedAt
    incident.times.reportedAt = detectedAt ?? startedAt
    if incident.status == .declined {
      incident.declinedReason = "false-positive"
      incident.times.declinedAt = incident.times.reportedAt
    }
    let block = clean.node(JSONNode.object(pairs.filter { $0.key != "summary" }), field: "")
    incident.extra = [ExtraField(key: "veris", value: block.yaml)]
    if let warning = clean.warning { warnings.append(warning) }

    var events = Timeline()
    var declared = TimelineEvent(at: incident.times.reportedAt!, by: "", type: "declared", text: title)
    declared.to = incident.severity
    events.insert(declared)
    if let containedAt {
      var e = TimelineEvent(at: containedAt, by: "", type: "status", text: "contained (VERIS timeline.containment)")
      e.from = IncidentStatus.reported.rawValue
      e.to = IncidentStatus.contained.rawValue
      events.insert(e)
    }
    return .success(ImportDraft(
      file: file, source: IncidentSource(system: ImportSystem.veris.rawValue, id: incidentID),
      date: startedAt, warnings: warnings,
      plan: .snapshot(SnapshotPlan(incident: incident, timeline: events, postmortem: nil))))
  }

  /// The JSON type of `node` as English, for "expected a string, found a number".
  static func kindName(_ node: JSONNode) -> String {
    switch node {
    case .string: return "a string"
    case .int, .double: return "a number"
    case .bool: return "a boolean"
    case .null: return "null"
    case .array: return "a list"
    case .object: return "an object"
    }
  }

  static func describe(_ node: JSONNode) -> String {
    switch node {
    case .string(let s): return "'\(s)'"
    case .int(let i): return "\(i)"
    case .double(let d): return "\(d)"
    case .bool(let b): return "\(b)"
    case .null: return "null"
    case .array: return "a list"
    case .object: return "an object"
    }
  }
}
