import Foundation
import Git
import Testing

/// The signing wrappers: a commit written from a buffer with a signature keeps both, byte for
/// byte, and reads back through `git_commit_extract_signature` and git's own `cat-file`.
@Suite("Commit signatures")
struct CommitSignatureTests {
  @Test func signedCommitRoundTrips() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("git-sig-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.create(at: dir.path)
    let blob = try repo.createBlob(Data("hello\n".utf8))
    let tree = try repo.createTree(updating: nil, with: [.upsert(path: "a.txt", blob: blob)])
    let who = Signature(name: "Ana Lima", email: "ana@example.com", date: Date(timeIntervalSince1970: 1_790_000_000))
    let content = try repo.commitBuffer(tree: tree, parents: [], author: who, committer: who, message: "first\n")
    #expect(content == """
      tree \(tree.hex)
      author Ana Lima <ana@example.com> 1790000000 +0000
      committer Ana Lima <ana@example.com> 1790000000 +0000

      first

      """)
    let signature = "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"
    let signed = try repo.createCommit(content: content, signature: signature)
    let unsigned = try repo.createCommit(tree: tree, parents: [], author: who, committer: who, message: "first\n")
    #expect(signed != unsigned)
    let extracted = try #require(try repo.commitSignature(signed))
    #expect(extracted.signature == signature)
    #expect(extracted.signedData == Data(content.utf8))
    #expect(try repo.commitSignature(unsigned) == nil)
    #expect(try repo.commit(signed).summary == "first")

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    process.arguments = ["-C", dir.path, "cat-file", "commit", signed.hex]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let raw = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(raw.contains("gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n"))
  }
}

/// `Tree.changes(from:to:)`: only entries that differ, in git's order, with file-to-folder
/// changes as a removal and an addition.
@Suite("Tree changes")
struct TreeChangesTests {
  @Test func changesListOnlyDifferingEntries() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("git-tree-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.create(at: dir.path)
    let one = try repo.createBlob(Data("1\n".utf8))
    let two = try repo.createBlob(Data("2\n".utf8))
    let old = try repo.tree(try repo.createTree(updating: nil, with: [
      .upsert(path: "a", blob: one), .upsert(path: "b", blob: one), .upsert(path: "c", blob: one),
      .upsert(path: "d/x", blob: one),
    ]))
    let new = try repo.tree(try repo.createTree(updating: old.id, with: [
      .upsert(path: "b", blob: two), .remove(path: "c"), .upsert(path: "c.txt", blob: one),
      .upsert(path: "d/x", blob: two), .upsert(path: "e", blob: one),
    ]))
    let changes = Tree.changes(from: old, to: new)
    #expect(changes.map(\.name) == ["b", "c", "c.txt", "d", "e"])
    #expect(changes[0].old?.id == one && changes[0].new?.id == two)
    #expect(changes[1].new == nil && changes[2].old == nil)
    #expect(changes[3].old?.kind == .tree && changes[3].new?.kind == .tree)
    #expect(Tree.changes(from: nil, to: old).map(\.name) == ["a", "b", "c", "d"])
    #expect(Tree.changes(from: old, to: old).isEmpty)
  }
}
