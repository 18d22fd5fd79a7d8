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
    defer { recordCache.appendJournal() }
    var entries: [HistoryEntry] = []
    var probes = FolderProbes(id: id)
    do {
      for commitID in try RevWalk(repository: repository, from: tip) {
        let commit = try repository.commit(commitID)
        let parents = commit.parentIDs
        guard try probes.changed(commitID, commit: commit, parent: parents.first, in: repository)
        else { continue }
        let tree = try commit.tree()
        var parentTree: Tree?
        if let first = parents.first { parentTree = try repository.commit(first).tree() }
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

  /// Decides whether a commit changed an incident's folder without reading big trees: the
  /// `incidents` and `incidents/<year>` tree IDs are compared first (equal IDs mean equal
  /// content), and the year tree, which lists every incident of that year, is read only when
  /// they differ. Results are kept per commit, so in a linear history each commit is probed
  /// once (as itself and then as the next commit's parent).
  struct FolderProbes {
    struct Probe {
      var root: ObjectID
      var incidents: ObjectID?
      var year: ObjectID?
      var folder: ObjectID??
    }

    let id: IncidentID
    var probes: [ObjectID: Probe] = [:]

    init(id: IncidentID) { self.id = id }

    mutating func probe(_ commitID: ObjectID, commit: Commit?, in repository: Repository)
      throws(GitError) -> Probe
    {
      if let hit = probes[commitID] { return hit }
      let tree: Tree
      if let commit { tree = try commit.tree() } else { tree = try repository.commit(commitID).tree() }
      let p = Probe(
        root: tree.id, incidents: tree.entry(atPath: "incidents")?.id,
        year: tree.entry(atPath: "incidents/\(id.year)")?.id)
      probes[commitID] = p
      return p
    }

    mutating func folder(_ commitID: ObjectID, in repository: Repository) throws(GitError)
      -> ObjectID?
    {
      guard var p = probes[commitID] else { return nil }
      if let known = p.folder { return known }
      let value = try repository.tree(p.root).entry(atPath: id.folder)?.id
      p.folder = .some(value)
      probes[commitID] = p
      return value
    }

    /// True when the folder's tree ID in `commitID` differs from the one in `parent` (an
    /// absent folder counts as nil).
    mutating func changed(
      _ commitID: ObjectID, commit: Commit, parent: ObjectID?, in repository: Repository
    ) throws(GitError) -> Bool {
      let mine = try probe(commitID, commit: commit, in: repository)
      guard let parent else { return try folder(commitID, in: repository) != nil }
      let theirs = try probe(parent, commit: nil, in: repository)
      if mine.incidents == theirs.incidents || mine.year == theirs.year { return false }
      return try folder(commitID, in: repository) != folder(parent, in: repository)
    }
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
      } else if let stored = recordCache.incident(entry.id) {
        snap.incident = .success(stored)
        cache.incidents[entry.id] = .success(stored)
      } else {
        let result = Result { () throws(FormatError) -> Incident in
          let data = (try? repository.blob(entry.id)) ?? Data()
          return try RecordCodec.decodeIncident(data, file: RecordPaths.incident(id))
        }
        cache.incidents[entry.id] = result
        if case .success(let parsed) = result { recordCache.add(parsed, blob: entry.id) }
        snap.incident = result
      }
    }
    if let entry = tree?.entry(atPath: RecordPaths.timeline(id)) {
      if let hit = cache.timelines[entry.id] {
        snap.timeline = hit
      } else if let stored = recordCache.timeline(entry.id) {
        snap.timeline = .success(stored)
        cache.timelines[entry.id] = .success(stored)
      } else {
        let result = Result { () throws(FormatError) -> Timeline in
          let data = (try? repository.blob(entry.id)) ?? Data()
          return try RecordCodec.decodeTimeline(data, file: RecordPaths.timeline(id))
        }
        cache.timelines[entry.id] = result
        if case .success(let parsed) = result { recordCache.add(parsed, blob: entry.id) }
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
