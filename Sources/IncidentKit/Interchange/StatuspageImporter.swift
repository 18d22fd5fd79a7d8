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
/// `resolved` reopens. Updates are replayed in order of `display_at`; updates displayed at the
/// same time in the order of their status in the lifecycle (investigating, identified,
/// monitoring, resolved, postmortem), so equal times never reopen an incident; then as the API
/// lists them, newest first, read backwards.
///
/// Text (the name, component names, update bodies after ``HTMLText``) is cleaned with
/// ``ImportText``. A numeric `id` is taken as its decimal text. An update displayed before
/// 1970 keeps its time in the record, but its commit's author date is the import time (with a
/// warning): git cannot be trusted with commit times before 1970.
enum StatuspageImporter {
  static let statusMap: [String: IncidentStatus] = [
    "investigating": .active, "identified": .active, "monitoring": .mitigated,
    "resolved": .resolved, "postmortem": .review,
  ]

  static let impactPosition: [String: Int] = ["critical": 0, "major": 1, "minor": 2, "none": 4]

  /// The order of Statuspage statuses in an incident's life, for updates displayed at the same
  /// time.
  static let statusOrder: [String: Int] = [
    "investigating": 0, "identified": 1, "monitoring": 2, "resolved": 3, "postmortem": 4,
  ]

  /// An ID given as a string or a whole number, as text (`id`); otherwise `problem` says
  /// what was found instead.
  static func identifier(_ node: JSONNode?) -> (id: String?, problem: String?) {
    switch node {
    case .string(let s)?: return (s, nil)
    case .int(let i)?: return (String(i), nil)
    case nil, .null?: return (nil, "missing")
    case let other?: return (nil, "expected a string, found \(VERISImporter.kindName(other))")
    }
  }

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
    var clean = ImportText(file: file)
    let given = identifier(incident["id"])
    guard let rawID = given.id else {
      return problem(path("id"), "\(given.problem ?? "missing"); every Statuspage incident has an id such as p3dlswx26qvk")
    }
    let sourceID = clean.line(rawID, field: path("id"))
    if sourceID.isEmpty { return problem(path("id"), "empty; every Statuspage incident has an id such as p3dlswx26qvk") }
    guard let rawName = incident["name"]?.string else {
      return problem(path("name"), "missing or not a string; the incident needs a name to become its title")
    }
    let title = clean.line(rawName, field: path("name"))
    guard !title.isEmpty else {
      return problem(path("name"), "empty; the incident needs a name to become its title")
    }

    var checker = ImportTime.Checker(file: file, zoneName: settings.timezone)
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
      if let why = checker.check(parsed, text: text, field: field, warnings: &warnings) {
        return .failure(ImportProblem(file: file, field: field, message: why))
      }
      if parsed.date.timeIntervalSince(now) > Lifecycle.futureTolerance {
        return .failure(ImportProblem(file: file, field: field, message: "\(RFC3339.format(parsed.date)) is in the future"))
      }
      return .success(parsed.date)
    }

    guard let updates = incident["incident_updates"]?.array, !updates.isEmpty else {
      return problem(path("incident_updates"), "missing or empty; an incident needs at least one update to replay")
    }
    var steps: [(step: ReplayStep, rank: Int, index: Int)] = []
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
      let body = update["body"]?.string.map { clean.text(HTMLText.plain($0), field: "\(field).body") }
      let ref = identifier(update["id"]).id.map { clean.line($0, field: "\(field).id") } ?? ""
      steps.append((ReplayStep(status: status, sourceStatus: statusText, text: Lifecycle.nonEmpty(body),
                               at: at!, ref: ref.isEmpty ? "\(n)" : ref, field: field), statusOrder[statusText] ?? 0, n))
    }
    steps.sort { a, b in
      if a.step.at != b.step.at { return a.step.at < b.step.at }
      if a.rank != b.rank { return a.rank < b.rank }
      return a.index > b.index  // the API lists newest first
    }
    let early = steps.filter { $0.step.at < ImportTime.epoch }.map { "\($0.step.field).display_at" }
    if !early.isEmpty {
      warnings.append("\(file): \(early.joined(separator: ", ")): before 1970; git cannot be trusted with commit times before 1970, so \(early.count == 1 ? "its commit's" : "their commits'") author date is the import time (the record keeps the real time)")
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
    for (k, component) in (incident["components"]?.array ?? []).enumerated() {
      if let raw = component["name"]?.string {
        let name = clean.line(raw, field: path("components[\(k)].name"))
        if !name.isEmpty, !services.contains(name) { services.append(name) }
      }
    }
    if services.isEmpty {
      for (n, update) in updates.enumerated() {
        for (k, component) in (update["affected_components"]?.array ?? []).enumerated() {
          if let raw = component["name"]?.string {
            let name = clean.line(raw, field: path("incident_updates[\(n)].affected_components[\(k)].name"))
            if !name.isEmpty, !services.contains(name) { services.append(name) }
          }
        }
      }
    }
    var block: [(String, JSONNode)] = []
    if let page = root["page"]?["name"]?.string { block.append(("page", .string(clean.line(page, field: "page.name")))) }
    if let url = root["page"]?["url"]?.string { block.append(("page_url", .string(clean.line(url, field: "page.url")))) }
    if let impact { block.append(("impact", .string(clean.line(impact, field: path("impact"))))) }
    if let link = incident["shortlink"]?.string { block.append(("shortlink", .string(clean.line(link, field: path("shortlink"))))) }
    if let status = incident["status"]?.string { block.append(("status", .string(clean.line(status, field: path("status"))))) }
    if let warning = clean.warning { warnings.append(warning) }
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
