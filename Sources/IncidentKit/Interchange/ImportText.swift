import Foundation
import Yams

/// Makes imported text obey the rule the command line applies to typed text
/// (``Lifecycle/singleLine(_:what:)`` and ``Lifecycle/nonEmptyText(_:what:)``): free text holds
/// line breaks and tabs and no other control character (Unicode general category Cc: C0, DEL,
/// C1); one-line fields hold none; neither holds the bidirectional embedding, override and
/// isolate controls U+202A-202E and U+2066-2069 (Trojan Source, CVE-2021-42574).
///
/// Imported data is not refused for this: the characters are removed (CR LF and a lone CR
/// become a line break in free text; line breaks and tabs become a space in one-line fields),
/// and one warning per record names the file, the fields and the characters removed. This
/// covers raw characters in the source and those that HTML entities (`&#x202E;`, `&#27;`) or
/// YAML escapes (`"\e"`) decode to.
struct ImportText {
  /// The source file, for the warning.
  var file: String
  /// The source fields that had characters removed, in order, each once.
  private(set) var fields: [String] = []
  /// The scalars removed, in order of first appearance, each once.
  private(set) var removed: [UInt32] = []

  init(file: String) { self.file = file }

  /// True when `scalar` may not appear in free text (line breaks and tabs may).
  static func forbidden(_ scalar: Unicode.Scalar) -> Bool {
    let value = scalar.value
    // ASCII without a table lookup: its only control characters are C0 and DEL.
    if value < 0x80 { return (value < 0x20 && value != 0x0A && value != 0x09) || value == 0x7F }
    return scalar.properties.generalCategory == .control || Lifecycle.bidiControls.contains(value)
  }

  /// True when ``text(_:field:)`` would return `text` unchanged: no CR and nothing forbidden.
  static func isClean(_ text: some StringProtocol) -> Bool {
    !text.unicodeScalars.contains { $0 == "\r" || forbidden($0) }
  }

  /// True when ``line(_:field:)`` would return `text` unchanged: no line break, tab or
  /// forbidden character, and no ``isFoundationWhitespace(_:)`` at either end.
  static func isCleanLine(_ text: String) -> Bool {
    let scalars = text.unicodeScalars
    guard let first = scalars.first, let last = scalars.last else { return true }
    return !isFoundationWhitespace(first) && !isFoundationWhitespace(last)
      && !scalars.contains { $0 == "\n" || $0 == "\r" || $0 == "\t" || forbidden($0) }
  }

  /// True when ``yaml(_:field:)`` would return `node` unchanged: every scalar passes
  /// ``isClean(_:)`` and every scalar key ``isCleanLine(_:)``. Checking first spares the
  /// common clean tree the field paths and copies of the walk.
  static func isClean(_ node: Node) -> Bool {
    switch node {
    case .scalar(let scalar): return isClean(scalar.string)
    case .sequence(let sequence): return sequence.allSatisfy(isClean)
    case .mapping(let mapping):
      return mapping.allSatisfy { key, value in
        if case .scalar(let scalar) = key, !isCleanLine(scalar.string) { return false }
        return isClean(value)
      }
    case .alias: return true
    }
  }

  /// `text` as one-line text: line breaks and tabs become spaces, runs of spaces from them
  /// collapse, other forbidden characters are removed; trimmed.
  mutating func line(_ text: String, field: String) -> String {
    var out = String.UnicodeScalarView()
    var found = false
    for scalar in text.unicodeScalars {
      if scalar == "\n" || scalar == "\r" || scalar == "\t" {
        if let last = out.last, last != " " { out.append(" ") }
      } else if Self.forbidden(scalar) {
        note(scalar)
        found = true
      } else {
        out.append(scalar)
      }
    }
    if found { noteField(field) }
    return String(out).trimmingWhitespace
  }

  /// `text` as free text: CR LF and a lone CR become LF, forbidden characters are removed.
  mutating func text(_ text: String, field: String) -> String {
    if Self.isClean(text) { return text }
    let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    guard normalized.unicodeScalars.contains(where: Self.forbidden) else { return normalized }
    var out = String.UnicodeScalarView()
    for scalar in normalized.unicodeScalars {
      if Self.forbidden(scalar) { note(scalar) } else { out.append(scalar) }
    }
    noteField(field)
    return String(out)
  }

  /// `node` with every string (keys as one-line text, values as free text) cleaned; `field`
  /// is the node's dotted path, extended for the strings inside.
  mutating func node(_ node: JSONNode, field: String) -> JSONNode {
    switch node {
    case .string(let s): return .string(text(s, field: field))
    case .array(let items):
      return .array(items.enumerated().map { self.node($0.element, field: "\(field)[\($0.offset)]") })
    case .object(let pairs):
      return .object(pairs.map { pair in
        let key = line(pair.key, field: field.isEmpty ? pair.key : "\(field).\(pair.key)")
        return (key: key, value: self.node(pair.value, field: field.isEmpty ? key : "\(field).\(key)"))
      })
    default: return node
    }
  }

  /// A YAML node with every scalar cleaned as free text (keys as one-line text).
  mutating func yaml(_ node: Node, field: String) -> Node {
    switch node {
    case .scalar(let s):
      let cleaned = text(s.string, field: field)
      return cleaned == s.string ? node : .scalar(.init(cleaned, s.tag, s.style, s.mark))
    case .sequence(let seq):
      return .sequence(.init(seq.enumerated().map { yaml($0.element, field: "\(field)[\($0.offset)]") }, seq.tag, seq.style, seq.mark))
    case .mapping(let map):
      let pairs = map.map { pair -> (Node, Node) in
        let name = pair.key.string ?? ""
        let path = field.isEmpty ? name : "\(field).\(name)"
        let key: Node
        if case .scalar(let s) = pair.key {
          let cleaned = line(s.string, field: path)
          key = cleaned == s.string ? pair.key : .scalar(.init(cleaned, s.tag, s.style, s.mark))
        } else {
          key = pair.key
        }
        return (key, yaml(pair.value, field: path))
      }
      return .mapping(.init(pairs, map.tag, map.style, map.mark))
    case .alias:
      return node
    }
  }

  private mutating func note(_ scalar: Unicode.Scalar) {
    if !removed.contains(scalar.value) { removed.append(scalar.value) }
  }

  private mutating func noteField(_ field: String) {
    if !fields.contains(field) { fields.append(field) }
  }

  /// The one warning for the record, or nil when nothing was removed:
  /// `file: removed control or bidirectional characters (U+202E, U+001B) from incident.name,
  /// incident.incident_updates[0].body; ...`.
  var warning: String? {
    guard !fields.isEmpty else { return nil }
    let scalars = removed.map { String(format: "U+%04X", $0) }.joined(separator: ", ")
    return "\(file): removed control or bidirectional characters (\(scalars)) from \(fields.joined(separator: ", ")); imported text may hold only line breaks and tabs, as text given on the command line"
  }
}
