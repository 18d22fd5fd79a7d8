import Foundation
import Testing
import Yams

@testable import IncidentKit

/// The Markdown importer's parse, and the fast paths it relies on, give what the Foundation
/// and `Character` based code before them gave.
@Suite("Markdown parse")
struct MarkdownParseTests {
  static let utc = TimeZone(identifier: "UTC")!
  static let now = Date(timeIntervalSince1970: 1_800_000_000)

  static func parse(_ text: String, file: String = "pm/2021-06-30-x.md") -> Result<ImportDraft, ImportProblem> {
    MarkdownImporter.parse(Data(text.utf8), file: file, name: "2021-06-30-x.md", settings: .defaults, zone: utc, now: now)
  }

  static func snapshot(_ text: String) throws -> (draft: ImportDraft, plan: SnapshotPlan) {
    let draft = try parse(text).get()
    guard case .snapshot(let plan) = draft.plan else { throw FormatError(file: "", message: "not a snapshot") }
    return (draft, plan)
  }

  static func time(_ text: String) -> Date { RFC3339.parse(text)! }

  /// The problem of a file that is skipped, nil when it is read.
  static func problem(_ text: String) -> ImportProblem? {
    if case .failure(let problem) = parse(text) { return problem }
    return nil
  }

  // MARK: - Whitespace

  @Test func trimmingWhitespaceAndNewlinesIsFoundations() {
    for s in TextFastPathTests.samples + ["\u{0085}", "\r\n x \r\n", "\u{2029}\u{00A0}", "a\u{2028}b", "\u{000D}\u{0301}x"] {
      #expect(s.trimmingWhitespaceAndNewlines == s.trimmingCharacters(in: .whitespacesAndNewlines), "\(s.unicodeScalars.map { String($0.value, radix: 16) })")
    }
    let differ = (UInt32(0)...0x10FFFF).compactMap(Unicode.Scalar.init).filter {
      isFoundationWhitespaceOrNewline($0) != CharacterSet.whitespacesAndNewlines.contains($0)
    }
    #expect(differ.isEmpty, "\(differ.map { String($0.value, radix: 16) })")
    // A combining mark after a trimmed space stays, as in Foundation (which trims UTF-16 units).
    #expect(" \u{301}a ".trimmingWhitespaceAndNewlines.unicodeScalars.map(\.value) == [0x301, 0x61])
  }

  @Test func frontMatterValuesAreTrimmedOfUnicodeWhitespace() throws {
    let (draft, plan) = try Self.snapshot(
      "---\ntitle: \"\u{00A0}Disk full\u{2003}\"\nstart_time: \"\u{3000}2021-06-30T08:32:00Z\u{2028}\"\n"
        + "uuid: |\n  \u{200B}abc\u{2003}\nseverity: \"\u{202F}down\u{2029}\"\ncompany: x\n---\nBody.\n")
    #expect(plan.incident.title == "Disk full")
    #expect(plan.incident.times.startedAt == Self.time("2021-06-30T08:32:00Z"))
    #expect(draft.source == IncidentSource(system: "markdown", id: "abc"))
    #expect(plan.incident.severity == "SEV2", "cState's down is the second level")
    #expect(draft.warnings.isEmpty)
  }

  // MARK: - Front matter

  /// `FrontMatter.split` as it was written before, on `Character` lines.
  static func referenceSplit(_ text: String) -> (frontMatter: String?, body: String) {
    guard text.hasPrefix("---\n") || text.hasPrefix("---\r\n") else { return (nil, text) }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    for i in lines.indices.dropFirst() where lines[i].trimmingCharacters(in: .whitespaces) == "---" {
      return (lines[1..<i].joined(separator: "\n"), lines[(i + 1)...].joined(separator: "\n"))
    }
    return (nil, text)
  }

  @Test func frontMatterSplitsAtBareLineFeeds() {
    #expect(FrontMatter.split("---\na: 1\n---\nbody\n") == ("a: 1", "body\n"))
    #expect(FrontMatter.split("---\n---") == ("", ""))
    #expect(FrontMatter.split("---\na: 1\n \u{3000}---\u{00A0}\t\nb") == ("a: 1", "b"))
    #expect(FrontMatter.split("---\na: 1\n----\nb") == (nil, "---\na: 1\n----\nb"))
    #expect(FrontMatter.split("---\na: 1\n---\u{301}\nb") == (nil, "---\na: 1\n---\u{301}\nb"))
    // CR LF is one `Character`, not a line end: a CR LF file has no front matter here.
    #expect(FrontMatter.split("---\r\na: 1\r\n---\r\nb\r\n") == (nil, "---\r\na: 1\r\n---\r\nb\r\n"))
    #expect(FrontMatter.split("---\r\na: 1\n---\nb") == ("", "b"))
    let pieces = ["---", "\n", "\r\n", "\r", " ", "\u{00A0}", "\u{301}", "a: 1", "----", "\t", "\u{2028}", "é"]
    var texts = ["---\n"]
    for a in pieces { for b in pieces { for c in pieces { texts.append("---\n" + a + b + c + "\n---" + a) } } }
    for text in texts + TextFastPathTests.samples.map({ "---\n" + $0 + "\n" + $0 + "---\n" + $0 }) {
      let fast = FrontMatter.split(text)
      let reference = Self.referenceSplit(text)
      #expect(fast.frontMatter == reference.frontMatter && fast.body == reference.body, "\(Array(text.unicodeScalars))")
    }
  }

  @Test func linesAreTheCharacterLines() {
    for text in ["", "\n", "a\n\nb", "a\n\u{301}b\n", "x \u{00A0}\n", "\n\n", "é\nü"] + TextFastPathTests.samples.filter({ !$0.contains("\r") }) {
      #expect(MarkdownImporter.lines(of: text) == text.split(separator: "\n", omittingEmptySubsequences: false))
    }
  }

  @Test func lastPathComponentIsNSStrings() {
    for path in ["", "a", "a.md", "/x/y/z.md", "dir//y.md", "a/b/", "/", "//", "rel/2021-06-30 incident", "ü/é.md", "./x"] {
      #expect(MarkdownImporter.lastPathComponent(path) == (path as NSString).lastPathComponent, "\(path)")
    }
  }

  @Test func frontMatterErrorsNameTheFileLine() {
    // A front matter that is not a mapping is read again for its position.
    #expect(Self.problem("---\n\n- a\n- b\n---\nx\n") == ImportProblem(
      file: "pm/2021-06-30-x.md", field: nil,
      message: "front matter, line 3, column 1: expected a mapping of keys to values, found a sequence"))
    #expect(Self.problem("---\njust text\n---\n") == ImportProblem(
      file: "pm/2021-06-30-x.md", field: nil,
      message: "front matter, line 2, column 1: expected a mapping of keys to values, found the string \"just text\""))
    // Syntax errors, and line numbers inside the message, are moved by the opening line.
    #expect(Self.problem("---\ntitle: t\nstart_time: 2021-06-30T08:32:00Z\ntitle: u\n---\n") == ImportProblem(
      file: "pm/2021-06-30-x.md", field: nil,
      message: "front matter, line 4, column 1: duplicate key \"title\" (first defined at line 2, column 1); "
        + "each key may appear only once in a mapping, remove or merge one of them"))
    let tab = Self.problem("---\na: 1\n\tb: 2\n---\n")
    #expect(tab?.message.hasPrefix("front matter, line 3, column 1: tab character used for indentation") == true)
  }

  @Test func crlfFilesReadAsTheirLineFeedTwins() throws {
    let lf = "---\ntitle: Disk full\n---\n\n## Summary\n\nThe disk {{< x >}} filled.\n\n| Time | Event |\n| --- | --- |\n"
      + "| 2021-06-30 08:32 | alert |\n| 2021-06-30 09:00 | fixed |\n"
    let a = try Self.snapshot(lf)
    let b = try Self.snapshot(lf.replacingOccurrences(of: "\n", with: "\r\n"))
    #expect(a.plan.incident.summary == "The disk  filled.")
    #expect(b.plan.incident.summary == a.plan.incident.summary)
    #expect(a.plan.timeline.events.map(\.text) == ["Disk full", "alert", "fixed"])
    #expect(b.plan.timeline.events.map(\.text) == a.plan.timeline.events.map(\.text))
    #expect(a.draft.warnings == [
      "pm/2021-06-30-x.md: line 11: '2021-06-30 08:32' has no time zone; read in UTC (timezone in the committed git-incident.yaml) as 2021-06-30T08:32:00Z"
    ])
    #expect(b.draft.warnings == a.draft.warnings)
    #expect(b.plan.postmortem == a.plan.postmortem)
    // A lone CR is a line break too.
    let c = try Self.snapshot(lf.replacingOccurrences(of: "\n", with: "\r"))
    #expect(c.plan.timeline.events.map(\.text) == a.plan.timeline.events.map(\.text))
    #expect(c.draft.warnings == a.draft.warnings)
    #expect(c.plan.postmortem == a.plan.postmortem)
  }

  @Test func timelineRowsAndTrackEntriesNameTheirLine() {
    let text = "---\ntitle: t\nstart_time: 2021-06-30T08:32:00Z\n---\nintro\n\n| 0999-12-31T00:00:00Z | old |\n"
    #expect(Self.problem(text) == ImportProblem(
      file: "pm/2021-06-30-x.md", field: "line 7",
      message: "'0999-12-31T00:00:00Z': the year 999 is implausible; expected a year from 1000 to 9999"))
    let track = "---\ntitle: t\n---\nDone. {{< track \"1000-01-01T00:00:00Z\" >}}\n"
    #expect(Self.problem(track) == ImportProblem(
      file: "pm/2021-06-30-x.md", field: "line 4",
      message: "'1000-01-01T00:00:00Z': the year 999 is implausible; expected a year from 1000 to 9999"))
  }

  @Test func controlCharactersAndSpacedKeysAreCleaned() throws {
    let (draft, plan) = try Self.snapshot(
      "---\ntitle: \"Disk\u{202E} full\"\n\" spaced key \": 1\nstart_time: 2021-06-30T08:32:00Z\n---\nBody\u{1B}[31m.\n")
    #expect(plan.incident.title == "Disk full")
    #expect(draft.warnings == [
      // Every line of the file is cleaned before the front matter is read.
      "pm/2021-06-30-x.md: removed control or bidirectional characters (U+202E, U+001B) from line 2, line 6; "
        + "imported text may hold only line breaks and tabs, as text given on the command line"
    ])
    #expect(String(decoding: plan.postmortem ?? Data(), as: UTF8.self) == """
      ---
      status: published
      title: Disk full
      spaced key: 1
      start_time: 2021-06-30T08:32:00Z
      ---

      Body[31m.

      """)
  }

  // MARK: - Other fast paths

  @Test func cleanTreesAreLeftAsTheyAre() throws {
    func tree(_ text: String) throws -> Node { try #require(try YAMLReader.parse(Data(text.utf8), file: "f")) }
    for text in ["a: 1\nb: [x, \"y z\"]\nc:\n  d: e", "\" k \": 1", "\"k\\t\": 1", "a: \"x\\ry\"", "a: \"\\e\"",
                 "\"\\u202E\": 1", "a: \"x\\u0085\"", "\"\\u00A0k\": v", "k: \"\\u00A0v \""]
    {
      let node = try tree(text)
      var clean = ImportText(file: "f")
      #expect(ImportText.isClean(node) == (clean.yaml(node, field: "") == node && clean.warning == nil), "\(text)")
    }
    #expect(ImportText.isClean(try tree("a: 1\nb: [x, \"y z\"]")))
    #expect(!ImportText.isClean(try tree("\" k \": 1")))
    #expect(ImportText.isCleanLine("ok") && ImportText.isCleanLine("") && !ImportText.isCleanLine("a\tb"))
  }

  @Test func plainSafetyOfASCIITextIsTheScalarRule() {
    let alphabet = Array("aZ0 9.-+:#,&'\"\t~_xe=<".unicodeScalars)
    var texts = ["", "yes", "No", "NULL", "<<", "=", "false", "falsey", "1_000", "0x1F", ".5", ".inf", "-.nan", "+1",
                 "a: b", "a:b", "a #b", "a#b", "190:20:30", "2026-01-01", "- x", "@at", "`x`", "x:", "\u{7F}x", "a\u{1}b"]
    for a in alphabet {
      texts.append(String(a))
      for b in alphabet {
        texts.append(String(a) + String(b))
        for c in alphabet { texts.append(String(a) + String(b) + String(c)) }
      }
    }
    let differ = texts.filter { CanonicalYAML.isPlainSafeASCII($0) != CanonicalYAML.isPlainSafeScalars($0) }
    #expect(differ.isEmpty, "\(differ)")
    #expect(CanonicalYAML.isPlainSafeASCII("é") == nil)
    #expect(CanonicalYAML.isPlainSafe("Disk full") && !CanonicalYAML.isPlainSafe("yes") && !CanonicalYAML.isPlainSafe("1.5"))
  }

  @Test func eventEmissionWritesWhatYamsWrites() throws {
    let texts = ["", "plain", "yes", "1.5", "2026-01-01", "a: b", " lead", "trail ", "x\ny", "x\n", "x\n\n", "\n", " x\ny",
                 "x \ny", "tab\there", "quote \" and \\", "\u{1B}esc", "\u{85}nel", "\u{2028}ls", "\u{FEFF}bom", "é ü 中文",
                 "\u{E000}private", "- dash", "#hash", "a #b", "~", "null", "<<", String(repeating: "long words ", count: 30),
                 "line one\nline two\n", "  indented\nblock", "\u{7F}del", "k:", "@at", "%pct", "\u{A0}nbsp"]
    let styles: [Node.Scalar.Style] = [.any, .plain, .singleQuoted, .doubleQuoted, .literal, .folded]
    var trees: [Node] = [
      CanonicalYAML.mapping([]), CanonicalYAML.sequence([]), CanonicalYAML.scalar("only"),
      CanonicalYAML.mapping([("a", CanonicalYAML.mapping([("b", CanonicalYAML.sequence([CanonicalYAML.scalar("c"), CanonicalYAML.mapping([])]))]))]),
      CanonicalYAML.mapping([("list", CanonicalYAML.sequence([CanonicalYAML.sequence([CanonicalYAML.scalar("x")]), CanonicalYAML.time(Date(timeIntervalSince1970: 0))]))]),
    ]
    trees.append(CanonicalYAML.mapping(texts.map { ($0.isEmpty ? "empty" : $0, CanonicalYAML.scalar($0)) }))
    trees.append(CanonicalYAML.sequence(texts.map(CanonicalYAML.scalar)))
    for style in styles {
      trees.append(CanonicalYAML.mapping(texts.map { ("k", .scalar(Node.Scalar($0, Tag(.implicit), style))) }))
    }
    // As parsed: flow styles and literal blocks in, canonical out.
    let parsed = try #require(try YAMLReader.parse(Data("a: {b: [1, 2]}\nc: |\n  x\n  y\nd: 'q'\n".utf8), file: "f"))
    trees.append(parsed)
    trees.append(CanonicalYAML.canonical(parsed))
    for tree in trees {
      let events = try #require(CanonicalYAML.emitEvents(tree))
      #expect(events == CanonicalYAML.emitWithYams(tree))
    }
    #expect(CanonicalYAML.emitEvents(CanonicalYAML.mapping([("a", CanonicalYAML.scalar("fire 🚒"))])) == nil)
    #expect(CanonicalYAML.emit(CanonicalYAML.mapping([("a", CanonicalYAML.scalar("fire 🚒")), ("b", CanonicalYAML.scalar("x\n"))]))
      == "a: fire 🚒\nb: |\n  x\n")
    #expect(CanonicalYAML.emit(CanonicalYAML.mapping([("title", CanonicalYAML.scalar("Disk full")), ("count", CanonicalYAML.scalar("1"))]), header: ["h"])
      == "# h\ntitle: Disk full\ncount: \"1\"\n")
  }

  @Test func implausibleYearsAtTheEdges() {
    func year(_ text: String) -> String? { ImportTime.implausible(Self.time(text)) }
    #expect(year("2021-06-30T08:32:00Z") == nil)
    #expect(year("1600-01-01T00:00:00Z") == nil)
    #expect(year("1599-12-31T23:59:59Z") == nil)
    #expect(year("9999-12-31T23:59:59Z") == nil)
    // Foundation's calendar is Julian before 1582: the Gregorian 1000-01-01 is in its year 999.
    #expect(year("1000-01-01T00:00:00Z") == "the year 999 is implausible; expected a year from 1000 to 9999")
    #expect(year("1000-01-10T00:00:00Z") == nil)
    #expect(ImportTime.implausible(Date(timeIntervalSince1970: 253_402_300_800))
      == "the year 10000 is implausible; expected a year from 1000 to 9999")
  }

  @Test func eventIDsUseEveryCharacterPosition() {
    let ids = (0..<2000).map { _ in TimelineEvent.newID() }
    let alphabet = Set(String(decoding: IncidentID.crockford, as: UTF8.self).lowercased())
    #expect(ids.allSatisfy { $0.hasPrefix("ev-") && $0.count == 13 && $0.dropFirst(3).allSatisfy(alphabet.contains) })
    #expect(Set(ids).count == ids.count)
    for position in 3..<13 {
      let seen = Set(ids.map { Array($0)[position] })
      #expect(seen.count == 32, "position \(position) took \(seen.count) of 32 characters")
    }
  }
}
