import Foundation
import Git

/// The incident repository: reads records from the branch tip's tree and writes every change as
/// exactly one commit (DESIGN section 4).
///
/// Not `Sendable`; one per command.
public final class IncidentStore {
  /// The underlying repository.
  public let repository: Repository
  let environment: [String: String]
  let clock: @Sendable () -> Date
  /// Parsed records by object ID, under the git directory (see ``RecordCache``).
  lazy var recordCache = RecordCache(
    gitDirectory: repository.gitDirectory, environment: environment)

  /// Wraps an open repository.
  ///
  /// - Parameters:
  ///   - environment: the process environment (for `GIT_AUTHOR_*`).
  ///   - clock: the current time; whole seconds are used.
  public init(
    repository: Repository, environment: [String: String] = ProcessInfo.processInfo.environment,
    clock: @escaping @Sendable () -> Date = { Date() }
  ) {
    self.repository = repository
    self.environment = environment
    self.clock = clock
  }

  /// Opens the repository containing `path` (searching upwards, as git does).
  ///
  /// - Throws: ``IncidentError/notARepository(_:)`` when there is none.
  public static func open(
    at path: String, environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(IncidentError) -> IncidentStore {
    do {
      return IncidentStore(repository: try Repository.open(at: path), environment: environment)
    } catch let error where error.code == .notFound {
      throw .notARepository(path)
    } catch {
      throw .git(error)
    }
  }

  /// Now, UTC, truncated to whole seconds.
  var now: Date { Date(timeIntervalSince1970: clock().timeIntervalSince1970.rounded(.down)) }

  // MARK: Reading

  /// The tree of the commit HEAD points to (the branch tip, or a detached commit); nil when the
  /// branch has no commit yet.
  public func headTree() throws(IncidentError) -> Tree? {
    do {
      switch try repository.head() {
      case .branch(_, let tip):
        guard let tip else { return nil }
        return try repository.commit(tip).tree()
      case .detached(let id):
        return try repository.commit(id).tree()
      }
    } catch {
      throw .git(error)
    }
  }

  /// The repository settings in `tree` (defaults when `git-incident.yaml` is absent).
  ///
  /// - Throws: ``IncidentError/invalidRecord(_:)`` when the file is not valid.
  public func settings(in tree: Tree?) throws(IncidentError) -> Settings {
    guard let tree, let entry = tree.entry(atPath: Settings.path) else { return .defaults }
    let data = try blob(entry.id)
    do {
      return try RecordCodec.decodeSettings(data, file: Settings.path)
    } catch {
      throw .invalidRecord(error)
    }
  }

  func blob(_ id: ObjectID) throws(IncidentError) -> Data {
    do { return try repository.blob(id) } catch { throw .git(error) }
  }

  /// Every incident ID in `tree`, sorted. Folders whose names are not valid IDs are skipped.
  public func incidentIDs(in tree: Tree?) throws(IncidentError) -> [IncidentID] {
    guard let tree else { return [] }
    do {
      guard let incidents = try tree.subtree(atPath: "incidents") else { return [] }
      var ids: [IncidentID] = []
      for year in incidents.entries where year.kind == .tree {
        for entry in try repository.tree(year.id).entries where entry.kind == .tree {
          if let id = IncidentID(entry.name), id.rawValue == entry.name, id.year == year.name {
            ids.append(id)
          }
        }
      }
      return ids.sorted()
    } catch {
      throw .git(error)
    }
  }

  /// Finds the one incident matching `query`: a whole ID, its random part, or a unique prefix
  /// of either, case-insensitively.
  ///
  /// - Throws: ``IncidentError/invalidInput(_:)`` for input that cannot be an ID (checked before
  ///   any lookup), ``IncidentError/notFound(_:)``, or ``IncidentError/ambiguous(_:_:)`` with
  ///   the candidates.
  public func resolve(_ query: String, in tree: Tree?) throws(IncidentError) -> IncidentID {
    guard IncidentID.isPlausibleQuery(query) else {
      throw .invalidInput(
        "'\(query.count > 60 ? query.prefix(60) + "…" : Substring(query))' is not a valid incident ID; expected an ID like INC-20261129-7K3Q, its last part (7K3Q) or a unique prefix")
    }
    let upper = query.uppercased()
    if let exact = IncidentID(upper), exact.rawValue == upper,
      tree?.entry(atPath: exact.folder)?.kind == .tree
    {
      return exact  // a whole ID: one path lookup, no scan
    }
    let ids = try incidentIDs(in: tree)
    if let exact = ids.first(where: { $0.rawValue == upper }) { return exact }
    let matches = ids.filter { $0.rawValue.hasPrefix(upper) || $0.randomPart.hasPrefix(upper) }
    switch matches.count {
    case 0: throw .notFound(query)
    case 1: return matches[0]
    default: throw .ambiguous(query, matches)
    }
  }

  /// Reads one incident's record from `tree`.
  ///
  /// - Parameter settings: the settings of `tree`, when the caller has read them already
  ///   (they are read from `tree` otherwise).
  /// - Throws: ``IncidentError/notFound(_:)`` when the folder or its `incident.yaml` is missing,
  ///   ``IncidentError/invalidRecord(_:)`` when a file is invalid.
  public func record(_ id: IncidentID, in tree: Tree?, settings known: Settings? = nil) throws(IncidentError)
    -> IncidentRecord
  {
    guard let tree, let entry = tree.entry(atPath: RecordPaths.incident(id)) else {
      throw .notFound(id.rawValue)
    }
    try Self.requireFile(entry, RecordPaths.incident(id))
    let settings: Settings
    if let known { settings = known } else { settings = try self.settings(in: tree) }
    let incident = try cachedIncident(blob: entry.id, id: id, settings: settings)
    var timeline = Timeline()
    if let t = tree.entry(atPath: RecordPaths.timeline(id)) {
      try Self.requireFile(t, RecordPaths.timeline(id))
      timeline = try cachedTimeline(blob: t.id, id: id)
    }
    defer { recordCache.appendJournal() }
    var postmortemStatus: String?
    if let pm = tree.entry(atPath: RecordPaths.postmortem(id)) {
      postmortemStatus = FrontMatter.status(in: try blob(pm.id))
    }
    return IncidentRecord(
      incident: incident, timeline: timeline, postmortemStatus: postmortemStatus,
      actions: try actions(id, in: tree), tasks: try tasks(id, in: tree))
  }

  /// Refuses a tree entry at a record's `path` that is not a file (a folder committed there).
  static func requireFile(_ entry: Tree.Entry, _ path: String) throws(IncidentError) {
    guard entry.kind == .blob else {
      throw .invalidRecord(FormatError(
        file: path, line: nil, column: nil, field: nil, message: "is a folder, not a file; a record must be a file"))
    }
  }

  func incident(blob id: ObjectID, id incidentID: IncidentID, settings: Settings) throws(IncidentError)
    -> Incident
  {
    let data = try blob(id)
    do {
      return try RecordCodec.decodeIncident(
        data, file: RecordPaths.incident(incidentID), expectedID: incidentID, settings: settings)
    } catch {
      throw .invalidRecord(error)
    }
  }

  /// Reads every incident's `incident.yaml` in `tree` (timelines are not read).
  ///
  /// Parsed records come from the ``RecordCache`` when their blob was seen before; only new
  /// blobs are parsed (on every core, by ``ParallelRead``), and the cache is then rewritten to
  /// hold what `tree` uses.
  ///
  /// - Returns: the incidents, sorted by ID, and one problem per file that could not be read
  ///   (those incidents are left out, never silently: callers print the problems).
  ///
  /// With `listEntries`, every record read or found in the cache also gets its `list --json`
  /// entry cached, so that ``listJSON(in:)`` finds them all next time.
  public func incidents(in tree: Tree?, listEntries: Bool = false) throws(IncidentError)
    -> (incidents: [Incident], problems: [IncidentError])
  {
    guard let tree else { return ([], []) }
    let settings = try settings(in: tree)
    let cache = recordCache
    cache.prepareForBulkReads()
    guard let incidentsEntry = tree.entry(atPath: "incidents"), incidentsEntry.kind == .tree else {
      return ([], [])
    }
    var folders: [(id: IncidentID, tree: ObjectID)] = []
    if let listed = cache.listing(incidentsEntry.id) {
      folders.reserveCapacity(listed.count)
      for item in listed {
        guard let id = IncidentID(item.id) else { continue }
        folders.append((id, item.folder.objectID))
      }
    } else {
      do {
        let incidents = try repository.tree(incidentsEntry.id)
        for year in incidents.entries where year.kind == .tree {
          for entry in try repository.tree(year.id).entries where entry.kind == .tree {
            if let id = IncidentID(entry.name), id.rawValue == entry.name, id.year == year.name {
              folders.append((id, entry.id))
            }
          }
        }
      } catch {
        throw .git(error)
      }
      folders.sort { $0.id < $1.id }
      cache.add(listing: incidentsEntry.id, folders.map { ($0.id.rawValue, CacheKey($0.tree)) })
    }
    // What the snapshot keeps if it is rewritten; collected as lists (cheap) and made sets
    // only then, since a warm `list` rewrites nothing.
    var liveFolders: [CacheKey] = []
    var liveTimelines: [CacheKey] = []
    var liveIncidents: [CacheKey] = []
    liveFolders.reserveCapacity(folders.count)
    liveTimelines.reserveCapacity(folders.count)
    liveIncidents.reserveCapacity(folders.count)
    // First what the cache knows; the rest is read and parsed afterwards, in parallel.
    var found: [Incident?] = Array(repeating: nil, count: folders.count)
    var misses: [ParallelRead.Item] = []
    for (n, (id, folderID)) in folders.enumerated() {
      liveFolders.append(CacheKey(folderID))
      guard let folder = cache.folder(folderID) else {
        misses.append(ParallelRead.Item(slot: n, id: id, folder: folderID, blob: nil))
        continue
      }
      if let t = folder.timeline { liveTimelines.append(t) }
      guard let blobKey = folder.incident else {
        misses.append(ParallelRead.Item(slot: n, id: id, folder: folderID, blob: nil))
        continue
      }
      liveIncidents.append(blobKey)
      if let hit = cache.incident(blobKey.objectID), Self.usable(hit, as: id, with: settings) {
        if listEntries { cache.addListEntry(hit, blob: blobKey) }
        found[n] = hit
      } else {
        misses.append(ParallelRead.Item(slot: n, id: id, folder: folderID, blob: blobKey.objectID))
      }
    }
    var problemAt: [Int: IncidentError] = [:]
    for (item, result) in zip(misses, ParallelRead.run(misses, in: repository, settings: settings)) {
      if let folder = result.folder {
        cache.add(folder: item.folder, folder)
        if let t = folder.timeline { liveTimelines.append(t) }
        if let key = folder.incident { liveIncidents.append(key) }
      }
      switch result.incident {
      case .success(let incident)?:
        found[item.slot] = incident
        if let blob = item.blob ?? result.folder?.incident?.objectID {
          cache.add(incident, blob: blob)
        }
      case .failure(let error)?:
        problemAt[item.slot] = error
      case nil:
        problemAt[item.slot] = .invalidRecord(FormatError(
          file: item.id.folder, line: nil, column: nil, field: nil,
          message: "the folder has no incident.yaml"))
      }
    }
    var out: [Incident] = []
    out.reserveCapacity(folders.count)
    var problems: [IncidentError] = []
    for n in folders.indices {
      // Moved out, not copied: a copy retains every field of every record.
      if let incident = found[n].take() {
        out.append(incident)
      } else if let p = problemAt[n] {
        problems.append(p)
      }
    }
    if cache.hasUnsaved || cache.snapshotNeedsRewrite || cache.journalSize > 0 {
      cache.writeSnapshot(keeping: [
        .incident: Set(liveIncidents), .listJSON: Set(liveIncidents), .timeline: Set(liveTimelines),
        .folder: Set(liveFolders),
        .listing: [CacheKey(incidentsEntry.id)],
      ])
    }
    return (out, problems)
  }

  /// Every incident of `tree` as `list --json` writes it, in its order (newest declaration
  /// first, ties by ID, as ``IncidentFilter/apply(_:)`` orders), from the cache alone: no
  /// record is decoded or encoded. Nil as soon as one incident is not in the cache as such
  /// (not seen yet, damaged, a record with keys the tool does not know) or would not pass
  /// the checks ``incidents(in:listEntries:)`` makes on a cached record; the caller then reads
  /// them all that way, with `listEntries`, so the next call finds them.
  ///
  /// - Returns: each incident's JSON at indent 2, without separators.
  public func listJSON(in tree: Tree?) throws(IncidentError) -> [[UInt8]]? {
    guard let tree else { return [] }
    let settings = try settings(in: tree)
    let cache = recordCache
    guard cache.enabled else { return nil }
    cache.prepareForBulkReads()
    guard let incidentsEntry = tree.entry(atPath: "incidents"), incidentsEntry.kind == .tree else {
      return []
    }
    guard let listed = cache.listing(incidentsEntry.id) else { return nil }
    let severities = Set(settings.severities.map(\.name))
    var entries: [RecordCache.ListEntry] = []
    entries.reserveCapacity(listed.count)
    for item in listed {
      guard let id = IncidentID(item.id) else { continue }
      guard let blob = cache.folder(key: item.folder)?.incident, let entry = cache.listEntry(blob),
        entry.id == id.rawValue, severities.contains(entry.severity), entry.timesInOrder
      else { return nil }
      entries.append(entry)
    }
    // The order of ``IncidentFilter/apply(_:)``: newest declaration first, ties by ID
    // descending (the listing is by ID ascending, so by index). Only the times are compared
    // (comparing through the entries would copy them): 48 ms against 78 ms for the warm list.
    let times = entries.map { $0.reportedAt ?? .distantPast }
    return times.indices.sorted { a, b in times[a] != times[b] ? times[a] > times[b] : a > b }
      .map { entries[$0].json }
  }

  /// Which `incident.yaml` and `timeline.yaml` blobs an incident folder's tree holds.
  func cachedFolder(_ folderID: ObjectID) -> RecordCache.Folder {
    if let hit = recordCache.folder(folderID) { return hit }
    // A folder tree that cannot be read counts as empty, as a path lookup through it would.
    let folder = RecordCache.Folder(tree: try? repository.tree(folderID))
    recordCache.add(folder: folderID, folder)
    return folder
  }

  /// An incident's record from the cache, or parsed from its blob (and then cached).
  ///
  /// The cache holds records parsed without the checks that depend on where, with which
  /// settings and by whom they are read (the `id` matches the folder; the severity is defined;
  /// times are in order, which `history` and the merge do not require); a cached record that
  /// fails one is parsed again, so the error is exactly the parser's.
  func cachedIncident(blob: ObjectID, id: IncidentID, settings: Settings) throws(IncidentError)
    -> Incident
  {
    if let hit = recordCache.incident(blob), Self.usable(hit, as: id, with: settings) {
      return hit
    }
    let parsed = try incident(blob: blob, id: id, settings: settings)
    recordCache.add(parsed, blob: blob)
    return parsed
  }

  /// Whether a cached record passes the checks the parser makes where it is read: its `id` is
  /// the folder's, its severity is defined in `settings`, its times are in lifecycle order.
  static func usable(_ hit: Incident, as id: IncidentID, with settings: Settings) -> Bool {
    hit.id == id && settings.severities.contains(where: { $0.name == hit.severity })
      && hit.times.isInOrder
  }

  /// A timeline from the cache, or parsed from its blob (and then cached).
  func cachedTimeline(blob id: ObjectID, id incidentID: IncidentID) throws(IncidentError)
    -> Timeline
  {
    if let hit = recordCache.timeline(id) { return hit }
    let data = try blob(id)
    let timeline: Timeline
    do {
      timeline = try RecordCodec.decodeTimeline(data, file: RecordPaths.timeline(incidentID))
    } catch {
      throw .invalidRecord(error)
    }
    recordCache.add(timeline, blob: id)
    return timeline
  }
}

/// Where an incident's files live.
public enum RecordPaths {
  /// `incidents/<year>/<ID>/incident.yaml`
  public static func incident(_ id: IncidentID) -> String { "\(id.folder)/incident.yaml" }
  /// `incidents/<year>/<ID>/timeline.yaml`
  public static func timeline(_ id: IncidentID) -> String { "\(id.folder)/timeline.yaml" }
  /// `incidents/<year>/<ID>/actions.yaml`
  public static func actions(_ id: IncidentID) -> String { "\(id.folder)/actions.yaml" }
  /// `incidents/<year>/<ID>/tasks.yaml`
  public static func tasks(_ id: IncidentID) -> String { "\(id.folder)/tasks.yaml" }
  /// `incidents/<year>/<ID>/postmortem.md`
  public static func postmortem(_ id: IncidentID) -> String { "\(id.folder)/postmortem.md" }
}

@available(*, unavailable)
extension IncidentStore: Sendable {}
