/// The kind of incident, which decides the statuses it can take.
public enum IncidentKind: String, Sendable, CaseIterable, Codable {
  /// A service outage or degradation (reliability incident).
  case outage
  /// A security incident, following the NIST SP 800-61 phases.
  case security
}

/// An incident's status, in lifecycle order (DESIGN section 2; NIST SP 800-61r2 section 3,
/// SANS PICERL).
///
/// | phase | statuses |
/// |---|---|
/// | Detection and analysis | `reported`, `active` |
/// | Containment | `mitigated` (outage), `contained` (security) |
/// | Eradication and recovery | `eradicated` (security), `resolved` |
/// | Post-incident activity | `review`, `closed` |
///
/// `declined` ends a `reported` or `active` incident that turned out not to be one.
public enum IncidentStatus: String, Sendable, CaseIterable, Codable {
  case reported, active, mitigated, contained, eradicated, resolved, review, closed, declined

  /// Position in the forward order; `mitigated` and `contained` share a rank.
  public var rank: Int {
    switch self {
    case .reported: return 0
    case .active: return 1
    case .mitigated, .contained: return 2
    case .eradicated: return 3
    case .resolved: return 4
    case .review: return 5
    case .closed: return 6
    case .declined: return 7
    }
  }

  /// True for `closed` and `declined`, and for `resolved` and `review` (impact is over).
  public var isClosed: Bool { self == .closed || self == .declined }

  /// True while the incident still needs work to end its impact or its process.
  public var isOpen: Bool { !isClosed }

  /// True when this status exists for incidents of `kind`.
  public func applies(to kind: IncidentKind) -> Bool {
    switch self {
    case .mitigated: return kind == .outage
    case .contained, .eradicated: return kind == .security
    default: return true
    }
  }

  /// The name of the record's timestamp field that this status sets, for example
  /// `mitigated_at`; nil for `active`, which sets `acknowledged_at` when it is not set yet.
  public var timestampField: String? {
    self == .active ? nil : "\(rawValue)_at"
  }
}
