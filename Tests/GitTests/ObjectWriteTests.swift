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
}
