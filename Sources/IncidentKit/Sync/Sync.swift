import Foundation
import Git

/// What `git incident sync` is asked to do.
public struct SyncOptions: Sendable {
  /// A remote's name, a URL (`file://`, `git://`, `ssh://`, `https://`, `user@host:path`) or a
  /// local path; nil means the branch's configured remote, else `origin`.
  public var remote: String?
  /// The remote branch; nil means the branch's configured upstream, else the local branch's
  /// name.
  public var branch: String?
  /// Credentials to offer; nil reads them from the environment and git config (see
  /// ``IncidentStore/credentialOptions(for:)``).
  public var credentials: CredentialOptions?
  /// How many times a refused push is followed by another fetch and merge before giving up.
  public var maxRounds: Int

  public init(remote: String? = nil, branch: String? = nil, credentials: CredentialOptions? = nil, maxRounds: Int = 5) {
    self.remote = remote
    self.branch = branch
    self.credentials = credentials
    self.maxRounds = maxRounds
  }
}

/// What a sync did.
public struct SyncReport: Sendable {
  /// What happened to the local branch.
  public enum Outcome: Sendable, Equatable {
    /// Local and remote were the same.
    case upToDate
    /// The local branch moved forward to the remote's tip.
    case fastForward
    /// A merge commit joined both histories.
    case merged(ObjectID)
    /// The remote was behind (or empty); only a push was needed.
    case pushedOnly
  }

  /// The remote as given or configured (`origin`, or the URL for an unnamed remote).
  public var remote: String
  /// The remote's URL.
  public var url: String
  /// The remote branch.
  public var branch: String
  /// What happened.
  public var outcome: Outcome
  /// Incidents the fetch brought in (changed in the local branch by the merge or fast-forward).
  public var merged: [IncidentID]
  /// Incidents the push delivered (changed on the remote by the push).
  public var pushed: [IncidentID]
  /// The local tip after the sync.
  public var tip: ObjectID?
  /// Fetch-merge-push rounds used (more than 1 when a push was refused because the remote
  /// moved).
  public var rounds: Int
  /// Settled conflicts and renamed incidents.
  public var notes: [String]
  /// Problems after the sync landed (a work-tree file that could not be written).
  public var warnings: [String]
  /// Files outside incident folders the fetch brought in (`git-incident.yaml`, templates).
  public var mergedFiles: [String] = []
  /// Files outside incident folders the push delivered.
  public var pushedFiles: [String] = []
  /// True when the push created the branch on the remote.
  public var newBranch = false

  /// One line for people: `3 incidents merged, 2 pushed`; files outside incident folders are
  /// named (`settings (git-incident.yaml) merged, 0 pushed`); `pushed new branch main
  /// (19 incidents)` when the push created the branch.
  public var summary: String {
    func count(_ n: Int) -> String { n == 1 ? "1 incident" : "\(n) incidents" }
    func things(_ n: Int, _ files: [String], noun: Bool) -> String {
      var parts: [String] = []
      if n > 0 || files.isEmpty { parts.append(noun ? count(n) : "\(n)") }
      let named = files.map { $0 == Settings.path ? "settings (\($0))" : $0 }
      if !files.isEmpty { parts.append(files.count <= 3 ? named.joined(separator: ", ") : "\(files.count) other files") }
      return parts.joined(separator: " and ")
    }
    switch outcome {
    case .upToDate: return "already up to date with \(remote)/\(branch)"
    case .fastForward: return "\(things(merged.count, mergedFiles, noun: true)) updated (fast-forward), \(pushed.count) pushed"
    case .merged:
      return "\(things(merged.count, mergedFiles, noun: true)) merged, \(things(pushed.count, pushedFiles, noun: false)) pushed"
    case .pushedOnly:
      if newBranch { return "pushed new branch \(branch) (\(things(pushed.count, pushedFiles, noun: true)))" }
      return "\(things(pushed.count, pushedFiles, noun: true)) pushed"
    }
  }
}

extension IncidentStore {
  /// Fetches, merges and pushes (DESIGN section 5): up to date, fast-forward, or one merge
  /// commit made in-process by ``RecordMerge``; then a push, and on a refused push another
  /// fetch and merge (at most `options.maxRounds`; never a forced push).
  ///
  /// Nothing changes when a record file has uncommitted edits (they are named), when HEAD is
  /// detached, in a shallow clone, or when the merge meets a true text conflict (the branch,
  /// index and work tree stay as they were; no `MERGE_HEAD` is ever written).
  ///
  /// - Parameters:
  ///   - options: remote, branch, credentials.
  ///   - actor: `--as` text for the merge commit, or nil for git's identity.
  /// - Returns: what happened.
  /// - Throws: ``IncidentError/uncommittedChanges(_:)``, ``IncidentError/detachedHead``,
  ///   ``IncidentError/refused(_:)`` (shallow clone, unknown remote, unreachable remote,
  ///   authentication failed, text conflict, push still refused), ``IncidentError/git(_:)``.
  public func sync(_ options: SyncOptions = SyncOptions(), as actor: String? = nil) throws(IncidentError) -> SyncReport {
    do {
      return try syncUnchecked(options, as: actor)
    } catch let error as IncidentError {
      throw error
    } catch let error as GitError {
      throw .git(error)
    } catch let error as MergeConflict {
      if let reason = error.reason { throw .refused("sync stopped, nothing was changed: \(reason)") }
      throw .refused("sync stopped, nothing was changed: \(error.description); merge it by hand (`git pull`, resolve, commit) and sync again")
    } catch let error as FormatError {
      throw .invalidRecord(error)
    } catch {
      throw .refused("\(error)")
    }
  }

  private func syncUnchecked(_ options: SyncOptions, as actor: String?) throws -> SyncReport {
    let lock = RepositoryLock(gitDirectory: repository.gitDirectory)
    defer { withExtendedLifetime(lock) {} }
    guard case .branch(let branchRef, _) = try repository.head() else { throw IncidentError.detachedHead }
    if repository.isShallow {
      throw IncidentError.refused("this is a shallow clone: sync needs the history back to the common ancestor; run `git fetch --unshallow` first")
    }
    let localName = branchRef.hasPrefix("refs/heads/") ? String(branchRef.dropFirst("refs/heads/".count)) : branchRef
    let config = try repository.config()
    let (remote, remoteLabel) = try resolveRemote(options.remote, branch: localName, config: config)
    var remoteBranch = options.branch
    if remoteBranch == nil, options.remote == nil || options.remote == config.string("branch.\(localName).remote"),
      let merge = config.string("branch.\(localName).merge")
    {
      remoteBranch = merge.hasPrefix("refs/heads/") ? String(merge.dropFirst("refs/heads/".count)) : merge
    }
    let rb = remoteBranch ?? localName

    // Uncommitted edits to records stop everything before anything changes.
    let dirty = try repository.changedPaths(matching: [])
    let dirtyRecords = dirty.filter { $0.hasPrefix("incidents/") || $0 == Settings.path || $0 == ".gitattributes" }
    if !dirtyRecords.isEmpty { throw IncidentError.uncommittedChanges(dirtyRecords) }

    if let path = Self.localPath(url: remote.url, relativeTo: FileManager.default.currentDirectoryPath),
      !FileManager.default.fileExists(atPath: path)
    {
      throw IncidentError.refused("cannot fetch from \(remoteLabel) (\(remote.url)): the path \(path) does not exist; give the path of a git repository or a URL")
    }
    let credentials = options.credentials ?? credentialOptions(for: remote.url)
    var notes: [String] = []
    var warnings: [String] = []
    var merged: [IncidentID] = []
    var mergedFiles: [String] = []
    var outcome = SyncReport.Outcome.upToDate
    for round in 1...max(1, options.maxRounds) {
      let fetchSpec = remote.name.map { "+refs/heads/\(rb):refs/remotes/\($0)/\(rb)" } ?? "refs/heads/\(rb)"
      let session = TransferSession(options: credentials)
      do {
        try remote.fetch(refspecs: [fetchSpec], session: session)
      } catch {
        throw transferError(error, session: session, label: remoteLabel, url: remote.url, verb: "fetch from")
      }
      let remoteTip = try remote.advertisedReferences()["refs/heads/\(rb)"]
      let tip = try repository.referenceTarget(branchRef)

      var newTip = tip
      if let remoteTip {
        if tip == remoteTip {
          return SyncReport(remote: remoteLabel, url: remote.url, branch: rb, outcome: outcome,
                            merged: merged, pushed: [], tip: tip, rounds: round, notes: notes, warnings: warnings)
        }
        var fastForward = tip == nil
        if let tip, try repository.isAncestor(tip, of: remoteTip) { fastForward = true }
        if fastForward {
          let oldTree = try tip.map { try repository.commit($0).tree() }
          let newTree = try repository.commit(remoteTip).tree()
          let changes = try TreeWalk.differences([oldTree, newTree])
          try refuseDirty(changes.keys, dirty: dirty)
          if !(try moveBranch(branchRef, to: remoteTip, from: tip, message: "git-incident sync: fast-forward to \(remoteLabel)/\(rb)")) {
            continue
          }
          warnings += applyToWorkTree(changes.mapValues { $0[1] })
          merged = Self.union(merged, Self.incidents(in: changes.keys))
          mergedFiles = Self.union(mergedFiles, Self.otherFiles(in: changes.keys))
          if outcome == .upToDate { outcome = .fastForward }
          var report = SyncReport(remote: remoteLabel, url: remote.url, branch: rb, outcome: outcome, merged: merged,
                                  pushed: [], tip: remoteTip, rounds: round, notes: notes, warnings: warnings)
          report.mergedFiles = mergedFiles
          return report
        }
        if let tip, try !repository.isAncestor(remoteTip, of: tip) {
          // Both moved: one merge commit.
          let identity = try identity(explicit: actor)
          let oursCommit = try repository.commit(tip)
          let theirsCommit = try repository.commit(remoteTip)
          let baseID = try repository.mergeBase(tip, remoteTip)
          let baseTree = try baseID.map { try repository.commit($0).tree() }
          let oursTree = try oursCommit.tree()
          let labels = ("ours (\(localName) \(tip.short(7)))", "theirs (\(remoteLabel)/\(rb) \(remoteTip.short(7)))")
          let result = try mergeTrees(base: baseTree, ours: oursTree, theirs: try theirsCommit.tree(), labels: labels)
          let treeID = try repository.createTree(updating: oursTree.id, with: result.updates)
          let changedPaths = result.updates.map { u -> String in
            switch u {
            case .upsert(let p, _), .remove(let p): return p
            }
          }
          try refuseDirty(changedPaths, dirty: dirty)
          let message = Self.mergeMessage(remote: remoteLabel, branch: rb, local: localName, outcome: result)
          let author = Signature(name: identity.name, email: identity.email, date: now)
          let c = identity.committer(environment: environment)
          let committer = Signature(name: c.name, email: c.email, date: now)
          // Signed as every other commit of the tool when git config asks (commit.gpgsign).
          let mergeCommit = try createCommit(
            tree: treeID, parents: [tip, remoteTip], author: author, committer: committer,
            message: message.text, signer: try configuredSigner())
          if !(try moveBranch(branchRef, to: mergeCommit, from: tip, message: "git-incident sync: \(message.subject)")) {
            continue
          }
          let newTree = try repository.tree(treeID)
          let changes = try TreeWalk.differences([oursTree, newTree])
          warnings += applyToWorkTree(changes.mapValues { $0[1] })
          notes += result.notes
          merged = Self.union(merged, result.incidents)
          mergedFiles = Self.union(mergedFiles, Self.otherFiles(in: changes.keys))
          outcome = .merged(mergeCommit)
          newTip = mergeCommit
        } else if outcome == .upToDate {
          outcome = .pushedOnly
        }
      } else if tip == nil {
        let branches = try remote.advertisedReferences().keys.filter { $0.hasPrefix("refs/heads/") }
          .map { String($0.dropFirst("refs/heads/".count)) }.sorted()
        if branches.isEmpty {
          throw IncidentError.refused("nothing to sync: \(remoteLabel) has no branches yet and \(localName) has no commits")
        }
        throw IncidentError.refused(
          "\(remoteLabel) has no branch \(rb) (its branches: \(branches.joined(separator: ", "))) and \(localName) has no commits; "
            + "sync one of them with `git incident sync \(options.remote ?? remoteLabel) --branch \(branches.contains("main") ? "main" : branches[0])`")
      } else if outcome == .upToDate {
        outcome = .pushedOnly
      }

      // Push, never forced.
      guard let pushTip = newTip else { break }
      let hooks = Self.localHooks(url: remote.url, relativeTo: repository.workingDirectory ?? FileManager.default.currentDirectoryPath)
      if !hooks.isEmpty {
        throw IncidentError.refused(
          "will not push to \(remoteLabel) (\(remote.url)): it has server hooks (\(hooks.joined(separator: ", "))) and libgit2 pushes to a local path by writing the repository directly, so it cannot run the remote's hooks; push with `git push`, or reach this remote through a git://, ssh:// or https:// URL"
            + (outcome == .upToDate || outcome == .pushedOnly ? "" : "; the merge is committed locally"))
      }
      let pushSession = TransferSession(options: credentials)
      let landed = try push(remote, refspec: "\(branchRef):refs/heads/\(rb)", session: pushSession, label: remoteLabel)
      if !landed { continue }
      if let name = remote.name {
        try? repository.updateReference("refs/remotes/\(name)/\(rb)", to: pushTip,
                                        expecting: try repository.referenceTarget("refs/remotes/\(name)/\(rb)"),
                                        message: "git-incident sync: push")
      }
      let remoteTree = try remoteTip.map { try repository.commit($0).tree() }
      let pushedChanges = try TreeWalk.differences([remoteTree, try repository.commit(pushTip).tree()])
      var report = SyncReport(remote: remoteLabel, url: remote.url, branch: rb, outcome: outcome, merged: merged,
                              pushed: Self.incidents(in: pushedChanges.keys), tip: pushTip, rounds: round, notes: notes,
                              warnings: warnings)
      report.mergedFiles = mergedFiles
      report.pushedFiles = Self.otherFiles(in: pushedChanges.keys)
      report.newBranch = remoteTip == nil
      return report
    }
    throw IncidentError.refused("\(remoteLabel) kept moving: the push was refused \(options.maxRounds) times; your commits are kept locally, run sync again")
  }

  /// Pushes; false when the remote refused because it moved (`fetch first`,
  /// `non-fast-forward`), so another fetch and merge may land it.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` at once for any other refusal (a server hook that
  ///   declined the push, a protected branch), with the remote's reason and what it printed.
  private func push(_ remote: Remote, refspec: String, session: TransferSession, label: String) throws -> Bool {
    let rejected: [(reference: String, reason: String)]
    do {
      rejected = try remote.push(refspecs: [refspec], session: session)
    } catch {
      if error.code == .nonFastForward { return false }
      throw transferError(error, session: session, label: label, url: remote.url, verb: "push to")
    }
    if rejected.isEmpty { return true }
    if rejected.allSatisfy({ Self.remoteMoved($0.reason) }) { return false }
    let reasons = rejected.map { "\($0.reference): \($0.reason)" }.joined(separator: "; ")
    let said = session.remoteMessages
    throw IncidentError.refused(
      "\(label) (\(remote.url)) refused the push: \(reasons)"
        + (said.isEmpty ? "" : "; the remote said:\n" + said.map { "  remote: " + $0 }.joined(separator: "\n"))
        + "\nyour commits are kept locally; nothing was pushed")
  }

  /// True for git's refusals that mean the remote branch moved since it was fetched (another
  /// fetch and merge can land the push): `fetch first`, `non-fast-forward`, and a reference
  /// the server could not update because it changed under it.
  static func remoteMoved(_ reason: String) -> Bool {
    let r = reason.lowercased()
    return r.contains("fetch first") || r.contains("non-fast-forward") || r.contains("non-fastforward")
      || r.contains("failed to update ref") || r.contains("failed to lock") || r.contains("stale info")
  }

  /// The absolute path of a local remote (a path or a `file://` URL); nil for a network URL
  /// (`git://`, `ssh://`, `https://`, `user@host:path`).
  static func localPath(url: String, relativeTo base: String) -> String? {
    var path = url
    if path.hasPrefix("file://") {
      path = String(path.dropFirst("file://".count))
      path = path.removingPercentEncoding ?? path
    } else if path.contains("://") || (path.contains(":") && !path.hasPrefix("/") && !path.hasPrefix(".")) {
      return nil
    }
    if !path.hasPrefix("/") { path = (base as NSString).appendingPathComponent(path) }
    return path
  }

  /// The server-side hooks of a local remote (a path or `file://` URL) that would run on a
  /// push: executable `pre-receive`, `update`, `post-receive` in its hooks folder (`hooks/`
  /// of a bare repository, `.git/hooks/` otherwise). libgit2's local transport writes the
  /// remote repository directly and runs none of them.
  static func localHooks(url: String, relativeTo base: String) -> [String] {
    guard let path = localPath(url: url, relativeTo: base) else { return [] }
    let fm = FileManager.default
    let gitDir = fm.fileExists(atPath: path + "/.git") ? path + "/.git" : path
    return ["pre-receive", "update", "post-receive"].map { gitDir + "/hooks/" + $0 }
      .filter { fm.isExecutableFile(atPath: $0) }
  }

  /// The remote for a name, URL or path.
  private func resolveRemote(_ given: String?, branch: String, config: Config) throws -> (Remote, String) {
    let name = given ?? config.string("branch.\(branch).remote") ?? "origin"
    if let remote = try repository.remote(named: name) { return (remote, name) }
    let looksLikeLocation = name.contains("/") || name.contains(":") || name.hasPrefix(".")
      || FileManager.default.fileExists(atPath: name)
    if given != nil, looksLikeLocation {
      var url = name
      if !name.contains("://"), !name.contains(":"), !name.hasPrefix("/") {
        url = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(name)
      }
      return (try repository.anonymousRemote(url: url), name)
    }
    let known = try repository.remoteNames()
    throw IncidentError.refused(
      "no remote named '\(name)'"
        + (known.isEmpty ? "; this repository has no remotes" : "; remotes: " + known.joined(separator: ", "))
        + "; add one with `git remote add \(name) <url>` or give a URL or path: `git incident sync <url>`")
  }

  private func transferError(_ error: GitError, session: TransferSession, label: String, url: String, verb: String) -> IncidentError {
    if session.exhausted || error.code == .authentication {
      let tried = session.tried.isEmpty
        ? "nothing (no credentials available: set GIT_INCIDENT_TOKEN for https, or load a key into ssh-agent or name one in `git config incident.sshKey`)"
        : session.tried.joined(separator: ", ") + " (each refused)"
      return .refused("authentication failed for \(label) (\(url)): tried \(tried)")
    }
    return .refused("cannot \(verb) \(label) (\(url)): \(error.message)")
  }

  private func refuseDirty<S: Sequence>(_ paths: S, dirty: [String]) throws where S.Element == String {
    let touched = Set(paths)
    let blocked = dirty.filter { touched.contains($0) }
    if !blocked.isEmpty { throw IncidentError.uncommittedChanges(blocked.sorted()) }
  }

  /// Changed paths outside incident folders, sorted.
  static func otherFiles<S: Sequence>(in paths: S) -> [String] where S.Element == String {
    paths.filter { TreeWalk.incident(of: $0) == nil }.sorted()
  }

  /// The sorted union of two lists (counts over several fetch-merge-push rounds).
  static func union<T: Comparable & Hashable>(_ a: [T], _ b: [T]) -> [T] { Array(Set(a + b)).sorted() }

  static func incidents<S: Sequence>(in paths: S) -> [IncidentID] where S.Element == String {
    Array(Set(paths.compactMap(TreeWalk.incident(of:)))).sorted()
  }

  static func mergeMessage(remote: String, branch: String, local: String, outcome: TreeMergeOutcome) -> CommitMessage {
    let n = outcome.incidents.count
    let subject = "Merge \(remote)/\(branch) into \(local): \(n == 1 ? "1 incident" : "\(n) incidents") merged"
    var trailers: [(key: String, value: String)] = outcome.incidents.map { ("Incident", $0.rawValue) }
    trailers.append(("Incident-Change", "merge"))
    return CommitMessage(subject: subject, body: outcome.notes.joined(separator: "\n"), trailers: trailers)
  }

  /// Brings the work tree's copies and the index entries of changed paths to the new tip:
  /// writes (by rename) or removes each file and stages it. Other files are left alone.
  func applyToWorkTree(_ changes: [String: ObjectID?]) -> [String] {
    guard let workdir = repository.workingDirectory else { return [] }
    var warnings: [String] = []
    var written: [String] = []
    var removed: [String] = []
    for (path, blob) in changes.sorted(by: { $0.key < $1.key }) {
      let url = URL(fileURLWithPath: workdir + "/" + path)
      do {
        if let blob {
          try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
          try repository.blob(blob).write(to: url, options: .atomic)
          written.append(path)
        } else {
          if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
          removed.append(path)
          var dir = url.deletingLastPathComponent()
          while dir.path.count > workdir.count,
            (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.isEmpty == true
          {
            try? FileManager.default.removeItem(at: dir)
            dir = dir.deletingLastPathComponent()
          }
        }
      } catch {
        warnings.append("synced, but could not update \(path) in the work tree: \(error.localizedDescription); run `git checkout -- \(path)`")
      }
    }
    do {
      if let index = try repository.index() {
        for path in written { try index.add(path: path) }
        for path in removed { try index.remove(path: path) }
        try index.write()
      }
    } catch {
      warnings.append("synced, but could not update the index: \(error.message); run `git reset -q`")
    }
    return warnings
  }

  /// The credentials a sync offers, from the environment and git config, in order:
  /// the ssh-agent; key files named by `incident.sshKey` and by `-i` in `core.sshCommand`,
  /// then `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`; for HTTP(S) a token from
  /// `GIT_INCIDENT_TOKEN` (user name `GIT_INCIDENT_USERNAME`, default `x-access-token`), then
  /// a matching entry of git's `store` credential helper file (`~/.git-credentials`, or
  /// `--file`).
  public func credentialOptions(for url: String) -> CredentialOptions {
    let config = try? repository.config()
    let home = environment["HOME"] ?? NSHomeDirectory()
    func expand(_ p: String) -> String { p.hasPrefix("~/") ? home + String(p.dropFirst(1)) : p }
    var keys: [String] = []
    if let key = config?.string("incident.sshKey") { keys.append(expand(key)) }
    if let command = config?.string("core.sshCommand") {
      let words = command.split(separator: " ").map(String.init)
      for (i, w) in words.enumerated() where w == "-i" && i + 1 < words.count { keys.append(expand(words[i + 1])) }
    }
    keys += ["id_ed25519", "id_ecdsa", "id_rsa"].map { home + "/.ssh/" + $0 }
    var passwords: [CredentialOptions.Password] = []
    if let token = environment["GIT_INCIDENT_TOKEN"], !token.isEmpty {
      passwords.append(.init(source: "token from GIT_INCIDENT_TOKEN", username: environment["GIT_INCIDENT_USERNAME"] ?? "x-access-token", password: token))
    }
    if let helper = config?.string("credential.helper"), helper.hasPrefix("store") {
      let words = helper.split(separator: " ").map(String.init)
      var file = home + "/.git-credentials"
      if let i = words.firstIndex(of: "--file"), i + 1 < words.count { file = expand(words[i + 1]) }
      if let text = try? String(contentsOfFile: file, encoding: .utf8), let target = URLComponents(string: url) {
        for line in text.split(separator: "\n") {
          guard let entry = URLComponents(string: String(line)), entry.host == target.host,
            entry.scheme == target.scheme, let user = entry.user, let password = entry.password
          else { continue }
          passwords.append(.init(source: "credential.helper store (\(file))", username: user.removingPercentEncoding ?? user, password: password.removingPercentEncoding ?? password))
        }
      }
    }
    return CredentialOptions(sshAgent: true, sshKeyFiles: keys, passwords: passwords)
  }
}
