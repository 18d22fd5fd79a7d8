import Foundation
import Testing

@testable import IncidentKit

/// The shortcuts `list --json` takes (bytes written directly, checks without allocating) must
/// give exactly what the general code gives.
@Suite("List fast paths")
struct ListFastPathTests {
  /// The formatter as it was before it wrote bytes directly (digits by repeated division into
  /// a new array, then a `String`): the reference the new one must match byte for byte.
  static func referenceFormat(_ d: Date) -> String {
    let minMilliseconds = Double(RFC3339.days(fromCivil: 0, 1, 1)) * 86_400_000
    let maxMilliseconds = Double(RFC3339.days(fromCivil: 10_000, 1, 1)) * 86_400_000 - 1
    func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
      let q = a / b
      return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
    var milliseconds = (d.timeIntervalSince1970 * 1000).rounded()
    if !milliseconds.isFinite { milliseconds = 0 }
    let total = Int64(min(max(milliseconds, minMilliseconds), maxMilliseconds))
    let seconds = floorDiv(total, 1000)
    let millis = Int(total - seconds * 1000)
    let days = floorDiv(seconds, 86_400)
    let secondOfDay = Int(seconds - days * 86_400)
    let (year, month, day) = RFC3339.civil(fromDays: days)
    var out = [UInt8]()
    func digits(_ value: Int, _ count: Int) {
      var divisor = 1
      for _ in 1..<count { divisor *= 10 }
      var rest = value
      while divisor > 0 {
        out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
        rest %= divisor
        divisor /= 10
      }
    }
    digits(Int(year), 4)
    out.append(UInt8(ascii: "-"))
    digits(month, 2)
    out.append(UInt8(ascii: "-"))
    digits(day, 2)
    out.append(UInt8(ascii: "T"))
    digits(secondOfDay / 3600, 2)
    out.append(UInt8(ascii: ":"))
    digits(secondOfDay / 60 % 60, 2)
    out.append(UInt8(ascii: ":"))
    digits(secondOfDay % 60, 2)
    if millis != 0 {
      out.append(UInt8(ascii: "."))
      digits(millis, 3)
    }
    out.append(UInt8(ascii: "Z"))
    return String(decoding: out, as: UTF8.self)
  }

  static func utc(_ y: Int64, _ m: Int, _ d: Int, seconds: Double = 0) -> Date {
    Date(timeIntervalSince1970: Double(RFC3339.days(fromCivil: y, m, d)) * 86_400 + seconds)
  }

  @Test func rfc3339BytesMatchTheReferenceFormatter() {
    var dates: [Date] = [
      Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -0.25),
      Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: 0.0004),
      Date(timeIntervalSince1970: 0.0005), Date(timeIntervalSince1970: 0.9996),
      Date(timeIntervalSince1970: 1_796_000_000.125), .distantPast, .distantFuture,
      Date(timeIntervalSince1970: .nan), Date(timeIntervalSince1970: .infinity),
      Self.utc(0, 1, 1), Self.utc(9999, 12, 31, seconds: 86_399.999),
      Self.utc(10_000, 1, 1), Self.utc(-1, 12, 31),
    ]
    // Leap days and the days around them, in leap, non-leap and century years.
    for year: Int64 in [1600, 1700, 1900, 1999, 2000, 2023, 2024, 2025, 2100, 2400, 9996] {
      for (m, d) in [(2, 28), (2, 29), (3, 1), (12, 31), (1, 1)] {
        let day = Self.utc(year, m, d)
        dates += [day, day.addingTimeInterval(86_399), day.addingTimeInterval(43_200.5),
                  day.addingTimeInterval(-0.001)]
      }
    }
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      // Milliseconds from year 1 to 9999, and sub-millisecond values that round either way.
      let millis = Int64.random(in: -62_135_596_800_000..<253_402_300_800_000, using: &generator)
      dates.append(Date(timeIntervalSince1970: Double(millis) / 1000))
      let fraction = Double.random(in: 0..<1, using: &generator)
      dates.append(Date(timeIntervalSince1970: Double(millis / 1000) + fraction))
    }
    var buffer: [UInt8] = Array("prefix ".utf8)
    for date in dates {
      let expected = Self.referenceFormat(date)
      #expect(RFC3339.format(date) == expected, "\(date.timeIntervalSince1970)")
      buffer.removeSubrange(7...)
      RFC3339.write(date, into: &buffer)
      #expect(buffer == Array("prefix \(expected)".utf8), "\(date.timeIntervalSince1970)")
    }
    #expect(RFC3339.format(Self.utc(2024, 2, 29, seconds: 3_723.456)) == "2024-02-29T01:02:03.456Z")
    #expect(RFC3339.format(Self.utc(2100, 3, 1, seconds: 0.05)) == "2100-03-01T00:00:00.050Z")
  }

  static func randomIncident(_ n: Int, _ rng: inout SystemRandomNumberGenerator) -> Incident {
    let suffix = String(decoding: (0..<4).map { _ in IncidentID.crockford[Int(rng.next() % 32)] }, as: UTF8.self)
    var i = Incident(
      id: IncidentID("INC-2026\(String(format: "%04d", 101 + n % 1100))-\(suffix)")!,
      title: ["Checkout 500s", "Quote \" and \\ slash /", "Tab\there", "é 🚒", ""][n % 5],
      kind: n % 2 == 0 ? .outage : .security, severity: "SEV\(1 + n % 4)",
      status: [.reported, .contained, .resolved, .closed][n % 4])
    i.summary = n % 3 == 0 ? nil : "Line one\nline \u{1} two"
    i.services = Array(["api", "db", "web"].prefix(n % 4))
    i.labels = n % 2 == 0 ? [] : ["x", "ü"]
    let names = ["scribe", "commander", "ops-2", "communications", "deputy", "Zed", "a_b", "a-b", "10", "9"]
    for _ in 0..<(Int(rng.next() % 7)) {
      i.roles.append(RoleAssignment(
        role: names[Int(rng.next() % UInt64(names.count))], person: "P\(rng.next() % 100) <p@example.com>"))
    }
    for field in IncidentTimes.fields where rng.next() % 3 != 0 {
      let millis = Int64(rng.next() % 4_000_000_000_000)
      i.times[keyPath: field.path] = Date(
        timeIntervalSince1970: rng.next() % 2 == 0 ? Double(millis / 1000) : Double(millis) / 1000)
    }
    i.declinedReason = n % 5 == 0 ? "duplicate:INC-20260101-0000" : nil
    i.declaredBy = n % 7 == 0 ? nil : "Ana Lima <ana@example.com>"
    return i
  }

  @Test func incidentJSONMatchesJSONEncoder() throws {
    var rng = SystemRandomNumberGenerator()
    let incidents = (0..<300).map { Self.randomIncident($0, &rng) }
    #expect(incidents.contains { $0.roles.count > 2 })
    let expected = try JSONWriterTests.encoderOutput(.array(incidents.map { .object($0.json) }))
    #expect(Incident.renderedJSONList(incidents) == expected)
    for incident in incidents.prefix(40) {
      let one = try JSONWriterTests.encoderOutput(.array([.object(incident.json)]))
      #expect(Incident.renderedJSONList([incident]) == one)
    }
    // More roles than the direct writer sorts itself.
    var many = incidents[1]
    many.roles = (0..<40).map { RoleAssignment(role: "role-\(($0 * 7) % 23)", person: "P\($0)") }
    #expect(Incident.renderedJSONList([many])
      == (try JSONWriterTests.encoderOutput(.array([.object(many.json)]))))
    #expect(Incident.renderedJSONList([many]).contains("\"role-0\" : \"P23\""), "the last holder wins")
  }

  @Test func timeValuesByPositionMatchTheKeyPaths() {
    var times = IncidentTimes()
    for (n, field) in IncidentTimes.fields.enumerated() {
      times[keyPath: field.path] = Date(timeIntervalSince1970: Double(n * 1000 + 7))
    }
    for (n, field) in IncidentTimes.fields.enumerated() {
      #expect(times.value(at: n) == times[keyPath: field.path], "\(field.name)")
    }
    #expect(times.value(at: IncidentTimes.fields.count) == nil)
  }

  @Test func orderCheckAgreesWithTheFullCheck() {
    var rng = SystemRandomNumberGenerator()
    var seenBoth = (inOrder: false, outOfOrder: false)
    for _ in 0..<5000 {
      var times = IncidentTimes()
      var t = Double(rng.next() % 1000)
      for field in IncidentTimes.fields where rng.next() % 3 != 0 {
        t += Double(rng.next() % 100) - (rng.next() % 12 == 0 ? 300 : 0)
        times[keyPath: field.path] = Date(timeIntervalSince1970: t)
      }
      #expect(times.isInOrder == (times.firstOrderViolation() == nil))
      if times.isInOrder { seenBoth.inOrder = true } else { seenBoth.outOfOrder = true }
    }
    #expect(seenBoth.inOrder && seenBoth.outOfOrder)
    var equal = IncidentTimes()
    equal.startedAt = Date(timeIntervalSince1970: 5)
    equal.closedAt = Date(timeIntervalSince1970: 5)
    equal.declinedAt = Date(timeIntervalSince1970: 1)  // outside the chain
    #expect(equal.isInOrder)
    equal.detectedAt = Date(timeIntervalSince1970: 4)
    #expect(!equal.isInOrder)
    #expect(equal.firstOrderViolation()?.later == "detected_at")
  }

  @Test func emptyFilterKeepsEverythingNewestFirst() {
    var rng = SystemRandomNumberGenerator()
    var incidents = (0..<200).map { Self.randomIncident($0, &rng) }
    incidents[3].times.reportedAt = incidents[4].times.reportedAt  // a tie, broken by ID
    incidents[5].times.reportedAt = nil
    let empty = IncidentFilter()
    #expect(empty.isEmpty)
    let applied = empty.apply(incidents)
    let expected = incidents.sorted { a, b in
      let x = a.times.reportedAt ?? .distantPast
      let y = b.times.reportedAt ?? .distantPast
      return x != y ? x > y : a.id > b.id
    }
    #expect(applied == expected)
    for filter in [
      IncidentFilter(statuses: [.closed]), IncidentFilter(severities: ["sev1"]),
      IncidentFilter(kind: .security), IncidentFilter(services: ["api"]), IncidentFilter(labels: ["x"]),
      IncidentFilter(openOnly: true), IncidentFilter(closedOnly: true),
      IncidentFilter(since: Date(timeIntervalSince1970: 1)), IncidentFilter(until: Date(timeIntervalSince1970: 1)),
    ] {
      #expect(!filter.isEmpty)
      #expect(filter.apply(incidents) == expected.filter(filter.matches))
    }
  }

  @Test func storedIDsAreKeptAsTheyAreAndOthersUpperCased() {
    #expect(IncidentID("INC-20261129-7K3Q")?.rawValue == "INC-20261129-7K3Q")
    #expect(IncidentID("inc-20261129-7k3q")?.rawValue == "INC-20261129-7K3Q")
    #expect(IncidentID("Inc-20261129-7K3q")?.rawValue == "INC-20261129-7K3Q")
    #expect(IncidentID("INC-20261129-7K3I") == nil)
    #expect(IncidentID("INC-20261129-7k3i") == nil)
  }

  @Test func checksumSeesEveryByteAndTheLength() {
    var rng = SystemRandomNumberGenerator()
    let bytes = (0..<203).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let whole = cacheChecksum(bytes)
    #expect(cacheChecksum(bytes, from: 0, to: bytes.count) == whole)
    for i in bytes.indices {
      for bit in [0x01, 0x80] as [UInt8] {
        var damaged = bytes
        damaged[i] ^= bit
        #expect(cacheChecksum(damaged) != whole, "byte \(i)")
      }
    }
    for length in 0..<bytes.count {
      #expect(cacheChecksum(Array(bytes.prefix(length))) != whole, "length \(length)")
    }
    #expect(cacheChecksum(bytes + [0]) != whole)
    #expect(cacheChecksum([0, 0, 0, 0, 0, 0, 0, 0]) != cacheChecksum([0, 0, 0, 0, 0, 0, 0]))
    let shifted = [UInt8](repeating: 7, count: 5) + bytes
    #expect(cacheChecksum(shifted, from: 5, to: shifted.count) == whole, "a range is its bytes only")
  }
}
