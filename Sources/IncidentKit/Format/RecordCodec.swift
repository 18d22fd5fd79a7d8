import Foundation
import Yams

/// Reads and writes the record files in their canonical layout (DESIGN section 3).
///
/// Reading accepts any valid YAML (hand edits welcome) and reports problems with file, line,
/// column and field; writing always produces the same bytes for the same record, with keys in a
/// fixed order and unknown keys kept after the known ones.
enum RecordCodec {
  // MARK: incident.yaml

  static let incidentKeys: [String] =
    ["id", "title", "kind", "severity", "status", "summary", "services", "labels", "roles"]
    + IncidentTimes.fields.map(\.name) + ["declined_reason", "declared_by", "source"]
  private static let incidentKeySet = Set(incidentKeys)

  /// Parses `incident.yaml`.
  ///
  /// - Throws: ``FormatError`` naming the file, position and field of the first problem.
  /// - Parameters:
  ///   - expectedID: the ID the folder names; a different `id` is an error at its position.
  ///   - settings: when given, the severity must be one it defines.
  ///   - checkOrder: when true (the default), times out of lifecycle order are an error at the
  ///     later field's position; the record merge reads without it to repair the order itself.
  static func decodeIncident(
    _ data: Data, file: String, expectedID: IncidentID? = nil, settings: Settings? = nil,
    checkOrder: Bool = true
  ) throws(FormatError) -> Incident {
    // Records as the tool writes them: straight from libyaml's events, no node tree.
    if let flat = FlatRecord.read(data, file: file, known: incidentKeySet) {
      if let incident = try? decodeIncident(
        fields: flat, expectedID: expectedID, settings: settings, checkOrder: checkOrder)
      {
        return incident
      }
      // The same error again, with its line and column.
      return try decodeIncident(
        data, file: file, expectedID: expectedID, settings: settings, checkOrder: checkOrder,
        positions: true)
    }
    do {
      return try decodeIncident(
        data, file: file, expectedID: expectedID, settings: settings, checkOrder: checkOrder,
        positions: false)
    } catch {
      // Read again with positions, so the error names the line and column.
      return try decodeIncident(
        data, file: file, expectedID: expectedID, settings: settings, checkOrder: checkOrder,
        positions: true)
    }
  }

  /// Parses `incident.yaml`, with node positions only when `positions` is true (see
  /// ``YAMLReader/parse(_:file:maxDepth:positions:)``).
  static func decodeIncident(
    _ data: Data, file: String, expectedID: IncidentID?, settings: Settings?,
    checkOrder: Bool, positions: Bool
  ) throws(FormatError) -> Incident {
    guard let root = try YAMLReader.parse(data, file: file, positions: positions) else {
      throw FormatError(file: file, line: nil, column: nil, field: nil,
                        message: "the file is empty; expected a mapping with id, title, kind, severity and status")
    }
    let map = try YAMLMap(root, file: file)
    var incident = try decodeIncident(
      fields: map, expectedID: expectedID, settings: settings, checkOrder: checkOrder)
    incident.extra = map.unknownPairs(known: incidentKeySet).map {
      ExtraField(key: $0.key, value: $0.value)
    }
    return incident
  }

  /// Reads and checks the known fields of `incident.yaml` (unknown keys are the caller's).
  private static func decodeIncident<Fields: RecordFields>(
    fields map: Fields, expectedID: IncidentID?, settings: Settings?, checkOrder: Bool
  ) throws(FormatError) -> Incident {
    let idText = try map.requiredString("id")
    guard let id = IncidentID(idText) else {
      throw map.error("id", "'\(idText)' is not a valid incident ID; expected the form INC-20261129-7K3Q")
    }
    if let expectedID, id != expectedID {
      throw map.error("id", "id \(id) does not match its folder \(expectedID); the id must equal the folder name")
    }
    let title = try map.requiredOneLine("title")
    guard !title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
      throw map.error("title", "the title is empty; give the incident a one-line title")
    }
    let kindText = try map.string("kind") ?? "outage"
    guard let kind = IncidentKind(rawValue: kindText) else {
      throw map.error("kind", "'\(kindText)' is not a kind; expected outage or security")
    }
    let severity = try map.requiredOneLine("severity")
    if let settings, !settings.severityNames.contains(severity) {
      throw map.error("severity", "severity '\(severity)' is not defined in git-incident.yaml; use one of " + settings.severityNames.joined(separator: ", "))
    }
    let statusText = try map.requiredString("status")
    guard let status = IncidentStatus(rawValue: statusText) else {
      throw map.error(
        "status",
        "'\(statusText)' is not a status; expected one of "
          + IncidentStatus.allCases.map(\.rawValue).joined(separator: ", "))
    }
    guard status.applies(to: kind) else {
      throw map.error("status", "status \(status.rawValue) does not apply to a \(kind.rawValue) incident")
    }
    var incident = Incident(id: id, title: title, kind: kind, severity: severity, status: status)
    incident.summary = try map.freeText("summary")
    incident.services = try map.oneLineList("services") ?? []
    incident.labels = try map.oneLineList("labels") ?? []
    if let roles = try map.map("roles") {
      for key in roles.keys {
        if let bad = Lifecycle.forbiddenScalar(in: key, allowed: []) {
          throw roles.error(key, "the role name contains the control character \(bad); a role name is one line of text, remove it")
        }
        guard let person = try roles.oneLine(key), !person.isEmpty else {
          throw roles.error(key, "role \(key) has no person; give a name or remove the role")
        }
        incident.roles.append(RoleAssignment(role: key, person: person))
      }
    }
    for field in IncidentTimes.fields {
      incident.times[keyPath: field.path] = try map.time(field.name)
    }
    if checkOrder, let v = incident.times.firstOrderViolation() {
      throw map.error(v.later, "\(v.later) (\(RFC3339.format(v.laterAt))) is before \(v.earlier) (\(RFC3339.format(v.earlierAt))); times must stay in order: started <= detected <= acknowledged <= mitigated/contained <= eradicated <= resolved <= review <= closed")
    }
    incident.declinedReason = try map.freeText("declined_reason")
    incident.declaredBy = try map.oneLine("declared_by")
    if let source = try map.map("source") {
      incident.source = IncidentSource(
        system: try source.requiredOneLine("system"), id: try source.requiredOneLine("id"))
    }
    return incident
  }

  /// Writes `incident.yaml` in canonical form.
  static func encodeIncident(_ incident: Incident) -> Data {
    var pairs: [(String, Node)] = [
      ("id", CanonicalYAML.scalar(incident.id.rawValue)),
      ("title", CanonicalYAML.scalar(incident.title)),
      ("kind", CanonicalYAML.scalar(incident.kind.rawValue)),
      ("severity", CanonicalYAML.scalar(incident.severity)),
      ("status", CanonicalYAML.scalar(incident.status.rawValue)),
    ]
    if let summary = incident.summary { pairs.append(("summary", CanonicalYAML.scalar(summary))) }
    if !incident.services.isEmpty {
      pairs.append(("services", CanonicalYAML.sequence(incident.services.map(CanonicalYAML.scalar))))
    }
    if !incident.labels.isEmpty {
      pairs.append(("labels", CanonicalYAML.sequence(incident.labels.map(CanonicalYAML.scalar))))
    }
    if !incident.roles.isEmpty {
      pairs.append(
        ("roles", CanonicalYAML.mapping(incident.roles.map { ($0.role, CanonicalYAML.scalar($0.person)) })))
    }
    for field in IncidentTimes.fields {
      if let date = incident.times[keyPath: field.path] {
        pairs.append((field.name, CanonicalYAML.time(date)))
      }
    }
    if let reason = incident.declinedReason {
      pairs.append(("declined_reason", CanonicalYAML.scalar(reason)))
    }
    if let by = incident.declaredBy { pairs.append(("declared_by", CanonicalYAML.scalar(by))) }
    if let source = incident.source {
      pairs.append(
        ("source", CanonicalYAML.mapping([
          ("system", CanonicalYAML.scalar(source.system)), ("id", CanonicalYAML.scalar(source.id)),
        ])))
    }
    pairs += incident.extra.map { ($0.key, CanonicalYAML.canonical($0.value)) }
    return Data(CanonicalYAML.emit(CanonicalYAML.mapping(pairs)).utf8)
  }

  // MARK: timeline.yaml

  static let eventKeys = ["id", "at", "by", "type", "from", "to", "role", "audience", "reason", "text"]
  private static let eventKeySet = Set(eventKeys)

  /// Parses `timeline.yaml`.
  ///
  /// - Throws: ``FormatError`` naming the file, position and field of the first problem.
  static func decodeTimeline(_ data: Data, file: String) throws(FormatError) -> Timeline {
    do {
      return try decodeTimeline(data, file: file, positions: false)
    } catch {
      // Read again with positions, so the error names the line and column.
      return try decodeTimeline(data, file: file, positions: true)
    }
  }

  /// Parses `timeline.yaml`, with node positions only when `positions` is true.
  private static func decodeTimeline(_ data: Data, file: String, positions: Bool)
    throws(FormatError) -> Timeline
  {
    guard let root = try YAMLReader.parse(data, file: file, positions: positions) else {
      return Timeline()
    }
    let map = try YAMLMap(root, file: file)
    var timeline = Timeline()
    var seen = Set<String>()
    for event in try map.maps("events") ?? [] {
      let id = try event.requiredOneLine("id")
      guard seen.insert(id).inserted else {
        throw event.error("id", "event id \(id) appears twice; each event needs its own id")
      }
      guard let at = try event.time("at") else {
        throw event.error(nil, "the event has no time; add at: \"2026-11-29T10:42:00Z\"")
      }
      var e = TimelineEvent(at: at, by: try event.oneLine("by") ?? "", type: try event.requiredOneLine("type"))
      e.id = id
      e.text = try event.freeText("text")
      e.from = try event.oneLine("from")
      e.to = try event.oneLine("to")
      e.role = try event.oneLine("role")
      e.audience = try event.oneLine("audience")
      e.reason = try event.freeText("reason")
      e.extra = event.unknownPairs(known: eventKeySet).map { ExtraField(key: $0.key, value: $0.value) }
      timeline.events.append(e)
    }
    timeline.extra = map.unknownPairs(known: ["events"]).map { ExtraField(key: $0.key, value: $0.value) }
    return timeline
  }

  /// Writes `timeline.yaml` in canonical form.
  static func encodeTimeline(_ timeline: Timeline) -> Data {
    let events = timeline.events.map { e -> Node in
      var pairs: [(String, Node)] = [
        ("id", CanonicalYAML.scalar(e.id)),
        ("at", CanonicalYAML.time(e.at)),
        ("by", CanonicalYAML.scalar(e.by)),
        ("type", CanonicalYAML.scalar(e.type)),
      ]
      let optional: [(String, String?)] = [
        ("from", e.from), ("to", e.to), ("role", e.role), ("audience", e.audience),
        ("reason", e.reason), ("text", e.text),
      ]
      for (key, value) in optional {
        if let value { pairs.append((key, CanonicalYAML.scalar(value))) }
      }
      pairs += e.extra.map { ($0.key, CanonicalYAML.canonical($0.value)) }
      return CanonicalYAML.mapping(pairs)
    }
    let root = CanonicalYAML.mapping([("events", CanonicalYAML.sequence(events))] + timeline.extra.map { ($0.key, CanonicalYAML.canonical($0.value)) })
    return Data(CanonicalYAML.emit(root).utf8)
  }

  // MARK: git-incident.yaml

  static let settingsKeys = ["id_prefix", "severities", "policy", "timezone"]

  /// Parses `git-incident.yaml`; missing keys take their defaults.
  ///
  /// - Throws: ``FormatError`` naming the position and field of the first problem.
  static func decodeSettings(_ data: Data, file: String) throws(FormatError) -> Settings {
    var settings = Settings.defaults
    guard let root = try YAMLReader.parse(data, file: file) else { return settings }
    let map = try YAMLMap(root, file: file)
    if let prefix = try map.string("id_prefix") {
      guard IncidentID.isValidPrefix(prefix) else {
        throw map.error("id_prefix", "'\(prefix)' is not a valid ID prefix; use 1-10 upper-case letters and digits starting with a letter, like INC")
      }
      settings.idPrefix = prefix
    }
    if let levels = try map.maps("severities") {
      var parsed: [SeverityLevel] = []
      for level in levels {
        let name = try level.requiredString("name")
        guard !name.isEmpty, !parsed.contains(where: { $0.name == name }) else {
          throw level.error("name", "severity '\(name)' is empty or defined twice")
        }
        parsed.append(SeverityLevel(name: name, description: try level.string("description") ?? ""))
      }
      guard !parsed.isEmpty else {
        throw map.error("severities", "no severities defined; define at least one, like SEV1")
      }
      settings.severities = parsed
    }
    if let policy = try map.map("policy") {
      if let required = try policy.strings("postmortem_required_for") {
        for name in required where !settings.severityNames.contains(name) {
          throw policy.error("postmortem_required_for", "severity '\(name)' is not defined under severities; use one of " + settings.severityNames.joined(separator: ", "))
        }
        settings.postmortemRequiredFor = required
      }
      if let intervals = try policy.map("update_interval_minutes") {
        settings.updateIntervals = []
        for key in intervals.keys {
          guard settings.severityNames.contains(key) else {
            throw intervals.error(key, "severity '\(key)' is not defined under severities; use one of " + settings.severityNames.joined(separator: ", "))
          }
          let text = try intervals.string(key) ?? ""
          guard let minutes = Int(text), minutes > 0 else {
            throw intervals.error(key, "'\(text)' is not a number of minutes; use a whole number like 30")
          }
          settings.updateIntervals.append((key, minutes * 60))
        }
      }
      if let required = try policy.strings("action_items_required_for") {
        settings.actionItemsRequiredFor = required
      }
      if let text = try policy.string("approvals_required") {
        guard let n = Int(text), n >= 0 else {
          throw policy.error("approvals_required", "'\(text)' is not a number of approvals; use a whole number like 1 (0 lets a postmortem publish unreviewed)")
        }
        settings.approvalsRequired = n
      }
      if let sections = try policy.strings("required_postmortem_sections") {
        settings.requiredPostmortemSections = sections
      }
      if let text = try policy.string("require_signed_commits") {
        switch text.lowercased() {
        case "true", "yes", "on": settings.requireSignedCommits = true
        case "false", "no", "off": settings.requireSignedCommits = false
        default:
          throw policy.error("require_signed_commits", "'\(text)' is not a boolean; use true or false")
        }
      }
    }
    if let zone = try map.string("timezone") {
      guard TimeZone(identifier: zone) != nil else {
        throw map.error("timezone", "'\(zone)' is not an IANA time zone name; use one like UTC or Europe/Berlin")
      }
      settings.timezone = zone
    }
    settings.extra = map.unknownPairs(known: Set(settingsKeys)).map { ExtraField(key: $0.key, value: $0.value) }
    return settings
  }

  /// Writes `git-incident.yaml` in canonical form.
  static func encodeSettings(_ settings: Settings) -> Data {
    let severities = settings.severities.map { level in
      CanonicalYAML.mapping([
        ("name", CanonicalYAML.scalar(level.name)),
        ("description", CanonicalYAML.scalar(level.description)),
      ])
    }
    let intervals = settings.updateIntervals.map { item in
      (item.severity, Node.scalar(Node.Scalar(String(item.seconds / 60), Tag(.int), .plain)))
    }
    let policy = CanonicalYAML.mapping([
      ("postmortem_required_for", CanonicalYAML.sequence(settings.postmortemRequiredFor.map(CanonicalYAML.scalar))),
      ("update_interval_minutes", CanonicalYAML.mapping(intervals)),
      ("action_items_required_for", CanonicalYAML.sequence(settings.actionItemsRequiredFor.map(CanonicalYAML.scalar))),
      ("approvals_required", Node.scalar(Node.Scalar(String(settings.approvalsRequired), Tag(.int), .plain))),
      ("required_postmortem_sections", CanonicalYAML.sequence(settings.requiredPostmortemSections.map(CanonicalYAML.scalar))),
    ] + (settings.requireSignedCommits
      ? [("require_signed_commits", Node.scalar(Node.Scalar("true", Tag(.bool), .plain)))] : []))
    let root = CanonicalYAML.mapping(
      [
        ("id_prefix", CanonicalYAML.scalar(settings.idPrefix)),
        ("severities", CanonicalYAML.sequence(severities)),
        ("policy", policy),
      ] + (settings.timezone == "UTC" ? [] : [("timezone", CanonicalYAML.scalar(settings.timezone))])
        + settings.extra.map { ($0.key, CanonicalYAML.canonical($0.value)) })
    return Data(
      CanonicalYAML.emit(
        root,
        header: [
          "git-incident repository settings. Severities are listed worst first.",
          "policy.postmortem_required_for: severities that need a published postmortem to close.",
          "policy.update_interval_minutes: how often stakeholders get an update, per severity.",
          "policy.action_items_required_for: severities whose postmortems need an action item.",
          "policy.approvals_required: approvals a postmortem needs before it is published.",
          "policy.required_postmortem_sections: sections `postmortem check` requires filled.",
        ]
      ).utf8)
  }
}

