import Foundation
import Git

extension IncidentStore {
  /// Imports incidents from files of another system, one commit per replayed step (see
  /// ``ImportSystem``), all under one repository lock and moved onto the branch with one
  /// compare-and-swap (``commitSeries(identity:build:)``).
  ///
  /// Every imported incident gets `source: {system, id}` in `incident.yaml`; a source that an
  /// incident of the repository already has is left alone, so running an import twice adds
  /// nothing. Two files of the same run with the same source ID are a collision: the second is
  /// skipped and reported with both file names. The existing sources are found by reading each
  /// `incident.yaml` of the branch tip once.
  ///
  /// Settings (severities, `timezone`) come from the branch tip's `git-incident.yaml`; when the
  /// work tree's copy differs, a warning says that its uncommitted settings are not used.
  ///
  /// Commits: subject `<ID>: ...`, trailers `Incident: <ID>`, `Incident-Change: import`,
  /// `Incident-Import-Step: declare|status|update|reopen`, `Incident-Source: <system>:<id>`,
  /// and for replayed Statuspage updates `Incident-Source-Update: <update id>` with the
  /// update's `display_at` as author date (committer date: now).
  ///
  /// - Parameters:
  ///   - system: the format of the files.
  ///   - paths: files, or folders whose matching files are read (recursively, in path order).
  ///   - dryRun: compute everything and write nothing.
  ///   - actor: `--as` text, or nil for git's identity.
  /// - Returns: what was (or would be) imported, already present, skipped, and warnings.
  ///   Records with a bad or missing value are skipped and reported with file and field.
  /// - Throws: ``IncidentError`` when no identity is set (not for a dry run), an imported
  ///   incident's files have uncommitted changes, or git fails.
  public func importIncidents(
    _ system: ImportSystem, paths: [String], dryRun: Bool = false, as actor: String? = nil
  ) throws(IncidentError) -> ImportReport {
    let inputs = Self.collectFiles(paths, system: system)
    let identity: Identity
    do {
      identity = try self.identity(explicit: actor)
    } catch {
      guard dryRun, case .missingIdentity = error else { throw error }
      identity = Identity(name: "dry run", email: "dry-run@localhost")
    }
    var report = ImportReport(system: system, dryRun: dryRun)
    let clock = now
    func build(_ tree: Tree?) throws(IncidentError) -> [PendingCommit] {
      report = ImportReport(system: system, dryRun: dryRun)
      if let warning = uncommittedSettingsWarning(tree) { report.warnings.append(warning) }
      let settings = try self.settings(in: tree)
      let zone = TimeZone(identifier: settings.timezone) ?? TimeZone(identifier: "UTC")!
      let (existing, problems) = try self.incidents(in: tree)
      report.warnings += problems.map { "existing record not read: \($0.description)" }
      var sources: [String: IncidentID] = [:]
      var fromThisRun: [String: String] = [:]  // source key -> file
      for incident in existing {
        if let s = incident.source { sources[Self.sourceKey(s)] = incident.id }
      }
      var ids = Set(existing.map(\.id))
      for problem in problems {
        if case .invalidRecord(let e) = problem, let id = e.file.split(separator: "/").dropFirst(2).first.flatMap({ IncidentID(String($0)) }) {
          ids.insert(id)
        }
      }
      var commits: [PendingCommit] = []
      // Reading and parsing are a pure function of each file: on every core, results in file
      // order. Files that cannot be read are reported first, then the others' problems.
      let read = Parallel.map(inputs, itemsPerThread: 64) { input -> Result<Result<ImportDraft, ImportProblem>, ImportProblem> in
        let data: Data
        switch Self.read(input) {
        case .success(let d): data = d
        case .failure(let problem): return .failure(problem)
        }
        switch system {
        case .statuspage:
          return .success(StatuspageImporter.parse(data, file: input.file, settings: settings, zone: zone, now: clock))
        case .veris:
          return .success(VERISImporter.parse(data, file: input.file, settings: settings, zone: zone, now: clock))
        case .markdown:
          return .success(MarkdownImporter.parse(data, file: input.file, name: input.name, settings: settings, zone: zone, now: clock))
        }
      }
      var drafts: [Result<ImportDraft, ImportProblem>] = []
      for outcome in read {
        switch outcome {
        case .success(let parsed): drafts.append(parsed)
        case .failure(let problem): report.skipped.append(problem)
        }
      }
      // Each new incident's files and commits are a pure function of its draft and ID: made on
      // every core, for the drafts that the sequential pass below will most likely import (a
      // first file of its source that the repository does not hold), each with an ID of its
      // own. The pass below decides as if alone and makes any other draft it imports itself.
      // An ID no incident of the tip or of this run has, taken.
      func newID(for draft: ImportDraft) -> IncidentID {
        var id = IncidentID.generate(prefix: settings.idPrefix, date: draft.date)
        while ids.contains(id) { id = IncidentID.generate(prefix: settings.idPrefix, date: draft.date) }
        ids.insert(id)
        return id
      }
      var planned: [(slot: Int, draft: ImportDraft, id: IncidentID)] = []
      var plannedSources = Set<String>()
      for (slot, parsed) in drafts.enumerated() {
        guard case .success(let draft) = parsed else { continue }
        let key = Self.sourceKey(draft.source)
        guard sources[key] == nil, plannedSources.insert(key).inserted else { continue }
        planned.append((slot, draft, newID(for: draft)))
      }
      let made = Parallel.map(planned, itemsPerThread: 64) { item in
        Result { () throws(ImportProblem) in
          try Self.materialize(item.draft, id: item.id, settings: settings, identity: identity)
        }
      }
      var premade: [Int: (id: IncidentID, result: Result<([PendingCommit], IncidentRecord), ImportProblem>)] = [:]
      for (item, result) in zip(planned, made) { premade[item.slot] = (item.id, result) }
      for (slot, parsed) in drafts.enumerated() {
        let draft: ImportDraft
        switch parsed {
        case .failure(let p):
          report.skipped.append(p)
          continue
        case .success(let d): draft = d
        }
        if let first = fromThisRun[Self.sourceKey(draft.source)] {
          report.skipped.append(ImportProblem(
            file: draft.file, field: nil,
            message: "collision: its source ID \(draft.source.text) is also the source ID of \(first), imported in this run; give the files different IDs (front matter uuid or id) or import them separately"))
          continue
        }
        if let id = sources[Self.sourceKey(draft.source)] {
          report.alreadyPresent.append(.init(source: draft.source, file: draft.file, id: id))
          continue
        }
        let id: IncidentID
        let result: Result<([PendingCommit], IncidentRecord), ImportProblem>
        if let done = premade[slot] {
          (id, result) = done
        } else {
          id = newID(for: draft)
          result = Result { () throws(ImportProblem) in
            try Self.materialize(draft, id: id, settings: settings, identity: identity)
          }
        }
        switch result {
        case .success(let (steps, record)):
          commits += steps
          sources[Self.sourceKey(draft.source)] = id
          fromThisRun[Self.sourceKey(draft.source)] = draft.file
          report.warnings += draft.warnings
          report.imported.append(.init(
            id: id, source: draft.source, file: draft.file, title: record.incident.title,
            severity: record.incident.severity, status: record.incident.status, commits: steps.count))
        case .failure(let error):
          report.skipped.append(error)
        }
      }
      return commits
    }
    if dryRun {
      _ = try build(try headTree())
      return report
    }
    let result = try commitSeries(identity: identity, build: build)
    report.commits = result.commits
    report.warnings += result.warnings
    return report
  }

  /// The author date for a commit replaying something that happened at `date`: the date
  /// itself, or nil (the commit time, now) before 1970, which git cannot be trusted with (see
  /// ``ImportTime/epoch``).
  static func authorDate(_ date: Date) -> Date? {
    date < ImportTime.epoch ? nil : date
  }

  /// A warning when the work tree's `git-incident.yaml` differs from the one in `tree` (the
  /// settings an import uses); nil when they are the same or there is no work tree.
  func uncommittedSettingsWarning(_ tree: Tree?) -> String? {
    guard let root = repository.workingDirectory else { return nil }
    let path = Settings.path
    let onDisk = FileManager.default.contents(atPath: (root as NSString).appendingPathComponent(path))
    var committed: Data?
    if let tree, let entry = tree.entry(atPath: path) { committed = try? blob(entry.id) }
    guard onDisk != committed else { return nil }
    return "\(path) has uncommitted changes, which are not used: the import reads the settings (timezone, severities) of the committed \(path); commit it to use them"
  }

  static func sourceKey(_ source: IncidentSource) -> String {
    source.system.lowercased() + ":" + source.id.lowercased()
  }

  /// A file to import: its path, and its name for source IDs (the path relative to the folder
  /// given, or the file name when the file itself was given); or a path given that does not
  /// exist.
  struct FoundFile: Sendable {
    var file: String
    var name: String
    /// Why the path cannot be imported (it does not exist); nil for a file to read.
    var problem: ImportProblem?
  }

  /// The files to read, in order: each named file, and each file under a named folder whose
  /// name ends in one of the system's extensions (hidden files and folders skipped; a folder
  /// or file given as a symbolic link followed, links to files inside followed, links to
  /// folders inside not entered); a file reached twice is read once. A path that does not exist is a
  /// problem naming it.
  static func collectFiles(_ paths: [String], system: ImportSystem) -> [FoundFile] {
    var out: [FoundFile] = []
    var seen = Set<String>()
    let fm = FileManager.default
    for path in paths {
      var st = stat()
      guard stat(path, &st) == 0 else {
        out.append(FoundFile(file: path, name: path, problem: ImportProblem(
          file: path, field: nil, message: "no such file or folder; give a \(system.rawValue) file or a folder of them")))
        continue
      }
      var files: [(path: String, name: String, isLink: Bool)] = []
      if st.st_mode & S_IFMT == S_IFDIR {
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        // A folder given as a symbolic link is read where it points (folders met inside are
        // listed but not entered when they are links, as git does not follow them).
        let enumerator = fm.enumerator(atPath: URL(fileURLWithPath: base).resolvingSymlinksInPath().path)
        while let relative = enumerator?.nextObject() as? String {
          let name = (relative as NSString).lastPathComponent
          if name.hasPrefix(".") {
            if (enumerator?.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { enumerator?.skipDescendants() }
            continue
          }
          let ext = (name as NSString).pathExtension.lowercased()
          guard system.extensions.contains(ext) else { continue }
          let full = base + "/" + relative
          var entry = stat()
          guard stat(full, &entry) == 0, entry.st_mode & S_IFMT != S_IFDIR else { continue }
          var link = stat()
          files.append((full, relative, lstat(full, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK))
        }
        files.sort { $0.path < $1.path }
      } else {
        files = [(path, (path as NSString).lastPathComponent, false)]
      }
      // The folder's path is made standard (and its links resolved) once; the enumerator's
      // relative paths are standard already.
      let standardBase = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
      for (file, name, isLink) in files {
        // A link to a file is known by the file it points to, so the file is read once.
        let key = isLink ? URL(fileURLWithPath: file).resolvingSymlinksInPath().path
          : st.st_mode & S_IFMT != S_IFDIR ? standardBase
          : standardBase.hasSuffix("/") ? standardBase + name : standardBase + "/" + name
        guard seen.insert(key).inserted else { continue }
        out.append(FoundFile(file: file, name: name, problem: nil))
      }
    }
    return out
  }

  /// The bytes of a file found by ``collectFiles(_:system:)``, or why there are none.
  static func read(_ found: FoundFile) -> Result<Data, ImportProblem> {
    if let problem = found.problem { return .failure(problem) }
    guard let data = FileManager.default.contents(atPath: found.file) else {
      return .failure(ImportProblem(file: found.file, field: nil, message: "cannot be read"))
    }
    return .success(data)
  }

  /// Turns a draft into its commits under `id`: a pure function of its arguments.
  static func materialize(_ draft: ImportDraft, id: IncidentID, settings: Settings, identity: Identity)
    throws(ImportProblem) -> ([PendingCommit], IncidentRecord)
  {
    let source = draft.source
    switch draft.plan {
    case .replay(let plan):
      var context = Lifecycle.Context(settings: settings, actor: identity, now: plan.declaredAt)
      var record: IncidentRecord
      var message: CommitMessage
      do {
        (record, message) = try Lifecycle.declare(plan.declaration, id: id, context: context)
      } catch {
        throw ImportProblem(file: draft.file, field: nil, message: error.description)
      }
      record.incident.source = source
      record.incident.extra = plan.extra
      message.subject = "\(id): imported \(source.text): \(record.incident.severity) \(record.incident.kind.rawValue): \(record.incident.title)"
      var commits = [PendingCommit(files: files(of: record), message: Self.retag(message, source: source, ref: nil), authorDate: Self.authorDate(plan.declaredAt))]
      for step in plan.steps {
        context.now = step.at
        let current = record.incident.status
        let change: IncidentChange
        let note = step.text.map { $0 }
        if step.status.rank > current.rank && step.status.applies(to: record.incident.kind) {
          change = .status(step.status, at: step.at, note: note, reason: nil)
        } else if step.status == .active && [.resolved, .review, .closed].contains(current) {
          change = .reopen(at: step.at, note: note)
        } else {
          change = .update(note ?? "status \(step.sourceStatus)", audience: .external)
        }
        do {
          let (updated, stepMessage) = try Lifecycle.apply(change, to: record, context: context)
          record = updated
          commits.append(PendingCommit(
            files: files(of: record), message: Self.retag(stepMessage, source: source, ref: step.ref),
            authorDate: Self.authorDate(step.at)))
        } catch {
          throw ImportProblem(file: draft.file, field: step.field, message: error.description)
        }
      }
      return (commits, record)

    case .snapshot(let plan):
      var incident = plan.incident
      incident.id = id
      incident.source = source
      incident.declaredBy = identity.formatted
      var timeline = plan.timeline
      for i in timeline.events.indices where timeline.events[i].by.isEmpty {
        timeline.events[i].by = identity.formatted
      }
      if let v = incident.times.firstOrderViolation() {
        throw ImportProblem(
          file: draft.file, field: nil,
          message: "\(v.later) (\(RFC3339.format(v.laterAt))) is before \(v.earlier) (\(RFC3339.format(v.earlierAt))); times must stay in order")
      }
      do {
        incident.title = try Lifecycle.singleLine(incident.title, what: "the title")
      } catch {
        throw ImportProblem(file: draft.file, field: "title", message: error.description)
      }
      let record = IncidentRecord(incident: incident, timeline: timeline, postmortemStatus: plan.postmortem == nil ? nil : "published")
      var written = files(of: record)
      if let pm = plan.postmortem { written.append((RecordPaths.postmortem(id), pm)) }
      var trailers: [(key: String, value: String)] = [
        ("Incident", id.rawValue), ("Incident-Change", "import"), ("Incident-Import-Step", "declare"),
        ("Incident-Severity", incident.severity), ("Incident-Status", incident.status.rawValue),
        ("Incident-Source", source.text),
      ]
      if let declared = timeline.events.first(where: { $0.type == "declared" }) {
        trailers.append(("Incident-Event", declared.id))
      }
      let message = CommitMessage(
        subject: "\(id): imported \(source.text): \(incident.severity) \(incident.kind.rawValue) \(incident.status.rawValue): \(incident.title)",
        body: "", trailers: trailers)
      return ([PendingCommit(files: written, message: message)], record)
    }
  }

  /// The lifecycle's message with `Incident-Change: import`, the original kind as
  /// `Incident-Import-Step`, and the source trailers before `Incident-Event`.
  static func retag(_ message: CommitMessage, source: IncidentSource, ref: String?) -> CommitMessage {
    var out = message
    var trailers: [(key: String, value: String)] = []
    var event: (key: String, value: String)?
    for t in message.trailers {
      if t.key == "Incident-Change" {
        trailers.append(("Incident-Change", "import"))
        trailers.append(("Incident-Import-Step", t.value))
      } else if t.key == "Incident-Event" {
        event = t
      } else {
        trailers.append(t)
      }
    }
    trailers.append(("Incident-Source", source.text))
    if let ref { trailers.append(("Incident-Source-Update", ref)) }
    if let event { trailers.append(event) }
    out.trailers = trailers
    return out
  }
}

extension ImportProblem: Error {}
