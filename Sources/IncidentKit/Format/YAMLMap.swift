import Foundation
import Yams

/// Typed, position-aware access to one YAML mapping of a record file.
///
/// Every accessor returns `nil` when the key is absent, and throws a ``FormatError`` naming the
/// field (its dotted path, such as `roles.commander` or `events[2].at`) and the position of its
/// value when the value has the wrong shape.
///
/// Scalars are always taken as their literal text: `no` stays `"no"` and `0755` stays `"0755"`;
/// nothing is converted to a Bool or a number (YAML 1.1 and 1.2 disagree about which plain
/// scalars are booleans or numbers, and hand edits should not change meaning by accident). The
/// one exception is a *plain* (unquoted) null: an empty value, `~`, `null`, `Null` or `NULL`
/// reads as an absent value, because that is what a person writing `owner:` or `owner: ~`
/// means. Quoted, such text is a string (``CanonicalYAML`` quotes it when writing).
///
/// `YAMLMap` holds a Yams `Node`, which is not `Sendable`; so `YAMLMap` is not either. Read what
/// you need into `Sendable` model values.
public struct YAMLMap {
  /// The mapping node.
  public let node: Node
  /// The repository-relative path of the file, for errors.
  public let file: String
  /// The dotted key path of this mapping from the document root (empty for the root), such as
  /// `roles` or `events[2]`.
  public let path: String

  private let mapping: Node.Mapping
  /// The keys' text and their values, in document order, read once: looking a key up then
  /// compares strings instead of copying Yams nodes (most of the cost of reading a record).
  private let keyTexts: [String]
  private let values: [Node]

  /// Wraps a mapping node.
  ///
  /// - Parameters:
  ///   - node: The node, which must be a mapping.
  ///   - file: The repository-relative path of the file, for errors.
  ///   - path: The dotted key path of `node` from the document root; empty for the root.
  /// - Throws: ``FormatError`` at the node's position if it is not a mapping
  ///   ("expected a mapping, found a sequence").
  public init(_ node: Node, file: String, path: String = "") throws(FormatError) {
    guard case .mapping(let mapping) = node else {
      throw FormatError(
        file: file, line: node.mark?.line, column: node.mark?.column,
        field: path.isEmpty ? nil : path,
        message: "expected a mapping of keys to values, found \(YAMLMap.describe(node))")
    }
    self.node = node
    self.file = file
    self.path = path
    self.mapping = mapping
    var keyTexts: [String] = []
    var values: [Node] = []
    keyTexts.reserveCapacity(mapping.count)
    values.reserveCapacity(mapping.count)
    for (k, value) in mapping {
      keyTexts.append(YAMLMap.text(of: k))
      values.append(value)
    }
    self.keyTexts = keyTexts
    self.values = values
  }

  /// The keys, as text, in document order.
  public var keys: [String] {
    keyTexts
  }

  /// The value node of a key, exactly as parsed (a plain null is a scalar node here).
  ///
  /// - Parameter key: The key.
  /// - Returns: The value, or `nil` if the key is absent.
  public func node(_ key: String) -> Node? {
    keyTexts.firstIndex(of: key).map { values[$0] }
  }

  /// The position of a key's value: the first character of a scalar (its opening quote, or the
  /// `|` of a block scalar), the first key of a block mapping, the `-` of a block sequence's
  /// first item, or the bracket of a flow collection.
  ///
  /// - Parameter key: The key.
  /// - Returns: The 1-based line and column (Unicode scalars), or `nil` if the key is absent or
  ///   the node was not parsed from text.
  public func mark(_ key: String) -> (line: Int, column: Int)? {
    guard let mark = node(key)?.mark else { return nil }
    return (mark.line, mark.column)
  }

  /// A string value.
  ///
  /// - Parameter key: The key.
  /// - Returns: The scalar's literal text; `nil` if the key is absent or its value is a plain
  ///   null (empty, `~`, `null`, `Null`, `NULL`).
  /// - Throws: ``FormatError`` if the value is a mapping or a sequence.
  public func string(_ key: String) throws(FormatError) -> String? {
    guard let value = node(key), !YAMLMap.isNull(value) else { return nil }
    guard case .scalar(let scalar) = value else {
      throw error(key, "expected a string, found \(YAMLMap.describe(value))")
    }
    return scalar.string
  }

  /// A string value that must be present.
  ///
  /// - Parameter key: The key.
  /// - Returns: The scalar's literal text (possibly empty, if written `""`).
  /// - Throws: ``FormatError`` if the key is absent or a plain null (reported at this mapping's
  ///   position), or if the value is not a scalar.
  public func requiredString(_ key: String) throws(FormatError) -> String {
    guard let value = try string(key) else {
      throw error(key, "required field is missing; add it as `\(key): <text>`")
    }
    return value
  }

  /// A list of strings.
  ///
  /// - Parameter key: The key.
  /// - Returns: The items' literal texts in order (an empty array for `[]`); `nil` if the key
  ///   is absent or a plain null.
  /// - Throws: ``FormatError`` if the value is not a sequence, or (naming `key[i]`) if an item
  ///   is not a scalar or is a plain null.
  public func strings(_ key: String) throws(FormatError) -> [String]? {
    guard let value = node(key), !YAMLMap.isNull(value) else { return nil }
    guard case .sequence(let sequence) = value else {
      throw error(key, "expected a sequence of strings, found \(YAMLMap.describe(value))")
    }
    var result: [String] = []
    result.reserveCapacity(sequence.count)
    for (index, item) in sequence.enumerated() {
      guard case .scalar(let scalar) = item, !YAMLMap.isNull(item) else {
        throw FormatError(
          file: file, line: item.mark?.line, column: item.mark?.column,
          field: "\(field(key))[\(index)]",
          message: "expected a string, found \(YAMLMap.describe(item))")
      }
      result.append(scalar.string)
    }
    return result
  }

  /// A time, written as RFC 3339 with a UTC offset (see ``RFC3339/parse(_:)``).
  ///
  /// - Parameter key: The key.
  /// - Returns: The instant, or `nil` if the key is absent or a plain null.
  /// - Throws: ``FormatError`` if the value is not a scalar or not a valid RFC 3339 time with
  ///   offset; the message shows the expected form `2026-11-29T10:42:00Z`.
  public func time(_ key: String) throws(FormatError) -> Date? {
    guard let text = try string(key) else { return nil }
    guard let date = RFC3339.parse(text) else {
      throw error(
        key,
        "expected a time such as 2026-11-29T10:42:00Z (RFC 3339, with Z or an offset like "
          + "+02:00), found \"\(text)\"")
    }
    return date
  }

  /// A nested mapping.
  ///
  /// - Parameter key: The key.
  /// - Returns: The mapping with path `path.key`, or `nil` if the key is absent or a plain null.
  /// - Throws: ``FormatError`` if the value is not a mapping.
  public func map(_ key: String) throws(FormatError) -> YAMLMap? {
    guard let value = node(key), !YAMLMap.isNull(value) else { return nil }
    return try YAMLMap(value, file: file, path: field(key))
  }

  /// A list of mappings, such as the events of a timeline.
  ///
  /// - Parameter key: The key.
  /// - Returns: The mappings in order, with paths `key[0]`, `key[1]`, … (0-based); `nil` if the
  ///   key is absent or a plain null.
  /// - Throws: ``FormatError`` if the value is not a sequence, or (naming `key[i]`) if an item
  ///   is not a mapping.
  public func maps(_ key: String) throws(FormatError) -> [YAMLMap]? {
    guard let value = node(key), !YAMLMap.isNull(value) else { return nil }
    guard case .sequence(let sequence) = value else {
      throw error(key, "expected a sequence of mappings, found \(YAMLMap.describe(value))")
    }
    var result: [YAMLMap] = []
    result.reserveCapacity(sequence.count)
    for (index, item) in sequence.enumerated() {
      result.append(try YAMLMap(item, file: file, path: "\(field(key))[\(index)]"))
    }
    return result
  }

  /// The pairs whose keys are not in `known`, in document order, so that a rewrite can keep
  /// keys the tool does not know.
  ///
  /// - Parameter known: The keys the caller handles.
  /// - Returns: The other pairs, values exactly as parsed (see
  ///   ``CanonicalYAML/canonical(_:)`` to write them back in the canonical layout).
  public func unknownPairs(known: Set<String>) -> [(key: String, value: Node)] {
    var pairs: [(key: String, value: Node)] = []
    for (key, value) in zip(keyTexts, values) where !known.contains(key) {
      pairs.append((key, value))
    }
    return pairs
  }

  /// Builds an error about a field of this mapping, for checks beyond shape, such as
  /// "severity SEV9 is not defined; use one of SEV1, SEV2, SEV3".
  ///
  /// - Parameters:
  ///   - key: The key concerned, or `nil` for the mapping itself. The position is that of the
  ///     key's value if present, otherwise that of this mapping (for a missing key).
  ///   - message: What is wrong and what would be right, in plain lowercase English.
  /// - Returns: An error whose field is `path.key` (or `path`).
  public func error(_ key: String?, _ message: String) -> FormatError {
    let mark = key.flatMap { node($0)?.mark } ?? node.mark
    let name = key.map { field($0) } ?? path
    return FormatError(
      file: file, line: mark?.line, column: mark?.column,
      field: name.isEmpty ? nil : name, message: message)
  }

  // MARK: - Helpers

  private func field(_ key: String) -> String {
    path.isEmpty ? key : "\(path).\(key)"
  }

  static func text(of key: Node) -> String {
    if case .scalar(let scalar) = key { return scalar.string }
    return String(describing: key)
  }

  /// Whether a node is a plain scalar that YAML reads as null: empty, `~`, `null`, `Null`,
  /// `NULL` (the YAML 1.1 and 1.2 core schema null forms).
  static func isNull(_ node: Node) -> Bool {
    guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any
    else { return false }
    switch scalar.string {
    case "", "~", "null", "Null", "NULL": return true
    default: return false
    }
  }

  static func describe(_ node: Node) -> String {
    switch node {
    case .mapping: return "a mapping"
    case .sequence: return "a sequence"
    case .alias: return "an alias"
    case .scalar(let scalar):
      if isNull(node) { return "an empty value" }
      let text = scalar.string
      let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
      return "the string \"\(shown)\""
    }
  }
}
