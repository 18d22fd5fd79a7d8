import Foundation
import Git
import IncidentKit

/// A small, fast, seeded random source (SplitMix64), so every run generates the same text and
/// times (IDs and event IDs still come from the tool's own secure random source).
struct SeededRandom: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Realistic incident text, built from word lists.
enum Corpus {
  static let services = [
    "checkout-api", "payments", "search", "auth", "cdn-edge", "postgres-primary", "kafka",
    "billing", "notifications", "mobile-gateway", "inventory", "recommendations", "dns",
    "object-storage", "ci-runners", "ledger",
  ]
  static let regions = ["eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1", "us-west-2"]
  static let people = [
    "Ana Lima <ana@example.com>", "Bo Chen <bo@example.com>", "Chidi Okafor <chidi@example.com>",
    "Dana Kowalski <dana@example.com>", "Eitan Levi <eitan@example.com>",
    "Fatima Zahra <fatima@example.com>", "Goran Petrović <goran@example.com>",
    "Hana Sato <hana@example.com>",
  ]
  static let symptoms = [
    "Elevated 5xx rate on %@", "p99 latency above SLO for %@", "%@ unavailable in %@",
    "Partial outage of %@ after deploy", "Message backlog growing on %@",
    "Certificate expiry broke %@", "%@ returning stale data", "Connection pool exhaustion in %@",
  ]
  static let notes = [
    "Rolled back deploy %@ after error rate doubled; watching dashboards.",
    "Failover to the replica in %@ completed, writes resumed.",
    "Paged the database on-call; replication lag is %@ seconds and falling.",
    "Customer support reports tickets mentioning timeouts at checkout (%@ so far).",
    "Scaled the worker pool from 12 to %@ instances; queue depth is dropping.",
    "Found the feature flag that enabled the new query path; disabled it at %@.",
  ]
  static let summaries = [
    "A configuration change increased connection usage until the pool was exhausted. Requests queued and timed out for about forty minutes.",
    "A deploy introduced an N+1 query on the order history page. Database CPU saturated and unrelated endpoints slowed down.",
    "An expired intermediate certificate on the edge caused TLS handshakes to fail for older clients.",
    "A network partition between availability zones split the consumer group and delayed message processing.",
    "Disk filled on the primary after a runaway log statement; writes failed until space was reclaimed.",
  ]

  static func pick<T>(_ list: [T], _ rng: inout SeededRandom) -> T {
    list[Int(rng.next() % UInt64(list.count))]
  }
}

/// Writes incident repositories directly as git objects (blobs, trees, commits) through the
/// `Git` module: thousands of incidents in seconds, without running the CLI per incident.
struct Generator {
  let tool: String
  let environment: [String: String]
  let scratch: String
  var rng = SeededRandom(seed: 0x1_2026_1129)

  /// What a generated repository holds.
  struct Generated {
    var path: String
    var ids: [IncidentID]
    var commits: Int
    var seconds: Double
  }

  /// Incidents per commit in the generated history (an import-like shape; see README).
  static let perCommit = 10

  mutating func record(index: Int, of count: Int, taken: inout Set<String>) -> IncidentRecord {
    // Declared between 2021-01-01 and 2026-10-31, in order.
    let start = 1_609_459_200.0
    let span = 1_793_404_800.0 - start
    let reported = Date(
      timeIntervalSince1970: (start + span * Double(index) / Double(max(count, 1))).rounded(.down)
        + Double(rng.next() % 3600))
    var id: IncidentID
    repeat {
      id = IncidentID.generate(prefix: "INC", date: reported)
    } while !taken.insert(id.rawValue).inserted
    let service = Corpus.pick(Corpus.services, &rng)
    let region = Corpus.pick(Corpus.regions, &rng)
    let symptom = Corpus.pick(Corpus.symptoms, &rng)
    let title = String(format: symptom, service, region)
    let severity = "SEV\(1 + Int(rng.next() % 4))"
    let roll = rng.next() % 100
    let status: IncidentStatus = roll < 70 ? .resolved : roll < 90 ? .closed : roll < 97 ? .active : .mitigated
    var incident = Incident(id: id, title: title, kind: .outage, severity: severity, status: status)
    incident.summary = Corpus.pick(Corpus.summaries, &rng)
    incident.services = [service] + (rng.next() % 3 == 0 ? [Corpus.pick(Corpus.services, &rng)] : [])
    incident.services = Array(Set(incident.services)).sorted()
    incident.labels = rng.next() % 2 == 0 ? ["customer-impact"] : []
    let commander = Corpus.pick(Corpus.people, &rng)
    let scribe = Corpus.pick(Corpus.people, &rng)
    incident.roles = [Self.role("commander", commander), Self.role("scribe", scribe)]
    let minute = 60.0
    let detected = reported.addingTimeInterval(-Double(rng.next() % 20) * minute)
    incident.times.startedAt = detected.addingTimeInterval(-Double(rng.next() % 45) * minute)
    incident.times.detectedAt = detected
    incident.times.reportedAt = reported
    incident.times.acknowledgedAt = reported.addingTimeInterval(Double(2 + rng.next() % 8) * minute)
    let mitigated = reported.addingTimeInterval(Double(20 + rng.next() % 160) * minute)
    let resolved = mitigated.addingTimeInterval(Double(30 + rng.next() % 300) * minute)
    if status != .active { incident.times.mitigatedAt = mitigated }
    if status == .resolved || status == .closed { incident.times.resolvedAt = resolved }
    if status == .closed { incident.times.closedAt = resolved.addingTimeInterval(7 * 86_400) }
    incident.declaredBy = Corpus.pick(Corpus.people, &rng)

    var events: [TimelineEvent] = []
    var declared = TimelineEvent(at: reported, by: incident.declaredBy!, type: "declared", text: title)
    declared.to = severity
    events.append(declared)
    var role = TimelineEvent(at: incident.times.acknowledgedAt!, by: commander, type: "role")
    role.role = "commander"
    role.to = commander
    events.append(role)
    let hex = String(rng.next() % 0xFFFFFF, radix: 16)
    events.append(TimelineEvent(
      at: incident.times.acknowledgedAt!.addingTimeInterval(5 * minute), by: scribe, type: "note",
      text: String(format: Corpus.pick(Corpus.notes, &rng), hex)))
    var update = TimelineEvent(
      at: incident.times.acknowledgedAt!.addingTimeInterval(10 * minute), by: commander,
      type: "update",
      text: "We are investigating \(title.lowercased()). Next update in 30 minutes.")
    update.audience = "external"
    events.append(update)
    if status == .active {
      events.append(TimelineEvent(
        at: incident.times.acknowledgedAt!.addingTimeInterval(15 * minute), by: scribe,
        type: "note", text: String(format: Corpus.pick(Corpus.notes, &rng), region)))
    } else {
      var s = TimelineEvent(at: mitigated, by: commander, type: "status", text: "Error rate back to baseline.")
      s.from = "active"
      s.to = "mitigated"
      events.append(s)
    }
    return IncidentRecord(incident: incident, timeline: Timeline(events: events))
  }

  /// A role assignment (its memberwise initialiser is internal to IncidentKit; it is
  /// `Codable`, so it is built from its JSON form).
  static func role(_ role: String, _ person: String) -> RoleAssignment {
    let json = try! JSONSerialization.data(withJSONObject: ["role": role, "person": person])
    return try! JSONDecoder().decode(RoleAssignment.self, from: json)
  }

  /// Creates an incident repository with `count` incidents at `path`: `git incident init`, then
  /// the records written as objects, `count / perCommit` commits; then packed (`git repack`) and
  /// checked out (`git reset --hard`) as a long-lived clone would be.
  mutating func repository(count: Int, at path: String) throws -> Generated {
    let started = Spawn.monotonic()
    let initRun = try Spawn.run([tool, "init", "-C", path], environment: environment, scratch: scratch)
    guard initRun.status == 0 else { throw BenchError("git incident init failed: \(initRun.stderr)") }
    let repo = try Repository.open(at: path)
    guard case .branch(let branch, let first?) = try repo.head() else {
      throw BenchError("no initial commit in \(path)")
    }
    var tip = first
    var tree = try repo.commit(first).tree().id
    var taken = Set<String>()
    var ids: [IncidentID] = []
    var updates: [Repository.TreeUpdate] = []
    var batch: [IncidentRecord] = []
    var commits = 1
    func flush() throws {
      guard !batch.isEmpty else { return }
      tree = try repo.createTree(updating: tree, with: updates)
      let when = batch.last!.incident.times.reportedAt!
      let who = Signature(name: "Ana Lima", email: "ana@example.com", date: when)
      let names = batch.map(\.incident.id.rawValue)
      let message = "\(names[0]): imported \(names.count) incidents\n\n"
        + names.map { "Incident: \($0)\n" }.joined() + "Incident-Change: import\n"
      tip = try repo.createCommit(tree: tree, parents: [tip], author: who, committer: who, message: message)
      commits += 1
      updates = []
      batch = []
    }
    for i in 0..<count {
      let record = record(index: i, of: count, taken: &taken)
      ids.append(record.incident.id)
      for file in record.canonicalFiles {
        updates.append(.upsert(path: file.path, blob: try repo.createBlob(file.data)))
      }
      batch.append(record)
      if batch.count == Self.perCommit { try flush() }
    }
    try flush()
    try repo.updateReference(branch, to: tip, expecting: first, message: "incident-bench: generated")
    for args in [["repack", "-a", "-d", "-q"], ["prune-packed"], ["reset", "-q", "--hard"]] {
      let r = try Spawn.run(["/usr/bin/git", "-C", path] + args, environment: environment, scratch: scratch)
      guard r.status == 0 else { throw BenchError("git \(args[0]) failed: \(r.stderr)") }
    }
    return Generated(path: path, ids: ids, commits: commits, seconds: Spawn.monotonic() - started)
  }

  /// `count` postmortems as Markdown with YAML front matter (the icco/postmortems layout that
  /// `import markdown` reads), one file each, in `folder`.
  mutating func markdown(count: Int, in folder: String) throws -> [String] {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var names: [String] = []
    for i in 0..<count {
      let start = Date(timeIntervalSince1970: 1_609_459_200 + Double(i) * 3_600 * 5)
      let end = start.addingTimeInterval(Double(1 + rng.next() % 6) * 3_600)
      let service = Corpus.pick(Corpus.services, &rng)
      let title = String(format: Corpus.pick(Corpus.symptoms, &rng), service, Corpus.pick(Corpus.regions, &rng))
      let name = String(format: "pm-%06d.md", i)
      let text = """
        ---
        uuid: bench-\(i)
        title: "\(title)"
        start_time: \(RFC3339.format(start))
        end_time: \(RFC3339.format(end))
        categories:
        - cloud
        company: Example Corp
        product: \(service)
        summary: "\(Corpus.pick(Corpus.summaries, &rng))"
        ---

        \(Corpus.pick(Corpus.summaries, &rng))

        ## Timeline

        - \(RFC3339.format(start)): \(String(format: Corpus.pick(Corpus.notes, &rng), "a1b2c3"))
        - \(RFC3339.format(end)): service restored.

        ## Root cause

        \(Corpus.pick(Corpus.summaries, &rng))

        """
      try text.write(toFile: folder + "/" + name, atomically: false, encoding: .utf8)
      names.append(name)
    }
    return names
  }

  /// A `git fast-import` stream committing the files one per commit on `refs/heads/main`.
  static func fastImportStream(folder: String, names: [String]) throws -> Data {
    var out = Data()
    for (i, name) in names.enumerated() {
      let content = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
      let message = "Import \(name)\n"
      out += Data("commit refs/heads/main\ncommitter Ana Lima <ana@example.com> \(1_700_000_000 + i) +0000\ndata \(message.utf8.count)\n\(message)".utf8)
      out += Data("M 100644 inline postmortems/\(name)\ndata \(content.count)\n".utf8)
      out += content
      out += Data("\n".utf8)
    }
    return out
  }
}
