import CYaml
import Foundation
import Yams

/// The typed accessors a record decoder needs, so one decoder serves any YAML (``YAMLMap``,
/// with positions) and records laid out as the tool writes them (``FlatRecord``, read straight
/// from libyaml's events).
protocol RecordFields {
  /// The keys, as text, in document order.
  var keys: [String] { get }
  /// A scalar's text; nil when absent or a plain null. Throws for a mapping or sequence.
  func string(_ key: String) throws(FormatError) -> String?
  /// ``string(_:)`` that must be present.
  func requiredString(_ key: String) throws(FormatError) -> String
  /// A sequence of non-null scalars; nil when absent or a plain null.
  func strings(_ key: String) throws(FormatError) -> [String]?
  /// A nested mapping; nil when absent or a plain null.
  func map(_ key: String) throws(FormatError) -> Self?
  /// An RFC 3339 time; nil when absent or a plain null.
  func time(_ key: String) throws(FormatError) -> Date?
  /// An error about a field (or the mapping itself when `key` is nil).
  func error(_ key: String?, _ message: String) -> FormatError
}

extension YAMLMap: RecordFields {}

extension RecordFields {
  /// A one-line text field: refused when it holds a control character (line breaks and tabs
  /// included) or a bidirectional override, the rule the command line applies to the same
  /// fields (``Lifecycle``; Trojan Source, CVE-2021-42574). A hand edit cannot put a terminal
  /// escape sequence into what `show` and `list` print.
  func oneLine(_ key: String) throws(FormatError) -> String? {
    guard let text = try string(key) else { return nil }
    if let bad = Lifecycle.forbiddenScalar(in: text, allowed: []) {
      throw error(key, "contains the control character \(bad); a one-line field holds no control characters or bidirectional overrides, remove it")
    }
    return text
  }

  /// A one-line field that must be present.
  func requiredOneLine(_ key: String) throws(FormatError) -> String {
    guard let text = try oneLine(key) else {
      throw error(key, "required field is missing; add it as `\(key): <text>`")
    }
    return text
  }

  /// A list of one-line texts (``oneLine(_:)`` for each item).
  func oneLineList(_ key: String) throws(FormatError) -> [String]? {
    guard let items = try strings(key) else { return nil }
    for (index, text) in items.enumerated() {
      if let bad = Lifecycle.forbiddenScalar(in: text, allowed: []) {
        throw error(key, "item \(index + 1) contains the control character \(bad); a one-line field holds no control characters or bidirectional overrides, remove it")
      }
    }
    return items
  }

  /// Free text (a summary, a note): line breaks and tabs are fine, other control characters and
  /// bidirectional overrides are refused, as on the command line.
  func freeText(_ key: String) throws(FormatError) -> String? {
    guard let text = try string(key) else { return nil }
    if let bad = Lifecycle.forbiddenScalar(in: text, allowed: ["\n", "\t"]) {
      throw error(key, "contains the control character \(bad); free text may hold line breaks and tabs but no other control characters or bidirectional overrides, remove it")
    }
    return text
  }
}

/// A record file whose root is a mapping of known keys to scalars, lists of scalars or
/// mappings of scalars (as `incident.yaml` is written), read straight from libyaml's events
/// with no node tree: reading ten thousand records for `list` spends its time here.
///
/// ``read(_:known:)`` gives up (nil) on anything else: a key not in `known` (its value is kept
/// as a YAML node, which needs the full reader), a repeated key, deeper nesting, an anchor, an
/// alias, an explicit tag, a `%TAG` directive, a second document or a libyaml error. The caller
/// then uses ``YAMLReader``, so what is accepted, and every error with its line and column,
/// stays exactly the full reader's. Values are taken as Yams takes them (one leading U+FEFF is
/// dropped, as Foundation's UTF-8 decoding does), and a plain empty, `~`, `null`, `Null` or
/// `NULL` reads as absent, as in ``YAMLMap``. Errors from its accessors have no position;
/// callers read the file again with ``YAMLMap`` to report them.
struct FlatRecord: RecordFields {
  enum Value {
    case scalar(String, plain: Bool)
    case list([(text: String, plain: Bool)])
    case map(FlatRecord)
  }

  let file: String
  let path: String
  private(set) var keys: [String] = []
  private var values: [Value] = []

  private init(file: String, path: String) {
    self.file = file
    self.path = path
  }

  // MARK: Accessors, as YAMLMap's

  private func value(_ key: String) -> Value? {
    keys.firstIndex(of: key).map { values[$0] }
  }

  private static func isNull(_ text: String, plain: Bool) -> Bool {
    guard plain else { return false }
    switch text {
    case "", "~", "null", "Null", "NULL": return true
    default: return false
    }
  }

  private static func isNull(_ value: Value) -> Bool {
    if case .scalar(let text, let plain) = value { return isNull(text, plain: plain) }
    return false
  }

  func string(_ key: String) throws(FormatError) -> String? {
    guard let value = value(key), !Self.isNull(value) else { return nil }
    guard case .scalar(let text, _) = value else { throw error(key, "expected a string") }
    return text
  }

  func requiredString(_ key: String) throws(FormatError) -> String {
    guard let text = try string(key) else { throw error(key, "required field is missing") }
    return text
  }

  func strings(_ key: String) throws(FormatError) -> [String]? {
    guard let value = value(key), !Self.isNull(value) else { return nil }
    guard case .list(let items) = value else { throw error(key, "expected a sequence of strings") }
    var texts: [String] = []
    texts.reserveCapacity(items.count)
    for item in items {
      if Self.isNull(item.text, plain: item.plain) { throw error(key, "expected a string") }
      texts.append(item.text)
    }
    return texts
  }

  func map(_ key: String) throws(FormatError) -> FlatRecord? {
    guard let value = value(key), !Self.isNull(value) else { return nil }
    guard case .map(let map) = value else { throw error(key, "expected a mapping") }
    return map
  }

  func time(_ key: String) throws(FormatError) -> Date? {
    guard let text = try string(key) else { return nil }
    guard let date = RFC3339.parse(text) else { throw error(key, "expected a time") }
    return date
  }

  func error(_ key: String?, _ message: String) -> FormatError {
    let field = [path, key ?? ""].filter { !$0.isEmpty }.joined(separator: ".")
    return FormatError(
      file: file, line: nil, column: nil, field: field.isEmpty ? nil : field, message: message)
  }

  // MARK: Reading

  /// Reads a record file, or gives up (nil) as described above.
  ///
  /// - Parameters:
  ///   - data: the file's bytes.
  ///   - file: the path used in (positionless) errors.
  ///   - known: the top-level keys the record type has; any other key gives up.
  static func read(_ data: Data, file: String, known: Set<String>) -> FlatRecord? {
    data.withUnsafeBytes { raw -> FlatRecord? in
      let bytes = raw.bindMemory(to: UInt8.self)
      guard let text = YAMLReader.checkedText(bytes) else { return nil }
      return read(text, file: file, known: known)
    }
  }

  private static func read(
    _ bytes: UnsafeBufferPointer<UInt8>, file: String, known: Set<String>
  ) -> FlatRecord? {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { return nil }
    defer { yaml_parser_delete(&parser) }
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
    yaml_parser_set_input_string(&parser, base, bytes.count)
    return withUnsafeMutablePointer(to: &parser) { pointer -> FlatRecord? in
      let events = EventReader(pointer: pointer)
      guard events.next(YAML_STREAM_START_EVENT) != nil,
        let start = events.next(YAML_DOCUMENT_START_EVENT),
        start.data.document_start.tag_directives.start == start.data.document_start.tag_directives.end,
        let root = events.next(YAML_MAPPING_START_EVENT), plain(root)
      else { return nil }
      var record = FlatRecord(file: file, path: "")
      while true {
        guard let event = events.next() else { return nil }
        if event.type == YAML_MAPPING_END_EVENT { break }
        guard let key = scalarText(event), known.contains(key.text), !record.keys.contains(key.text)
        else { return nil }
        guard let valueEvent = events.next() else { return nil }
        let value: Value
        switch valueEvent.type {
        case YAML_SCALAR_EVENT:
          guard let scalar = scalarText(valueEvent) else { return nil }
          value = .scalar(scalar.text, plain: scalar.plain)
        case YAML_SEQUENCE_START_EVENT:
          guard plain(valueEvent) else { return nil }
          var items: [(text: String, plain: Bool)] = []
          while true {
            guard let item = events.next() else { return nil }
            if item.type == YAML_SEQUENCE_END_EVENT { break }
            guard let scalar = scalarText(item) else { return nil }
            items.append(scalar)
          }
          value = .list(items)
        case YAML_MAPPING_START_EVENT:
          guard plain(valueEvent) else { return nil }
          var nested = FlatRecord(file: file, path: key.text)
          while true {
            guard let keyEvent = events.next() else { return nil }
            if keyEvent.type == YAML_MAPPING_END_EVENT { break }
            guard let nestedKey = scalarText(keyEvent), !nested.keys.contains(nestedKey.text),
              let nestedValue = events.next(), let scalar = scalarText(nestedValue)
            else { return nil }
            nested.keys.append(nestedKey.text)
            nested.values.append(.scalar(scalar.text, plain: scalar.plain))
          }
          value = .map(nested)
        default:
          return nil
        }
        record.keys.append(key.text)
        record.values.append(value)
      }
      guard events.next(YAML_DOCUMENT_END_EVENT) != nil, events.next(YAML_STREAM_END_EVENT) != nil
      else { return nil }
      return record
    }
  }

  /// A collection start with no anchor and no explicit tag.
  private static func plain(_ event: yaml_event_t) -> Bool {
    switch event.type {
    case YAML_MAPPING_START_EVENT:
      return event.data.mapping_start.anchor == nil && event.data.mapping_start.tag == nil
    case YAML_SEQUENCE_START_EVENT:
      return event.data.sequence_start.anchor == nil && event.data.sequence_start.tag == nil
    default:
      return false
    }
  }

  /// A scalar's text (as Yams decodes it) and whether it is plain; nil for another event or a
  /// scalar with an anchor or an explicit tag.
  private static func scalarText(_ event: yaml_event_t) -> (text: String, plain: Bool)? {
    guard event.type == YAML_SCALAR_EVENT else { return nil }
    let s = event.data.scalar
    guard s.anchor == nil, s.tag == nil else { return nil }
    let text = YAMLReader.scalarString(UnsafeBufferPointer(start: s.value, count: s.length))
    return (text, s.style == YAML_PLAIN_SCALAR_STYLE)
  }

  /// Pulls events from a libyaml parser; each event is freed when the next is pulled, and the
  /// last one when the reader goes away.
  private final class EventReader {
    let pointer: UnsafeMutablePointer<yaml_parser_t>
    var event = yaml_event_t()
    var holding = false

    init(pointer: UnsafeMutablePointer<yaml_parser_t>) {
      self.pointer = pointer
    }

    deinit {
      if holding { yaml_event_delete(&event) }
    }

    /// The next event (its strings valid until the next call), or nil on a libyaml error.
    func next() -> yaml_event_t? {
      if holding {
        yaml_event_delete(&event)
        holding = false
      }
      guard yaml_parser_parse(pointer, &event) == 1 else { return nil }
      holding = true
      return event
    }

    /// The next event if it has the given type.
    func next(_ type: yaml_event_type_t) -> yaml_event_t? {
      guard let event = next(), event.type == type else { return nil }
      return event
    }
  }
}
