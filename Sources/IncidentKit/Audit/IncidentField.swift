import Foundation

/// A field of `incident.yaml` as `blame` and `history` name it: `title`, `kind`, `severity`,
/// `status`, `summary`, `services`, `labels`, `roles.<role>` (for example `roles.commander`),
/// each time field (`started_at` ... `declined_at`, UTC RFC 3339), `declined_reason` and
/// `declared_by`.
public struct IncidentField: Sendable {
  /// The field's name as written in `incident.yaml` (`roles.commander` for a role).
  public let name: String
  let read: @Sendable (Incident) -> String?

  /// The field's value in `incident` as one line for people (lists joined with `, `, times in
  /// RFC 3339 UTC), or nil when unset.
  public func value(in incident: Incident) -> String? { read(incident) }

  /// The fields every incident has, in file order (roles not included).
  public static let fixed: [IncidentField] = {
    var out: [IncidentField] = [
      IncidentField(name: "title") { $0.title },
      IncidentField(name: "kind") { $0.kind.rawValue },
      IncidentField(name: "severity") { $0.severity },
      IncidentField(name: "status") { $0.status.rawValue },
      IncidentField(name: "summary") { $0.summary },
      IncidentField(name: "services") { $0.services.isEmpty ? nil : $0.services.joined(separator: ", ") },
      IncidentField(name: "labels") { $0.labels.isEmpty ? nil : $0.labels.joined(separator: ", ") },
    ]
    for field in IncidentTimes.fields {
      let name = field.name
      out.append(IncidentField(name: name) { $0.times[name].map(RFC3339.format) })
    }
    out.append(IncidentField(name: "declined_reason") { $0.declinedReason })
    out.append(IncidentField(name: "declared_by") { $0.declaredBy })
    return out
  }()

  /// The field for one role: `roles.<role>`.
  public static func role(_ role: String) -> IncidentField {
    IncidentField(name: "roles.\(role)") { $0.holder(of: role) }
  }

  /// The fields of `incidents`: the fixed ones, then every role any of them holds, in order of
  /// first appearance.
  public static func all(for incidents: [Incident]) -> [IncidentField] {
    var roles: [String] = []
    for incident in incidents {
      for r in incident.roles where !roles.contains(r.role) { roles.append(r.role) }
    }
    let fixed = Self.fixed
    return Array(fixed.prefix(7)) + roles.map(role) + fixed.dropFirst(7)
  }

  /// The field called `name` (`roles.commander`; a bare role name such as `commander` is
  /// accepted too), or nil when there is no such field.
  public static func named(_ name: String) -> IncidentField? {
    if let f = fixed.first(where: { $0.name == name }) { return f }
    if name.hasPrefix("roles."), name.count > 6 { return role(String(name.dropFirst(6))) }
    if Lifecycle.standardRoles.contains(name) { return role(name) }
    return nil
  }
}
