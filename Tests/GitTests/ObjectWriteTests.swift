import Foundation
import Git
import Testing

/// Writing blobs, trees and commits directly (as the benchmark generator does), checked against
/// git's own CLI.
@Suite("Object writes")
struct ObjectWriteTests {
  @Test func blobsTreesAndCommitsMatchGit() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("objects-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.create(at: dir.path, bare: true)
    let blob = try repo.createBlob(Data("hello\n".utf8))
    #expect(blob.hex == "ce013625030ba8dba906f756967f9e9ca394464a")  // git hash-object
    let tree = try repo.createTree(
      updating: nil,
      with: [.upsert(path: "incidents/2026/A/incident.yaml", blob: blob),
             .upsert(path: "incidents/2026/B/incident.yaml", blob: blob)])
    let root = try repo.tree(tree)
    #expect(root.entry(atPath: "incidents/2026")?.kind == .tree)
    #expect(root.entry(atPath: "incidents/2026/B/incident.yaml")?.id == blob)
    #expect(try root.subtree(atPath: "incidents/2026")?.entries.map(\.name) == ["A", "B"])
    let when = Date(timeIntervalSince1970: 1_796_000_000)
    let sig = Signature(name: "Ana", email: "ana@example.com", date: when)
    let commit = try repo.createCommit(tree: tree, parents: [], author: sig, committer: sig, message: "m\n")
    try repo.updateReference("refs/heads/main", to: commit, expecting: nil, message: "test")

    let git = Process()
    git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    git.arguments = ["-C", dir.path, "ls-tree", "-r", "main"]
    let out = Pipe()
    git.standardOutput = out
    try git.run()
    let listing = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    git.waitUntilExit()
    #expect(listing == """
      100644 blob \(blob.hex)\tincidents/2026/A/incident.yaml
      100644 blob \(blob.hex)\tincidents/2026/B/incident.yaml

      """)
  }

  /// A file staged from its known blob and `lstat` is clean for git: `git diff-files` compares
  /// only stat data, so a wrong field would show the file as modified.
  @Test func indexEntryFromKnownBlobIsCleanForGit() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.create(at: dir.path)
    let data = Data("id: INC-20261129-7K3Q\n".utf8)
    let blob = try repo.createBlob(data)
    #expect(ObjectID.blob(hashing: data) == blob)
    #expect(ObjectID.blob(hashing: Data("hello\n".utf8)).hex == "ce013625030ba8dba906f756967f9e9ca394464a")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("incidents"), withIntermediateDirectories: true)
    try data.write(to: dir.appendingPathComponent("incidents/incident.yaml"))
    let tree = try repo.createTree(updating: nil, with: [.upsert(path: "incidents/incident.yaml", blob: blob)])
    let sig = Signature(name: "Ana", email: "ana@example.com", date: Date(timeIntervalSince1970: 1_796_000_000))
    let commit = try repo.createCommit(tree: tree, parents: [], author: sig, committer: sig, message: "m\n")
    guard case .branch(let branch, _) = try repo.head() else { Issue.record("no branch"); return }
    try repo.updateReference(branch, to: commit, expecting: nil, message: "test")
    let index = try #require(try repo.index())
    try index.add(path: "incidents/incident.yaml", blob: blob, file: dir.path + "/incidents/incident.yaml")
    try index.write()
    #expect(index.entryID(atPath: "incidents/incident.yaml") == blob)
    func git(_ args: [String]) throws -> (Int32, String) {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
      p.arguments = ["-C", dir.path] + args
      let out = Pipe()
      p.standardOutput = out
      try p.run()
      let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      return (p.terminationStatus, text)
    }
    #expect(try git(["diff-files", "--name-only"]) == (0, ""))
    #expect(try git(["status", "--porcelain"]) == (0, ""))
    #expect(try git(["ls-files", "-s"]).1 == "100644 \(blob.hex) 0\tincidents/incident.yaml\n")
  }
}
