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
  public static func render(_ items: [ActionItem]) -> String {
    var lines = [begin, "<!-- generated from actions.yaml by git-incident: change items with `git incident action ...`, not here -->"]
    if items.isEmpty {
      lines.append("_No action items yet (`git incident action add <ID> \"...\" --owner ... --due ...`)._")
    } else {
      lines.append("| ID | Action | Type | Priority | Owner | Due | Status |")
      lines.append("|---|---|---|---|---|---|---|")
      for item in items {
        var title = cell(item.title)
        if let link = item.link { title += " ([link](\(link.replacingOccurrences(of: ")", with: "%29"))))" }
        let status = item.status == .done ? "done" + (item.doneAt.map { " " + CalendarDate.string($0) } ?? "") : "open"
        lines.append("| \(item.id) | \(title) | \(item.type?.rawValue ?? "-") | \(item.priority?.rawValue ?? "-") | "
          + "\(cell(item.owner ?? "-")) | \(item.due ?? "-") | \(status) |")
      }
    }
    lines.append(end)
    return lines.joined(separator: "\n")
  }

  /// Text made safe for one table cell: `|` escaped, line breaks as `<br>`.
  static func cell(_ text: String) -> String {
    text.replacingOccurrences(of: "|", with: "\\|")
      .replacingOccurrences(of: "\r\n", with: "<br>")
      .replacingOccurrences(of: "\n", with: "<br>")
  }

  /// Where the block is: the range from the start of the begin marker to the end of the end
  /// marker (both markers are matched anywhere on their lines).
  ///
  /// - Returns: nil when `text` has no begin marker.
  /// - Throws: ``IncidentError/refused(_:)`` when the begin marker has no end marker after it,
  ///   or there are two blocks (the tool will not guess which text is the user's).
  static func range(in text: String, file: String) throws(IncidentError) -> Range<String.Index>? {
    guard let open = text.range(of: begin) else {
      if text.range(of: end) != nil {
        throw .refused("\(file) has \(end) without \(begin) before it; restore the begin marker line or remove the end marker")
      }
      return nil
    }
    guard let close = text.range(of: end, range: open.upperBound..<text.endIndex) else {
      throw .refused("\(file) has \(begin) without \(end) after it; restore the end marker line so the tool knows where the generated action items end")
    }
    if text.range(of: begin, range: close.upperBound..<text.endIndex) != nil {
      throw .refused("\(file) has two generated action blocks; remove one (keep one \(begin) ... \(end) pair)")
    }
    return open.lowerBound..<close.upperBound
  }

  /// `text` with the block replaced by one rendered from `items`; every byte outside the block
  /// is kept.
  ///
  /// When there is no block, one is added: after the `## Action items` section's heading and
  /// text (before the next heading), or as a new `## Action items` section at the end.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` for a broken block (see ``range(in:file:)``).
  public static func regenerate(in text: String, items: [ActionItem], file: String) throws(IncidentError) -> String {
    let block = render(items)
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
      let separator = head.hasSuffix("\n") ? "" : "\n"
      return head + separator + "\n" + block + "\n" + (tail.isEmpty || tail.hasPrefix("\n") ? "" : "\n") + tail
    }
    let separator = text.isEmpty || text.hasSuffix("\n\n") ? "" : text.hasSuffix("\n") ? "\n" : "\n\n"
    return text + separator + "## Action items\n\n" + block + "\n"
  }
}
