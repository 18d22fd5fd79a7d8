import Foundation
import Git
import Testing

@testable import IncidentKit

/// Sync through IncidentKit with local bare remotes.
@Suite("Sync store")
struct SyncStoreTests {
  /// Two clones that declared the same ID offline keep both incidents; the move is reported
  /// and both clones agree on it.
  @Test func collidingIDsAreBothKept() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("git-incident-collide-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let remote = root.appendingPathComponent("remote.git").path
    _ = try Repository.create(at: remote, bare: true)
    let (seed, _) = try IncidentStore.initialize(at: root.appendingPathComponent("seed").path, prefix: nil, as: "S <s@x>", environment: [:])
    _ = try seed.sync(SyncOptions(remote: remote))
    let id = IncidentID("INC-20261129-7K3Q")!
    var stores: [IncidentStore] = []
    for (n, title) in ["Checkout down", "Payments slow"].enumerated() {
      let repo = try Repository.create(at: root.appendingPathComponent("c\(n)").path)
      try repo.addRemote(named: "origin", url: remote)
      let store = IncidentStore(repository: repo, environment: [:], clock: { Date(timeIntervalSince1970: 1_795_950_000 + Double(n)) })
      _ = try store.sync()
      let identity = Identity(name: "C\(n)", email: "c\(n)@x")
      _ = try store.commit(identity: identity, guarded: { _ in [] }) { tree throws(IncidentError) in
        let context = Lifecycle.Context(settings: .defaults, actor: identity, now: store.now)
        let (record, message) = try Lifecycle.declare(Declaration(title: title, severity: "SEV2"), id: id, context: context)
        return PendingCommit(files: store.files(of: record), message: message)
      }
      stores.append(store)
    }
    _ = try stores[0].sync(as: "C0 <c0@x>")
    let report = try stores[1].sync(as: "C1 <c1@x>")
    _ = try stores[0].sync(as: "C0 <c0@x>")
    #expect(report.notes.count == 1)
    #expect(report.notes[0].hasPrefix("INC-20261129-7K3Q was declared on both sides as two different incidents; both are kept: "))
    let tree = try stores[0].headTree()
    let ids = try stores[0].incidentIDs(in: tree)
    #expect(ids.count == 2)
    let titles = try ids.map { try stores[0].record($0, in: tree).incident.title }.sorted()
    #expect(titles == ["Checkout down", "Payments slow"])
    #expect(try stores[1].headTree()?.id == tree?.id)
  }
}
