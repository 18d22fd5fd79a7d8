import Foundation
internal import CLibgit2

extension ObjectID {
  /// The ID git gives a blob with these bytes (`git hash-object`), computed without writing
  /// anything.
  ///
  /// The corresponding libgit2 function is `git_odb_hash`.
  public static func blob(hashing data: Data) -> ObjectID {
    _ = libgit2Initialized
    var oid = git_oid()
    let rc = data.withUnsafeBytes { raw in
      git_odb_hash(&oid, raw.baseAddress, raw.count, GIT_OBJECT_BLOB)
    }
    precondition(rc == 0, "git_odb_hash cannot fail for a blob")
    return ObjectID(oid)
  }
}
