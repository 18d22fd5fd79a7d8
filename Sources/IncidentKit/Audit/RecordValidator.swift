import Foundation
import Git

/// A problem `audit` found in one version of a record file.
public struct RecordProblem: Sendable, Equatable {
  /// The rule broken: `parse`, `id-folder`, `severity-defined`, `times-order`, ...
  public var rule: String
  /// The 1-based line, when the problem is at one place.
  public var line: Int?
  /// What is wrong and what would be right.
  public var message: String

  public init(rule: String, line: Int? = nil, message: String) {
    self.rule = rule
    self.line = line
    self.message = message
  }

  /// A file that does not parse, from the reader's own error (rule `parse`).
  static func parse(_ error: FormatError) -> RecordProblem {
    RecordProblem(
      rule: "parse", line: error.line,
      message: (error.field.map { "\($0): " } ?? "") + error.message)
  }
}

/// Checks one kind of record file (`incident.yaml`, `timeline.yaml`, `git-incident.yaml`, ...)
/// for `audit`.
///
/// The table ``builtIn`` lists the kinds audit knows; a new kind of file plugs in by adding an
/// entry there, with a path pattern and a check. Files no entry matches are still audited as
/// record changes (trailers, signatures) but their content is not checked.
public struct RecordValidator {
  /// What the check gets: the file, its bytes, and the repository settings in the same commit.
  public struct Input {
    /// The path in the repository.
    public var path: String
    /// The incident whose folder holds the file, nil for `git-incident.yaml`.
    public var incident: IncidentID?
    /// The blob's ID (parses are cached by it).
    public var blob: ObjectID
    /// The blob's bytes.
    public var data: Data
    /// The settings in force in the commit (defaults when `git-incident.yaml` is missing or
    /// invalid).
    public var settings: Settings
    /// Parsed versions shared between validators and the lifecycle checks.
    var cache: AuditCache
  }

  /// The file kind's name, for messages: `incident.yaml`.
  public var name: String
  /// True for the paths this validator checks.
  public var matches: (_ path: String, _ incident: IncidentID?) -> Bool
  /// The problems in one version of the file; empty when it is valid.
  public var check: (Input) -> [RecordProblem]

  /// Matches the file called `fileName` directly inside an incident's folder.
  public static func incidentFile(_ fileName: String) -> (String, IncidentID?) -> Bool {
    { path, incident in incident.map { path == "\($0.folder)/\(fileName)" } ?? false }
  }

  /// The kinds of record file audit checks.
  public static var builtIn: [RecordValidator] {
    [
      RecordValidator(name: "incident.yaml", matches: incidentFile("incident.yaml")) { input in
        guard let id = input.incident else { return [] }
        let incident: Incident
        switch input.cache.incident(input.blob, data: input.data, path: input.path) {
        case .failure(let error): return [.parse(error)]
        case .success(let parsed): incident = parsed
        }
        var problems: [RecordProblem] = []
        if incident.id != id {
          problems.append(RecordProblem(
            rule: "id-folder", line: AuditCache.line(of: "id", in: input.data, path: input.path),
            message: "id \(incident.id) does not match its folder \(id.folder)"))
        }
        if input.settings.severity(named: incident.severity)?.name != incident.severity {
          problems.append(RecordProblem(
            rule: "severity-defined",
            line: AuditCache.line(of: "severity", in: input.data, path: input.path),
            message: "severity '\(incident.severity)' is not defined in git-incident.yaml; defined: "
              + input.settings.severityNames.joined(separator: ", ")))
        }
        if let v = incident.times.firstOrderViolation() {
          problems.append(RecordProblem(
            rule: "times-order", line: AuditCache.line(of: v.later, in: input.data, path: input.path),
            message: "\(v.later) (\(RFC3339.format(v.laterAt))) is before \(v.earlier) (\(RFC3339.format(v.earlierAt))); times must stay in order"))
        }
        let contradictions = incident.statusContradictions
        if let first = contradictions.first {
          problems.append(RecordProblem(
            rule: "status-fields", line: AuditCache.line(of: first.field, in: input.data, path: input.path),
            message: "the incident is \(incident.status.rawValue) but has "
              + contradictions.map { "\($0.field) (\($0.value))" }.joined(separator: ", ")
              + "; a time for a status it has not reached, or declined fields on an incident that is not declined, contradict the status"))
        }
        if incident.status == .declined, incident.declinedReason == nil {
          problems.append(RecordProblem(
            rule: "declined-reason", line: AuditCache.line(of: "status", in: input.data, path: input.path),
            message: "the incident is declined but has no declined_reason"))
        }
        return problems
      },
      RecordValidator(name: "timeline.yaml", matches: incidentFile("timeline.yaml")) { input in
        if case .failure(let error) = input.cache.timeline(input.blob, data: input.data, path: input.path) {
          return [.parse(error)]
        }
        return []
      },
      RecordValidator(name: Settings.path, matches: { path, _ in path == Settings.path }) { input in
        switch input.cache.settings(input.blob, data: input.data, path: input.path) {
        case .failure(let error): return [.parse(error)]
        case .success: return []
        }
      },
    ]
  }
}

/// Parsed record versions keyed by blob ID, so each version of a file is parsed once however
/// many commits hold it.
final class AuditCache {
  var incidents: [ObjectID: Result<Incident, FormatError>] = [:]
  var timelines: [ObjectID: Result<Timeline, FormatError>] = [:]
  var settings: [ObjectID: Result<Settings, FormatError>] = [:]
  var problems: [String: [RecordProblem]] = [:]

  func incident(_ blob: ObjectID, data: @autoclosure () -> Data, path: String) -> Result<Incident, FormatError> {
    if let hit = incidents[blob] { return hit }
    let result = Result { () throws(FormatError) -> Incident in
      try RecordCodec.decodeIncident(data(), file: path, checkOrder: false)
    }
    incidents[blob] = result
    return result
  }

  func timeline(_ blob: ObjectID, data: @autoclosure () -> Data, path: String) -> Result<Timeline, FormatError> {
    if let hit = timelines[blob] { return hit }
    let result = Result { () throws(FormatError) -> Timeline in
      try RecordCodec.decodeTimeline(data(), file: path)
    }
    timelines[blob] = result
    return result
  }

  func settings(_ blob: ObjectID, data: @autoclosure () -> Data, path: String) -> Result<Settings, FormatError> {
    if let hit = settings[blob] { return hit }
    let result = Result { () throws(FormatError) -> Settings in
      try RecordCodec.decodeSettings(data(), file: path)
    }
    settings[blob] = result
    return result
  }

  /// The 1-based line of a top-level key (or `roles.<role>`) in a YAML file, nil when absent.
  static func line(of key: String, in data: Data, path: String) -> Int? {
    guard let root = try? YAMLReader.parse(data, file: path), let map = try? YAMLMap(root, file: path)
    else { return nil }
    if key.hasPrefix("roles."), let roles = try? map.map("roles") {
      return roles.mark(String(key.dropFirst(6)))?.line
    }
    return map.mark(key)?.line
  }
}
