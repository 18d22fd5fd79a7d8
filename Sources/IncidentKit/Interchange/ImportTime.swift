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
    /// For a local time in a daylight-saving gap (it never happened on the wall clock) or in
    /// the repeated hour (it happened twice): what it is and which instant was chosen, such as
    /// `2024-03-10 02:30 does not exist in America/New_York (the clocks moved forward); read as
    /// 2024-03-10T07:30:00Z`. Nil otherwise.
    var note: String? = nil
  }

  /// Checks the times read from one source file, the same way for every importer: a time must
  /// be plausible (``implausible(_:)``); the first one written without a zone is warned about
  /// once, naming the zone it was read in and the instant chosen; every daylight-saving gap or
  /// repeated hour is warned about.
  struct Checker {
    /// The file as given, for messages.
    let file: String
    /// The IANA name of the zone zone-less times are read in (the repository's `timezone`).
    let zoneName: String
    private var zoneWarned = false

    init(file: String, zoneName: String) {
      self.file = file
      self.zoneName = zoneName
    }

    /// - Returns: why `parsed` (read from `text` at `field`) is not a plausible time, or nil
    ///   after adding any warnings to `warnings`.
    mutating func check(_ parsed: Parsed, text: String, field: String, warnings: inout [String]) -> String? {
      if let why = ImportTime.implausible(parsed.date) { return "'\(text)': \(why)" }
      if !parsed.hadZone && !zoneWarned {
        zoneWarned = true
        warnings.append(
          "\(file): \(field): '\(text)' has no time zone; read in \(zoneName) (timezone in the committed git-incident.yaml) as \(RFC3339.format(parsed.date))")
      }
      if let note = parsed.note { warnings.append("\(file): \(field): \(note)") }
      return nil
    }
  }

  /// Years a stored time may have: RFC 3339 (and JSON Schema's `date-time`) write four-digit
  /// years, and anything before 1000 is a typo or a placeholder (`0000-00-00`) in practice.
  static let plausibleYears = 1000...9999

  /// Why `date` is not a plausible time for a record (its UTC year is outside
  /// ``plausibleYears``), or nil when it is.
  static func implausible(_ date: Date) -> String? {
    // Most times are well inside the range: those need no calendar. (Before the Gregorian
    // reform of 1582 Foundation's calendar is Julian, so the edges are left to it.)
    if (plainlyPlausible ~= date.timeIntervalSince1970) { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let components = calendar.dateComponents([.era, .year], from: date)
    let year = (components.era == 0 ? 1 - (components.year ?? 0) : (components.year ?? 0))
    guard !plausibleYears.contains(year) else { return nil }
    return "the year \(year) is implausible; expected a year from \(plausibleYears.lowerBound) to \(plausibleYears.upperBound)"
  }

  /// Seconds since 1970 from 1600-01-01T00:00:00Z up to 10000-01-01T00:00:00Z: times in the
  /// Gregorian calendar with a year in ``plausibleYears``.
  static let plainlyPlausible = -11_676_096_000.0..<253_402_300_800.0

  /// The start of 1970 (the Unix epoch). git cannot be trusted with commit times before it
  /// (git's own tools read them as unsigned and show 1969 as 2105), so importers use the import
  /// time as author date for earlier times.
  static let epoch = Date(timeIntervalSince1970: 0)

  /// Parses `text` as an RFC 3339 time, or else as a local date or date-time in `zone`.
  ///
  /// Accepted local forms: `YYYY-MM-DD`, then optionally `T` or a space and `HH:MM` or
  /// `HH:MM:SS` with an optional fraction; an RFC 3339 offset or `Z` after a space-separated
  /// time is accepted too (`2024-12-27 09:43:40Z`).
  ///
  /// - Returns: nil when the text is not a valid date (month 13, 31 February, hour 24 ...).
  static func parse(_ raw: String, zone: TimeZone) -> Parsed? {
    let text = raw.trimmingWhitespace
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
    let chosen = Date(timeIntervalSince1970: millis / 1000)
    return Parsed(date: chosen, hadZone: false, note: transitionNote(text, components: components, zone: zone, chosen: chosen))
  }

  /// Says when the wall-clock time `components` falls in a daylight-saving gap or repeated
  /// hour of `zone`, and which instant `chosen` is. The candidates are the wall-clock time read
  /// with the zone's offset a day before and a day after; each that maps back to its own
  /// offset is a real instant: none means a gap, two a repeated hour.
  static func transitionNote(_ text: String, components: DateComponents, zone: TimeZone, chosen: Date) -> String? {
    var utc = Calendar(identifier: .gregorian)
    utc.timeZone = TimeZone(identifier: "UTC")!
    guard let naive = utc.date(from: components) else { return nil }
    var offsets = Set<Int>()
    for shift in [-86_400.0, 0, 86_400] {
      offsets.insert(zone.secondsFromGMT(for: naive.addingTimeInterval(shift)))
    }
    guard offsets.count > 1 else { return nil }
    let real = offsets.map { naive.addingTimeInterval(-Double($0)) }
      .filter { zone.secondsFromGMT(for: $0) == Int(naive.timeIntervalSince($0)) }
      .sorted()
    func offset(_ d: Date) -> String {
      let s = zone.secondsFromGMT(for: d)
      return String(format: "%@%02d:%02d", s < 0 ? "-" : "+", abs(s) / 3600, abs(s) % 3600 / 60)
    }
    let name = zone.identifier
    if real.isEmpty {
      var local = Calendar(identifier: .gregorian)
      local.timeZone = zone
      let wall = local.dateComponents([.hour, .minute], from: chosen)
      let shown = String(format: "%02d:%02d", wall.hour ?? 0, wall.minute ?? 0)
      return "'\(text)' does not exist in \(name) (the clocks moved forward over it); read as \(RFC3339.format(chosen)), which is \(shown) local time (\(offset(chosen)))"
    }
    if real.count > 1 {
      let other = real.first { abs($0.timeIntervalSince(chosen)) >= 1 } ?? real[0]
      let which = abs(chosen.timeIntervalSince(real[0])) < 1 ? "the first" : "the second"
      return "'\(text)' happened twice in \(name) (the clocks moved back); read as \(which), \(RFC3339.format(chosen)) (\(offset(chosen))), not \(RFC3339.format(other)) (\(offset(other)))"
    }
    return nil
  }
}
