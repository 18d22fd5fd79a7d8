import Foundation

/// The generated list of action items inside `postmortem.md`: the lines from
/// `<!-- git-incident:actions:begin -->` to `<!-- git-incident:actions:end -->`.
///
/// `actions.yaml` is the one source of truth; every action change regenerates this block and
/// leaves every byte outside it as it was.
public enum ActionBlock {
  /// The line that opens the block.
  public static let begin = "<!-- git-incident:actions:begin -->"
  /// The line that closes the block.
  public static let end = "<!-- git-incident:actions:end -->"

  /// The block, markers included, without a final line break: a Markdown table of the items
  /// (ID, action, type, priority, owner, due, status), or a line saying there are none.
  ///
  /// - Parameter eol: the line break between the block's lines (`"\r\n"` for a CR LF file).
  public static func render(_ items: [ActionItem], eol: String = "\n") -> String {
    var lines = [begin, "<!-- generated from actions.yaml by git-incident: change items with `git incident action ...`, not here -->"]
    if items.isEmpty {
      lines.append("_No action items yet (`git incident action add <ID> \"...\" --owner ... --due ...`)._")
    } else {
      lines.append("| ID | Action | Type | Priority | Owner | Due | Status |")
      lines.append("|---|---|---|---|---|---|---|")
      for item in items {
        var title = cell(item.title)
        if let link = item.link { title += " ([link](\(linkTarget(link))))" }
        let status = item.status == .done ? "done" + (item.doneAt.map { " " + CalendarDate.string($0) } ?? "") : "open"
        lines.append("| \(cell(item.id)) | \(title) | \(item.type?.rawValue ?? "-") | \(item.priority?.rawValue ?? "-") | "
          + "\(cell(item.owner ?? "-")) | \(cell(item.due ?? "-")) | \(status) |")
      }
    }
    lines.append(end)
    return lines.joined(separator: eol)
  }

  /// Text made safe for one table cell, so that no value can end the cell, the row or the
  /// block: `|` escaped as `\|`, `<!--` and `-->` as `&lt;!--` and `--&gt;` (no comment, and so
  /// no marker, can start or end inside a cell), line breaks as `<br>`.
  static func cell(_ text: String) -> String {
    text.replacingOccurrences(of: "|", with: "\\|")
      .replacingOccurrences(of: "<!--", with: "&lt;!--")
      .replacingOccurrences(of: "-->", with: "--&gt;")
      .replacingOccurrences(of: "\r\n", with: "<br>")
      .replacingOccurrences(of: "\n", with: "<br>")
      .replacingOccurrences(of: "\r", with: "<br>")
  }

  /// A link's target made safe inside `[link](...)` and a table cell: characters that would end
  /// the link, the cell or the line, or start a comment, are percent-encoded (RFC 3986).
  static func linkTarget(_ link: String) -> String {
    var out = ""
    for scalar in link.unicodeScalars {
      switch scalar {
      case "(", ")", "|", "<", ">", " ", "\"", "\\":
        out += String(format: "%%%02X", scalar.value)
      case _ where scalar.properties.generalCategory == .control:
        out += String(format: "%%%02X", scalar.value & 0xFF)
      default:
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// A broken block: what is wrong and the 1-based line of the marker concerned.
  struct Problem: Error, Sendable, Equatable {
    var line: Int
    var message: String
  }

  /// Finds the block: the lines outside fenced code blocks whose text, without surrounding
  /// spaces, is exactly a marker (a marker quoted in code or inside a sentence is text).
  ///
  /// - Returns: the range from the start of the begin marker to the end of the end marker, and
  ///   the begin marker's line; nil when there is no marker.
  /// - Throws: ``Problem`` when a begin marker has no end marker after it (or another begin
  ///   comes first), an end marker has no begin before it, or there are two blocks (the tool
  ///   will not guess which text is the user's).
  static func locate(in text: String) throws(Problem) -> (range: Range<String.Index>, line: Int)? {
    let raw = PostmortemDocument.rawLines(text)
    let code = PostmortemDocument.fencedLines(PostmortemDocument.lines(text))
    var found: (range: Range<String.Index>, line: Int)?
    var open: (start: String.Index, line: Int)?
    for (n, line) in raw.enumerated() where n < code.count && !code[n] {
      let bare = line.trimmingCharacters(in: .whitespacesAndNewlines)
      if bare == begin {
        let at = line.range(of: begin)!.lowerBound
        if let open {
          throw Problem(line: n + 1, message: "\(begin) appears again before the \(end) of the block that starts at line \(open.line); remove one begin marker line")
        }
        if let found {
          throw Problem(line: n + 1, message: "a second generated action block starts here (the first starts at line \(found.line)); remove one, keeping one \(begin) ... \(end) pair")
        }
        open = (at, n + 1)
      } else if bare == end {
        guard let start = open else {
          throw Problem(line: n + 1, message: "\(end) has no \(begin) before it; restore the begin marker line or remove the end marker")
        }
        found = (start.start..<line.range(of: end)!.upperBound, start.line)
        open = nil
      }
    }
    if let open {
      throw Problem(line: open.line, message: "\(begin) has no \(end) after it; restore the end marker line so the tool knows where the generated action items end")
    }
    return found
  }

  /// Where the block is (see ``locate(in:)``).
  ///
  /// - Returns: nil when `text` has no block.
  /// - Throws: ``IncidentError/refused(_:)`` naming `file` and the marker's line for a broken
  ///   block.
  static func range(in text: String, file: String) throws(IncidentError) -> Range<String.Index>? {
    do {
      return try locate(in: text)?.range
    } catch {
      throw .refused("\(file):\(error.line): \(error.message)")
    }
  }

  /// `text` with the block replaced by one rendered from `items`; every byte outside the block
  /// is kept, and the block's lines end as the file's do (CR LF when most of its lines do).
  ///
  /// When there is no block, one is added: after the `## Action items` section's heading and
  /// text (before the next heading), or as a new `## Action items` section at the end.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` for a broken block (see ``range(in:file:)``).
  public static func regenerate(in text: String, items: [ActionItem], file: String) throws(IncidentError) -> String {
    let eol = PostmortemDocument.usesCRLF(text) ? "\r\n" : "\n"
    let block = render(items, eol: eol)
    if let range = try range(in: text, file: file) {
      return text.replacingCharacters(in: range, with: block)
    }
    // No block: insert at the end of the Action items section, or append the section.
    let doc = PostmortemDocument(text)
    let lines = PostmortemDocument.rawLines(text)
    if let section = doc.sections.first(where: { PostmortemDocument.sameSection($0.name, "Action items") }) {
      var insertAfter = section.line  // 1-based: the heading
      for entry in section.lines where !entry.text.trimmingCharacters(in: .whitespaces).isEmpty {
        insertAfter = entry.line
      }
      let head = lines.prefix(insertAfter).joined()
      let tail = lines.dropFirst(insertAfter).joined()
      let separator = head.hasSuffix("\n") ? "" : eol
      return head + separator + eol + block + eol + (tail.isEmpty || tail.hasPrefix("\n") || tail.hasPrefix("\r\n") ? "" : eol) + tail
    }
    let separator = text.isEmpty || text.hasSuffix(eol + eol) ? "" : text.hasSuffix("\n") ? eol : eol + eol
    return text + separator + "## Action items" + eol + eol + block + eol
  }
}
