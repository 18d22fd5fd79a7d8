import Foundation

/// One action item of an incident's `actions.yaml` as metrics see it: the fields stats and the
/// review report need, with the due date as an instant.
///
/// `actions.yaml` is `actions:` followed by a list of items with `id`, `title`, `type`,
/// `priority`, `status`, `owner`, `due`, `link`, `created_at`, `created_by`, `done_at`,
/// `done_by` (see `schema/actions.json`).
public struct ActionMetric: Sendable, Equatable {
  public var incident: IncidentID
  public var id: String
  public var title: String
  /// As written: `open`, `in-progress`, `done`, `cancelled` ...
  public var status: String
  public var owner: String?
  public var priority: String?
  /// The due date as stored in `actions.yaml` (`2026-12-01`, a UTC calendar date): what
  /// exports and the report show.
  public var dueDate: String?
  /// The end of ``dueDate``'s UTC day (`2026-12-02T00:00:00Z` for `2026-12-01`), only for
  /// overdue checks and sorting; never shown.
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

  /// Reads `actions.yaml` with the action commands' own codec (``ActionCodec``), keeping what
  /// metrics need. A due date is due by the end of that UTC day.
  ///
  /// - Throws: ``FormatError`` when the file is not a valid `actions.yaml`.
  static func decode(_ data: Data, file: String, incident: IncidentID) throws(FormatError) -> [ActionMetric] {
    try ActionCodec.decodeActions(data, file: file).items.map { item in
      ActionMetric(
        incident: incident, id: item.id, title: item.title, status: item.status.rawValue,
        owner: item.owner, priority: item.priority?.rawValue, dueDate: item.due,
        due: item.due.flatMap { RFC3339.parse($0 + "T00:00:00Z")?.addingTimeInterval(86_400) },
        doneAt: item.doneAt)
    }
  }
}
