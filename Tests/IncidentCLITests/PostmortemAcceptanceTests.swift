import Foundation
import Testing

/// Issue 3's acceptance list (postmortems, action items, playbooks), end to end through the
/// built executable, with git's CLI as the independent witness.
@Suite("Postmortem acceptance")
struct PostmortemAcceptanceTests {
  static let bo = "Bo Chen <bo@example.com>"

  /// A repository with one incident of `severity` taken through its lifecycle to resolved,
  /// with past times: started 10:00, detected 10:05, commander 10:07, note 10:20,
  /// mitigated 10:30, resolved 11:05 (2025-06-01, UTC).
  static func resolvedIncident(_ box: Sandbox, severity: String = "SEV2") throws -> (repo: URL, id: String) {
    let repo = box.path("repo")
    let initRun = try box.incident(["init", "-C", repo.path])
    #expect(initRun.status == 0, "\(initRun.stderr)")
    let declared = try box.incident(
      ["declare", "Checkout returns 500s", "--severity", severity, "--service", "checkout",
       "--started-at", "2025-06-01T10:00:00Z", "--detected-at", "2025-06-01T10:05:00Z"], in: repo)
    #expect(declared.status == 0, "\(declared.stderr)")
    let id = declared.stdout.trimmingCharacters(in: .newlines)
    for step in [
      ["assign", id, "commander", bo, "--at", "2025-06-01T10:07:00Z"],
      ["note", id, "Rolled back deploy 4f2a", "--at", "2025-06-01T10:20:00Z"],
      ["status", id, "mitigated", "--at", "2025-06-01T10:30:00Z", "--note", "Error rate at baseline"],
      ["status", id, "resolved", "--at", "2025-06-01T11:05:00Z"],
    ] {
      let r = try box.incident(step, in: repo)
      #expect(r.status == 0, "\(step): \(r.stderr)")
    }
    return (repo, id)
  }

  /// Runs a command that must add exactly one commit whose trailers include every line of
  /// `trailers`; returns the run.
  @discardableResult
  static func oneCommit(_ box: Sandbox, _ repo: URL, _ args: [String], trailers: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> Sandbox.Run {
    let before = try box.commitCount(in: repo)
    let r = try box.incident(args, in: repo)
    #expect(r.status == 0, "\(args): \(r.stderr)", sourceLocation: sourceLocation)
    #expect(try box.commitCount(in: repo) == before + 1, "\(args) adds one commit", sourceLocation: sourceLocation)
    let actual = try box.git(["log", "-1", "--format=%(trailers:only,unfold)"], in: repo)
      .split(separator: "\n").map(String.init)
    for line in trailers {
      #expect(actual.contains(line), "\(args): trailer \(line) in \(actual)", sourceLocation: sourceLocation)
    }
    return r
  }

  /// Replaces every italic template placeholder line with text of its own, as an author would.
  static func fillSections(_ text: String) -> String {
    text.components(separatedBy: "\n").map { line in
      line.hasPrefix("_") && line.hasSuffix("_") && !line.hasPrefix("_No action items")
        ? "The checkout service returned errors after deploy 4f2a; " + String(line.count) + " words of detail."
        : line
    }.joined(separator: "\n")
  }

  static func postmortemPath(_ repo: URL, _ id: String) -> URL {
    repo.appendingPathComponent("incidents/\(id.split(separator: "-")[1].prefix(4))/\(id)/postmortem.md")
  }

  // MARK: 1

  /// 1. Prefill, failing check on the template, passing check when filled with an owned action
  /// item, approval refused to the author, approval by another then publish, then close;
  /// closing is refused before publish with the reason.
  @Test func postmortemFromDraftToClosed() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Self.resolvedIncident(box)

    let early = try box.incident(["status", id, "closed"], in: repo)
    #expect(early.status == 1)
    #expect(early.stderr.contains("policy requires a published postmortem before closing; it has no postmortem"), "\(early.stderr)")

    try Self.oneCommit(box, repo, ["postmortem", "new", id],
                       trailers: ["Incident: \(id)", "Incident-Change: postmortem", "Incident-Postmortem: draft"])
    let file = Self.postmortemPath(repo, id)
    let draft = try String(contentsOf: file, encoding: .utf8)
    #expect(draft.hasPrefix("---\nstatus: draft\nincident: \(id)\nauthors:\n- Ana Lima <ana@example.com>\nreviewers: []\napprovals: []\nmeeting_date: null\n---\n"))
    #expect(draft.contains("# Postmortem: Checkout returns 500s\n"))
    for row in [
      "| Severity | SEV2 |", "| Services | checkout |", "| Started (UTC) | 2025-06-01T10:00:00Z |",
      "| Detected (UTC) | 2025-06-01T10:05:00Z |", "| Acknowledged (UTC) | 2025-06-01T10:07:00Z |",
      "| Mitigated (UTC) | 2025-06-01T10:30:00Z |", "| Resolved (UTC) | 2025-06-01T11:05:00Z |",
      "| Time to detect | 5m (detected - started) |", "| Time to mitigate | 25m (mitigated - detected) |",
      "| Time to resolve | 1h 00m (resolved - detected) |", "| commander | Bo Chen <bo@example.com> |",
    ] {
      #expect(draft.contains(row), "prefilled: \(row)")
    }
    #expect(!draft.contains("Containment and eradication"), "security sections only for security incidents")
    // Every timeline event is a row of the Timeline table, at its UTC time.
    let show = try #require(try box.json(try box.incident(["show", id, "--json"], in: repo).stdout) as? [String: Any])
    let events = try #require(show["timeline"] as? [[String: Any]])
    #expect(events.count == 5)
    let tableRows = draft.components(separatedBy: "\n").filter { $0.hasPrefix("| 20") }
    #expect(tableRows.count == events.count)
    for event in events {
      let at = try #require(event["at"] as? String)
      #expect(tableRows.contains { $0.hasPrefix("| \(at) |") }, "timeline row at \(at)")
    }
    for text in ["note: Rolled back deploy 4f2a", "status active -> mitigated: Error rate at baseline",
                 "status mitigated -> resolved", "commander: Bo Chen <bo@example.com>",
                 "declared SEV2: Checkout returns 500s"] {
      #expect(tableRows.contains { $0.contains(text) }, "timeline row \(text)")
    }

    let failing = try box.incident(["postmortem", "check", id], in: repo)
    #expect(failing.status == 1)
    for section in ["Summary", "Impact", "Fault/Trigger", "Detection", "Response and recovery",
                    "Root causes and contributing factors", "Lessons learned"] {
      let line = try #require(draft.components(separatedBy: "\n").firstIndex(of: "## \(section)")) + 1
      #expect(failing.stdout.contains("postmortem.md:\(line): error: required section \"\(section)\" is empty"),
              "names \(section) at line \(line): \(failing.stdout)")
    }
    #expect(!failing.stdout.contains("\"Timeline\" is empty"), "the prefilled timeline is not empty")
    #expect(failing.stdout.contains("policy requires action items for SEV2 and there are none"))

    try Self.fillSections(draft).write(to: file, atomically: true, encoding: .utf8)
    try box.git(["commit", "-qam", "Write the postmortem"], in: repo)
    let noActions = try box.incident(["postmortem", "check", id], in: repo)
    #expect(noActions.status == 1)
    #expect(noActions.stdout.contains("1 error"), "\(noActions.stdout)")
    let added = try Self.oneCommit(
      box, repo, ["action", "add", id, "Alert on checkout 5xx rate", "--owner", Self.bo, "--due", "2025-07-01",
                  "--type", "detect", "--priority", "high"],
      trailers: ["Incident-Change: action"])
    #expect(added.stdout.range(of: #"^INC-\d{8}-[0-9A-Z]{4}/A[0-9A-HJKMNP-TV-Z]{4}\n$"#, options: .regularExpression) != nil, "\(added.stdout)")
    let passing = try box.incident(["postmortem", "check", id], in: repo)
    #expect(passing.status == 0, "\(passing.stdout)")
    #expect(passing.stdout.hasSuffix("postmortem check passed (work tree copy): 0 errors, 0 warnings\n"), "\(passing.stdout)")

    let before = try box.commitCount(in: repo)
    let own = try box.incident(["postmortem", "approve", id], in: repo)
    #expect(own.status == 1)
    #expect(own.stderr.contains("Ana Lima <ana@example.com> is an author of the postmortem of \(id) and cannot approve it"), "\(own.stderr)")
    #expect(try box.commitCount(in: repo) == before)

    try Self.oneCommit(box, repo, ["postmortem", "approve", id, "--as", Self.bo, "--note", "Clear and blameless"],
                       trailers: ["Incident-Change: postmortem", "Incident-Postmortem: approved", "Approved-by: \(Self.bo)"])
    #expect(try box.git(["log", "-1", "--format=%an <%ae>"], in: repo) == "\(Self.bo)\n")
    let approved = try String(contentsOf: file, encoding: .utf8)
    #expect(approved.contains("status: approved\n"))
    #expect(approved.range(of: #"approvals:\n- by: Bo Chen <bo@example.com>\n  at: "20\d\d-[^"]+Z"\n  note: Clear and blameless\n"#, options: .regularExpression) != nil, "\(approved)")

    let stillRefused = try box.incident(["status", id, "closed"], in: repo)
    #expect(stillRefused.status == 1)
    #expect(stillRefused.stderr.contains("its postmortem is approved (`git incident postmortem publish \(id)`)"), "\(stillRefused.stderr)")

    try Self.oneCommit(box, repo, ["postmortem", "publish", id],
                       trailers: ["Incident-Change: postmortem", "Incident-Postmortem: published"])
    #expect(try String(contentsOf: file, encoding: .utf8).hasPrefix("---\nstatus: published\n"))

    try Self.oneCommit(box, repo, ["status", id, "closed"], trailers: ["Incident-Status: closed"])
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
    let fsck = try box.run("/usr/bin/git", ["fsck", "--strict"], in: repo, env: [:])
    #expect(fsck.status == 0, "\(fsck.stderr)")
  }

  /// Closing is refused while an open action item has no owner (DESIGN section 2), even with a
  /// published postmortem; giving it an owner lets the incident close.
  @Test func closingNeedsAnOwnerForEveryOpenActionItem() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Self.resolvedIncident(box, severity: "SEV3")
    let ref = try box.incident(["action", "add", id, "Write a rollback runbook"], in: repo)
      .stdout.trimmingCharacters(in: .newlines)
    let refused = try box.incident(["status", id, "closed"], in: repo)
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("cannot close while open action items have no owner: \(ref.split(separator: "/")[1]) \"Write a rollback runbook\""), "\(refused.stderr)")
    try Self.oneCommit(box, repo, ["action", "edit", ref.lowercased(), "--owner", Self.bo],
                       trailers: ["Incident-Change: action", "Incident-Action: \(ref.split(separator: "/")[1])"])
    try Self.oneCommit(box, repo, ["status", id, "closed"], trailers: ["Incident-Status: closed"])
  }

  // MARK: 2

  /// 2. Each blaming sentence is reported with its line; `--strict` exits 1.
  @Test func blamingLanguageIsReportedWithLines() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Self.resolvedIncident(box, severity: "SEV3")
    try Self.oneCommit(box, repo, ["postmortem", "new", id], trailers: ["Incident-Postmortem: draft"])
    let file = Self.postmortemPath(repo, id)
    let blaming = [
      "The outage was caused by human error during the deploy.",
      "Bo should have checked the dashboard before rolling out.",
      "The on-call engineer failed to page the database team.",
      "It was a careless change to the load balancer.",
    ]
    let neutral = [
      "The deploy failed to roll back automatically.",
      "```", "worker: they failed to connect (log line quoted as is)", "```",
    ]
    var text = Self.fillSections(try String(contentsOf: file, encoding: .utf8))
    text = text.replacingOccurrences(of: "## Impact\n", with: "## Impact\n\n" + (blaming + neutral).joined(separator: "\n") + "\n")
    try text.write(to: file, atomically: true, encoding: .utf8)
    let lines = text.components(separatedBy: "\n")

    let report = try box.incident(["postmortem", "check", id], in: repo)
    #expect(report.status == 0, "warnings alone pass: \(report.stdout)")
    let warnings = report.stdout.components(separatedBy: "\n").filter { $0.contains(": warning: blaming language") }
    #expect(warnings.count == blaming.count, "\(report.stdout)")
    for (sentence, phrase) in zip(blaming, ["human error", "should have", "engineer failed to", "careless"]) {
      let line = try #require(lines.firstIndex(of: sentence)) + 1
      #expect(warnings.contains { $0.hasSuffix("postmortem.md:\(line): warning: blaming language: \"\(phrase)\"") },
              "line \(line) reported as \(phrase): \(warnings)")
    }
    #expect(report.stdout.contains("    hint: "), "each warning has a rewording hint")
    #expect(report.stdout.hasSuffix("postmortem check passed (work tree copy): 0 errors, 4 warnings\n"), "\(report.stdout)")

    let strict = try box.incident(["postmortem", "check", id, "--strict"], in: repo)
    #expect(strict.status == 1)
    #expect(strict.stdout.hasSuffix("postmortem check failed (work tree copy): 0 errors, 4 warnings (--strict)\n"), "\(strict.stdout)")

    // The committed copy is still the untouched draft, which fails on its empty sections.
    let committed = try box.incident(["postmortem", "check", id, "--committed"], in: repo)
    #expect(committed.status == 1)
    #expect(committed.stdout.contains("(committed copy)"))
  }

  // MARK: 3

  /// 3. Text edited outside the generated block survives `action done` byte for byte; an
  /// uncommitted edit stops the command.
  @Test func textOutsideTheActionBlockSurvivesActionDone() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Self.resolvedIncident(box)
    try box.incident(["postmortem", "new", id], in: repo)
    let ref = try box.incident(["action", "add", id, "Add a canary stage", "--owner", Self.bo], in: repo)
      .stdout.trimmingCharacters(in: .newlines)
    let file = Self.postmortemPath(repo, id)
    let original = try String(contentsOf: file, encoding: .utf8)
    let begin = "<!-- git-incident:actions:begin -->"
    let end = "<!-- git-incident:actions:end -->"
    let beginRange = try #require(original.range(of: begin))
    let endRange = try #require(original.range(of: end))
    // Hand edits around the block: odd spacing, a CRLF line, non-ASCII text, a tab.
    let head = String(original[..<beginRange.lowerBound])
      .replacingOccurrences(of: "## Summary\n", with: "## Summary\n\nDie Kasse fiel aus — 12 % der Zahlungen.  \r\nTabs\tstay.\n")
      + "Hand-written context before the block.\n\n"
    let tail = "\nHand-written note right after the block, sans newline at end of file."
      + String(original[endRange.upperBound...]).replacingOccurrences(of: "\n", with: "\n\n")
    let edited = head + String(original[beginRange.lowerBound..<endRange.upperBound]) + tail
    try Data(edited.utf8).write(to: file)

    let dirty = try box.incident(["action", "done", ref], in: repo)
    #expect(dirty.status == 1)
    #expect(dirty.stderr.contains("uncommitted changes to incidents/"), "\(dirty.stderr)")

    try box.git(["commit", "-qam", "Edit the postmortem by hand"], in: repo)
    try Self.oneCommit(box, repo, ["action", "done", ref], trailers: ["Incident-Change: action"])
    let after = try Data(contentsOf: file)
    let afterText = String(decoding: after, as: UTF8.self)
    let newBegin = try #require(afterText.range(of: begin))
    let newEnd = try #require(afterText.range(of: end))
    #expect(Data(afterText[..<newBegin.lowerBound].utf8) == Data(head.utf8), "bytes before the block unchanged")
    #expect(Data(afterText[newEnd.upperBound...].utf8) == Data(tail.utf8), "bytes after the block unchanged")
    let block = String(afterText[newBegin.lowerBound..<newEnd.upperBound])
    #expect(block.contains("| \(ref.split(separator: "/")[1]) | Add a canary stage | - | - | Bo Chen <bo@example.com> | - | done 20"), "\(block)")
    let changed = try box.git(["diff", "--name-only", "HEAD~1", "HEAD"], in: repo)
      .split(separator: "\n").map { String($0.split(separator: "/").last!) }
    #expect(changed == ["actions.yaml", "postmortem.md"])
  }

  // MARK: 4

  /// 4. Every postmortem and action command adds exactly one commit with
  /// `Incident-Change: postmortem` or `action` and its specific trailers.
  @Test func everyCommandIsOneCommitWithItsTrailers() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Self.resolvedIncident(box)
    let pm = "Incident-Change: postmortem"
    try Self.oneCommit(box, repo, ["postmortem", "new", id], trailers: ["Incident: \(id)", pm, "Incident-Postmortem: draft"])
    let ref = try Self.oneCommit(box, repo, ["action", "add", id, "Rate-limit retries", "--owner", Self.bo, "--due", "2025-07-01"],
                                 trailers: ["Incident: \(id)", "Incident-Change: action"]).stdout.trimmingCharacters(in: .newlines)
    let actionID = String(ref.split(separator: "/")[1])
    let trailer = "Incident-Action: \(actionID)"
    #expect(try box.git(["log", "-1", "--format=%s"], in: repo) == "\(id): action \(actionID) added: Rate-limit retries\n")
    try Self.oneCommit(box, repo, ["action", "edit", ref, "--priority", "high", "--type", "prevent", "--due", ""],
                       trailers: ["Incident-Change: action", trailer])
    #expect(try box.git(["log", "-1", "--format=%s"], in: repo) == "\(id): action \(actionID) edited (due, type, priority): Rate-limit retries\n")
    try Self.oneCommit(box, repo, ["action", "done", actionID.lowercased()], trailers: ["Incident-Change: action", trailer])
    try Self.oneCommit(box, repo, ["action", "reopen", ref], trailers: ["Incident-Change: action", trailer])
    try Self.oneCommit(box, repo, ["postmortem", "request-review", id, "--reviewer", Self.bo, "Cy Diaz <cy@example.com>"],
                       trailers: [pm, "Incident-Postmortem: in-review", "Incident-Reviewer: \(Self.bo)", "Incident-Reviewer: Cy Diaz <cy@example.com>"])
    let file = Self.postmortemPath(repo, id)
    try Self.fillSections(try String(contentsOf: file, encoding: .utf8)).write(to: file, atomically: true, encoding: .utf8)
    try box.git(["commit", "-qam", "Fill in the postmortem"], in: repo)
    try Self.oneCommit(box, repo, ["postmortem", "approve", id, "--as", "Cy Diaz <cy@example.com>"],
                       trailers: [pm, "Incident-Postmortem: approved", "Approved-by: Cy Diaz <cy@example.com>"])
    try Self.oneCommit(box, repo, ["postmortem", "publish", id], trailers: [pm, "Incident-Postmortem: published"])

    let actions = try String(contentsOf: file.deletingLastPathComponent().appendingPathComponent("actions.yaml"), encoding: .utf8)
    #expect(actions.hasPrefix("actions:\n- id: \(actionID)\n  title: Rate-limit retries\n  type: prevent\n  priority: high\n  status: open\n  owner: Bo Chen <bo@example.com>\n  created_at: \""), "\(actions)")
    #expect(!actions.contains("done_at"), "reopen clears done_at")
    let show = try #require(try box.json(try box.incident(["show", id, "--json"], in: repo).stdout) as? [String: Any])
    #expect(show["postmortem_status"] as? String == "published")
    let items = try #require(show["actions"] as? [[String: Any]])
    #expect(items.count == 1)
    #expect(Set(items[0].keys) == ["id", "title", "type", "priority", "status", "owner", "due", "link", "created_at", "created_by", "done_at", "done_by"])
    #expect(items[0]["due"] is NSNull)
    #expect(items[0]["priority"] as? String == "high")
    #expect(show["tasks"] as? [Any] != nil)

    // Refusals write nothing.
    let before = try box.commitCount(in: repo)
    for (args, message) in [
      (["action", "reopen", ref], "already open"),
      (["action", "add", id, "Late", "--due", "2025-02-30"], "is not a date"),
      (["action", "done", "\(id)/AZZZZ"], "has no action item AZZZZ; its items are \(actionID)"),
      (["postmortem", "publish", id], "already published"),
      (["postmortem", "new", id], "already has a postmortem"),
    ] {
      let r = try box.incident(args, in: repo)
      #expect(r.status == 1, "\(args): \(r.stderr)")
      #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
    }
    #expect(try box.commitCount(in: repo) == before)
  }

  // MARK: 5

  /// 5. `actions --overdue` lists exactly the open items due before today (UTC), sorted by due
  /// date; the dates are computed from today.
  @Test func overdueListsExactlyTheOverdueItems() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let a = try box.incident(["declare", "Search is slow", "--severity", "SEV3"], in: repo).stdout.trimmingCharacters(in: .newlines)
    let b = try box.incident(["declare", "Login fails", "--severity", "SEV2"], in: repo).stdout.trimmingCharacters(in: .newlines)
    func day(_ offset: Int) -> String {
      var calendar = Calendar(identifier: .gregorian)
      calendar.timeZone = TimeZone(identifier: "UTC")!
      let date = calendar.date(byAdding: .day, value: offset, to: Date())!
      let c = calendar.dateComponents([.year, .month, .day], from: date)
      return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
    func add(_ id: String, _ title: String, due: String?, owner: String = "Ana Lima <ana@example.com>") throws -> String {
      var args = ["action", "add", id, title, "--owner", owner]
      if let due { args += ["--due", due] }
      let r = try box.incident(args, in: repo)
      #expect(r.status == 0, "\(r.stderr)")
      return r.stdout.trimmingCharacters(in: .newlines)
    }
    let longAgo = try add(b, "Add an index", due: day(-30))
    let yesterday = try add(a, "Cache results", due: day(-1), owner: Self.bo)
    _ = try add(a, "Due today", due: day(0))
    _ = try add(b, "Due tomorrow", due: day(1))
    _ = try add(b, "No due date", due: nil)
    let doneLate = try add(a, "Done already", due: day(-3))
    #expect(try box.incident(["action", "done", doneLate], in: repo).status == 0)

    let overdue = try box.incident(["actions", "--overdue", "--json"], in: repo)
    #expect(overdue.status == 0, "\(overdue.stderr)")
    let rows = try #require(try box.json(overdue.stdout) as? [[String: Any]])
    #expect(rows.compactMap { $0["reference"] as? String } == [longAgo, yesterday])
    #expect(rows.allSatisfy { $0["overdue"] as? Bool == true })
    #expect(rows.first?["incident_title"] as? String == "Login fails")

    let text = try box.incident(["actions", "--overdue"], in: repo).stdout.components(separatedBy: "\n")
    #expect(text.count == 4, "header, two rows, final newline: \(text)")
    #expect(text[1].hasPrefix(longAgo) && text[1].contains("\(day(-30)) (overdue)"))

    let all = try #require(try box.json(try box.incident(["actions", "--json"], in: repo).stdout) as? [[String: Any]])
    #expect(all.compactMap { $0["due"] as? String } == [day(-30), day(-3), day(-1), day(0), day(1)], "sorted by due date")
    #expect(all.count == 6, "the item without a due date comes last")
    #expect(all.last?["title"] as? String == "No due date")
    let open = try #require(try box.json(try box.incident(["actions", "--open", "--json"], in: repo).stdout) as? [Any])
    #expect(open.count == 5)
    let bos = try #require(try box.json(try box.incident(["actions", "--owner", "bo@example.com", "--json"], in: repo).stdout) as? [[String: Any]])
    #expect(bos.compactMap { $0["reference"] as? String } == [yesterday])
  }

  // MARK: Playbooks

  /// `init` writes the template and two playbooks; `declare --playbook` copies the checklist
  /// as tasks, `task done` completes one (`Incident-Change: edit`), an unknown playbook is an
  /// error that lists the existing ones.
  @Test func playbookChecklistBecomesTasks() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    #expect(try box.git(["ls-files"], in: repo) == ".gitattributes\ngit-incident.yaml\nplaybooks/data-breach.md\nplaybooks/service-outage.md\ntemplates/postmortem.md\n")
    #expect(try box.commitCount(in: repo) == 1)
    let breach = try String(contentsOf: repo.appendingPathComponent("playbooks/data-breach.md"), encoding: .utf8)
    for step in ["Preserve evidence", "Contain", "Eradicate", "Recover", "Notify"] {
      #expect(breach.contains("- [ ] \(step)"), "data-breach playbook has \(step)")
    }

    let unknown = try box.incident(["declare", "Odd logins", "--severity", "SEV2", "--playbook", "phishing"], in: repo)
    #expect(unknown.status == 1)
    #expect(unknown.stderr.contains("unknown playbook 'phishing'; playbooks in this repository: data-breach, service-outage"), "\(unknown.stderr)")
    #expect(try box.commitCount(in: repo) == 1)

    let declared = try box.incident(["declare", "Odd logins", "--severity", "SEV1", "--kind", "security", "--playbook", "data-breach"], in: repo)
    #expect(declared.status == 0, "\(declared.stderr)")
    let id = declared.stdout.trimmingCharacters(in: .newlines)
    #expect(try box.git(["log", "-1", "--format=%(trailers:key=Incident-Playbook,valueonly)"], in: repo) == "data-breach\n\n")
    try Self.oneCommit(box, repo, ["task", "done", "\(id.suffix(4).lowercased())/t2"],
                       trailers: ["Incident: \(id)", "Incident-Change: edit", "Incident-Task: T2"])
    let show = try #require(try box.json(try box.incident(["show", id, "--json"], in: repo).stdout) as? [String: Any])
    #expect(show["playbook"] as? String == "data-breach")
    let tasks = try #require(show["tasks"] as? [[String: Any]])
    #expect(tasks.count == 10)
    #expect(tasks.map { $0["id"] as? String } == (1...10).map { "T\($0)" })
    #expect(tasks[1]["status"] as? String == "done")
    #expect(tasks[1]["done_by"] as? String == "Ana Lima <ana@example.com>")
    #expect(tasks[0]["done_at"] is NSNull)
    #expect((tasks[1]["title"] as? String)?.hasPrefix("Preserve evidence") == true)
    let text = try box.incident(["show", id], in: repo).stdout
    #expect(text.contains("Tasks (playbook data-breach):\n  [ ] T1  Assign an Incident Commander"), "\(text)")
    #expect(text.contains("  [x] T2  Preserve evidence"))
    let due = try box.incident(["due"], in: repo)
    #expect(due.status == 0 && due.stdout == "no stakeholder updates due\n", "a SEV1 declared seconds ago is not due yet")
    let again = try box.incident(["task", "done", "\(id)/T2"], in: repo)
    #expect(again.status == 1 && again.stderr.contains("already done"))

    // A security postmortem has the security sections and requires them.
    let pm = try box.incident(["postmortem", "new", id, "--force"], in: repo)
    #expect(pm.status == 0, "\(pm.stderr)")
    let check = try box.incident(["postmortem", "check", id], in: repo).stdout
    for section in ["Containment and eradication", "Indicators of compromise", "Data and people affected"] {
      #expect(check.contains("error: required section \"\(section)\" is empty"), "\(section): \(check)")
    }
  }
}
