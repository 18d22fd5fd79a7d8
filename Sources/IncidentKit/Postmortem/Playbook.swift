import Foundation

/// Preparation (NIST SP 800-61r2 section 3.1): `playbooks/<name>.md`, Markdown with a `- [ ]`
/// checklist that `declare --playbook <name>` copies into the incident as tasks.
public enum Playbook {
  /// The folder playbooks live in.
  public static let folder = "playbooks"

  /// The playbook's path: `playbooks/<name>.md`.
  public static func path(_ name: String) -> String { "\(folder)/\(name).md" }

  /// True for a usable name: 1-64 lower-case letters, digits and `-`, starting with a letter or
  /// digit (checked before it becomes a path).
  public static func isValidName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard (1...64).contains(bytes.count), bytes[0] != 45 else { return false }
    return bytes.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
  }

  /// The checklist items of a playbook, in order, as tasks `T1`, `T2`, ...: every line that is
  /// a Markdown task list item (`- [ ] text`, `* [ ] text`, `+ [ ] text`, checked or not, at any
  /// indentation), outside fenced code blocks. Line breaks inside an item are not followed.
  ///
  /// - Parameter file: the playbook's path, for errors.
  /// - Throws: ``FormatError`` at the line and column (Unicode scalars) of a control character
  ///   (a tab, an escape) or a bidirectional override in an item's text: a task title is one
  ///   line of plain text, the rule the command line applies (``Lifecycle``).
  public static func tasks(in text: String, file: String) throws(FormatError) -> [PlaybookTask] {
    var out: [PlaybookTask] = []
    let lines = PostmortemDocument.lines(text)
    let code = PostmortemDocument.fencedLines(lines)
    for (n, line) in lines.enumerated() where !code[n] {
      let t = line.trimmingCharacters(in: .whitespaces)
      guard t.count > 6, let bullet = t.first, "-*+".contains(bullet) else { continue }
      let rest = t.dropFirst().drop { $0 == " " }
      let box = rest.prefix(3)
      guard box == "[ ]" || box == "[x]" || box == "[X]" else { continue }
      let title = rest.dropFirst(3).trimmingCharacters(in: .whitespaces)
      guard !title.isEmpty else { continue }
      if let bad = Lifecycle.forbiddenScalar(in: title, allowed: []) {
        let scalars = Array(line.unicodeScalars)
        let column = (scalars.firstIndex { String(format: "U+%04X", $0.value) == bad } ?? 0) + 1
        throw FormatError(file: file, line: n + 1, column: column,
                          message: "the checklist item contains the control character \(bad); checklist items become one-line task titles, remove it")
      }
      out.append(PlaybookTask(id: "T\(out.count + 1)", title: title))
    }
    return out
  }

  /// The example playbooks `init` writes, by name.
  public static let examples: [(name: String, text: String)] = [
    ("service-outage", serviceOutage), ("data-breach", dataBreach),
  ]

  static let serviceOutage = """
    # Playbook: service outage

    For a service that is down or badly degraded. Declare with
    `git incident declare "..." --severity SEV2 --playbook service-outage`; each checked step is
    `git incident task done <ID>/T<n>`. Roles follow the Google SRE book's incident management
    chapter: one Incident Commander, one person on communications, one on operations.

    - [ ] Assign an Incident Commander (`git incident assign <ID> commander "Name <email>"`)
    - [ ] Confirm the impact: which service, which customers, since when; set the severity
    - [ ] Open the incident channel and a bridge; name a scribe
    - [ ] Post the first stakeholder update (`git incident update <ID> "..."`)
    - [ ] Check recent deploys, config and feature flag changes; roll back the most likely one
    - [ ] Mitigate: shift traffic, scale out, fail over, or shed load
    - [ ] Record mitigation (`git incident status <ID> mitigated`)
    - [ ] Confirm recovery on dashboards and with a customer-facing check
    - [ ] Post the all-clear update; resolve (`git incident status <ID> resolved`)
    - [ ] Start the postmortem (`git incident postmortem new <ID>`) and schedule the review meeting
    """

  static let dataBreach = """
    # Playbook: suspected data breach

    For suspected unauthorised access to systems or data. The steps follow NIST SP 800-61r2
    (Computer Security Incident Handling Guide), sections 3.2 to 3.4: preserve evidence, contain,
    eradicate, recover, notify. Declare with
    `git incident declare "..." --kind security --severity SEV1 --playbook data-breach`.

    - [ ] Assign an Incident Commander and a security lead; limit the incident's audience
    - [ ] Preserve evidence: snapshot affected disks and memory, export logs, record hashes and who holds each copy (chain of custody)
    - [ ] Scope: which systems, accounts and data are involved; since when
    - [ ] Contain: isolate affected hosts, revoke exposed credentials and tokens, block attacker addresses
    - [ ] Record containment (`git incident status <ID> contained`)
    - [ ] Eradicate: remove malware and attacker access, patch the exploited weakness
    - [ ] Record eradication (`git incident status <ID> eradicated`)
    - [ ] Recover: restore from clean backups, rotate secrets, watch for the attacker's return
    - [ ] Notify: legal and privacy teams; regulators and affected people within the deadlines that apply (GDPR: 72 hours to the authority)
    - [ ] Resolve (`git incident status <ID> resolved`) and start the postmortem (`git incident postmortem new <ID>`)
    """
}
