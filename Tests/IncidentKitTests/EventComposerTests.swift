import Foundation
import Testing
import Yams

@testable import IncidentKit

/// The fast reader (`positions: false`, nodes composed from libyaml's events) must give the
/// same tree as the full reader, or hand the text to it, so only positions ever differ.
@Suite("YAML event composer")
struct EventComposerTests {
  private static let file = "incidents/2026/INC-20261129-7K3Q/incident.yaml"

  /// A tree as text: every scalar's style, resolved tag and string; collections' styles and
  /// tags.
  private static func shape(_ node: Node?) -> String {
    guard let node else { return "nil" }
    switch node {
    case .scalar(let s):
      // The resolved tag: Yams resolves lazily, so the stored one depends on what read it.
      return "S(\(s.style.rawValue),\(node.tag.description),\(s.string.debugDescription))"
    case .sequence(let s):
      return "Q(\(s.style.rawValue),\(s.tag.description))[" + s.map { shape($0) }.joined(separator: ",") + "]"
    case .mapping(let m):
      return "M(\(m.style.rawValue),\(m.tag.description)){" + m.map { shape($0.key) + ":" + shape($0.value) }
        .joined(separator: ",") + "}"
    case .alias:
      return "alias"
    }
  }

  private static func hasMarks(_ node: Node?) -> Bool {
    guard let node else { return false }
    if node.mark != nil { return true }
    switch node {
    case .scalar, .alias: return false
    case .sequence(let s): return s.contains { hasMarks($0) }
    case .mapping(let m): return m.contains { hasMarks($0.key) || hasMarks($0.value) }
    }
  }

  /// Either both readers fail with the same error, or both give the same tree. Returns
  /// whether the fast reader composed it itself (its nodes have no marks).
  @discardableResult
  private static func same(_ data: Data, maxDepth: Int = 64) throws -> Bool {
    var full: Result<Node?, FormatError>
    var fast: Result<Node?, FormatError>
    do { full = .success(try YAMLReader.parse(data, file: file, maxDepth: maxDepth)) } catch {
      full = .failure(error)
    }
    do {
      fast = .success(try YAMLReader.parse(data, file: file, maxDepth: maxDepth, positions: false))
    } catch { fast = .failure(error) }
    switch (full, fast) {
    case (.failure(let a), .failure(let b)):
      #expect(a.description == b.description)
      return false
    case (.success(let a), .success(let b)):
      #expect(shape(a) == shape(b), "\(String(decoding: data, as: UTF8.self))")
      #expect(a == b)
      return b != nil && !hasMarks(b)
    default:
      Issue.record("one reader failed: \(full) vs \(fast) for \(String(decoding: data, as: UTF8.self))")
      return false
    }
  }

  @Test("records the tool writes are composed from events, to the same tree")
  func canonicalRecords() throws {
    let texts = [
      "plain", "yes", "no", "null", "~", "1.0", "0x1F", "2026-11-29", "a: b", "- item", "#hash",
      "trailing ", " leading", "multi\nline\ntext\n", "ünïcødé ✓ 火", "quote \"double\" 'single'",
      "", "tab\there", "back\\slash", "* star", "&amp", "!bang", "%percent", "@at", "`tick",
    ]
    for (n, text) in texts.enumerated() {
      // One-line fields hold no line breaks or tabs; free text (summary, note) does.
      let line = text.isEmpty ? "t" : text.replacingOccurrences(of: "\n", with: " ")
        .replacingOccurrences(of: "\t", with: " ")
      var incident = Incident(
        id: IncidentID("INC-20261129-7K3Q")!, title: line, kind: .outage,
        severity: "SEV2", status: .active)
      incident.summary = text
      incident.services = [line, "api"]
      incident.labels = ["l\(n)"]
      incident.roles = [RoleAssignment(role: "incident_commander", person: line)]
      incident.times.startedAt = Date(timeIntervalSince1970: 1_764_400_000 + Double(n))
      incident.source = IncidentSource(system: "statuspage", id: line)
      let data = RecordCodec.encodeIncident(incident)
      #expect(try Self.same(data), "\(String(decoding: data, as: UTF8.self))")
      #expect(try RecordCodec.decodeIncident(data, file: Self.file) == incident)

      var timeline = Timeline()
      var event = TimelineEvent(at: Date(timeIntervalSince1970: 1_764_400_000), by: "Ana", type: "note")
      event.id = "e\(n)"
      event.text = text
      timeline.events = [event]
      let timelineData = RecordCodec.encodeTimeline(timeline)
      #expect(try Self.same(timelineData))
      #expect(try RecordCodec.decodeTimeline(timelineData, file: Self.file) == timeline)
    }
  }

  @Test("hand-written layouts give the same tree as the full reader")
  func handWritten() throws {
    let composed = [
      "a: 1\nb: [x, \"y\", 'z']\nc: {d: e, f: [1, 2]}\n",
      "---\nkey: value\n...\n",
      "%YAML 1.1\n---\nkey: value\n",
      "\u{FEFF}key: value\n",
      "a: 1\r\nb: 2\r\n",
      "text: |\n  line 1\n  line 2\n\nkept: |+\n  x\n\nfolded: >-\n  a\n  b\n",
      "\"quoted key\": 1\n'single': 2\n? complex\n: value\n",
      "list:\n- a\n- - nested\n  - deeper\n- {k: v}\n",
      "empty:\nnull: ~\nstar: a * b\n",
      "a: \"**bold** and *stars*\"\n",
      "# only the first line is a comment\nk: v # trailing\n",
      "[1, 2, 3]\n",
      "just a scalar\n",
    ]
    for text in composed {
      #expect(try Self.same(Data(text.utf8)), "\(text)")
    }
    // Empty documents: nil from both, with no error.
    for text in ["", "# comment only\n", "---\n", "--- \n...\n"] {
      #expect(try YAMLReader.parse(Data(text.utf8), file: Self.file, positions: false) == nil)
      try Self.same(Data(text.utf8))
    }
  }

  @Test("texts that once read differently: BOMs in values, %TAG with '*', '*' with private use")
  func foundByTesting() throws {
    // Yams decodes every scalar with Foundation, which drops one leading U+FEFF.
    for text in [
      "title: \"\\uFEFFCheckout\"\n", "\u{FEFF}title: x\n\"\\uFEFFtitle\": again\n",
      "a: \"\\uFEFF\\uFEFFtwo\"\n", "a: |\n  \u{FEFF}block\n", "a: [\"\\uFEFFx\", \u{FEFF}y]\n",
      "a: \"\\uFEFF\"\n", "a: \"x\\uFEFF\"\n",
    ] {
      try Self.same(Data(text.utf8))
    }
    // A '*' in a %TAG prefix breaks the full reader's alias guard: the same error both ways.
    #expect(!(try Self.same(Data("%TAG !e! tag:example.com,2000:a*b/\n---\nk: v\n".utf8))))
    #expect(!(try Self.same(Data("%TAG !e! tag:example.com,2000:app/\n---\nk: v\n".utf8))))
    // '*' with every private-use character: refused both ways.
    let privateUse = String(String.UnicodeScalarView((0xE000...0xF8FF).compactMap(Unicode.Scalar.init)))
    #expect(!(try Self.same(Data("a: \"\(privateUse)\"\nb: x * y\n".utf8))))
    #expect(try Self.same(Data("a: \"\(privateUse)\"\n".utf8)))
    // A private-use character written as an escape, with a '*' elsewhere: it stays itself.
    for text in [
      "title: \"\\uE000x\"\nsummary: a*b\n", "# a*b\ntitle: \"\\U0000E000x\"\n",
      "title: \"\\uE000x\"\nzzz: a*b\n",
    ] {
      try Self.same(Data(text.utf8))
      let map = try YAMLMap(
        try #require(try YAMLReader.parse(Data(text.utf8), file: Self.file)), file: Self.file)
      #expect(try map.string("title") == "\u{E000}x")
    }
  }

  @Test("what the full reader must judge is handed to it, with the same errors and trees")
  func handedOver() throws {
    let texts = [
      "a: &x 1\nb: *x\n",  // anchor and alias
      "a: *x\n",  // undefined alias
      "a: !!str 1\n",  // explicit tag: accepted by the full reader
      "a: !custom 1\n",
      "a: 1\na: 2\n",  // duplicate key
      "a: 1\n\"a\": 2\n",
      "[k]: v\n",  // non-scalar key
      "a: 1\n---\nb: 2\n",  // second document
      "a: [\n",  // syntax error
      "a: \"open\n",
      "a:\n\t- b\n",  // tab
      "key: value\n  bad: indent\n",
      "a: b: c\n",
    ]
    for text in texts {
      #expect(!(try Self.same(Data(text.utf8))), "\(text)")
    }
    // Many keys (compared one by one, then hashed): a repeat is found either way.
    let many = (0..<40).map { "k\($0): v\($0)\n" }
    #expect(try Self.same(Data(many.joined().utf8)))
    #expect(!(try Self.same(Data((many + ["k3: again\n"]).joined().utf8))))
    #expect(!(try Self.same(Data((Array(many[0..<10]) + ["k3: again\n"]).joined().utf8))))
    // Nesting deeper than allowed is handed over and refused with its position.
    let deep = String(repeating: "[", count: 5) + String(repeating: "]", count: 5)
    #expect(!(try Self.same(Data(deep.utf8), maxDepth: 4)))
    #expect(try Self.same(Data(deep.utf8), maxDepth: 5))
  }

  @Test("a field error found on the fast path is reported with its line and column")
  func errorsKeepPositions() throws {
    let text = "id: INC-20261129-7K3Q\ntitle: t\nkind: outage\nseverity: SEV2\nstatus: nonsense\n"
    #expect(throws: FormatError.self) {
      try RecordCodec.decodeIncident(Data(text.utf8), file: Self.file)
    }
    do {
      _ = try RecordCodec.decodeIncident(Data(text.utf8), file: Self.file)
    } catch {
      #expect(error.line == 5)
      #expect(error.column == 9)
      #expect(error.field == "status")
    }
  }

  @Test("the front matter of the real postmortems reads the same both ways")
  func realFrontMatter() throws {
    var url = URL(fileURLWithPath: #filePath)
    while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
      url.deleteLastPathComponent()
    }
    let root = url.deletingLastPathComponent().appendingPathComponent("shared/data/postmortems")
    let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
    var composed = 0
    for name in files where name.hasSuffix(".md") {
      let text = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
      guard text.hasPrefix("---\n"), let end = text.range(of: "\n---\n", range: text.index(text.startIndex, offsetBy: 4)..<text.endIndex)
      else { continue }
      let front = String(text[text.index(text.startIndex, offsetBy: 4)..<end.lowerBound]) + "\n"
      if try Self.same(Data(front.utf8)) { composed += 1 }
    }
    #expect(composed > 0)
  }
}

/// Hand edits cannot put control characters (terminal escapes) or bidirectional overrides into
/// what `show` and `list` print: one-line fields hold none, free text only line breaks and tabs.
@Suite("Control characters in record files")
struct RecordControlCharacterTests {
  private static let file = "incidents/2026/INC-20261129-7K3Q/incident.yaml"
  private static let base = "id: INC-20261129-7K3Q\nkind: outage\nseverity: SEV2\nstatus: active\n"

  private func error(_ text: String) -> FormatError? {
    do {
      _ = try RecordCodec.decodeIncident(Data(text.utf8), file: Self.file)
      return nil
    } catch {
      return error
    }
  }

  @Test("an escape in the title, a tab in a service, a bidi override in a role are refused with position and field")
  func oneLineFields() throws {
    let title = try #require(error(Self.base + "title: \"Checkout \\e[31mred\"\n"))
    #expect(title.line == 5)
    #expect(title.column == 8)
    #expect(title.field == "title")
    #expect(title.message.contains("U+001B"))
    let service = try #require(error(Self.base + "title: t\nservices: [api, \"a\\tb\"]\n"))
    #expect(service.field == "services")
    #expect(service.message.contains("item 2 contains the control character U+0009"))
    let person = try #require(error(Self.base + "title: t\nroles:\n  commander: \"Ana \\u202E Lima\"\n"))
    #expect(person.field == "roles.commander")
    #expect(person.line == 7)
    let nul = try #require(error(Self.base + "title: \"Checkout\\0returns\"\n"))
    #expect(nul.message.contains("U+0000"))
  }

  @Test("free text keeps line breaks and tabs and refuses other controls")
  func freeText() throws {
    let ok = try RecordCodec.decodeIncident(
      Data((Self.base + "title: t\nsummary: \"line 1\\n\\tline 2\"\n").utf8), file: Self.file)
    #expect(ok.summary == "line 1\n\tline 2")
    let bell = try #require(error(Self.base + "title: t\nsummary: \"ding \\a\"\n"))
    #expect(bell.field == "summary")
    #expect(bell.message.contains("U+0007"))
    let timeline = "events:\n- id: e1\n  at: 2026-11-29T10:00:00Z\n  by: Ana\n  type: note\n  text: \"a \\x1b]8;;http://x\\x1b\\\\ b\"\n"
    do {
      _ = try RecordCodec.decodeTimeline(Data(timeline.utf8), file: "t.yaml")
      Issue.record("an escape in a note was read")
    } catch {
      #expect(error.field == "events[0].text")
      #expect(error.line == 6)
    }
  }
}
