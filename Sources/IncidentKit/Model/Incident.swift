import Foundation
import Yams

/// A YAML value the tool does not know, kept as it was read so that rewriting a file never drops
/// a key someone else added.
public struct ExtraField: @unchecked Sendable, Equatable {
  /// The key.
  public var key: String
  /// The value as parsed (a Yams node; values are never mutated after reading).
  public var value: Node
}

/// Someone holding a role on an incident, for example the Incident Commander.
public struct RoleAssignment: Sendable, Equatable, Codable {
  /// The role's name: `commander`, `deputy`, `scribe`, `communications`, `operations` or a
  /// custom lower-case name.
  public var role: String
  /// The person, as given (`Ana Lima` or `Ana Lima <ana@example.com>`).
  public var person: String
}

/// The times an incident record keeps. All are UTC instants; nil means not known or not
/// reached. They must stay in order (DESIGN section 2):
/// started <= detected <= acknowledged <= mitigated/contained <= eradicated <= resolved <= review
/// <= closed. `reported_at` (when it was declared) and `declined_at` stand outside that chain.
public struct IncidentTimes: Sendable, Equatable {
  public var startedAt: Date?
  public var detectedAt: Date?
  public var acknowledgedAt: Date?
  public var reportedAt: Date?
  public var mitigatedAt: Date?
  public var containedAt: Date?
  public var eradicatedAt: Date?
  public var resolvedAt: Date?
  public var reviewAt: Date?
  public var closedAt: Date?
  public var declinedAt: Date?

  public init() {}

  /// Field names and key paths in file order.
  nonisolated(unsafe) static let fields: [(name: String, path: WritableKeyPath<IncidentTimes, Date?>)] = [
    ("started_at", \.startedAt), ("detected_at", \.detectedAt),
    ("acknowledged_at", \.acknowledgedAt), ("reported_at", \.reportedAt),
    ("mitigated_at", \.mitigatedAt), ("contained_at", \.containedAt),
    ("eradicated_at", \.eradicatedAt), ("resolved_at", \.resolvedAt),
    ("review_at", \.reviewAt), ("closed_at", \.closedAt), ("declined_at", \.declinedAt),
  ]

  /// The ordered chain the lifecycle requires, as (field name, value) pairs.
  var orderedChain: [(String, Date?)] {
    [
      ("started_at", startedAt), ("detected_at", detectedAt),
      ("acknowledged_at", acknowledgedAt), ("mitigated_at", mitigatedAt),
      ("contained_at", containedAt), ("eradicated_at", eradicatedAt),
      ("resolved_at", resolvedAt), ("review_at", reviewAt), ("closed_at", closedAt),
    ]
  }

  /// True when ``firstOrderViolation()`` is nil, checked without allocating (it runs for every
  /// record a listing takes from the cache): no time in the chain is before an earlier one.
  var isInOrder: Bool {
    var latest = -Double.infinity
    func fits(_ date: Date?) -> Bool {
      guard let t = date?.timeIntervalSinceReferenceDate else { return true }
      guard !t.isNaN, t >= latest else { return false }
      latest = t
      return true
    }
    return fits(startedAt) && fits(detectedAt) && fits(acknowledgedAt) && fits(mitigatedAt)
      && fits(containedAt) && fits(eradicatedAt) && fits(resolvedAt) && fits(reviewAt)
      && fits(closedAt)
  }

  /// The first pair of times out of order, or nil when the chain holds.
  public func firstOrderViolation() -> (earlier: String, earlierAt: Date, later: String, laterAt: Date)? {
    if isInOrder { return nil }
    let chain = orderedChain.compactMap { name, date in date.map { (name, $0) } }
    for i in chain.indices {
      for j in chain.indices where j > i {
        if chain[j].1 < chain[i].1 {
          return (chain[i].0, chain[i].1, chain[j].0, chain[j].1)
        }
      }
    }
    return nil
  }

  subscript(field: String) -> Date? {
    get { Self.fields.first { $0.name == field }.flatMap { self[keyPath: $0.path] } }
    set {
      if let f = Self.fields.first(where: { $0.name == field }) { self[keyPath: f.path] = newValue }
    }
  }
}

/// An incident's current state: the content of `incidents/<year>/<ID>/incident.yaml`.
public struct Incident: Sendable, Equatable {
  /// The incident's ID.
  public var id: IncidentID
  /// A one-line title.
  public var title: String
  /// Outage or security.
  public var kind: IncidentKind
  /// A severity name defined in `git-incident.yaml`, for example `SEV2` (SEV1 is worst).
  public var severity: String
  /// The lifecycle status.
  public var status: IncidentStatus
  /// Free text, possibly several paragraphs.
  public var summary: String?
  /// Affected services.
  public var services: [String]
  /// Free-form labels.
  public var labels: [String]
  /// Who holds which role, in the order the roles were first assigned.
  public var roles: [RoleAssignment]
  /// Lifecycle times.
  public var times: IncidentTimes
  /// Why a declined incident was declined: `false-positive`, `not-an-incident` or
  /// `duplicate:<ID>`.
  public var declinedReason: String?
  /// Who declared it (`Name <email>`).
  public var declaredBy: String?
  /// Where an imported incident came from; nil for incidents declared with this tool.
  public var source: IncidentSource?
  /// Keys the tool does not know, kept in their original order.
  public var extra: [ExtraField]

  /// Creates a record; lists default to empty.
  public init(
    id: IncidentID, title: String, kind: IncidentKind, severity: String, status: IncidentStatus
  ) {
    self.id = id
    self.title = title
    self.kind = kind
    self.severity = severity
    self.status = status
    self.services = []
    self.labels = []
    self.roles = []
    self.times = IncidentTimes()
    self.extra = []
  }

  /// The person holding `role`, if any.
  public func holder(of role: String) -> String? { roles.first { $0.role == role }?.person }

  /// The Incident Commander, if assigned.
  public var commander: String? { holder(of: "commander") }
}

/// The system and ID an imported incident came from (`source:` in `incident.yaml`), for
/// example `{system: statuspage, id: p3dlswx26qvk}`. An import never brings in the same source
/// twice.
public struct IncidentSource: Sendable, Equatable, Hashable, Codable {
  /// `statuspage`, `veris` or `markdown` (or another importer's name).
  public var system: String
  /// The incident's ID in that system (a Statuspage incident ID, a VERIS `incident_id`, a
  /// Markdown file's path relative to the imported folder).
  public var id: String

  public init(system: String, id: String) {
    self.system = system
    self.id = id
  }

  /// `system:id`, as in the `Incident-Source` trailer.
  public var text: String { "\(system):\(id)" }
}

/// One entry of an incident's timeline (`timeline.yaml`).
public struct TimelineEvent: Sendable, Equatable {
  /// Stable, unique across clones: `ev-` and ten random Crockford base32 characters.
  public var id: String
  /// When it happened (UTC); may be given after the fact.
  public var at: Date
  /// Who recorded it (`Name <email>`).
  public var by: String
  /// `declared`, `status`, `severity`, `role`, `note`, `update`, `merge`, or another type.
  public var type: String
  /// The text (a note, an update, a status note).
  public var text: String?
  /// The previous value for changes (status, severity, role holder).
  public var from: String?
  /// The new value for changes.
  public var to: String?
  /// The role, for role changes.
  public var role: String?
  /// `internal` or `external`, for stakeholder updates.
  public var audience: String?
  /// The reason, for declines.
  public var reason: String?
  /// Keys the tool does not know.
  public var extra: [ExtraField]

  /// Creates an event with a new random ID.
  public init(at: Date, by: String, type: String, text: String? = nil) {
    self.id = Self.newID()
    self.at = at
    self.by = by
    self.type = type
    self.text = text
    self.extra = []
  }

  /// A new random event ID.
  ///
  /// The ten characters are ten 5-bit groups of one 64-bit value from the system's secure
  /// random source: one `getrandom` call instead of ten (`next(upperBound: 32)` would take the
  /// top five bits of a new 32-bit value each time; both are uniform), which was a noticeable
  /// part of importing thousands of postmortems.
  public static func newID() -> String {
    var generator = SystemRandomNumberGenerator()
    let bits: UInt64 = generator.next()
    let chars = (0..<10).map { i in
      IncidentID.crockford[Int(truncatingIfNeeded: bits >> (5 * i)) & 31]
    }
    return "ev-" + String(decoding: chars, as: UTF8.self).lowercased()
  }
}

/// An incident's timeline: events in time order (equal times keep the order they were added).
public struct Timeline: Sendable, Equatable {
  /// The events.
  public var events: [TimelineEvent]
  /// Top-level keys the tool does not know.
  public var extra: [ExtraField]

  public init(events: [TimelineEvent] = [], extra: [ExtraField] = []) {
    self.events = events
    self.extra = extra
  }

  /// Inserts `event` after every event at or before its time.
  public mutating func insert(_ event: TimelineEvent) {
    let index = events.lastIndex { $0.at <= event.at }.map { $0 + 1 } ?? 0
    events.insert(event, at: index)
  }
}

/// An incident with its timeline, as read from one commit.
public struct IncidentRecord: Sendable, Equatable {
  public var incident: Incident
  public var timeline: Timeline
  /// The postmortem's front-matter status (`draft`, `in-review`, `approved`, `published`), nil
  /// when there is no `postmortem.md`.
  public var postmortemStatus: String?
  /// The action items (`actions.yaml`); empty when the file is absent.
  public var actions: ActionList
  /// The playbook tasks (`tasks.yaml`); empty when the file is absent.
  public var tasks: TaskList

  public init(incident: Incident, timeline: Timeline, postmortemStatus: String? = nil,
              actions: ActionList = ActionList(), tasks: TaskList = TaskList()) {
    self.incident = incident
    self.timeline = timeline
    self.postmortemStatus = postmortemStatus
    self.actions = actions
    self.tasks = tasks
  }
}
