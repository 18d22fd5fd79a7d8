import Foundation
import Testing

@testable import Git

/// The libgit2 wrapper, checked against git's own CLI where it matters.
@Suite("Git repository")
struct RepositoryTests {
  func scratch() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("git-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  func gitCLI(_ args: [String], in dir: URL) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    p.arguments = args
    p.currentDirectoryURL = dir
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  @Test func commitsOnObjectsAndMovesTheBranchWithCompareAndSwap() throws {
    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = try Repository.create(at: dir.path, bare: true)
    guard case .branch(let branch, nil) = try repo.head() else {
      Issue.record("a new repository has an unborn branch")
      return
    }
    let blob = try repo.createBlob(Data("hello\n".utf8))
    #expect(blob.hex == "ce013625030ba8dba906f756967f9e9ca394464a")  // git hash-object of "hello\n"
    let tree = try repo.createTree(updating: nil, with: [.upsert(path: "a/b/c.txt", blob: blob)])
    let sig = Signature(name: "Ana Lima", email: "ana@example.com", date: Date(timeIntervalSince1970: 1_800_000_000))
    let message = "Subject line\n\nIncident: INC-20261129-7K3Q\nIncident-Change: note\n"
    let first = try repo.createCommit(tree: tree, parents: [], author: sig, committer: sig, message: message)
    try repo.updateReference(branch, to: first, expecting: nil, message: "test")
    // A second creation of the same branch from "unborn" must fail: someone got there first.
    #expect(throws: GitError.self) { try repo.updateReference(branch, to: first, expecting: nil, message: "x") }
    let tree2 = try repo.createTree(updating: tree, with: [.upsert(path: "a/d.txt", blob: blob)])
    let second = try repo.createCommit(tree: tree2, parents: [first], author: sig, committer: sig, message: "Two\n")
    // Expecting a stale tip fails with .modified and leaves the branch where it was.
    do {
      try repo.updateReference(branch, to: second, expecting: second, message: "stale")
      Issue.record("a stale compare-and-swap must fail")
    } catch {
      #expect(error.code == .modified)
    }
    #expect(try repo.referenceTarget(branch) == first)
    try repo.updateReference(branch, to: second, expecting: first, message: "ok")
    #expect(try repo.referenceTarget(branch) == second)
    #expect(try gitCLI(["ls-tree", "-r", "--name-only", "HEAD"], in: dir) == "a/b/c.txt\na/d.txt\n")
    #expect(try gitCLI(["fsck", "--strict"], in: dir) == "")
    let commit = try repo.commit(first)
    #expect(commit.trailers.map(\.key) == ["Incident", "Incident-Change"])
    #expect(commit.trailers.map(\.value) == ["INC-20261129-7K3Q", "note"])
    #expect(commit.author == sig)
    #expect(try repo.isAncestor(first, of: second))
    #expect(!(try repo.isAncestor(second, of: first)))
    #expect(Array(try RevWalk(repository: repo, from: second, oldestFirst: true)) == [first, second])
    #expect(try repo.commit(second).tree().entry(atPath: "a/b/c.txt")?.id == blob)
    #expect(try repo.blob(blob) == Data("hello\n".utf8))
  }

  @Test func openingAMissingRepositoryIsNotFound() throws {
    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
      _ = try Repository.open(at: dir.path, search: false)
      Issue.record("expected notFound")
    } catch {
      #expect(error.code == .notFound)
      #expect(error.function == "git_repository_open_ext")
    }
  }

  @Test func objectIDParsesAndPrintsHex() {
    let hex = "ce013625030ba8dba906f756967f9e9ca394464a"
    #expect(ObjectID(hex: hex)?.hex == hex)
    #expect(ObjectID(hex: hex.uppercased())?.hex == hex)
    #expect(ObjectID(hex: "xyz") == nil)
    #expect(ObjectID(hex: hex)?.short(7) == "ce01362")
  }
}
