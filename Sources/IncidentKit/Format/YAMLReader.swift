import Foundation
import Yams

/// Reads one record file into a Yams `Node` tree, refusing everything a record file must not
/// contain, with the line and column of the problem.
///
/// The reader is strict where YAML is dangerous or ambiguous and liberal elsewhere: any valid
/// single YAML document without anchors is accepted, whatever its quoting or layout, so people
/// may edit files by hand.
public enum YAMLReader {
  /// Parses the bytes of a record file into the root node of its single YAML document.
  ///
  /// Before libyaml sees the text, one pass over the bytes rejects, in file order:
  /// - invalid UTF-8 (at the line and column of the first bad byte);
  /// - characters libyaml's reader refuses (C0 and C1 control characters other than tab, line
  ///   feed, carriage return and U+0085; DEL; U+FFFE; U+FFFF);
  /// - unresolved git merge conflict markers: a line starting with `<<<<<<< `, `>>>>>>> ` or
  ///   `||||||| `, or a line that is exactly `=======`;
  /// - a tab as the first character of a line (libyaml rejects tab indentation too, but with
  ///   "found character that cannot start any token"; tabs later in the indentation are
  ///   reported from libyaml's error, reworded).
  ///
  /// The text is then parsed with `Yams.Parser` and `singleRoot()`, which rejects a second
  /// document and duplicate keys (Yams' `YamlError.duplicatedKeysInMapping`, reported at the
  /// repeated key when it can be found in a block mapping, else at the first). The parser is
  /// given `encoding: .utf8` (Yams' default reads `YAMS_DEFAULT_ENCODING` and prints to
  /// standard output) and `Resolver.basic`, so keys are compared as text (`1` and `"1"` are the
  /// same key) and no regular expressions run. The tree is then
  /// walked while the parser is kept alive, because Yams stores a node's anchor in a `weak var`
  /// that only the `Parser` keeps alive; the walk rejects, before descending into it:
  /// - a node with an anchor (`&a`) or an alias (`*a`);
  /// - a mapping or sequence nested deeper than `maxDepth`;
  /// - a mapping key that is not a scalar, or the same key text twice in one mapping (Yams
  ///   compares tags too, so `!!int 1` and `1` would pass it).
  ///
  /// Aliases are neutralised before parsing: Yams expands an alias by copying the anchored
  /// node and, when the alias is a mapping key, hashes the whole expansion in its duplicate-key
  /// check, so a "billion laughs" document with an alias key would take hours. When the text
  /// contains `*`, every `*` is therefore replaced by a private-use character that does not
  /// occur in the file. This cannot change the structure (only an alias can start with `*`, and
  /// it becomes a plain scalar starting at the same position), so aliases are found as plain
  /// scalars that start with that character, and the `*` are put back into the returned tree.
  ///
  /// Explicit tags (`!!binary x`, `!custom x`) are accepted and ignored: a scalar keeps its
  /// literal text.
  ///
  /// Positions are 1-based; columns count Unicode scalars, as libyaml does (Yams' `Mark` is
  /// already 1-based: it adds 1 to libyaml's 0-based marks). A UTF-8 byte order mark at the
  /// start is dropped and not counted. Line breaks are LF, CRLF or CR.
  ///
  /// - Parameters:
  ///   - data: The file's bytes, which must be UTF-8.
  ///   - file: The repository-relative path used in errors.
  ///   - maxDepth: The deepest allowed nesting of mappings and sequences; the root collection is
  ///     level 1. libyaml has its own limit of 1000 levels (`MAX_NESTING_LEVEL`, which Yams does
  ///     not let us change), reported as the same error at the position libyaml gives, which
  ///     is near the start of the nesting rather than at its 65th level.
  ///   - positions: When false, a text that passes every check is composed straight from
  ///     libyaml's events (``composeFromEvents(_:maxDepth:)``), several times faster, and its
  ///     nodes have no `mark`; anything else still goes through Yams and the checks above, so
  ///     errors keep their line and column. For readers that rebuild positions on error
  ///     (``RecordCodec``).
  /// - Returns: The root node (which need not be a mapping; callers check), or `nil` when the
  ///   document is empty: nothing, only comments, or only `---`.
  /// - Throws: ``FormatError`` with the line and column of the first problem; `field` is `nil`,
  ///   because the problem is in the syntax, not in one field.
  public static func parse(
    _ data: Data, file: String, maxDepth: Int = 64, positions: Bool = true
  ) throws(FormatError) -> Node? {
    let read: Result<Prepared, FormatError> = data.withUnsafeBytes { raw in
      let bytes = raw.bindMemory(to: UInt8.self)
      do throws(FormatError) {
        let scan = try prescan(bytes, file: file)
        let rest = UnsafeBufferPointer(rebasing: bytes[scan.start...])
        // With both `*` and private-use characters, the full reader may refuse a file it
        // cannot check safely (see `unusedPrivateUseScalar`); so it reads those.
        if !positions, !(scan.hasAsterisk && scan.hasPrivateUse),
          case .document(let root) = composeFromEvents(rest, maxDepth: maxDepth)
        {
          return .success(.composed(root))
        }
        return .success(
          .text(String(decoding: rest, as: UTF8.self), hasAsterisk: scan.hasAsterisk))
      } catch {
        return .failure(error)
      }
    }
    var text: String
    let hasAsterisk: Bool
    switch try read.get() {
    case .composed(let root): return root
    case .text(let t, let asterisk):
      text = t
      hasAsterisk = asterisk
    }
    var marker: Unicode.Scalar?
    if hasAsterisk {
      let chosen = try unusedPrivateUseScalar(in: text, file: file)
      marker = chosen
      text = String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "*" ? chosen : $0 }))
    }

    let parser: Parser
    let parsedRoot: Node?
    do {
      parser = try Parser(yaml: text, resolver: .basic, encoding: .utf8)
      parsedRoot = try parser.singleRoot()
    } catch let error as YamlError {
      throw ErrorTranslator(file: file, text: text, maxDepth: maxDepth, marker: marker)
        .translate(error)
    } catch {
      throw FormatError(file: file, message: "cannot read yaml: \(error)")
    }
    guard let root = parsedRoot else { return nil }
    if case .scalar(let scalar) = root, scalar.style == .plain, scalar.string.isEmpty {
      return nil
    }

    let validator = Validator(file: file, maxDepth: maxDepth, marker: marker)
    try withExtendedLifetime(parser) { () throws(FormatError) in
      try validator.check(root, depth: 0)
    }
    guard let marker else { return root }
    return restoreAsterisks(root, marker: marker)
  }

  // MARK: - Byte scan

  /// The text after the byte scan (without a byte order mark), for readers that compose it
  /// themselves (``FlatRecord``); nil when the scan refuses it, or when it holds both `*` and
  /// private-use characters, which only the full reader judges.
  static func checkedText(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
    guard let scan = try? prescan(bytes, file: ""), !(scan.hasAsterisk && scan.hasPrivateUse)
    else { return nil }
    return UnsafeBufferPointer(rebasing: bytes[scan.start...])
  }

  /// What the byte scan found: where the text starts (after a byte order mark) and whether it
  /// holds a `*`.
  private struct Scan {
    var start: Int
    var hasAsterisk: Bool
    /// Whether a character from U+E000 to U+F8FF occurs, or a `\u` or `\U` escape (which may
    /// write one).
    var hasPrivateUse: Bool
  }

  /// A text after the byte scan: already composed from events, or to be parsed by Yams.
  private enum Prepared {
    case composed(Node?)
    case text(String, hasAsterisk: Bool)
  }

  static let conflictMessage =
    "unresolved git merge conflict marker; resolve the conflict and remove the markers"
  static let tabMessage =
    "tab character used for indentation; yaml indentation must be spaces, "
    + "replace the tab with spaces"
  static let aliasMessage =
    "anchors and aliases are not allowed in record files; write the value out in full"

  private static func prescan(_ b: UnsafeBufferPointer<UInt8>, file: String) throws(FormatError)
    -> Scan
  {
    let n = b.count
    var i = 0
    if n >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
    let start = i
    var line = 1
    var column = 1
    var atLineStart = true
    var hasAsterisk = false
    var hasPrivateUse = false

    func fail(_ message: String) -> FormatError {
      FormatError(file: file, line: line, column: column, message: message)
    }
    func isLineEnd(_ j: Int) -> Bool {
      j >= n || b[j] == 0x0A || b[j] == 0x0D
    }
    func conflictMarker(at j: Int) -> Bool {
      guard j + 7 <= n else { return false }
      let c = b[j]
      guard
        c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == UInt8(ascii: "|")
          || c == UInt8(ascii: "=")
      else { return false }
      for k in 1..<7 where b[j + k] != c { return false }
      if c == UInt8(ascii: "=") { return isLineEnd(j + 7) }
      return isLineEnd(j + 7) || b[j + 7] == UInt8(ascii: " ")
    }
    func controlMessage(_ value: UInt32) -> String {
      let hex = String(value, radix: 16, uppercase: true)
      let padded = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
      return "control character U+\(padded) is not allowed; remove it, or write it as an escape "
        + "(such as \\x07 or \\u0007) inside a double-quoted string"
    }

    while i < n {
      let c = b[i]
      if atLineStart {
        atLineStart = false
        if c == 0x09 { throw fail(tabMessage) }
        if conflictMarker(at: i) { throw fail(conflictMessage) }
      }
      if c < 0x80 {
        switch c {
        case 0x0A:
          line += 1
          column = 1
          atLineStart = true
          i += 1
          continue
        case 0x0D:
          i += (i + 1 < n && b[i + 1] == 0x0A) ? 2 : 1
          line += 1
          column = 1
          atLineStart = true
          continue
        case UInt8(ascii: "*"):
          hasAsterisk = true
        case UInt8(ascii: "\\"):
          // `\uE000` in a double-quoted string is a private-use character too.
          if i + 1 < n, b[i + 1] == UInt8(ascii: "u") || b[i + 1] == UInt8(ascii: "U") {
            hasPrivateUse = true
          }
        case 0x09:
          break
        case 0x00..<0x20, 0x7F:
          throw fail(controlMessage(UInt32(c)))
        default:
          break
        }
        column += 1
        i += 1
        continue
      }
      // Multi-byte sequence: validate as in the Unicode standard, table 3-7.
      var length = 0
      var value: UInt32 = 0
      var low: UInt8 = 0x80
      var high: UInt8 = 0xBF
      switch c {
      case 0xC2...0xDF:
        length = 2
        value = UInt32(c & 0x1F)
      case 0xE0:
        length = 3
        value = 0
        low = 0xA0
      case 0xE1...0xEC, 0xEE...0xEF:
        length = 3
        value = UInt32(c & 0x0F)
      case 0xED:
        length = 3
        value = 0x0D
        high = 0x9F
      case 0xF0:
        length = 4
        value = 0
        low = 0x90
      case 0xF1...0xF3:
        length = 4
        value = UInt32(c & 0x07)
      case 0xF4:
        length = 4
        value = 4
        high = 0x8F
      default: length = 0
      }
      var valid = length > 0 && i + length <= n
      if valid {
        for k in 1..<length {
          let cont = b[i + k]
          let (lo, hi) = k == 1 ? (low, high) : (0x80, 0xBF)
          if cont < lo || cont > hi {
            valid = false
            break
          }
          value = value << 6 | UInt32(cont & 0x3F)
        }
      }
      guard valid else {
        let hex = String(c, radix: 16, uppercase: true)
        throw fail(
          "the file is not valid utf-8 (unexpected byte 0x\(hex.count < 2 ? "0" : "")\(hex)); "
            + "save it as utf-8")
      }
      if (value >= 0x80 && value <= 0x9F && value != 0x85) || value == 0xFFFE
        || value == 0xFFFF
      {
        throw fail(controlMessage(value))
      }
      if value >= 0xE000 && value <= 0xF8FF { hasPrivateUse = true }
      column += 1
      i += length
    }
    return Scan(start: start, hasAsterisk: hasAsterisk, hasPrivateUse: hasPrivateUse)
  }

  private static func unusedPrivateUseScalar(in text: String, file: String) throws(FormatError)
    -> Unicode.Scalar
  {
    var used = Set<UInt32>()
    for scalar in text.unicodeScalars where (0xE000...0xF8FF).contains(scalar.value) {
      used.insert(scalar.value)
    }
    // And those written as escapes (`"\uE000"`, `"\U0000E000"`), which the parser turns into
    // the character: the marker must not be one of them, or they would come back as `*`.
    let scalars = Array(text.unicodeScalars)
    for (i, scalar) in scalars.enumerated() where scalar == "\\" && i + 1 < scalars.count {
      let width = scalars[i + 1] == "u" ? 4 : scalars[i + 1] == "U" ? 8 : 0
      guard width > 0, i + 1 + width < scalars.count else { continue }
      let hex = String(String.UnicodeScalarView(scalars[(i + 2)...(i + 1 + width)]))
      if let value = UInt32(hex, radix: 16), (0xE000...0xF8FF).contains(value) {
        used.insert(value)
      }
    }
    for value in UInt32(0xE000)...0xF8FF where !used.contains(value) {
      if let scalar = Unicode.Scalar(value) { return scalar }
    }
    throw FormatError(
      file: file,
      message: "the file uses every private-use character from U+E000 to U+F8FF together with "
        + "'*', which the reader cannot check safely; remove the private-use characters")
  }

  private static func restoreAsterisks(_ node: Node, marker: Unicode.Scalar) -> Node {
    switch node {
    case .scalar(var scalar):
      guard scalar.string.unicodeScalars.contains(marker) else { return node }
      let tag = scalar.tag
      scalar.string = String(
        String.UnicodeScalarView(scalar.string.unicodeScalars.map { $0 == marker ? "*" : $0 }))
      scalar.tag = tag  // Setting `string` resets the tag in Yams.
      return .scalar(scalar)
    case .mapping(let mapping):
      let pairs = mapping.map {
        (restoreAsterisks($0.key, marker: marker), restoreAsterisks($0.value, marker: marker))
      }
      return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
    case .sequence(let sequence):
      let nodes = sequence.map { restoreAsterisks($0, marker: marker) }
      return .sequence(Node.Sequence(nodes, sequence.tag, sequence.style, sequence.mark))
    case .alias:
      return node
    }
  }

  /// A 1-based line and column (Unicode scalars). Yams' `Mark` has no public initializer.
  typealias Position = (line: Int, column: Int)

  /// Converts a Yams mark, which is already 1-based (Yams adds 1 to libyaml's 0-based marks).
  static func position(_ mark: Mark) -> Position {
    (mark.line, mark.column)
  }

  // MARK: - Tree checks

  private struct Validator {
    let file: String
    let maxDepth: Int
    let marker: Unicode.Scalar?

    func fail(_ mark: Mark?, _ message: String) -> FormatError {
      FormatError(file: file, line: mark?.line, column: mark?.column, message: message)
    }

    func check(_ node: Node, depth: Int) throws(FormatError) {
      if node.anchor != nil { throw fail(node.mark, YAMLReader.aliasMessage) }
      switch node {
      case .scalar(let scalar):
        if let marker, scalar.style == .plain, scalar.string.unicodeScalars.first == marker {
          throw fail(node.mark, YAMLReader.aliasMessage)
        }
      case .alias:
        throw fail(node.mark, YAMLReader.aliasMessage)
      case .sequence(let sequence):
        try checkDepth(node, depth + 1)
        for item in sequence { try check(item, depth: depth + 1) }
      case .mapping(let mapping):
        try checkDepth(node, depth + 1)
        var seen: [String: Mark?] = [:]
        for (key, value) in mapping {
          try check(key, depth: depth + 1)
          guard case .scalar(let keyScalar) = key else {
            throw fail(
              key.mark,
              "a mapping key must be a string, found \(YAMLMap.describe(key)); "
                + "use a plain text key")
          }
          let name = keyScalar.string
          if let first = seen[name] {
            let at = first.map { " (first defined at line \($0.line), column \($0.column))" } ?? ""
            throw fail(
              key.mark,
              "duplicate key \"\(name)\"\(at); each key may appear only once in a mapping, "
                + "remove or merge one of them")
          }
          seen[name] = key.mark
          try check(value, depth: depth + 1)
        }
      }
    }

    func checkDepth(_ node: Node, _ depth: Int) throws(FormatError) {
      if depth > maxDepth {
        throw fail(node.mark, YAMLReader.depthMessage(maxDepth))
      }
    }
  }

  static func depthMessage(_ maxDepth: Int) -> String {
    "mappings and sequences are nested more than \(min(maxDepth, 1000)) levels deep; "
      + "record files need only a few levels, flatten the structure"
  }

  // MARK: - Yams error translation

  private struct ErrorTranslator {
    let file: String
    let text: String
    let maxDepth: Int
    let marker: Unicode.Scalar?

    func at(_ mark: Position?, _ message: String) -> FormatError {
      FormatError(file: file, line: mark?.line, column: mark?.column, message: message)
    }

    func at(_ mark: Mark, _ message: String) -> FormatError {
      at(YAMLReader.position(mark), message)
    }

    func translate(_ error: YamlError) -> FormatError {
      switch error {
      case .scanner(let context, let problem, let mark, _),
        .parser(let context, let problem, let mark, _),
        .composer(let context, let problem, let mark, _):
        return syntax(context: context, problem: problem, mark: mark)
      case .reader(let problem, let offset, _, _):
        let mark = offset.flatMap { position(ofCharacterOffset: $0) }
        return at(mark, "cannot read the text: \(problem); save the file as utf-8 text")
      case .duplicatedKeysInMapping(let duplicates, let context):
        return duplicate(key: duplicates.first ?? "", first: YAMLReader.position(context.mark))
      case .memory:
        return at(nil, "out of memory while reading the yaml; the file is too large")
      default:
        return at(nil, "cannot read the yaml: \(error)")
      }
    }

    func syntax(context: YamlError.Context?, problem: String, mark: Mark) -> FormatError {
      let contextText =
        context.map {
          " (\($0.text) that starts at line \($0.mark.line), column \($0.mark.column))"
        } ?? ""
      if problem.hasPrefix("Maximum nesting level") {
        return at(mark, YAMLReader.depthMessage(maxDepth))
      }
      if problem.contains("tab character") {
        return at(mark, YAMLReader.tabMessage)
      }
      if problem == "found undefined alias" {
        return at(mark, YAMLReader.aliasMessage)
      }
      if problem == "but found another document" {
        return at(
          mark,
          "found a second yaml document; a record file holds exactly one, remove this '---' "
            + "line and what follows it, or merge it into the first document")
      }
      if problem == "found character that cannot start any token" {
        if let scalar = scalar(at: YAMLReader.position(mark)) {
          if scalar == "\t" { return at(mark, YAMLReader.tabMessage) }
          if let marker, scalar == marker { return at(mark, YAMLReader.aliasMessage) }
          return at(
            mark,
            "the character '\(scalar)' cannot start a value; put the value in double quotes")
        }
      }
      if problem == "found unexpected end of stream", let context,
        context.text.contains("quoted scalar")
      {
        return at(
          context.mark,
          "this quoted string is never closed; add the closing quote at the end of the value")
      }
      if problem == "mapping values are not allowed in this context" {
        return at(
          mark,
          "unexpected ':' here; a value containing \": \" must be put in double quotes, "
            + "or the indentation is wrong")
      }
      if problem == "did not find expected key" {
        return at(
          mark,
          "did not find the expected key\(contextText); check the indentation of this line")
      }
      return at(
        mark,
        "invalid yaml: \(problem)\(contextText); check the yaml syntax at this position")
    }

    func duplicate(key: String, first: Position) -> FormatError {
      if let marker, key.unicodeScalars.first == marker {
        return at(first, YAMLReader.aliasMessage)
      }
      if let second = laterOccurrence(of: key, after: first) {
        return at(
          second,
          "duplicate key \"\(key)\" (first defined at line \(first.line), column "
            + "\(first.column)); each key may appear only once in a mapping, "
            + "remove or merge one of them")
      }
      return at(
        first,
        "duplicate key \"\(key)\" appears more than once in this mapping; each key may appear "
          + "only once, remove or merge the repeated entries")
    }

    /// Finds the repeated key of a block mapping: the next line indented like the first key
    /// that starts with the same key text and a colon. Stops at a line indented less (the end
    /// of the mapping). Returns `nil` when not found (flow mappings, unusual layouts).
    func laterOccurrence(of key: String, after first: Position) -> Position? {
      let lines = splitLines(text)
      guard first.line >= 1, first.line < lines.count else { return nil }
      let indent = first.column - 1
      let candidates = [key, "\"\(key)\"", "'\(key)'"]
      for number in (first.line + 1)...lines.count {
        let line = Array(lines[number - 1].unicodeScalars)
        let leading = line.prefix { $0 == " " }.count
        if leading == line.count || line[leading] == "#" { continue }
        if leading < indent { return nil }
        guard leading == indent else { continue }
        let rest = String(String.UnicodeScalarView(line[indent...]))
        for candidate in candidates where rest.hasPrefix(candidate) {
          let after = rest.dropFirst(candidate.count).drop { $0 == " " }
          if after.first == ":" { return (number, first.column) }
        }
      }
      return nil
    }

    func scalar(at mark: Position) -> Unicode.Scalar? {
      let lines = splitLines(text)
      guard mark.line >= 1, mark.line <= lines.count else { return nil }
      let scalars = Array(lines[mark.line - 1].unicodeScalars)
      guard mark.column >= 1, mark.column <= scalars.count else { return nil }
      return scalars[mark.column - 1]
    }

    func position(ofCharacterOffset offset: Int) -> Position? {
      guard let index = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex)
      else { return nil }
      var line = 1
      var column = 1
      var previousCR = false
      for scalar in text[..<index].unicodeScalars {
        if scalar == "\n" {
          if !previousCR { line += 1 }
          column = 1
        } else if scalar == "\r" {
          line += 1
          column = 1
        } else {
          column += 1
        }
        previousCR = scalar == "\r"
      }
      return (line, column)
    }

    func splitLines(_ text: String) -> [Substring] {
      text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
    }
  }
}
