import Foundation
import Testing

@testable import Git

@Suite("Objects written in memory, then as one pack")
struct MempackTests {
  /// A bare scratch repository, removed by the caller.
  static func scratch() throws -> URL {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("git-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    _ = try Repository.create(at: folder.path, bare: true)
    return folder
  }

  @Test func listedObjectsLandInOnePackReadableByAnotherHandle() throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let repo = try Repository.open(at: folder.path, search: false)
    let (blobs, commit, unlisted) = try repo.withObjectsInMemory(copying: []) {
      (writer: Repository, pack: inout [PackedObject]) throws(GitError) -> ([ObjectID], ObjectID, ObjectID) in
      var ids: [ObjectID] = []
      for n in 0..<50 {
        let blob = try writer.createBlob(Data("blob \(n)\n".utf8))
        ids.append(blob)
        pack.append(PackedObject(id: blob, path: "d/\(n).txt"))
      }
      let chain = try TreeChain(repository: writer, base: nil)
      let (tree, trees) = try chain.write(ids.enumerated().map { ("d/\($0.offset).txt", $0.element) })
      pack += trees.map { PackedObject(id: $0.id, path: $0.path) }
      let who = Signature(name: "A", email: "a@example.com")
      let commit = try writer.createCommit(tree: tree, parents: [], author: who, committer: who, message: "m\n")
      pack.append(PackedObject(id: commit, path: nil))
      return (ids, commit, try writer.createBlob(Data("not listed\n".utf8)))
    }
    let packs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("objects/pack").path)
    #expect(packs.filter { $0.hasSuffix(".pack") }.count == 1)
    #expect(packs.filter { $0.hasSuffix(".idx") }.count == 1)
    let loose = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("objects").path)
      .filter { $0.count == 2 }
    #expect(loose.isEmpty, "no loose objects: \(loose)")
    let reader = try Repository.open(at: folder.path, search: false)
    #expect(try reader.blob(blobs[49]) == Data("blob 49\n".utf8))
    #expect(try reader.commit(commit).tree().entry(atPath: "d/7.txt")?.id == blobs[7])
    #expect((try? reader.blob(unlisted)) == nil, "only the listed objects are packed")
    // git's CLI: the pack holds exactly 50 blobs, 2 trees and 1 commit, and the commit is whole.
    try reader.updateReference("refs/heads/main", to: commit, expecting: nil, message: "test")
    let pack = packs.first { $0.hasSuffix(".idx") }!
    let verify = try Self.git(["verify-pack", "-v", folder.appendingPathComponent("objects/pack/\(pack)").path], in: folder)
    let kinds = verify.split(separator: "\n").compactMap { line -> String? in
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      return fields.count >= 3 && fields[0].count == 40 ? "\(fields[1])" : nil
    }
    #expect(kinds.filter { $0 == "blob" }.count == 50)
    #expect(kinds.filter { $0 == "tree" }.count == 2)
    #expect(kinds.filter { $0 == "commit" }.count == 1)
    #expect(try Self.git(["fsck", "--strict", "--no-dangling"], in: folder) == "")
  }

  @Test func nothingIsWrittenWhenTheBodyThrows() throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let repo = try Repository.open(at: folder.path, search: false)
    var blob: ObjectID?
    #expect(throws: GitError.self) {
      try repo.withObjectsInMemory(copying: []) { (writer: Repository, pack: inout [PackedObject]) throws(GitError) in
        blob = try writer.createBlob(Data("kept only in memory\n".utf8))
        pack.append(PackedObject(id: blob!, path: "f"))
        throw GitError(code: .user, function: "test", message: "refused")
      }
    }
    let packs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("objects/pack").path)
    #expect(packs.isEmpty)
    #expect((try? Repository.open(at: folder.path, search: false).blob(try #require(blob))) == nil)
  }

  /// A commit on top of one already on disk: the parent is copied into memory (so libgit2 finds
  /// it), not packed again; the pack and the loose objects together make a whole history.
  @Test func aParentOnDiskIsReadNotPacked() throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let repo = try Repository.open(at: folder.path, search: false)
    let who = Signature(name: "A", email: "a@example.com")
    let first = try repo.createBlob(Data("first\n".utf8))
    let base = try repo.createTree(updating: nil, with: [.upsert(path: "a/first.txt", blob: first)])
    let parent = try repo.createCommit(tree: base, parents: [], author: who, committer: who, message: "one\n")
    let child = try repo.withObjectsInMemory(copying: [parent]) {
      (writer: Repository, pack: inout [PackedObject]) throws(GitError) -> ObjectID in
      #expect(try writer.commit(parent).message == "one\n")
      #expect((try? writer.blob(first)) == nil, "the handle sees only what is in memory")
      let second = try writer.createBlob(Data("second\n".utf8))
      pack.append(PackedObject(id: second, path: "a/second.txt"))
      let chain = try TreeChain(repository: writer, reading: repo, base: base)
      let (tree, trees) = try chain.write([("a/second.txt", second)])
      pack += trees.map { PackedObject(id: $0.id, path: $0.path) }
      let child = try writer.createCommit(tree: tree, parents: [parent], author: who, committer: who, message: "two\n")
      pack.append(PackedObject(id: child, path: nil))
      return child
    }
    try repo.updateReference("refs/heads/main", to: child, expecting: nil, message: "test")
    let packs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("objects/pack").path)
    let index = try #require(packs.first { $0.hasSuffix(".idx") })
    let listed = try Self.git(["verify-pack", "-v", folder.appendingPathComponent("objects/pack/\(index)").path], in: folder)
      .split(separator: "\n").compactMap { line -> String? in
        let fields = line.split(separator: " ")
        return fields.count >= 3 && fields[0].count == 40 ? "\(fields[0])" : nil
      }
    #expect(listed.count == 4, "the new blob, the two trees and the commit: \(listed)")
    #expect(!listed.contains(parent.hex) && !listed.contains(first.hex))
    #expect(try Self.git(["log", "--format=%s", "main"], in: folder) == "two\none\n")
    #expect(try Self.git(["ls-tree", "-r", "--name-only", "main"], in: folder) == "a/first.txt\na/second.txt\n")
    #expect(try Self.git(["fsck", "--strict", "--no-dangling"], in: folder) == "")
  }

  /// A batch sealed into parts: one pack per part, each holding exactly its part's objects,
  /// written while the next part is; together with the ones before they make the whole history
  /// (each part's first commit has its parent in the part before, kept through the seal).
  @Test func aBatchInPartsIsOnePackPerPart() throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let repo = try Repository.open(at: folder.path, search: false)
    let who = Signature(name: "A", email: "a@example.com")
    var perPart: [Set<String>] = [[]]
    let commits = try repo.withObjectBatch(copying: []) { (batch: ObjectBatch) throws(GitError) -> [ObjectID] in
      let chain = try TreeChain(repository: batch.writer, base: nil)
      var commits: [ObjectID] = []
      for n in 0..<30 {
        let blob = try batch.writer.createBlob(Data("file \(n)\n".utf8))
        let (tree, trees) = try chain.write([("d/\(n).txt", blob)])
        let commit = try batch.writer.createCommit(
          tree: tree, parents: commits.suffix(1), author: who, committer: who, message: "c\(n)\n")
        let objects = [PackedObject(id: blob, path: "d/\(n).txt")] + trees.map { PackedObject(id: $0.id, path: $0.path) }
          + [PackedObject(id: commit, path: nil)]
        batch.list(objects)
        perPart[perPart.count - 1].formUnion(objects.map(\.id.hex))
        commits.append(commit)
        if n == 9 || n == 19 {
          try batch.seal(keeping: [commit])
          perPart.append([])
          #expect((try? batch.writer.blob(blob)) == nil, "a sealed part is no longer in memory")
          #expect(try batch.writer.commit(commit).message == "c\(n)\n", "the kept commit is")
        }
      }
      return commits
    }
    try repo.updateReference("refs/heads/main", to: commits[29], expecting: nil, message: "test")
    let indexes = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("objects/pack").path)
      .filter { $0.hasSuffix(".idx") }
    #expect(indexes.count == 3)
    var packed: [Set<String>] = []
    for index in indexes {
      packed.append(Set(try Self.git(["verify-pack", "-v", folder.appendingPathComponent("objects/pack/\(index)").path], in: folder)
        .split(separator: "\n").compactMap { line -> String? in
          let fields = line.split(separator: " ")
          return fields.count >= 3 && fields[0].count == 40 ? "\(fields[0])" : nil
        }))
    }
    #expect(Set(packed) == Set(perPart), "each pack holds exactly one part's objects")
    #expect(perPart.map(\.count) == [10 * 4, 10 * 4, 10 * 4], "per commit a blob, two trees and the commit")
    #expect(try Self.git(["rev-list", "--count", "main"], in: folder) == "30\n")
    #expect(try Self.git(["ls-tree", "--name-only", "main", "d/"], in: folder).split(separator: "\n").count == 30)
    #expect(try Self.git(["fsck", "--strict", "--no-dangling"], in: folder) == "")
  }

  /// A body that throws after a seal: the current part is dropped; the sealed part may be on
  /// disk, but nothing refers to it and the repository stays whole.
  @Test func aThrowAfterASealDropsTheCurrentPart() throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let repo = try Repository.open(at: folder.path, search: false)
    var late: ObjectID?
    #expect(throws: GitError.self) {
      try repo.withObjectBatch(copying: []) { (batch: ObjectBatch) throws(GitError) in
        let early = try batch.writer.createBlob(Data("early\n".utf8))
        batch.list([PackedObject(id: early, path: "e")])
        try batch.seal(keeping: [])
        late = try batch.writer.createBlob(Data("late\n".utf8))
        batch.list([PackedObject(id: late!, path: "l")])
        throw GitError(code: .user, function: "test", message: "refused")
      }
    }
    #expect((try? Repository.open(at: folder.path, search: false).blob(try #require(late))) == nil)
    let indexes = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("objects/pack").path)
      .filter { $0.hasSuffix(".idx") }
    #expect(indexes.count <= 1)
    #expect(try Self.git(["fsck", "--strict", "--no-dangling"], in: folder).isEmpty)
  }

  /// Runs git's CLI in `folder` and returns its standard output.
  static func git(_ arguments: [String], in folder: URL) throws -> String {
    let git = Process()
    git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    git.arguments = ["-C", folder.path] + arguments
    let out = Pipe()
    git.standardOutput = out
    try git.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    git.waitUntilExit()
    #expect(git.terminationStatus == 0, "git \(arguments.joined(separator: " "))")
    return text
  }
}

@Suite("Tree chains")
struct TreeChainTests {
  /// Every tree of a chain is the tree `git_tree_create_updated` makes from the previous one:
  /// new folders, a growing folder, a replaced file, a start from an existing tree.
  @Test func eachTreeEqualsTheUpdatedTree() throws {
    let folder = try MempackTests.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let repo = try Repository.open(at: folder.path, search: false)
    func blob(_ s: String) throws -> ObjectID { try repo.createBlob(Data(s.utf8)) }
    let base = try repo.createTree(
      updating: nil,
      with: [.upsert(path: "git-incident.yaml", blob: try blob("s\n")),
             .upsert(path: "incidents/2025/INC-1/incident.yaml", blob: try blob("a\n"))])
    let steps: [[(path: String, blob: ObjectID)]] = [
      [("incidents/2026/INC-2/incident.yaml", try blob("b\n")), ("incidents/2026/INC-2/timeline.yaml", try blob("c\n"))],
      [("incidents/2026/INC-3/incident.yaml", try blob("d\n"))],
      [("incidents/2026/INC-2/incident.yaml", try blob("b2\n"))],
      [("incidents/2025/INC-1/postmortem.md", try blob("p\n")), ("README", try blob("r\n"))],
      [("incidents/2026/INC-2-/x", try blob("sorts after INC-2 as a file name, before as a folder\n"))],
    ]
    let chain = try TreeChain(repository: repo, base: base)
    var expected = base
    for step in steps {
      expected = try repo.createTree(updating: expected, with: step.map { .upsert(path: $0.path, blob: $0.blob) })
      let (tree, written) = try chain.write(step)
      #expect(tree == expected)
      #expect(written.last == TreeChain.Written(id: tree, path: ""))
      // Each folder on a written path is written once, deepest first, with the ID it has in the tree.
      let root = try repo.tree(tree)
      for w in written.dropLast() {
        #expect(root.entry(atPath: w.path)?.id == w.id, "\(w.path)")
      }
      let folders = Set(step.flatMap { file -> [String] in
        let parts = file.path.split(separator: "/").dropLast()
        return parts.indices.map { parts[...$0].joined(separator: "/") }
      })
      #expect(Set(written.dropLast().map(\.path)) == folders)
    }
    #expect(throws: GitError.self) { try chain.write([("git-incident.yaml/x", try blob("x\n"))]) }
    let empty = try TreeChain(repository: repo, base: nil)
    #expect(try empty.write([]).tree == repo.emptyTreeID())
  }
}
