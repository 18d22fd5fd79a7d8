import Foundation
import Git
import Testing

@testable import IncidentKit

@Suite("Record cache")
struct RecordCacheTests {
  static func fullIncident() -> Incident {
    var i = Incident(
      id: IncidentID("INC-20261129-7K3Q")!, title: "Checkout — 500s 🚒", kind: .security,
      severity: "SEV2", status: .contained)
    i.summary = "Line one\n\nLine \"two\""
    i.services = ["checkout", "payments"]
    i.labels = []
    i.roles = [RoleAssignment(role: "commander", person: "Ana Lima <ana@example.com>"),
               RoleAssignment(role: "scribe", person: "")]
    i.times.startedAt = Date(timeIntervalSince1970: 1_796_000_000.125)
    i.times.detectedAt = Date(timeIntervalSince1970: 1_796_000_060)
    i.times.containedAt = Date(timeIntervalSinceReferenceDate: -1e9)
    i.declinedReason = nil
    i.declaredBy = "Bo Chen <bo@example.com>"
    i.source = IncidentSource(system: "statuspage", id: "p3dlswx26qvk")
    return i
  }

  static func timeline() -> Timeline {
    var e1 = TimelineEvent(at: Date(timeIntervalSince1970: 1_796_000_000), by: "Ana", type: "declared")
    e1.to = "SEV2"
    var e2 = TimelineEvent(at: Date(timeIntervalSince1970: 1_796_000_100.5), by: "", type: "update", text: "ça va\nmieux")
    e2.audience = "external"
    e2.reason = "x"
    e2.from = ""
    e2.role = "commander"
    return Timeline(events: [e1, e2])
  }

  @Test func recordsRoundTripExactly() throws {
    let incident = Self.fullIncident()
    let bytes = try #require(CacheCoding.encode(incident))
    var r = ByteReader(bytes)
    #expect(try CacheCoding.decodeIncident(&r) == incident)
    #expect(r.isAtEnd)
    let timeline = Self.timeline()
    let tbytes = try #require(CacheCoding.encode(timeline))
    var t = ByteReader(tbytes)
    #expect(try CacheCoding.decodeTimeline(&t) == timeline)
    #expect(Timeline().events.isEmpty)
    var empty = ByteReader(try #require(CacheCoding.encode(Timeline())))
    #expect(try CacheCoding.decodeTimeline(&empty) == Timeline())
  }

  /// The binary form must hold every stored property: this fails when a field is added to
  /// the model without adding it to `CacheCoding` (the round trip above would not notice).
  @Test func cacheCodingKnowsEveryField() {
    #expect(Mirror(reflecting: Self.fullIncident()).children.map { $0.label ?? "" } == [
      "id", "title", "kind", "severity", "status", "summary", "services", "labels", "roles",
      "times", "declinedReason", "declaredBy", "source", "extra",
    ])
    #expect(Mirror(reflecting: IncidentTimes()).children.count == IncidentTimes.fields.count)
    #expect(Mirror(reflecting: Self.timeline().events[0]).children.map { $0.label ?? "" } == [
      "id", "at", "by", "type", "text", "from", "to", "role", "audience", "reason", "extra",
    ])
    #expect(Mirror(reflecting: Timeline()).children.map { $0.label ?? "" } == ["events", "extra"])
  }

  @Test func recordsWithUnknownKeysAreNotCached() throws {
    let data = Data("id: INC-20261129-7K3Q\ntitle: T\nseverity: SEV1\nstatus: active\nmine: 1\n".utf8)
    let incident = try RecordCodec.decodeIncident(data, file: "x")
    #expect(incident.extra.map(\.key) == ["mine"])
    #expect(CacheCoding.encode(incident) == nil)
    var timeline = Self.timeline()
    timeline.events[1].extra = incident.extra
    #expect(CacheCoding.encode(timeline) == nil)
  }

  @Test func everyTruncationIsRejectedWithoutReadingPastTheEnd() throws {
    let bytes = try #require(CacheCoding.encode(Self.fullIncident()))
    for length in 0..<bytes.count {
      var r = ByteReader(Array(bytes.prefix(length)))
      #expect(throws: ByteReader.Invalid.self) { try CacheCoding.decodeIncident(&r) }
    }
    let tbytes = try #require(CacheCoding.encode(Self.timeline()))
    for length in 0..<tbytes.count {
      var r = ByteReader(Array(tbytes.prefix(length)))
      #expect(throws: ByteReader.Invalid.self) { try CacheCoding.decodeTimeline(&r) }
    }
  }

  /// The cache is really read: an entry planted for the incident's blob is what `list` and
  /// `show` return, and `GIT_INCIDENT_CACHE=off` ignores it.
  @Test func queriesUseTheCacheAndOffIgnoresIt() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = ["HOME": dir.path, "GIT_CONFIG_NOSYSTEM": "1"]
    let (store, _) = try IncidentStore.initialize(
      at: dir.path, prefix: nil, as: "Ana Lima <ana@example.com>", environment: env)
    let declared = try store.declare(Declaration(title: "Real title", severity: "SEV3"), as: "Ana Lima <ana@example.com>")
    let id = try #require(declared.incident)

    let first = IncidentStore(repository: try Repository.open(at: dir.path), environment: env)
    let tree = try first.headTree()
    #expect(try first.incidents(in: tree).incidents.map(\.title) == ["Real title"])
    let snapshot = dir.appendingPathComponent(".git/git-incident/cache-v1.bin")
    #expect(FileManager.default.fileExists(atPath: snapshot.path))

    let blob = try #require(tree?.entry(atPath: RecordPaths.incident(id))?.id)
    let planted = RecordCache(gitDirectory: first.repository.gitDirectory, environment: env)
    var forged = try #require(planted.incident(blob), "the declare journaled the incident")
    #expect(forged.title == "Real title")
    forged.title = "From the cache"
    planted.add(forged, blob: blob)
    planted.writeSnapshot(keeping: nil)

    let second = IncidentStore(repository: try Repository.open(at: dir.path), environment: env)
    #expect(try second.incidents(in: tree).incidents.map(\.title) == ["From the cache"])
    #expect(try second.record(id, in: tree).incident.title == "From the cache")
    let off = IncidentStore(
      repository: try Repository.open(at: dir.path), environment: env.merging(["GIT_INCIDENT_CACHE": "off"]) { $1 })
    #expect(try off.incidents(in: tree).incidents.map(\.title) == ["Real title"])
    #expect(try off.record(id, in: tree).incident.title == "Real title")
  }

  /// A journal at its size limit is started afresh by the next write, which journals its own
  /// records in it: every command reads the whole journal, and only reads of all incidents
  /// compact it.
  @Test func aJournalAtItsLimitIsStartedAfreshByTheNextWrite() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = ["HOME": dir.path, "GIT_CONFIG_NOSYSTEM": "1"]
    let (store, _) = try IncidentStore.initialize(
      at: dir.path, prefix: nil, as: "Ana Lima <ana@example.com>", environment: env)
    let id = try #require(try store.declare(Declaration(title: "Long", severity: "SEV3"), as: "Ana Lima <ana@example.com>").incident)
    let journal = dir.appendingPathComponent(".git/git-incident/cache-v1.log")
    let declared = try #require(try FileManager.default.attributesOfItem(atPath: journal.path)[.size] as? Int)
    #expect(declared > 0 && declared < 16 << 10)
    // At the limit, and unreadable from its first byte: nothing appended after it would count.
    try Data(repeating: 0xA5, count: RecordCache.journalLimit - 100).write(to: journal)

    let writer = IncidentStore(repository: try Repository.open(at: dir.path), environment: env)
    _ = try writer.change(id.rawValue, .note("past the limit", at: nil), as: "Ana Lima <ana@example.com>")
    let size = try #require(try FileManager.default.attributesOfItem(atPath: journal.path)[.size] as? Int)
    #expect(size < 16 << 10, "\(size) bytes")
    let tree = try writer.headTree()
    let blob = try #require(tree?.entry(atPath: RecordPaths.timeline(id))?.id)
    let reader = RecordCache(gitDirectory: writer.repository.gitDirectory, environment: env)
    #expect(reader.timeline(blob)?.events.last?.text == "past the limit")
    #expect(try IncidentStore(repository: try Repository.open(at: dir.path), environment: env)
      .record(id, in: tree).timeline.events.last?.text == "past the limit")
  }

  /// A list entry keeps the record's JSON and what the list checks and orders by; a damaged
  /// or truncated one is refused.
  @Test func listEntriesRoundTripAndRejectDamage() throws {
    let incident = Self.fullIncident()
    let entry = RecordCache.ListEntry(incident)
    var json: [UInt8] = []
    #expect(incident.writeJSON(indent: 2, into: &json))
    #expect(entry.json == json)
    #expect(entry.id == "INC-20261129-7K3Q" && entry.severity == "SEV2" && entry.reportedAt == nil)
    var r = ByteReader(entry.encoded)
    #expect(try RecordCache.ListEntry(decoding: &r) == entry)
    for length in 0..<entry.encoded.count {
      var short = ByteReader(Array(entry.encoded.prefix(length)))
      #expect(throws: ByteReader.Invalid.self) { try RecordCache.ListEntry(decoding: &short) }
    }
    // A role name outside ASCII: the entry holds JSONEncoder's bytes for the record.
    var scribe = incident
    scribe.roles = [RoleAssignment(role: "scribé", person: "x"), RoleAssignment(role: "commander", person: "y")]
    let encoder = String(decoding: Array(JSONValue.array([.object(scribe.json)]).rendered().utf8), as: UTF8.self)
    #expect(encoder == "[\n  " + String(decoding: RecordCache.ListEntry(scribe).json, as: UTF8.self) + "\n]\n")
  }

  /// `list --json` is printed from the cache's list entries alone once every incident has
  /// one: a forged entry is what is printed, and `GIT_INCIDENT_CACHE=off` ignores it. Until
  /// then (and with a filter) the records are read as before, and the order is the list's
  /// (newest declaration first, ties by ID).
  @Test func listJSONComesFromTheCacheAloneWhenItHasEveryIncident() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("listjson-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = ["HOME": dir.path, "GIT_CONFIG_NOSYSTEM": "1"]
    let (store, _) = try IncidentStore.initialize(
      at: dir.path, prefix: nil, as: "Ana Lima <ana@example.com>", environment: env)
    var ids: [IncidentID] = []
    for title in ["First", "Second", "Third"] {
      ids.append(try #require(try store.declare(Declaration(title: title, severity: "SEV3"), as: "Ana <ana@example.com>").incident))
    }
    let off = IncidentStore(repository: try Repository.open(at: dir.path), environment: env.merging(["GIT_INCIDENT_CACHE": "off"]) { $1 })
    let reference = Incident.renderedJSONListBytes(IncidentFilter().apply(try off.incidents(in: try off.headTree()).incidents))
    #expect(try off.listJSON(in: try off.headTree()) == nil)

    func fresh() throws -> IncidentStore { IncidentStore(repository: try Repository.open(at: dir.path), environment: env) }
    try? FileManager.default.removeItem(at: dir.appendingPathComponent(".git/git-incident"))
    #expect(try fresh().listJSON(in: try fresh().headTree()) == nil, "cold: nothing cached")
    let cold = try fresh()
    let read = try cold.incidents(in: try cold.headTree(), listEntries: true).incidents
    #expect(Incident.renderedJSONListBytes(IncidentFilter().apply(read)) == reference)
    var bytes: [UInt8] = []
    let warm = try fresh()
    Incident.writeJSONList(fragments: try #require(try warm.listJSON(in: try warm.headTree())), to: { bytes += $0 })
    #expect(bytes == reference)

    // A forged entry is printed as it is: the list really comes from the cache.
    let tree = try #require(try warm.headTree())
    let blob = try #require(tree.entry(atPath: RecordPaths.incident(ids[1]))?.id)
    let planted = RecordCache(gitDirectory: warm.repository.gitDirectory, environment: env)
    var forged = try #require(planted.listEntry(CacheKey(blob)))
    forged.json = Array(String(decoding: forged.json, as: UTF8.self).replacingOccurrences(of: "Second", with: "Forged").utf8)
    planted.plant(.listJSON, CacheKey(blob), forged.encoded)
    planted.writeSnapshot(keeping: nil)
    bytes = []
    let forgedStore = try fresh()
    Incident.writeJSONList(fragments: try #require(try forgedStore.listJSON(in: tree)), to: { bytes += $0 })
    #expect(String(decoding: bytes, as: UTF8.self).contains("\"title\" : \"Forged\""))
    #expect(try off.listJSON(in: tree) == nil)
  }

  @Test func wholeIDsResolveByPathAndMissingOnesAreNotFound() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("resolve-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let env = ["HOME": dir.path, "GIT_CONFIG_NOSYSTEM": "1"]
    let (store, _) = try IncidentStore.initialize(
      at: dir.path, prefix: nil, as: "Ana <ana@example.com>", environment: env)
    let id = try #require(try store.declare(Declaration(title: "A", severity: "SEV3"), as: "Ana <ana@example.com>").incident)
    let tree = try store.headTree()
    #expect(try store.resolve(id.rawValue.lowercased(), in: tree) == id)
    #expect(try store.resolve(id.randomPart, in: tree) == id)
    let other = "INC-\(id.rawValue.split(separator: "-")[1])-ZZZZ"
    do {
      _ = try store.resolve(other, in: tree)
      Issue.record("\(other) resolved")
    } catch {
      guard case .notFound(let query) = error else {
        Issue.record("expected notFound, got \(error)")
        return
      }
      #expect(query == other)
    }
  }

  /// The byte-level ID check accepts exactly what the earlier split-based rule accepted.
  @Test func idCheckMatchesTheReferenceRule() {
    func reference(_ text: String) -> Bool {
      let upper = text.uppercased()
      let parts = upper.split(separator: "-", omittingEmptySubsequences: false)
      guard parts.count == 3, IncidentID.isValidPrefix(String(parts[0])) else { return false }
      let date = Array(parts[1].utf8)
      guard date.count == 8, date.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
      let random = Array(parts[2].utf8)
      return random.count == 4 && random.allSatisfy { IncidentID.crockford.contains($0) }
    }
    var samples = ["INC-20261129-7K3Q", "inc-20261129-7k3q", "A-00000000-0000", "ABCDEFGHIJ-20261129-ZZZZ",
                   "ABCDEFGHIJK-20261129-ZZZZ", "INC-2026112-7K3Q", "INC-20261129-7K3", "INC-20261129-7K3QQ",
                   "INC-20261129-IL0U", "1NC-20261129-7K3Q", "INC--20261129-7K3Q", "INC-20261129--7K3", "",
                   "INC-2026-1129-7K3Q", "INC-20261129-7K3Q ", "ÉNC-20261129-7K3Q", "INC-２０261129-7K3Q"]
    var rng = SystemRandomNumberGenerator()
    let alphabet = Array("AZaz09IiLlOoUu-_ é".unicodeScalars)
    for _ in 0..<5000 {
      var base = Array(samples[Int(rng.next() % 4)].unicodeScalars)
      for _ in 0..<(1 + Int(rng.next() % 3)) {
        let i = Int(rng.next() % UInt64(base.count + 1))
        switch rng.next() % 3 {
        case 0 where i < base.count: base.remove(at: i)
        case 1 where i < base.count: base[i] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
        default: base.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: i)
        }
      }
      samples.append(String(String.UnicodeScalarView(base)))
    }
    for text in samples {
      #expect((IncidentID(text) != nil) == reference(text), "\(text)")
    }
  }
}

@Suite("Work tree writes")
struct WorkTreeFileTests {
  @Test func writesCreateFoldersReplaceByRenameAndLeaveNothingBehind() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wt-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.path + "/incidents/2026/INC-20261129-7K3Q/timeline.yaml"
    try WorkTreeFile.write(Data("one\n".utf8), to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "one\n")
    try WorkTreeFile.write(Data("two\n".utf8), to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "two\n")
    let folder = (path as NSString).deletingLastPathComponent
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["timeline.yaml"])
    let mask = umask(0)
    umask(mask)
    let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    #expect(mode == 0o666 & ~Int(mask))
    // Folders are made as git makes them: 0777 less the umask, every missing level.
    for level in [folder, dir.path + "/incidents/2026", dir.path + "/incidents"] {
      let folderMode = (try FileManager.default.attributesOfItem(atPath: level)[.posixPermissions] as? Int) ?? -1
      #expect(folderMode == 0o777 & ~Int(mask))
    }
    try WorkTreeFile.makeFolders(folder)  // existing: fine
    #expect(throws: WorkTreeFile.Failure.self) {
      try WorkTreeFile.write(Data(), to: path + "/not-a-folder/x")
    }
  }
}
