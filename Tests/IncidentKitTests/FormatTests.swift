import Foundation
import Testing
import Yams

@testable import IncidentKit

private let file = "incidents/2026/INC-20261129-7K3Q/incident.yaml"

private func parse(_ text: String, maxDepth: Int = 64) throws -> Node? {
  try YAMLReader.parse(Data(text.utf8), file: file, maxDepth: maxDepth)
}

private func parseError(_ data: Data, maxDepth: Int = 64) -> FormatError? {
  do {
    _ = try YAMLReader.parse(data, file: file, maxDepth: maxDepth)
    return nil
  } catch {
    return error
  }
}

private func parseError(_ text: String, maxDepth: Int = 64) -> FormatError? {
  parseError(Data(text.utf8), maxDepth: maxDepth)
}

private func rootMap(_ text: String) throws -> YAMLMap {
  let root = try #require(try parse(text))
  return try YAMLMap(root, file: file)
}

private func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0)
  -> Date
{
  var calendar = Calendar(identifier: .gregorian)
  calendar.timeZone = TimeZone(identifier: "UTC")!
  return calendar.date(
    from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
}

// MARK: - FormatError

@Suite struct FormatErrorTests {
  @Test func descriptionWithAllParts() {
    let error = FormatError(
      file: file, line: 4, column: 11, field: "severity",
      message: "expected a string, found a sequence")
    #expect(
      error.description
        == "incidents/2026/INC-20261129-7K3Q/incident.yaml:4:11: "
        + "severity: expected a string, found a sequence"
    )
  }

  @Test func descriptionLeavesOutAbsentParts() {
    #expect(FormatError(file: "a.yaml", message: "m").description == "a.yaml: m")
    #expect(FormatError(file: "a.yaml", line: 3, message: "m").description == "a.yaml:3: m")
    #expect(
      FormatError(file: "a.yaml", line: 3, column: 2, message: "m").description == "a.yaml:3:2: m")
    #expect(
      FormatError(file: "a.yaml", field: "roles.commander", message: "m").description
        == "a.yaml: roles.commander: m")
    // A column without a line means nothing to a reader and is left out.
    #expect(FormatError(file: "a.yaml", column: 2, message: "m").description == "a.yaml: m")
  }

  @Test func equatable() {
    let a = FormatError(file: "a", line: 1, column: 2, field: "f", message: "m")
    #expect(a == FormatError(file: "a", line: 1, column: 2, field: "f", message: "m"))
    #expect(a != FormatError(file: "a", line: 1, column: 3, field: "f", message: "m"))
  }
}

// MARK: - YAMLReader

@Suite struct FormatReaderTests {
  @Test func parsesMappingWithOneBasedMarks() throws {
    let map = try rootMap("title: Checkout down\nseverity: SEV1\nroles:\n  commander: ana\n")
    #expect(map.keys == ["title", "severity", "roles"])
    #expect(try map.string("title") == "Checkout down")
    // Yams' Mark is 1-based already: "SEV1" starts at line 2, column 11.
    let severity = try #require(map.mark("severity"))
    #expect(severity.line == 2 && severity.column == 11)
    let commander = try #require(try map.map("roles")?.mark("commander"))
    #expect(commander.line == 4 && commander.column == 14)
  }

  @Test func columnsCountUnicodeScalars() throws {
    let map = try rootMap("título: 🚒 x\nb: ok\n")
    let mark = try #require(map.mark("título"))
    #expect(mark.line == 1 && mark.column == 9)
  }

  @Test func emptyDocumentsAreNil() throws {
    #expect(try parse("") == nil)
    #expect(try parse("# only a comment\n\n# another\n") == nil)
    #expect(try parse("---\n") == nil)
  }

  @Test func rootThatIsNotAMappingIsReturned() throws {
    let root = try #require(try parse("- a\n- b\n"))
    #expect(root.sequence?.count == 2)
    let scalar = try #require(try parse("just text\n"))
    #expect(scalar.scalar?.string == "just text")
  }

  @Test func byteOrderMarkIsDroppedAndNotCounted() throws {
    let map = try YAMLMap(
      #require(try YAMLReader.parse(Data([0xEF, 0xBB, 0xBF] + Array("a: 1\n".utf8)), file: file)),
      file: file)
    #expect(map.keys == ["a"])
    #expect(map.mark("a")?.column == 4)
  }

  @Test func crlfLineBreaks() throws {
    let map = try rootMap("a: 1\r\nb: two words\r\ntext: |\r\n  x\r\n  y\r\n")
    #expect(try map.string("b") == "two words")
    #expect(try map.string("text") == "x\ny\n")
    #expect(map.mark("b")?.line == 2)
  }

  @Test func invalidUTF8ReportsLineOfFirstBadByte() throws {
    var bytes = Array("title: ok\nsummary: caf".utf8)
    bytes.append(0xFF)
    bytes += Array("\n".utf8)
    let error = try #require(parseError(Data(bytes)))
    #expect(error.line == 2)
    #expect(error.column == 13)
    #expect(error.message.contains("not valid utf-8"))
    #expect(error.file == file)
    // Truncated sequence, overlong encoding, and an encoded surrogate.
    for bad in [[0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80]] as [[UInt8]] {
      let error = try #require(parseError(Data(Array("a: x\nb: ".utf8) + bad)))
      #expect(error.line == 2 && error.column == 4)
    }
  }

  @Test func controlCharactersAreRejectedWithPosition() throws {
    let error = try #require(parseError("a: 1\nb: x\u{07}y\n"))
    #expect(error.line == 2 && error.column == 5)
    #expect(error.message.contains("U+0007"))
    let nul = try #require(parseError("a: \u{0}\n"))
    #expect(nul.line == 1 && nul.column == 4)
  }

  @Test(arguments: [
    "<<<<<<< HEAD\n", "=======\n", ">>>>>>> theirs\n", "||||||| base\n", "=======\r\n",
  ])
  func conflictMarkers(marker: String) throws {
    let text = "title: a\nstatus: open\n" + marker + "severity: SEV2\n"
    let error = try #require(parseError(text))
    #expect(error.line == 3 && error.column == 1)
    #expect(
      error.message
        == "unresolved git merge conflict marker; resolve the conflict and remove the markers")
  }

  @Test func conflictLookalikesAreNotMarkers() throws {
    let map = try rootMap("text: |\n  =======\n  <<<<<<< HEAD\nrule: ========\n")
    #expect(try map.string("text") == "=======\n<<<<<<< HEAD\n")
    #expect(try map.string("rule") == "========")
  }

  @Test func leadingTabIsRejected() throws {
    let error = try #require(parseError("roles:\n\tcommander: ana\n"))
    #expect(error.line == 2 && error.column == 1)
    #expect(error.message.contains("tab character used for indentation"))
    #expect(error.message.contains("spaces"))
  }

  @Test func tabAfterSpacesIsReportedClearly() throws {
    let error = try #require(parseError("roles:\n  \tcommander: ana\n"))
    #expect(error.line == 2)
    #expect(error.column != nil)
    #expect(error.message.contains("tab"))
  }

  @Test func tabInsideAValueIsFine() throws {
    let map = try rootMap("a: \"x\\ty\"\nb: x\ty\n")
    #expect(try map.string("a") == "x\ty")
    #expect(try map.string("b") == "x\ty")
  }

  @Test func duplicateKeysFoundByYams() throws {
    let error = try #require(parseError("title: a\nseverity: SEV1\ntitle: b\n"))
    #expect(error.line == 3 && error.column == 1)
    #expect(error.message.contains("duplicate key \"title\""))
    #expect(error.message.contains("line 1"))
  }

  @Test func duplicateKeysInNestedMapping() throws {
    let error = try #require(parseError("roles:\n  commander: a\n  scribe: b\n  commander: c\n"))
    #expect(error.line == 4 && error.column == 3)
    #expect(error.message.contains("commander"))
  }

  @Test func duplicateKeysThatDifferOnlyInQuoting() throws {
    // Yams compares keys with their resolved tags, so `1` (int) and "1" (str) pass it.
    let error = try #require(parseError("1: a\n\"1\": b\n"))
    #expect(error.line == 2 && error.column == 1)
    #expect(error.message.contains("duplicate key \"1\""))
    let bools = try #require(parseError("yes: a\n'yes': b\n"))
    #expect(bools.line == 2)
    // Yams compares tags too; the reader's own check compares the text.
    let tagged = try #require(parseError("!!int 1: a\n1: b\n"))
    #expect(tagged.line == 2 && tagged.column == 1)
    #expect(tagged.message.hasPrefix("duplicate key \"1\" (first defined at line 1, column 1)"))
  }

  @Test func duplicateKeysInFlowMapping() throws {
    let error = try #require(parseError("a: {x: 1, x: 2}\n"))
    #expect(error.line == 1)
    #expect(error.message.contains("duplicate key \"x\""))
  }

  @Test func nonScalarKeysAreRejected() throws {
    let error = try #require(parseError("? [a, b]\n: c\n"))
    #expect(error.line == 1 && error.column == 3)
    #expect(error.message.contains("a mapping key must be a string"))
  }

  @Test func anchorsAreRejected() throws {
    let error = try #require(parseError("title: x\nbase: &b\n  a: 1\ncopy: *b\n"))
    #expect(error.line == 2 && error.column == 7)
    #expect(
      error.message.hasPrefix("anchors and aliases are not allowed in record files"))
  }

  @Test func anchorOnScalarIsRejected() throws {
    let error = try #require(parseError("a: &x value\n"))
    #expect(error.line == 1 && error.column == 4)
    #expect(error.message.hasPrefix("anchors and aliases are not allowed"))
  }

  @Test func aliasIsRejectedEvenWhenUndefined() throws {
    let error = try #require(parseError("a: 1\nb: *nowhere\n"))
    #expect(error.line == 2 && error.column == 4)
    #expect(error.message.hasPrefix("anchors and aliases are not allowed"))
    let key = try #require(parseError("a: 1\n*k : 2\n"))
    #expect(key.line == 2 && key.column == 1)
    #expect(key.message.hasPrefix("anchors and aliases are not allowed"))
  }

  @Test func asterisksInTextAreKept() throws {
    let map = try rootMap(
      "a: use *bold* and 2*3\nb: \"*quoted*\"\nc: '*single'\nd: |\n  * item\n  ** more\n"
        + "e: [x*, \"*y\"]\n# a comment with *stars*\nk*: v\n")
    #expect(try map.string("a") == "use *bold* and 2*3")
    #expect(try map.string("b") == "*quoted*")
    #expect(try map.string("c") == "*single")
    #expect(try map.string("d") == "* item\n** more\n")
    #expect(try map.strings("e") == ["x*", "*y"])
    #expect(try map.string("k*") == "v")
    #expect(map.keys == ["a", "b", "c", "d", "e", "k*"])
  }

  private static func billionLaughs(aliasAsKey: Bool) -> String {
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
    var text =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    for index in 1..<names.count {
      let refs = Array(repeating: "*\(names[index - 1])", count: 10).joined(separator: ",")
      text += "\(names[index]): &\(names[index]) [\(refs)]\n"
    }
    return text + (aliasAsKey ? "? *j\n: 1\n? *j\n: 2\n" : "")
  }

  @Test(arguments: [false, true])
  func billionLaughsIsRejectedQuickly(aliasAsKey: Bool) throws {
    let start = ContinuousClock.now
    let error = try #require(parseError(Self.billionLaughs(aliasAsKey: aliasAsKey)))
    let elapsed = ContinuousClock.now - start
    #expect(elapsed < .milliseconds(500))
    #expect(error.message.hasPrefix("anchors and aliases are not allowed"))
    if aliasAsKey {
      // Yams' duplicate-key check of the root mapping runs before the tree walk; it meets the
      // two `? *j` keys (neutralised, so hashing them is cheap) first.
      #expect(error.line == 11 && error.column == 3)
    } else {
      #expect(error.line == 1 && error.column == 4)
    }
  }

  @Test func depthLimit() throws {
    // Levels: the root mapping, the mappings under `a` and `b`, the sequence under `c`, and
    // the mapping that is its first item.
    let text = "a:\n  b:\n    c:\n      - d: 1\n"
    #expect(try parse(text, maxDepth: 5) != nil)
    let item = try #require(parseError(text, maxDepth: 4))
    #expect(item.line == 4 && item.column == 9)
    #expect(item.message.contains("nested more than 4 levels"))
    let sequence = try #require(parseError(text, maxDepth: 3))
    #expect(sequence.line == 4 && sequence.column == 7)
  }

  @Test func defaultDepthLimitIs64() throws {
    let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
    #expect(try parse(ok) != nil)
    let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
    let error = try #require(parseError(deep))
    #expect(error.line == 1 && error.column == 65)
  }

  @Test func hundredThousandLevelsIsAnErrorNotACrash() throws {
    let error = try #require(parseError("a: " + String(repeating: "[", count: 100_000)))
    #expect(error.line == 1)
    #expect(error.column != nil)
    #expect(error.message.contains("nested more than 64 levels"))
  }

  @Test func secondDocumentIsRejected() throws {
    let error = try #require(parseError("a: 1\n---\nb: 2\n"))
    #expect(error.line == 2 && error.column == 1)
    #expect(error.message.contains("second yaml document"))
    // A leading `---` is fine.
    #expect(try parse("---\na: 1\n") != nil)
  }

  @Test func otherSyntaxErrorsCarryPosition() throws {
    let flow = try #require(parseError("a: [1, 2\nb: 3\n"))
    #expect(flow.line != nil && flow.column != nil)
    #expect(flow.message.hasPrefix("invalid yaml: did not find expected ',' or ']'"))

    let quote = try #require(parseError("a: ok\nb: \"never closed\n"))
    #expect(quote.line == 2 && quote.column == 4)
    #expect(quote.message.contains("never closed"))

    let indent = try #require(parseError("a:\n  - b\n c: 1\n"))
    #expect(indent.line == 3 && indent.column == 2)
    #expect(indent.message.contains("indentation"))

    let colon = try #require(parseError("title: a: b\n"))
    #expect(colon.line == 1 && colon.column == 9)
    #expect(colon.message.contains("double quotes"))

    let at = try #require(parseError("a: @x\n"))
    #expect(at.line == 1 && at.column == 4)
    #expect(at.message.contains("'@'"))
  }
}

// MARK: - YAMLMap

@Suite struct FormatMapTests {
  static let text = """
    title: Checkout down
    kind: no
    octal: 0755
    severity: [SEV1]
    owner:
    tilde: ~
    quotedNull: "null"
    declared: 2026-11-29T12:42:00+02:00
    badTime: 2026-11-29 10:42
    labels: [payments, "yes", 1e3]
    roles:
      commander: ana
    events:
      - at: "2026-11-29T10:42:00Z"
        text: paged
      - at: nope
      - just a string
    extra: {x: 1}
    another: kept

    """

  @Test func scalarsAreLiteralText() throws {
    let map = try rootMap(Self.text)
    #expect(try map.string("title") == "Checkout down")
    #expect(try map.string("kind") == "no")
    #expect(try map.string("octal") == "0755")
    #expect(try map.string("quotedNull") == "null")
    #expect(try map.string("missing") == nil)
  }

  @Test func plainNullsAreAbsent() throws {
    let map = try rootMap(Self.text)
    #expect(try map.string("owner") == nil)
    #expect(try map.string("tilde") == nil)
    #expect(map.node("owner") != nil)
    #expect(map.keys.contains("owner"))
  }

  @Test func wrongShapeNamesFieldAndPosition() throws {
    let map = try rootMap(Self.text)
    let error = try #require(throws: FormatError.self) { try map.string("severity") }
    #expect(error.field == "severity")
    #expect(error.line == 4 && error.column == 11)
    #expect(
      error.description
        == "\(file):4:11: severity: expected a string, found a sequence")
  }

  @Test func requiredString() throws {
    let map = try rootMap(Self.text)
    #expect(try map.requiredString("title") == "Checkout down")
    let missing = try #require(throws: FormatError.self) { try map.requiredString("status") }
    #expect(missing.field == "status")
    #expect(missing.line == 1 && missing.column == 1)
    #expect(missing.message.contains("missing"))
    let null = try #require(throws: FormatError.self) { try map.requiredString("owner") }
    #expect(null.field == "owner")
  }

  @Test func stringsList() throws {
    let map = try rootMap(Self.text)
    #expect(try map.strings("labels") == ["payments", "yes", "1e3"])
    #expect(try map.strings("severity") == ["SEV1"])
    #expect(try map.strings("nothing") == nil)
    let error = try #require(throws: FormatError.self) { try map.strings("title") }
    #expect(error.field == "title")
    #expect(error.message.hasPrefix("expected a sequence of strings, found the string"))
    let item = try rootMap("labels:\n  - a\n  - {b: 1}\n")
    let itemError = try #require(throws: FormatError.self) { try item.strings("labels") }
    #expect(itemError.field == "labels[1]")
    #expect(itemError.line == 3 && itemError.column == 5)
    #expect(itemError.message == "expected a string, found a mapping")
  }

  @Test func times() throws {
    let map = try rootMap(Self.text)
    #expect(try map.time("declared") == utc(2026, 11, 29, 10, 42))
    #expect(try map.time("nothing") == nil)
    let error = try #require(throws: FormatError.self) { try map.time("badTime") }
    #expect(error.field == "badTime")
    #expect(error.line == 9 && error.column == 10)
    #expect(error.message.contains("2026-11-29T10:42:00Z"))
    #expect(error.message.contains("\"2026-11-29 10:42\""))
  }

  @Test func nestedMapsAndPaths() throws {
    let map = try rootMap(Self.text)
    let roles = try #require(try map.map("roles"))
    #expect(roles.path == "roles")
    #expect(try roles.string("commander") == "ana")
    let error = roles.error("commander", "person ana is not in the team list")
    #expect(error.field == "roles.commander")
    #expect(error.line == 12 && error.column == 14)
    #expect(try map.map("nothing") == nil)
    let notMap = try #require(throws: FormatError.self) { try map.map("title") }
    #expect(notMap.field == "title")
    #expect(notMap.message.hasPrefix("expected a mapping"))
  }

  @Test func listOfMaps() throws {
    let map = try rootMap(Self.text)
    let error = try #require(throws: FormatError.self) { try map.maps("events") }
    #expect(error.field == "events[2]")
    #expect(error.line == 17 && error.column == 5)
    #expect(error.message.hasPrefix("expected a mapping"))

    let ok = try rootMap("events:\n  - at: \"2026-11-29T10:42:00Z\"\n  - at: nope\n")
    let events = try #require(try ok.maps("events"))
    #expect(events.map(\.path) == ["events[0]", "events[1]"])
    #expect(try events[0].time("at") == utc(2026, 11, 29, 10, 42))
    let timeError = try #require(throws: FormatError.self) { try events[1].time("at") }
    #expect(timeError.field == "events[1].at")
    #expect(timeError.line == 3 && timeError.column == 9)
  }

  @Test func unknownPairsKeepDocumentOrder() throws {
    let map = try rootMap(Self.text)
    let known: Set<String> = [
      "title", "kind", "octal", "severity", "owner", "tilde", "quotedNull", "declared",
      "badTime", "labels", "roles", "events",
    ]
    let unknown = map.unknownPairs(known: known)
    #expect(unknown.map(\.key) == ["extra", "another"])
    #expect(unknown[1].value.scalar?.string == "kept")
    #expect(unknown[0].value.mapping?.count == 1)
  }

  @Test func errorForTheMapItselfAndMissingKeys() throws {
    let map = try rootMap("a: 1\nroles:\n  scribe: b\n")
    let roles = try #require(try map.map("roles"))
    let missing = roles.error("commander", "commander is required once the incident is open")
    #expect(missing.field == "roles.commander")
    #expect(missing.line == 3 && missing.column == 3)
    let whole = roles.error(nil, "roles must name at least a commander")
    #expect(whole.field == "roles")
    #expect(whole.line == 3)
    let root = map.error(nil, "x")
    #expect(root.field == nil)
    #expect(root.description == "\(file):1:1: x")
  }

  @Test func initRejectsNonMapping() throws {
    let node = try #require(try parse("- a\n"))
    let error = try #require(throws: FormatError.self) {
      try YAMLMap(node, file: file, path: "events[0]")
    }
    #expect(error.field == "events[0]")
    #expect(error.line == 1 && error.column == 1)
    #expect(error.message == "expected a mapping of keys to values, found a sequence")
  }
}

// MARK: - CanonicalYAML

@Suite struct FormatCanonicalTests {
  static let threeParagraphs =
    "First paragraph: the checkout API returned 500s.\n\nSecond paragraph, with a # hash and "
    + "\"quotes\".\n\nThird paragraph."

  static let roundTripStrings: [String] = [
    "no", "on", "0755", "000", "1e3", "2026-01-01", "yes", "~", "null", "", " leading",
    "trailing ", "a: b", "#x", "- x", "🚒 Incendio en el centro de datos 🔥",
    "حريق في مركز البيانات", "डेटा सेंटर में आग", threeParagraphs, threeParagraphs + "\n",
    "back\\n slash", "line1\nline2\n\n", "non\u{00A0}breaking space", "\u{00A0}edge\u{00A0}",
    "text with \"quotes\" and 'single'", "checkout-api", "Y", "OFF", "True", "0x1F", "0b101",
    "1_000", "190:20:30", "1_000.5", ".inf", "-.INF", ".NaN", "+12", "1.5",
    "2026-11-29T10:42:00Z", "2001-12-14 21:59:43.10 -5", "<<", "=", "?", ":", "-", "a:",
    "a #b", "a#b", "@here", "`cmd`", "%x", "!tag", "&a", "*a", "|", ">", "'", "\"", "[x]",
    "{x}", ",x", "...", "---", "tab\there", "bell\u{07}", "cr\rlf", "\n", "\n\nx",
    "  indented\nline",
    "x\n  indented", "emoji 🚒\nsecond line 🔥\n", "trailing space \nnext", "zwj 👩‍🚒 ok",
    "\u{2028}sep", "bom\u{FEFF}", "\u{E000}private 🔥", "a\\", "\\", "C:\\path",
    "\u{85}nel",
  ]

  private func emitOne(_ s: String) -> String {
    CanonicalYAML.emit(CanonicalYAML.mapping([("k", CanonicalYAML.scalar(s))]))
  }

  @Test(arguments: roundTripStrings)
  func roundTripIsExact(s: String) throws {
    let first = emitOne(s)
    let map = try rootMap(first)
    #expect(try map.string("k") == s, "emitted: \(first.debugDescription)")
    let again = emitOne(try map.requiredString("k"))
    #expect(Array(again.utf8) == Array(first.utf8))
    #expect(first.hasSuffix("\n") && !first.hasSuffix("\n\n"), "\(first.debugDescription)")
    // Only characters that must never appear raw are escaped (here the byte order mark).
    if !s.unicodeScalars.contains("\u{FEFF}") {
      #expect(!first.contains("\\u") && !first.contains("\\U"), "\(first.debugDescription)")
    }
    #expect(!first.hasPrefix("---") && !first.contains("\n..."))
    // Whatever the style, YAML 1.1 (Yams' default resolver) reads it back as a string.
    let yams = try #require(try Yams.compose(yaml: first))
    #expect(yams.mapping?["k"]?.scalar?.string == s || s == "")
    if let value = yams.mapping?["k"], value.scalar?.style == .plain {
      #expect(Resolver.default.resolveTag(of: value) == .str, "\(s.debugDescription) is plain")
    }
  }

  @Test func nonASCIIIsWrittenRaw() {
    for s in [
      "🚒 Incendio en el centro de datos 🔥", "حريق في مركز البيانات", "डेटा सेंटर में आग",
      "non\u{00A0}breaking",
    ] {
      #expect(emitOne(s) == "k: \(s)\n")
    }
    #expect(emitOne("emoji 🚒\nsecond 🔥") == "k: |-\n  emoji 🚒\n  second 🔥\n")
    #expect(emitOne("🔥 \"quoted\"\u{07}") == "k: \"🔥 \\\"quoted\\\"\\a\"\n")
  }

  @Test func yaml11LookalikesAreQuoted() {
    for s in [
      "no", "on", "0755", "000", "1e3", "2026-01-01", "yes", "y", "N", "Off", "TRUE", "~",
      "null", "", "0x1F", "1_000", "190:20:30", ".inf", ".5", "2026-11-29T10:42:00Z", "<<", "=",
    ] {
      #expect(emitOne(s) == "k: \"\(s)\"\n", "\(s)")
    }
  }

  @Test func plainWordsStayPlain() {
    for s in [
      "checkout-api", "SEV1", "open", "Checkout returns 500", "ana@example.com",
      "https://status.example.com/incidents/1", "a,b", "a:b", "a#b", "12 hosts down", "v1.2.3",
      "INC-20261129-7K3Q", "back\\n slash", "nope", "none", "yesterday",
    ] {
      #expect(emitOne(s) == "k: \(s)\n", "\(s)")
    }
  }

  @Test func multiLineTextIsALiteralBlock() {
    #expect(emitOne("a\nb\n") == "k: |\n  a\n  b\n")
    #expect(emitOne("a\n\nb") == "k: |-\n  a\n\n  b\n")
    #expect(emitOne(" a\nb") == "k: |2-\n   a\n  b\n")
    // libyaml falls back to double quotes where a literal block cannot hold the text.
    #expect(emitOne("trailing \nspace") == "k: \"trailing \\nspace\"\n")
    #expect(emitOne("line1\nline2\n\n") == "k: \"line1\\nline2\\n\\n\"\n")
  }

  @Test func layoutIsBlockOrderedAndDeterministic() {
    let incident = CanonicalYAML.mapping([
      ("id", CanonicalYAML.scalar("INC-20261129-7K3Q")),
      ("title", CanonicalYAML.scalar("Checkout returns 500")),
      ("status", CanonicalYAML.scalar("open")),
      ("declared", CanonicalYAML.time(utc(2026, 11, 29, 10, 42))),
      ("services", CanonicalYAML.sequence([CanonicalYAML.scalar("checkout-api")])),
      ("labels", CanonicalYAML.sequence([])),
      ("roles", CanonicalYAML.mapping([("commander", CanonicalYAML.scalar("ana"))])),
      ("links", CanonicalYAML.mapping([])),
      (
        "events",
        CanonicalYAML.sequence([
          CanonicalYAML.mapping([
            ("at", CanonicalYAML.time(Date(timeIntervalSince1970: 1_795_948_920.5))),
            ("text", CanonicalYAML.scalar("paged\nthe team\n")),
          ])
        ])
      ),
      ("a", CanonicalYAML.scalar("last")),
    ])
    let expected = """
      # yaml-language-server: $schema=../../../schema/incident.json
      #
      id: INC-20261129-7K3Q
      title: Checkout returns 500
      status: open
      declared: "2026-11-29T10:42:00Z"
      services:
      - checkout-api
      labels: []
      roles:
        commander: ana
      links: {}
      events:
      - at: "2026-11-29T10:42:00.500Z"
        text: |
          paged
          the team
      a: last

      """
    let header = ["yaml-language-server: $schema=../../../schema/incident.json", ""]
    let text = CanonicalYAML.emit(incident, header: header)
    #expect(text == expected)
    #expect(CanonicalYAML.emit(incident, header: header) == text)
  }

  @Test func keysAreQuotedLikeValues() {
    let text = CanonicalYAML.emit(
      CanonicalYAML.mapping([("no", CanonicalYAML.scalar("x")), ("b", CanonicalYAML.scalar("c"))]))
    #expect(text == "\"no\": x\nb: c\n")
  }

  @Test func canonicalRewriteOfParsedValues() throws {
    let map = try rootMap(
      "extra:\n  flag: yes\n  count: 42\n  quoted: \"yes\"\n  empty:\n  list: [a, \"0755\", 1e3]\n"
        + "  text: \"two\\nlines\"\n  spaced: {x: 1}\n")
    let extra = try #require(map.node("extra"))
    let text = CanonicalYAML.emit(
      CanonicalYAML.mapping([("extra", CanonicalYAML.canonical(extra))]))
    #expect(
      text == """
        extra:
          flag: yes
          count: 42
          quoted: "yes"
          empty:
          list:
          - a
          - "0755"
          - 1e3
          text: |-
            two
            lines
          spaced:
            x: 1

        """)
    let back = try #require(try rootMap(text).map("extra"))
    #expect(try back.string("quoted") == "yes")
    #expect(try back.string("empty") == nil)
  }
}

// MARK: - RFC3339

@Suite struct FormatRFC3339Tests {
  @Test func parsesUTC() {
    #expect(RFC3339.parse("2026-11-29T10:42:00Z") == utc(2026, 11, 29, 10, 42))
    #expect(RFC3339.parse("2026-11-29t10:42:00z") == utc(2026, 11, 29, 10, 42))
  }

  @Test func offsetsConvertToUTC() {
    let expected = utc(2026, 11, 29, 10, 42)
    #expect(RFC3339.parse("2026-11-29T12:42:00+02:00") == expected)
    #expect(RFC3339.parse("2026-11-29T05:12:00-05:30") == expected)
    #expect(RFC3339.parse("2026-11-29T10:42:00-00:00") == expected)
    #expect(RFC3339.format(RFC3339.parse("2026-11-29T12:42:00+02:00")!) == "2026-11-29T10:42:00Z")
    // Across a day and a year boundary.
    #expect(RFC3339.parse("2027-01-01T01:30:00+02:00") == utc(2026, 12, 31, 23, 30))
  }

  @Test func fractionalSecondsKeptToTheMillisecond() throws {
    let base = utc(2026, 11, 29, 10, 42).timeIntervalSince1970
    let d = try #require(RFC3339.parse("2026-11-29T10:42:00.123Z"))
    #expect(d.timeIntervalSince1970 == base + 0.123)
    #expect(RFC3339.format(d) == "2026-11-29T10:42:00.123Z")
    #expect(RFC3339.format(RFC3339.parse("2026-11-29T10:42:00.5Z")!) == "2026-11-29T10:42:00.500Z")
    #expect(
      RFC3339.format(RFC3339.parse("2026-11-29T10:42:00.123999+01:00")!)
        == "2026-11-29T09:42:00.123Z")
    #expect(RFC3339.format(RFC3339.parse("2026-11-29T10:42:00.000Z")!) == "2026-11-29T10:42:00Z")
  }

  @Test(arguments: [
    "2026-11-29T10:42:00", "2026-11-29", "10:42:00Z", "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z", "2026-11-31T00:00:00Z",
    "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
    "2026-11-29T24:00:00Z", "2026-11-29T10:60:00Z", "2026-11-29T10:42:60Z",
    "2026-11-29 10:42:00Z", "2026-11-29T10:42:00.Z", "2026-11-29T10:42:00+0200",
    "2026-11-29T10:42:00+24:00", "2026-11-29T10:42:00+02:60", "2026-11-29T10:42:00+02",
    " 2026-11-29T10:42:00Z", "2026-11-29T10:42:00Z ", "2026-11-29T10:42:00ZZ", "",
    "26-11-29T10:42:00Z", "2026-1-29T10:42:00Z", "2026-11-29T1:42:00Z", "2026/11/29T10:42:00Z",
    "２026-11-29T10:42:00Z", "2026-11-29T10:42:00UTC", "2026-11-29T10:42:00.12a3Z",
  ])
  func rejects(text: String) {
    #expect(RFC3339.parse(text) == nil)
  }

  @Test func leapDays() {
    #expect(RFC3339.parse("2024-02-29T00:00:00Z") == utc(2024, 2, 29))
    #expect(RFC3339.parse("2000-02-29T00:00:00Z") == utc(2000, 2, 29))
    #expect(RFC3339.parse("2026-02-29T00:00:00Z") == nil)
    #expect(RFC3339.format(utc(2024, 2, 29, 23, 59, 59)) == "2024-02-29T23:59:59Z")
  }

  @Test func boundaryYears() {
    #expect(RFC3339.parse("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
    #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
    #expect(RFC3339.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
    #expect(RFC3339.format(Date(timeIntervalSince1970: -0.25)) == "1969-12-31T23:59:59.750Z")
    #expect(RFC3339.parse("2100-12-31T23:59:59Z") == utc(2100, 12, 31, 23, 59, 59))
    #expect(RFC3339.format(utc(2100, 3, 1)) == "2100-03-01T00:00:00Z")
    #expect(RFC3339.parse("2100-03-01T00:00:00Z") == utc(2100, 3, 1))
  }

  @Test func roundTrips() throws {
    for text in [
      "2026-11-29T10:42:00Z", "2026-11-29T10:42:00.001Z", "2026-11-29T10:42:00.999Z",
      "1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
      "9999-12-31T23:59:59.999Z", "1901-06-15T12:00:00.250Z",
    ] {
      let date = try #require(RFC3339.parse(text))
      #expect(RFC3339.format(date) == text)
    }
  }

  @Test func agreesWithISO8601DateFormatter() throws {
    let plain = ISO8601DateFormatter()
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<1000 {
      // Whole seconds between 1970 and 2100.
      let seconds = Int64.random(in: 0..<4_102_444_800, using: &generator)
      let date = Date(timeIntervalSince1970: Double(seconds))
      let expected = plain.string(from: date)
      #expect(RFC3339.format(date) == expected)
      #expect(RFC3339.parse(expected) == date)
      #expect(plain.date(from: RFC3339.format(date)) == date)

      // With milliseconds.
      let millis = Int64.random(in: 1..<1000, using: &generator)
      let precise = Date(timeIntervalSince1970: Double(seconds) + Double(millis) / 1000)
      let ours = RFC3339.format(precise)
      let parsedByFoundation = try #require(fractional.date(from: ours))
      #expect(abs(parsedByFoundation.timeIntervalSince(precise)) < 0.0005)
      #expect(RFC3339.parse(fractional.string(from: precise)) == RFC3339.parse(ours))
    }
  }

  @Test func calendarArithmeticMatchesFoundation() {
    // From 1600: Foundation's Gregorian calendar is Julian before October 1582.
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    for days in stride(from: Int64(-135_140), through: 2_932_896, by: 997) {
      let date = Date(timeIntervalSince1970: Double(days) * 86_400)
      let parts = calendar.dateComponents([.year, .month, .day], from: date)
      let civil = RFC3339.civil(fromDays: days)
      #expect(Int(civil.year) == parts.year && civil.month == parts.month && civil.day == parts.day)
      #expect(RFC3339.days(fromCivil: civil.year, civil.month, civil.day) == days)
    }
  }
}
