import Foundation
import Git

/// One commit in an incident's history, with the changes read by comparing the parsed records
/// of the commit and its first parent (not by trusting the commit message).
public struct HistoryEntry: Sendable, Equatable {
  /// The commit.
  public var commit: ObjectID
  /// Author name and email.
  public var author: String
  /// Author time, UTC.
  public var date: Date
  /// The commit's subject line.
  public var subject: String
  /// The `Incident-Change` trailer, nil when the commit has none.
  public var changeKind: String?
  /// True when the commit was not made by this tool (no `Incident` trailer): a hand edit.
  public var isHandEdit: Bool
  /// True for a merge commit (more than one parent).
  public var isMerge: Bool
  /// The changes, each one line for people: `severity SEV3 -> SEV2`, `note added: ...`.
  public var changes: [String]
}

extension IncidentStore {
  /// The commits that changed incident `query`'s folder, oldest first, each with its semantic
  /// changes (DESIGN section 6).
  ///
  /// Walks history from HEAD (`git_revwalk`), keeping commits whose tree entry for the incident's
  /// folder differs from their first parent's; parsed records are cached per blob ID so each
  /// version of a file is parsed once.
  ///
  /// - Throws: ``IncidentError`` when the ID does not resolve or git fails. A version of a file
  ///   that does not parse is reported as a change (`incident.yaml unreadable: ...`), not thrown.
  public func history(_ query: String) throws(IncidentError) -> [HistoryEntry] {
    let tip: ObjectID
    do {
      switch try repository.head() {
      case .branch(_, let id):
        guard let id else { throw IncidentError.notFound(query) }
        tip = id
      case .detached(let id): tip = id
      }
    } catch let error as IncidentError {
      throw error
    } catch {
      throw .git(error as! GitError)
    }
    let id = try resolve(query, in: try headTree())
    var cache = HistoryCache()
    var entries: [HistoryEntry] = []
    do {
      for commitID in try RevWalk(repository: repository, from: tip) {
        let commit = try repository.commit(commitID)
        let tree = try commit.tree()
        let folder = tree.entry(atPath: id.folder)?.id
        let parents = commit.parentIDs
        var parentTree: Tree?
        if let first = parents.first { parentTree = try repository.commit(first).tree() }
        let parentFolder = parentTree?.entry(atPath: id.folder)?.id
        guard folder != parentFolder else { continue }
        let before = snapshot(id, in: parentTree, cache: &cache)
        let after = snapshot(id, in: tree, cache: &cache)
        let trailers = commit.trailers
        let author = commit.author
        entries.append(
          HistoryEntry(
            commit: commitID, author: author.formatted, date: author.date,
            subject: commit.summary,
            changeKind: trailers.first { $0.key == "Incident-Change" }?.value,
            isHandEdit: !trailers.contains { $0.key == "Incident" },
            isMerge: parents.count > 1,
            changes: Self.describeChanges(from: before, to: after)))
      }
    } catch {
      throw .git(error)
    }
    return entries.reversed()
  }

  struct HistoryCache {
    var incidents: [ObjectID: Result<Incident, FormatError>] = [:]
    var timelines: [ObjectID: Result<Timeline, FormatError>] = [:]
  }

  struct Snapshot {
    var incident: Result<Incident, FormatError>?
    var timeline: Result<Timeline, FormatError>?
  }

  func snapshot(_ id: IncidentID, in tree: Tree?, cache: inout HistoryCache) -> Snapshot {
    var snap = Snapshot()
    if let entry = tree?.entry(atPath: RecordPaths.incident(id)) {
      if let hit = cache.incidents[entry.id] {
        snap.incident = hit
      } else {
        let result = Result { () throws(FormatError) -> Incident in
          let data = (try? repository.blob(entry.id)) ?? Data()
          return try RecordCodec.decodeIncident(data, file: RecordPaths.incident(id), checkOrder: false)
        }
        cache.incidents[entry.id] = result
        snap.incident = result
      }
    }
    if let entry = tree?.entry(atPath: RecordPaths.timeline(id)) {
      if let hit = cache.timelines[entry.id] {
        snap.timeline = hit
      } else {
        let result = Result { () throws(FormatError) -> Timeline in
          let data = (try? repository.blob(entry.id)) ?? Data()
          return try RecordCodec.decodeTimeline(data, file: RecordPaths.timeline(id))
        }
        cache.timelines[entry.id] = result
        snap.timeline = result
      }
    }
    return snap
  }

  static func describeChanges(from before: Snapshot, to after: Snapshot) -> [String] {
    var out: [String] = []
    switch (before.incident, after.incident) {
    case (_, .failure(let error)?):
      out.append("incident.yaml unreadable: \(error.description)")
    case (nil, .success(let new)?), (.failure?, .success(let new)?):
      out.append("declared \(new.severity) \(new.kind.rawValue) \"\(new.title)\", status \(new.status.rawValue)")
      for role in new.roles { out.append("\(role.role) \(role.person)") }
    case (.success(let old)?, .success(let new)?):
      out += describeIncident(from: old, to: new)
    case (_, nil):
      if before.incident != nil { out.append("incident.yaml removed") }
    }
    let oldEvents: [TimelineEvent] = (try? before.timeline?.get())?.events ?? []
    switch after.timeline {
    case .failure(let error)?:
      out.append("timeline.yaml unreadable: \(error.description)")
    case .success(let timeline)?:
      let known = Set(oldEvents.map(\.id))
      for event in timeline.events where !known.contains(event.id) {
        if let line = describeEvent(event) { out.append(line) }
      }
      let now = Set(timeline.events.map(\.id))
      let removed = oldEvents.filter { !now.contains($0.id) }
      if !removed.isEmpty { out.append("timeline events removed: " + removed.map(\.id).joined(separator: ", ")) }
    case nil:
      if before.timeline != nil { out.append("timeline.yaml removed") }
    }
    return out
  }

  static func describeIncident(from old: Incident, to new: Incident) -> [String] {
    var out: [String] = []
    if old.status != new.status { out.append("status \(old.status.rawValue) -> \(new.status.rawValue)") }
    if old.severity != new.severity { out.append("severity \(old.severity) -> \(new.severity)") }
    if old.title != new.title { out.append("title \"\(old.title)\" -> \"\(new.title)\"") }
    if old.kind != new.kind { out.append("kind \(old.kind.rawValue) -> \(new.kind.rawValue)") }
    if old.summary != new.summary { out.append(new.summary == nil ? "summary removed" : "summary changed") }
    let roles = Set(old.roles.map(\.role) + new.roles.map(\.role)).sorted()
    for role in roles where old.holder(of: role) != new.holder(of: role) {
      switch (old.holder(of: role), new.holder(of: role)) {
      case (let a?, let b?): out.append("\(role) \(a) -> \(b)")
      case (nil, let b?): out.append("\(role) \(b)")
      case (let a?, nil): out.append("\(role) \(a) removed")
      default: break
      }
    }
    for (name, list) in [("service", (old.services, new.services)), ("label", (old.labels, new.labels))] {
      for added in list.1 where !list.0.contains(added) { out.append("\(name) \(added) added") }
      for removed in list.0 where !list.1.contains(removed) { out.append("\(name) \(removed) removed") }
    }
    for field in IncidentTimes.fields {
      let a = old.times[keyPath: field.path]
      let b = new.times[keyPath: field.path]
      if a != b {
        out.append("\(field.name) " + (a.map(RFC3339.format) ?? "none") + " -> " + (b.map(RFC3339.format) ?? "none"))
      }
    }
    if old.declinedReason != new.declinedReason, let reason = new.declinedReason {
      out.append("declined: \(reason)")
    }
    if old.extra != new.extra { out.append("other fields changed: " + Set(old.extra.map(\.key) + new.extra.map(\.key)).sorted().joined(separator: ", ")) }
    return out
  }

  static func describeEvent(_ event: TimelineEvent) -> String? {
    switch event.type {
    case "note": return "note added: " + CommitMessage.oneLine(event.text ?? "", limit: 100)
    case "update":
      return "\(event.audience ?? "internal") update: " + CommitMessage.oneLine(event.text ?? "", limit: 100)
    case "declared", "status", "severity", "role": return nil  // shown from the record's fields
    default:
      return "\(event.type) event: " + CommitMessage.oneLine(event.text ?? event.to ?? "", limit: 100)
    }
  }
}
