import Foundation
internal import CLibgit2

extension Repository {
  /// The bytes of the commit object `createCommit` would write, without writing it: the text a
  /// signer signs (`tree`, `parent`, `author`, `committer` headers, a blank line, the message).
  ///
  /// The corresponding libgit2 function is `git_commit_create_buffer`.
  /// - Throws: ``GitError`` when the tree or a parent does not exist.
  public func commitBuffer(
    tree: ObjectID, parents: [ObjectID], author: Signature, committer: Signature, message: String
  ) throws(GitError) -> String {
    var buffer = git_buf()
    defer { git_buf_dispose(&buffer) }
    try withCommitInputs(tree: tree, parents: parents, author: author, committer: committer) {
      (treePointer, authorSig, committerSig, parentPointers, count) throws(GitError) in
      try check(
        git_commit_create_buffer(
          &buffer, pointer, authorSig, committerSig, nil, message, treePointer, count,
          parentPointers),
        "git_commit_create_buffer")
    }
    return String(decoding: UnsafeRawBufferPointer(start: buffer.ptr, count: buffer.size), as: UTF8.self)
  }

  /// Writes a commit object from `content` (as made by ``commitBuffer(tree:parents:author:committer:message:)``)
  /// with `signature` stored in its `gpgsig` header, as `git commit -S` does; moves no reference.
  ///
  /// - Parameters:
  ///   - content: the unsigned commit text.
  ///   - signature: the armored signature (`-----BEGIN SSH SIGNATURE-----` or
  ///     `-----BEGIN PGP SIGNATURE-----` ...).
  /// - Returns: the new commit's ID.
  /// - Throws: ``GitError`` when the content is not a valid commit.
  ///
  /// The corresponding libgit2 function is `git_commit_create_with_signature`.
  public func createCommit(content: String, signature: String) throws(GitError) -> ObjectID {
    var oid = git_oid()
    try check(
      git_commit_create_with_signature(&oid, pointer, content, signature, nil),
      "git_commit_create_with_signature")
    return ObjectID(oid)
  }

  /// A commit's signature and the exact bytes it signs (the commit without its `gpgsig`
  /// header), or nil when the commit is not signed.
  ///
  /// The corresponding libgit2 function is `git_commit_extract_signature`.
  /// - Throws: ``GitError`` when the commit cannot be read.
  public func commitSignature(_ id: ObjectID) throws(GitError) -> (
    signature: String, signedData: Data
  )? {
    var signature = git_buf()
    var signed = git_buf()
    defer {
      git_buf_dispose(&signature)
      git_buf_dispose(&signed)
    }
    var oid = id.raw
    let rc = git_commit_extract_signature(&signature, &signed, pointer, &oid, nil)
    if rc == GIT_ENOTFOUND.rawValue { return nil }
    try check(rc, "git_commit_extract_signature")
    let sig = String(
      decoding: UnsafeRawBufferPointer(start: signature.ptr, count: signature.size), as: UTF8.self)
    let data = Data(bytes: signed.ptr, count: signed.size)
    return (sig, data)
  }
}
