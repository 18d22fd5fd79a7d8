import Foundation

/// What a new incident starts with (`git incident declare`).
public struct Declaration: Sendable, Equatable {
  public var title: String
  public var severity: String
  public var kind: IncidentKind
  public var services: [String]
  public var labels: [String]
  public var summary: String?
  /// The Incident Commander; when given the incident starts `active`, else `reported`.
  public var commander: String?
  /// When impact began (UTC); nil when not known.
  public var startedAt: Date?
  /// When the problem was detected (UTC); defaults to the declaration time.
  public var detectedAt: Date?
  /// When the commander took it (UTC); only with a commander; defaults to `detectedAt` when that
  /// is given (back-filling an incident), else the declaration time.
  public var acknowledgedAt: Date?
  /// A playbook (`playbooks/<name>.md`) whose checklist becomes the incident's tasks.
  public var playbook: String?

  public init(
    title: String, severity: String, kind: IncidentKind = .outage, services: [String] = [],
    labels: [String] = [], summary: String? = nil, commander: String? = nil,
    startedAt: Date? = nil, detectedAt: Date? = nil, acknowledgedAt: Date? = nil, playbook: String? = nil
  ) {
    self.acknowledgedAt = acknowledgedAt
    self.title = title
    self.severity = severity
    self.kind = kind
    self.services = services
    self.labels = labels
    self.summary = summary
    self.commander = commander
    self.startedAt = startedAt
    self.detectedAt = detectedAt
    self.playbook = playbook
  }
}

/// Who a stakeholder update is for.
public enum Audience: String, Sendable, CaseIterable, Codable {
  /// People inside the organisation.
  case `internal`
  /// Customers and the public (a status page).
  case external
}

/// One change to an existing incident; each becomes exactly one commit.
public enum IncidentChange: Sendable, Equatable {
  /// Moves the status forward (or to `declined`), setting the status's timestamp to `at`
  /// (default now). `reason` is required for `declined`.
  case status(IncidentStatus, at: Date?, note: String?, reason: String?)
  /// Moves a `resolved`, `review` or `closed` incident back to `active`.
  case reopen(at: Date?, note: String?)
  /// Changes the severity.
  case severity(String, note: String?)
  /// Gives `role` to `person`; a taken role is handed over.
  case assign(role: String, person: String, at: Date?)
  /// Adds a note to the timeline.
  case note(String, at: Date?)
  /// Records a stakeholder update.
  case update(String, audience: Audience)
}
