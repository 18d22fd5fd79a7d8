import Foundation

/// The postmortem template (`templates/postmortem.md`) and how `postmortem new` fills it.
///
/// The default template merges the Google SRE book's example postmortem (appendix D), the
/// PagerDuty postmortem template and Atlassian's incident postmortem template; security
/// incidents get three more sections after NIST SP 800-61r2 section 3.4 (lessons learned,
/// evidence) and section 3.3 (containment, eradication).
///
/// A template is Markdown with YAML front matter. `postmortem new` fills it:
/// - the front matter gets `status: draft`, `incident`, `authors` (the person running the
///   command) and keeps every other key the template has;
/// - `{{id}}`, `{{title}}`, `{{severity}}`, `{{kind}}` become the record's values; `{{facts}}`
///   a table of severity, services, times (UTC) and durations; `{{responders}}` a table of roles;
///   `{{timeline}}` the timeline as a table in UTC; `{{actions}}` the generated action block;
/// - text between `<!-- git-incident:if-security -->` and `<!-- git-incident:end-if -->` is kept
///   (without the marker lines) for security incidents and dropped for outages.
///
/// Lines of the template's sections that are not headings, blank, comments or tokens are
/// placeholder text: `postmortem check` reports a required section still holding one.
public enum PostmortemTemplate {
  /// The template's path in the repository.
  public static let path = "templates/postmortem.md"

  /// Sections every postmortem must fill before it is published, unless `git-incident.yaml`
  /// sets `policy.required_postmortem_sections`.
  public static let requiredSections = [
    "Summary", "Impact", "Fault/Trigger", "Detection", "Response and recovery", "Timeline",
    "Root causes and contributing factors", "Action items", "Lessons learned",
  ]

  /// Sections security incidents must fill besides the required ones (NIST SP 800-61r2 3.3, 3.4).
  public static let securitySections = [
    "Containment and eradication", "Indicators of compromise", "Data and people affected",
  ]

  static let securityBegin = "<!-- git-incident:if-security -->"
  static let securityEnd = "<!-- git-incident:end-if -->"

  /// The default `templates/postmortem.md` that `init` writes.
  public static let defaultText = """
    ---
    status: draft
    incident: null
    authors: []
    reviewers: []
    approvals: []
    meeting_date: null
    ---
    # Postmortem: {{title}}

    <!-- Blameless: describe what happened and which conditions allowed it, not who is at fault.
    Replace each italic line with your text. `git incident postmortem check {{id}}` lists what is
    still missing; the Action items list is generated from actions.yaml. -->

    {{facts}}

    {{responders}}

    ## Summary

    _What happened, who was affected, for how long, and how it ended, in two or three sentences._

    ## Impact

    _Who and what was affected, how many users, requests, orders or records, and for how long; any money, data or trust lost._

    ## Leadup

    _The changes and circumstances that led up to the incident._

    ## Fault/Trigger

    _What failed and what set it off (a deploy, a config change, a traffic spike, an expired certificate)._

    ## Detection

    _How and when it was detected (an alert, a customer, an employee), and how detection could be faster._

    ## Response and recovery

    _Who responded and what they did to mitigate and recover; what slowed the response down._

    <!-- git-incident:if-security -->
    ## Containment and eradication

    _How the threat was contained (isolated hosts, revoked credentials, blocked addresses) and removed; what evidence was preserved and where._

    ## Indicators of compromise

    _Addresses, domains, file hashes, accounts and log patterns that identify this activity._

    ## Data and people affected

    _What data was accessed or taken, whose it was, and who was notified (customers, regulators, law enforcement) and when._

    <!-- git-incident:end-if -->
    ## Timeline

    All times UTC.

    {{timeline}}

    ## Root causes and contributing factors

    _The conditions that made this possible: technical causes, missing safeguards, and process or organisational factors. Ask "why" until you reach something you can change._

    ## What went well

    _What helped: tools, alerts, runbooks, people's actions._

    ## What went wrong

    _What made it worse or slower._

    ## Where we got lucky

    _What limited the damage only by chance._

    ## Action items

    {{actions}}

    ## Lessons learned

    _What the team now knows that it did not know before._

    ## Supporting information

    _Links to dashboards, graphs, logs, tickets and chat transcripts._

    """

  /// The placeholder lines of a template's sections (trimmed), by section.
  public static func placeholders(in template: String) -> [String: Set<String>] {
    var out: [String: Set<String>] = [:]
    let doc = PostmortemDocument(template)
    for section in doc.sections {
      var set = Set<String>()
      for entry in section.lines {
        let t = entry.text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || t.hasPrefix("<!--") || t.hasPrefix("-->") || t.contains("{{") || t.hasPrefix("#") { continue }
        if t == "All times UTC." { continue }
        set.insert(t)
      }
      out[PostmortemDocument.normalized(section.name)] = set
    }
    return out
  }

  /// The sections `postmortem check` requires for `incident`: the policy's list, plus the
  /// security sections for security incidents.
  public static func required(for incident: Incident, settings: Settings) -> [String] {
    var names = settings.requiredPostmortemSections
    if incident.kind == .security {
      names += securitySections.filter { s in !names.contains { PostmortemDocument.sameSection($0, s) } }
    }
    return names
  }

  /// Fills `template` for `record` (see the type's description).
  ///
  /// - Parameters:
  ///   - template: the template's text.
  ///   - record: the incident.
  ///   - author: who runs `postmortem new` (`Name <email>`); becomes the first author.
  ///   - file: the template's path, for errors.
  /// - Returns: the text of `postmortem.md`.
  /// - Throws: ``FormatError`` when the template's front matter is invalid YAML.
  public static func instantiate(_ template: String, record: IncidentRecord, author: String, file: String = path)
    throws(FormatError) -> String
  {
    let doc = PostmortemDocument(template)
    var fm: PostmortemFrontMatter
    if let text = doc.frontMatterText {
      // The template's status etc. are replaced; its other keys are kept.
      var lenient = text
      if !text.contains("status:") { lenient = "status: draft\n" + text }
      fm = try PostmortemFrontMatter.decode(lenient, file: file, lineOffset: 1)
    } else {
      fm = PostmortemFrontMatter()
    }
    let incident = record.incident
    fm.status = .draft
    fm.incident = incident.id.rawValue
    fm.authors = [author]
    fm.reviewers = []
    fm.approvals = []
    var body = keepSecuritySections(doc.body, security: incident.kind == .security)
    let values: [(String, String)] = [
      ("{{id}}", incident.id.rawValue), ("{{title}}", incident.title),
      ("{{severity}}", incident.severity), ("{{kind}}", incident.kind.rawValue),
      ("{{facts}}", facts(incident)), ("{{responders}}", responders(incident)),
      ("{{timeline}}", timeline(record.timeline)), ("{{actions}}", ActionBlock.render(record.actions.items)),
    ]
    for (token, value) in values { body = body.replacingOccurrences(of: token, with: value) }
    return PostmortemDocument.compose(fm, body: body)
  }

  static func keepSecuritySections(_ body: String, security: Bool) -> String {
    var out: [Substring] = []
    var inside = false
    for line in PostmortemDocument.rawLines(body) {
      let t = line.trimmingCharacters(in: .whitespacesAndNewlines)
      if t == securityBegin { inside = true; continue }
      if t == securityEnd { inside = false; continue }
      if inside && !security { continue }
      out.append(line)
    }
    return out.joined()
  }

  /// `1h 05m`, `12m 30s`, `45s`: a duration in seconds for people.
  public static func duration(_ seconds: TimeInterval) -> String {
    let s = Int(seconds.rounded())
    if s < 0 { return "-" + duration(TimeInterval(-s)) }
    let d = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60, r = s % 60
    if d > 0 { return "\(d)d \(h)h \(String(format: "%02d", m))m" }
    if h > 0 { return "\(h)h \(String(format: "%02d", m))m" }
    if m > 0 { return r == 0 ? "\(m)m" : "\(m)m \(String(format: "%02d", r))s" }
    return "\(r)s"
  }

  static func facts(_ i: Incident) -> String {
    var rows: [(String, String)] = [
      ("Incident", i.id.rawValue), ("Severity", i.severity), ("Kind", i.kind.rawValue),
      ("Status", i.status.rawValue),
    ]
    if !i.services.isEmpty { rows.append(("Services", i.services.joined(separator: ", "))) }
    let times: [(String, Date?)] = [
      ("Started", i.times.startedAt), ("Detected", i.times.detectedAt),
      ("Acknowledged", i.times.acknowledgedAt), ("Mitigated", i.times.mitigatedAt),
      ("Contained", i.times.containedAt), ("Eradicated", i.times.eradicatedAt),
      ("Resolved", i.times.resolvedAt),
    ]
    for (name, date) in times { if let date { rows.append((name + " (UTC)", RFC3339.format(date))) } }
    // Formulas as DESIGN section 6 names them.
    let spans: [(String, Date?, Date?, String)] = [
      ("Time to detect", i.times.startedAt, i.times.detectedAt, "detected - started"),
      ("Time to mitigate", i.times.detectedAt, i.times.mitigatedAt ?? i.times.containedAt,
       i.kind == .security ? "contained - detected" : "mitigated - detected"),
      ("Time to resolve", i.times.detectedAt, i.times.resolvedAt, "resolved - detected"),
    ]
    for (name, from, to, formula) in spans {
      if let from, let to { rows.append((name, "\(duration(to.timeIntervalSince(from))) (\(formula))")) }
    }
    return "| | |\n|---|---|\n" + rows.map { "| \($0.0) | \(ActionBlock.cell($0.1)) |" }.joined(separator: "\n")
  }

  static func responders(_ i: Incident) -> String {
    guard !i.roles.isEmpty else { return "_No roles were assigned._" }
    return "| Role | Person |\n|---|---|\n"
      + i.roles.map { "| \($0.role) | \(ActionBlock.cell($0.person)) |" }.joined(separator: "\n")
  }

  static func timeline(_ t: Timeline) -> String {
    guard !t.events.isEmpty else { return "_No timeline events._" }
    var lines = ["| Time (UTC) | Who | Event |", "|---|---|---|"]
    for e in t.events {
      lines.append("| \(RFC3339.format(e.at)) | \(ActionBlock.cell(e.by)) | \(ActionBlock.cell(describe(e))) |")
    }
    return lines.joined(separator: "\n")
  }

  /// One line for a timeline event, as `show` describes it.
  static func describe(_ e: TimelineEvent) -> String {
    switch e.type {
    case "declared": return "declared \(e.to ?? ""): \(e.text ?? "")"
    case "status":
      return "status \(e.from ?? "?") -> \(e.to ?? "?")" + (e.reason.map { " (\($0))" } ?? "") + (e.text.map { ": \($0)" } ?? "")
    case "severity": return "severity \(e.from ?? "?") -> \(e.to ?? "?")" + (e.text.map { ": \($0)" } ?? "")
    case "role": return e.from.map { "\(e.role ?? "role") \($0) -> \(e.to ?? "")" } ?? "\(e.role ?? "role"): \(e.to ?? "")"
    case "update": return "\(e.audience ?? "internal") update: \(e.text ?? "")"
    case "note": return "note: \(e.text ?? "")"
    default: return "\(e.type): " + (e.text ?? e.to ?? "")
    }
  }
}
