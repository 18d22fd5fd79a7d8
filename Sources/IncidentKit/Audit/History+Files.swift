import Foundation
import Git

extension IncidentStore {
  /// Describes what a commit changed in an incident's `actions.yaml`, `tasks.yaml` and
  /// `postmortem.md`, by comparing the parsed files of the commit and its parent (the
  /// complement of ``describeChanges(from:to:)``, which covers `incident.yaml` and
  /// `timeline.yaml`). `before` and `after` are the incident folder's trees (nil when the
  /// folder is absent).
  ///
  /// - Returns: one line per change, for example `action A7K3Q added: Add an alert (owner Bo
  ///   Chen, due 2026-12-15)`, `task T3 done`, `postmortem in-review -> approved`,
  ///   `postmortem approved by Cy Diaz`, `postmortem text edited`. A version that does not parse
  ///   is reported as `actions.yaml unreadable: ...`.
  func describeOtherFiles(_ id: IncidentID, before: Tree?, after: Tree?) -> [String] {
    var out: [String] = []
    // `before` and `after` are the folder's trees: look files up by their name in it.
    func blobs(_ path: String) -> (ObjectID?, ObjectID?) {
      let name = String(path[path.index(after: path.lastIndex(of: "/")!)...])
      return (before?.entry(atPath: name)?.id, after?.entry(atPath: name)?.id)
    }
    func data(_ blob: ObjectID?) -> Data? { blob.flatMap { try? repository.blob($0) } }

    let (oldActions, newActions) = blobs(RecordPaths.actions(id))
    if oldActions != newActions {
      let file = RecordPaths.actions(id)
      let old = data(oldActions).flatMap { try? ActionCodec.decodeActions($0, file: file) }?.items ?? []
      if let newData = data(newActions) {
        do {
          out += Self.describeActions(from: old, to: try ActionCodec.decodeActions(newData, file: file).items)
        } catch {
          out.append("actions.yaml unreadable: \(error.description)")
        }
      } else if !old.isEmpty {
        out.append("actions.yaml removed")
      }
    }

    let (oldTasks, newTasks) = blobs(RecordPaths.tasks(id))
    if oldTasks != newTasks, let newData = data(newTasks) {
      let file = RecordPaths.tasks(id)
      let old = data(oldTasks).flatMap { try? ActionCodec.decodeTasks($0, file: file) }?.tasks ?? []
      do {
        let new = try ActionCodec.decodeTasks(newData, file: file)
        if old.isEmpty && !new.tasks.isEmpty {
          out.append("\(new.tasks.count) tasks from playbook \(new.playbook ?? "?")")
        }
        for task in new.tasks {
          guard let was = old.first(where: { $0.id == task.id }), was.status != task.status else { continue }
          out.append("task \(task.id) " + (task.status == .done ? "done: \(task.title)" : "reopened: \(task.title)"))
        }
      } catch {
        out.append("tasks.yaml unreadable: \(error.description)")
      }
    }

    let (oldPM, newPM) = blobs(RecordPaths.postmortem(id))
    if oldPM != newPM {
      let file = RecordPaths.postmortem(id)
      func parts(_ blob: ObjectID?) -> (PostmortemFrontMatter?, String)? {
        guard let d = data(blob) else { return nil }
        let document = PostmortemDocument(String(decoding: d, as: UTF8.self))
        return (try? document.frontMatter(file: file), document.body)
      }
      switch (parts(oldPM), parts(newPM)) {
      case (nil, let new?):
        out.append("postmortem created (\(new.0?.status.rawValue ?? "no front matter"))")
      case (let old?, let new?):
        if let a = old.0, let b = new.0 {
          if a.status != b.status { out.append("postmortem \(a.status.rawValue) -> \(b.status.rawValue)") }
          for reviewer in b.reviewers where !a.reviewers.contains(reviewer) {
            out.append("postmortem reviewer \(reviewer) requested")
          }
          for approval in b.approvals where !a.approvals.contains(where: { $0.by == approval.by && $0.at == approval.at }) {
            out.append("postmortem approved by \(approval.by)")
          }
        } else if new.0 == nil {
          out.append("postmortem front matter unreadable")
        }
        if old.1 != new.1 { out.append("postmortem text edited") }
      case (_?, nil):
        out.append("postmortem.md removed")
      case (nil, nil):
        break
      }
    }
    return out
  }

  static func describeActions(from old: [ActionItem], to new: [ActionItem]) -> [String] {
    var out: [String] = []
    for item in new {
      guard let was = old.first(where: { $0.id == item.id }) else {
        var details: [String] = []
        if let owner = item.owner { details.append("owner \(owner)") }
        if let due = item.due { details.append("due \(due)") }
        out.append("action \(item.id) added: \(item.title)" + (details.isEmpty ? "" : " (" + details.joined(separator: ", ") + ")"))
        continue
      }
      if was.status != item.status {
        out.append("action \(item.id) " + (item.status == .done ? "done" : "reopened") + ": \(item.title)")
      }
      let fields: [(String, String?, String?)] = [
        ("title", was.title, item.title), ("owner", was.owner, item.owner), ("due", was.due, item.due),
        ("type", was.type?.rawValue, item.type?.rawValue), ("priority", was.priority?.rawValue, item.priority?.rawValue),
        ("link", was.link, item.link),
      ]
      for (name, a, b) in fields where a != b {
        out.append("action \(item.id) \(name) \(a ?? "none") -> \(b ?? "none")")
      }
    }
    for item in old where !new.contains(where: { $0.id == item.id }) {
      out.append("action \(item.id) removed: \(item.title)")
    }
    return out
  }
}
