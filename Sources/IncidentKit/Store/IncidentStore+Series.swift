import Foundation
import Git

/// The result of a series of commits written in one go (an import).
public struct SeriesResult: Sendable {
  /// The new commits, oldest first; empty when there was nothing to write.
  public var commits: [ObjectID]
  /// The branch moved (`refs/heads/main`); nil when nothing was written.
  public var branch: String?
  /// Problems after the commits landed (for example the index could not be updated).
  public var warnings: [String]
}

extension IncidentStore {
  /// From this many commits on, a series writes its objects as pack files.
  static let packThreshold = 64

  /// Where a packed series of `count` commits is cut into parts (the commit counts after which
  /// a part is sealed): up to four parts of at least 128 commits, each packed on another thread
  /// while the next is written (``ObjectBatch/seal(keeping:)``). Part `k` of `n` ends after
  /// `count·√(k/n)` commits, because an import into one folder costs in proportion to the
  /// square of its commits (each commit's tree of that folder holds all the commits before
  /// it), so the parts take about the same time to pack.
  static func packParts(_ count: Int) -> Set<Int> {
    let parts = min(4, count / 128)
    guard parts >= 2 else { return [] }
    return Set((1..<parts).map { k in Int((Double(count) * (Double(k) / Double(parts)).squareRoot()).rounded()) })
  }

  /// Makes a chain of commits on the branch HEAD names and moves the branch once, for imports
  /// of many incidents.
  ///
  /// The same rules as ``commit(identity:guarded:build:)``, with the work done once for the whole
  /// chain: under this tool's repository lock, read the tip, let `build` compute every commit from
  /// the tip's tree, refuse if any written path has uncommitted changes, then write each commit on
  /// top of the previous one (each tree made by a ``TreeChain``, which keeps one tree builder per
  /// folder from one commit to the next, so only the trees on the written paths are rewritten and
  /// no folder is read again), move the branch from the old tip to the last commit with one
  /// compare-and-swap (retrying from the top when another writer moved it), and finally write the
  /// last version of each written file into the work tree and index. Files that neither the tip nor
  /// the work tree has are written into the work tree meanwhile, on another thread, and removed
  /// again when the chain does not land (``WorkTreeCreation``); the branch moves only once every
  /// one of them is written (one that cannot be written refuses the whole chain) and staged in the
  /// index file; if the branch then does not move, their index entries are removed again. Either
  /// the whole chain lands or none of it: a failure leaves only unreferenced objects. A chain of
  /// ``packThreshold`` commits or more holds its objects in memory and writes them as pack files
  /// (``Repository/withObjectBatch(copying:_:)``, listing exactly the blobs, trees and commits it
  /// wrote; cut into parts by ``packParts(_:)``), not as one loose file each.
  ///
  /// - Parameters:
  ///   - identity: author and (unless `GIT_COMMITTER_*` say otherwise) committer.
  ///   - build: computes the commits, oldest first, from the tip's tree; may throw to refuse.
  ///     Each commit's ``PendingCommit/authorDate`` sets its author date; committer dates are
  ///     now.
  /// - Throws: ``IncidentError`` from `build`, ``IncidentError/uncommittedChanges(_:)`` (also
  ///   for a new file that appeared in the work tree meanwhile), ``IncidentError/refused(_:)``
  ///   when a new file cannot be written into the work tree or the branch stays locked,
  ///   ``IncidentError/detachedHead``, ``IncidentError/tooManyRetries(_:)``, or
  ///   ``IncidentError/git(_:)``.
  func commitSeries(
    identity: Identity,
    build: (Tree?) throws(IncidentError) -> [PendingCommit]
  ) throws(IncidentError) -> SeriesResult {
    let lock = RepositoryLock(gitDirectory: repository.gitDirectory)
    defer { withExtendedLifetime(lock) {} }
    let committerIdentity = identity.committer(environment: environment)
    let committer = Signature(
      name: committerIdentity.name, email: committerIdentity.email, date: now)
    // Signing is decided before anything is written, so a series is never partly unsigned.
    let signer = try configuredSigner()
    for _ in 0..<Self.maxAttempts {
      let (branch, tip, tree) = try branchTip()
      let series = try build(tree)
      guard !series.isEmpty else { return SeriesResult(commits: [], branch: nil, warnings: []) }
      var finalFiles: [String: Data] = [:]
      var order: [String] = []
      for pending in series {
        for file in pending.files {
          if finalFiles.updateValue(file.data, forKey: file.path) == nil { order.append(file.path) }
        }
      }
      try checkClean(order.sorted(), against: tree)
      // Files new to both the tip and the work tree are written into the work tree on another
      // thread while the objects are written, and taken back unless the branch moves.
      var created: WorkTreeCreation?
      if let workdir = repository.workingDirectory {
        let new = order.filter { tree?.entry(atPath: $0) == nil }
        if !new.isEmpty { created = WorkTreeCreation(root: workdir, files: new.map { ($0, finalFiles[$0]!) }) }
      }
      var landed = false
      var staged: Index?
      defer {
        if !landed {
          created?.undo()
          if let staged {
            // Take the new entries out of the index file again, keeping what others staged.
            try? staged.update(waitingForLock: Self.branchLockWait) { index in
              for file in created?.files ?? [] { try? index.remove(path: file.path) }
            }
          }
        }
      }
      var commits: [ObjectID] = []
      var signingFailure: IncidentError?
      do {
        // Long chains: a handle whose new objects are held in memory and written as packs
        // (which also hold the objects the new trees reach, so not for short ones).
        let packed = series.count >= Self.packThreshold && signer == nil
        let seals = Self.packParts(series.count)
        func writeChain(_ writer: Repository, _ batch: ObjectBatch?) throws(GitError) {
          // One tree builder per folder, kept from one commit's tree to the next.
          let chain = try TreeChain(repository: writer, reading: repository, base: tree?.id)
          var parent = tip
          for pending in series {
            var files: [(path: String, blob: ObjectID)] = []
            for file in pending.files {
              let blob = try writer.createBlob(file.data)
              files.append((file.path, blob))
              batch?.list([PackedObject(id: blob, path: file.path)])
            }
            let (newTree, trees) = try chain.write(files)
            batch?.list(trees.map { PackedObject(id: $0.id, path: $0.path) })
            let author = Signature(
              name: identity.name, email: identity.email, date: pending.authorDate ?? now)
            let commit: ObjectID
            if let signer {
              let content = try writer.commitBuffer(
                tree: newTree, parents: parent.map { [$0] } ?? [], author: author,
                committer: committer, message: pending.message.text)
              do {
                commit = try writer.createCommit(
                  content: content, signature: try signer.sign(content, committerEmail: committer.email))
              } catch let error as IncidentError {
                signingFailure = error
                throw GitError(code: .user, function: "sign", message: error.description)
              } catch {
                throw error as! GitError
              }
            } else {
              commit = try writer.createCommit(
                tree: newTree, parents: parent.map { [$0] } ?? [], author: author,
                committer: committer, message: pending.message.text)
            }
            batch?.list([PackedObject(id: commit, path: nil)])
            commits.append(commit)
            parent = commit
            // The part so far is packed on another thread; the next commit's parent stays.
            if seals.contains(commits.count) { try batch?.seal(keeping: [commit]) }
          }
        }
        if packed {
          // The first commit's parent is read through the in-memory handle.
          try repository.withObjectBatch(copying: tip.map { [$0] } ?? []) {
            (batch: ObjectBatch) throws(GitError) in try writeChain(batch.writer, batch)
          }
        } else {
          try writeChain(repository, nil)
        }
      } catch {
        if let signingFailure { throw signingFailure }
        throw .git(error)
      }
      // Every new file must be in the work tree before the branch moves: a file that could not
      // be written stops the series (the files written are taken back). They are staged, and
      // the index written, before the move.
      if let created {
        for (file, outcome) in zip(created.files, created.wait()) {
          guard case .failure(let failure) = outcome else { continue }
          if failure.exists {
            throw .uncommittedChanges([file.path])
          }
          throw .refused(
            "cannot write \(file.path) in the work tree (\(failure.description)); nothing was changed")
        }
        // The index file is written before the branch moves, as git writes `index.lock` before
        // it moves a branch: killed in between, the new files are staged additions of files
        // that are in the work tree (a `git commit` would record them), never staged
        // deletions of committed files.
        staged = try stage(created)
      }
      var previous: [String: ObjectID] = [:]
      for path in order { if let old = tree?.entry(atPath: path)?.id { previous[path] = old } }
      // From the branch's move to the index's write, Ctrl-C and kill wait (CriticalSection).
      let result = try CriticalSection.run { () throws(IncidentError) -> SeriesResult? in
        guard try moveBranch(
          branch, to: commits[commits.count - 1], from: tip,
          message: "git-incident: \(commits.count) commits (\(series[0].message.subject))")
        else { return nil }
        landed = true
        let warnings = updateWorkTree(
          order.map { ($0, finalFiles[$0]!) }, previous: previous, created: created, staged: staged != nil)
        return SeriesResult(commits: commits, branch: branch, warnings: warnings)
      }
      if let result { return result }
    }
    throw .tooManyRetries(Self.maxAttempts)
  }
}
