import Foundation
import Yams

/// The tool's one deterministic YAML layout, written with Yams' emitter (libyaml).
///
/// Build a tree with ``mapping(_:)``, ``sequence(_:)``, ``scalar(_:)`` and ``time(_:)``, then
/// write it with ``emit(_:header:)``. The same tree always gives the same bytes:
///
/// ```yaml
/// # yaml-language-server: $schema=../../../schema/incident.json
/// id: INC-20261129-7K3Q
/// title: Checkout returns 500
/// severity: SEV1
/// declared: "2026-11-29T10:42:00Z"
/// services:
/// - checkout-api
/// summary: |
///   First paragraph.
///
///   Second paragraph.
/// ```
///
/// Layout: 2-space indentation; block mappings and block sequences (libyaml writes a sequence
/// inside a mapping without extra indentation, `- item` under its key, and an empty one as
/// `[]`); keys in the order given, never sorted; lines never folded (width -1); non-ASCII text
/// written as itself, never escaped; `\n` line breaks; no `---` and no `...`; exactly one final
/// newline.
public enum CanonicalYAML {
  /// A string scalar in the style that reads back as exactly `s` under both YAML 1.1 and 1.2.
  ///
  /// - Text containing a line break is written as a literal block (`|`, `|-`, with an
  ///   indentation indicator such as `|2-` when it starts with a space). libyaml itself writes
  ///   it double-quoted instead when a literal block cannot hold it exactly (a space before a
  ///   line break, a line break followed by spaces only, a character libyaml does not print).
  ///   Text ending in two or more line breaks is double-quoted here, because a keep-chomping
  ///   `|+` block makes libyaml end the stream with `...` when it is the last value.
  /// - Other text is plain (unquoted) only when it is safe: it would not be read as a bool, null,
  ///   int, float, timestamp, merge key (`<<`) or value key (`=`) by YAML 1.1 (which quotes
  ///   `y`, `n`, `yes`, `no`, `on`, `off`, `0755`, `0b1`, `1_000`, `190:20:30`, `2026-01-01`, …)
  ///   or YAML 1.2, it has no leading or trailing whitespace, it does not start with an indicator
  ///   character (`` -?:,[]{}#&*!|>'"%@` ``), contains neither `: ` nor ` #`, does not end with
  ///   `:`, and contains no control character, U+2028, U+2029 or U+FEFF. The numeric test is
  ///   deliberately broad: any text starting with a digit (or a sign or `.` and a digit) and
  ///   made only of digits, `a`–`f`, `x`, `o`, `t`, `z`, `_`, `.`, `:`, `+`, `-` and spaces
  ///   is quoted.
  /// - Everything else is double-quoted; libyaml escapes only what must be escaped (`\"`, `\\`,
  ///   control characters, U+2028, U+2029, U+FEFF).
  ///
  /// - Parameter s: The text.
  /// - Returns: A scalar node with an implicit tag and the chosen style.
  public static func scalar(_ s: String) -> Node {
    .scalar(Node.Scalar(s, implicitTag, style(for: s)))
  }

  /// A time as a double-quoted RFC 3339 UTC string, such as `"2026-11-29T10:42:00Z"`.
  ///
  /// Quoted because YAML 1.1 reads an unquoted timestamp as a date, not a string.
  ///
  /// - Parameter d: The instant; written to the millisecond by ``RFC3339/format(_:)``.
  /// - Returns: A double-quoted scalar node.
  public static func time(_ d: Date) -> Node {
    .scalar(Node.Scalar(RFC3339.format(d), implicitTag, .doubleQuoted))
  }

  /// A block mapping with the keys in the order given.
  ///
  /// - Parameter pairs: Keys (written with ``scalar(_:)``) and their values.
  /// - Returns: A mapping node; an empty one is written `{}`.
  public static func mapping(_ pairs: [(String, Node)]) -> Node {
    .mapping(Node.Mapping(pairs.map { (scalar($0.0), $0.1) }, implicitTag, .block))
  }

  /// A block sequence.
  ///
  /// - Parameter items: The items in order.
  /// - Returns: A sequence node; an empty one is written `[]`.
  public static func sequence(_ items: [Node]) -> Node {
    .sequence(Node.Sequence(items, implicitTag, .block))
  }

  /// Rewrites a parsed tree (for example the values of unknown keys from
  /// ``YAMLMap/unknownPairs(known:)``) into the canonical layout without changing what it means.
  ///
  /// Mappings and sequences become block style; quoted, literal and folded scalars become
  /// ``scalar(_:)`` of their text. A plain scalar is rewritten by ``scalar(_:)`` when that keeps
  /// it plain; otherwise it stays plain, so that a value a person wrote as a bool, number, date or
  /// null (`true`, `42`, `2026-01-01`, `~`, empty) keeps that meaning for other YAML readers.
  ///
  /// - Parameter parsed: A node from ``YAMLReader/parse(_:file:maxDepth:)``.
  /// - Returns: An equivalent node in canonical styles, without positions.
  public static func canonical(_ parsed: Node) -> Node {
    switch parsed {
    case .scalar(let scalar):
      let text = scalar.string
      // A plain scalar on one line is plain either way: ``scalar(_:)`` keeps it plain when that
      // is safe, and otherwise it stays plain for its meaning; so safety need not be tested.
      if scalar.style == .plain || scalar.style == .any, !text.utf8.contains(UInt8(ascii: "\n")) {
        return .scalar(Node.Scalar(text, implicitTag, .plain))
      }
      return CanonicalYAML.scalar(text)
    case .mapping(let mapping):
      return .mapping(
        Node.Mapping(mapping.map { (canonical($0.key), canonical($0.value)) }, implicitTag, .block))
    case .sequence(let sequence):
      return .sequence(Node.Sequence(sequence.map { canonical($0) }, implicitTag, .block))
    case .alias:
      return parsed
    }
  }

  /// Writes a tree as canonical YAML text.
  ///
  /// Serialized with `Yams.serialize(node:indent:width:allowUnicode:lineBreak:)` (indent 2,
  /// width -1, allowUnicode, `\n`). libyaml cannot print characters outside the Basic
  /// Multilingual Plane (emoji and others above U+FFFF; its `IS_PRINTABLE` only knows 1- to
  /// 3-byte UTF-8) and would force the whole scalar into double quotes with `\U0001F692`
  /// escapes; so such characters are swapped for private-use placeholders that occur nowhere in
  /// the tree before emitting, and put back in the output. A tree without such characters is
  /// given to libyaml directly, as the same events (``emitEvents(_:)``).
  ///
  /// - Parameters:
  ///   - root: The tree, normally a ``mapping(_:)``.
  ///   - header: Lines written first as comments, each as `# line` (an empty line as `#`), such
  ///     as `yaml-language-server: $schema=...`. Pass the text without the `#`.
  /// - Returns: The YAML text, ending with exactly one newline.
  ///
  /// A failure inside libyaml is a programming error for trees built by these helpers and
  /// stops the program with a message; it cannot be caused by the text of a string.
  public static func emit(_ root: Node, header: [String] = []) -> String {
    let body = emitEvents(root) ?? emitWithYams(root)
    var out = ""
    for line in header {
      for part in line.split(separator: "\n", omittingEmptySubsequences: false) {
        out += part.isEmpty ? "#\n" : "# \(part)\n"
      }
    }
    out += body
    if !out.hasSuffix("\n") { out += "\n" }
    return out
  }

  /// The tree as `Yams.serialize` writes it, with characters above U+FFFF swapped for
  /// placeholders and back (see ``emit(_:header:)``).
  static func emitWithYams(_ root: Node) -> String {
    var privateUse = Set<UInt32>()
    var hasSupplementary = false
    visitStrings(root) { text in
      // Both start with a UTF-8 lead byte from 0xEE up (U+E000 is EE 80 80): most text has
      // no such byte and needs no decoding.
      guard text.utf8.contains(where: { $0 >= 0xEE }) else { return }
      for scalar in text.unicodeScalars {
        if scalar.value > 0xFFFF {
          hasSupplementary = true
        } else if (0xE000...0xF8FF).contains(scalar.value) {
          privateUse.insert(scalar.value)
        }
      }
    }
    var marker: Unicode.Scalar?
    if hasSupplementary,
      let free = (UInt32(0xE000)...0xF8FF).first(where: { !privateUse.contains($0) }),
      let chosen = Unicode.Scalar(free)
    {
      marker = chosen
    }
    let node = prepared(root) { text in marker.map { encodeSupplementary(text, marker: $0) } ?? text }

    var body: String
    do {
      body = try Yams.serialize(
        node: node, indent: 2, width: -1, allowUnicode: true, lineBreak: .ln)
    } catch {
      preconditionFailure("CanonicalYAML.emit: libyaml refused the tree: \(error)")
    }
    if let marker { body = decodeSupplementary(body, marker: marker) }
    return body
  }

  // MARK: - Style choice

  static func style(for s: String) -> Node.Scalar.Style {
    let scalars = s.unicodeScalars
    if scalars.contains("\n") {
      if scalars.contains(where: { $0 != "\n" && isSpecial($0) }) { return .doubleQuoted }
      if s.utf8.last == UInt8(ascii: "\n") && (s.utf8.count == 1 || s.utf8.dropLast().last == 0x0A)
      {
        return .doubleQuoted
      }
      return .literal
    }
    return isPlainSafe(s) ? .plain : .doubleQuoted
  }

  /// Characters that must never appear raw in a plain or literal scalar: C0 and C1 controls,
  /// DEL, the Unicode line and paragraph separators (libyaml, a YAML 1.1 processor, treats them
  /// and U+0085 as line breaks), the byte order mark and the non-characters U+FFFE and U+FFFF.
  private static func isSpecial(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF: return true
    default: return false
    }
  }

  private static let indicators: Set<Unicode.Scalar> = [
    "-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", "\"", "%", "@",
    "`",
  ]

  /// YAML 1.1 bool (every case form the type lists, and more) and null words, compared in
  /// lowercase, plus the merge and value keys.
  private static let reservedWords: Set<String> = [
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "<<", "=",
  ]

  /// Characters that YAML 1.1 and 1.2 ints, floats and timestamps are made of.
  private static let numericCharacters: Set<Unicode.Scalar> = Set(
    "0123456789abcdefABCDEF_.:+-xXoOtTzZ ".unicodeScalars)

  static func isPlainSafe(_ s: String) -> Bool {
    isPlainSafeASCII(s) ?? isPlainSafeScalars(s)
  }

  /// ``isPlainSafe(_:)`` for any text, scalar by scalar.
  static func isPlainSafeScalars(_ s: String) -> Bool {
    let scalars = Array(s.unicodeScalars)
    guard let first = scalars.first, let last = scalars.last else { return false }
    if first.properties.isWhitespace || last.properties.isWhitespace { return false }
    if indicators.contains(first) { return false }
    if last == ":" { return false }
    for (index, scalar) in scalars.enumerated() {
      if isSpecial(scalar) { return false }
      if scalar == ":", index + 1 < scalars.count, scalars[index + 1].properties.isWhitespace {
        return false
      }
      if scalar == "#", index > 0, scalars[index - 1].properties.isWhitespace { return false }
    }
    if reservedWords.contains(s.lowercased()) { return false }
    if looksLikeNumberOrTime(scalars) { return false }
    return true
  }

  /// ``isPlainSafe(_:)`` for ASCII text, on its bytes (most keys and values are ASCII); nil
  /// for text with another character.
  static func isPlainSafeASCII(_ s: String) -> Bool? {
    let bytes = s.utf8
    guard let first = bytes.first, let last = bytes.last else { return false }
    guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
    // Unicode's White_Space among ASCII: tab, line feed, vertical tab, form feed, carriage
    // return and space.
    func isWhitespace(_ b: UInt8) -> Bool { (0x09...0x0D).contains(b) || b == 0x20 }
    if isWhitespace(first) || isWhitespace(last) { return false }
    if indicators.contains(Unicode.Scalar(first)) { return false }
    if last == UInt8(ascii: ":") { return false }
    var previous: UInt8 = 0
    var index = bytes.startIndex
    while index != bytes.endIndex {
      let b = bytes[index]
      bytes.formIndex(after: &index)
      if b < 0x20 || b == 0x7F { return false }
      if b == UInt8(ascii: ":"), index != bytes.endIndex, isWhitespace(bytes[index]) {
        return false
      }
      if b == UInt8(ascii: "#"), isWhitespace(previous) { return false }
      previous = b
    }
    // The longest reserved word has five characters.
    if bytes.count <= 5, reservedWords.contains(s.lowercased()) { return false }
    // Only text starting with a digit or `.`, after an optional sign, can look like a number.
    let start =
      first == UInt8(ascii: "+") || first == UInt8(ascii: "-") ? bytes.dropFirst().first : first
    if let start, (0x30...0x39).contains(start) || start == UInt8(ascii: "."),
      looksLikeNumberOrTime(Array(s.unicodeScalars))
    {
      return false
    }
    return true
  }

  private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value >= 0x30 && scalar.value <= 0x39
  }

  private static func looksLikeNumberOrTime(_ scalars: [Unicode.Scalar]) -> Bool {
    var body = scalars[...]
    if let sign = body.first, sign == "+" || sign == "-" { body = body.dropFirst() }
    guard let first = body.first else { return false }
    if first == "." {
      let rest = String(String.UnicodeScalarView(body.dropFirst())).lowercased()
      if rest == "inf" || rest == "nan" { return true }
      guard let second = body.dropFirst().first, isDigit(second) || second == "." else {
        return false
      }
      return true
    }
    guard isDigit(first) else { return false }
    return body.allSatisfy { numericCharacters.contains($0) }
  }

  // MARK: - Characters above U+FFFF

  private static func visitStrings(_ node: Node, _ body: (String) -> Void) {
    switch node {
    case .scalar(let scalar): body(scalar.string)
    case .mapping(let mapping):
      for (key, value) in mapping {
        visitStrings(key, body)
        visitStrings(value, body)
      }
    case .sequence(let sequence):
      for item in sequence { visitStrings(item, body) }
    case .alias: break
    }
  }

  /// A new implicit tag (what `Tag.implicit` gives) with the shared ``constructor``: Yams'
  /// `Tag.implicit` builds `Constructor.default`, three dictionaries of functions, for every node.
  static var implicitTag: Tag { Tag(.implicit, .default, constructor) }

  /// The constructor of the tags ``prepared(_:_:)`` gives (Yams' `Constructor.default` is
  /// computed anew, with its tables, on every use). Immutable, so shared.
  nonisolated(unsafe) private static let constructor = Constructor.default

  /// A copy of the tree for Yams' emitter: each string passed through `transform`, and each node
  /// given a tag already resolved (`str`, `map`, `seq`) whose resolver has no rules.
  ///
  /// This changes nothing in the output: Yams emits every scalar with libyaml's `plain_implicit`
  /// and `quoted_implicit` flags set, so libyaml never writes a scalar's tag, and an implicit
  /// mapping or sequence tag resolves to `map` or `seq` anyway. What it saves is Yams resolving
  /// the tag of every implicit scalar by matching it against the regular expressions of YAML
  /// 1.1's bool, int, float, null, timestamp, merge and value (a `Tag` is a class, so the tree
  /// given is not touched).
  static func prepared(_ node: Node, _ transform: (String) -> String) -> Node {
    switch node {
    case .scalar(let scalar):
      return .scalar(Node.Scalar(
        transform(scalar.string), Tag(.str, .basic, constructor), scalar.style, scalar.mark))
    case .mapping(let mapping):
      let pairs = mapping.map { (prepared($0.key, transform), prepared($0.value, transform)) }
      return .mapping(Node.Mapping(pairs, Tag(.map, .basic, constructor), mapping.style, mapping.mark))
    case .sequence(let sequence):
      let items = sequence.map { prepared($0, transform) }
      return .sequence(Node.Sequence(items, Tag(.seq, .basic, constructor), sequence.style, sequence.mark))
    case .alias:
      return node
    }
  }

  /// Replaces each scalar above U+FFFF by the marker and two private-use scalars holding its
  /// 20 bits (U+E000 plus the high and low 10 bits).
  private static func encodeSupplementary(_ text: String, marker: Unicode.Scalar) -> String {
    guard text.unicodeScalars.contains(where: { $0.value > 0xFFFF }) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      if scalar.value > 0xFFFF {
        let bits = scalar.value - 0x10000
        out.append(marker)
        out.append(Unicode.Scalar(0xE000 + (bits >> 10))!)
        out.append(Unicode.Scalar(0xE000 + (bits & 0x3FF))!)
      } else {
        out.append(scalar)
      }
    }
    return String(out)
  }

  private static func decodeSupplementary(_ text: String, marker: Unicode.Scalar) -> String {
    var out = String.UnicodeScalarView()
    var iterator = text.unicodeScalars.makeIterator()
    while let scalar = iterator.next() {
      guard scalar == marker, let high = iterator.next(), let low = iterator.next(),
        let decoded = Unicode.Scalar(
          0x10000 + ((high.value - 0xE000) << 10) + (low.value - 0xE000))
      else {
        out.append(scalar)
        continue
      }
      out.append(decoded)
    }
    return String(out)
  }
}
