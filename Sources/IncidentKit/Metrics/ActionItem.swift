import Foundation

/// One action item of an incident's `actions.yaml`, read tolerantly for metrics: the file is
/// written by the postmortem and action commands; here only the fields metrics need are read
/// and anything else is ignored.
///
/// `actions.yaml` is `actions:` followed by a list of items with `id`, `title`, `type`,
/// `priority`, `status`, `owner`, `due`, `link`, `created_at`, `created_by`, `done_at`,
/// `done_by` (see `schema/actions.json`).
public struct ActionItem: Sendable, Equatable {
  public var incident: IncidentID
  public var id: String
  public var title: String
  /// As written: `open`, `in-progress`, `done`, `cancelled` ...
  public var status: String
  public var owner: String?
  public var priority: String?
  /// The due date: a date (`2026-12-01`, due by the end of that UTC day) or an RFC 3339 time.
  public var due: Date?
  public var doneAt: Date?

  /// Done when its status is `done` (or `closed`, `completed`) or it has `done_at`.
  public var isDone: Bool { ["done", "closed", "completed"].contains(status.lowercased()) || doneAt != nil }
  /// Dropped: status `cancelled`, `canceled`, `wontfix` or `declined`.
  public var isCancelled: Bool { !isDone && ["cancelled", "canceled", "wontfix", "declined"].contains(status.lowercased()) }
  /// Neither done nor cancelled.
  public var isOpen: Bool { !isDone && !isCancelled }
  /// Open and past its due time at `now`.
  public func isOverdue(at now: Date) -> Bool { isOpen && (due.map { $0 < now } ?? false) }

  /// Reads `actions.yaml`; items without an id or title are skipped.
  ///
  /// - Throws: ``FormatError`` when the file is not valid YAML or `actions` is not a list of
  ///   mappings.
  static func decode(_ data: Data, file: String, incident: IncidentID) throws(FormatError) -> [ActionItem] {
    guard let root = try YAMLReader.parse(data, file: file) else { return [] }
    let map = try YAMLMap(root, file: file)
    var out: [ActionItem] = []
    for item in try map.maps("actions") ?? [] {
      guard let id = (try? item.string("id")) ?? nil, let title = (try? item.string("title")) ?? nil
      else { continue }
      var due: Date?
      if let text = (try? item.string("due")) ?? nil {
        if let d = RFC3339.parse(text) {
          due = d
        } else if let d = RFC3339.parse(text + "T00:00:00Z") {
          due = d.addingTimeInterval(86_400)
        }
      }
      let doneText: String? = (try? item.string("done_at")) ?? nil
      let doneAt = doneText.flatMap(RFC3339.parse)
      out.append(ActionItem(
        incident: incident, id: id, title: title, status: ((try? item.string("status")) ?? nil) ?? "open",
        owner: (try? item.string("owner")) ?? nil, priority: (try? item.string("priority")) ?? nil,
        due: due, doneAt: doneAt))
    }
    return out
  }
}
