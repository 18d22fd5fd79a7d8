import Foundation
import Testing

@testable import Git

@Suite("Objects written in memory, then as one pack")
struct MempackTests {
  @Test func objectsLandInOnePackReadableByAnotherHandle() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("git-tests-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    _ = try Repository.create(at: folder.path, bare: true)
    let writer = try Repository.open(at: folder.path, search: false)
    let (blobs, unreachable) = try writer.withObjectsInMemory { () throws(GitError) -> ([ObjectID], ObjectID) in
      var ids: [ObjectID] = []
      for n in 0..<50 { ids.append(try writer.createBlob(Data("blob \(n)\n".utf8))) }
      let tree = try writer.createTree(
        updating: nil, with: ids.enumerated().map { .upsert(path: "d/\($0.offset).txt", blob: $0.element) })
      let who = Signature(name: "A", email: "a@example.com")
      _ = try writer.createCommit(tree: tree, parents: [], author: who, committer: who, message: "m\n")
      return (ids, try writer.createBlob(Data("unreachable\n".utf8)))
    }
    let packs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("objects/pack").path)
    #expect(packs.filter { $0.hasSuffix(".pack") }.count == 1)
    #expect(packs.filter { $0.hasSuffix(".idx") }.count == 1)
    let loose = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("objects").path)
      .filter { $0.count == 2 }
    #expect(loose.isEmpty, "no loose objects: \(loose)")
    let reader = try Repository.open(at: folder.path, search: false)
    #expect(try reader.blob(blobs[49]) == Data("blob 49\n".utf8))
    #expect((try? reader.blob(unreachable)) == nil, "libgit2 packs only what the new commits reach")
  }
}
