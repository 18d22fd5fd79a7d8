import Foundation
import Git

/// What merging two commits' trees produced.
struct TreeMergeOutcome {
  /// Changes to apply to our tree to get the merged tree.
  var updates: [Repository.TreeUpdate]
  /// The incidents whose files the merge changed in our tree, sorted.
  var incidents: [IncidentID]
  /// What people should know: settled conflicts, renamed incidents.
  var notes: [String]
}

/// Tree walks shared by sync and merge.
enum TreeWalk {
  /// Blob IDs by path for every path where the trees differ, walking only subtrees that
  /// differ; `ignoringFirst` leaves the first tree (the base) out of the comparison that
  /// decides whether to descend.
  static func differences(_ trees: [Tree?], ignoringFirst: Bool = false, prefix: String = "")
    throws(GitError) -> [String: [ObjectID?]]
  {
    var out: [String: [ObjectID?]] = [:]
    var names: [String] = []
    var entries: [[String: Tree.Entry]] = []
    for tree in trees {
      var map: [String: Tree.Entry] = [:]
      for e in tree?.entries ?? [] where e.kind != .other {
        map[e.name] = e
        if !names.contains(e.name) { names.append(e.name) }
      }
      entries.append(map)
    }
    for name in names {
      let row = entries.map { $0[name] }
      let compared = ignoringFirst ? Array(row.dropFirst()) : row
      if Set(compared.map { $0.map { "\($0.kind)\($0.id.hex)" } ?? "" }).count == 1 { continue }
      let path = prefix.isEmpty ? name : prefix + "/" + name
      if row.contains(where: { $0?.kind == .tree }) {
        var subtrees: [Tree?] = []
        for e in row {
          subtrees.append(e?.kind == .tree ? try trees.compactMap { $0 }.first!.repository.tree(e!.id) : nil)
        }
        out.merge(try differences(subtrees, ignoringFirst: ignoringFirst, prefix: path)) { a, _ in a }
      }
      if row.contains(where: { $0?.kind == .blob }) {
        out[path] = row.map { $0?.kind == .blob ? $0!.id : nil }
      }
    }
    return out
  }

  /// The incident a path belongs to (`incidents/<year>/<ID>/...`), if any.
  static func incident(of path: String) -> IncidentID? {
    let parts = path.split(separator: "/")
    guard parts.count >= 4, parts[0] == "incidents", let id = IncidentID(String(parts[2])),
      id.rawValue == parts[2]
    else { return nil }
    return id
  }

  /// `incidents/<year>/<folder>` for a path inside an incident folder.
  static func folder(of path: String) -> String? {
    let parts = path.split(separator: "/")
    guard parts.count == 4, parts[0] == "incidents" else { return nil }
    return parts[0...2].joined(separator: "/")
  }
}

extension IncidentStore {
  /// Merges `theirs` into `ours` against `base` (nil for unrelated histories), file by file
  /// with ``RecordMerge``.
  ///
  /// - Parameter labels: how messages name the two sides (`ours (main 1a2b3c4)`).
  /// - Throws: ``MergeConflict`` for a true text conflict, and for a file removed on one side
  ///   and changed on the other (git's `CONFLICT (modify/delete)`), including an incident
  ///   removed on one side whose folder the other side changed; ``IncidentError`` for git
  ///   failures.
  func mergeTrees(base: Tree?, ours: Tree, theirs: Tree, labels: (ours: String, theirs: String) = ("ours", "theirs"))
    throws -> TreeMergeOutcome
  {
    let repo = repository
    let diff = try TreeWalk.differences([base, ours, theirs], ignoringFirst: true)
    try Self.refuseModifyDelete(diff, ours: ours, theirs: theirs, labels: labels)
    try Self.refuseInvalidRecords(diff, repository: repo, labels: labels)
    var results: [String: Data?] = [:]
    var notes: [String] = []
    var folders: [String: [String]] = [:]
    var standalone: [String] = []
    for (path, ids) in diff {
      if let folder = TreeWalk.folder(of: path) {
        folders[folder, default: []].append(path)
      } else {
        standalone.append(path)
      }
      _ = ids
    }
    func data(_ id: ObjectID?) throws -> Data? { try id.map { try repo.blob($0) } }

    for path in standalone.sorted() {
      let ids = diff[path]!
      if ids[0] == ids[1] { results[path] = try data(ids[2]); continue }
      if ids[0] == ids[2] { continue }
      let v = FileVersions(base: try data(ids[0]), ours: try data(ids[1]), theirs: try data(ids[2]))
      let (merged, resolutions) = try RecordMerge.mergeFile(path: path, v)
      results[path] = merged
      for r in resolutions {
        notes.append("\(path): \(r.conflict.dotted) was changed on both sides; kept \(StructuralMerge.display(r.kept)), the other value was \(StructuralMerge.display(r.lost))")
      }
    }

    for folder in folders.keys.sorted() {
      let paths = folders[folder]!
      let bothChanged = paths.contains { p in
        let ids = diff[p]!
        return ids[0] != ids[1] && ids[0] != ids[2]
      }
      if !bothChanged {
        for p in paths where diff[p]![0] == diff[p]![1] { results[p] = try data(diff[p]![2]) }
        continue
      }
      var files: [String: FileVersions] = [:]
      let trees = [base, ours, theirs]
      for (i, tree) in trees.enumerated() {
        guard let sub = try tree?.subtree(atPath: folder) else { continue }
        for e in sub.entries where e.kind == .blob {
          var v = files[e.name] ?? FileVersions()
          let d = try repo.blob(e.id)
          switch i {
          case 0: v.base = d
          case 1: v.ours = d
          default: v.theirs = d
          }
          files[e.name] = v
        }
      }
      if let renamed = try splitCollision(folder: folder, files: files, ours: ours, theirs: theirs) {
        for (p, d) in renamed.files { results[p] = d }
        notes.append(renamed.note)
        continue
      }
      let merged = try RecordMerge.mergeIncident(folder: folder, files: files)
      for (name, d) in merged.files { results[folder + "/" + name] = d }
      notes += merged.notes
    }

    var updates: [Repository.TreeUpdate] = []
    var incidents = Set<IncidentID>()
    for path in results.keys.sorted() {
      let newData = results[path]!
      let current = ours.entry(atPath: path).flatMap { $0.kind == .blob ? $0.id : nil }
      if let newData {
        let id = try repo.createBlob(newData)
        if id == current { continue }
        updates.append(.upsert(path: path, blob: id))
      } else {
        guard current != nil else { continue }
        updates.append(.remove(path: path))
      }
      if let incident = TreeWalk.incident(of: path) { incidents.insert(incident) }
    }
    return TreeMergeOutcome(updates: updates, incidents: incidents.sorted(), notes: notes)
  }

  /// Throws for every file removed on one side and changed on the other, and for every file
  /// the other side changed (or added) in the folder of an incident one side removed: the
  /// merge cannot know whether the incident should exist, so a person decides.
  static func refuseModifyDelete(_ diff: [String: [ObjectID?]], ours: Tree, theirs: Tree, labels: (ours: String, theirs: String)) throws {
    var lines: [String] = []
    var incidents = Set<IncidentID>()
    // Incident folders whose incident.yaml one side removed.
    var removedIn: [String: Int] = [:]
    for (path, ids) in diff where path.hasSuffix("/incident.yaml") && ids[0] != nil {
      guard let folder = TreeWalk.folder(of: path) else { continue }
      if ids[1] == nil, ids[2] != nil { removedIn[folder] = 1 }
      if ids[2] == nil, ids[1] != nil { removedIn[folder] = 2 }
    }
    for path in diff.keys.sorted() {
      let ids = diff[path]!
      var deletedBy = 0
      if ids[0] != nil, ids[1] == nil, ids[2] != nil, ids[2] != ids[0] { deletedBy = 1 }
      if ids[0] != nil, ids[2] == nil, ids[1] != nil, ids[1] != ids[0] { deletedBy = 2 }
      if deletedBy == 0, let folder = TreeWalk.folder(of: path), let side = removedIn[folder] {
        let other = 3 - side
        if ids[other] != nil, ids[other] != ids[0] { deletedBy = side }
      }
      guard deletedBy != 0 else { continue }
      let (deleter, changer) = deletedBy == 1 ? (labels.ours, labels.theirs) : (labels.theirs, labels.ours)
      let verb = ids[0] == nil ? "added" : "modified"
      lines.append("CONFLICT (modify/delete): \(path) deleted in \(deleter) and \(verb) in \(changer)")
      if let incident = TreeWalk.incident(of: path) { incidents.insert(incident) }
    }
    guard !lines.isEmpty else { return }
    let who = incidents.isEmpty ? "" : incidents.sorted().map(\.rawValue).joined(separator: ", ") + " "
    throw MergeConflict(
      file: lines[0], sections: [],
      reason: "\(who)was removed on one side and changed on the other:\n  " + lines.joined(separator: "\n  ")
        + "\ndecide whether to keep it: merge by hand (`git pull`, resolve, commit) and sync again")
  }

  /// Throws for the first record file that a side changed into something its codec cannot
  /// read (broken YAML or an invalid value committed by hand), naming the side, the file and
  /// the line and column in that side's committed version: merging it would spread it.
  static func refuseInvalidRecords(_ diff: [String: [ObjectID?]], repository: Repository, labels: (ours: String, theirs: String)) throws {
    for path in diff.keys.sorted() {
      let ids = diff[path]!
      for side in [1, 2] {
        guard let id = ids[side], id != ids[0] else { continue }
        if let error = validate(path: path, try repository.blob(id)) {
          let label = side == 1 ? labels.ours : labels.theirs
          throw MergeConflict(
            file: path, sections: [],
            reason: "\(label) has an invalid \(path): \(error.description); fix it in a commit on that side (`git incident audit` lists such problems)")
        }
      }
    }
  }

  /// The codec's complaint about one committed version of a record file (`incident.yaml`,
  /// `timeline.yaml`, `git-incident.yaml`; other YAML files of an incident must parse as
  /// YAML), or nil when it reads (or is not a record file).
  static func validate(path: String, _ data: Data) -> FormatError? {
    do {
      if path == Settings.path {
        _ = try RecordCodec.decodeSettings(data, file: path)
        return nil
      }
      guard TreeWalk.folder(of: path) != nil else { return nil }
      switch path.split(separator: "/").last {
      case "incident.yaml": _ = try RecordCodec.decodeIncident(data, file: path, checkOrder: false)
      case "timeline.yaml": _ = try RecordCodec.decodeTimeline(data, file: path)
      default:
        // Other record files (actions, tasks) must at least be YAML; their fields merge as
        // they are.
        if path.hasSuffix(".yaml") { _ = try YAMLReader.parse(data, file: path) }
      }
      return nil
    } catch {
      return error
    }
  }

  /// Two clones that never talked declared the same ID (the four random characters collided):
  /// both records are kept. The copy whose `declared` event ID sorts last (the same choice on
  /// every clone) moves to a new ID derived from that event, and the move is reported.
  func splitCollision(folder: String, files: [String: FileVersions], ours: Tree, theirs: Tree)
    throws -> (files: [String: Data?], note: String)?
  {
    guard let incidentFile = files["incident.yaml"], incidentFile.base == nil,
      let oursIncident = incidentFile.ours, let theirsIncident = incidentFile.theirs,
      let oldID = IncidentID(String(folder.split(separator: "/").last ?? ""))
    else { return nil }
    func declared(_ timeline: Data?) -> RecordMerge.EventInfo? {
      RecordMerge.events(timeline).first { $0.type == "declared" }
    }
    guard let o = declared(files["timeline.yaml"]?.ours), let t = declared(files["timeline.yaml"]?.theirs),
      o.id != t.id
    else { return nil }
    let moveOurs = o.id > t.id
    let moved = moveOurs ? o : t
    let parts = oldID.rawValue.split(separator: "-")
    var salt = 0
    var newID: IncidentID
    repeat {
      let random = RecordMerge.crockford(RecordMerge.fnv1a("\(moved.id)|\(salt)"), count: 4)
      newID = IncidentID("\(parts[0])-\(parts[1])-\(random)")!
      salt += 1
    } while newID == oldID || ours.entry(atPath: newID.folder) != nil || theirs.entry(atPath: newID.folder) != nil
    var out: [String: Data?] = [:]
    for (name, v) in files {
      let stay = moveOurs ? v.theirs : v.ours
      let go = moveOurs ? v.ours : v.theirs
      out[folder + "/" + name] = stay
      if var go {
        if name == "incident.yaml" {
          var incident = try RecordCodec.decodeIncident(go, file: folder + "/" + name, checkOrder: false)
          incident.id = newID
          go = RecordCodec.encodeIncident(incident)
        }
        out[newID.folder + "/" + name] = go
      }
    }
    _ = (oursIncident, theirsIncident)
    let who = moveOurs ? "ours" : "theirs"
    return (out, "\(oldID) was declared on both sides as two different incidents; both are kept: \(who) (declared \(moved.at.map(RFC3339.format) ?? "at an unknown time")) is now \(newID)")
  }
}
