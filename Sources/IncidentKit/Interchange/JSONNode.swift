import Foundation
import Yams

/// A parsed JSON document that keeps every value's type (`"000"` stays a string, `true` a
/// bool, `7332` an integer), read by importers from other systems' JSON exports.
///
/// Object keys are kept sorted by their UTF-8 bytes, so that the YAML written from a node is
/// the same whatever the key order of the input.
indirect enum JSONNode: Equatable, Decodable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONNode])
  case object([(key: String, value: JSONNode)])

  private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  init(from decoder: Decoder) throws {
    if let object = try? decoder.container(keyedBy: Key.self) {
      var pairs: [(key: String, value: JSONNode)] = []
      for key in object.allKeys {
        pairs.append((key.stringValue, try object.decode(JSONNode.self, forKey: key)))
      }
      self = .object(pairs.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) })
      return
    }
    if var array = try? decoder.unkeyedContainer() {
      var items: [JSONNode] = []
      while !array.isAtEnd { items.append(try array.decode(JSONNode.self)) }
      self = .array(items)
      return
    }
    let single = try decoder.singleValueContainer()
    if single.decodeNil() {
      self = .null
    } else if let b = try? single.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? single.decode(Int64.self) {
      self = .int(i)
    } else if let d = try? single.decode(Double.self) {
      self = .double(d)
    } else {
      self = .string(try single.decode(String.self))
    }
  }

  static func == (lhs: JSONNode, rhs: JSONNode) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.int(let a), .int(let b)): return a == b
    case (.double(let a), .double(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.array(let a), .array(let b)): return a == b
    case (.object(let a), .object(let b)):
      return a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
    default: return false
    }
  }

  /// Parses JSON text.
  ///
  /// - Throws: the decoder's error when `data` is not valid JSON.
  static func parse(_ data: Data) throws -> JSONNode {
    try JSONDecoder().decode(JSONNode.self, from: data)
  }

  /// The value at `key` of an object; nil for a missing key or a non-object.
  subscript(key: String) -> JSONNode? {
    guard case .object(let pairs) = self else { return nil }
    return pairs.first { $0.key == key }?.value
  }

  /// The text of a string; nil for anything else (null included).
  var string: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The value of an integer (or of a double with no fraction); nil for anything else.
  var int: Int64? {
    switch self {
    case .int(let i): return i
    case .double(let d) where d == d.rounded() && abs(d) < 1e15: return Int64(d)
    default: return nil
    }
  }

  /// The items of an array; nil for anything else.
  var array: [JSONNode]? {
    if case .array(let a) = self { return a }
    return nil
  }

  /// The pairs of an object; nil for anything else.
  var pairs: [(key: String, value: JSONNode)]? {
    if case .object(let p) = self { return p }
    return nil
  }

  /// True for null.
  var isNull: Bool {
    if case .null = self { return true }
    return false
  }

  /// The value as a canonical YAML node (see ``CanonicalYAML``): strings through
  /// ``CanonicalYAML/scalar(_:)`` (so `"000"` is quoted and stays a string), numbers, bools and
  /// null as plain scalars that read back as the same type.
  var yaml: Node {
    switch self {
    case .null: return .scalar(Node.Scalar("null", .implicit, .plain))
    case .bool(let b): return .scalar(Node.Scalar(b ? "true" : "false", .implicit, .plain))
    case .int(let i): return .scalar(Node.Scalar(String(i), .implicit, .plain))
    case .double(let d):
      return .scalar(Node.Scalar(d.isFinite ? "\(d)" : "null", .implicit, .plain))
    case .string(let s): return CanonicalYAML.scalar(s)
    case .array(let items): return CanonicalYAML.sequence(items.map(\.yaml))
    case .object(let pairs): return CanonicalYAML.mapping(pairs.map { ($0.key, $0.value.yaml) })
    }
  }
}
