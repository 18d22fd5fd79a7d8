import Foundation

extension JSONValue {
  /// Writes the same bytes as `JSONEncoder` with `[.prettyPrinted, .sortedKeys,
  /// .withoutEscapingSlashes]` (two-space indentation, `"key" : value`, empty containers as
  /// `[\n\n<indent>]`, only `"`, `\` and control characters escaped, `\u00xx` in lower case),
  /// about twenty times faster for large lists.
  ///
  /// - Returns: nil when the value holds something whose encoding this writer does not
  ///   reproduce (a non-ASCII object key, whose sort order JSONEncoder defines, or a number that
  ///   is not a whole number below 10^15); the caller then uses `JSONEncoder`.
  func fastRendered() -> String? {
    var out: [UInt8] = []
    out.reserveCapacity(4096)
    guard Self.write(self, indent: 0, into: &out) else { return nil }
    out.append(0x0A)
    return String(decoding: out, as: UTF8.self)
  }

  private static let hex = Array("0123456789abcdef".utf8)

  private static let spaces = [UInt8](repeating: 0x20, count: 256)

  static func newline(_ indent: Int, _ out: inout [UInt8]) {
    out.append(0x0A)
    if indent <= spaces.count {
      spaces.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[..<indent])) }
    } else {
      out.append(contentsOf: repeatElement(0x20, count: indent))
    }
  }

  static func write(_ value: JSONValue, indent: Int, into out: inout [UInt8]) -> Bool {
    switch value {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
    case .number(let n):
      guard n == n.rounded(), abs(n) < 1e15 else { return false }
      out.append(contentsOf: String(Int64(n)).utf8)
    case .string(let s): writeString(s, into: &out)
    case .array(let items):
      out.append(UInt8(ascii: "["))
      if items.isEmpty {
        out.append(0x0A)
      } else {
        for (i, item) in items.enumerated() {
          if i > 0 { out.append(UInt8(ascii: ",")) }
          newline(indent + 2, &out)
          guard write(item, indent: indent + 2, into: &out) else { return false }
        }
      }
      newline(indent, &out)
      out.append(UInt8(ascii: "]"))
    case .object(let object):
      guard object.keys.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) else { return false }
      out.append(UInt8(ascii: "{"))
      if object.isEmpty {
        out.append(0x0A)
      } else {
        let keys = object.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (i, key) in keys.enumerated() {
          if i > 0 { out.append(UInt8(ascii: ",")) }
          newline(indent + 2, &out)
          writeString(key, into: &out)
          out.append(contentsOf: " : ".utf8)
          guard write(object[key]!, indent: indent + 2, into: &out) else { return false }
        }
      }
      newline(indent, &out)
      out.append(UInt8(ascii: "}"))
    }
    return true
  }

  static func writeString(_ s: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var s = s
    let plain = s.withUTF8 { utf8 -> Bool in
      guard !utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
      out.append(contentsOf: utf8)
      return true
    }
    if plain {
      out.append(UInt8(ascii: "\""))
      return
    }
    for byte in s.utf8 {
      switch byte {
      case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
      case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
      case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
      case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
      case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
      case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
      case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
      case 0x00..<0x20:
        out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
        out.append(hex[Int(byte >> 4)])
        out.append(hex[Int(byte & 0xF)])
      default: out.append(byte)
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}

extension Incident {
  /// `JSONValue.array(incidents.map { .object($0.json) }).rendered()`, byte for byte, written
  /// directly from the records (no intermediate dictionaries): the output of `list --json`.
  public static func renderedJSONList(_ incidents: [Incident]) -> String {
    String(decoding: renderedJSONListBytes(incidents), as: UTF8.self)
  }

  /// The UTF-8 bytes of ``renderedJSONList(_:)``, without converting to a `String`.
  public static func renderedJSONListBytes(_ incidents: [Incident]) -> [UInt8] {
    var all: [UInt8] = []
    writeJSONList(incidents) { all.append(contentsOf: $0) }
    return all
  }

  /// Writes ``renderedJSONList(_:)`` in pieces of about 64 KiB to `sink`, so a list of any
  /// length is written with one small buffer. A record with a role name outside ASCII is
  /// written by JSONEncoder, the others directly.
  public static func writeJSONList(_ incidents: [Incident], to sink: ([UInt8]) -> Void) {
    var out: [UInt8] = []
    out.reserveCapacity(80 * 1024)
    out.append(UInt8(ascii: "["))
    if incidents.isEmpty { out.append(0x0A) }
    // A long list: its second half is written on another core meanwhile (10 MB of JSON at
    // 10,000 incidents), into a buffer of its own, and given to `sink` after the first.
    let split = incidents.count >= Self.parallelJSONMinimum ? incidents.count / 2 : incidents.count
    let tail = split < incidents.count ? JSONTail(incidents, from: split) : nil
    // Through the buffer: iterating or subscripting the array copies (retains and releases)
    // every record.
    incidents.withUnsafeBufferPointer { records in
      for n in 0..<split {
        Self.appendJSON(records[n], first: n == 0, into: &out)
        if out.count >= 64 * 1024 {
          sink(out)
          out.removeAll(keepingCapacity: true)
        }
      }
    }
    if let tail {
      sink(out)
      out.removeAll(keepingCapacity: true)
      sink(tail.bytes())
    }
    JSONValue.newline(0, &out)
    out.append(UInt8(ascii: "]"))
    out.append(0x0A)
    sink(out)
  }

  /// ``writeJSONList(_:to:)`` for records already written as JSON at indent 2 (from
  /// ``IncidentStore/listJSON(in:)``), in the list's order: the same bytes.
  public static func writeJSONList(fragments: [[UInt8]], to sink: ([UInt8]) -> Void) {
    var out: [UInt8] = []
    out.reserveCapacity(80 * 1024)
    out.append(UInt8(ascii: "["))
    if fragments.isEmpty { out.append(0x0A) }
    for n in fragments.indices {
      if n > 0 { out.append(UInt8(ascii: ",")) }
      JSONValue.newline(2, &out)
      out.append(contentsOf: fragments[n])
      if out.count >= 64 * 1024 {
        sink(out)
        out.removeAll(keepingCapacity: true)
      }
    }
    JSONValue.newline(0, &out)
    out.append(UInt8(ascii: "]"))
    out.append(0x0A)
    sink(out)
  }

  /// The length from which ``writeJSONList(_:to:)`` writes on two cores.
  static let parallelJSONMinimum = 2_000

  /// One record of the list: `,` (but before the first), a new line, the record at indent 2.
  fileprivate static func appendJSON(_ record: Incident, first: Bool, into out: inout [UInt8]) {
    if !first { out.append(UInt8(ascii: ",")) }
    JSONValue.newline(2, &out)
    record.appendJSON(indent: 2, into: &out)
  }

  /// The record as JSON at `indent` (the bytes JSONEncoder writes for it there), appended to
  /// `out`: written directly, or, for a role name outside ASCII (whose place among the keys is
  /// JSONEncoder's own), by JSONEncoder, its lines indented.
  func appendJSON(indent: Int, into out: inout [UInt8]) {
    let start = out.count
    guard !writeJSON(indent: indent, into: &out) else { return }
    out.removeSubrange(start...)
    let rendered = Array(JSONValue.object(json).rendered().utf8.dropLast())  // its final new line
    let margin = [UInt8](repeating: UInt8(ascii: " "), count: indent)
    for (i, byte) in rendered.enumerated() {
      out.append(byte)
      // Every line one level deeper, but the empty line JSONEncoder writes inside `[]`.
      if byte == 0x0A, i + 1 < rendered.count, rendered[i + 1] != 0x0A { out.append(contentsOf: margin) }
    }
  }

  private enum Field: CaseIterable {
    case id, title, kind, severity, status, summary, services, labels, roles, times
    case declinedReason, declaredBy

    var key: String {
      switch self {
      case .declinedReason: return "declined_reason"
      case .declaredBy: return "declared_by"
      default: return "\(self)"
      }
    }
  }

  /// The fields in JSONEncoder's sorted-key order, each with its `"key" : ` bytes.
  private static let jsonFields: [(field: Field, prefix: [UInt8])] = Field.allCases
    .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    .map { ($0, Array("\"\($0.key)\" : ".utf8)) }

  /// The times in JSONEncoder's sorted-key order: each one's position in
  /// ``IncidentTimes/fields`` and its `"key" : ` bytes.
  private static let timeFields: [(field: Int, prefix: [UInt8])] = IncidentTimes.fields.indices
    .sorted { IncidentTimes.fields[$0].name.utf8.lexicographicallyPrecedes(IncidentTimes.fields[$1].name.utf8) }
    .map { ($0, Array("\"\(IncidentTimes.fields[$0].name)\" : ".utf8)) }

  /// Writes what `JSONValue.object(json)` writes; false when it cannot (a non-ASCII role name).
  func writeJSON(indent: Int, into out: inout [UInt8]) -> Bool {
    func string(_ s: String?) {
      if let s { JSONValue.writeString(s, into: &out) } else { out.append(contentsOf: "null".utf8) }
    }
    func strings(_ list: [String], _ indent: Int) {
      out.append(UInt8(ascii: "["))
      if list.isEmpty { out.append(0x0A) }
      for (i, item) in list.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        JSONValue.newline(indent + 2, &out)
        JSONValue.writeString(item, into: &out)
      }
      JSONValue.newline(indent, &out)
      out.append(UInt8(ascii: "]"))
    }
    let inner = indent + 2
    out.append(UInt8(ascii: "{"))
    for (n, item) in Self.jsonFields.enumerated() {
      if n > 0 { out.append(UInt8(ascii: ",")) }
      JSONValue.newline(inner, &out)
      out.append(contentsOf: item.prefix)
      switch item.field {
      case .id: string(id.rawValue)
      case .title: string(title)
      case .kind: string(kind.rawValue)
      case .severity: string(severity)
      case .status: string(status.rawValue)
      case .summary: string(summary)
      case .services: strings(services, inner)
      case .labels: strings(labels, inner)
      case .declinedReason: string(declinedReason)
      case .declaredBy: string(declaredBy)
      case .roles:
        guard writeRolesJSON(indent: inner, into: &out) else { return false }
      case .times:
        out.append(UInt8(ascii: "{"))
        for (m, time) in Self.timeFields.enumerated() {
          if m > 0 { out.append(UInt8(ascii: ",")) }
          JSONValue.newline(inner + 2, &out)
          out.append(contentsOf: time.prefix)
          if let date = self.times.value(at: time.field) {
            out.append(UInt8(ascii: "\""))
            RFC3339.write(date, into: &out)
            out.append(UInt8(ascii: "\""))
          } else {
            out.append(contentsOf: "null".utf8)
          }
        }
        JSONValue.newline(inner, &out)
        out.append(UInt8(ascii: "}"))
      }
    }
    JSONValue.newline(indent, &out)
    out.append(UInt8(ascii: "}"))
    return true
  }

  /// Writes what `JSONValue.write(.object(holders))` writes for the role holders (a role
  /// assigned twice keeps its last holder; keys in byte order), without building the
  /// dictionary; false for a non-ASCII role name, whose order JSONEncoder defines.
  private func writeRolesJSON(indent: Int, into out: inout [UInt8]) -> Bool {
    for r in roles where !r.role.utf8.allSatisfy({ $0 < 0x80 }) { return false }
    guard roles.count <= 16 else {
      // Selection below is quadratic; long lists (never seen in practice) take the generic way.
      var holders: [String: JSONValue] = [:]
      for r in roles { holders[r.role] = .string(r.person) }
      return JSONValue.write(.object(holders), indent: indent, into: &out)
    }
    out.append(UInt8(ascii: "{"))
    if roles.isEmpty { out.append(0x0A) }
    // Emits the smallest role name greater than the one written before, each name once, with
    // the holder of its last assignment.
    var previous = -1
    var written = 0
    while true {
      var best = -1
      for i in roles.indices {
        let name = roles[i].role.utf8
        if previous >= 0, !roles[previous].role.utf8.lexicographicallyPrecedes(name) { continue }
        // Smaller than the best so far, or the same name assigned again later (which wins).
        if best < 0 || !roles[best].role.utf8.lexicographicallyPrecedes(name) { best = i }
      }
      guard best >= 0 else { break }
      if written > 0 { out.append(UInt8(ascii: ",")) }
      JSONValue.newline(indent + 2, &out)
      JSONValue.writeString(roles[best].role, into: &out)
      out.append(contentsOf: " : ".utf8)
      JSONValue.writeString(roles[best].person, into: &out)
      previous = best
      written += 1
    }
    JSONValue.newline(indent, &out)
    out.append(UInt8(ascii: "}"))
    return true
  }
}

extension IncidentTimes {
  /// The time at position `index` of ``fields``, read without a key path (which goes through
  /// the runtime on every access).
  func value(at index: Int) -> Date? {
    switch index {
    case 0: return startedAt
    case 1: return detectedAt
    case 2: return acknowledgedAt
    case 3: return reportedAt
    case 4: return mitigatedAt
    case 5: return containedAt
    case 6: return eradicatedAt
    case 7: return resolvedAt
    case 8: return reviewAt
    case 9: return closedAt
    case 10: return declinedAt
    default: return nil
    }
  }
}

/// The records of a list from `start` on, written as JSON on a thread of its own.
private final class JSONTail: @unchecked Sendable {
  private var written: [UInt8] = []
  private let done = DispatchSemaphore(value: 0)

  init(_ incidents: [Incident], from start: Int) {
    let thread = Thread { [self] in
      var out: [UInt8] = []
      out.reserveCapacity((incidents.count - start) * 1_100)
      incidents.withUnsafeBufferPointer { records in
        for n in start..<records.count { Incident.appendJSON(records[n], first: false, into: &out) }
      }
      written = out
      done.signal()
    }
    thread.start()
  }

  /// Waits for the thread; the bytes it wrote.
  func bytes() -> [UInt8] {
    done.wait()
    return written
  }
}
