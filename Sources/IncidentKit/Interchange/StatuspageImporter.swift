import Foundation

/// Reads Atlassian Statuspage API incident JSON (as the Statuspage REST API and its public
/// `incidents.json` serve it) into a declaration and replayed updates.
///
/// Mapping (also in README.md):
///
/// | Statuspage status | ours | Statuspage impact | ours (default severities) |
/// |---|---|---|---|
/// | investigating | active | critical | SEV1 (1st level) |
/// | identified | active | major | SEV2 (2nd level) |
/// | monitoring | mitigated | minor | SEV3 (3rd level) |
/// | resolved | resolved | none | SEV5 (5th level, or the last defined) |
/// | postmortem | review | | |
///
/// Times: `started_at` is when impact began, `created_at` when the incident was opened
/// (our `detected_at`), the first update's `display_at` the declaration (`reported_at`). An
/// update whose status moves the lifecycle forward is a status change (its text the note); one
/// that does not is an external stakeholder update; `investigating`/`identified` after
/// `resolved` reopens.
enum StatuspageImporter {
  static let statusMap: [String: IncidentStatus] = [
    "investigating": .active, "identified": .active, "monitoring": .mitigated,
    "resolved": .resolved, "postmortem": .review,
  ]

  static let impactPosition: [String: Int] = ["critical": 0, "major": 1, "minor": 2, "none": 4]

  static func parse(_ data: Data, file: String, settings: Settings, zone: TimeZone, now: Date)
    -> Result<ImportDraft, ImportProblem>
  {
    func problem(_ field: String?, _ message: String) -> Result<ImportDraft, ImportProblem> {
      .failure(ImportProblem(file: file, field: field, message: message))
    }
    let root: JSONNode
    do { root = try JSONNode.parse(data) } catch {
      return problem(nil, "not valid JSON (\(shortError(error))); expected a Statuspage incident")
    }
    var base = "incident"
    var incident = root["incident"]
    if incident == nil, root["incident_updates"] != nil {
      incident = root
      base = ""
    }
    func path(_ key: String) -> String { base.isEmpty ? key : "\(base).\(key)" }
    guard let incident, incident.pairs != nil else {
      return problem("incident", "missing; expected an object with id, name and incident_updates")
    }
    var warnings: [String] = []
    guard let sourceID = incident["id"]?.string, !sourceID.isEmpty else {
      return problem(path("id"), "missing or empty; every Statuspage incident has an id such as p3dlswx26qvk")
    }
    guard let rawName = incident["name"]?.string,
      !rawName.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    else {
      return problem(path("name"), "missing or empty; the incident needs a name to become its title")
    }
    let title = rawName.split(whereSeparator: \.isNewline).joined(separator: " ")
      .trimmingCharacters(in: .whitespaces)

    var zoneWarned = false
    func time(_ node: JSONNode?, _ field: String, required: Bool) -> Result<Date?, ImportProblem> {
      guard let node, !node.isNull, let text = node.string, !text.isEmpty else {
        if required {
          return .failure(ImportProblem(file: file, field: field, message: "missing; expected a time such as 2021-05-10T18:06:26.064Z"))
        }
        return .success(nil)
      }
      guard let parsed = ImportTime.parse(text, zone: zone) else {
        return .failure(ImportProblem(file: file, field: field, message: "'\(text)' is not a time; expected one such as 2021-05-10T18:06:26.064Z"))
      }
      if !parsed.hadZone && !zoneWarned {
        zoneWarned = true
        warnings.append("\(file): \(field): '\(text)' has no time zone; read in \(settings.timezone) (timezone in git-incident.yaml)")
      }
      if parsed.date.timeIntervalSince(now) > Lifecycle.futureTolerance {
        return .failure(ImportProblem(file: file, field: field, message: "\(RFC3339.format(parsed.date)) is in the future"))
      }
      return .success(parsed.date)
    }

    guard let updates = incident["incident_updates"]?.array, !updates.isEmpty else {
      return problem(path("incident_updates"), "missing or empty; an incident needs at least one update to replay")
    }
    var steps: [(step: ReplayStep, created: Date?, index: Int)] = []
    for (n, update) in updates.enumerated() {
      let field = path("incident_updates[\(n)]")
      guard let statusText = update["status"]?.string else {
        return problem("\(field).status", "missing; expected one of " + statusMap.keys.sorted().joined(separator: ", "))
      }
      guard let status = statusMap[statusText] else {
        return problem("\(field).status", "'\(statusText)' is not a Statuspage status; expected one of " + statusMap.keys.sorted().joined(separator: ", "))
      }
      let at: Date?
      switch time(update["display_at"] ?? update["created_at"], "\(field).display_at", required: true) {
      case .failure(let p): return .failure(p)
      case .success(let d): at = d
      }
      var created: Date?
      if case .success(let d) = time(update["created_at"], "\(field).created_at", required: false) { created = d }
      let body = update["body"]?.string.map(HTMLText.plain)
      let ref = update["id"]?.string ?? "\(n)"
      steps.append((ReplayStep(status: status, sourceStatus: statusText, text: body?.isEmpty == false ? body : nil,
                               at: at!, ref: ref, field: field), created, n))
    }
    steps.sort { a, b in
      if a.step.at != b.step.at { return a.step.at < b.step.at }
      if let ca = a.created, let cb = b.created, ca != cb { return ca < cb }
      return a.index > b.index  // the API lists newest first
    }
    let declaredAt = steps[0].step.at

    var createdAt: Date?
    switch time(incident["created_at"], path("created_at"), required: false) {
    case .failure(let p): return .failure(p)
    case .success(let d): createdAt = d
    }
    var startedAt: Date?
    switch time(incident["started_at"], path("started_at"), required: false) {
    case .failure(let p): return .failure(p)
    case .success(let d): startedAt = d
    }
    var detectedAt = createdAt ?? declaredAt
    if detectedAt > declaredAt {
      warnings.append("\(file): \(path("created_at")): \(RFC3339.format(detectedAt)) is after the first update (\(RFC3339.format(declaredAt))); detected_at set to the first update's time")
      detectedAt = declaredAt
    }
    if let s = startedAt, s > detectedAt {
      warnings.append("\(file): \(path("started_at")): \(RFC3339.format(s)) is after created_at (\(RFC3339.format(detectedAt))); started_at clamped to created_at so times stay in order")
      startedAt = detectedAt
    }

    var severityPosition = 2
    let impact = incident["impact"]?.string
    if let impact, let position = impactPosition[impact] {
      severityPosition = position
    } else {
      warnings.append("\(file): \(path("impact")): \(impact.map { "'\($0)' is not none, minor, major or critical" } ?? "missing"); using the minor mapping (\(ImportSeverity.level(2, settings: settings)))")
    }
    var services: [String] = []
    for component in incident["components"]?.array ?? [] {
      if let name = component["name"]?.string, !name.isEmpty, !services.contains(name) { services.append(name) }
    }
    if services.isEmpty {
      for update in updates {
        for component in update["affected_components"]?.array ?? [] {
          if let name = component["name"]?.string, !name.isEmpty, !services.contains(name) { services.append(name) }
        }
      }
    }
    var block: [(String, JSONNode)] = []
    if let page = root["page"]?["name"]?.string { block.append(("page", .string(page))) }
    if let url = root["page"]?["url"]?.string { block.append(("page_url", .string(url))) }
    if let impact { block.append(("impact", .string(impact))) }
    if let link = incident["shortlink"]?.string { block.append(("shortlink", .string(link))) }
    if let status = incident["status"]?.string { block.append(("status", .string(status))) }
    let extra = block.isEmpty ? [] : [ExtraField(key: "statuspage", value: JSONNode.object(block.map { (key: $0.0, value: $0.1) }).yaml)]

    let declaration = Declaration(
      title: title, severity: ImportSeverity.level(severityPosition, settings: settings),
      kind: .outage, services: services, startedAt: startedAt, detectedAt: detectedAt)
    let plan = ReplayPlan(declaration: declaration, declaredAt: declaredAt, extra: extra, steps: steps.map(\.step))
    return .success(ImportDraft(
      file: file, source: IncidentSource(system: ImportSystem.statuspage.rawValue, id: sourceID),
      date: createdAt ?? startedAt ?? declaredAt, warnings: warnings, plan: .replay(plan)))
  }

  static func shortError(_ error: Error) -> String {
    if case DecodingError.dataCorrupted(let context) = error {
      return context.underlyingError.map { "\($0)" } ?? context.debugDescription
    }
    return "\(error)"
  }
}
