import CYaml
import Foundation
import Yams

extension YAMLReader {
  /// What ``composeFromEvents(_:maxDepth:)`` made of a text.
  enum Composed {
    /// The document's root (nil for an empty document), built exactly as `Yams.Parser` with
    /// `Resolver.basic` builds it, but with no positions (`mark` is nil on every node).
    case document(Node?)
    /// Something the full reader must see: a libyaml error, an anchor, an alias, an explicit
    /// tag, a second document, a non-scalar or repeated mapping key, or nesting deeper than
    /// allowed. The full reader then accepts or reports it with its line and column.
    case unhandled
  }

  /// Builds the node tree straight from libyaml's events (`yaml_parser_parse`), for files
  /// that need nothing the full reader checks for.
  ///
  /// `Yams.Parser` wraps every event in an object, keeps anchors in weak references and hashes
  /// every mapping's keys for its duplicate check, which was most of the time of reading ten
  /// thousand `incident.yaml` files; this walk does the same work without them. It makes the
  /// same nodes (same strings, tags, styles) as `Yams.Parser(yaml:resolver: .basic, encoding:
  /// .utf8).singleRoot()` followed by the reader's checks, and gives up (``Composed/unhandled``)
  /// on anything those would reject or treat specially, so its only difference is the missing
  /// positions.
  ///
  /// - Parameters:
  ///   - bytes: UTF-8 text that passed the byte scan, without a byte order mark.
  ///   - maxDepth: the deepest allowed nesting of mappings and sequences (root is level 1).
  static func composeFromEvents(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Composed {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return .unhandled }
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { return .unhandled }
    defer { yaml_parser_delete(&parser) }
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
    yaml_parser_set_input_string(&parser, base, bytes.count)

    // One constructor per text, as `Yams.Parser` keeps one (`Constructor.default` builds a new
    // one, with its tables, on every use).
    let constructor = Constructor.default
    let resolver = Resolver.basic
    var stack: [Frame] = []
    var root: Node?
    var documents = 0
    var event = yaml_event_t()
    while true {
      guard yaml_parser_parse(&parser, &event) == 1 else { return .unhandled }
      defer { yaml_event_delete(&event) }
      var finished: Node?
      switch event.type {
      case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT:
        continue
      case YAML_DOCUMENT_START_EVENT:
        documents += 1
        // `%TAG` directives: the full reader hides `*` from libyaml, which can make a tag
        // prefix invalid; let it decide.
        let directives = event.data.document_start.tag_directives
        if documents > 1 || directives.start != directives.end { return .unhandled }
        continue
      case YAML_STREAM_END_EVENT:
        guard stack.isEmpty else { return .unhandled }
        if case .scalar(let scalar)? = root, scalar.style == .plain, scalar.string.isEmpty {
          return .document(nil)
        }
        return .document(root)
      case YAML_SCALAR_EVENT:
        let s = event.data.scalar
        guard s.anchor == nil, s.tag == nil,
          let style = Node.Scalar.Style(rawValue: numericCast(s.style.rawValue))
        else { return .unhandled }
        let value = Self.scalarString(UnsafeBufferPointer(start: s.value, count: s.length))
        let tag = Tag(s.quoted_implicit == 1 ? .str : .implicit, resolver, constructor)
        finished = .scalar(Node.Scalar(value, tag, style))
      case YAML_SEQUENCE_START_EVENT:
        let s = event.data.sequence_start
        guard s.anchor == nil, s.tag == nil, stack.count + 1 <= maxDepth else { return .unhandled }
        stack.append(Frame(isMapping: false))
        continue
      case YAML_MAPPING_START_EVENT:
        let m = event.data.mapping_start
        guard m.anchor == nil, m.tag == nil, stack.count + 1 <= maxDepth else { return .unhandled }
        stack.append(Frame(isMapping: true))
        continue
      case YAML_SEQUENCE_END_EVENT:
        // Yams takes the style from the end event, as here.
        guard let frame = stack.popLast(), !frame.isMapping,
          let style = Node.Sequence.Style(rawValue: numericCast(event.data.sequence_start.style.rawValue))
        else { return .unhandled }
        finished = .sequence(Node.Sequence(frame.items, Tag(.implicit, resolver, constructor), style))
      case YAML_MAPPING_END_EVENT:
        guard let frame = stack.popLast(), frame.isMapping, frame.pendingKey == nil,
          let style = Node.Mapping.Style(rawValue: numericCast(event.data.mapping_start.style.rawValue))
        else { return .unhandled }
        finished = .mapping(Node.Mapping(frame.pairs, Tag(.implicit, resolver, constructor), style))
      default:
        // YAML_ALIAS_EVENT, and anything libyaml may add.
        return .unhandled
      }
      guard let node = finished else { return .unhandled }
      if stack.isEmpty {
        root = node
      } else if !stack[stack.count - 1].add(node) {
        return .unhandled
      }
    }
  }

  /// A scalar's text as Yams makes it, with Foundation's `String(bytes:encoding: .utf8)`,
  /// which drops one leading U+FEFF (a byte order mark) from every value.
  static func scalarString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return "" }
    if bytes.count >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF {
      return String(decoding: UnsafeBufferPointer(rebasing: bytes[3...]), as: UTF8.self)
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// A mapping or sequence being read.
  private struct Frame {
    let isMapping: Bool
    var items: [Node] = []
    var pairs: [(Node, Node)] = []
    var pendingKey: Node?
    /// The keys' text, to find a repeated one: compared one by one while there are few (a
    /// record's mappings have at most about twenty keys), hashed once there are many.
    var keys: [String] = []
    var keySet: Set<String> = []

    init(isMapping: Bool) {
      self.isMapping = isMapping
    }

    /// Adds an item, key or value; false for a non-scalar or repeated key.
    mutating func add(_ node: Node) -> Bool {
      guard isMapping else {
        items.append(node)
        return true
      }
      if let key = pendingKey {
        pairs.append((key, node))
        pendingKey = nil
        return true
      }
      guard case .scalar(let scalar) = node else { return false }
      let text = scalar.string
      if keys.count < 32 {
        if keys.contains(text) { return false }
        keys.append(text)
        if keys.count == 32 { keySet = Set(keys) }
      } else if !keySet.insert(text).inserted {
        return false
      }
      pendingKey = node
      return true
    }
  }
}
