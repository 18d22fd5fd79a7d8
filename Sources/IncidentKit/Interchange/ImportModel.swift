import Foundation
import Git

/// The systems `git incident import` reads.
public enum ImportSystem: String, Sendable, CaseIterable {
  /// Atlassian Statuspage API incident JSON (`{"page": ..., "incident": {..., "incident_updates": [...]}}`
  /// or the bare incident object).
  case statuspage
  /// VERIS 1.3/1.4 JSON (the VERIS Community Database's format), as `kind: security` incidents.
  case veris
  /// Postmortems in Markdown, with YAML front matter or without.
  case markdown

  /// The file name endings taken from a folder (compared case-insensitively); a file named on
  /// the command line is always read. Markdown also takes files without any extension.
  var extensions: [String] {
    switch self {
    case .statuspage, .veris: return ["json"]
    case .markdown: return ["md", "markdown", ""]
    }
  }
}

/// A record that could not be imported: which file, which field, and why. The record is
/// skipped; the others are imported.
public struct ImportProblem: Sendable, Equatable, CustomStringConvertible {
  /// The file as given (or found in a given folder).
  public var file: String
  /// The field, as a dotted path into the source record (`incident.incident_updates[2].status`),
  /// nil for the whole file.
  public var field: String?
  /// What is wrong and what would be right, in plain lowercase English.
  public var message: String

  public init(file: String, field: String?, message: String) {
    self.file = file
    self.field = field
    self.message = message
  }

  public var description: String {
    "\(file): " + (field.map { "\($0): " } ?? "") + message
  }
}

/// What an import did (or, with `--dry-run`, would do).
public struct ImportReport: Sendable {
  /// One incident written (or to be written).
  public struct Imported: Sendable {
    public var id: IncidentID
    public var source: IncidentSource
    public var file: String
    public var title: String
    public var severity: String
    public var status: IncidentStatus
    /// The commits it takes: 1 for a snapshot, 1 + the number of updates for a replay.
    public var commits: Int
  }

  /// A source that an incident of the repository already has.
  public struct Present: Sendable {
    public var source: IncidentSource
    public var file: String
    public var id: IncidentID
  }

  public var system: ImportSystem
  public var dryRun: Bool
  public var imported: [Imported] = []
  public var alreadyPresent: [Present] = []
  /// Records skipped, each with file and field.
  public var skipped: [ImportProblem] = []
  /// Things the user should know about records that were imported (times read in the
  /// repository's time zone, values out of range, clamped times).
  public var warnings: [String] = []
  /// The commits made, oldest first (empty for a dry run).
  public var commits: [ObjectID] = []

  /// True when a record was skipped, so the command exits 1.
  public var hasSkipped: Bool { !skipped.isEmpty }
}

/// One incident read from a source file, before it has an ID.
struct ImportDraft: Sendable {
  var file: String
  var source: IncidentSource
  /// The incident's own date: its ID's date part and the year folder.
  var date: Date
  var warnings: [String]
  var plan: Plan

  enum Plan {
    /// Declared, then each update replayed as its own commit (Statuspage).
    case replay(ReplayPlan)
    /// Written as it is in one commit (VERIS, Markdown).
    case snapshot(SnapshotPlan)
  }
}

/// A Statuspage incident as a declaration and its updates in time order.
struct ReplayPlan {
  var declaration: Declaration
  /// The declare commit's time and author date: the first update's `display_at`.
  var declaredAt: Date
  /// Unknown keys for incident.yaml (the `statuspage` block).
  var extra: [ExtraField]
  var steps: [ReplayStep]
}

/// One source update: the status it moves to (ours), its text and when it was displayed.
struct ReplayStep {
  var status: IncidentStatus
  var sourceStatus: String
  var text: String?
  var at: Date
  /// The source's ID of the update, for the `Incident-Source-Update` trailer.
  var ref: String
  /// The field path of the update, for problems.
  var field: String
}

/// A finished record (ID filled in later) and an optional postmortem.
struct SnapshotPlan {
  var incident: Incident
  var timeline: Timeline
  var postmortem: Data?
}

/// Maps severities of other systems onto the repository's own by position: 0 is the worst
/// level defined in `git-incident.yaml` (SEV1 by default); positions past the last level take
/// the last (least severe) one.
enum ImportSeverity {
  static func level(_ position: Int, settings: Settings) -> String {
    let names = settings.severityNames
    return names[max(0, min(position, names.count - 1))]
  }

  /// A placeholder ID for drafts; replaced before anything is written.
  static let placeholderID = IncidentID("X-00000000-0000")!
}
