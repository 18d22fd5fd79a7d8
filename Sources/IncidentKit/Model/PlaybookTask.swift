import Foundation

/// One step of a playbook's checklist, copied into an incident by `declare --playbook`: an
/// entry of `incidents/<year>/<ID>/tasks.yaml`.
public struct PlaybookTask: Sendable, Equatable {
  /// `T1`, `T2`, ... in checklist order; made only by `declare`, so they never collide.
  public var id: String
  /// The checklist line's text.
  public var title: String
  /// open or done.
  public var status: ActionStatus
  /// When it was marked done (UTC).
  public var doneAt: Date?
  /// Who marked it done (`Name <email>`).
  public var doneBy: String?
  /// Keys the tool does not know.
  public var extra: [ExtraField]

  public init(id: String, title: String) {
    self.id = id
    self.title = title
    self.status = .open
    self.extra = []
  }
}

/// The content of `tasks.yaml`: the playbook an incident follows and its steps.
public struct TaskList: Sendable, Equatable {
  /// The playbook's name (`service-outage` for `playbooks/service-outage.md`); nil when the
  /// incident follows none.
  public var playbook: String?
  /// The steps in checklist order.
  public var tasks: [PlaybookTask]
  /// Top-level keys the tool does not know.
  public var extra: [ExtraField]

  public init(playbook: String? = nil, tasks: [PlaybookTask] = [], extra: [ExtraField] = []) {
    self.playbook = playbook
    self.tasks = tasks
    self.extra = extra
  }

  /// The index of the task with `id` (case-insensitive).
  public func index(of id: String) -> Int? {
    tasks.firstIndex { $0.id.caseInsensitiveCompare(id) == .orderedSame }
  }
}
