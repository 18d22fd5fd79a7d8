import Foundation
import Git
import Testing

/// `git_merge_file` and `git_merge_base` through the wrapper.
@Suite("Git merge")
struct MergeTests {
  @Test func textMergeCombinesSeparateEditsAndMarksConflicts() throws {
    let base = Data("a\nb\nc\nd\ne\n".utf8)
    let ours = Data("A\nb\nc\nd\ne\n".utf8)
    let theirs = Data("a\nb\nc\nd\nE\n".utf8)
    let clean = try TextMerge.merge(ancestor: base, ours: ours, theirs: theirs)
    #expect(clean.isClean)
    #expect(String(decoding: clean.text, as: UTF8.self) == "A\nb\nc\nd\nE\n")
    let conflict = try TextMerge.merge(ancestor: base, ours: ours, theirs: Data("X\nb\nc\nd\ne\n".utf8))
    #expect(!conflict.isClean)
    #expect(String(decoding: conflict.text, as: UTF8.self) == "<<<<<<< ours\nA\n=======\nX\n>>>>>>> theirs\nb\nc\nd\ne\n")
  }

  @Test func mergeBaseFindsTheForkPoint() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("git-merge-base-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.create(at: dir.path, bare: true)
    let sig = Signature(name: "A", email: "a@x", date: Date(timeIntervalSince1970: 1_700_000_000))
    let tree = try repo.emptyTreeID()
    let root = try repo.createCommit(tree: tree, parents: [], author: sig, committer: sig, message: "root\n")
    let left = try repo.createCommit(tree: tree, parents: [root], author: sig, committer: sig, message: "left\n")
    let right = try repo.createCommit(tree: tree, parents: [root], author: sig, committer: sig, message: "right\n")
    #expect(try repo.mergeBase(left, right) == root)
    let lonely = try repo.createCommit(tree: tree, parents: [], author: sig, committer: sig, message: "other root\n")
    #expect(try repo.mergeBase(left, lonely) == nil)
  }
}
