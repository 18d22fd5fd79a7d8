import Foundation
import Git
import Testing

@testable import IncidentKit

/// `list` parses the records the cache has not seen on several threads; what it returns must
/// not depend on that.
@Suite("Parallel reading of records")
struct ParallelReadTests {
  @Test("many records read in parallel give the same incidents and problems, in ID order")
  func parallelEqualsSerial() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parallel-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = ["HOME": dir.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_INCIDENT_CACHE": "off"]
    let (store, _) = try IncidentStore.initialize(
      at: dir.path, prefix: nil, as: "Ana Lima <ana@example.com>", environment: env)
    let repository = store.repository
    guard case .branch(let branch, let tip) = try repository.head() else {
      Issue.record("HEAD is not a branch")
      return
    }
    let tipTree = try tip.map { try repository.commit($0).tree().id }

    // 600 valid incidents, one with a status that does not exist, one folder with no
    // incident.yaml: enough for every core to get work.
    var updates: [Repository.TreeUpdate] = []
    var expected: [Incident] = []
    let base = Date(timeIntervalSince1970: 1_764_400_000)
    for n in 0..<600 {
      let code = String(format: "%04d", n).map { "ABCDEFGHJK"[String.Index(utf16Offset: Int(String($0))!, in: "ABCDEFGHJK")] }
      let id = try #require(IncidentID("INC-20261129-" + String(code)))
      var incident = Incident(
        id: id, title: "Incident number \(n): ünïcødé", kind: .outage, severity: "SEV\(n % 4 + 1)",
        status: .active)
      incident.summary = "Summary \(n)\nwith two lines"
      incident.services = ["api-\(n % 7)"]
      incident.times.startedAt = base.addingTimeInterval(Double(n))
      expected.append(incident)
      updates.append(.upsert(
        path: RecordPaths.incident(id), blob: try repository.createBlob(RecordCodec.encodeIncident(incident))))
    }
    let broken = try #require(IncidentID("INC-20261129-ZZZZ"))
    let brokenText = "id: INC-20261129-ZZZZ\ntitle: t\nkind: outage\nseverity: SEV2\nstatus: nonsense\n"
    updates.append(.upsert(path: RecordPaths.incident(broken), blob: try repository.createBlob(Data(brokenText.utf8))))
    let empty = try #require(IncidentID("INC-20261129-ZZZY"))
    updates.append(.upsert(path: RecordPaths.timeline(empty), blob: try repository.createBlob(Data("events: []\n".utf8))))
    let tree = try repository.createTree(updating: tipTree, with: updates)
    let ana = Signature(name: "Ana Lima", email: "ana@example.com", date: base)
    let commit = try repository.createCommit(
      tree: tree, parents: tip.map { [$0] } ?? [], author: ana, committer: ana, message: "many\n")
    try repository.updateReference(branch, to: commit, expecting: tip, message: "test")

    let read = try store.incidents(in: try store.headTree())
    #expect(read.incidents.count == 600)
    #expect(read.incidents == expected.sorted { $0.id < $1.id })
    #expect(read.problems.count == 2)
    #expect(read.problems.first?.description
      == "invalid record: incidents/2026/INC-20261129-ZZZY: the folder has no incident.yaml")
    let problem = try #require(read.problems.last?.description)
    #expect(problem.contains("incidents/2026/INC-20261129-ZZZZ/incident.yaml:5:9"))
    #expect(problem.contains("'nonsense' is not a status"))

    // The same items read on one thread give the same outcomes.
    let items = try store.headTree()!.subtree(atPath: "incidents/2026")!.entries.enumerated().map {
      ParallelRead.Item(slot: $0.offset, id: IncidentID($0.element.name)!, folder: $0.element.id, blob: nil)
    }
    let parallel = ParallelRead.run(items, in: repository, settings: Settings.defaults)
    let serial = items.map { ParallelRead.read($0, from: repository, settings: Settings.defaults) }
    #expect(parallel.count == 602)
    #expect(parallel.map(\.folder) == serial.map(\.folder))
    #expect(parallel.map { describe($0.incident) } == serial.map { describe($0.incident) })
  }

  @Test("Parallel.map gives map's results in order, for many items and for few")
  func parallelMap() {
    let many = Array(0..<5_000)
    #expect(Parallel.map(many, itemsPerThread: 64) { "\($0 * 3)" } == many.map { "\($0 * 3)" })
    #expect(Parallel.map([7, 8], itemsPerThread: 64) { $0 + 1 } == [8, 9])
    #expect(Parallel.map([Int](), itemsPerThread: 1) { $0 }.isEmpty)
  }

  private func describe(_ result: Result<Incident, IncidentError>?) -> String {
    switch result {
    case .success(let incident)?: return "\(incident)"
    case .failure(let error)?: return "error: \(error)"
    case nil: return "none"
    }
  }
}
