internal import CLibgit2

/// A git object ID: the 20-byte SHA-1 name of a blob, tree, commit or tag.
///
/// A value type, cheap to hash and compare, safe to send between tasks.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The 20 raw bytes, in order.
  public let bytes: [UInt8]

  /// Creates an ID from its 20 raw bytes.
  public init?(bytes: [UInt8]) {
    guard bytes.count == 20 else { return nil }
    self.bytes = bytes
  }

  /// Parses a 40-character hexadecimal ID (upper or lower case).
  ///
  /// - Returns: nil when `hex` is not exactly 40 hexadecimal digits.
  public init?(hex: String) {
    let utf8 = Array(hex.utf8)
    guard utf8.count == 40 else { return nil }
    var out = [UInt8]()
    out.reserveCapacity(20)
    var i = 0
    while i < 40 {
      guard let hi = Self.nibble(utf8[i]), let lo = Self.nibble(utf8[i + 1]) else { return nil }
      out.append(hi << 4 | lo)
      i += 2
    }
    self.bytes = out
  }

  init(_ oid: git_oid) {
    var oid = oid
    self.bytes = withUnsafeBytes(of: &oid.id) { Array($0) }
  }

  init(_ pointer: UnsafePointer<git_oid>) {
    self.init(pointer.pointee)
  }

  var raw: git_oid {
    var oid = git_oid()
    withUnsafeMutableBytes(of: &oid.id) { buffer in
      for (i, b) in bytes.enumerated() { buffer[i] = b }
    }
    return oid
  }

  /// The 40-character lower-case hexadecimal form, as git prints it.
  public var hex: String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(40)
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The first `length` hexadecimal digits (default 12), for people.
  public func short(_ length: Int = 12) -> String { String(hex.prefix(length)) }

  public var description: String { hex }

  public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool {
    lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
  }

  private static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}
