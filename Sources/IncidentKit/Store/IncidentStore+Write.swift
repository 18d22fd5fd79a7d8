import Foundation
import Git

/// The result of a change: the new commit and anything the user should know.
public struct CommitResult: Sendable {
  /// The incident changed, if the commit is about one.
  public var incident: IncidentID?
  /// The new commit.
  public var commit: ObjectID
  /// The branch moved (`refs/heads/main`).
  public var branch: String
  /// The commit's subject line.
  public var subject: String
  /// Problems after the commit landed (for example the index could not be updated).
  public var warnings: [String]
}

/// What one commit writes: files by path, and its message.
struct PendingCommit {
  var files: [(path: String, data: Data)]
  var message: CommitMessage
  /// The author date (UTC, whole seconds are kept); nil for now. The committer date is always
  /// now. Importers set it to the time the change happened in the source system.
  var authorDate: Date? = nil
}

extension IncidentStore {
  /// How many times a write re-reads and re-applies when another writer moved the branch.
  static let maxAttempts = 25

  /// The identity a change is recorded as.
  ///
  /// - Throws: ``IncidentError/missingIdentity`` when none is configured.
  public func identity(explicit: String?) throws(IncidentError) -> Identity {
    let config: Config
    do { config = try repository.config() } catch { throw .git(error) }
    return try Identity.resolve(explicit: explicit, config: config, environment: environment)
  }

  /// Makes one commit on the branch HEAD names, following DESIGN section 4.
  ///
  /// Under this tool's repository lock: start reading the index on the other core, read the
  /// tip, let `build` compute the files and message from the tip's tree, refuse if the work
  /// tree's copy of any of `guarded` paths (plus the written ones) has uncommitted changes,
  /// write blobs, tree and commit objects, refuse if the index has staged changes to those
  /// paths (the objects then stay unreferenced), move the branch with a compare-and-swap on
  /// the old tip (retrying from the top when another writer moved it), then bring the work
  /// tree's copies and the index entries of the written files up to date, with interrupt
  /// signals held back from the move to the index's write (``CriticalSection``). When git config says
  /// `commit.gpgsign=true` the commit is signed as git signs it (see ``CommitSigner``); a
  /// signing failure writes nothing.
  ///
  /// - Parameters:
  ///   - identity: author and (unless `GIT_COMMITTER_*` say otherwise) committer.
  ///   - guarded: given the tip's tree, the paths whose uncommitted edits stop the command.
  ///   - build: computes the commit from the tip's tree; may throw to refuse.
  /// - Throws: ``IncidentError`` from `build`, ``IncidentError/uncommittedChanges(_:)``,
  ///   ``IncidentError/detachedHead``, ``IncidentError/tooManyRetries(_:)``, or
  ///   ``IncidentError/git(_:)``.
  func commit(
    identity: Identity,
    guarded: (Tree?) throws(IncidentError) -> [String],
    build: (Tree?) throws(IncidentError) -> PendingCommit
  ) throws(IncidentError) -> CommitResult {
    let lock = RepositoryLock(gitDirectory: repository.gitDirectory)
    defer { withExtendedLifetime(lock) {} }
    // The index is read on the second core while the change is computed (the clean check is
    // the first to need it): 15 ms at 10,000 incidents.
    repository.prefetchIndex()
    let committerIdentity = identity.committer(environment: environment)
    let committer = Signature(name: committerIdentity.name, email: committerIdentity.email, date: now)
    let signer = try configuredSigner()
    for _ in 0..<Self.maxAttempts {
      let (branch, tip, tree) = try branchTip()
      let pending = try build(tree)
      let author = Signature(
        name: identity.name, email: identity.email, date: pending.authorDate ?? now)
      let written = pending.files.map(\.path)
      let checked = Array(Set(try guarded(tree) + written)).sorted()
      do {
        try checkWorkTree(checked, against: tree)
      } catch {
        throw explained(error, tip: tip)
      }
      let newTree: ObjectID
      var blobs: [ObjectID]
      do {
        var updates: [Repository.TreeUpdate] = []
        blobs = []
        for file in pending.files {
          blobs.append(try repository.createBlob(file.data))
          updates.append(.upsert(path: file.path, blob: blobs[blobs.count - 1]))
        }
        newTree = try repository.createTree(updating: tree?.id, with: updates)
      } catch {
        throw .git(error)
      }
      // Signed when git config says commit.gpgsign=true; a signing failure writes nothing.
      let newCommit = try createCommit(
        tree: newTree, parents: tip.map { [$0] } ?? [], author: author, committer: committer,
        message: pending.message.text, signer: signer)
      // The index, read on the other core meanwhile, is checked once the objects are written:
      // a refusal here leaves only objects nothing refers to (git gc removes them).
      do {
        try checkStaged(checked, against: tree)
      } catch {
        throw explained(error, tip: tip)
      }
      // Files the commit did not change (a note leaves incident.yaml as it was) are left
      // alone in the work tree and the index.
      var previous: [String: ObjectID] = [:]
      var changed: [(path: String, data: Data)] = []
      for (file, blob) in zip(pending.files, blobs) {
        let old = tree?.entry(atPath: file.path)?.id
        if let old { previous[file.path] = old }
        if old != blob { changed.append(file) }
      }
      // From the branch's move to the index's write, Ctrl-C and kill wait (CriticalSection).
      let landed = try CriticalSection.run { () throws(IncidentError) -> [String]? in
        guard try moveBranch(branch, to: newCommit, from: tip, message: "git-incident: \(pending.message.subject)")
        else { return nil }
        return updateWorkTree(changed, previous: previous)
      }
      guard let warnings = landed else { continue }
      rememberWritten(pending.files, blobs: blobs, tree: newTree)
      let incident = pending.message.trailers.first { $0.key == "Incident" }.flatMap { IncidentID($0.value) }
      return CommitResult(
        incident: incident, commit: newCommit, branch: branch, subject: pending.message.subject,
        warnings: warnings)
    }
    throw .tooManyRetries(Self.maxAttempts)
  }

  /// How long a write waits for another process's lock on the branch (`<ref>.lock`), as git
  /// waits `core.filesRefLockTimeout` (100 ms by default) before it gives up: in seconds.
  static let branchLockWait = 1.0

  /// The refusal when another process keeps `.git/index.lock`.
  func indexLocked() -> IncidentError {
    let lock = (repository.gitDirectory as NSString).appendingPathComponent("index.lock")
    return .refused(
      "\(lock) exists: another git process is changing the index; nothing was changed. If no git command is running, a crashed one left the lock: remove the file and run the command again")
  }

  /// Moves `branch` from `tip` to `commit` with a compare-and-swap.
  ///
  /// While another process holds the branch's lock file it retries every 20 ms for up to
  /// ``branchLockWait`` seconds, without writing anything again.
  ///
  /// - Returns: false when another writer moved the branch (the caller starts over from the
  ///   new tip).
  /// - Throws: ``IncidentError/refused(_:)`` naming the lock file when it is still there after
  ///   the wait; ``IncidentError/git(_:)`` for other failures.
  func moveBranch(_ branch: String, to commit: ObjectID, from tip: ObjectID?, message: String)
    throws(IncidentError) -> Bool
  {
    let deadline = Date().addingTimeInterval(Self.branchLockWait)
    while true {
      do {
        try repository.updateReference(branch, to: commit, expecting: tip, message: message)
        return true
      } catch let error where error.code == .modified || error.code == .exists {
        return false
      } catch let error where error.code == .locked {
        guard Date() < deadline else {
          let lock = (repository.gitDirectory as NSString).appendingPathComponent(branch + ".lock")
          throw .refused(
            "\(branch) is locked by another process (\(lock) exists); nothing was changed. If no git command is running, a crashed one left the lock: remove the file and run the command again")
        }
        usleep(20_000)
      } catch {
        throw .git(error)
      }
    }
  }

  /// The branch HEAD names, its tip (nil while unborn) and the tip's tree: where a write starts.
  ///
  /// - Throws: ``IncidentError/detachedHead`` when HEAD names no branch.
  func branchTip() throws(IncidentError) -> (branch: String, tip: ObjectID?, tree: Tree?) {
    do {
      switch try repository.head() {
      case .detached: throw IncidentError.detachedHead
      case .branch(let name, let tip):
        return (name, tip, try tip.map { id throws(GitError) in try repository.commit(id).tree() })
      }
    } catch let error as IncidentError {
      throw error
    } catch {
      throw .git(error as! GitError)
    }
  }

  /// `error`, or, for uncommitted changes that are all what a write killed after its branch
  /// moved leaves (the last commit changed the file; the index still has the version before
  /// it, or no entry where the commit added the file; the work tree has either version), a
  /// refusal that says so and how to bring the files up to date.
  func explained(_ error: IncidentError, tip: ObjectID?) -> IncidentError {
    guard case .uncommittedChanges(let paths) = error, let tip,
      let commit = try? repository.commit(tip), let parent = commit.parentIDs.first,
      let before = try? repository.commit(parent).tree(), let after = try? commit.tree(),
      let index = try? repository.index()
    else { return error }
    for path in paths {
      let old = before.entry(atPath: path)
      let new = after.entry(atPath: path)
      guard old?.id != new?.id, index.entryID(atPath: path) == old?.id,
        old == nil || index.entryMode(atPath: path) == old?.mode,
        (try? repository.workingFile(path, holds: old?.id)) == true
          || (try? repository.workingFile(path, holds: new?.id)) == true
      else { return error }
    }
    return .refused(
      "\(paths.joined(separator: ", ")) still \(paths.count == 1 ? "has" : "have") the version before the last commit (\(tip.short(7))) in the index, as a write interrupted after its commit leaves them; nothing was changed. `git checkout HEAD -- \(paths.joined(separator: " "))` brings them up to date; then run the command again")
  }

  /// Refuses when any of `paths` differs between the tip's tree and the index or work tree:
  /// ``checkWorkTree(_:against:)`` then ``checkStaged(_:against:)``.
  func checkClean(_ paths: [String], against tree: Tree?) throws(IncidentError) {
    try checkWorkTree(paths, against: tree)
    try checkStaged(paths, against: tree)
  }

  /// Refuses when the work tree's file at any of `paths` differs from the tip's tree (as git
  /// sees it: byte for byte, else after git's filters); the refusal also names the paths
  /// whose index entries differ, as ``checkStaged(_:against:)`` would.
  ///
  /// Also refuses, before anything is written, when another process holds the index's lock
  /// (`.git/index.lock`) for longer than ``branchLockWait`` (git refuses at once), and when a
  /// folder on a path is a symbolic link in the work tree: git never writes through one (a
  /// file written there would land outside the work tree, and `git status` would show it
  /// deleted). Reads no index unless it refuses, so a change can write its objects while the
  /// index is read on the other core (``Repository/prefetchIndex()``).
  ///
  /// - Throws: ``IncidentError/uncommittedChanges(_:)``; ``IncidentError/refused(_:)`` for the
  ///   lock, a symbolic link, or a file that cannot be read (another process changing it).
  func checkWorkTree(_ paths: [String], against tree: Tree?) throws(IncidentError) {
    guard !repository.isBare, let root = repository.workingDirectory else { return }
    let indexLock = (repository.gitDirectory as NSString).appendingPathComponent("index.lock")
    // Another git command holds it for milliseconds: wait as for the branch's lock.
    let deadline = Date().addingTimeInterval(Self.branchLockWait)
    while access(indexLock, F_OK) == 0 && Date() < deadline { usleep(20_000) }
    if access(indexLock, F_OK) == 0 { throw indexLocked() }
    var checked = Set<String>()
    for path in paths {
      var folder = Substring(path)
      var folders: [Substring] = []
      while let slash = folder.lastIndex(of: "/") {
        folder = folder[..<slash]
        folders.append(folder)
      }
      for folder in folders.reversed() where checked.insert(String(folder)).inserted {
        var st = stat()
        if lstat(root + "/" + folder, &st) == 0, st.st_mode & S_IFMT == S_IFLNK {
          throw .refused(
            "\(folder) is a symbolic link in the work tree; git does not write through one, and neither does git-incident: replace it with the folder itself")
        }
      }
    }
    var dirty: [String] = []
    // As git compares modes: the executable bit only where core.filemode is on (the default).
    let fileMode = (try? repository.config())?.bool("core.filemode") ?? true
    do {
      for path in paths {
        let committed = tree?.entry(atPath: path)
        if try !repository.workingFile(path, holds: committed?.id) {
          dirty.append(path)
          continue
        }
        // Same bytes, other kind or mode: a link where a file was (`git status`: T), or the
        // executable bit changed (M). Rewriting the file would lose that change.
        var st = stat()
        guard let committed, lstat(root + "/" + path, &st) == 0 else { continue }
        let type = st.st_mode & S_IFMT
        let isLink = type == S_IFLNK
        let executable = type == S_IFREG && st.st_mode & 0o111 != 0
        if isLink != (committed.mode == 0o120000)
          || (fileMode && !isLink && executable != (committed.mode == 0o100755))
        {
          dirty.append(path)
        }
      }
    } catch {
      // A file another process is changing or removing meanwhile (a `git checkout`).
      throw .refused(
        "cannot read the work tree's copy of the incident's files (\(error.message)); nothing was changed; run the command again")
    }
    guard !dirty.isEmpty else { return }
    let staged = (try? stagedChanges(paths, against: tree)) ?? []
    throw .uncommittedChanges(paths.filter { dirty.contains($0) || staged.contains($0) })
  }

  /// Refuses when the index entry of any of `paths` differs from the tip's tree, or the path
  /// has conflict entries from an unfinished merge. Reads the index (waiting for a read
  /// started by ``Repository/prefetchIndex()``).
  ///
  /// - Throws: ``IncidentError/uncommittedChanges(_:)``, or ``IncidentError/git(_:)`` when
  ///   the index cannot be read.
  func checkStaged(_ paths: [String], against tree: Tree?) throws(IncidentError) {
    guard !repository.isBare else { return }
    let staged: [String]
    do { staged = try stagedChanges(paths, against: tree) } catch { throw unreadableIndex(error) }
    if !staged.isEmpty { throw .uncommittedChanges(staged) }
  }

  /// The refusal for an index file libgit2 cannot read (damaged, or in a form it does not
  /// know), naming the file and what to do; other failures stay internal faults.
  func unreadableIndex(_ error: GitError) -> IncidentError {
    guard error.function == "git_repository_index" || error.function == "git_index_read" else {
      return .git(error)
    }
    let file = (repository.gitDirectory as NSString).appendingPathComponent("index")
    let advice =
      error.message.contains("'link'")
      ? "it is in git's split-index form (core.splitIndex), which libgit2 cannot read: `git update-index --no-split-index` writes it whole"
      : "`git status` says whether git can read it; if it cannot, `rm \(file) && git reset` rebuilds it from HEAD (staged changes are lost)"
    return .refused(
      "cannot read the index (\(file)): \(error.message); nothing was changed. \(advice); then run the command again")
  }

  /// The paths among `paths` whose index entry differs from the tip's tree or is in conflict.
  private func stagedChanges(_ paths: [String], against tree: Tree?) throws(GitError) -> [String] {
    guard let index = try repository.index() else { return [] }
    // Read before this process took the repository lock (it starts with the command), the
    // file may have been replaced since by another writer: read again if so.
    try index.reloadIfChanged()
    return paths.filter { path in
      let committed = tree?.entry(atPath: path)
      // A staged mode change (`git update-index --chmod=+x`) counts as a change.
      return index.entryID(atPath: path) != committed?.id
        || (committed != nil && index.entryMode(atPath: path) != committed?.mode)
        || index.hasConflict(atPath: path)
    }
  }

  /// Writes the committed files into the work tree (atomically, by rename) and stages them, so
  /// `git status` stays clean. Other files and index entries are left as they were.
  ///
  /// Files that `created` already wrote (new files of a series, written while its objects
  /// were) are only staged. A file that could not be written is staged all the same, with its
  /// committed blob and no file metadata, so the index matches the commit and `git status`
  /// shows the work tree's copy as changed until `git checkout -- <path>` restores it.
  ///
  /// What another command changed while the commit was made is kept, with a warning: a
  /// work-tree file that holds neither the version the commit started from (`previous`) nor
  /// the committed one is left as it is, and so is an index entry that holds neither. The
  /// index is changed from what is on disk when it is written (``Index/update(waitingForLock:_:)``),
  /// so entries other commands staged meanwhile are kept.
  ///
  /// When `staged` is true, the files of `created` are in the index file already (staged and
  /// written before the branch moved); the index is written again only for other files.
  ///
  /// - Parameters:
  ///   - previous: the blob each path had in the tip the commit started from; absent for a
  ///     path the tip did not have.
  /// - Returns: a warning for each file not written and for an index that could not be
  ///   updated; the commit has landed either way.
  func updateWorkTree(
    _ files: [(path: String, data: Data)], previous: [String: ObjectID],
    created: WorkTreeCreation? = nil, staged: Bool = false
  ) -> [String] {
    guard let workdir = repository.workingDirectory else { return [] }
    var warnings: [String] = []
    var metadata: [String: WorkTreeCreation.Outcome] = [:]
    if let created {
      for (file, outcome) in zip(created.files, created.wait()) { metadata[file.path] = outcome }
    }
    let blobs = files.map { ObjectID.blob(hashing: $0.data) }
    var outcomes: [WorkTreeCreation.Outcome?] = []
    for (file, blob) in zip(files, blobs) {
      if let outcome = metadata[file.path] {
        outcomes.append(outcome)
        continue
      }
      // Changed by someone else since the clean check (the tip's version and the committed
      // one are both fine to replace): left as it is.
      if let old = previous[file.path],
        (try? repository.workingFile(file.path, holds: old)) == false,
        (try? repository.workingFile(file.path, holds: blob)) == false,
        (try? repository.workingFile(file.path, holds: nil)) == false
      {
        warnings.append("committed, but \(file.path) was changed in the work tree while the commit was made and was left as it is; `git diff -- \(file.path)` shows how it differs from the commit, `git checkout HEAD -- \(file.path)` replaces it")
        outcomes.append(nil)
        continue
      }
      do throws(WorkTreeFile.Failure) {
        try WorkTreeFile.write(file.data, to: workdir + "/" + file.path)
        var st = stat()
        guard lstat(workdir + "/" + file.path, &st) == 0 else {
          throw WorkTreeFile.Failure(description: "lstat: \(String(cString: strerror(errno)))")
        }
        outcomes.append(.success(st))
      } catch {
        outcomes.append(.failure(error))
      }
    }
    for (file, outcome) in zip(files, outcomes) {
      guard case .failure(let failure)? = outcome else { continue }
      if failure.exists {
        warnings.append("committed, but \(file.path) appeared in the work tree while the commit was written and was left as it is; `git diff -- \(file.path)` shows how it differs from the commit, `git checkout -- \(file.path)` replaces it")
      } else {
        warnings.append("committed, but could not write \(file.path) in the work tree: \(failure.description); run `git checkout -- \(file.path)`")
      }
    }
    var keptStaged: [String] = []
    do {
      if let index = try repository.index() {
        let toStage = zip(zip(files, blobs), outcomes).filter { pair in
          !(staged && metadata[pair.0.0.path] != nil)
        }
        if !toStage.isEmpty || !staged {
          // Applied to the index as it is on disk when written (and again if another command
          // writes it meanwhile), waiting for another git command's lock.
          try index.update(waitingForLock: Self.branchLockWait) { index throws(GitError) in
            keptStaged = []
            for ((file, blob), outcome) in toStage {
              let current = index.entryID(atPath: file.path)
              // Staged by another command while the commit was made: kept.
              if current != previous[file.path], current != blob {
                keptStaged.append(file.path)
                continue
              }
              switch outcome {
              case .success(let st)?: try index.add(path: file.path, blob: blob, metadata: st)
              // Not written (left as it is, or failed): the entry matches the commit, so the
              // file shows as changed.
              case .failure?, nil: try index.add(path: file.path, blob: blob, metadata: stat())
              }
            }
          }
        }
      }
    } catch {
      warnings.append("committed, but could not update the index: \(error.message); run `git reset -q -- " + files.map(\.path).joined(separator: " ") + "`")
    }
    for path in keptStaged {
      warnings.append("committed, but \(path) was staged by another command while the commit was made and was left staged as it is; `git diff --cached -- \(path)` shows how it differs from the commit")
    }
    return warnings
  }

  /// Stages the files `created` wrote and writes the index file, from the file as it is on
  /// disk then (``Index/update(waitingForLock:_:)``: what other commands staged is kept). Call
  /// it only when every file was written.
  ///
  /// - Returns: the index, whose new entries the caller takes out again when the branch does
  ///   not move; nil for a bare repository.
  /// - Throws: ``IncidentError/refused(_:)`` when another process keeps `index.lock` for
  ///   longer than ``branchLockWait``; ``IncidentError/git(_:)`` when the index cannot be read
  ///   or written or refuses an entry.
  func stage(_ created: WorkTreeCreation) throws(IncidentError) -> Index? {
    do {
      guard let index = try repository.index() else { return nil }
      let outcomes = created.wait()
      try index.update(waitingForLock: Self.branchLockWait) { index throws(GitError) in
        for (file, outcome) in zip(created.files, outcomes) {
          guard case .success(let st) = outcome else { continue }
          try index.add(path: file.path, blob: ObjectID.blob(hashing: file.data), metadata: st)
        }
      }
      return index
    } catch where error.code == .locked {
      throw indexLocked()
    } catch {
      throw .git(error)
    }
  }

  /// Adds the records a commit wrote to the ``RecordCache`` (parsed from the bytes written, so
  /// the cache holds exactly what a later read would parse), and the folder trees they are in,
  /// as journal entries: O(files written), never a rewrite of the whole cache.
  func rememberWritten(
    _ files: [(path: String, data: Data)], blobs: [ObjectID], tree: ObjectID
  ) {
    guard recordCache.enabled else { return }
    var folders = Set<String>()
    for (file, blob) in zip(files, blobs) {
      let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
      guard parts.count == 4, parts[0] == "incidents", let id = IncidentID(String(parts[2])),
        id.rawValue == parts[2], id.year == parts[1]
      else { continue }
      folders.insert(id.folder)
      switch parts[3] {
      case "incident.yaml":
        if let incident = try? RecordCodec.decodeIncident(file.data, file: file.path) {
          recordCache.add(incident, blob: blob)
        }
      case "timeline.yaml":
        if let timeline = try? RecordCodec.decodeTimeline(file.data, file: file.path) {
          recordCache.add(timeline, blob: blob)
        }
      default: break
      }
    }
    if let root = try? repository.tree(tree) {
      for path in folders {
        if let entry = root.entry(atPath: path), entry.kind == .tree {
          _ = cachedFolder(entry.id)
        }
      }
    }
    recordCache.appendJournal()
  }
}
