import Foundation

/// Reads and writes times in the one form the record files use: RFC 3339 with an explicit UTC
/// offset, such as `2026-11-29T10:42:00Z`.
///
/// Both directions are hand-written over UTF-8 bytes with proleptic Gregorian calendar
/// arithmetic (Howard Hinnant's `days_from_civil` and `civil_from_days`), because they run tens
/// of thousands of times per query and `DateFormatter`/`ISO8601DateFormatter` are far slower.
/// Precision is the millisecond: finer fractions are truncated when parsing and rounded when
/// formatting.
public enum RFC3339 {
  /// Parses an RFC 3339 `date-time` (RFC 3339 section 5.6) with a required UTC offset.
  ///
  /// Accepted: `2026-11-29T10:42:00Z`, lowercase `t` and `z`, numeric offsets such as `+02:00`
  /// and `-05:30` (converted to UTC), and a fraction of a second of any length after `.`, of
  /// which the first three digits are kept (truncated to the millisecond).
  ///
  /// Rejected (the result is `nil`): a missing offset (`2026-11-29T10:42:00`, which would mean
  /// an unknown local time), a date or a time alone, a space instead of `T`, out-of-range fields
  /// (month 13, day 30 in February, hour 24, minute or second 60 — leap seconds cannot be
  /// represented by `Date`), offsets beyond 23:59, surrounding whitespace, and anything else.
  ///
  /// - Parameter s: The text to parse.
  /// - Returns: The instant, or `nil` if `s` is not exactly one valid RFC 3339 time with offset.
  public static func parse(_ s: String) -> Date? {
    if let parsed = s.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) {
      return parsed
    }
    return Array(s.utf8).withUnsafeBufferPointer { parse(bytes: $0) }
  }

  /// Formats an instant in UTC as `2026-11-29T10:42:00Z`, with `.123` milliseconds only when
  /// the instant, rounded to the nearest millisecond, has a non-zero millisecond part.
  ///
  /// Instants outside the years 0000–9999 are clamped to that range, which ``parse(_:)`` can
  /// read back; no record holds such times.
  ///
  /// - Parameter d: The instant.
  /// - Returns: The RFC 3339 text, always in UTC (`Z`).
  public static func format(_ d: Date) -> String {
    var out = [UInt8]()
    out.reserveCapacity(24)
    write(d, into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Appends the UTF-8 bytes of ``format(_:)`` to `out`, without creating a `String`: for
  /// writers that emit thousands of times (`list --json`).
  ///
  /// - Parameters:
  ///   - d: The instant.
  ///   - out: The buffer the 20 (whole seconds) or 24 (with milliseconds) bytes are appended to.
  public static func write(_ d: Date, into out: inout [UInt8]) {
    var milliseconds = (d.timeIntervalSince1970 * 1000).rounded()
    if !milliseconds.isFinite { milliseconds = 0 }
    let total = Int64(min(max(milliseconds, minMilliseconds), maxMilliseconds))
    let seconds = floorDiv(total, 1000)
    let millis = Int(total - seconds * 1000)
    let days = floorDiv(seconds, 86_400)
    let secondOfDay = Int(seconds - days * 86_400)
    let (year, month, day) = civil(fromDays: days)
    let zero = UInt8(ascii: "0")
    // The year is 0...9999 (clamped above); every field has a fixed width.
    let y = Int(year)
    let hour = secondOfDay / 3600
    let minute = secondOfDay / 60 % 60
    let second = secondOfDay % 60
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { b in
      b[0] = zero &+ UInt8(truncatingIfNeeded: y / 1000)
      b[1] = zero &+ UInt8(truncatingIfNeeded: y / 100 % 10)
      b[2] = zero &+ UInt8(truncatingIfNeeded: y / 10 % 10)
      b[3] = zero &+ UInt8(truncatingIfNeeded: y % 10)
      b[4] = UInt8(ascii: "-")
      b[5] = zero &+ UInt8(truncatingIfNeeded: month / 10)
      b[6] = zero &+ UInt8(truncatingIfNeeded: month % 10)
      b[7] = UInt8(ascii: "-")
      b[8] = zero &+ UInt8(truncatingIfNeeded: day / 10)
      b[9] = zero &+ UInt8(truncatingIfNeeded: day % 10)
      b[10] = UInt8(ascii: "T")
      b[11] = zero &+ UInt8(truncatingIfNeeded: hour / 10)
      b[12] = zero &+ UInt8(truncatingIfNeeded: hour % 10)
      b[13] = UInt8(ascii: ":")
      b[14] = zero &+ UInt8(truncatingIfNeeded: minute / 10)
      b[15] = zero &+ UInt8(truncatingIfNeeded: minute % 10)
      b[16] = UInt8(ascii: ":")
      b[17] = zero &+ UInt8(truncatingIfNeeded: second / 10)
      b[18] = zero &+ UInt8(truncatingIfNeeded: second % 10)
      var n = 19
      if millis != 0 {
        b[19] = UInt8(ascii: ".")
        b[20] = zero &+ UInt8(truncatingIfNeeded: millis / 100)
        b[21] = zero &+ UInt8(truncatingIfNeeded: millis / 10 % 10)
        b[22] = zero &+ UInt8(truncatingIfNeeded: millis % 10)
        n = 23
      }
      b[n] = UInt8(ascii: "Z")
      out.append(contentsOf: UnsafeBufferPointer(rebasing: b[0...n]))
    }
  }

  // MARK: - Implementation

  /// 0000-01-01T00:00:00.000Z in milliseconds since 1970.
  private static let minMilliseconds = Double(days(fromCivil: 0, 1, 1)) * 86_400_000
  /// 9999-12-31T23:59:59.999Z in milliseconds since 1970.
  private static let maxMilliseconds = Double(days(fromCivil: 10_000, 1, 1)) * 86_400_000 - 1

  private static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Date? {
    // Fixed part: YYYY-MM-DDTHH:MM:SS is 19 bytes, then fraction and offset.
    guard b.count >= 20 else { return nil }
    func number(_ start: Int, _ count: Int) -> Int? {
      var value = 0
      for i in start..<(start + count) {
        let c = b[i] &- UInt8(ascii: "0")
        guard c < 10 else { return nil }
        value = value * 10 + Int(c)
      }
      return value
    }
    guard let year = number(0, 4), b[4] == UInt8(ascii: "-"),
      let month = number(5, 2), b[7] == UInt8(ascii: "-"),
      let day = number(8, 2), b[10] | 0x20 == UInt8(ascii: "t"),
      let hour = number(11, 2), b[13] == UInt8(ascii: ":"),
      let minute = number(14, 2), b[16] == UInt8(ascii: ":"),
      let second = number(17, 2)
    else { return nil }
    guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
      hour < 24, minute < 60, second < 60
    else { return nil }

    var i = 19
    var millis = 0
    if b[i] == UInt8(ascii: ".") {
      i += 1
      let start = i
      while i < b.count, b[i] &- UInt8(ascii: "0") < 10 {
        if i - start < 3 { millis = millis * 10 + Int(b[i] - UInt8(ascii: "0")) }
        i += 1
      }
      let count = i - start
      guard count > 0 else { return nil }
      for _ in count..<max(count, 3) { millis *= 10 }
    }

    guard i < b.count else { return nil }
    var offsetSeconds = 0
    if b[i] | 0x20 == UInt8(ascii: "z") {
      i += 1
    } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
      guard b.count - i >= 6, let oh = number(i + 1, 2), b[i + 3] == UInt8(ascii: ":"),
        let om = number(i + 4, 2), oh < 24, om < 60
      else { return nil }
      offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
      i += 6
    } else {
      return nil
    }
    guard i == b.count else { return nil }

    let dayCount = days(fromCivil: Int64(year), month, day)
    let seconds =
      dayCount * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
    return Date(timeIntervalSince1970: Double(seconds) + Double(millis) / 1000)
  }

  private static func isLeap(_ year: Int) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
  }

  private static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: return isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }

  /// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant, `days_from_civil`).
  static func days(fromCivil year: Int64, _ month: Int, _ day: Int) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = Int64(month > 2 ? month - 3 : month + 9)
    let doy = (153 * mp + 2) / 5 + Int64(day) - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  /// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant, `civil_from_days`).
  static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = Int(doy - (153 * mp + 2) / 5 + 1)
    let month = Int(mp < 10 ? mp + 3 : mp - 9)
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}
