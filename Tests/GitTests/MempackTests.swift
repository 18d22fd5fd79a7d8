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
    let blobs = try writer.withObjectsInMemory { () throws(GitError) -> [ObjectID] in
      var ids: [ObjectID] = []
      for n in 0..<50 { ids.append(try writer.createBlob(Data("blob \(n)\n".utf8))) }
      return ids
    }
    let packs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("objects/pack").path)
    #expect(packs.filter { $0.hasSuffix(".pack") }.count == 1)
    #expect(packs.filter { $0.hasSuffix(".idx") }.count == 1)
    let loose = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("objects").path)
      .filter { $0.count == 2 }
    #expect(loose.isEmpty, "no loose objects: \(loose)")
    let reader = try Repository.open(at: folder.path, search: false)
    #expect(try reader.blob(blobs[49]) == Data("blob 49\n".utf8))
  }
}
