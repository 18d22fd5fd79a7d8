import Foundation
import Yams

/// A postmortem's review status (front matter `status`), in order.
public enum PostmortemStatus: String, Sendable, CaseIterable, Codable {
  case draft
  case inReview = "in-review"
  case approved
  case published
}

/// One approval of a postmortem (front matter `approvals` entry).
public struct PostmortemApproval: Sendable, Equatable {
  /// The approver, `Name <email>`: the author of the approving commit.
  public var by: String
  /// When (UTC).
  public var at: Date
  /// The approver's note, if any.
  public var note: String?
  /// Keys the tool does not know.
  public var extra: [ExtraField]

  public init(by: String, at: Date, note: String? = nil) {
    self.by = by
    self.at = at
    self.note = note
    self.extra = []
  }
}

/// The YAML front matter of `postmortem.md`.
public struct PostmortemFrontMatter: Sendable, Equatable {
  public var status: PostmortemStatus
  /// The incident's ID.
  public var incident: String?
  /// Who wrote it (`Name <email>`); they cannot approve it.
  public var authors: [String]
  /// Who was asked to review it.
  public var reviewers: [String]
  /// Approvals, oldest first.
  public var approvals: [PostmortemApproval]
  /// The date of the postmortem meeting, `YYYY-MM-DD`.
  public var meetingDate: String?
  /// Keys the tool does not know, kept in order.
  public var extra: [ExtraField]

  public init(status: PostmortemStatus = .draft, incident: String? = nil) {
    self.status = status
    self.incident = incident
    self.authors = []
    self.reviewers = []
    self.approvals = []
    self.extra = []
  }

  /// The approvals that count: those not given by an author (same name or email, see
  /// ``PersonName/samePerson(_:_:)``); an author cannot approve their own postmortem.
  public var validApprovals: [PostmortemApproval] {
    approvals.filter { a in !authors.contains { PersonName.samePerson($0, a.by) } }
  }

  static let keys = ["status", "incident", "authors", "reviewers", "approvals", "meeting_date"]

  /// Parses front matter text.
  ///
  /// - Parameters:
  ///   - text: the YAML between the `---` lines.
  ///   - file: the file, for errors.
  ///   - lineOffset: lines before the front matter in the file (1 for the opening `---`), so
  ///     positions in errors are lines of the file.
  /// - Throws: ``FormatError`` at the first invalid field.
  static func decode(_ text: String, file: String, lineOffset: Int) throws(FormatError) -> PostmortemFrontMatter {
    // Blank lines in front of the YAML put every position the parser reports (in the error's
    // line and inside its text, "starts at line 3") on the line of the file.
    let padded = String(repeating: "\n", count: max(0, lineOffset)) + text
    guard let root = try YAMLReader.parse(Data(padded.utf8), file: file) else {
      throw FormatError(file: file, line: lineOffset, message: "the front matter is empty; it needs at least status: draft")
    }
    let map = try YAMLMap(root, file: file)
    let statusText = try map.requiredString("status")
    guard let status = PostmortemStatus(rawValue: statusText) else {
      throw map.error("status", "'\(statusText)' is not a postmortem status; expected one of "
        + PostmortemStatus.allCases.map(\.rawValue).joined(separator: ", "))
    }
    var fm = PostmortemFrontMatter(status: status, incident: try map.string("incident"))
    // People are cleaned as git cleans identities; an entry that names nobody (`<>`) is none.
    fm.authors = (try map.strings("authors") ?? []).compactMap(PersonName.cleaned)
    fm.reviewers = (try map.strings("reviewers") ?? []).compactMap(PersonName.cleaned)
    for entry in try map.maps("approvals") ?? [] {
      guard let by = PersonName.cleaned(try entry.requiredString("by")) else {
        throw entry.error("by", "the approval names nobody; write the approver as \"Name <email>\"")
      }
      guard let at = try entry.time("at") else {
        throw entry.error("at", "the approval has no time; add at: \"2026-11-29T10:42:00Z\"")
      }
      var approval = PostmortemApproval(by: by, at: at, note: try entry.string("note"))
      approval.extra = entry.unknownPairs(known: ["by", "at", "note"]).map { ExtraField(key: $0.key, value: $0.value) }
      fm.approvals.append(approval)
    }
    if let date = try map.string("meeting_date") {
      guard CalendarDate.isValid(date) else {
        throw map.error("meeting_date", "'\(date)' is not a date; write it as \"2026-12-01\" (YYYY-MM-DD, quoted) or leave it empty")
      }
      fm.meetingDate = date
    }
    fm.extra = map.unknownPairs(known: Set(keys)).map { ExtraField(key: $0.key, value: $0.value) }
    return fm
  }

  /// The front matter in canonical YAML (without the `---` lines), ending with a newline.
  func encode() -> String {
    let null = Node.scalar(Node.Scalar("null", .implicit, .plain))
    var pairs: [(String, Node)] = [("status", CanonicalYAML.scalar(status.rawValue))]
    if let incident { pairs.append(("incident", CanonicalYAML.scalar(incident))) }
    pairs.append(("authors", CanonicalYAML.sequence(authors.map(CanonicalYAML.scalar))))
    pairs.append(("reviewers", CanonicalYAML.sequence(reviewers.map(CanonicalYAML.scalar))))
    let approvals = approvals.map { a -> Node in
      var p: [(String, Node)] = [("by", CanonicalYAML.scalar(a.by)), ("at", CanonicalYAML.time(a.at))]
      if let note = a.note { p.append(("note", CanonicalYAML.scalar(note))) }
      return CanonicalYAML.mapping(p + a.extra.map { ($0.key, $0.value) })
    }
    pairs.append(("approvals", CanonicalYAML.sequence(approvals)))
    pairs.append(("meeting_date", meetingDate.map(CanonicalYAML.scalar) ?? null))
    pairs += extra.map { ($0.key, $0.value) }
    return CanonicalYAML.emit(CanonicalYAML.mapping(pairs))
  }
}

/// `postmortem.md` split into its front matter and its Markdown body, so the tool can rewrite
/// the front matter (status, reviewers, approvals) and the generated action block while keeping
/// every other byte of the body as it was.
public struct PostmortemDocument: Sendable {
  /// The front matter's YAML text (between the `---` lines), nil when the file has none.
  public var frontMatterText: String?
  /// The 1-based line of the file where the body starts.
  public var bodyStartLine: Int
  /// The Markdown after the closing `---` line, byte for byte.
  public var body: String

  /// Splits `text`: front matter is the lines between a first line `---` and the next line
  /// that is `---` (trailing spaces allowed).
  public init(_ text: String) {
    let lines = Self.rawLines(text)
    func bare(_ line: Substring) -> Substring {
      var l = line
      while let last = l.last, last == "\n" || last == "\r" || last == "\r\n" || last == " " { l = l.dropLast() }
      return l
    }
    guard let first = lines.first, bare(first) == "---" else {
      frontMatterText = nil
      bodyStartLine = 1
      body = text
      return
    }
    for i in lines.indices.dropFirst() where bare(lines[i]) == "---" {
      frontMatterText = lines[1..<i].joined()
      bodyStartLine = i + 2
      body = lines[(i + 1)...].joined()
      return
    }
    frontMatterText = nil
    bodyStartLine = 1
    body = text
  }

  /// Parses the front matter.
  ///
  /// - Throws: ``FormatError`` with the file's line when it is missing or invalid.
  public func frontMatter(file: String) throws(FormatError) -> PostmortemFrontMatter {
    guard let text = frontMatterText else {
      throw FormatError(file: file, line: 1, message: "the file has no front matter; it must start with a --- line, the YAML fields (status: draft, ...) and another --- line")
    }
    return try PostmortemFrontMatter.decode(text, file: file, lineOffset: 1)
  }

  /// The file with `frontMatter` written in canonical form and the body unchanged.
  ///
  /// - Parameter like: the file being rewritten; when its lines end in CR LF
  ///   (``usesCRLF(_:)``), so do the front matter's.
  public static func compose(_ frontMatter: PostmortemFrontMatter, body: String, like original: String = "") -> String {
    let head = "---\n" + frontMatter.encode() + "---\n"
    return (usesCRLF(original) ? head.replacingOccurrences(of: "\n", with: "\r\n") : head) + body
  }

  /// True when most line breaks of `text` are CR LF (a file saved on Windows): generated text
  /// written into it uses CR LF too.
  public static func usesCRLF(_ text: String) -> Bool {
    var lf = 0, crlf = 0
    var previous: UInt8 = 0
    for byte in text.utf8 {
      if byte == 10 { if previous == 13 { crlf += 1 } else { lf += 1 } }
      previous = byte
    }
    return crlf > lf
  }

  /// A level-2 section of the body (`## Name`) with its lines up to the next level-1 or
  /// level-2 heading.
  public struct Section: Sendable, Equatable {
    /// The heading's text without `##`.
    public var name: String
    /// The heading's 1-based line in the file.
    public var line: Int
    /// The section's lines (without the heading) with their 1-based file lines.
    public var lines: [(line: Int, text: String)]

    public static func == (a: Section, b: Section) -> Bool {
      a.name == b.name && a.line == b.line && a.lines.map(\.line) == b.lines.map(\.line)
        && a.lines.map(\.text) == b.lines.map(\.text)
    }
  }

  /// The body's level-2 sections, in order. Headings are CommonMark ATX headings: up to three
  /// spaces of indentation, `##`, a space or tab (or the end of the line), the text, and an
  /// optional closing run of `#`; those inside fenced code blocks do not count. A level-1
  /// heading ends a section; level 3 and deeper are part of it.
  public var sections: [Section] {
    var out: [Section] = []
    let lines = Self.lines(body)
    let code = Self.fencedLines(lines)
    for (n, line) in lines.enumerated() {
      let number = bodyStartLine + n
      if !code[n], let heading = Self.atxHeading(line), heading.level <= 2 {
        out.append(Section(name: heading.level == 2 ? heading.text : "", line: number, lines: []))
      } else {
        out.indices.last.map { out[$0].lines.append((number, line)) }
      }
    }
    return out.filter { !$0.name.isEmpty }
  }

  /// A CommonMark ATX heading (spec section 4.2): its level (1-6) and text without the opening
  /// and closing `#` runs; nil when `line` is not one.
  static func atxHeading(_ line: String) -> (level: Int, text: String)? {
    var rest = Substring(line)
    var indent = 0
    while rest.first == " " && indent < 4 { rest = rest.dropFirst(); indent += 1 }
    guard indent <= 3 else { return nil }
    let hashes = rest.prefix { $0 == "#" }.count
    guard (1...6).contains(hashes) else { return nil }
    rest = rest.dropFirst(hashes)
    guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
    var text = rest.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
    // A closing sequence: a run of # preceded by a space or tab (or making up the whole text).
    let closing = text.reversed().prefix { $0 == "#" }.count
    if closing > 0 {
      let before = text.dropLast(closing)
      if before.isEmpty { text = "" }
      else if before.last == " " || before.last == "\t" {
        text = before.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
      }
    }
    return (hashes, text)
  }

  /// For each of `lines`, true when it is part of a fenced code block (its fences included):
  /// a fence is three or more backticks or tildes indented up to three spaces, closed by a
  /// fence of the same character at least as long (CommonMark spec section 4.5). An unclosed
  /// fence runs to the end.
  static func fencedLines(_ lines: [String]) -> [Bool] {
    var out: [Bool] = []
    out.reserveCapacity(lines.count)
    var open: (char: Character, count: Int)?
    for line in lines {
      let indent = line.prefix { $0 == " " }.count
      let t = line.dropFirst(indent)
      let char = t.first
      let run = char == "`" || char == "~" ? t.prefix { $0 == char }.count : 0
      if let fence = open {
        out.append(true)
        if indent <= 3, char == fence.char, run >= fence.count,
          t.dropFirst(run).trimmingCharacters(in: .whitespaces).isEmpty
        {
          open = nil
        }
      } else if indent <= 3, run >= 3, let char, !(char == "`" && t.dropFirst(run).contains("`")) {
        open = (char, run)
        out.append(true)
      } else {
        out.append(false)
      }
    }
    return out
  }

  /// The 1-based lines of `text` that start with a git conflict marker: seven `<`, `=`, `>` or
  /// `|` followed by a space, a tab or the end of the line (the markers `git merge` leaves; the
  /// rule `git diff --check` uses).
  public static func conflictMarkerLines(_ text: String) -> [(line: Int, marker: String)] {
    var out: [(Int, String)] = []
    for (n, line) in lines(text).enumerated() {
      for c in ["<", "=", ">", "|"] {
        let marker = String(repeating: c, count: 7)
        guard line.hasPrefix(marker) else { continue }
        let next = line.dropFirst(7).first
        if next == nil || next == " " || next == "\t" { out.append((n + 1, marker)) }
      }
    }
    return out
  }

  /// The lines of `text` with their terminators (LF or CRLF), so that joining them gives the
  /// exact text back.
  static func rawLines(_ text: String) -> [Substring] {
    var lines: [Substring] = []
    var start = text.startIndex
    for i in text.utf8.indices where text.utf8[i] == 10 {
      let next = text.utf8.index(after: i)
      lines.append(text[start..<next])
      start = next
    }
    if start < text.endIndex { lines.append(text[start...]) }
    return lines
  }

  /// The lines of `text` without terminators, numbered as git numbers them (only LF ends a
  /// line; a CR before it is dropped). A text ending in a line break has no extra empty line.
  public static func lines(_ text: String) -> [String] {
    var out: [String] = []
    var start = text.startIndex
    for i in text.utf8.indices where text.utf8[i] == 10 {
      var line = String(text[start..<i])
      if line.utf8.last == 13 { line = String(line.utf8.dropLast())! }
      out.append(line)
      start = text.utf8.index(after: i)
    }
    if start < text.endIndex { out.append(String(text[start...])) }
    return out
  }

  /// Compares section names as people write them: case, surrounding spaces and a trailing
  /// parenthesised remark (`Impact (required)`) do not matter.
  public static func sameSection(_ a: String, _ b: String) -> Bool {
    normalized(a) == normalized(b)
  }

  static func normalized(_ name: String) -> String {
    var n = name.trimmingCharacters(in: .whitespaces).lowercased()
    if n.hasSuffix(")"), let open = n.lastIndex(of: "(") { n = String(n[..<open]) }
    return n.trimmingCharacters(in: .whitespaces)
  }
}
