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
    } catch {
      let field = error.field.map { "\($0): " } ?? ""
      problems.append(.init(.error, line: error.line, "invalid front matter: \(field)\(error.message)"))
    }

    let sections = doc.sections
    let placeholders = PostmortemTemplate.placeholders(in: template)
    let required = PostmortemTemplate.required(for: record.incident, settings: settings)
    for name in required {
      guard let section = sections.first(where: { PostmortemDocument.sameSection($0.name, name) }) else {
        problems.append(.init(.error, line: nil, "required section \"\(name)\" is missing; add a `## \(name)` heading and its text"))
        continue
      }
      if PostmortemDocument.sameSection(name, "Action items") { continue }  // generated, checked below
      let (content, leftover) = classify(section, placeholders: placeholders[PostmortemDocument.normalized(section.name)] ?? [])
      if content.isEmpty {
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
    for entry in bodyLines {
      if let open = entry.text.range(of: "{{"), let close = entry.text.range(of: "}}", range: open.upperBound..<entry.text.endIndex) {
        let token = entry.text[open.lowerBound..<close.upperBound]
        if !token.contains(" ") && token.count <= 40 {
          problems.append(.init(.error, line: entry.line, "template token \(token) was not filled in; write the text it stands for"))
        }
      }
    }

    let actionsSection = sections.first { PostmortemDocument.sameSection($0.name, "Action items") }
    if settings.actionItemsRequiredFor.contains(record.incident.severity), record.actions.items.isEmpty {
      problems.append(.init(.error, line: actionsSection?.line,
        "policy requires action items for \(record.incident.severity) and there are none; add them with `git incident action add \(record.incident.id.randomPart) \"...\" --owner \"Name <email>\"`"))
    }
    do {
      if let range = try ActionBlock.range(in: text, file: file) {
        if String(text[range]) != ActionBlock.render(record.actions.items) {
          let line = text[..<range.lowerBound].filter { $0 == "\n" || $0 == "\r\n" }.count + 1
          problems.append(.init(.warning, line: line, "the generated action block differs from actions.yaml; it is rewritten on the next action change, so change items with `git incident action`"))
        }
      } else {
        problems.append(.init(.warning, line: actionsSection?.line, "no generated action block (\(ActionBlock.begin) ... \(ActionBlock.end)); the next action change adds it"))
      }
    } catch {
      problems.append(.init(.error, line: nil, error.description))
    }

    for finding in BlamelessLanguage.scan(bodyLines, people: people) {
      problems.append(.init(.warning, line: finding.line, "blaming language: \"\(finding.phrase)\"", hint: finding.hint))
    }
    return problems.enumerated().sorted { a, b in
      let la = a.element.line ?? 0, lb = b.element.line ?? 0
      return la != lb ? la < lb : a.offset < b.offset
    }.map(\.element)
  }

  /// The section's lines split into real content and leftover placeholder lines (line numbers);
  /// blank lines and HTML comments are neither.
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
      if placeholders.contains(t) || (t.contains("{{") && t.contains("}}")) {
        leftover.append(entry.line)
      } else {
        content.append(entry.line)
      }
    }
    return (content, leftover)
  }

  static func lineOf(key: String, in doc: PostmortemDocument) -> Int? {
    guard let fm = doc.frontMatterText else { return nil }
    for (n, line) in PostmortemDocument.lines(fm).enumerated() where line.hasPrefix(key + ":") { return n + 2 }
    return nil
  }
}
