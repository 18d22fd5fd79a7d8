import Foundation

/// One problem `postmortem check` found.
public struct PostmortemProblem: Sendable, Equatable {
  /// How bad it is.
  public enum Level: String, Sendable {
    /// Fails the check.
    case error
    /// Reported; fails the check only with `--strict`.
    case warning
  }

  public var level: Level
  /// The 1-based line of `postmortem.md`, nil when the problem is about the whole file.
  public var line: Int?
  /// What is wrong, plain lowercase English.
  public var message: String
  /// What to write instead (blameless rewording hints).
  public var hint: String?

  public init(_ level: Level, line: Int?, _ message: String, hint: String? = nil) {
    self.level = level
    self.line = line
    self.message = message
    self.hint = hint
  }
}

/// The checks `postmortem check` and `postmortem publish` run on a postmortem.
public enum PostmortemCheck {
  /// Checks a postmortem's text against its record and the repository's policy.
  ///
  /// Errors: invalid front matter (with the line of the field), front matter naming another
  /// incident, a required section (``PostmortemTemplate/required(for:settings:)``) that is
  /// missing, empty, or still holds the template's placeholder text, an unfilled `{{token}}`,
  /// no action items for a severity in `policy.action_items_required_for`, a broken generated
  /// action block. Warnings: blaming language (``BlamelessLanguage``), placeholder text left in
  /// an optional section, a generated block that differs from `actions.yaml` (hand edits inside
  /// it are lost on the next action change).
  ///
  /// - Parameters:
  ///   - text: the postmortem's text.
  ///   - file: its path, for messages.
  ///   - record: the incident, with its action items.
  ///   - settings: the repository's policy.
  ///   - template: the template's text (its section lines are the placeholders).
  /// - Returns: the problems ordered by line (whole-file problems first).
  public static func run(_ text: String, file: String, record: IncidentRecord, settings: Settings,
                         template: String) -> [PostmortemProblem] {
    var problems: [PostmortemProblem] = []
    let doc = PostmortemDocument(text)
    var people = record.incident.roles.map(\.person) + [record.incident.declaredBy].compactMap { $0 }
    do {
      let fm = try doc.frontMatter(file: file)
      people += fm.authors + fm.reviewers
      if let named = fm.incident, named.uppercased() != record.incident.id.rawValue {
        problems.append(.init(.error, line: lineOf(key: "incident", in: doc), "front matter names incident \(named), but this is \(record.incident.id); set incident: \(record.incident.id)"))
      }
      let approvals = fm.validApprovals.count
      if fm.status == .approved || fm.status == .published, approvals < settings.approvalsRequired {
        problems.append(.init(.error, line: lineOf(key: "status", in: doc),
          "status is \(fm.status.rawValue) with \(approvals) of the \(settings.approvalsRequired) approvals policy requires (approvals by the postmortem's authors do not count); "
            + "set status: in-review and have a reviewer approve it with `git incident postmortem approve \(record.incident.id)`"))
      }
    } catch {
      let field = error.field.map { "\($0): " } ?? ""
      problems.append(.init(.error, line: error.line, "invalid front matter: \(field)\(error.message)"))
    }

    for marker in PostmortemDocument.conflictMarkerLines(text) {
      problems.append(.init(.error, line: marker.line, "git conflict marker \(marker.marker) left from a merge; resolve the conflict and delete the marker lines"))
    }

    let sections = doc.sections
    let placeholders = PostmortemTemplate.placeholders(in: template)
    let required = PostmortemTemplate.required(for: record.incident, settings: settings)
    var reportedTokenLines = Set<Int>()
    for name in required {
      guard let section = sections.first(where: { PostmortemDocument.sameSection($0.name, name) }) else {
        problems.append(.init(.error, line: expectedLine(of: name, in: doc, template: template),
                              "required section \"\(name)\" is missing; add a `## \(name)` heading and its text here"))
        continue
      }
      if PostmortemDocument.sameSection(name, "Action items") { continue }  // generated, checked below
      let (content, leftover) = classify(section, placeholders: placeholders[PostmortemDocument.normalized(section.name)] ?? [])
      if let tokenLine = content.first(where: { !tokens(in: bodyText(of: $0, in: section)).isEmpty }) {
        // The section has text, but a token in it was not filled in: name the token.
        let token = tokens(in: bodyText(of: tokenLine, in: section))[0]
        problems.append(.init(.error, line: tokenLine, "required section \"\(section.name)\" still has template token \(token); write the text it stands for"))
        reportedTokenLines.insert(tokenLine)
      } else if content.isEmpty {
        let what = leftover.isEmpty ? "" : ": it holds only the template's placeholder text"
        problems.append(.init(.error, line: section.line, "required section \"\(section.name)\" is empty\(what)"))
      } else if let first = leftover.first {
        problems.append(.init(.error, line: first, "required section \"\(section.name)\" still holds the template's placeholder text; replace or delete that line"))
      }
    }
    for section in sections where !required.contains(where: { PostmortemDocument.sameSection($0, section.name) }) {
      let (_, leftover) = classify(section, placeholders: placeholders[PostmortemDocument.normalized(section.name)] ?? [])
      if let first = leftover.first {
        problems.append(.init(.warning, line: first, "section \"\(section.name)\" still holds the template's placeholder text; fill it or delete the section"))
      }
    }
    let bodyLines = PostmortemDocument.lines(doc.body).enumerated().map { (line: doc.bodyStartLine + $0.offset, text: $0.element) }
    let code = PostmortemDocument.fencedLines(bodyLines.map(\.text))
    for (n, entry) in bodyLines.enumerated() where !code[n] {
      // The first token of a line a required section's error named is not repeated.
      for token in tokens(in: entry.text).dropFirst(reportedTokenLines.contains(entry.line) ? 1 : 0) {
        problems.append(.init(.error, line: entry.line, "unfilled template token \(token); write the text it stands for"))
      }
    }

    let actionsSection = sections.first { PostmortemDocument.sameSection($0.name, "Action items") }
    if settings.actionItemsRequiredFor.contains(record.incident.severity), record.actions.items.isEmpty {
      problems.append(.init(.error, line: actionsSection?.line,
        "policy requires action items for \(record.incident.severity) and there are none; add them with `git incident action add \(record.incident.id.randomPart) \"...\" --owner \"Name <email>\"`"))
    }
    do {
      if let (range, line) = try ActionBlock.locate(in: text) {
        let written = String(text[range]).replacingOccurrences(of: "\r\n", with: "\n")
        if written != ActionBlock.render(record.actions.items) {
          problems.append(.init(.warning, line: line, "the generated action block differs from actions.yaml; it is rewritten on the next action change, so change items with `git incident action`"))
        }
      } else {
        problems.append(.init(.warning, line: actionsSection?.line, "no generated action block (\(ActionBlock.begin) ... \(ActionBlock.end)); the next action change adds it"))
      }
    } catch {
      problems.append(.init(.error, line: error.line, error.message))
    }

    for finding in BlamelessLanguage.scan(bodyLines, people: people, things: record.incident.services) {
      problems.append(.init(.warning, line: finding.line, "blaming language: \"\(finding.phrase)\"", hint: finding.hint))
    }
    return problems.enumerated().sorted { a, b in
      let la = a.element.line ?? 0, lb = b.element.line ?? 0
      return la != lb ? la < lb : a.offset < b.offset
    }.map(\.element)
  }

  /// The section's lines split into real content and leftover placeholder lines (line numbers);
  /// blank lines and HTML comments are neither. A line with a `{{token}}` is content (the token
  /// is reported on its own, "still has template token").
  static func classify(_ section: PostmortemDocument.Section, placeholders: Set<String>) -> (content: [Int], leftover: [Int]) {
    var content: [Int] = []
    var leftover: [Int] = []
    var inComment = false
    for entry in section.lines {
      var visible = entry.text
      if inComment {
        guard let close = visible.range(of: "-->") else { continue }
        visible = String(visible[close.upperBound...])
        inComment = false
      }
      while let open = visible.range(of: "<!--") {
        if let close = visible.range(of: "-->", range: open.upperBound..<visible.endIndex) {
          visible.removeSubrange(open.lowerBound..<close.upperBound)
        } else {
          visible = String(visible[..<open.lowerBound])
          inComment = true
        }
      }
      let t = visible.trimmingCharacters(in: .whitespaces)
      if t.isEmpty { continue }
      if placeholders.contains(t) {
        leftover.append(entry.line)
      } else {
        content.append(entry.line)
      }
    }
    return (content, leftover)
  }

  /// The `{{token}}`s of a line (no spaces inside, at most 40 characters), in order.
  static func tokens(in text: String) -> [String] {
    var out: [String] = []
    var search = text.startIndex..<text.endIndex
    while let open = text.range(of: "{{", range: search),
      let close = text.range(of: "}}", range: open.upperBound..<text.endIndex)
    {
      let token = String(text[open.lowerBound..<close.upperBound])
      if !token.contains(" ") && token.count <= 40 { out.append(token) }
      search = close.upperBound..<text.endIndex
    }
    return out
  }

  static func bodyText(of line: Int, in section: PostmortemDocument.Section) -> String {
    section.lines.first { $0.line == line }?.text ?? ""
  }

  /// Where a missing section would be expected: the heading that follows the section before it
  /// in the template's order (or, when none of those exist, the first section heading; the
  /// body's first line without headings).
  static func expectedLine(of name: String, in doc: PostmortemDocument, template: String) -> Int {
    let order = PostmortemDocument(template).sections.map(\.name)
    let sections = doc.sections
    let headings = PostmortemDocument.lines(doc.body).enumerated().compactMap { n, line in
      PostmortemDocument.atxHeading(line).flatMap { $0.level <= 2 ? doc.bodyStartLine + n : nil }
    }
    if let index = order.firstIndex(where: { PostmortemDocument.sameSection($0, name) }) {
      for before in order[..<index].reversed() {
        guard let previous = sections.first(where: { PostmortemDocument.sameSection($0.name, before) }) else { continue }
        return headings.first { $0 > previous.line } ?? (previous.lines.last?.line ?? previous.line)
      }
    }
    return sections.first?.line ?? doc.bodyStartLine
  }

  static func lineOf(key: String, in doc: PostmortemDocument) -> Int? {
    guard let fm = doc.frontMatterText else { return nil }
    for (n, line) in PostmortemDocument.lines(fm).enumerated() where line.hasPrefix(key + ":") { return n + 2 }
    return nil
  }
}
