import Foundation

/// True for the scalars of Foundation's `CharacterSet.whitespaces`: tab, the Unicode space
/// separators (general category Zs) and, in swift-corelibs-foundation, U+200B ZERO WIDTH SPACE.
func isFoundationWhitespace(_ s: Unicode.Scalar) -> Bool {
  s == " " || s == "\t"
    || (s.value >= 0x80 && (s.properties.generalCategory == .spaceSeparator || s.value == 0x200B))
}

extension Substring {
  /// The text without leading and trailing ``isFoundationWhitespace(_:)`` scalars: the same as
  /// Foundation's `trimmingCharacters(in: .whitespaces)`, without bridging to `NSString` (which
  /// was a noticeable part of reading thousands of Markdown files).
  var trimmingWhitespace: String {
    let isSpace = isFoundationWhitespace
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
    let last = scalars.lastIndex(where: { !isSpace($0) })!
    return String(scalars[first...last])
  }
}

extension String {
  /// See ``Substring/trimmingWhitespace``.
  var trimmingWhitespace: String { self[...].trimmingWhitespace }
}
