import Foundation
import Git

extension IncidentStore {
  /// The signer git config asks for (`commit.gpgsign=true`), or nil.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` when signing is asked for in a form that cannot be
  ///   honoured, so no commit is ever made unsigned by mistake.
  func configuredSigner() throws(IncidentError) -> CommitSigner? {
    let config: Config
    do { config = try repository.config() } catch { throw .git(error) }
    return try CommitSigner.configured(
      by: config, environment: environment, interactive: CommitSigner.hasTerminal)
  }

  /// Writes a commit object, signed by `signer` when there is one (as `git commit -S` does:
  /// `git_commit_create_buffer`, the signer's detached signature, then
  /// `git_commit_create_with_signature`), else unsigned (`git_commit_create`). Moves no
  /// reference.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` when signing fails (nothing is written),
  ///   ``IncidentError/git(_:)`` when libgit2 fails.
  func createCommit(
    tree: ObjectID, parents: [ObjectID], author: Signature, committer: Signature,
    message: String, signer: CommitSigner?
  ) throws(IncidentError) -> ObjectID {
    guard let signer else {
      do {
        return try repository.createCommit(
          tree: tree, parents: parents, author: author, committer: committer, message: message)
      } catch { throw .git(error) }
    }
    let content: String
    do {
      content = try repository.commitBuffer(
        tree: tree, parents: parents, author: author, committer: committer, message: message)
    } catch { throw .git(error) }
    let signature = try signer.sign(content, committerEmail: committer.email)
    do {
      return try repository.createCommit(content: content, signature: signature)
    } catch { throw .git(error) }
  }
}
