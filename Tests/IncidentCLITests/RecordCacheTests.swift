import Foundation
import Testing

/// The record cache under `.git/git-incident/` never changes what a command prints: outputs
/// with the cache off, cold, warm, damaged in many ways and written by concurrent processes are
/// byte-for-byte the same.
@Suite("Record cache, end to end")
struct RecordCacheEndToEndTests {
  /// A repository with three incidents made by the tool, one hand-written incident with keys
  /// the tool does not know (never cached), and one invalid record (a warning).
  struct Fixture {
    let box: Sandbox
    let repo: URL
    let ids: [String]

    init() throws {
      box = try Sandbox()
      repo = box.path("repo")
      try box.incident(["init", "-C", repo.path])
      var ids: [String] = []
      for (title, sev) in [("Checkout returns 500s", "SEV2"), ("DNS: résolution lente", "SEV3"),
                           ("Login latency", "SEV1")] {
        let r = try box.incident(
          ["declare", title, "--severity", sev, "--service", "web", "--summary", "Line one\n\nLine two"],
          in: repo)
        ids.append(r.stdout.trimmingCharacters(in: .newlines))
      }
      try box.incident(["note", ids[0], "Rolled back deploy 4f2a"], in: repo)
      try box.incident(["assign", ids[1], "commander", "Bo Chen <bo@example.com>"], in: repo)
      try box.incident(["status", ids[2], "mitigated", "--note", "Failover done"], in: repo)
      let hand = "INC-20250101-HAND"
      let folder = repo.appendingPathComponent("incidents/2025/\(hand)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      try """
        id: \(hand)
        title: Hand written
        kind: outage
        severity: SEV4
        status: active
        custom_field: kept
        reported_at: "2025-01-01T10:00:00Z"
        """.write(to: folder.appendingPathComponent("incident.yaml"), atomically: true, encoding: .utf8)
      try """
        events:
        - id: ev-aaaaaaaaaa
          at: "2025-01-01T10:00:00Z"
          by: Ana
          type: note
          text: hello
          mood: calm
        """.write(to: folder.appendingPathComponent("timeline.yaml"), atomically: true, encoding: .utf8)
      let bad = repo.appendingPathComponent("incidents/2025/INC-20250102-BAD0")
      try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
      try "id: INC-20250102-BAD0\ntitle: Broken\nseverity: SEV2\nstatus: sleeping\n"
        .write(to: bad.appendingPathComponent("incident.yaml"), atomically: true, encoding: .utf8)
      // Times out of order: `history` reads it (and may cache it), `list` and `show` refuse it.
      let late = "INC-20250103-0RD3"
      let lateFolder = repo.appendingPathComponent("incidents/2025/\(late)")
      try FileManager.default.createDirectory(at: lateFolder, withIntermediateDirectories: true)
      try """
        id: \(late)
        title: Out of order
        kind: outage
        severity: SEV3
        status: active
        started_at: "2025-01-03T10:00:00Z"
        detected_at: "2025-01-03T09:00:00Z"
        """.write(to: lateFolder.appendingPathComponent("incident.yaml"), atomically: true, encoding: .utf8)
      try box.git(["add", "incidents"], in: repo)
      try box.git(["commit", "-q", "-m", "Hand edits"], in: repo)
      self.ids = ids + [hand, late]
    }

    var cacheFile: URL { repo.appendingPathComponent(".git/git-incident/cache-v1.bin") }
    var journalFile: URL { repo.appendingPathComponent(".git/git-incident/cache-v1.log") }

    /// Everything the read commands print (stdout, stderr and status of each).
    func outputs(_ env: [String: String] = [:]) throws -> [String] {
      var commands = [["list", "--json"], ["list"], ["list", "--status", "active", "--json"]]
      for id in ids { commands += [["show", id, "--json"], ["show", id], ["history", id, "--json"]] }
      return try commands.map { args in
        let r = try box.incident(args, in: repo, env: env)
        return "\(args) -> \(r.status)\n\(r.stdout)\n\(r.stderr)"
      }
    }
  }

  @Test func outputIsTheSameWithCacheOffColdWarmAndDamaged() throws {
    let f = try Fixture()
    defer { f.box.remove() }
    let reference = try f.outputs(["GIT_INCIDENT_CACHE": "off"])
    #expect(!FileManager.default.fileExists(atPath: f.cacheFile.path), "off means no cache file")
    #expect(reference[0].contains("Checkout returns 500s"))
    #expect(reference[0].contains("'sleeping' is not a status"), "the invalid record is a warning")
    #expect(reference[0].contains("is before started_at"), "the out-of-order record is a warning")
    #expect(reference.last!.hasPrefix("[\"history\", \"INC-20250103-0RD3\", \"--json\"] -> 0"))
    #expect(reference.last!.contains("Out of order"), "history reads the out-of-order record")

    try? FileManager.default.removeItem(at: f.cacheFile.deletingLastPathComponent())
    #expect(try f.outputs() == reference, "cold")
    let written = try Data(contentsOf: f.cacheFile)
    #expect(written.prefix(8) == Data("GITINCC1".utf8), "list wrote the snapshot")
    #expect(written.count > 200)
    #expect(try f.outputs() == reference, "warm")

    var damaged: [(String, Data)] = [
      ("empty", Data()), ("header only", written.prefix(10)), ("half", written.prefix(written.count / 2)),
      ("one byte short", written.dropLast()), ("one byte more", written + Data([0])),
      ("garbage", Data((0..<written.count).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) })),
    ]
    for position in [0, 8, 12, 20, 28, 40, written.count / 3, written.count / 2, written.count - 1] {
      var flipped = written
      flipped[position] ^= 0x5A
      damaged.append(("byte \(position) flipped", flipped))
    }
    var stale = written
    stale[8] = 99  // another format version
    damaged.append(("other version", stale))
    for (name, bytes) in damaged {
      try bytes.write(to: f.cacheFile)
      #expect(try f.outputs() == reference, "\(name)")
      // The next reader repaired it: a valid snapshot again.
      let repaired = try Data(contentsOf: f.cacheFile)
      #expect(repaired.prefix(8) == Data("GITINCC1".utf8), "\(name) repaired")
    }
  }

  /// With every incident cached, `list --json` is printed from the cache's list entries: the
  /// same bytes as with the cache off, cold, warm, after writes and with the snapshot damaged.
  @Test func listJSONFromTheCacheAloneIsTheSameBytes() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    var ids: [String] = []
    for (title, sev) in [("Checkout returns 500s", "SEV2"), ("DNS: résolution lente", "SEV3"), ("Login", "SEV1"), ("Search", "SEV3")] {
      ids.append(try box.incident(["declare", title, "--severity", sev, "--service", "web"], in: repo).stdout
        .trimmingCharacters(in: .newlines))
    }
    try box.incident(["status", ids[2], "mitigated"], in: repo)
    let cacheDir = repo.appendingPathComponent(".git/git-incident")
    func list(_ env: [String: String] = [:]) throws -> String {
      let r = try box.incident(["list", "--json"], in: repo, env: env)
      return "\(r.status)\n\(r.stdout)\n\(r.stderr)"
    }
    var reference = try list(["GIT_INCIDENT_CACHE": "off"])
    #expect(reference.contains("Checkout returns 500s") && reference.hasPrefix("0\n[\n  {"))
    try? FileManager.default.removeItem(at: cacheDir)
    #expect(try list() == reference, "cold")
    #expect(try list() == reference, "warm")
    #expect(try list() == reference, "warm again")
    try box.incident(["note", ids[1], "Resolver flushed"], in: repo)
    try box.incident(["declare", "Late", "--severity", "SEV2"], in: repo)
    reference = try list(["GIT_INCIDENT_CACHE": "off"])
    #expect(try list() == reference, "after writes")
    #expect(try list() == reference, "after writes, warm")
    // A role name outside ASCII, by hand: that record is written by JSONEncoder, the list
    // still comes from the cache.
    let hand = repo.appendingPathComponent("incidents/\(ids[3].dropFirst(4).prefix(4))/\(ids[3])/incident.yaml")
    let text = try String(contentsOf: hand, encoding: .utf8)
    #expect(!text.contains("roles:"))
    try (text + "roles:\n  équipe: Bo Chen <bo@example.com>\n").write(to: hand, atomically: true, encoding: .utf8)
    try box.git(["commit", "-qam", "Hand-added role"], in: repo)
    reference = try list(["GIT_INCIDENT_CACHE": "off"])
    #expect(reference.contains("\"équipe\" : \"Bo Chen <bo@example.com>\""))
    #expect(try list() == reference, "non-ASCII role")
    #expect(try list() == reference, "non-ASCII role, warm")
    let snapshot = cacheDir.appendingPathComponent("cache-v1.bin")
    var written = try Data(contentsOf: snapshot)
    written[written.count / 2] ^= 0x5A
    try written.write(to: snapshot)
    #expect(try list() == reference, "damaged")
    #expect(try list() == reference, "repaired")
  }

  @Test func writesAppendToTheJournalAndReadersCompactIt() throws {
    let f = try Fixture()
    defer { f.box.remove() }
    _ = try f.outputs()  // warm; show and history journal the timelines they parsed
    #expect(FileManager.default.fileExists(atPath: f.journalFile.path))
    try f.box.incident(["list"], in: f.repo)
    #expect(!FileManager.default.fileExists(atPath: f.journalFile.path), "list compacted it")
    let note = try f.box.incident(["note", f.ids[0], "Second note, after the cache was warm"], in: f.repo)
    #expect(note.status == 0, "\(note.stderr)")
    let journal = try Data(contentsOf: f.journalFile)
    #expect(journal.prefix(4) == Data("GIJ1".utf8), "the write journaled what it wrote")
    let reference = try f.outputs(["GIT_INCIDENT_CACHE": "off"])
    #expect(reference.joined().contains("Second note, after the cache was warm"))

    // A journal cut in the middle of a frame is read up to the damage.
    try journal.prefix(journal.count - 5).write(to: f.journalFile)
    let list = try f.box.incident(["list", "--json"], in: f.repo)
    #expect("\(["list", "--json"]) -> \(list.status)\n\(list.stdout)\n\(list.stderr)" == reference[0])
    #expect(!FileManager.default.fileExists(atPath: f.journalFile.path), "list compacted it")
    #expect(try f.outputs() == reference)
  }

  @Test func concurrentReadersAndAWriterAgree() throws {
    let f = try Fixture()
    defer { f.box.remove() }
    let before = try f.box.incident(["list", "--json"], in: f.repo, env: ["GIT_INCIDENT_CACHE": "off"])
    let group = DispatchGroup()
    nonisolated(unsafe) var results: [Sandbox.Run] = Array(repeating: Sandbox.Run(status: -1, stdout: "", stderr: ""), count: 6)
    let lock = NSLock()
    for i in 0..<6 {
      group.enter()
      DispatchQueue.global().async {
        defer { group.leave() }
        let args = i == 5 ? ["note", f.ids[1], "Written while others read"] : ["list", "--json"]
        let r = (try? f.box.incident(args, in: f.repo)) ?? Sandbox.Run(status: -2, stdout: "", stderr: "")
        lock.lock()
        results[i] = r
        lock.unlock()
      }
    }
    group.wait()
    #expect(results[5].status == 0, "\(results[5].stderr)")
    let after = try f.box.incident(["list", "--json"], in: f.repo, env: ["GIT_INCIDENT_CACHE": "off"])
    #expect(before.status == 1, "the invalid record makes list exit 1: \(before.stderr)")
    for r in results.prefix(5) {
      #expect(r.status == before.status)
      #expect(r.stderr == before.stderr)
      #expect(r.stdout == before.stdout || r.stdout == after.stdout, "the tip before or after the note")
    }
    #expect(try f.outputs() == (try f.outputs(["GIT_INCIDENT_CACHE": "off"])))
  }
}
