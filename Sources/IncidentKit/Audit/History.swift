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
  /// The changes, each one line for people: `severity SEV3 -> SEV2`, `note added: ...`. For a
  /// merge, which side each differing field came from: `severity SEV2 from 1a2b3c4 (parent 2)`.
  public var changes: [String]
  /// The parents' IDs, first parent first.
  public var parents: [ObjectID] = []

  /// How the entry is marked for people: `merge 1a2b3c4`, `hand edit 1a2b3c4`, or nil for a
  /// commit made by this tool.
  public var mark: String? {
    if isMerge { return "merge \(commit.short(7))" }
    if isHandEdit { return "hand edit \(commit.short(7))" }
    return nil
  }

  /// The entry as lines for people, one per change, each complete on its own:
  /// `2026-11-29 10:42Z  Ana Lima  severity SEV3 -> SEV2`, with `  (hand edit 1a2b3c4)` or
  /// `  (merge 1a2b3c4)` appended for commits not made by this tool and for merges. `--json`
  /// carries the same change texts.
  public func lines(nameWidth: Int = 0) -> [String] {
    let time = RFC3339.format(date)
    let stamp = String(time.prefix(16)).replacingOccurrences(of: "T", with: " ") + "Z"
    let name = authorName.padding(toLength: max(nameWidth, authorName.count), withPad: " ", startingAt: 0)
    let texts = changes.isEmpty ? ["no record change: " + subject] : changes
    return texts.map { "\(stamp)  \(name)  \($0)" + (mark.map { "  (\($0))" } ?? "") }
  }

  /// The author's name without the email.
  public var authorName: String {
    if let open = author.firstIndex(of: "<") {
      let name = author[..<open].trimmingCharacters(in: .whitespaces)
      if !name.isEmpty { return name }
    }
    return author
  }
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
      // Each version of the year's folder is read once, by the probes; kept in libgit2's cache
      // they would pile up (a quarter of a MB each, hundreds of versions).
      try ObjectCache.withoutLargeTrees { () throws(GitError) in
        for commitID in try RevWalk(repository: repository, from: tip) {
          let commit = try repository.commit(commitID)
          let parents = commit.parentIDs
          guard try probes.changed(commitID, commit: commit, parent: parents.first, in: repository)
          else { continue }
          // Records are read from the incident's folder trees the probes found, never again
          // through the year's folder.
          let folder = try probes.folderTree(commitID, in: repository)
          let parentFolder = try parents.first.flatMap { first throws(GitError) in
            try probes.folderTree(first, in: repository)
          }
          let before = snapshot(id, inFolder: parentFolder, cache: &cache)
          let after = snapshot(id, inFolder: folder, cache: &cache)
          let trailers = commit.trailers
          let author = commit.author
          var changes: [String]
          if parents.count > 1 {
            var sides: [(ObjectID, Snapshot)] = [(parents[0], before)]
            for other in parents.dropFirst() {
              sides.append((other, snapshot(id, inFolder: try probes.folderTree(other, in: repository), cache: &cache)))
            }
            changes = Self.describeMerge(after, parents: sides)
          } else {
            changes = Self.describeChanges(from: before, to: after)
              + describeOtherFiles(id, before: parentFolder, after: folder)
          }
          // The same line for people and for --json.
          if changes.isEmpty { changes = ["no record change: " + commit.summary] }
          entries.append(
            HistoryEntry(
              commit: commitID, author: author.formatted, date: author.date,
              subject: commit.summary,
              changeKind: trailers.first { $0.key == "Incident-Change" }?.value,
              isHandEdit: !trailers.contains { $0.key == "Incident" },
              isMerge: parents.count > 1,
              changes: changes, parents: parents))
        }
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
      var p = try probe(commitID, commit: nil, in: repository)
      if let known = p.folder { return known }
      let value = try repository.tree(p.root).entry(atPath: id.folder)?.id
      p.folder = .some(value)
      probes[commitID] = p
      return value
    }

    /// The incident's folder tree in `commitID`; nil when the commit has no such folder.
    mutating func folderTree(_ commitID: ObjectID, in repository: Repository) throws(GitError)
      -> Tree?
    {
      try folder(commitID, in: repository).map { id throws(GitError) in try repository.tree(id) }
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

  /// The incident's records in `folder` (its folder's tree in some commit; nil when absent),
  /// each parsed once per blob.
  func snapshot(_ id: IncidentID, inFolder folder: Tree?, cache: inout HistoryCache) -> Snapshot {
    var snap = Snapshot()
    if let entry = folder?.entry(atPath: "incident.yaml") {
      if let hit = cache.incidents[entry.id] {
        snap.incident = hit
      } else if let stored = recordCache.incident(entry.id) {
        snap.incident = .success(stored)
        cache.incidents[entry.id] = .success(stored)
      } else {
        let result = Result { () throws(FormatError) -> Incident in
          let data = (try? repository.blob(entry.id)) ?? Data()
          return try RecordCodec.decodeIncident(data, file: RecordPaths.incident(id), checkOrder: false)
        }
        cache.incidents[entry.id] = result
        if case .success(let parsed) = result { recordCache.add(parsed, blob: entry.id) }
        snap.incident = result
      }
    }
    if let entry = folder?.entry(atPath: "timeline.yaml") {
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
      let previous = Dictionary(oldEvents.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
      for event in timeline.events {
        guard let was = previous[event.id], was != event else { continue }
        let fields: [(String, Bool)] = [
          ("at", was.at != event.at), ("by", was.by != event.by), ("type", was.type != event.type),
          ("text", was.text != event.text), ("from", was.from != event.from), ("to", was.to != event.to),
          ("role", was.role != event.role), ("audience", was.audience != event.audience),
          ("reason", was.reason != event.reason), ("other fields", was.extra != event.extra),
        ]
        out.append("timeline event \(event.id) edited: " + fields.filter(\.1).map(\.0).joined(separator: ", "))
      }
      let now = Set(timeline.events.map(\.id))
      let removed = oldEvents.filter { !now.contains($0.id) }
      if !removed.isEmpty { out.append("timeline events removed: " + removed.map(\.id).joined(separator: ", ")) }
    case nil:
      if before.timeline != nil { out.append("timeline.yaml removed") }
    }
    return out
  }

  /// Describes a merge: for each field of `incident.yaml` on which the merge and its parents do
  /// not all agree, which side the merge's value came from (`severity SEV2 from 1a2b3c4
  /// (parent 2)`, `status mitigated kept from the first parent (parent 2 had active)`) or that
  /// the merge set it itself; then the timeline events the merge brought in, counted per side,
  /// and any event it added itself.
  static func describeMerge(_ merge: Snapshot, parents: [(id: ObjectID, snapshot: Snapshot)]) -> [String] {
    var out: [String] = []
    let mine = try? merge.incident?.get()
    let theirs = parents.map { try? $0.snapshot.incident?.get() }
    if let mine {
      for field in IncidentField.all(for: [mine] + theirs.compactMap { $0 }) {
        let value = field.value(in: mine)
        let sideValues = theirs.map { $0.flatMap(field.value(in:)) }
        if sideValues.allSatisfy({ $0 == value }) { continue }
        let shown = value ?? "none"
        if sideValues[0] == value {
          let others = sideValues.enumerated().dropFirst().filter { $0.element != value }
            .map { "parent \($0.offset + 1) had \($0.element ?? "none")" }
          out.append("\(field.name) \(shown) kept from the first parent (" + others.joined(separator: ", ") + ")")
        } else if let index = sideValues.firstIndex(where: { $0 == value }) {
          out.append("\(field.name) \(sideValues[0] ?? "none") -> \(shown) from \(parents[index].id.short(7)) (parent \(index + 1))")
        } else {
          out.append("\(field.name) \(shown) set in the merge (parents had "
            + sideValues.map { $0 ?? "none" }.joined(separator: ", ") + ")")
        }
      }
    } else if case .failure(let error)? = merge.incident {
      out.append("incident.yaml unreadable: \(error.description)")
    }
    let events = (try? merge.timeline?.get())?.events ?? []
    let sideEvents = parents.map { Set(((try? $0.snapshot.timeline?.get())?.events ?? []).map(\.id)) }
    var brought = Array(repeating: 0, count: parents.count)
    for event in events where !sideEvents[0].contains(event.id) {
      if let index = sideEvents.indices.dropFirst().first(where: { sideEvents[$0].contains(event.id) }) {
        brought[index] += 1
      } else if let line = describeEvent(event) ?? Optional("\(event.type) event") {
        out.append(line + " (added in the merge)")
      }
    }
    for index in brought.indices where brought[index] > 0 {
      out.append("\(brought[index]) timeline event\(brought[index] == 1 ? "" : "s") from \(parents[index].id.short(7)) (parent \(index + 1))")
    }
    return out
  }

  static func describeIncident(from old: Incident, to new: Incident) -> [String] {
    var out: [String] = []
    // The times a status move sets or clears belong to that move: shown on its line.
    var folded = Set<String>()
    if old.status != new.status {
      var owned: [String] = []
      for field in IncidentTimes.fields {
        let a = old.times[keyPath: field.path]
        let b = new.times[keyPath: field.path]
        guard a != b else { continue }
        let sets = b != nil && (field.name == new.status.timestampField
          || (field.name == "acknowledged_at" && new.status == .active))
        let clears = b == nil && new.status.rank < old.status.rank
        if sets || clears {
          folded.insert(field.name)
          owned.append(b.map { "\(field.name) \(RFC3339.format($0))" } ?? "\(field.name) cleared")
        }
      }
      out.append("status \(old.status.rawValue) -> \(new.status.rawValue)"
        + (owned.isEmpty ? "" : " (" + owned.joined(separator: ", ") + ")"))
    }
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
    for field in IncidentTimes.fields where !folded.contains(field.name) {
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
