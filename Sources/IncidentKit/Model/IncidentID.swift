import Foundation

/// An incident's ID: `<PREFIX>-<YYYYMMDD>-<XXXX>`, for example `INC-20261129-7K3Q`.
///
/// The prefix comes from `git-incident.yaml` (default `INC`), the date is the UTC date of
/// declaration and the last part is four random Crockford base32 characters from the system's
/// secure random source, so clones that never talked do not collide in practice (2^20 IDs per
/// prefix per day). An ID is validated before it is ever used to build a path.
public struct IncidentID: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The ID as stored, upper case.
  public let rawValue: String

  /// Crockford's base32 alphabet: digits and upper-case letters without I, L, O and U.
  static let crockford = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

  /// Accepts only a complete, well-formed ID (case-insensitive; stored upper case).
  ///
  /// - Returns: nil for anything else, including path-like input such as `../x` or `.git`.
  public init?(_ text: String) {
    // Stored IDs are upper case already: no new string for them.
    if Self.isValid(text) {
      rawValue = text
      return
    }
    let upper = text.uppercased()
    guard Self.isValid(upper) else { return nil }
    rawValue = upper
  }

  private init(unchecked: String) { rawValue = unchecked }

  /// A new random ID for an incident declared at `date`.
  ///
  /// - Parameters:
  ///   - prefix: a valid prefix (see ``isValidPrefix(_:)``).
  ///   - date: the declaration time; its UTC calendar date forms the middle part.
  public static func generate(prefix: String, date: Date) -> IncidentID {
    var generator = SystemRandomNumberGenerator()
    let random = (0..<4).map { _ in crockford[Int(generator.next(upperBound: UInt32(32)))] }
    let id = "\(prefix)-\(Self.compactDate(date))-\(String(decoding: random, as: UTF8.self))"
    return IncidentID(unchecked: id)
  }

  /// True when `prefix` can start IDs: 1 to 10 upper-case ASCII letters and digits, starting
  /// with a letter.
  public static func isValidPrefix(_ prefix: String) -> Bool {
    let bytes = Array(prefix.utf8)
    guard (1...10).contains(bytes.count), isUpperLetter(bytes[0]) else { return false }
    return bytes.allSatisfy { isUpperLetter($0) || isDigit($0) }
  }

  /// `PREFIX-YYYYMMDD-XXXX`, checked byte by byte without allocating (this runs for every
  /// folder a listing reads).
  private static func isValid(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { b -> Bool in
      // The prefix is 1-10 bytes, so the whole ID is 15-24 bytes: "-" + 8 digits + "-" + 4.
      let n = b.count
      guard n >= 15, n <= 24, b[n - 5] == 45, b[n - 14] == 45 else { return false }
      let prefixEnd = n - 14
      guard isUpperLetter(b[0]) else { return false }
      for i in 0..<prefixEnd where !(isUpperLetter(b[i]) || isDigit(b[i])) { return false }
      for i in (prefixEnd + 1)..<(n - 5) where !isDigit(b[i]) { return false }
      for i in (n - 4)..<n where !isCrockford(b[i]) { return false }
      return true
    }
  }

  private static func isCrockford(_ c: UInt8) -> Bool {
    isDigit(c) || (isUpperLetter(c) && c != 73 && c != 76 && c != 79 && c != 85)  // not I L O U
  }

  /// `YYYYMMDD` of `date` in UTC.
  static func compactDate(_ date: Date) -> String {
    var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    gmtime_r(&seconds, &parts)
    let y = Int(parts.tm_year) + 1900
    let m = Int(parts.tm_mon) + 1
    let d = Int(parts.tm_mday)
    return String(format: "%04d%02d%02d", y, m, d)
  }

  private static func isUpperLetter(_ b: UInt8) -> Bool { b >= 65 && b <= 90 }
  private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

  /// The year folder the incident lives under (`2026` for `INC-20261129-7K3Q`).
  public var year: String {
    // The date part starts 13 bytes before the end (`-YYYYMMDD-XXXX`); IDs are ASCII.
    let utf8 = Array(rawValue.utf8)
    return String(decoding: utf8[(utf8.count - 13)..<(utf8.count - 9)], as: UTF8.self)
  }

  /// The random part (`7K3Q`).
  public var randomPart: String { String(rawValue.split(separator: "-")[2]) }

  /// The incident's folder in the repository: `incidents/<year>/<ID>`.
  public var folder: String { "incidents/\(year)/\(rawValue)" }

  public var description: String { rawValue }

  public static func < (lhs: IncidentID, rhs: IncidentID) -> Bool { lhs.rawValue < rhs.rawValue }

  /// True when `input` only has characters an ID or ID prefix can have (ASCII letters, digits
  /// and `-`), 1 to 40 of them. Checked before any lookup so nothing path-like gets further.
  public static func isPlausibleQuery(_ input: String) -> Bool {
    let bytes = Array(input.utf8)
    guard (1...40).contains(bytes.count) else { return false }
    return bytes.allSatisfy { isUpperLetter($0) || isDigit($0) || ($0 >= 97 && $0 <= 122) || $0 == 45 }
  }
}
