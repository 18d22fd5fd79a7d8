import Foundation
import Yams

/// Reads postmortems written in Markdown, with YAML front matter or without, into resolved
/// incidents that carry the document as their `postmortem.md`.
///
/// - Title: front matter `title`, else the first `# ` heading, else the first sentence of the
///   text (at most 100 characters), else the file name.
/// - Times: `started_at` from `start_time`, `date` or `started_at`, else the first row of a
///   timeline table (`| 2021-06-30 08:32 | ... |`), else a date at the start of the file name;
///   `resolved_at` from `end_time`, `resolvedWhen` or `resolved_at`. A file with no time at all
///   is skipped (the incident's date is part of its ID). Times without a zone are read in the
///   repository's time zone, with a warning.
/// - Status resolved, or active when the front matter says `resolved: false`.
/// - Severity: a front matter `severity` naming a defined level is kept; cState's `down`,
///   `disrupted` and `notice` map to the 2nd, 3rd and 4th level; otherwise the 3rd level.
/// - Services from `affected` (a list) or `product`; labels from `categories`.
/// - Timeline: rows of timeline tables and cState `{{< track "TIME" >}}` entries become notes.
/// - `postmortem.md`: front matter `status: published`, then the original front matter keys,
///   then the original body, unchanged.
/// - Source ID: front matter `uuid`, else `id`, else the file's path relative to the folder
///   given to the import (`teamA/postmortem.md`), or its name when the file itself was given.
///   So importing the same folder again is a no-op, and files of the same name in different
///   sub-folders are different incidents.
/// - Text: every line of the file and every front matter value are cleaned with
///   ``ImportText`` (control and bidirectional characters removed, with one warning).
/// - A front matter error names the line of the Markdown file (the front matter starts on line
///   2, after the opening `---`).
enum MarkdownImporter {
  static let cstateSeverity: [String: Int] = ["down": 1, "disrupted": 2, "notice": 3]

  static func parse(_ data: Data, file: String, name sourceName: String, settings: Settings, zone: TimeZone, now: Date)
    -> Result<ImportDraft, ImportProblem>
  {
    func problem(_ field: String?, _ message: String) -> Result<ImportDraft, ImportProblem> {
      .failure(ImportProblem(file: file, field: field, message: message))
    }
    guard var text = String(data: data, encoding: .utf8) else {
      return problem(nil, "not UTF-8 text; save it as UTF-8")
    }
    if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
    if text.utf8.contains(UInt8(ascii: "\r")) { text = text.replacingOccurrences(of: "\r\n", with: "\n") }
    var clean = ImportText(file: file)
    if !ImportText.isClean(text) {
      text = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        .map { clean.text(String($0.element), field: "line \($0.offset + 1)") }.joined(separator: "\n")
    }
    // From here on the text holds no carriage return (the cleaning above turned every one into
    // a line feed), so its lines end at each line feed byte (``lines(of:)``).
    let (frontText, body) = FrontMatter.split(text)
    var front: YAMLMap?
    if let frontText,
      frontText.unicodeScalars.contains(where: { !isFoundationWhitespaceOrNewline($0) })
    {
      do {
        front = try frontMatter(frontText, file: file, clean: &clean)
      } catch {
        return .failure(frontMatterProblem(error, file: file))
      }
    }
    var warnings: [String] = []
    func string(_ key: String) -> String? {
      guard let value = try? front?.string(key) else { return nil }
      let trimmed = value.trimmingWhitespaceAndNewlines
      return trimmed.isEmpty ? nil : trimmed
    }
    func strings(_ key: String) -> [String] {
      if let list = try? front?.strings(key) { return list.filter { !$0.isEmpty } }
      return string(key).map { [$0] } ?? []
    }
    var checker = ImportTime.Checker(file: file, zoneName: settings.timezone)
    func time(_ text: String, field: String) -> Result<Date, ImportProblem> {
      guard let parsed = ImportTime.parse(text, zone: zone) else {
        return .failure(ImportProblem(file: file, field: field, message: "'\(text)' is not a time; expected one such as 2021-06-30T08:32:00Z or 2021-06-30 08:32"))
      }
      if let why = checker.check(parsed, text: text, field: field, warnings: &warnings) {
        return .failure(ImportProblem(file: file, field: field, message: why))
      }
      return .success(parsed.date)
    }

    // Times.
    var startedAt: Date?
    for key in ["start_time", "started_at", "date"] {
      if let value = string(key) {
        switch time(value, field: key) {
        case .failure(let p): return .failure(p)
        case .success(let d): startedAt = d
        }
        break
      } else if front?.node(key) != nil {
        warnings.append("\(file): \(key): empty; looking for the start elsewhere")
      }
    }
    // Timeline rows and cState track entries.
    var notes: [(at: Date, text: String)] = []
    var lineNumber = frontText.map { $0.utf8.count { $0 == UInt8(ascii: "\n") } + 3 } ?? 0
    var previous: Substring = ""
    let bodyLines = lines(of: body)
    for line in bodyLines {
      lineNumber += 1
      let trimmed = line.trimmingScalars(where: isFoundationWhitespace)
      if trimmed.hasPrefix("|") {
        let cells = trimmed.split(separator: "|", omittingEmptySubsequences: false).dropFirst()
          .map { $0.trimmingWhitespace }
        if cells.count >= 2, cells[0].count >= 10, cells[0].first?.isNumber == true,
          let parsed = ImportTime.parse(cells[0], zone: zone)
        {
          if let why = checker.check(parsed, text: cells[0], field: "line \(lineNumber)", warnings: &warnings) {
            return problem("line \(lineNumber)", why)
          }
          let note = cells[1...].filter { !$0.isEmpty }.joined(separator: " | ")
          if !note.isEmpty { notes.append((parsed.date, note)) }
        }
      }
      // The pattern starts with `{{<`: most lines are not looked at by the regular expression.
      if trimmed.utf8.contains(UInt8(ascii: "{")) {
        let trimmed = String(trimmed)
        if trimmed.contains("{{<"), let marker = trimmed.range(of: #"\{\{<\s*track\s+"([^"]+)"\s*>\}\}"#, options: .regularExpression) {
          let inside = trimmed[marker]
          if let q1 = inside.firstIndex(of: "\""), let q2 = inside[inside.index(after: q1)...].firstIndex(of: "\"") {
            let when = String(inside[inside.index(after: q1)..<q2])
            if let parsed = ImportTime.parse(when, zone: zone) {
              if let why = checker.check(parsed, text: when, field: "line \(lineNumber)", warnings: &warnings) {
                return problem("line \(lineNumber)", why)
              }
              var note = trimmed.replacingCharacters(in: marker, with: "").trimmingWhitespace
              if note.isEmpty { note = String(previous) }
              if !note.isEmpty { notes.append((parsed.date, note)) }
            }
          }
        }
      }
      if !trimmed.isEmpty { previous = trimmed }
    }

    // Title.
    let fileName = lastPathComponent(file)
    var title = string("title")
    if title == nil {
      for line in bodyLines where line.hasPrefix("# ") {
        title = line.dropFirst(2).trimmingWhitespace
        break
      }
    }
    if title == nil || title!.isEmpty {
      let paragraph = bodyLines.lazy.map { $0.trimmingScalars(where: isFoundationWhitespace) }
        .first { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("|") && !$0.lowercased().hasPrefix("internal post-mortem") }
      if let paragraph {
        var sentence = paragraph.prefix { $0 != "." && $0 != "!" && $0 != "?" }
        if sentence.count > 100 { sentence = sentence.prefix(99) + "…" }
        let company = string("company")
        title = (company.map { "\($0): " } ?? "") + String(sentence).trimmingWhitespace
      }
    }
    if title == nil || title!.isEmpty { title = (fileName as NSString).deletingPathExtension }
    let finalTitle = clean.line(title!, field: "title")

    let nameDate = fileName.count >= 10
      ? (ImportTime.parse(String(fileName.prefix(10)), zone: zone)?.date).flatMap { ImportTime.implausible($0) == nil ? $0 : nil } : nil
    if startedAt == nil { startedAt = notes.map(\.at).min() }
    if startedAt == nil { startedAt = nameDate }
    var publishedAt: Date?
    if startedAt == nil, let published = string("source_published_at") ?? string("published_at") {
      if case .success(let d) = time(published, field: front?.node("source_published_at") != nil ? "source_published_at" : "published_at") {
        publishedAt = d
        warnings.append("\(file): no start time (start_time, date, a timeline table or a date in the file name); started_at left unset and the incident dated by when its postmortem was published (\(RFC3339.format(d)))")
      }
    }
    guard let started = startedAt ?? publishedAt else {
      return problem("start_time", "no time found: the front matter has no start_time, date or source_published_at, there is no timeline table and no date in the file name; add `start_time: 2021-06-30T08:32:00Z` to the front matter")
    }
    if let nameDate, abs(nameDate.timeIntervalSince(started)) >= 86_400 * 2 {
      warnings.append("\(file): the date in the file name (\(fileName.prefix(10))) disagrees with the start \(RFC3339.format(started)); using the start")
    }
    var resolvedAt: Date?
    for key in ["end_time", "resolvedWhen", "resolved_at"] {
      if let value = string(key) {
        switch time(value, field: key) {
        case .failure(let p): return .failure(p)
        case .success(let d): resolvedAt = d
        }
        break
      }
    }
    if let r = resolvedAt, r < started {
      warnings.append("\(file): end time \(RFC3339.format(r)) is before the start \(RFC3339.format(started)); resolved_at left unset")
      resolvedAt = nil
    }
    for (name, value) in [("start", Optional(started)), ("end", resolvedAt)] {
      if let value, value.timeIntervalSince(now) > Lifecycle.futureTolerance {
        return problem(name == "start" ? "start_time" : "end_time", "\(RFC3339.format(value)) is in the future")
      }
    }
    var status = IncidentStatus.resolved
    if let resolved = string("resolved")?.lowercased(), ["false", "no"].contains(resolved) {
      status = .active
      resolvedAt = nil
      warnings.append("\(file): resolved: false; imported as active")
    }

    // Severity.
    var severity = ImportSeverity.level(2, settings: settings)
    if let given = string("severity") {
      if let level = settings.severity(named: given) {
        severity = level.name
      } else if let position = cstateSeverity[given.lowercased()] {
        severity = ImportSeverity.level(position, settings: settings)
      } else {
        warnings.append("\(file): severity: '\(given)' is neither a defined severity nor down, disrupted or notice; using \(severity)")
      }
    }

    var incident = Incident(id: ImportSeverity.placeholderID, title: finalTitle, kind: .outage, severity: severity, status: status)
    incident.summary = string("summary") ?? summaryParagraph(bodyLines)
    var services = strings("affected").map { clean.line($0, field: "affected") }
    if services.isEmpty { services = strings("product").map { clean.line($0, field: "product") } }
    incident.services = Lifecycle.unique(services.filter { !$0.isEmpty })
    incident.labels = Lifecycle.unique(strings("categories").map { clean.line($0, field: "categories") }.filter { !$0.isEmpty })
    incident.times.startedAt = startedAt
    incident.times.reportedAt = started
    incident.times.resolvedAt = resolvedAt

    var timeline = Timeline()
    var declared = TimelineEvent(at: started, by: "", type: "declared", text: finalTitle)
    declared.to = severity
    timeline.insert(declared)
    for note in notes.sorted(by: { $0.at < $1.at }) {
      timeline.insert(TimelineEvent(at: note.at, by: "", type: "note", text: note.text))
    }
    if let resolvedAt {
      var e = TimelineEvent(at: resolvedAt, by: "", type: "status", text: nil)
      e.from = IncidentStatus.reported.rawValue
      e.to = IncidentStatus.resolved.rawValue
      timeline.insert(e)
    }

    // postmortem.md: status published, the original keys, the original body.
    var pairs: [(String, Node)] = [("status", CanonicalYAML.scalar("published"))]
    if front?.node("title") == nil { pairs.append(("title", CanonicalYAML.scalar(finalTitle))) }
    for pair in front?.unknownPairs(known: ["status"]) ?? [] {
      pairs.append((pair.key, CanonicalYAML.canonical(pair.value)))
    }
    let frontOut = CanonicalYAML.emit(CanonicalYAML.mapping(pairs))
    var bodyOut = body
    while bodyOut.hasPrefix("\n") { bodyOut.removeFirst() }
    let postmortem = "---\n" + frontOut + "---\n\n" + bodyOut + (bodyOut.hasSuffix("\n") ? "" : "\n")

    let sourceID = (string("uuid") ?? string("id")).map { clean.line($0, field: front?.node("uuid") != nil ? "uuid" : "id") }
      .flatMap { $0.isEmpty ? nil : $0 } ?? clean.line(sourceName, field: "file name")
    if let warning = clean.warning { warnings.append(warning) }
    return .success(ImportDraft(
      file: file, source: IncidentSource(system: ImportSystem.markdown.rawValue, id: sourceID),
      date: started, warnings: warnings,
      plan: .snapshot(SnapshotPlan(incident: incident, timeline: timeline, postmortem: Data(postmortem.utf8)))))
  }

  /// A front matter error as a problem at the line of the Markdown file: the reader counts
  /// lines from the front matter's first line, which is line 2 of the file; line numbers in
  /// the message ("first defined at line 3") are moved the same way.
  static func frontMatterProblem(_ error: FormatError, file: String) -> ImportProblem {
    let offset = 1
    var message = error.message
    if let regex = try? NSRegularExpression(pattern: #"\bline (\d+)"#) {
      let ns = message as NSString
      var out = ""
      var last = 0
      for match in regex.matches(in: message, range: NSRange(location: 0, length: ns.length)) {
        out += ns.substring(with: NSRange(location: last, length: match.range.location - last))
        out += "line \((Int(ns.substring(with: match.range(at: 1))) ?? 0) + offset)"
        last = match.range.location + match.range.length
      }
      message = out + ns.substring(from: last)
    }
    var place = "front matter"
    if let line = error.line {
      place += ", line \(line + offset)" + (error.column.map { ", column \($0)" } ?? "")
    }
    let field = error.field.flatMap { $0.isEmpty ? nil : $0 }
    return ImportProblem(file: file, field: field, message: "\(place): \(message)")
  }

  /// The first paragraph under a `## Summary` heading, else the first paragraph of text, in
  /// the body's ``lines(of:)``.
  static func summaryParagraph(_ bodyLines: [Substring]) -> String? {
    let lines = bodyLines.map { $0.trimmingScalars(where: isFoundationWhitespace) }
    // Only a line starting with `#` can be the heading, so only those are lowercased.
    var start =
      lines.firstIndex { $0.utf8.first == UInt8(ascii: "#") && $0.lowercased().hasPrefix("## summary") }
      .map { $0 + 1 } ?? 0
    while start < lines.count, lines[start].isEmpty || lines[start].hasPrefix("#") || lines[start].lowercased().hasPrefix("internal post-mortem") {
      start += 1
    }
    var paragraph: [Substring] = []
    var i = start
    while i < lines.count, !lines[i].isEmpty, !lines[i].hasPrefix("#") {
      paragraph.append(lines[i])
      i += 1
    }
    var text = paragraph.joined(separator: " ")
    // Shortcodes start with `{`: most paragraphs are not looked at by the regular expression.
    if text.utf8.contains(UInt8(ascii: "{")) {
      text = text.replacingOccurrences(of: #"\{\{<[^}]*>\}\}"#, with: "", options: .regularExpression)
    }
    text = text.trimmingWhitespace
    return text.isEmpty ? nil : text
  }

  /// The lines of `text`, which holds no carriage return: the same as
  /// `text.split(separator: "\n", omittingEmptySubsequences: false)`, found on the UTF-8 bytes
  /// instead of by `Character` (a line feed not after a carriage return is a `Character` of
  /// its own, so both split at the same places).
  static func lines(of text: String) -> [Substring] {
    text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
      .map(Substring.init)
  }

  /// The last component of a path, as `NSString.lastPathComponent` gives it, without bridging
  /// for the paths an import reads (no trailing `/`): the text after the last `/`.
  static func lastPathComponent(_ path: String) -> String {
    guard !path.hasSuffix("/") else { return (path as NSString).lastPathComponent }
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
    return String(path[path.utf8.index(after: slash)...])
  }

  /// The front matter as a mapping with every text cleaned by `clean`, or nil when it is an
  /// empty document.
  ///
  /// Read without positions (``YAMLReader/parse(_:file:maxDepth:positions:)``), which is
  /// several times faster; the reader still reports its own errors with their line and column,
  /// and a front matter that is not a mapping is read again with positions for its error.
  static func frontMatter(_ text: String, file: String, clean: inout ImportText)
    throws(FormatError) -> YAMLMap?
  {
    guard let node = try YAMLReader.parse(Data(text.utf8), file: file, positions: false) else {
      return nil
    }
    do {
      let cleaned = ImportText.isClean(node) ? node : clean.yaml(node, field: "")
      return try YAMLMap(cleaned, file: file, path: "")
    } catch {
      guard let node = try YAMLReader.parse(Data(text.utf8), file: file) else { return nil }
      return try YAMLMap(clean.yaml(node, field: ""), file: file, path: "")
    }
  }
}
