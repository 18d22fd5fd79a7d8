import Foundation
import Git

/// What `audit` checks beyond the records themselves.
public struct AuditOptions: Sendable, Equatable {
  /// Audit only commits after this revision; it must be an ancestor of HEAD.
  public var since: String?
  /// Require a good signature from an allowed signer on every commit that touched records
  /// (as `policy.require_signed_commits: true` in `git-incident.yaml` does).
  public var requireSigned: Bool

  public init(since: String? = nil, requireSigned: Bool = false) {
    self.since = since
    self.requireSigned = requireSigned
  }
}

/// One broken rule, at a commit and (where it applies) a file and line.
public struct AuditViolation: Sendable, Equatable {
  /// The commit.
  public var commit: ObjectID
  /// The file, repository-relative; nil for rules about the whole commit (signatures).
  public var file: String?
  /// The 1-based line in `file`, when the problem is at one place.
  public var line: Int?
  /// The rule's name: `parse`, `id-folder`, `severity-defined`, `times-order`,
  /// `declined-reason`, `status-fields`, `status-transition`, `postmortem-required`, `record-removed`,
  /// `trailer-incident`, `trailer-status`, `trailer-severity`, `trailer-role`, `trailer-event`,
  /// `trailer-change`, `signature-missing`, `signature-invalid`.
  public var rule: String
  /// What is wrong, in plain English.
  public var message: String

  /// `file:line`, `file`, or `-` when there is no file.
  public var location: String {
    guard let file else { return "-" }
    return line.map { "\(file):\($0)" } ?? file
  }
}

/// A commit that touched record files, as audit saw it.
public struct AuditedCommit: Sendable, Equatable {
  public var commit: ObjectID
  /// `Name <email>` of the author.
  public var author: String
  /// Author time, UTC.
  public var date: Date
  public var subject: String
  /// True when the commit has no `Incident` or `Incident-Change` trailer: made with plain git.
  public var isHandEdit: Bool
  public var isMerge: Bool
  /// The record files it changed (added, modified or removed), relative to its first parent.
  public var files: [String]
  /// The signature check: `good: ...`, `unsigned`, `bad: ...`; nil when not checked.
  public var signature: String?
}

/// A violation that a later `git revert` of its commit undid (the file is back as it was
/// before); listed, not counted.
public struct RevertedViolation: Sendable, Equatable {
  public var violation: AuditViolation
  /// The commit that reverted it.
  public var revertedBy: ObjectID
}

/// The result of `audit`.
public struct AuditReport: Sendable, Equatable {
  /// HEAD's commit, nil on an unborn branch.
  public var tip: ObjectID?
  /// The `--since` commit, when given.
  public var since: ObjectID?
  /// Commits walked (all of them, touching records or not).
  public var commitsWalked: Int
  /// The commits that touched record files, oldest first.
  public var audited: [AuditedCommit]
  /// Broken rules, in commit order.
  public var violations: [AuditViolation]
  /// Violations undone by a revert.
  public var reverted: [RevertedViolation]
  /// How many signatures were checked.
  public var signaturesChecked: Int

  /// The audited commits made with plain git.
  public var handEdits: [AuditedCommit] { audited.filter(\.isHandEdit) }
  /// True when there is no violation.
  public var passed: Bool { violations.isEmpty }
}

/// One record file that differs between a commit and its first parent.
struct RecordChange {
  var path: String
  var old: ObjectID?
  var new: ObjectID?
  /// The incident whose folder holds the file (nil for `git-incident.yaml` and stray files).
  var incident: IncidentID?
}

extension IncidentStore {
  /// Checks every commit that touched record files (`git-incident.yaml`, `incidents/**`),
  /// oldest first (DESIGN section 6):
  /// - each changed file parses and is valid (``RecordValidator/builtIn``: the ID matches its
  ///   folder, the severity is defined, times are in order, a declined incident has a reason);
  /// - status moves are legal (``Lifecycle/allowedTargets(from:)`` or a reopen of a resolved,
  ///   review or closed incident; a new incident starts reported or active (an import may start at
  ///   any status); closing a severity
  ///   that `policy.postmortem_required_for` names needs a published postmortem);
  /// - the trailers agree with what changed (`Incident:` names exactly the incidents whose
  ///   folders changed; `Incident-Status`, `Incident-Severity`, `Incident-Role`,
  ///   `Incident-Event` and `Incident-Change` match the records);
  /// - commits without trailers are hand edits: listed, and checked the same way;
  /// - with `requireSigned`, or `policy.require_signed_commits` in the commit's or its parent's
  ///   settings, every such commit has a good signature from an allowed signer
  ///   (``SignatureVerifier``).
  ///
  /// A violation in a commit that a later `git revert` undid (the revert restores the file as
  /// it was before the commit) is reported in ``AuditReport/reverted`` and does not count.
  ///
  /// Only the trees along record paths are compared, and each blob is parsed once (cached by
  /// blob ID), so the cost grows with the number of record changes, not the repository's size.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` when `since` names no commit or is not an ancestor
  ///   of HEAD (the history was rewritten); ``IncidentError/git(_:)``.
  public func audit(_ options: AuditOptions = AuditOptions()) throws(IncidentError) -> AuditReport {
    var report = AuditReport(
      tip: nil, since: nil, commitsWalked: 0, audited: [], violations: [], reverted: [],
      signaturesChecked: 0)
    guard let tip = try headCommitID() else { return report }
    report.tip = tip
    var hidden: [ObjectID] = []
    if let since = options.since {
      let sinceID: ObjectID
      do { sinceID = try repository.resolveCommit(since) } catch {
        throw .refused(
          "--since \(since) does not name a commit in this repository (\(error.message)); if it did before, the history was rewritten (a force-push removed it) or the clone is shallow")
      }
      let ancestor: Bool
      do { ancestor = try repository.isAncestor(sinceID, of: tip) } catch { throw .git(error) }
      guard ancestor else {
        throw .refused(
          "--since \(since) (\(sinceID.short())) is not an ancestor of HEAD (\(tip.short())): the history was rewritten since then (a force-push or rebase removed that commit); audit the whole history, and find what changed with `git reflog`")
      }
      hidden = [sinceID]
      report.since = sinceID
    }
    // Year folders with hundreds of incidents are larger than libgit2's default 4 KiB cache
    // limit for trees; without this every path lookup would re-read them. The walk only needs
    // the trees of the commit at hand and its parents, so the cache is kept small.
    do {
      try ObjectCache.setTreeLimit(bytes: 1 << 20)
      try ObjectCache.setMaxSize(bytes: 32 << 20)
    } catch { throw .git(error) }
    var auditor = Auditor(store: self, options: options)
    do {
      for id in try RevWalk(repository: repository, from: tip, oldestFirst: true, hiding: hidden) {
        report.commitsWalked += 1
        try auditor.audit(id)
      }
    } catch let error as IncidentError {
      throw error
    } catch {
      throw .git(error as! GitError)
    }
    try auditor.verifySignatures()
    report.audited = auditor.audited
    report.violations = auditor.violations.enumerated()
      .filter { !auditor.revertedIndexes.keys.contains($0.offset) }
      .sorted { (auditor.order[$0.element.commit] ?? 0, $0.offset) < (auditor.order[$1.element.commit] ?? 0, $1.offset) }
      .map(\.element)
    report.reverted = auditor.revertedIndexes.sorted { $0.key < $1.key }.map {
      RevertedViolation(violation: auditor.violations[$0.key], revertedBy: $0.value)
    }
    report.signaturesChecked = auditor.signaturesChecked
    return report
  }

  /// The record files that differ between `old` (nil for a root commit) and `new`, comparing
  /// only the trees along record paths: `git-incident.yaml` and the `incidents/` subtree, which
  /// is entered only where its tree IDs differ.
  func recordChanges(from old: Tree?, to new: Tree) throws(GitError) -> [RecordChange] {
    var out: [RecordChange] = []
    let oldSettings = old?.entry(atPath: Settings.path)?.id
    let newSettings = new.entry(atPath: Settings.path)?.id
    if oldSettings != newSettings {
      out.append(RecordChange(path: Settings.path, old: oldSettings, new: newSettings, incident: nil))
    }
    let oldIncidents = old?.entry(atPath: "incidents")
    let newIncidents = new.entry(atPath: "incidents")
    if oldIncidents?.id != newIncidents?.id {
      try diffTrees(
        prefix: "incidents", old: oldIncidents?.kind == .tree ? oldIncidents?.id : nil,
        new: newIncidents?.kind == .tree ? newIncidents?.id : nil, into: &out)
    }
    return out
  }

  private func diffTrees(prefix: String, old: ObjectID?, new: ObjectID?, into out: inout [RecordChange])
    throws(GitError)
  {
    let oldTree = try old.map { id throws(GitError) in try repository.tree(id) }
    let newTree = try new.map { id throws(GitError) in try repository.tree(id) }
    for change in Tree.changes(from: oldTree, to: newTree) {
      let a = change.old
      let b = change.new
      let path = "\(prefix)/\(change.name)"
      if a?.kind == .tree || b?.kind == .tree {
        try diffTrees(
          prefix: path, old: a?.kind == .tree ? a?.id : nil, new: b?.kind == .tree ? b?.id : nil,
          into: &out)
      }
      let oldBlob = a?.kind == .blob ? a?.id : nil
      let newBlob = b?.kind == .blob ? b?.id : nil
      if oldBlob != newBlob {
        out.append(RecordChange(path: path, old: oldBlob, new: newBlob, incident: Self.incidentOf(path)))
      }
    }
  }

  /// The incident whose folder directly holds `path` (`incidents/<year>/<ID>/<file>`).
  static func incidentOf(_ path: String) -> IncidentID? {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 4, parts[0] == "incidents", let id = IncidentID(String(parts[2])),
      id.rawValue == parts[2], id.year == parts[1]
    else { return nil }
    return id
  }
}

/// The state of one audit walk.
struct Auditor {
  let store: IncidentStore
  let options: AuditOptions
  let cache = AuditCache()
  let validators = RecordValidator.builtIn
  var audited: [AuditedCommit] = []
  var violations: [AuditViolation] = []
  var order: [ObjectID: Int] = [:]
  /// Violation index -> the commit that reverted it.
  var revertedIndexes: [Int: ObjectID] = [:]
  var violationsByCommit: [ObjectID: [Int]] = [:]
  var pendingSignatures: [(commit: ObjectID, signature: String, data: Data, email: String, date: Date, audited: Int)] = []
  var signaturesChecked = 0
  var treeOf: [ObjectID: Tree] = [:]

  init(store: IncidentStore, options: AuditOptions) {
    self.store = store
    self.options = options
  }

  var repository: Repository { store.repository }

  mutating func tree(of commit: ObjectID) throws(GitError) -> Tree {
    if let hit = treeOf[commit] { return hit }
    let tree = try repository.commit(commit).tree()
    if treeOf.count > 64 { treeOf.removeAll(keepingCapacity: true) }
    treeOf[commit] = tree
    return tree
  }

  mutating func add(_ commit: ObjectID, _ file: String?, line: Int?, _ rule: String, _ message: String) {
    violationsByCommit[commit, default: []].append(violations.count)
    violations.append(AuditViolation(commit: commit, file: file, line: line, rule: rule, message: message))
  }

  func settings(in tree: Tree) -> (settings: Settings, blob: ObjectID?) {
    guard let entry = tree.entry(atPath: Settings.path) else { return (.defaults, nil) }
    let result = cache.settings(entry.id, data: (try? repository.blob(entry.id)) ?? Data(), path: Settings.path)
    return ((try? result.get()) ?? .defaults, entry.id)
  }

  func incident(_ id: IncidentID, in tree: Tree) -> Result<Incident, FormatError>? {
    guard let entry = tree.entry(atPath: RecordPaths.incident(id)) else { return nil }
    return cache.incident(entry.id, data: (try? repository.blob(entry.id)) ?? Data(), path: RecordPaths.incident(id))
  }

  func timeline(_ id: IncidentID, in tree: Tree) -> Timeline? {
    guard let entry = tree.entry(atPath: RecordPaths.timeline(id)) else { return nil }
    return try? cache.timeline(entry.id, data: (try? repository.blob(entry.id)) ?? Data(), path: RecordPaths.timeline(id)).get()
  }

  mutating func audit(_ id: ObjectID) throws {
    let commit = try repository.commit(id)
    let tree = try self.tree(of: id)
    let parents = commit.parentIDs
    var parentTrees: [Tree] = []
    if let first = parents.first { parentTrees.append(try self.tree(of: first)) }
    let changes = try store.recordChanges(from: parentTrees.first, to: tree)
    guard !changes.isEmpty else { return }
    for other in parents.dropFirst() { parentTrees.append(try self.tree(of: other)) }
    order[id] = order.count
    let trailers = commit.trailers
    let kind = trailers.first { $0.key == "Incident-Change" }?.value
    let named = trailers.filter { $0.key == "Incident" }.map(\.value)
    let isHandEdit = kind == nil && named.isEmpty
    let isMerge = parents.count > 1
    let (settings, settingsBlob) = settings(in: tree)

    // A `git revert` of an earlier commit: files it puts back as they were before that commit
    // undo that commit's violations on them, and are not checked again as a new move.
    var restored = Set<String>()
    if let target = Self.revertTarget(commit.message), let targetCommit = try? repository.commit(target),
      let before = try targetCommit.parentIDs.first.map({ p throws(GitError) in try repository.commit(p).tree() })
    {
      for change in changes where before.entry(atPath: change.path)?.id == change.new {
        restored.insert(change.path)
      }
      for index in violationsByCommit[target] ?? [] {
        if let file = violations[index].file, restored.contains(file) { revertedIndexes[index] = id }
      }
    }

    // Content: every new version of a record file (for a merge: one no parent has).
    var checkedIncidents = Set<IncidentID>()
    var heldStatusFields: [(path: String, problem: RecordProblem)] = []
    for change in changes {
      guard let blob = change.new else {
        if change.incident != nil, change.path.hasSuffix("/incident.yaml") || change.path.hasSuffix("/timeline.yaml"),
          parentTrees.allSatisfy({ $0.entry(atPath: change.path) != nil })
        {
          add(id, change.path, line: nil, "record-removed", "the record file was deleted; records are kept, never removed")
        }
        continue
      }
      if isMerge, parentTrees.contains(where: { $0.entry(atPath: change.path)?.id == blob }) { continue }
      for validator in validators where validator.matches(change.path, change.incident) {
        let key = "\(validator.name)|\(blob.hex)|\(settingsBlob?.hex ?? "-")"
        let problems: [RecordProblem]
        if let hit = cache.problems[key] {
          problems = hit
        } else {
          let input = RecordValidator.Input(
            path: change.path, incident: change.incident, blob: blob,
            data: try repository.blob(blob), settings: settings, cache: cache)
          problems = validator.check(input)
          cache.problems[key] = problems
        }
        for p in problems {
          // Held back until the status move is checked: an illegal move explains it.
          if p.rule == "status-fields" { heldStatusFields.append((change.path, p)); continue }
          add(id, change.path, line: p.line, p.rule, p.message)
        }
      }
      if let incident = change.incident, change.path == RecordPaths.incident(incident),
        !restored.contains(change.path)
      {
        checkedIncidents.insert(incident)
      }
    }

    // Settings: a new git-incident.yaml must still define every severity the records use.
    if changes.contains(where: { $0.path == Settings.path && $0.new != nil }), let settingsBlob,
      case .success = cache.settings(settingsBlob, data: (try? repository.blob(settingsBlob)) ?? Data(), path: Settings.path)
    {
      var unknown: [String: [IncidentID]] = [:]
      for incidentID in (try? store.incidentIDs(in: tree)) ?? [] {
        guard case .success(let record)? = incident(incidentID, in: tree),
          !settings.severityNames.contains(record.severity)
        else { continue }
        unknown[record.severity, default: []].append(incidentID)
      }
      for (severity, ids) in unknown.sorted(by: { $0.key < $1.key }) {
        add(id, Settings.path, line: nil, "severity-defined",
            "severity '\(severity)' is no longer defined but \(ids.count) incident(s) use it: "
              + ids.prefix(5).map(\.rawValue).joined(separator: ", ") + (ids.count > 5 ? ", ..." : ""))
      }
    }

    // Lifecycle: legal status moves, postmortem before closing.
    for incidentID in checkedIncidents.sorted() {
      guard case .success(let new)? = incident(incidentID, in: tree) else { continue }
      let path = RecordPaths.incident(incidentID)
      let olds = parentTrees.map { incident(incidentID, in: $0) }
      let parsedOlds = olds.compactMap { try? $0?.get() }
      let repo = repository
      let statusLine = { AuditCache.line(of: "status", in: (try? repo.blob(tree.entry(atPath: path)!.id)) ?? Data(), path: path) }
      if olds.allSatisfy({ $0 == nil }) {
        // An import brings an incident in at the status it ended with in the other system.
        if new.status != .reported && new.status != .active && kind != "import" {
          add(id, path, line: statusLine(), "status-transition",
              "a new incident starts reported or active, not \(new.status.rawValue)")
        }
      } else if !parsedOlds.isEmpty, !parsedOlds.contains(where: { Self.isLegalMove(from: $0, to: new) }) {
        let from = parsedOlds.map(\.status.rawValue).joined(separator: " or ")
        add(id, path, line: statusLine(), "status-transition",
            "status \(from) -> \(new.status.rawValue) is not a legal move" + Lifecycle.allowedSuffix(parsedOlds[0]))
      }
      if new.status == .closed, !parsedOlds.contains(where: { $0.status == .closed }),
        settings.postmortemRequiredFor.contains(new.severity)
      {
        let pm = tree.entry(atPath: RecordPaths.postmortem(incidentID)).flatMap { try? repository.blob($0.id) }
        let state = pm.flatMap { FrontMatter.status(in: $0) }
        if state != "published" {
          add(id, path, line: statusLine(), "postmortem-required",
              "\(incidentID) is \(new.severity) and was closed without a published postmortem ("
                + (state.map { "it is \($0)" } ?? "there is none") + "); policy.postmortem_required_for names \(new.severity)")
        }
      }
    }

    // Status fields that contradict the status, unless an illegal status move (reported for
    // the same file) already explains them.
    for (path, p) in heldStatusFields {
      let explained = (violationsByCommit[id] ?? []).contains {
        violations[$0].file == path && violations[$0].rule == "status-transition"
      }
      if !explained { add(id, path, line: p.line, p.rule, p.message) }
    }

    // Trailers: only for commits made by the tool that are not merges or reverts.
    if !isHandEdit, !isMerge {
      try checkTrailers(id, kind: kind, named: named, trailers: trailers, changes: changes,
                        tree: tree, parent: parentTrees.first, restored: restored)
    }

    // Signatures.
    var needsSignature = options.requireSigned || settings.requireSignedCommits
    if let parent = parentTrees.first, self.settings(in: parent).settings.requireSignedCommits {
      needsSignature = true
    }
    var signature: String?
    if needsSignature {
      if let extracted = try repository.commitSignature(id) {
        pendingSignatures.append((id, extracted.signature, extracted.signedData, commit.committer.email, commit.committer.date, audited.count))
      } else {
        signature = "unsigned"
        add(id, nil, line: nil, "signature-missing",
            "the commit is not signed, and " + (options.requireSigned ? "--require-signed" : "policy.require_signed_commits") + " requires a good signature from an allowed signer")
      }
    }
    audited.append(AuditedCommit(
      commit: id, author: commit.author.formatted, date: commit.author.date, subject: commit.summary,
      isHandEdit: isHandEdit, isMerge: isMerge, files: changes.map(\.path), signature: signature))
  }

  mutating func checkTrailers(
    _ id: ObjectID, kind: String?, named: [String], trailers: [(key: String, value: String)],
    changes: [RecordChange], tree: Tree, parent: Tree?, restored: Set<String>
  ) throws {
    let changed = Set(changes.compactMap(\.incident))
    let namedIDs = Set(named.compactMap { IncidentID($0) })
    let bulk = kind == "import" || kind == "merge"
    if !(bulk && named.isEmpty) {
      for missing in changed.subtracting(namedIDs).sorted() {
        let file = changes.first { $0.incident == missing }?.path
        add(id, file, line: nil, "trailer-incident",
            "the commit changes \(missing) but has no `Incident: \(missing)` trailer")
      }
      for extra in named where IncidentID(extra).map({ !changed.contains($0) }) ?? true {
        add(id, nil, line: nil, "trailer-incident",
            "the `Incident: \(extra)` trailer names an incident whose records the commit does not change")
      }
    }
    guard namedIDs.count == 1, let incidentID = namedIDs.first, changed.contains(incidentID) else { return }
    let path = RecordPaths.incident(incidentID)
    guard !restored.contains(path), case .success(let new)? = incident(incidentID, in: tree) else { return }
    let old = parent.flatMap { incident(incidentID, in: $0).flatMap { try? $0.get() } }
    let repo = repository
    let data = { (try? repo.blob(tree.entry(atPath: path)!.id)) ?? Data() }
    func value(_ key: String) -> String? { trailers.last { $0.key == key }?.value }
    let exempt = bulk || kind == "edit"
    if let status = value("Incident-Status") {
      if status != new.status.rawValue {
        add(id, path, line: AuditCache.line(of: "status", in: data(), path: path), "trailer-status",
            "the trailer says Incident-Status: \(status) but the record's status is \(new.status.rawValue)")
      }
    } else if let old, old.status != new.status, !exempt {
      add(id, path, line: AuditCache.line(of: "status", in: data(), path: path), "trailer-status",
          "status \(old.status.rawValue) -> \(new.status.rawValue) changed without an Incident-Status trailer")
    }
    if let severity = value("Incident-Severity") {
      if severity != new.severity {
        add(id, path, line: AuditCache.line(of: "severity", in: data(), path: path), "trailer-severity",
            "the trailer says Incident-Severity: \(severity) but the record's severity is \(new.severity)")
      }
    } else if let old, old.severity != new.severity, !exempt {
      add(id, path, line: AuditCache.line(of: "severity", in: data(), path: path), "trailer-severity",
          "severity \(old.severity) -> \(new.severity) changed without an Incident-Severity trailer")
    }
    if let role = value("Incident-Role"), old?.holder(of: role) == new.holder(of: role) {
      add(id, path, line: AuditCache.line(of: "roles.\(role)", in: data(), path: path), "trailer-role",
          "the trailer says Incident-Role: \(role) but the \(role) did not change")
    }
    switch kind {
    case "declare" where old != nil:
      add(id, path, line: nil, "trailer-change", "Incident-Change: declare, but \(incidentID) existed before")
    case "status" where old?.status == new.status:
      add(id, path, line: AuditCache.line(of: "status", in: data(), path: path), "trailer-change",
          "Incident-Change: status, but the status stayed \(new.status.rawValue)")
    case "severity" where old?.severity == new.severity:
      add(id, path, line: AuditCache.line(of: "severity", in: data(), path: path), "trailer-change",
          "Incident-Change: severity, but the severity stayed \(new.severity)")
    default: break
    }
    if let event = value("Incident-Event") {
      let timelinePath = RecordPaths.timeline(incidentID)
      let now = timeline(incidentID, in: tree)?.events.contains { $0.id == event } ?? false
      let before = parent.flatMap { timeline(incidentID, in: $0) }?.events.contains { $0.id == event } ?? false
      if !now || before {
        add(id, timelinePath, line: nil, "trailer-event",
            "the trailer says Incident-Event: \(event) but the commit " + (before ? "did not add that event (it existed before)" : "has no such event"))
      }
    }
  }

  /// Verifies the collected signatures, several at a time (each is one `ssh-keygen` or `gpg`
  /// run).
  mutating func verifySignatures() throws(IncidentError) {
    guard !pendingSignatures.isEmpty else { return }
    let config: Config
    do { config = try repository.config() } catch { throw .git(error) }
    let verifier = SignatureVerifier(config: config, environment: store.environment)
    let jobs = pendingSignatures.map { ($0.signature, $0.data, $0.email, $0.date) }
    nonisolated(unsafe) var verdicts = Array(repeating: SignatureVerifier.Verdict.unsigned, count: jobs.count)
    let lock = NSLock()
    DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
      let verdict = verifier.verify(signature: jobs[i].0, data: jobs[i].1, signer: jobs[i].2, signedAt: jobs[i].3)
      lock.lock()
      verdicts[i] = verdict
      lock.unlock()
    }
    signaturesChecked = jobs.count
    for (n, pending) in pendingSignatures.enumerated() {
      switch verdicts[n] {
      case .good(let who): audited[pending.audited].signature = "good: " + who
      case .unsigned: audited[pending.audited].signature = "unsigned"
      case .bad(let why):
        audited[pending.audited].signature = "bad: " + why
        add(pending.commit, nil, line: nil, "signature-invalid", why)
      }
    }
  }

  /// True when `new`'s status may follow `old`'s: unchanged, a move ``Lifecycle`` allows, or a
  /// reopen (resolved, review or closed back to active).
  static func isLegalMove(from old: Incident, to new: Incident) -> Bool {
    old.status == new.status || Lifecycle.allowedTargets(from: old).contains(new.status)
      || (new.status == .active && [.resolved, .review, .closed].contains(old.status))
  }

  /// The commit `git revert` names in its message (`This reverts commit <40 hex>.`).
  static func revertTarget(_ message: String) -> ObjectID? {
    guard let range = message.range(of: "This reverts commit ") else { return nil }
    return ObjectID(hex: String(message[range.upperBound...].prefix(40)))
  }
}
