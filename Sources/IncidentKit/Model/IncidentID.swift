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

  private static func isValid(_ text: String) -> Bool {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, isValidPrefix(String(parts[0])) else { return false }
    let date = Array(parts[1].utf8)
    guard date.count == 8, date.allSatisfy(isDigit) else { return false }
    let random = Array(parts[2].utf8)
    return random.count == 4 && random.allSatisfy { crockford.contains($0) }
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
    let parts = rawValue.split(separator: "-")
    return String(parts[1].prefix(4))
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
