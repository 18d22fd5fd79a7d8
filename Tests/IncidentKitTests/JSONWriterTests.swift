import Foundation
import Testing

@testable import IncidentKit

/// `JSONValue.rendered()` writes JSON itself for speed; its bytes must equal JSONEncoder's.
@Suite("JSON writer")
struct JSONWriterTests {
  static func encoderOutput(_ value: JSONValue) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
  }

  @Test func matchesJSONEncoderByteForByte() throws {
    var strings = ["", "plain", "a/b", "quote \" and \\ backslash", "tab\tnl\nret\rbs\u{8}ff\u{C}",
                   "\u{0}\u{1}\u{1B}\u{1F}\u{7F}", "é ü 日本 🚒 \u{2028}\u{2029}\u{FEFF}", "</script>"]
    strings += (0..<32).map { String(UnicodeScalar(UInt8($0))) + "x" }
    let keys = ["id", "a_b", "aB", "a-b", "A", "Z", "10", "9", "", "times", "roles"]
    var values: [JSONValue] = [.null, .bool(true), .bool(false), .number(0), .number(-42),
                               .number(999_999_999_999_999), .array([]), .object([:])]
    values += strings.map(JSONValue.string)
    var object: [String: JSONValue] = [:]
    for (i, key) in keys.enumerated() { object[key] = values[i % values.count] }
    object["nested"] = .array([.object([:]), .array([]), .object(["k": .array([.null, .string("v")])])])
    values.append(.object(object))
    values.append(.array(values))
    for value in values {
      let fast = try #require(value.fastRendered(), "\(value)")
      #expect(fast == (try Self.encoderOutput(value)), "\(value)")
      #expect(value.rendered() == fast)
    }
    var timeline = Timeline()
    timeline.insert(TimelineEvent(at: Date(timeIntervalSince1970: 1_796_000_000), by: "Ana", type: "note", text: "x\ny"))
    var incident = RecordCacheTests.fullIncident()
    incident.labels = ["a"]
    let record = IncidentRecord(incident: incident, timeline: timeline, postmortemStatus: "draft")
    #expect(record.json.fastRendered() == (try Self.encoderOutput(record.json)))
  }

  @Test func fallsBackWhereItCannotMatch() throws {
    let fractional = JSONValue.array([.number(1.5)])
    #expect(fractional.fastRendered() == nil)
    #expect(fractional.rendered() == (try Self.encoderOutput(fractional)))
    let unicodeKeys = JSONValue.object(["é": .null, "z": .null])
    #expect(unicodeKeys.fastRendered() == nil)
    #expect(unicodeKeys.rendered() == (try Self.encoderOutput(unicodeKeys)))
  }

  @Test func incidentListMatchesTheGenericWriter() throws {
    var a = RecordCacheTests.fullIncident()
    a.roles.append(RoleAssignment(role: "commander", person: "Second holder wins"))
    a.labels = ["x\"y", "ü"]
    var b = Incident(id: IncidentID("SEC-20250101-0000")!, title: "", kind: .outage, severity: "S", status: .reported)
    b.times.reportedAt = Date(timeIntervalSince1970: 0.5)
    var c = b
    c.roles = [RoleAssignment(role: "scribé", person: "non-ASCII role name: generic path")]
    for list in [[], [a], [a, b], [b, a, b], [a, c]] {
      let expected = try Self.encoderOutput(.array(list.map { .object($0.json) }))
      #expect(Incident.renderedJSONList(list) == expected)
    }
  }

  /// From ``Incident/parallelJSONMinimum`` records the second half is written on another
  /// thread: the bytes are the same, in the same order, whatever the split.
  @Test func aLongListWrittenOnTwoCoresIsTheSameBytes() throws {
    let a = RecordCacheTests.fullIncident()
    var list: [Incident] = []
    for n in 0..<(Incident.parallelJSONMinimum + 3) {
      var record = a
      record.id = IncidentID(String(format: "INC-20260101-%04d", n))!
      record.title = "Record \(n)"
      list.append(record)
    }
    for records in [Array(list.prefix(Incident.parallelJSONMinimum - 1)), list] {
      let expected = try Self.encoderOutput(.array(records.map { .object($0.json) }))
      var pieces = 0
      var bytes: [UInt8] = []
      Incident.writeJSONList(records) {
        pieces += 1
        bytes += $0
      }
      #expect(String(decoding: bytes, as: UTF8.self) == expected)
      #expect(pieces > 2)
    }
  }
}
