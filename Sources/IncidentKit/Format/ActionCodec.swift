import Foundation
import Yams

/// Reads and writes `actions.yaml` and `tasks.yaml` in their canonical layout, in the manner of
/// ``RecordCodec``: any valid YAML is read (hand edits welcome), problems are reported with
/// file, line, column and field, and unknown keys are kept after the known ones.
enum ActionCodec {
  // MARK: actions.yaml

  static let actionKeys = [
    "id", "title", "type", "priority", "status", "owner", "due", "link", "created_at",
    "created_by", "done_at", "done_by",
  ]

  /// Parses `actions.yaml`.
  ///
  /// - Throws: ``FormatError`` naming the file, position and field of the first problem (a
  ///   missing or repeated id, an unknown type, priority or status, a due date that is not
  ///   `YYYY-MM-DD`, a time that is not RFC 3339, a control character in a one-line field).
  ///   An owner is cleaned as git cleans identities (``PersonName``); one that names nobody
  ///   (`"<>"`) is no owner.
  static func decodeActions(_ data: Data, file: String) throws(FormatError) -> ActionList {
    guard let root = try YAMLReader.parse(data, file: file) else { return ActionList() }
    let map = try YAMLMap(root, file: file)
    var list = ActionList()
    var seen = Set<String>()
    for entry in try map.maps("actions") ?? [] {
      let id = try entry.requiredString("id")
      guard ActionItem.isValidID(id) else {
        throw entry.error("id", "'\(id)' is not an action id; expected A and four Crockford base32 characters, like A7K3Q")
      }
      guard seen.insert(id.uppercased()).inserted else {
        throw entry.error("id", "action id \(id) appears twice; each action item needs its own id")
      }
      guard let title = try oneLine(entry, "title") else { throw entry.error("title", "required field is missing; add it as `title: <text>`") }
      var item = ActionItem(id: id.uppercased(), title: title)
      item.type = try enumValue(entry, "type", ActionType.self)
      item.priority = try enumValue(entry, "priority", ActionPriority.self)
      item.status = try enumValue(entry, "status", ActionStatus.self) ?? .open
      item.owner = try oneLine(entry, "owner").flatMap(PersonName.cleaned)
      if let due = try entry.string("due") {
        guard CalendarDate.isValid(due) else {
          throw entry.error("due", "'\(due)' is not a date; write it as \"2026-12-15\" (YYYY-MM-DD, quoted)")
        }
        item.due = due
      }
      item.link = try oneLine(entry, "link")
      item.createdAt = try entry.time("created_at")
      item.createdBy = try oneLine(entry, "created_by")
      item.doneAt = try entry.time("done_at")
      item.doneBy = try oneLine(entry, "done_by")
      item.extra = entry.unknownPairs(known: Set(actionKeys)).map { ExtraField(key: $0.key, value: $0.value) }
      list.items.append(item)
    }
    list.extra = map.unknownPairs(known: ["actions"]).map { ExtraField(key: $0.key, value: $0.value) }
    return list
  }

  /// Writes `actions.yaml` in canonical form.
  static func encodeActions(_ list: ActionList) -> Data {
    let items = list.items.map { item -> Node in
      var pairs: [(String, Node)] = [
        ("id", CanonicalYAML.scalar(item.id)),
        ("title", CanonicalYAML.scalar(item.title)),
      ]
      let optional: [(String, String?)] = [
        ("type", item.type?.rawValue), ("priority", item.priority?.rawValue),
        ("status", item.status.rawValue), ("owner", item.owner), ("due", item.due),
        ("link", item.link),
      ]
      for (key, value) in optional {
        if let value { pairs.append((key, CanonicalYAML.scalar(value))) }
      }
      if let at = item.createdAt { pairs.append(("created_at", CanonicalYAML.time(at))) }
      if let by = item.createdBy { pairs.append(("created_by", CanonicalYAML.scalar(by))) }
      if let at = item.doneAt { pairs.append(("done_at", CanonicalYAML.time(at))) }
      if let by = item.doneBy { pairs.append(("done_by", CanonicalYAML.scalar(by))) }
      pairs += item.extra.map { ($0.key, $0.value) }
      return CanonicalYAML.mapping(pairs)
    }
    let root = CanonicalYAML.mapping(
      [("actions", CanonicalYAML.sequence(items))] + list.extra.map { ($0.key, $0.value) })
    return Data(CanonicalYAML.emit(root).utf8)
  }

  // MARK: tasks.yaml

  static let taskKeys = ["id", "title", "status", "done_at", "done_by"]

  /// Parses `tasks.yaml`.
  ///
  /// - Throws: ``FormatError`` naming the file, position and field of the first problem.
  static func decodeTasks(_ data: Data, file: String) throws(FormatError) -> TaskList {
    guard let root = try YAMLReader.parse(data, file: file) else { return TaskList() }
    let map = try YAMLMap(root, file: file)
    var list = TaskList(playbook: try oneLine(map, "playbook"))
    var seen = Set<String>()
    for entry in try map.maps("tasks") ?? [] {
      guard let id = try oneLine(entry, "id") else { throw entry.error("id", "required field is missing; add it as `id: T1`") }
      guard seen.insert(id.uppercased()).inserted else {
        throw entry.error("id", "task id \(id) appears twice; each task needs its own id")
      }
      guard let title = try oneLine(entry, "title") else { throw entry.error("title", "required field is missing; add it as `title: <text>`") }
      var task = PlaybookTask(id: id, title: title)
      task.status = try enumValue(entry, "status", ActionStatus.self) ?? .open
      task.doneAt = try entry.time("done_at")
      task.doneBy = try oneLine(entry, "done_by")
      task.extra = entry.unknownPairs(known: Set(taskKeys)).map { ExtraField(key: $0.key, value: $0.value) }
      list.tasks.append(task)
    }
    list.extra = map.unknownPairs(known: ["playbook", "tasks"]).map { ExtraField(key: $0.key, value: $0.value) }
    return list
  }

  /// Writes `tasks.yaml` in canonical form.
  static func encodeTasks(_ list: TaskList) -> Data {
    let tasks = list.tasks.map { task -> Node in
      var pairs: [(String, Node)] = [
        ("id", CanonicalYAML.scalar(task.id)),
        ("title", CanonicalYAML.scalar(task.title)),
        ("status", CanonicalYAML.scalar(task.status.rawValue)),
      ]
      if let at = task.doneAt { pairs.append(("done_at", CanonicalYAML.time(at))) }
      if let by = task.doneBy { pairs.append(("done_by", CanonicalYAML.scalar(by))) }
      pairs += task.extra.map { ($0.key, $0.value) }
      return CanonicalYAML.mapping(pairs)
    }
    var pairs: [(String, Node)] = []
    if let playbook = list.playbook { pairs.append(("playbook", CanonicalYAML.scalar(playbook))) }
    pairs.append(("tasks", CanonicalYAML.sequence(tasks)))
    pairs += list.extra.map { ($0.key, $0.value) }
    return Data(CanonicalYAML.emit(CanonicalYAML.mapping(pairs)).utf8)
  }

  // MARK: Helpers

  static func oneLine(_ map: YAMLMap, _ key: String) throws(FormatError) -> String? {
    try map.oneLine(key)
  }

  static func enumValue<T: RawRepresentable & CaseIterable>(_ map: YAMLMap, _ key: String, _ type: T.Type)
    throws(FormatError) -> T? where T.RawValue == String
  {
    guard let text = try map.string(key) else { return nil }
    guard let value = T(rawValue: text) else {
      throw map.error(key, "'\(text)' is not valid; expected one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return value
  }
}
