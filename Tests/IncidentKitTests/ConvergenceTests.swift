import Foundation
import Git
import Testing

@testable import IncidentKit

/// Acceptance 2: any order of syncing between clones converges, and nothing recorded is lost
/// or doubled. Each schedule is a seeded random run: three clones of one bare remote make
/// random changes to shared incidents and sync in a random order; a final round of syncs must
/// leave identical trees, with every event ever recorded present exactly once.
///
/// The clones are bare (no work tree to write) to keep 200 schedules fast; the work-tree side
/// of sync is covered end to end in `SyncAcceptanceTests`. 200 schedules by default; set
/// `GIT_INCIDENT_SCHEDULES` for more (or fewer).
@Suite("Sync convergence")
struct ConvergenceTests {
  static let scheduleCount = Int(ProcessInfo.processInfo.environment["GIT_INCIDENT_SCHEDULES"] ?? "") ?? 200

  /// SplitMix64: a small, seedable generator, so a failing schedule can be replayed.
  struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  /// A clock the test moves by hand.
  final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time = Date(timeIntervalSince1970: 1_795_946_400)  // 2026-11-29T08:00:00Z
    var now: Date { lock.withLock { time } }
    func advance(_ seconds: Int) { lock.withLock { time += TimeInterval(seconds) } }
  }

  struct Clone {
    var store: IncidentStore
    var actor: String
  }

  @Test(arguments: 0..<scheduleCount)
  func randomSchedulesConverge(seed: Int) throws {
    var rng = SeededGenerator(state: UInt64(seed) &* 7919 &+ 17)
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("git-incident-convergence-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let clock = ManualClock()
    let env: [String: String] = [:]

    // The remote and a seed with two shared incidents.
    let remotePath = root.appendingPathComponent("remote.git").path
    _ = try Repository.create(at: remotePath, bare: true)
    let (seedStore, _) = try IncidentStore.initialize(
      at: root.appendingPathComponent("seed").path, prefix: nil, as: "Seed <seed@example.com>", environment: env)
    let seeded = IncidentStore(repository: seedStore.repository, environment: env, clock: { clock.now })
    var recorded: [String: IncidentID] = [:]
    func note(_ result: CommitResult, in store: IncidentStore) throws {
      let commit = try store.repository.commit(result.commit)
      for (key, value) in commit.trailers where key == "Incident-Event" {
        #expect(recorded[value] == nil, "event ids are unique")
        recorded[value] = result.incident
      }
    }
    var incidents: [IncidentID] = []
    for title in ["Checkout down", "Search slow"] {
      let r = try seeded.declare(Declaration(title: title, severity: "SEV3"), as: "Seed <seed@example.com>")
      try note(r, in: seeded)
      incidents.append(r.incident!)
    }
    _ = try seeded.sync(SyncOptions(remote: remotePath))

    var clones: [Clone] = []
    for n in 0..<3 {
      let repo = try Repository.create(at: root.appendingPathComponent("clone\(n).git").path, bare: true)
      try repo.addRemote(named: "origin", url: remotePath)
      let store = IncidentStore(repository: repo, environment: env, clock: { clock.now })
      _ = try store.sync()
      clones.append(Clone(store: store, actor: "Clone \(n) <c\(n)@example.com>"))
    }

    let statuses: [IncidentStatus] = [.active, .mitigated, .resolved, .review]
    let people = ["Ana Lima", "Bo Chen", "Cy Diaz"]
    for step in 0..<14 {
      let c = clones[Int.random(in: 0..<3, using: &rng)]
      clock.advance(Int.random(in: 1...90, using: &rng))
      let known = (try? c.store.incidentIDs(in: c.store.headTree())) ?? []
      guard let id = known.randomElement(using: &rng) else { continue }
      let change: IncidentChange?
      switch Int.random(in: 0..<10, using: &rng) {
      case 0, 1: change = .note("note \(seed)-\(step)", at: nil)
      case 2: change = .severity("SEV\(Int.random(in: 1...4, using: &rng))", note: nil)
      case 3: change = .status(statuses.randomElement(using: &rng)!, at: nil, note: nil, reason: nil)
      case 4: change = .assign(role: "commander", person: people.randomElement(using: &rng)!, at: nil)
      case 5: change = .reopen(at: nil, note: nil)
      case 6:
        let r = try c.store.declare(Declaration(title: "New \(seed)-\(step)", severity: "SEV4"), as: c.actor)
        try note(r, in: c.store)
        change = nil
      default:
        change = nil
        do {
          _ = try c.store.sync(as: c.actor)
        } catch {
          Issue.record("seed \(seed) step \(step): sync failed: \(error)")
          return
        }
      }
      if let change {
        do {
          try note(try c.store.change(id.rawValue, change, as: c.actor), in: c.store)
        } catch let error as IncidentError {
          guard case .refused = error else { throw error }
        }
      }
    }
    // The final round: everyone syncs, then the first two again (the last one's push is the
    // newest tip).
    for n in [0, 1, 2, 0, 1] {
      clock.advance(5)
      _ = try clones[n].store.sync(as: clones[n].actor)
    }
    let tips = try clones.map { try $0.store.repository.referenceTarget("HEAD") }
    let trees = try clones.map { c in try c.store.headTree()!.id }
    #expect(Set(trees).count == 1, "seed \(seed): clones differ (tips \(tips))")

    // Every event recorded anywhere is in its incident's timeline exactly once; every record
    // reads back and keeps the lifecycle's time order.
    let store = clones[0].store
    let tree = try store.headTree()
    var seen: [String: Int] = [:]
    for id in try store.incidentIDs(in: tree) {
      let record = try store.record(id, in: tree)
      #expect(record.incident.times.firstOrderViolation() == nil, "seed \(seed): \(id) times out of order")
      for event in record.timeline.events { seen[event.id, default: 0] += 1 }
    }
    for (event, _) in recorded {
      #expect(seen[event] == 1, "seed \(seed): event \(event) appears \(seen[event] ?? 0) times")
    }
  }
}
