import Foundation
import Testing

@testable import Git

/// The Git module's blob round trip, so the `GitTests` target Package.swift declares has a
/// source folder (git does not keep empty folders, so a fresh clone could not build without it).
@Suite("Git blobs")
struct BlobRoundTripTests {
  @Test func blobWrittenIsReadBackWithGitsHash() throws {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("git-blob-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let repository = try Repository.create(at: path, bare: true)
    let id = try repository.createBlob(Data("hello\n".utf8))
    // `printf 'hello\n' | git hash-object --stdin`
    #expect(id.hex == "ce013625030ba8dba906f756967f9e9ca394464a")
    #expect(try repository.blob(id) == Data("hello\n".utf8))
  }
}
