import Foundation

/// True for the scalars of Foundation's `CharacterSet.whitespaces`: tab, the Unicode space
/// separators (general category Zs) and, in swift-corelibs-foundation, U+200B ZERO WIDTH SPACE.
func isFoundationWhitespace(_ s: Unicode.Scalar) -> Bool {
  s == " " || s == "\t"
    || (s.value >= 0x80 && (s.properties.generalCategory == .spaceSeparator || s.value == 0x200B))
}

/// True for the scalars of Foundation's `CharacterSet.whitespacesAndNewlines`: those of
/// ``isFoundationWhitespace(_:)`` and the line breaks U+000A-000D, U+0085, U+2028 and U+2029.
func isFoundationWhitespaceOrNewline(_ s: Unicode.Scalar) -> Bool {
  switch s.value {
  case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
  default: return isFoundationWhitespace(s)
  }
}

extension Substring {
  /// The slice without leading and trailing scalars for which `isTrimmed` is true; no copy.
  ///
  /// Foundation's `trimmingCharacters(in:)` trims UTF-16 code units of an `NSString`; for a set
  /// of scalars of the Basic Multilingual Plane (as the whitespace sets are) that is the same as
  /// trimming scalars, without the bridging.
  func trimmingScalars(where isTrimmed: (Unicode.Scalar) -> Bool) -> Substring {
    // Sliced through the scalar view: a `Substring` subscript would round the bounds to
    // `Character` boundaries (`" \u{301}a"` would keep its space).
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !isTrimmed($0) }) else {
      return Substring(scalars[scalars.endIndex...])
    }
    let last = scalars.lastIndex(where: { !isTrimmed($0) })!
    return Substring(scalars[first...last])
  }

  /// The text without leading and trailing ``isFoundationWhitespace(_:)`` scalars: the same as
  /// Foundation's `trimmingCharacters(in: .whitespaces)`, without bridging to `NSString` (which
  /// was a noticeable part of reading thousands of Markdown files).
  var trimmingWhitespace: String {
    String(trimmingScalars(where: isFoundationWhitespace))
  }

  /// The text without leading and trailing ``isFoundationWhitespaceOrNewline(_:)`` scalars: the
  /// same as Foundation's `trimmingCharacters(in: .whitespacesAndNewlines)`.
  var trimmingWhitespaceAndNewlines: String {
    String(trimmingScalars(where: isFoundationWhitespaceOrNewline))
  }
}

extension String {
  /// See ``Substring/trimmingWhitespace``.
  var trimmingWhitespace: String { self[...].trimmingWhitespace }

  /// See ``Substring/trimmingWhitespaceAndNewlines``; returns the string itself (no copy) when
  /// there is nothing to trim.
  var trimmingWhitespaceAndNewlines: String {
    let trimmed = self[...].trimmingScalars(where: isFoundationWhitespaceOrNewline)
    return trimmed.startIndex == startIndex && trimmed.endIndex == endIndex ? self : String(trimmed)
  }
}
