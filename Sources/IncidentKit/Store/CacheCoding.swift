import Foundation
import Git

/// A 20-byte object ID packed into three integers: a dictionary key without a heap allocation.
struct CacheKey: Hashable {
  var a: UInt64
  var b: UInt64
  var c: UInt32

  /// The all-zero key, written for an absent blob.
  static let zero = CacheKey(a: 0, b: 0, c: 0)

  init(a: UInt64, b: UInt64, c: UInt32) {
    self.a = a
    self.b = b
    self.c = c
  }

  init(_ id: ObjectID) {
    var r = ByteReader(id.bytes)
    a = (try? r.u64()) ?? 0
    b = (try? r.u64()) ?? 0
    c = (try? r.u32()) ?? 0
  }

  init(reading r: inout ByteReader) throws(ByteReader.Invalid) {
    a = try r.u64()
    b = try r.u64()
    c = try r.u32()
  }

  func write(to w: inout ByteWriter) {
    w.u64(a)
    w.u64(b)
    w.u32(c)
  }

  var objectID: ObjectID {
    var w = ByteWriter()
    write(to: &w)
    return ObjectID(bytes: w.bytes)!
  }
}

/// Appends little-endian integers and length-prefixed strings to a byte array.
struct ByteWriter {
  var bytes: [UInt8] = []

  mutating func u8(_ v: UInt8) { bytes.append(v) }

  mutating func u32(_ v: UInt32) {
    withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
  }

  mutating func u64(_ v: UInt64) {
    withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
  }

  mutating func string(_ s: String) {
    var s = s
    s.withUTF8 { utf8 in
      u32(UInt32(utf8.count))
      bytes.append(contentsOf: utf8)
    }
  }

  /// nil is written as length 0xFFFF_FFFF.
  mutating func optionalString(_ s: String?) {
    if let s { string(s) } else { u32(UInt32.max) }
  }

  mutating func strings(_ list: [String]) {
    u32(UInt32(list.count))
    for s in list { string(s) }
  }

  /// A date as the bit pattern of its `timeIntervalSinceReferenceDate`: exact, not rounded.
  mutating func date(_ d: Date) { u64(d.timeIntervalSinceReferenceDate.bitPattern) }

  mutating func optionalDate(_ d: Date?) {
    if let d {
      u8(1)
      date(d)
    } else {
      u8(0)
    }
  }
}

/// Reads what ``ByteWriter`` wrote, checking every bound: a truncated or damaged buffer throws
/// ``Invalid`` and never reads outside the bytes.
struct ByteReader {
  struct Invalid: Error {}

  let bytes: [UInt8]
  var offset: Int
  let end: Int

  init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
    self.bytes = bytes
    self.offset = start
    self.end = min(end ?? bytes.count, bytes.count)
  }

  var isAtEnd: Bool { offset >= end }

  mutating func need(_ n: Int) throws(Invalid) {
    guard n >= 0, end - offset >= n else { throw Invalid() }
  }

  mutating func u8() throws(Invalid) -> UInt8 {
    try need(1)
    defer { offset += 1 }
    return bytes[offset]
  }

  mutating func u32() throws(Invalid) -> UInt32 {
    try need(4)
    var v: UInt32 = 0
    for i in (0..<4).reversed() { v = v << 8 | UInt32(bytes[offset + i]) }
    offset += 4
    return v
  }

  mutating func u64() throws(Invalid) -> UInt64 {
    try need(8)
    var v: UInt64 = 0
    for i in (0..<8).reversed() { v = v << 8 | UInt64(bytes[offset + i]) }
    offset += 8
    return v
  }

  mutating func skip(_ n: Int) throws(Invalid) {
    try need(n)
    offset += n
  }

  mutating func string() throws(Invalid) -> String {
    guard let s = try optionalString() else { throw Invalid() }
    return s
  }

  mutating func optionalString() throws(Invalid) -> String? {
    let n = try u32()
    if n == UInt32.max { return nil }
    try need(Int(n))
    let s = bytes.withUnsafeBufferPointer {
      String(decoding: UnsafeBufferPointer(rebasing: $0[offset..<offset + Int(n)]), as: UTF8.self)
    }
    offset += Int(n)
    return s
  }

  mutating func strings() throws(Invalid) -> [String] {
    let n = Int(try u32())
    try need(n * 4)
    var out: [String] = []
    out.reserveCapacity(n)
    for _ in 0..<n { out.append(try string()) }
    return out
  }

  mutating func date() throws(Invalid) -> Date {
    Date(timeIntervalSinceReferenceDate: Double(bitPattern: try u64()))
  }

  mutating func optionalDate() throws(Invalid) -> Date? {
    switch try u8() {
    case 0: return nil
    case 1: return try date()
    default: throw Invalid()
    }
  }
}

/// A 64-bit checksum of a byte range: detects truncation and damage in the cache file; not a
/// cryptographic hash.
///
/// Four independent FNV-1a-style lanes over 32-byte blocks (so the multiplications overlap
/// instead of waiting on each other), then 8-byte words and tail bytes in one lane, then the
/// lanes and the length are mixed. Every step is invertible in the word it takes in, so
/// changing any one byte always changes the result.
func cacheChecksum(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) -> UInt64 {
  let end = min(end ?? bytes.count, bytes.count)
  let seed: UInt64 = 0xcbf2_9ce4_8422_2325
  guard start < end else { return seed }
  let prime: UInt64 = 0x0000_0100_0000_01b3
  return bytes.withUnsafeBytes { raw -> UInt64 in
    @inline(__always) func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
      let m = (h ^ word) &* prime
      return m ^ (m >> 29)
    }
    @inline(__always) func word(_ at: Int) -> UInt64 {
      UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
    var h0 = seed
    var h1 = seed ^ 0x9e37_79b9_7f4a_7c15
    var h2 = seed ^ 0xc2b2_ae3d_27d4_eb4f
    var h3 = seed ^ 0x1656_67b1_9e37_79f9
    var i = start
    while i + 32 <= end {
      h0 = mix(h0, word(i))
      h1 = mix(h1, word(i + 8))
      h2 = mix(h2, word(i + 16))
      h3 = mix(h3, word(i + 24))
      i += 32
    }
    while i + 8 <= end {
      h0 = mix(h0, word(i))
      i += 8
    }
    while i < end {
      h0 = mix(h0, UInt64(raw[i]))
      i += 1
    }
    var h = mix(h0, h1)
    h = mix(h, h2)
    h = mix(h, h3)
    return mix(h, UInt64(end - start))
  }
}

/// The binary form of parsed records in the cache. Records with unknown keys (``ExtraField``,
/// which holds a YAML node) are not encoded: they are parsed from their blob every time.
enum CacheCoding {
  static func encode(_ incident: Incident) -> [UInt8]? {
    guard incident.extra.isEmpty else { return nil }
    var w = ByteWriter()
    w.string(incident.id.rawValue)
    w.string(incident.title)
    w.string(incident.kind.rawValue)
    w.string(incident.severity)
    w.string(incident.status.rawValue)
    w.optionalString(incident.summary)
    w.strings(incident.services)
    w.strings(incident.labels)
    w.u32(UInt32(incident.roles.count))
    for role in incident.roles {
      w.string(role.role)
      w.string(role.person)
    }
    for field in IncidentTimes.fields { w.optionalDate(incident.times[keyPath: field.path]) }
    w.optionalString(incident.declinedReason)
    w.optionalString(incident.declaredBy)
    w.optionalString(incident.source?.system)
    w.optionalString(incident.source?.id)
    return w.bytes
  }

  static func decodeIncident(_ r: inout ByteReader) throws(ByteReader.Invalid) -> Incident {
    guard let id = IncidentID(try r.string()) else { throw ByteReader.Invalid() }
    let title = try r.string()
    guard let kind = IncidentKind(rawValue: try r.string()) else { throw ByteReader.Invalid() }
    let severity = try r.string()
    guard let status = IncidentStatus(rawValue: try r.string()) else { throw ByteReader.Invalid() }
    var incident = Incident(id: id, title: title, kind: kind, severity: severity, status: status)
    incident.summary = try r.optionalString()
    incident.services = try r.strings()
    incident.labels = try r.strings()
    let roles = Int(try r.u32())
    try r.need(roles * 8)
    for _ in 0..<roles {
      incident.roles.append(RoleAssignment(role: try r.string(), person: try r.string()))
    }
    for field in IncidentTimes.fields { incident.times[keyPath: field.path] = try r.optionalDate() }
    incident.declinedReason = try r.optionalString()
    incident.declaredBy = try r.optionalString()
    switch (try r.optionalString(), try r.optionalString()) {
    case (nil, nil): incident.source = nil
    case (let system?, let id?): incident.source = IncidentSource(system: system, id: id)
    default: throw ByteReader.Invalid()
    }
    return incident
  }

  static func encode(_ timeline: Timeline) -> [UInt8]? {
    guard timeline.extra.isEmpty, timeline.events.allSatisfy({ $0.extra.isEmpty }) else {
      return nil
    }
    var w = ByteWriter()
    w.u32(UInt32(timeline.events.count))
    for e in timeline.events {
      w.string(e.id)
      w.date(e.at)
      w.string(e.by)
      w.string(e.type)
      for value in [e.text, e.from, e.to, e.role, e.audience, e.reason] { w.optionalString(value) }
    }
    return w.bytes
  }

  static func decodeTimeline(_ r: inout ByteReader) throws(ByteReader.Invalid) -> Timeline {
    let count = Int(try r.u32())
    try r.need(count * 20)
    var timeline = Timeline()
    timeline.events.reserveCapacity(count)
    for _ in 0..<count {
      let id = try r.string()
      let at = try r.date()
      var e = TimelineEvent(at: at, by: try r.string(), type: try r.string())
      e.id = id
      e.text = try r.optionalString()
      e.from = try r.optionalString()
      e.to = try r.optionalString()
      e.role = try r.optionalString()
      e.audience = try r.optionalString()
      e.reason = try r.optionalString()
      timeline.events.append(e)
    }
    return timeline
  }
}
