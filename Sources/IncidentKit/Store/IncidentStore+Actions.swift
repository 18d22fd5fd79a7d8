import Foundation
import Git

/// What `action add` starts an item with.
public struct ActionDraft: Sendable, Equatable {
  public var title: String
  public var owner: String?
  /// `YYYY-MM-DD`, UTC.
  public var due: String?
  public var type: ActionType?
  public var priority: ActionPriority?
  public var link: String?

  public init(title: String, owner: String? = nil, due: String? = nil, type: ActionType? = nil,
              priority: ActionPriority? = nil, link: String? = nil) {
    self.title = title
    self.owner = owner
    self.due = due
    self.type = type
    self.priority = priority
    self.link = link
  }
}

/// A change to an existing action item; each is one commit.
public enum ActionChange: Sendable, Equatable {
  /// Marks it done (records when and by whom).
  case done
  /// Marks a done item open again.
  case reopen
  /// Changes fields: nil leaves a field as it is; an empty string clears owner, due or link.
  case edit(title: String?, owner: String?, due: String?, type: ActionType?, priority: ActionPriority?, link: String?)
}

/// An action item with the incident it belongs to, for `actions` across incidents.
public struct ActionRow: Sendable {
  public var incident: Incident
  public var item: ActionItem

  /// `<ID>/<action>`, as commands take it.
  public var reference: String { "\(incident.id)/\(item.id)" }
}

/// Which action items `actions` lists.
public struct ActionFilter: Sendable {
  /// Only items whose owner's whole name, whole email or whole `Name <email>` is this text
  /// (case-insensitive, see ``PersonName/matches(_:query:)``).
  public var owner: String?
  public var openOnly: Bool
  /// Only open items whose due date is before `today`.
  public var overdueOnly: Bool
  /// Today's UTC date, `YYYY-MM-DD`.
  public var today: String

  public init(owner: String? = nil, openOnly: Bool = false, overdueOnly: Bool = false, today: String) {
    self.owner = owner
    self.openOnly = openOnly
    self.overdueOnly = overdueOnly
    self.today = today
  }

  /// The rows that match, sorted by due date (items without one last), then incident and item ID.
  public func apply(_ rows: [ActionRow]) -> [ActionRow] {
    rows.filter { row in
      if let owner, !PersonName.matches(row.item.owner ?? "", query: owner) { return false }
      if openOnly && row.item.status != .open { return false }
      if overdueOnly && !row.item.isOverdue(today: today) { return false }
      return true
    }.sorted { a, b in
      switch (a.item.due, b.item.due) {
      case (let x?, let y?) where x != y: return x < y
      case (.some, nil): return true
      case (nil, .some): return false
      default:
        return a.incident.id != b.incident.id ? a.incident.id < b.incident.id : a.item.id < b.item.id
      }
    }
  }
}

/// An active incident whose stakeholder update is overdue (`due`).
public struct DueUpdate: Sendable {
  public var incident: Incident
  /// The last `update` event's time, nil when there has been none.
  public var lastUpdate: Date?
  /// The interval for its severity, in seconds.
  public var interval: Int
  /// How long past due, in seconds (> 0).
  public var overdueBy: Int
}

extension IncidentStore {
  // MARK: Reading

  /// The action items of an incident in `tree` (empty when it has no `actions.yaml`).
  ///
  /// - Throws: ``IncidentError/invalidRecord(_:)`` when the file is invalid.
  public func actions(_ id: IncidentID, in tree: Tree?) throws(IncidentError) -> ActionList {
    guard let entry = tree?.entry(atPath: RecordPaths.actions(id)) else { return ActionList() }
    do {
      return try ActionCodec.decodeActions(try blob(entry.id), file: RecordPaths.actions(id))
    } catch let error as FormatError {
      throw .invalidRecord(error)
    } catch {
      throw error as! IncidentError
    }
  }

  /// The playbook tasks of an incident in `tree` (empty when it has no `tasks.yaml`).
  ///
  /// - Throws: ``IncidentError/invalidRecord(_:)`` when the file is invalid.
  public func tasks(_ id: IncidentID, in tree: Tree?) throws(IncidentError) -> TaskList {
    guard let entry = tree?.entry(atPath: RecordPaths.tasks(id)) else { return TaskList() }
    do {
      return try ActionCodec.decodeTasks(try blob(entry.id), file: RecordPaths.tasks(id))
    } catch let error as FormatError {
      throw .invalidRecord(error)
    } catch {
      throw error as! IncidentError
    }
  }

  /// Every incident's action items in `tree`, with one problem per file that could not be read
  /// (those are left out; callers print the problems).
  public func actionRows(in tree: Tree?) throws(IncidentError) -> (rows: [ActionRow], problems: [IncidentError]) {
    let (incidents, problems) = try incidents(in: tree)
    var rows: [ActionRow] = []
    var all = problems
    for incident in incidents {
      do {
        rows += try actions(incident.id, in: tree).items.map { ActionRow(incident: incident, item: $0) }
      } catch {
        all.append(error)
      }
    }
    return (rows, all)
  }

  /// Today's UTC date (`YYYY-MM-DD`) by this store's clock.
  public var today: String { CalendarDate.string(now) }

  /// Active incidents (reported, active, mitigated, contained, eradicated) whose last
  /// stakeholder update (timeline `update` event; the declaration when there is none) is older
  /// than `policy.update_interval_minutes` for their severity, most overdue first. Severities
  /// without an interval are never due.
  public func dueUpdates(in tree: Tree?) throws(IncidentError) -> (due: [DueUpdate], problems: [IncidentError]) {
    let (incidents, problems) = try incidents(in: tree)
    let settings = try settings(in: tree)
    let now = self.now
    var out: [DueUpdate] = []
    var all = problems
    for incident in incidents where incident.status.rank < IncidentStatus.resolved.rank {
      guard let interval = settings.updateIntervals.first(where: { $0.severity == incident.severity })?.seconds else { continue }
      let timeline: Timeline
      do { timeline = try record(incident.id, in: tree, settings: settings).timeline } catch {
        all.append(error)
        continue
      }
      let last = timeline.events.filter { $0.type == "update" }.map(\.at).max()
      guard let since = last ?? incident.times.reportedAt ?? timeline.events.first?.at else { continue }
      let overdue = Int(now.timeIntervalSince(since)) - interval
      if overdue > 0 {
        out.append(DueUpdate(incident: incident, lastUpdate: last, interval: interval, overdueBy: overdue))
      }
    }
    return (out.sorted { $0.overdueBy > $1.overdueBy }, all)
  }

  // MARK: Changes

  /// Runs one change to incident `query` as one commit: the incident's files are guarded, and
  /// `build` gets the resolved ID, the tip's tree, the record and the settings.
  func changeIncident(
    _ query: String, identity: Identity,
    build: (IncidentID, Tree?, IncidentRecord, Settings) throws(IncidentError) -> PendingCommit
  ) throws(IncidentError) -> CommitResult {
    try commit(
      identity: identity,
      guarded: { tree throws(IncidentError) in try incidentFiles(try resolve(query, in: tree), in: tree) },
      build: { tree throws(IncidentError) in
        let id = try resolve(query, in: tree)
        let settings = try settings(in: tree)
        return try build(id, tree, try record(id, in: tree, settings: settings), settings)
      })
  }

  /// `postmortem.md` with its action block regenerated, when the incident has one and it changes.
  func regeneratedPostmortem(_ id: IncidentID, in tree: Tree?, items: [ActionItem]) throws(IncidentError)
    -> [(path: String, data: Data)]
  {
    let path = RecordPaths.postmortem(id)
    guard let entry = tree?.entry(atPath: path) else { return [] }
    let old = try blob(entry.id)
    guard let text = String(data: old, encoding: .utf8) else {
      throw .invalidRecord(FormatError(file: path, message: "the file is not valid UTF-8"))
    }
    if let marker = PostmortemDocument.conflictMarkerLines(text).first {
      throw .refused("\(path):\(marker.line): has a git conflict marker (\(marker.marker)); resolve the merge in the file and commit it before changing action items")
    }
    let new = Data(try ActionBlock.regenerate(in: text, items: items, file: path).utf8)
    return new == old ? [] : [(path, new)]
  }

  /// Adds an action item to incident `query`, as one commit that writes `actions.yaml` and
  /// regenerates the action block of `postmortem.md`.
  ///
  /// - Returns: the commit and the new item's ID.
  /// - Throws: ``IncidentError/invalidInput(_:)`` for an empty or multi-line title, an owner
  ///   that names nobody once cleaned (`<>`), a due date that is not `YYYY-MM-DD` (years
  ///   1970-2999), a postmortem with git conflict markers; other ``IncidentError`` cases as ``change(_:_:as:)``.
  public func addAction(_ query: String, _ draft: ActionDraft, as actor: String? = nil) throws(IncidentError)
    -> (result: CommitResult, id: String)
  {
    let identity = try identity(explicit: actor)
    let title = try Lifecycle.singleLine(draft.title, what: "the action item's title")
    let owner = try draft.owner.flatMap { s throws(IncidentError) in s.isEmpty ? nil : try PersonName.required(s, what: "--owner") }
    let link = try draft.link.flatMap { s throws(IncidentError) in s.isEmpty ? nil : try Lifecycle.singleLine(s, what: "--link") }
    if let due = draft.due { try Self.checkDue(due) }
    var newID = ""
    let result = try changeIncident(query, identity: identity) { id, tree, record, _ throws(IncidentError) in
      var list = record.actions
      repeat { newID = ActionItem.newID() } while list.index(of: newID) != nil
      var item = ActionItem(id: newID, title: title)
      item.owner = owner
      item.due = draft.due
      item.type = draft.type
      item.priority = draft.priority
      item.link = link
      item.createdAt = now
      item.createdBy = identity.formatted
      list.items.append(item)
      return PendingCommit(
        files: [(RecordPaths.actions(id), ActionCodec.encodeActions(list))]
          + (try regeneratedPostmortem(id, in: tree, items: list.items)),
        message: CommitMessage(
          subject: "\(id): action \(newID) added: \(CommitMessage.oneLine(title, limit: 60))",
          trailers: [("Incident", id.rawValue), ("Incident-Change", "action"), ("Incident-Action", newID)]))
    }
    return (result, newID)
  }

  /// Marks an action item done, reopens it or edits it, as one commit (see ``addAction(_:_:as:)``).
  ///
  /// - Parameter reference: `<incident>/<action>` (`7K3Q/A7K3Q`), or the action ID alone.
  /// - Throws: ``IncidentError/invalidInput(_:)`` for an unknown item, ``IncidentError/refused(_:)``
  ///   when the change changes nothing (done twice, reopening an open item, an edit to the same
  ///   values), ``IncidentError/invalidInput(_:)`` for bad values.
  public func changeAction(_ reference: String, _ change: ActionChange, as actor: String? = nil) throws(IncidentError)
    -> CommitResult
  {
    let identity = try identity(explicit: actor)
    if case .edit(_, _, let due?, _, _, _) = change, !due.isEmpty { try Self.checkDue(due) }
    let (query, actionID) = try splitReference(reference, kind: "action")
    return try commit(
      identity: identity,
      guarded: { tree throws(IncidentError) in
        try incidentFiles(try actionIncident(query, actionID: actionID, in: tree), in: tree)
      },
      build: { tree throws(IncidentError) in
        let id = try actionIncident(query, actionID: actionID, in: tree)
        var list = try actions(id, in: tree)
        guard let index = list.index(of: actionID) else {
          let known = list.items.isEmpty ? "it has no action items" : "its items are " + list.items.map(\.id).joined(separator: ", ")
          throw .invalidInput("\(id) has no action item \(actionID); \(known)")
        }
        var item = list.items[index]
        let what: String
        switch change {
        case .done:
          guard item.status == .open else { throw .refused("action \(item.id) of \(id) is already done; nothing to change") }
          item.status = .done
          item.doneAt = now
          item.doneBy = identity.formatted
          what = "done"
        case .reopen:
          guard item.status == .done else { throw .refused("action \(item.id) of \(id) is already open; nothing to change") }
          item.status = .open
          item.doneAt = nil
          item.doneBy = nil
          what = "reopened"
        case .edit(let title, let owner, let due, let type, let priority, let link):
          var changed: [String] = []
          func set(_ name: String, _ path: WritableKeyPath<ActionItem, String?>, _ value: String?) throws(IncidentError) {
            guard let value else { return }
            let new = value.isEmpty ? nil
              : name == "owner" ? try PersonName.required(value, what: "--owner") : try Lifecycle.singleLine(value, what: "--\(name)")
            if item[keyPath: path] != new {
              item[keyPath: path] = new
              changed.append(name)
            }
          }
          if let title {
            let new = try Lifecycle.singleLine(title, what: "the action item's title")
            if new != item.title { item.title = new; changed.append("title") }
          }
          try set("owner", \.owner, owner)
          try set("due", \.due, due)
          try set("link", \.link, link)
          if let type, type != item.type { item.type = type; changed.append("type") }
          if let priority, priority != item.priority { item.priority = priority; changed.append("priority") }
          guard !changed.isEmpty else {
            throw .refused("the edit changes nothing on action \(item.id) of \(id); give --title, --owner, --due, --type, --priority or --link with a new value")
          }
          what = "edited (" + changed.joined(separator: ", ") + ")"
        }
        list.items[index] = item
        return PendingCommit(
          files: [(RecordPaths.actions(id), ActionCodec.encodeActions(list))]
            + (try regeneratedPostmortem(id, in: tree, items: list.items)),
          message: CommitMessage(
            subject: "\(id): action \(item.id) \(what): \(CommitMessage.oneLine(item.title, limit: 50))",
            trailers: [("Incident", id.rawValue), ("Incident-Change", "action"), ("Incident-Action", item.id)]))
      })
  }

  /// Marks a playbook task done, as one commit with `Incident-Change: edit` and
  /// `Incident-Task: T<n>` (a task is a step of the prepared playbook, not a lifecycle change).
  ///
  /// - Parameter reference: `<incident>/T<n>`.
  /// - Throws: ``IncidentError/invalidInput(_:)`` for an unknown task, ``IncidentError/refused(_:)``
  ///   when it is already done.
  public func taskDone(_ reference: String, as actor: String? = nil) throws(IncidentError) -> CommitResult {
    let identity = try identity(explicit: actor)
    let (query, taskID) = try splitReference(reference, kind: "task")
    guard let query else {
      throw .invalidInput("'\(reference)' does not name a task; write <incident>/<task>, like 7K3Q/T3")
    }
    return try changeIncident(query, identity: identity) { id, tree, record, _ throws(IncidentError) in
      var list = record.tasks
      guard let index = list.index(of: taskID) else {
        let known = list.tasks.isEmpty ? "it has no playbook tasks (declare --playbook adds them)"
          : "its tasks are " + list.tasks.map(\.id).joined(separator: ", ")
        throw .invalidInput("\(id) has no task \(taskID.uppercased()); \(known)")
      }
      var task = list.tasks[index]
      guard task.status == .open else { throw .refused("task \(task.id) of \(id) is already done; nothing to change") }
      task.status = .done
      task.doneAt = now
      task.doneBy = identity.formatted
      list.tasks[index] = task
      return PendingCommit(
        files: [(RecordPaths.tasks(id), ActionCodec.encodeTasks(list))],
        message: CommitMessage(
          subject: "\(id): task \(task.id) done: \(CommitMessage.oneLine(task.title, limit: 60))",
          trailers: [("Incident", id.rawValue), ("Incident-Change", "edit"), ("Incident-Task", task.id)]))
    }
  }

  // MARK: Helpers

  static func checkDue(_ due: String) throws(IncidentError) {
    guard CalendarDate.isValid(due) else {
      throw .invalidInput("--due '\(due)' is not a date; use YYYY-MM-DD with a year from \(CalendarDate.years.lowerBound) to \(CalendarDate.years.upperBound), like 2026-12-15 (UTC)")
    }
  }

  /// Splits `<incident>/<item>`; the incident part is nil when only the item is given.
  func splitReference(_ reference: String, kind: String) throws(IncidentError) -> (String?, String) {
    let parts = reference.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    let example = kind == "action" ? "7K3Q/A7K3Q" : "7K3Q/T3"
    guard (1...2).contains(parts.count), let item = parts.last, !item.isEmpty,
      parts.count == 1 || !parts[0].isEmpty
    else {
      throw .invalidInput("'\(reference)' is not \(kind == "action" ? "an" : "a") \(kind) reference; write <incident>/<\(kind)>, like \(example)")
    }
    if kind == "action" {
      guard ActionItem.isValidID(item) else {
        throw .invalidInput("'\(item)' is not an action id; action ids are A and four letters or digits, like A7K3Q (`git incident show <ID>` lists them)")
      }
    } else {
      let digits = item.dropFirst()
      guard item.uppercased().hasPrefix("T"), !digits.isEmpty, digits.count <= 4, digits.allSatisfy(\.isASCII), Int(digits) != nil else {
        throw .invalidInput("'\(item)' is not a task id; task ids are T1, T2, ... (`git incident show <ID>` lists them)")
      }
    }
    return (parts.count == 2 ? parts[0] : nil, item.uppercased())
  }

  /// The incident an action item belongs to: the named one, or the one whose `actions.yaml`
  /// holds `actionID` when no incident is named.
  func actionIncident(_ query: String?, actionID: String, in tree: Tree?) throws(IncidentError) -> IncidentID {
    if let query { return try resolve(query, in: tree) }
    let holders = try incidentIDs(in: tree).filter { id in
      ((try? actions(id, in: tree))?.index(of: actionID)) != nil
    }
    switch holders.count {
    case 0: throw .invalidInput("no incident has action item \(actionID); `git incident actions` lists them")
    case 1: return holders[0]
    default: throw .ambiguous(actionID, holders)
    }
  }
}
