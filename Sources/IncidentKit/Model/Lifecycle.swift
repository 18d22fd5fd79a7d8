import Foundation

/// The lifecycle rules (DESIGN section 2, after NIST SP 800-61r2 section 3 and the Google SRE
/// book's incident management chapter), applied as pure functions: a record and a change in, a
/// new record and its commit message out, or a refusal that says why and what is allowed.
public enum Lifecycle {
  /// The built-in roles; any other lower-case name is a custom role.
  public static let standardRoles = ["commander", "deputy", "scribe", "communications", "operations"]

  /// How far in the future a given time may be (clock skew between laptops), in seconds.
  public static let futureTolerance: TimeInterval = 300

  /// The reasons `declined` accepts.
  public static let declineReasons = ["false-positive", "not-an-incident", "duplicate:<ID>"]

  /// What a change needs besides the record: the repository settings, who acts, and when.
  public struct Context: Sendable {
    public var settings: Settings
    public var actor: Identity
    /// Now, UTC, whole seconds.
    public var now: Date
    /// IDs of incidents that exist (to check `duplicate:<ID>`).
    public var knownIDs: Set<IncidentID>
    /// The postmortem status of the incident (`published`, ...), nil when there is none.
    public var postmortemStatus: String?
    /// The incident's action items (an open one without an owner blocks closing).
    public var actions: [ActionItem] = []
    /// The postmortem's approvals that count (``PostmortemFrontMatter/validApprovals``: not by
    /// an author); closing needs `policy.approvals_required` of them besides `published`.
    public var postmortemApprovals: Int = 0

    public init(settings: Settings, actor: Identity, now: Date, knownIDs: Set<IncidentID> = [],
                postmortemStatus: String? = nil) {
      self.settings = settings
      self.actor = actor
      self.now = now
      self.knownIDs = knownIDs
      self.postmortemStatus = postmortemStatus
    }
  }

  // MARK: Declare

  /// Builds a new incident record.
  ///
  /// - Throws: ``IncidentError/invalidInput(_:)`` for an unknown severity, an empty title or bad
  ///   names; ``IncidentError/refused(_:)`` when times are out of order or in the future.
  public static func declare(_ d: Declaration, id: IncidentID, context: Context) throws(IncidentError)
    -> (IncidentRecord, CommitMessage)
  {
    let title = try singleLine(d.title, what: "the title")
    let severity = try checkSeverity(d.severity, settings: context.settings)
    let services = try d.services.map { s throws(IncidentError) in try singleLine(s, what: "a service name") }
    let labels = try d.labels.map { s throws(IncidentError) in try singleLine(s, what: "a label") }
    let commander = try d.commander.map { s throws(IncidentError) in try singleLine(s, what: "the commander") }
    if d.acknowledgedAt != nil && commander == nil {
      throw .invalidInput("--acknowledged-at needs --commander: an incident is acknowledged when someone takes command")
    }
    for (name, date) in [("--started-at", d.startedAt), ("--detected-at", d.detectedAt), ("--acknowledged-at", d.acknowledgedAt)] {
      if let date { try notInFuture(date, name: name, now: context.now) }
    }
    var incident = Incident(
      id: id, title: title, kind: d.kind, severity: severity,
      status: commander == nil ? .reported : .active)
    if let summary = d.summary, !summary.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
      incident.summary = try nonEmptyText(summary, what: "the summary")
    }
    incident.services = unique(services)
    incident.labels = unique(labels)
    incident.times.startedAt = d.startedAt
    incident.times.detectedAt = d.detectedAt ?? context.now
    incident.times.reportedAt = context.now
    incident.declaredBy = context.actor.formatted
    var timeline = Timeline()
    var declared = TimelineEvent(at: context.now, by: context.actor.formatted, type: "declared")
    declared.text = title
    declared.to = severity
    timeline.insert(declared)
    if let commander {
      incident.roles = [RoleAssignment(role: "commander", person: commander)]
      incident.times.acknowledgedAt = d.acknowledgedAt ?? d.detectedAt ?? context.now
      var event = TimelineEvent(at: incident.times.acknowledgedAt!, by: context.actor.formatted, type: "role")
      event.role = "commander"
      event.to = commander
      timeline.insert(event)
    }
    try checkOrder(incident.times)
    let message = CommitMessage(
      subject: "\(id): declared \(severity) \(d.kind.rawValue): \(title)",
      body: incident.summary ?? "",
      trailers: [
        ("Incident", id.rawValue), ("Incident-Change", "declare"),
        ("Incident-Severity", severity), ("Incident-Status", incident.status.rawValue),
        ("Incident-Event", declared.id),
      ])
    return (IncidentRecord(incident: incident, timeline: timeline), message)
  }

  // MARK: Changes

  /// Applies a change to a record.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` when the lifecycle or policy forbids the change (the
  ///   text says what is allowed from the current status), ``IncidentError/invalidInput(_:)``
  ///   for malformed values.
  public static func apply(_ change: IncidentChange, to record: IncidentRecord, context: Context)
    throws(IncidentError) -> (IncidentRecord, CommitMessage)
  {
    var incident = record.incident
    var timeline = record.timeline
    let id = incident.id
    let by = context.actor.formatted
    var trailers: [(key: String, value: String)] = [("Incident", id.rawValue)]
    let subject: String
    var body = ""

    switch change {
    case .status(let target, let at, let note, let reason):
      let when = at ?? context.now
      try notInFuture(when, name: "--at", now: context.now)
      try checkTransition(from: incident, to: target, reason: reason, context: context)
      let old = incident.status
      incident.status = target
      if let field = target.timestampField {
        incident.times[field] = when
      }
      if target == .active, incident.times.acknowledgedAt == nil {
        incident.times.acknowledgedAt = when
      }
      if target == .declined { incident.declinedReason = reason }
      try checkOrder(incident.times)
      var event = TimelineEvent(at: when, by: by, type: "status", text: nonEmpty(note))
      event.from = old.rawValue
      event.to = target.rawValue
      event.reason = target == .declined ? reason : nil
      timeline.insert(event)
      subject = "\(id): status \(old.rawValue) -> \(target.rawValue)"
      body = note ?? ""
      trailers += [("Incident-Change", "status"), ("Incident-Status", target.rawValue)]
      if let reason, target == .declined { trailers.append(("Incident-Reason", reason)) }
      trailers.append(("Incident-Event", event.id))

    case .reopen(let at, let note):
      let when = at ?? context.now
      try notInFuture(when, name: "--at", now: context.now)
      guard [.resolved, .review, .closed].contains(incident.status) else {
        throw .refused(
          "\(id) is \(incident.status.rawValue); only a resolved, review or closed incident can be reopened"
            + allowedSuffix(incident))
      }
      if let resolved = incident.times.resolvedAt, when < resolved {
        throw .refused("cannot reopen \(id) at \(RFC3339.format(when)): that is before it was resolved (\(RFC3339.format(resolved)))")
      }
      let old = incident.status
      incident.status = .active
      incident.times.resolvedAt = nil
      incident.times.reviewAt = nil
      incident.times.closedAt = nil
      var event = TimelineEvent(at: when, by: by, type: "status", text: nonEmpty(note) ?? "reopened")
      event.from = old.rawValue
      event.to = IncidentStatus.active.rawValue
      timeline.insert(event)
      subject = "\(id): status \(old.rawValue) -> active (reopened)"
      body = note ?? ""
      trailers += [("Incident-Change", "status"), ("Incident-Status", "active"), ("Incident-Event", event.id)]

    case .severity(let requested, let note):
      try refuseIfEnded(incident, doing: "change the severity of")
      let severity = try checkSeverity(requested, settings: context.settings)
      guard severity != incident.severity else {
        throw .refused("\(id) is already \(severity); nothing to change")
      }
      let old = incident.severity
      incident.severity = severity
      var event = TimelineEvent(at: context.now, by: by, type: "severity", text: nonEmpty(note))
      event.from = old
      event.to = severity
      timeline.insert(event)
      subject = "\(id): severity \(old) -> \(severity)"
      body = note ?? ""
      trailers += [("Incident-Change", "severity"), ("Incident-Severity", severity), ("Incident-Event", event.id)]

    case .assign(let requestedRole, let requestedPerson, let at):
      try refuseIfEnded(incident, doing: "assign roles on")
      let role = try checkRole(requestedRole)
      let person = try singleLine(requestedPerson, what: "the person")
      let when = at ?? context.now
      try notInFuture(when, name: "--at", now: context.now)
      let old = incident.holder(of: role)
      guard old != person else { throw .refused("\(person) is already \(role) of \(id); nothing to change") }
      if let index = incident.roles.firstIndex(where: { $0.role == role }) {
        incident.roles[index].person = person
      } else {
        incident.roles.append(RoleAssignment(role: role, person: person))
      }
      var event = TimelineEvent(at: when, by: by, type: "role")
      event.role = role
      event.from = old
      event.to = person
      if old != nil { event.text = "handover" }
      trailers += [("Incident-Change", "role"), ("Incident-Role", role)]
      if role == "commander" {
        if incident.times.acknowledgedAt == nil { incident.times.acknowledgedAt = when }
        if incident.status == .reported {
          incident.status = .active
          trailers.append(("Incident-Status", "active"))
        }
      }
      try checkOrder(incident.times)
      timeline.insert(event)
      subject = old.map { "\(id): \(role) \($0) -> \(person)" } ?? "\(id): \(role) \(person)"
      trailers.append(("Incident-Event", event.id))

    case .note(let text, let at):
      let text = try nonEmptyText(text, what: "the note")
      let when = at ?? context.now
      try notInFuture(when, name: "--at", now: context.now)
      let event = TimelineEvent(at: when, by: by, type: "note", text: text)
      timeline.insert(event)
      subject = "\(id): note: \(CommitMessage.oneLine(text, limit: 60))"
      body = text.contains("\n") || text.count > 60 ? text : ""
      trailers += [("Incident-Change", "note"), ("Incident-Event", event.id)]

    case .update(let text, let audience):
      let text = try nonEmptyText(text, what: "the update")
      var event = TimelineEvent(at: context.now, by: by, type: "update", text: text)
      event.audience = audience.rawValue
      timeline.insert(event)
      subject = "\(id): \(audience.rawValue) update: \(CommitMessage.oneLine(text, limit: 50))"
      body = text
      trailers += [
        ("Incident-Change", "update"), ("Incident-Audience", audience.rawValue), ("Incident-Event", event.id),
      ]
    }
    var updated = record
    updated.incident = incident
    updated.timeline = timeline
    return (updated, CommitMessage(subject: subject, body: body, trailers: trailers))
  }

  // MARK: Rules

  /// The statuses an incident may move to with `status`, in lifecycle order.
  public static func allowedTargets(from incident: Incident) -> [IncidentStatus] {
    let current = incident.status
    if current == .declined || current == .closed { return [] }
    var out = IncidentStatus.allCases.filter {
      $0 != .declined && $0.applies(to: incident.kind) && $0.rank > current.rank
    }
    if current == .reported || current == .active { out.append(.declined) }
    return out
  }

  static func allowedSuffix(_ incident: Incident) -> String {
    let targets = allowedTargets(from: incident).map(\.rawValue)
    var options: [String] = []
    if !targets.isEmpty { options.append("status " + targets.joined(separator: ", ")) }
    if [.resolved, .review, .closed].contains(incident.status) { options.append("reopen") }
    return options.isEmpty ? "; nothing is allowed from \(incident.status.rawValue)"
      : "; allowed from \(incident.status.rawValue): " + options.joined(separator: "; ")
  }

  static func checkTransition(from incident: Incident, to target: IncidentStatus, reason: String?,
                              context: Context) throws(IncidentError) {
    let id = incident.id
    let current = incident.status
    guard target.applies(to: incident.kind) else {
      let hint = incident.kind == .outage ? " (outages use mitigated)" : " (security incidents use contained)"
      throw .refused("status \(target.rawValue) does not apply to \(incident.kind == .outage ? "an" : "a") \(incident.kind.rawValue) incident\(hint)" + allowedSuffix(incident))
    }
    if target == current {
      throw .refused("\(id) is already \(current.rawValue)" + allowedSuffix(incident))
    }
    if target == .declined {
      guard current == .reported || current == .active else {
        throw .refused("only a reported or active incident can be declined; \(id) is \(current.rawValue)" + allowedSuffix(incident))
      }
      guard let reason else {
        throw .refused("declining needs --reason: one of " + declineReasons.joined(separator: ", "))
      }
      if reason.hasPrefix("duplicate:") {
        let other = String(reason.dropFirst("duplicate:".count))
        guard let otherID = IncidentID(other), otherID != id, context.knownIDs.contains(otherID) else {
          throw .refused("--reason \(reason): '\(other)' is not another existing incident; give duplicate:<ID> of the incident this duplicates")
        }
      } else if !declineReasons.contains(reason) {
        throw .refused("--reason '\(reason)' is not a decline reason; use one of " + declineReasons.joined(separator: ", "))
      }
      return
    }
    if reason != nil {
      throw .invalidInput("--reason only applies to status declined")
    }
    guard allowedTargets(from: incident).contains(target) else {
      let backwards = target.rank < current.rank
      let why = backwards
        ? "\(id) cannot move back from \(current.rawValue) to \(target.rawValue); moves backwards only through `reopen`"
        : "\(id) cannot move from \(current.rawValue) to \(target.rawValue)"
      throw .refused(why + allowedSuffix(incident))
    }
    if target == .closed {
      if context.settings.postmortemRequiredFor.contains(incident.severity) {
        let required = context.settings.approvalsRequired
        let published = context.postmortemStatus == "published"
        if !published || context.postmortemApprovals < required {
          let what = "a published postmortem" + (published ? " with \(required) approval\(required == 1 ? "" : "s")" : "")
          let state: String
          if published {
            state = "its postmortem is published but has \(context.postmortemApprovals) of the \(required) approvals policy requires "
              + "(approvals by its authors do not count; a reviewer approves with `git incident postmortem approve \(id)`)"
          } else {
            let next = context.postmortemStatus == nil ? "git incident postmortem new \(id)" : "git incident postmortem publish \(id)"
            state = (context.postmortemStatus.map { "its postmortem is \($0)" } ?? "it has no postmortem") + " (`\(next)`)"
          }
          throw .refused("\(id) is \(incident.severity) and policy requires \(what) before closing; \(state)")
        }
      }
      let unowned = ActionList(items: context.actions).openWithoutOwner
      if !unowned.isEmpty {
        throw .refused("\(id) cannot close while open action items have no owner: "
          + unowned.map { "\($0.id) \"\($0.title)\"" }.joined(separator: ", ")
          + "; give each an owner (`git incident action edit \(id)/\(unowned[0].id) --owner \"Name <email>\"`) or mark it done")
      }
    }
  }

  static func refuseIfEnded(_ incident: Incident, doing what: String) throws(IncidentError) {
    if incident.status == .closed || incident.status == .declined {
      throw .refused("cannot \(what) \(incident.id): it is \(incident.status.rawValue)"
        + (incident.status == .closed ? "; reopen it first (`git incident reopen \(incident.id)`)" : ""))
    }
  }

  static func checkOrder(_ times: IncidentTimes) throws(IncidentError) {
    if let v = times.firstOrderViolation() {
      throw .refused(
        "\(v.later) (\(RFC3339.format(v.laterAt))) would be before \(v.earlier) (\(RFC3339.format(v.earlierAt))); "
          + "times must stay in order: started <= detected <= acknowledged <= mitigated/contained <= eradicated <= resolved <= review <= closed")
    }
  }

  static func notInFuture(_ date: Date, name: String, now: Date) throws(IncidentError) {
    if date.timeIntervalSince(now) > futureTolerance {
      throw .refused("\(name) \(RFC3339.format(date)) is in the future (now is \(RFC3339.format(now)))")
    }
  }

  static func checkSeverity(_ name: String, settings: Settings) throws(IncidentError) -> String {
    guard let level = settings.severity(named: name) else {
      throw .invalidInput("unknown severity '\(name)'; defined in git-incident.yaml: "
        + settings.severityNames.joined(separator: ", "))
    }
    return level.name
  }

  static func checkRole(_ role: String) throws(IncidentError) -> String {
    let lower = role.lowercased()
    let bytes = Array(lower.utf8)
    let ok = (1...32).contains(bytes.count) && bytes[0] >= 97 && bytes[0] <= 122
      && bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    guard ok else {
      throw .invalidInput("'\(role)' is not a role name; use one of \(standardRoles.joined(separator: ", ")) or a custom lower-case name like incident-analyst")
    }
    return lower
  }

  /// Unicode scalars that can make text display differently from what it is (Trojan Source,
  /// CVE-2021-42574): the bidirectional embedding, override and isolate controls.
  static let bidiControls: Set<UInt32> = [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069]

  /// The first scalar of `text` that is a control character (other than those in `allowed`) or
  /// a bidirectional control, described for an error message.
  static func forbiddenScalar(in text: String, allowed: Set<Unicode.Scalar>) -> String? {
    // Most text has none: look for their UTF-8 forms first (C0 and DEL are single bytes, C1 is
    // C2 80-9F, the bidirectional controls are E2 80 AA-AE and E2 81 A6-A9).
    var suspect = false
    var previous: (UInt8, UInt8) = (0, 0)
    for byte in text.utf8 {
      if byte < 0x20 || byte == 0x7F || (previous.1 == 0xC2 && byte >= 0x80 && byte <= 0x9F)
        || (previous == (0xE2, 0x80) && byte >= 0xAA && byte <= 0xAE)
        || (previous == (0xE2, 0x81) && byte >= 0xA6 && byte <= 0xA9)
      {
        suspect = true
        break
      }
      previous = (previous.1, byte)
    }
    guard suspect else { return nil }
    for scalar in text.unicodeScalars where !allowed.contains(scalar) {
      if scalar.properties.generalCategory == .control || bidiControls.contains(scalar.value) {
        return String(format: "U+%04X", scalar.value)
      }
    }
    return nil
  }

  static func singleLine(_ text: String, what: String) throws(IncidentError) -> String {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { throw .invalidInput("\(what) is empty") }
    if let bad = forbiddenScalar(in: trimmed, allowed: []) {
      throw .invalidInput("\(what) must be one line of text; it contains the control character \(bad)")
    }
    return trimmed
  }

  /// Checks free text (notes, updates, summaries): line breaks and tabs are fine, other control
  /// characters and bidirectional overrides are not; CR LF becomes LF.
  static func nonEmptyText(_ text: String, what: String) throws(IncidentError) -> String {
    let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
    guard !normalized.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
      throw .invalidInput("\(what) is empty")
    }
    if let bad = forbiddenScalar(in: normalized, allowed: ["\n", "\t"]) {
      throw .invalidInput("\(what) contains the control character \(bad); remove it (line breaks and tabs are fine)")
    }
    return normalized
  }

  static func nonEmpty(_ text: String?) -> String? {
    guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
    return text
  }

  static func unique(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
  }
}

extension Incident {
  /// The fields that contradict the incident's status, in file order, with their values as
  /// written (times in RFC 3339):
  ///
  /// - the time of a status beyond the current one (`resolved_at` on a `mitigated` incident);
  ///   an `active` or `declined` incident may keep `mitigated_at`, `contained_at` and
  ///   `eradicated_at`, because `reopen` keeps them (it clears only `resolved_at`, `review_at`
  ///   and `closed_at`, DESIGN section 2); `reported_at` and `acknowledged_at` always stay;
  /// - `declined_at` and `declined_reason` on an incident that is not `declined`.
  ///
  /// Records the tool writes never have any; a merge or a hand edit can make them.
  public var statusContradictions: [(field: String, value: String)] {
    var out: [(field: String, value: String)] = []
    let keepsReopened = status == .active || status == .declined
    let rank = status == .declined ? IncidentStatus.active.rank : status.rank
    for s in IncidentStatus.allCases where s != .declined && s != .reported && s.rank > rank {
      guard let field = s.timestampField, let date = times[field] else { continue }
      if keepsReopened, [.mitigated, .contained, .eradicated].contains(s) { continue }
      out.append((field, RFC3339.format(date)))
    }
    if status != .declined {
      if let at = times.declinedAt { out.append(("declined_at", RFC3339.format(at))) }
      if let reason = declinedReason { out.append(("declined_reason", reason)) }
    }
    return out
  }

  /// Removes the fields ``statusContradictions`` lists.
  ///
  /// - Returns: what was removed, as (field, value) pairs.
  @discardableResult
  public mutating func removeStatusContradictions() -> [(field: String, value: String)] {
    let removed = statusContradictions
    for (field, _) in removed {
      if field == "declined_reason" { declinedReason = nil } else { times[field] = nil }
    }
    return removed
  }
}
