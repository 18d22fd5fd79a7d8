import Foundation
import Git

extension IncidentStore {
  /// Declares a new incident: writes its `incident.yaml` and `timeline.yaml` in one commit.
  ///
  /// - Parameters:
  ///   - declaration: what the incident starts with.
  ///   - actor: `--as` text (`Name <email>`), or nil to use git's identity.
  /// - Returns: the commit, with ``CommitResult/incident`` set to the new ID.
  /// - Throws: ``IncidentError`` when the input is invalid, no identity is set, or git fails.
  public func declare(_ declaration: Declaration, as actor: String? = nil) throws(IncidentError)
    -> CommitResult
  {
    let identity = try identity(explicit: actor)
    var id: IncidentID?
    return try commit(identity: identity, guarded: { _ in [] }) { tree throws(IncidentError) in
      let settings = try settings(in: tree)
      // One path lookup per candidate instead of listing every incident: IDs are stored upper
      // case as their folder's name, so a taken ID is exactly an existing path.
      func taken(_ candidate: IncidentID) -> Bool { tree?.entry(atPath: candidate.folder) != nil }
      var candidate = IncidentID.generate(prefix: settings.idPrefix, date: now)
      while taken(candidate) {
        candidate = IncidentID.generate(prefix: settings.idPrefix, date: now)
      }
      if id == nil { id = candidate }
      let chosen = taken(id!) ? candidate : id!
      id = chosen
      let context = Lifecycle.Context(settings: settings, actor: identity, now: now)
      var (record, message) = try Lifecycle.declare(declaration, id: chosen, context: context)
      var files = files(of: record)
      if let name = declaration.playbook {
        record.tasks = try playbookTasks(name, in: tree)
        files.append((RecordPaths.tasks(chosen), ActionCodec.encodeTasks(record.tasks)))
        message.trailers.append(("Incident-Playbook", name))
      }
      return PendingCommit(files: files, message: message)
    }
  }

  /// Applies one change to the incident `query` names, as one commit.
  ///
  /// - Throws: ``IncidentError`` when the ID does not resolve, the change is refused, a file of
  ///   the incident has uncommitted edits, or git fails. Nothing is written on any error.
  public func change(_ query: String, _ change: IncidentChange, as actor: String? = nil)
    throws(IncidentError) -> CommitResult
  {
    let identity = try identity(explicit: actor)
    return try commit(
      identity: identity,
      guarded: { tree throws(IncidentError) in
        let id = try resolve(query, in: tree)
        return try incidentFiles(id, in: tree)
      },
      build: { tree throws(IncidentError) in
        let id = try resolve(query, in: tree)
        let settings = try settings(in: tree)
        let record = try record(id, in: tree, settings: settings)
        var change = change
        if case .status(.declined, let at, let note, let reason?) = change, reason.lowercased().hasPrefix("duplicate:") {
          let other = String(reason.dropFirst("duplicate:".count))
          let otherID = try resolve(other, in: tree)
          guard otherID != id else {
            throw .refused("\(id) cannot be declined as a duplicate of itself")
          }
          change = .status(.declined, at: at, note: note, reason: "duplicate:\(otherID)")
        }
        var context = Lifecycle.Context(settings: settings, actor: identity, now: now,
                                        postmortemStatus: record.postmortemStatus)
        context.actions = record.actions.items
        if case .status(.closed, _, _, _) = change { context.postmortemApprovals = postmortemApprovalCount(id, in: tree) }
        if case .status(.declined, _, _, _) = change {
          context.knownIDs = Set(try incidentIDs(in: tree))
        }
        let (updated, message) = try Lifecycle.apply(change, to: record, context: context)
        return PendingCommit(files: files(of: updated), message: message)
      })
  }

  /// The names of the playbooks in `tree` (`playbooks/<name>.md`), sorted.
  public func playbookNames(in tree: Tree?) throws(IncidentError) -> [String] {
    guard let tree else { return [] }
    do {
      guard let folder = try tree.subtree(atPath: Playbook.folder) else { return [] }
      return folder.entries.filter { $0.kind == .blob && $0.name.hasSuffix(".md") }
        .map { String($0.name.dropLast(3)) }.filter(Playbook.isValidName).sorted()
    } catch {
      throw .git(error)
    }
  }

  /// The checklist of playbook `name` as tasks.
  ///
  /// - Throws: ``IncidentError/invalidInput(_:)`` for an unknown playbook (listing those that
  ///   exist, and saying so when the file is in the work tree but not committed) or one without
  ///   a `- [ ]` checklist; ``IncidentError/invalidRecord(_:)`` for a checklist item with a
  ///   control character (file, line and column).
  func playbookTasks(_ name: String, in tree: Tree?) throws(IncidentError) -> TaskList {
    let known = try playbookNames(in: tree)
    guard Playbook.isValidName(name), let entry = tree?.entry(atPath: Playbook.path(name)) else {
      var uncommitted = ""
      if Playbook.isValidName(name), let workdir = repository.workingDirectory,
        FileManager.default.fileExists(atPath: workdir + "/" + Playbook.path(name))
      {
        uncommitted = "\(Playbook.path(name)) exists in the work tree but is not committed; commit it "
          + "(`git add \(Playbook.path(name)) && git commit`) and declare again; "
      }
      throw .invalidInput("unknown playbook '\(name)'; " + uncommitted
        + (known.isEmpty ? "this repository has none (add playbooks/<name>.md with a - [ ] checklist)"
           : "playbooks in this repository: " + known.joined(separator: ", ")))
    }
    let tasks: [PlaybookTask]
    do {
      tasks = try Playbook.tasks(in: String(decoding: try blob(entry.id), as: UTF8.self), file: Playbook.path(name))
    } catch let error as FormatError {
      throw .invalidRecord(error)
    } catch {
      throw error as! IncidentError
    }
    guard !tasks.isEmpty else {
      throw .invalidInput("playbook \(Playbook.path(name)) has no checklist; write its steps as `- [ ] step` lines")
    }
    return TaskList(playbook: name, tasks: tasks)
  }

  /// Paths of the files in an incident's folder in `tree`.
  func incidentFiles(_ id: IncidentID, in tree: Tree?) throws(IncidentError) -> [String] {
    guard let tree else { return [] }
    do {
      guard let folder = try tree.subtree(atPath: id.folder) else { return [] }
      return folder.entries.filter { $0.kind == .blob }.map { "\(id.folder)/\($0.name)" }
    } catch {
      throw .git(error)
    }
  }

  func files(of record: IncidentRecord) -> [(path: String, data: Data)] {
    Self.files(of: record)
  }

  /// See ``files(of:)``; a pure function of the record.
  static func files(of record: IncidentRecord) -> [(path: String, data: Data)] {
    let id = record.incident.id
    return [
      (RecordPaths.incident(id), RecordCodec.encodeIncident(record.incident)),
      (RecordPaths.timeline(id), RecordCodec.encodeTimeline(record.timeline)),
    ]
  }

  /// Makes `path` an incident repository: creates the git repository when there is none (with
  /// git's default initial branch) and commits `git-incident.yaml`, the postmortem template
  /// `templates/postmortem.md` and the example playbooks `playbooks/service-outage.md` and
  /// `playbooks/data-breach.md`.
  ///
  /// - Parameters:
  ///   - path: the folder.
  ///   - prefix: the ID prefix (default `INC`).
  ///   - actor: `--as` text, or nil for git's identity.
  /// - Throws: ``IncidentError/refused(_:)`` when the repository already has `git-incident.yaml`,
  ///   ``IncidentError/invalidInput(_:)`` for a bad prefix, ``IncidentError/missingIdentity``.
  public static func initialize(
    at path: String, prefix: String?, as actor: String? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(IncidentError) -> (store: IncidentStore, result: CommitResult) {
    var settings = Settings.defaults
    if let prefix {
      guard IncidentID.isValidPrefix(prefix) else {
        throw .invalidInput("--prefix '\(prefix)' is not valid; use 1-10 upper-case letters and digits starting with a letter, like INC or SEC")
      }
      settings.idPrefix = prefix
    }
    let repository: Repository
    do {
      repository = try Repository.open(at: path, search: false)
    } catch let error where error.code == .notFound {
      do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
      } catch {
        throw .invalidInput("cannot create \(path): \(error.localizedDescription)")
      }
      do { repository = try Repository.create(at: path) } catch { throw .git(error) }
    } catch {
      throw .git(error)
    }
    let store = IncidentStore(repository: repository, environment: environment)
    let identity = try store.identity(explicit: actor)
    let result = try store.commit(identity: identity, guarded: { _ in [] }) { tree throws(IncidentError) in
      if tree?.entry(atPath: Settings.path) != nil {
        throw .refused("\(path) is already an incident repository (\(Settings.path) exists)")
      }
      return PendingCommit(
        files: [(Settings.path, RecordCodec.encodeSettings(settings)), store.gitAttributes(in: tree),
                (PostmortemTemplate.path, Data(PostmortemTemplate.defaultText.utf8))]
          + Playbook.examples.map { (Playbook.path($0.name), Data(($0.text + "\n").utf8)) },
        message: CommitMessage(
          subject: "Initialize incident repository (prefix \(settings.idPrefix))",
          trailers: [("Incident-Change", "init")]))
    }
    try store.installMergeDriver()
    return (store, result)
  }

  /// `.gitattributes` with the lines that route record files to the merge driver added (kept
  /// as it was when they are there already).
  func gitAttributes(in tree: Tree?) -> (path: String, data: Data) {
    var text = ""
    if let entry = tree?.entry(atPath: ".gitattributes"), let data = try? repository.blob(entry.id) {
      text = String(decoding: data, as: UTF8.self)
    }
    for line in MergeDriver.attributes.split(separator: "\n") where !text.contains(line) {
      if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
      text += line + "\n"
    }
    return (".gitattributes", Data(text.utf8))
  }

  /// Sets `merge.incident.name` and `merge.incident.driver` in the repository's own config,
  /// so `git merge` and `git pull` merge record files with `git incident merge-driver`.
  ///
  /// - Throws: ``IncidentError/git(_:)`` when the config cannot be written.
  public func installMergeDriver() throws(IncidentError) {
    do {
      try repository.setLocalConfig("merge.incident.name", MergeDriver.name)
      try repository.setLocalConfig("merge.incident.driver", MergeDriver.command)
    } catch {
      throw .git(error)
    }
  }
}
