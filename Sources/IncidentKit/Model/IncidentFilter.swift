import Foundation

/// Selects incidents for `list` and `export`. Filters of different kinds combine with AND; the
/// values of one repeated filter combine with OR. Sorted newest declaration first.
public struct IncidentFilter: Sendable {
  public var statuses: [IncidentStatus]
  public var severities: [String]
  public var kind: IncidentKind?
  public var services: [String]
  public var labels: [String]
  /// Only incidents not closed or declined.
  public var openOnly: Bool
  /// Only closed or declined incidents.
  public var closedOnly: Bool
  /// Declared (`reported_at`) at or after this instant.
  public var since: Date?
  /// Declared before this instant.
  public var until: Date?

  public init(statuses: [IncidentStatus] = [], severities: [String] = [], kind: IncidentKind? = nil,
              services: [String] = [], labels: [String] = [], openOnly: Bool = false,
              closedOnly: Bool = false, since: Date? = nil, until: Date? = nil) {
    self.statuses = statuses
    self.severities = severities.map { $0.uppercased() }
    self.kind = kind
    self.services = services
    self.labels = labels
    self.openOnly = openOnly
    self.closedOnly = closedOnly
    self.since = since
    self.until = until
  }

  /// True when `incident` passes every filter.
  public func matches(_ incident: Incident) -> Bool {
    if !statuses.isEmpty && !statuses.contains(incident.status) { return false }
    if !severities.isEmpty && !severities.contains(incident.severity.uppercased()) { return false }
    if let kind, incident.kind != kind { return false }
    if !services.isEmpty && !services.contains(where: incident.services.contains) { return false }
    if !labels.isEmpty && !labels.contains(where: incident.labels.contains) { return false }
    if openOnly && !incident.status.isOpen { return false }
    if closedOnly && !incident.status.isClosed { return false }
    let declared = incident.times.reportedAt ?? incident.times.detectedAt
    if let since, !(declared.map { $0 >= since } ?? false) { return false }
    if let until, !(declared.map { $0 < until } ?? false) { return false }
    return true
  }

  /// True when no filter is set: every incident matches.
  public var isEmpty: Bool {
    statuses.isEmpty && severities.isEmpty && kind == nil && services.isEmpty && labels.isEmpty
      && !openOnly && !closedOnly && since == nil && until == nil
  }

  /// The matching incidents, newest declaration first (ties by ID).
  public func apply(_ incidents: [Incident]) -> [Incident] {
    // Without filters every record is kept: no copy of the list just to test each one.
    let selected = isEmpty ? incidents : incidents.filter(matches)
    // Sorts small (time, index) pairs rather than moving whole records around.
    let order = selected.indices.map { (selected[$0].times.reportedAt ?? .distantPast, $0) }
      .sorted { a, b in
        a.0 != b.0 ? a.0 > b.0 : selected[a.1].id > selected[b.1].id
      }
    return order.map { selected[$0.1] }
  }
}
