import Foundation
import Testing

/// Issue 5's `history` and `blame` acceptance (2 and 3), end to end, with git's own `blame` as
/// the witness for which commit set a line.
@Suite("History and blame")
struct HistoryBlameTests {
  /// Acceptance 2: every kind of change (declare, role, handover, note, both updates, severity,
  /// status, reopen, a hand edit, a merge) listed once, in order, with author and time, and
  /// `--json` carrying the same lines.
  @Test func historyListsEveryChangeOnceAndJSONMatches() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let id = try box.incident(["declare", "Checkout 500s", "--severity", "SEV3"], in: repo)
      .stdout.trimmingCharacters(in: .newlines)
    let bo = ["--as", "Bo Chen <bo@example.com>"]
    let steps: [[String]] = [
      ["assign", id, "commander", "Ana Lima"],
      ["note", id, "Rolled back deploy 4f2a"] + bo,
      ["update", id, "Payments failing for some customers"],
      ["update", id, "We are investigating", "--audience", "external"] + bo,
      ["severity", id, "SEV4"],
      ["assign", id, "deputy", "Cy Diaz"] + bo,
      ["assign", id, "commander", "Bo Chen"],
      ["status", id, "mitigated"] + bo,
      ["status", id, "resolved"],
      ["reopen", id, "--note", "Errors are back"] + bo,
    ]
    for step in steps {
      let r = try box.incident(step, in: repo)
      #expect(r.status == 0, "\(step): \(r.stderr)")
    }
    // A note on a side branch, a hand edit on main (committed a minute later so the order is
    // fixed), and a plain `git merge`.
    try box.git(["switch", "-q", "-c", "side"], in: repo)
    #expect(try box.incident(["note", id, "Found the bad config"] + bo, in: repo).status == 0)
    let side = try box.git(["rev-parse", "HEAD"], in: repo).trimmingCharacters(in: .newlines)
    try box.git(["switch", "-q", "main"], in: repo)
    let file = repo.appendingPathComponent("incidents/\(id.dropFirst(4).prefix(4))/\(id)/incident.yaml")
    let text = try String(contentsOf: file, encoding: .utf8)
    try text.replacingOccurrences(of: "title: Checkout 500s", with: "title: Checkout returns 500s")
      .write(to: file, atomically: true, encoding: .utf8)
    let later = RFC3339Text.now(plus: 60)
    let edit = try box.run("/usr/bin/git", ["commit", "-q", "-a", "-m", "Better title"], in: repo,
                           env: ["GIT_AUTHOR_DATE": later, "GIT_COMMITTER_DATE": later,
                                 "GIT_AUTHOR_NAME": "Cy Diaz", "GIT_AUTHOR_EMAIL": "cy@example.com"])
    #expect(edit.status == 0, "\(edit.stderr)")
    let hand = try box.git(["rev-parse", "HEAD"], in: repo).trimmingCharacters(in: .newlines)
    let mergeDate = RFC3339Text.now(plus: 120)
    let merged = try box.run("/usr/bin/git", ["merge", "-q", "--no-ff", "side", "-m", "Merge side"], in: repo,
                             env: ["GIT_AUTHOR_DATE": mergeDate, "GIT_COMMITTER_DATE": mergeDate])
    #expect(merged.status == 0, "\(merged.stderr)")
    let merge = try box.git(["rev-parse", "HEAD"], in: repo).trimmingCharacters(in: .newlines)
    for step in [["status", id, "resolved"], ["status", id, "review"], ["status", id, "closed"]] {
      let r = try box.incident(step, in: repo)
      #expect(r.status == 0, "\(step): \(r.stderr)")
    }

    let json = try box.incident(["history", id, "--json"], in: repo)
    #expect(json.status == 0, "\(json.stderr)")
    let entries = try #require(try box.json(json.stdout) as? [[String: Any]])
    let changes = entries.flatMap { ($0["changes"] as? [String]) ?? [] }
    let expected: [(String, String)] = [
      ("Ana Lima", "declared SEV3 outage \"Checkout 500s\", status reported"),
      ("Ana Lima", "status reported -> active (acknowledged_at 20"),
      ("Ana Lima", "commander Ana Lima"),
      ("Bo Chen", "note added: Rolled back deploy 4f2a"),
      ("Ana Lima", "internal update: Payments failing for some customers"),
      ("Bo Chen", "external update: We are investigating"),
      ("Ana Lima", "severity SEV3 -> SEV4"),
      ("Bo Chen", "deputy Cy Diaz"),
      ("Ana Lima", "commander Ana Lima -> Bo Chen"),
      ("Bo Chen", "status active -> mitigated (mitigated_at 20"),
      ("Ana Lima", "status mitigated -> resolved (resolved_at 20"),
      ("Bo Chen", "status resolved -> active (resolved_at cleared)"),
      ("Bo Chen", "note added: Found the bad config"),
      ("Cy Diaz", "title \"Checkout 500s\" -> \"Checkout returns 500s\""),
      ("Ana Lima", "title Checkout returns 500s kept from the first parent (parent 2 had Checkout 500s)"),
      ("Ana Lima", "1 timeline event from \(side.prefix(7)) (parent 2)"),
      ("Ana Lima", "status active -> resolved (resolved_at 20"),
      ("Ana Lima", "status resolved -> review (review_at 20"),
      ("Ana Lima", "status review -> closed (closed_at 20"),
    ]
    #expect(changes.count == expected.count, "\(changes)")
    for (n, (_, prefix)) in expected.enumerated() where n < changes.count {
      #expect(changes[n].hasPrefix(prefix), "change \(n): \(changes[n])")
    }
    // Entries are oldest first (parents before children, then by commit time, as
    // `git log --date-order` lists them), each with its author and time; marks for hand edit
    // and merge.
    let byCommit = Dictionary(uniqueKeysWithValues: entries.map { ($0["commit"] as? String ?? "", $0) })
    #expect(byCommit[hand]?["hand_edit"] as? Bool == true)
    #expect(byCommit[hand]?["mark"] as? String == "hand edit \(hand.prefix(7))")
    #expect(byCommit[merge]?["merge"] as? Bool == true)
    #expect(byCommit[merge]?["parents"] as? [String] == [hand, side])
    #expect(byCommit[merge]?["date"] as? String == mergeDate)
    let gitOrder = try box.git(["log", "--reverse", "--date-order", "--format=%H", "--", "incidents"], in: repo)
      .split(separator: "\n").map(String.init)
    #expect(entries.map { $0["commit"] as? String ?? "" } == gitOrder)

    // The text has one line per change, with the same date, author and text as the JSON.
    let text2 = try box.incident(["history", id], in: repo)
    #expect(text2.status == 0)
    let lines = text2.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == expected.count)
    var n = 0
    for entry in entries {
      let date = try #require(entry["date"] as? String)
      let stamp = date.prefix(10) + " " + date.dropFirst(11).prefix(5) + "Z"
      for change in entry["changes"] as? [String] ?? [] {
        guard n < lines.count else { break }
        let name = expected[n].0
        #expect(lines[n].hasPrefix("\(stamp)  \(name) "), "line \(n): \(lines[n])")
        #expect(lines[n].contains("  \(change)"), "line \(n): \(lines[n]) has \(change)")
        if let mark = entry["mark"] as? String { #expect(lines[n].hasSuffix("  (\(mark))")) }
        n += 1
      }
    }
    #expect(n == lines.count)
  }

  /// Acceptance 3: `blame ID severity` names the commit that last changed severity, also when
  /// the value came in through a merge (second parent) and when a merge kept it (first
  /// parent); git's own blame of the `severity:` line agrees.
  @Test func blameSeverityAcrossMerges() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let id = try box.incident(["declare", "Queue backlog", "--severity", "SEV3"], in: repo)
      .stdout.trimmingCharacters(in: .newlines)
    let path = "incidents/\(id.dropFirst(4).prefix(4))/\(id)/incident.yaml"
    func head() throws -> String { try box.git(["rev-parse", "HEAD"], in: repo).trimmingCharacters(in: .newlines) }
    func gitBlame() throws -> String {
      let out = try box.git(["blame", "--porcelain", "-L", "/^severity:/,+1", "HEAD", "--", path], in: repo)
      return String(out.prefix(40))
    }
    func blame() throws -> [String: Any] {
      let r = try box.incident(["blame", id, "severity", "--json"], in: repo)
      #expect(r.status == 0, "\(r.stderr)")
      let lines = try #require(try box.json(r.stdout) as? [[String: Any]])
      #expect(lines.count == 1)
      return try #require(lines.first)
    }
    // Severity changed on a side branch; main declares another incident; plain git merge.
    try box.git(["switch", "-q", "-c", "side"], in: repo)
    #expect(try box.incident(["severity", id, "SEV2", "--as", "Bo Chen <bo@example.com>"], in: repo).status == 0)
    let sideSeverity = try head()
    try box.git(["switch", "-q", "main"], in: repo)
    #expect(try box.incident(["declare", "Other", "--severity", "SEV4"], in: repo).status == 0)
    try box.git(["merge", "-q", "--no-ff", "side", "-m", "Merge side"], in: repo)
    var line = try blame()
    #expect(line["commit"] as? String == sideSeverity)
    #expect(line["value"] as? String == "SEV2")
    #expect(line["author"] as? String == "Bo Chen <bo@example.com>")
    #expect(line["subject"] as? String == "\(id): severity SEV3 -> SEV2")
    #expect(try gitBlame() == sideSeverity)

    // Severity changed on main; a side branch declares another incident; merged into main.
    try box.git(["switch", "-q", "-c", "side2"], in: repo)
    #expect(try box.incident(["declare", "Third", "--severity", "SEV5"], in: repo).status == 0)
    try box.git(["switch", "-q", "main"], in: repo)
    #expect(try box.incident(["severity", id, "SEV1"], in: repo).status == 0)
    let mainSeverity = try head()
    try box.git(["merge", "-q", "--no-ff", "side2", "-m", "Merge side2"], in: repo)
    line = try blame()
    #expect(line["commit"] as? String == mainSeverity)
    #expect(line["value"] as? String == "SEV1")
    #expect(try gitBlame() == mainSeverity)
    #expect(try box.incident(["note", id, "later"], in: repo).status == 0)
    #expect(try blame()["commit"] as? String == mainSeverity)

    // All fields in text: one row each, the severity row naming the same commit.
    let all = try box.incident(["blame", id], in: repo)
    #expect(all.status == 0)
    let rows = all.stdout.split(separator: "\n")
    #expect(rows.first?.hasPrefix("title ") == true)
    #expect(rows.contains { $0.hasPrefix("severity ") && $0.contains(String(mainSeverity.prefix(12))) })
    #expect(rows.contains { $0.hasPrefix("roles.commander") } == false)
    let unknown = try box.incident(["blame", id, "colour"], in: repo)
    #expect(unknown.status == 1)
    #expect(unknown.stderr.contains("'colour' is not a field of incident.yaml; use one of title, kind, severity"))
  }
}

/// RFC 3339 text for git's date variables.
enum RFC3339Text {
  static func now(plus seconds: TimeInterval) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: Date(timeIntervalSinceNow: seconds))
  }
}
