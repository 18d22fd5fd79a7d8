import Foundation
import Testing

@testable import Git

/// Importers rely on commits whose author date is in the past while the committer date is now.
@Suite("Author dates")
struct AuthorDateTests {
  @Test func createCommitKeepsAuthorAndCommitterDatesApart() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("git-tests-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let repository = try Repository.create(at: folder.path, bare: true)
    let blob = try repository.createBlob(Data("x\n".utf8))
    let tree = try repository.createTree(updating: nil, with: [.upsert(path: "a/b.txt", blob: blob)])
    let authored = Date(timeIntervalSince1970: 1_304_093_400)  // 2011-04-29T16:10:00Z
    let committed = Date(timeIntervalSince1970: 1_700_000_000)
    let id = try repository.createCommit(
      tree: tree, parents: [],
      author: Signature(name: "A", email: "a@example.com", date: authored),
      committer: Signature(name: "C", email: "c@example.com", date: committed),
      message: "m\n")
    let commit = try repository.commit(id)
    #expect(commit.author.date == authored)
    #expect(commit.committer.date == committed)
    #expect(commit.author.name == "A")
    #expect(try commit.tree().entry(atPath: "a/b.txt")?.id == blob)
  }
}
