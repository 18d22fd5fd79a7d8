import Foundation
import Testing

/// Issue 5's `audit` acceptance (1 and 5) and its other rules, end to end through the built
/// executable, with git's CLI making the hand edits and naming the commits.
@Suite("Audit")
struct AuditTests {
  /// A repository with one incident taken from declared to resolved by the tool.
  static func lifecycle(_ box: Sandbox, severity: String = "SEV3") throws -> (repo: URL, id: String, file: String) {
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let id = try box.incident(["declare", "Checkout returns 500s", "--severity", severity], in: repo)
      .stdout.trimmingCharacters(in: .newlines)
    for step in [
      ["assign", id, "commander", "Bo Chen <bo@example.com>"], ["note", id, "Rolled back 4f2a"],
      ["status", id, "mitigated"], ["status", id, "resolved"],
    ] {
      let r = try box.incident(step, in: repo)
      #expect(r.status == 0, "\(step): \(r.stderr)")
    }
    let file = "incidents/\(id.dropFirst(4).prefix(4))/\(id)/incident.yaml"
    #expect(FileManager.default.fileExists(atPath: repo.appendingPathComponent(file).path))
    return (repo, id, file)
  }

  /// Replaces `old` with `new` in a file of the work tree and commits it with plain git.
  static func handEdit(_ box: Sandbox, _ repo: URL, _ file: String, _ old: String, _ new: String, message: String) throws -> String {
    let url = repo.appendingPathComponent(file)
    let text = try String(contentsOf: url, encoding: .utf8)
    #expect(text.contains(old), "\(file) contains \(old)")
    try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
    try box.git(["commit", "-q", "-a", "-m", message], in: repo)
    return try box.git(["rev-parse", "HEAD"], in: repo).trimmingCharacters(in: .newlines)
  }

  static func lineNumber(of prefix: String, in file: URL) throws -> Int {
    let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    return try #require(lines.firstIndex { $0.hasPrefix(prefix) }) + 1
  }

  /// Acceptance 1: a hand edit setting an illegal status fails the audit naming exactly that
  /// commit, file and rule; `git revert` of it makes the audit pass again.
  @Test func illegalHandEditFailsAndRevertPasses() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, _, file) = try Self.lifecycle(box)
    let clean = try box.incident(["audit", "--json"], in: repo)
    #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
    let cleanReport = try #require(try box.json(clean.stdout) as? [String: Any])
    #expect(cleanReport["passed"] as? Bool == true)
    #expect(cleanReport["commits_audited"] as? Int == 6)
    #expect((cleanReport["hand_edits"] as? [Any])?.isEmpty == true)

    let bad = try Self.handEdit(box, repo, file, "status: resolved", "status: mitigated", message: "Set status back by hand")
    let line = try Self.lineNumber(of: "status:", in: repo.appendingPathComponent(file))
    let text = try box.incident(["audit"], in: repo)
    #expect(text.status == 1)
    #expect(text.stderr.contains("audit failed: 1 violation"), "\(text.stderr)")
    #expect(text.stdout.contains("  \(bad.prefix(12))  \(file):\(line)  status-transition: status resolved -> mitigated is not a legal move"), "\(text.stdout)")
    #expect(text.stdout.contains("hand edits (no trailers"))
    let json = try box.incident(["audit", "--json"], in: repo)
    #expect(json.status == 1)
    let report = try #require(try box.json(json.stdout) as? [String: Any])
    let violations = try #require(report["violations"] as? [[String: Any]])
    #expect(violations.count == 1)
    #expect(violations.first?["commit"] as? String == bad)
    #expect(violations.first?["file"] as? String == file)
    #expect(violations.first?["line"] as? Int == line)
    #expect(violations.first?["rule"] as? String == "status-transition")
    let handEdits = try #require(report["hand_edits"] as? [[String: Any]])
    #expect(handEdits.map { $0["commit"] as? String } == [bad])
    #expect(handEdits.first?["files"] as? [String] == [file])

    try box.git(["revert", "--no-edit", "HEAD"], in: repo)
    let revert = try box.git(["rev-parse", "HEAD"], in: repo).trimmingCharacters(in: .newlines)
    let after = try box.incident(["audit", "--json"], in: repo)
    #expect(after.status == 0, "\(after.stdout)")
    let passed = try #require(try box.json(after.stdout) as? [String: Any])
    #expect(passed["passed"] as? Bool == true)
    #expect((passed["violations"] as? [Any])?.isEmpty == true)
    let reverted = try #require(passed["reverted"] as? [[String: Any]])
    #expect(reverted.count == 1)
    #expect(reverted.first?["commit"] as? String == bad)
    #expect(reverted.first?["reverted_by"] as? String == revert)
    #expect((passed["hand_edits"] as? [[String: Any]])?.map { $0["commit"] as? String } == [bad, revert])
    #expect(try box.incident(["audit"], in: repo).stdout.contains("reverted by \(revert.prefix(12))"))
  }

  /// Acceptance 5: `--since X` where X was removed by a force-rewrite exits 1 with that reason;
  /// an ancestor audits only the commits after it; a name that is no commit is refused.
  @Test func sinceRewrittenHistoryFails() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id, _) = try Self.lifecycle(box)
    let ancestor = try box.git(["rev-parse", "HEAD~2"], in: repo).trimmingCharacters(in: .newlines)
    let partial = try box.incident(["audit", "--since", ancestor, "--json"], in: repo)
    #expect(partial.status == 0, "\(partial.stderr)")
    let report = try #require(try box.json(partial.stdout) as? [String: Any])
    #expect(report["commits_audited"] as? Int == 2)
    #expect(report["since"] as? String == ancestor)

    let removed = try box.git(["rev-parse", "HEAD~1"], in: repo).trimmingCharacters(in: .newlines)
    try box.git(["reset", "-q", "--hard", "HEAD~3"], in: repo)
    #expect(try box.incident(["note", id, "After the rewrite"], in: repo).status == 0)
    let r = try box.incident(["audit", "--since", removed], in: repo)
    #expect(r.status == 1)
    #expect(r.stderr.contains("--since \(removed) (\(removed.prefix(12))) is not an ancestor of HEAD"), "\(r.stderr)")
    #expect(r.stderr.contains("the history was rewritten"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    let unknown = try box.incident(["audit", "--since", "no-such-branch"], in: repo)
    #expect(unknown.status == 1)
    #expect(unknown.stderr.contains("--since no-such-branch does not name a commit"), "\(unknown.stderr)")
  }

  /// Trailers that disagree with the records, an unparseable file, an undefined severity and an
  /// out-of-order time each name their rule, file and line.
  @Test func trailerAndValidityRules() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id, file) = try Self.lifecycle(box)
    let url = repo.appendingPathComponent(file)
    // A commit that claims a status change it did not make.
    let text = try String(contentsOf: url, encoding: .utf8)
    try text.replacingOccurrences(of: "title: Checkout returns 500s", with: "title: Checkout returns 502s")
      .write(to: url, atomically: true, encoding: .utf8)
    try box.git(["commit", "-q", "-a", "-m", "\(id): status resolved -> review", "-m",
                 "Incident: \(id)\nIncident-Change: status\nIncident-Status: review"], in: repo)
    let lying = try box.git(["rev-parse", "HEAD"], in: repo).trimmingCharacters(in: .newlines)
    // Hand edits: an undefined severity, then a time out of order, then broken YAML.
    let sev = try Self.handEdit(box, repo, file, "severity: SEV3", "severity: P1", message: "severity by hand")
    let sevLine = try Self.lineNumber(of: "severity:", in: url)
    let resolvedLine = try Self.lineNumber(of: "resolved_at:", in: url)
    let original = try String(contentsOf: url, encoding: .utf8)
    let resolvedAt = try #require(original.split(separator: "\n").first { $0.hasPrefix("resolved_at:") })
    let times = try Self.handEdit(box, repo, file, String(resolvedAt), "resolved_at: \"2001-01-01T00:00:00Z\"", message: "time by hand")
    let broken = try Self.handEdit(box, repo, file, "kind: outage", "kind: [outage", message: "broken yaml")

    let r = try box.incident(["audit", "--json"], in: repo)
    #expect(r.status == 1)
    let report = try #require(try box.json(r.stdout) as? [String: Any])
    let found = (report["violations"] as? [[String: Any]] ?? []).map {
      "\(($0["commit"] as? String ?? "").prefix(7)) \($0["rule"] as? String ?? "") \($0["line"] as? Int ?? 0)"
    }
    let statusLine = try Self.lineNumber(of: "status:", in: url)
    #expect(found == [
      "\(lying.prefix(7)) trailer-status \(statusLine)",
      "\(lying.prefix(7)) trailer-change \(statusLine)",
      "\(sev.prefix(7)) severity-defined \(sevLine)",
      "\(times.prefix(7)) severity-defined \(sevLine)",
      "\(times.prefix(7)) times-order \(resolvedLine)",
      "\(broken.prefix(7)) parse 4",  // libyaml finds the unclosed `[` of line 3 on line 4
    ], "\(r.stdout)")
    let violations = report["violations"] as? [[String: Any]] ?? []
    #expect((violations.first?["message"] as? String)?.contains("Incident-Status: review but the record's status is resolved") == true)
    #expect(violations.allSatisfy { $0["file"] as? String == file })
    #expect((violations.last?["message"] as? String)?.contains("flow sequence that starts at line 3") == true)
  }

  /// Rule `status-fields`: a hand edit adding declined fields to a resolved incident (a legal
  /// record otherwise) contradicts its status.
  @Test func statusFieldsContradictingTheStatusFail() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, _, file) = try Self.lifecycle(box)
    let bad = try Self.handEdit(box, repo, file, "status: resolved\n", "status: resolved\ndeclined_reason: false-positive\n", message: "Add a reason by hand")
    let line = try Self.lineNumber(of: "declined_reason:", in: repo.appendingPathComponent(file))
    let r = try box.incident(["audit"], in: repo)
    #expect(r.status == 1)
    #expect(r.stdout.contains("  \(bad.prefix(12))  \(file):\(line)  status-fields: the incident is resolved but has declined_reason (false-positive); "), "\(r.stdout)")
    #expect(r.stderr.contains("audit failed: 1 violation"), "\(r.stderr)")
  }
}
