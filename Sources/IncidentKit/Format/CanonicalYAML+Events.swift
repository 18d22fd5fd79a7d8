import CYaml
import Yams

extension CanonicalYAML {
  /// Writes a tree with libyaml's emitter (`yaml_emitter_emit`), fed the events that
  /// `Yams.serialize(node:indent: 2, width: -1, allowUnicode: true, lineBreak: .ln)` feeds it
  /// for the tree ``prepared(_:_:)`` makes: so the same bytes, without Yams' copy of the tree
  /// with new tags, its `Emitter` object and a C string per scalar (most of the time of writing
  /// a record).
  ///
  /// Every scalar is given the tag `tag:yaml.org,2002:str` with both implicit flags set, every
  /// mapping `tag:yaml.org,2002:map` and every sequence `tag:yaml.org,2002:seq` as implicit,
  /// each with its own style; the document's start and end are implicit.
  ///
  /// - Parameter root: The tree.
  /// - Returns: The YAML text, or nil when a scalar holds a character above U+FFFF (which
  ///   needs the placeholders of ``emit(_:header:)``), the tree holds an alias, or libyaml
  ///   refuses an event: the caller then writes it the Yams way.
  static func emitEvents(_ root: Node) -> String? {
    var emitter = yaml_emitter_t()
    guard yaml_emitter_initialize(&emitter) == 1 else { return nil }
    defer { yaml_emitter_delete(&emitter) }
    var output: [UInt8] = []
    let written = withUnsafeMutablePointer(to: &output) { out -> Bool in
      yaml_emitter_set_output(&emitter, appendToBytes, UnsafeMutableRawPointer(out))
      yaml_emitter_set_canonical(&emitter, 0)
      yaml_emitter_set_indent(&emitter, 2)
      yaml_emitter_set_width(&emitter, -1)
      yaml_emitter_set_unicode(&emitter, 1)
      yaml_emitter_set_break(&emitter, YAML_LN_BREAK)
      yaml_emitter_set_encoding(&emitter, YAML_UTF8_ENCODING)
      var event = yaml_event_t()
      yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING)
      guard yaml_emitter_emit(&emitter, &event) == 1 else { return false }
      yaml_document_start_event_initialize(&event, nil, nil, nil, 1)
      guard yaml_emitter_emit(&emitter, &event) == 1, emitNode(root, &emitter) else { return false }
      yaml_document_end_event_initialize(&event, 1)
      guard yaml_emitter_emit(&emitter, &event) == 1 else { return false }
      yaml_stream_end_event_initialize(&event)
      return yaml_emitter_emit(&emitter, &event) == 1
    }
    return written ? String(decoding: output, as: UTF8.self) : nil
  }

  /// Emits the events of `node` and what it holds; false when it cannot (see
  /// ``emitEvents(_:)``). libyaml copies the tag and value of an event when it is made.
  private static func emitNode(_ node: Node, _ emitter: inout yaml_emitter_t) -> Bool {
    var event = yaml_event_t()
    switch node {
    case .scalar(let scalar):
      // A character above U+FFFF is the only one with a 4-byte UTF-8 form (lead byte F0-F4).
      let text = scalar.string
      guard !text.utf8.contains(where: { $0 >= 0xF0 }) else { return false }
      let style = yaml_scalar_style_t(rawValue: numericCast(scalar.style.rawValue))
      let made = text.withCString { value in
        yaml_scalar_event_initialize(
          &event, nil, "tag:yaml.org,2002:str",
          UnsafeRawPointer(value).assumingMemoryBound(to: yaml_char_t.self),
          Int32(text.utf8.count), 1, 1, style)
      }
      return made == 1 && yaml_emitter_emit(&emitter, &event) == 1
    case .mapping(let mapping):
      let style = yaml_mapping_style_t(rawValue: numericCast(mapping.style.rawValue))
      guard
        yaml_mapping_start_event_initialize(&event, nil, "tag:yaml.org,2002:map", 1, style) == 1,
        yaml_emitter_emit(&emitter, &event) == 1
      else { return false }
      for (key, value) in mapping {
        guard emitNode(key, &emitter), emitNode(value, &emitter) else { return false }
      }
      yaml_mapping_end_event_initialize(&event)
      return yaml_emitter_emit(&emitter, &event) == 1
    case .sequence(let sequence):
      let style = yaml_sequence_style_t(rawValue: numericCast(sequence.style.rawValue))
      guard
        yaml_sequence_start_event_initialize(&event, nil, "tag:yaml.org,2002:seq", 1, style) == 1,
        yaml_emitter_emit(&emitter, &event) == 1
      else { return false }
      for item in sequence {
        guard emitNode(item, &emitter) else { return false }
      }
      yaml_sequence_end_event_initialize(&event)
      return yaml_emitter_emit(&emitter, &event) == 1
    case .alias:
      return false
    }
  }
}

/// libyaml's write handler for ``CanonicalYAML/emitEvents(_:)``: appends the bytes to the
/// `[UInt8]` that `data` points to. A file-level function value with no captures, as a C
/// callback must be.
private let appendToBytes:
  @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int) -> Int32 = {
    data, buffer, size in
    guard let data, let buffer else { return 0 }
    data.assumingMemoryBound(to: [UInt8].self).pointee.append(
      contentsOf: UnsafeBufferPointer(start: buffer, count: size))
    return 1
  }
