import Foundation

/// Times as other systems write them: RFC 3339 with a zone, or local date-times without one
/// (`2018-04-25 04:13:00`, `2021-06-30 08:32`, `2024-02-28`), which are read in a named IANA
/// time zone (the repository's `timezone` setting), never in the machine's own `TZ`.
enum ImportTime {
  /// A parsed time and whether the text named its zone.
  struct Parsed: Equatable {
    var date: Date
    /// False when the text had no zone or offset and was read in the given time zone.
    var hadZone: Bool
  }

  /// Parses `text` as an RFC 3339 time, or else as a local date or date-time in `zone`.
  ///
  /// Accepted local forms: `YYYY-MM-DD`, then optionally `T` or a space and `HH:MM` or
  /// `HH:MM:SS` with an optional fraction; an RFC 3339 offset or `Z` after a space-separated
  /// time is accepted too (`2024-12-27 09:43:40Z`).
  ///
  /// - Returns: nil when the text is not a valid date (month 13, 31 February, hour 24 ...).
  static func parse(_ raw: String, zone: TimeZone) -> Parsed? {
    let text = raw.trimmingCharacters(in: .whitespaces)
    if let d = RFC3339.parse(text) { return Parsed(date: d, hadZone: true) }
    let normalized = text.replacingOccurrences(of: " ", with: "T")
    if let d = RFC3339.parse(normalized) { return Parsed(date: d, hadZone: true) }
    let bytes = Array(text.utf8)
    func number(_ range: Range<Int>) -> Int? {
      guard range.upperBound <= bytes.count else { return nil }
      var value = 0
      for b in bytes[range] {
        guard b >= 48 && b <= 57 else { return nil }
        value = value * 10 + Int(b - 48)
      }
      return value
    }
    guard bytes.count >= 10, bytes[4] == 45, bytes[7] == 45,
      let year = number(0..<4), let month = number(5..<7), let day = number(8..<10)
    else { return nil }
    var hour = 0, minute = 0, second = 0
    var nanos = 0
    if bytes.count > 10 {
      guard bytes[10] == 84 || bytes[10] == 32 || bytes[10] == 116, bytes.count >= 16,
        bytes[13] == 58, let h = number(11..<13), let m = number(14..<16)
      else { return nil }
      hour = h
      minute = m
      var rest = 16
      if bytes.count > 16 {
        guard bytes[16] == 58, let s = number(17..<19) else { return nil }
        second = s
        rest = 19
        if rest < bytes.count, bytes[rest] == 46 {
          var digits = 0
          var fraction = 0
          rest += 1
          while rest < bytes.count, bytes[rest] >= 48, bytes[rest] <= 57 {
            if digits < 3 { fraction = fraction * 10 + Int(bytes[rest] - 48) }
            digits += 1
            rest += 1
          }
          guard digits > 0 else { return nil }
          var scale = min(digits, 3)
          while scale < 3 {
            fraction *= 10
            scale += 1
          }
          nanos = fraction * 1_000_000
        }
      }
      guard rest == bytes.count else { return nil }
    }
    guard (1...12).contains(month), day >= 1, hour < 24, minute < 60, second < 60 else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    var components = DateComponents()
    components.year = year
    components.month = month
    components.day = day
    guard let monthStart = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
      let days = calendar.range(of: .day, in: .month, for: monthStart), days.contains(day)
    else { return nil }
    components.hour = hour
    components.minute = minute
    components.second = second
    components.nanosecond = nanos
    guard let date = calendar.date(from: components) else { return nil }
    let millis = (date.timeIntervalSince1970 * 1000).rounded()
    return Parsed(date: Date(timeIntervalSince1970: millis / 1000), hadZone: false)
  }
}
