import Foundation
import Testing

/// Problems a tester found in the postmortem, action and playbook commands, each checked end to
/// end through the built executable, with git's CLI as the witness.
@Suite("Postmortem hardening")
struct PostmortemHardeningTests {
  typealias Accept = PostmortemAcceptanceTests
  static let bo = Accept.bo
  static let begin = "<!-- git-incident:actions:begin -->"
  static let end = "<!-- git-incident:actions:end -->"

  static func folder(_ repo: URL, _ id: String) -> URL {
    Accept.postmortemPath(repo, id).deletingLastPathComponent()
  }

  /// Writes `text` to `path` (relative to the repository) and commits it with git's CLI.
  static func commitFile(_ box: Sandbox, _ repo: URL, _ path: String, _ text: String) throws {
    let url = repo.appendingPathComponent(path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
    try box.git(["add", path], in: repo)
    try box.git(["commit", "-qm", "Edit \(path) by hand"], in: repo)
  }

  static func relative(_ repo: URL, _ url: URL) -> String {
    String(url.path.dropFirst(repo.path.count + 1))
  }

  static func lines(_ text: String) -> [String] { text.components(separatedBy: "\n") }

  /// The 1-based line of the first line of `text` equal to `line`.
  static func lineNumber(of line: String, in text: String) throws -> Int {
    try #require(lines(text).firstIndex(of: line)) + 1
  }

  // MARK: 1

  /// A title holding the end marker, `|` or `<!--` is escaped in the table; the block stays one
  /// block through later action changes and the text after it survives.
  @Test func markerInATitleCannotBreakTheBlock() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Accept.resolvedIncident(box, severity: "SEV3")
    try box.incident(["postmortem", "new", id], in: repo)
    let file = Accept.postmortemPath(repo, id)
    let original = try String(contentsOf: file, encoding: .utf8)
    let tail = String(original[try #require(original.range(of: Self.end)).upperBound...])
    let evil = "Fix \(Self.end) parser | <!-- x"
    let ref = try box.incident(["action", "add", id, evil, "--owner", Self.bo], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    try Accept.oneCommit(box, repo, ["action", "add", id, "Second item", "--owner", Self.bo], trailers: ["Incident-Change: action"])
    try Accept.oneCommit(box, repo, ["action", "done", ref], trailers: ["Incident-Change: action"])
    let text = try String(contentsOf: file, encoding: .utf8)
    #expect(text.components(separatedBy: Self.begin).count == 2, "one begin marker: \(text)")
    #expect(text.components(separatedBy: Self.end).count == 2, "one end marker: \(text)")
    #expect(text.hasSuffix(Self.end + tail), "text after the block unchanged")
    let actionID = ref.split(separator: "/")[1]
    #expect(text.contains("| \(actionID) | Fix &lt;!-- git-incident:actions:end --&gt; parser \\| &lt;!-- x | - | - | Bo Chen <bo@example.com> | - | done 20"), "\(text)")
    let check = try box.incident(["postmortem", "check", id], in: repo).stdout
    #expect(!check.contains("differs") && !check.contains("action block"), "\(check)")
  }

  // MARK: 2, 13 (self-approval by name)

  /// A hand-set `status: published` without enough approvals (an author's approval under
  /// another email does not count) fails `check --committed` and does not let a SEV2 close.
  @Test func publishedWithoutApprovalsFailsCheckAndClosing() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Accept.resolvedIncident(box)
    try box.incident(["postmortem", "new", id], in: repo)
    try box.incident(["action", "add", id, "Alert on 5xx", "--owner", Self.bo], in: repo)
    let file = Accept.postmortemPath(repo, id)
    var text = Accept.fillSections(try String(contentsOf: file, encoding: .utf8))
    try Data(text.utf8).write(to: file)
    try box.git(["commit", "-qam", "Fill"], in: repo)

    // The author under another email is still the author.
    let before = try box.commitCount(in: repo)
    let own = try box.incident(["postmortem", "approve", id, "--as", "Ana Lima <ana@work.example>"], in: repo)
    #expect(own.status == 1)
    #expect(own.stderr.contains("Ana Lima <ana@work.example> is an author of the postmortem of \(id) and cannot approve it"), "\(own.stderr)")
    #expect(try box.commitCount(in: repo) == before)

    text = text.replacingOccurrences(of: "status: draft\n", with: "status: published\n")
      .replacingOccurrences(of: "approvals: []\n", with: "approvals:\n- by: Ana Lima <ana.other@example.com>\n  at: \"2025-06-02T10:00:00Z\"\n")
    try Data(text.utf8).write(to: file)
    try box.git(["commit", "-qam", "Publish by hand"], in: repo)
    let check = try box.incident(["postmortem", "check", id, "--committed"], in: repo)
    #expect(check.status == 1, "\(check.stdout)")
    #expect(check.stdout.contains("postmortem.md:2: error: status is published with 0 of the 1 approvals policy requires (approvals by the postmortem's authors do not count)"), "\(check.stdout)")
    let close = try box.incident(["status", id, "closed"], in: repo)
    #expect(close.status == 1)
    #expect(close.stderr.contains("its postmortem is published but has 0 of the 1 approvals policy requires"), "\(close.stderr)")
    #expect(try box.commitCount(in: repo) == before + 1)

    // approved needs them too.
    try Data(text.replacingOccurrences(of: "status: published\n", with: "status: approved\n").utf8).write(to: file)
    let approved = try box.incident(["postmortem", "check", id], in: repo)
    #expect(approved.status == 1)
    #expect(approved.stdout.contains("postmortem.md:2: error: status is approved with 0 of the 1 approvals"), "\(approved.stdout)")
  }

  // MARK: 3

  /// People's names are cleaned as git cleans them; `<>` is nobody: refused on the command line
  /// and no owner when read from actions.yaml.
  @Test func emptyPeopleAreNobody() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Accept.resolvedIncident(box, severity: "SEV3")
    let before = try box.commitCount(in: repo)
    for args in [["action", "add", id, "Runbook", "--owner", "<>"], ["action", "add", id, "Runbook", "--owner", " . <> "]] {
      let r = try box.incident(args, in: repo)
      #expect(r.status == 1)
      #expect(r.stderr.contains("names nobody once cleaned up"), "\(r.stderr)")
    }
    #expect(try box.commitCount(in: repo) == before)
    let ref = try box.incident(["action", "add", id, "Runbook", "--owner", "Bo Chen. <bo@example.com>"], in: repo)
    #expect(ref.status == 0, "\(ref.stderr)")
    let actionsPath = Self.relative(repo, Self.folder(repo, id).appendingPathComponent("actions.yaml"))
    let stored = try String(contentsOf: repo.appendingPathComponent(actionsPath), encoding: .utf8)
    #expect(stored.contains("  owner: Bo Chen <bo@example.com>\n"), "\(stored)")

    try Self.commitFile(box, repo, actionsPath, "actions:\n- id: A7K3Q\n  title: Runbook\n  owner: \"<>\"\n")
    let close = try box.incident(["status", id, "closed"], in: repo)
    #expect(close.status == 1)
    #expect(close.stderr.contains("cannot close while open action items have no owner: A7K3Q \"Runbook\""), "\(close.stderr)")

    try box.incident(["postmortem", "new", id], in: repo)
    let review = try box.incident(["postmortem", "request-review", id, "--reviewer", "<>"], in: repo)
    #expect(review.status == 1)
    #expect(review.stderr.contains("--reviewer '<>' names nobody once cleaned up"), "\(review.stderr)")
  }

  // MARK: 5

  /// Control characters in one-line fields of actions.yaml and in playbook checklist lines are
  /// refused with file, line and column.
  @Test func controlCharactersInFilesAreRefused() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Accept.resolvedIncident(box, severity: "SEV3")
    let actionsPath = Self.relative(repo, Self.folder(repo, id).appendingPathComponent("actions.yaml"))
    try Self.commitFile(box, repo, actionsPath, "actions:\n- id: A7K3Q\n  title: T\n  owner: \"Bo\\e[31mRED\"\n")
    let show = try box.incident(["show", id], in: repo)
    #expect(show.status == 1)
    #expect(show.stderr.contains("\(actionsPath):4:10: actions[0].owner: contains the control character U+001B"), "\(show.stderr)")

    try Self.commitFile(box, repo, "playbooks/odd.md", "# Odd\n\n- [ ] Page the \u{1B}[31mon-call\n- [ ] Tab\there\n")
    let before = try box.commitCount(in: repo)
    let declared = try box.incident(["declare", "Odd", "--severity", "SEV3", "--playbook", "odd"], in: repo)
    #expect(declared.status == 1)
    #expect(declared.stderr.contains("playbooks/odd.md:3:16: the checklist item contains the control character U+001B"), "\(declared.stderr)")
    #expect(try box.commitCount(in: repo) == before)
    try Self.commitFile(box, repo, "playbooks/odd.md", "# Odd\n\n- [ ] Page the on-call\n- [ ] Tab\there\n")
    let tab = try box.incident(["declare", "Odd", "--severity", "SEV3", "--playbook", "odd"], in: repo)
    #expect(tab.status == 1)
    #expect(tab.stderr.contains("playbooks/odd.md:4:10: the checklist item contains the control character U+0009"), "\(tab.stderr)")
  }

  // MARK: 6

  /// `actions` lists what it can read and exits 1 when an actions.yaml is invalid, naming
  /// file, line and field.
  @Test func actionsExitsOneOnAnInvalidFile() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Accept.resolvedIncident(box, severity: "SEV3")
    let good = try box.incident(["declare", "Other", "--severity", "SEV3"], in: repo).stdout.trimmingCharacters(in: .newlines)
    let ref = try box.incident(["action", "add", good, "Readable item", "--owner", Self.bo], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let actionsPath = Self.relative(repo, Self.folder(repo, id).appendingPathComponent("actions.yaml"))
    try Self.commitFile(box, repo, actionsPath, "actions:\n- id: A7K3Q\n  title: T\n  type: fix\n")
    let r = try box.incident(["actions"], in: repo)
    #expect(r.status == 1)
    #expect(r.stdout.contains(ref) && r.stdout.contains("Readable item"), "\(r.stdout)")
    #expect(r.stderr.contains("\(actionsPath):4:9: actions[0].type: 'fix' is not valid"), "\(r.stderr)")
  }

  // MARK: 7

  /// Git conflict markers in the body are check errors with their lines, and action changes
  /// refuse to rewrite such a file.
  @Test func conflictMarkersAreErrors() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Accept.resolvedIncident(box, severity: "SEV3")
    try box.incident(["postmortem", "new", id], in: repo)
    let file = Accept.postmortemPath(repo, id)
    let text = Accept.fillSections(try String(contentsOf: file, encoding: .utf8))
      .replacingOccurrences(of: "## Impact\n", with: "## Impact\n\n<<<<<<< HEAD\nOurs.\n=======\nTheirs.\n>>>>>>> other\n")
    try Data(text.utf8).write(to: file)
    try box.git(["commit", "-qam", "Bad merge"], in: repo)
    let check = try box.incident(["postmortem", "check", id], in: repo)
    #expect(check.status == 1)
    for marker in ["<<<<<<< HEAD", "=======", ">>>>>>> other"] {
      let line = try Self.lineNumber(of: marker, in: text)
      #expect(check.stdout.contains("postmortem.md:\(line): error: git conflict marker"), "\(marker): \(check.stdout)")
    }
    let before = try box.commitCount(in: repo)
    let add = try box.incident(["action", "add", id, "Item", "--owner", Self.bo], in: repo)
    #expect(add.status == 1)
    let line = try Self.lineNumber(of: "<<<<<<< HEAD", in: text)
    #expect(add.stderr.contains("postmortem.md:\(line): has a git conflict marker"), "\(add.stderr)")
    #expect(try box.commitCount(in: repo) == before)
  }

  // MARK: 9

  /// One reviewer named twice in one call is stored and trailed once; asking again changes
  /// nothing and is refused without a commit.
  @Test func requestReviewDeduplicatesAndRefusesNoChange() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Accept.resolvedIncident(box, severity: "SEV3")
    try box.incident(["postmortem", "new", id], in: repo)
    try Accept.oneCommit(box, repo, ["postmortem", "request-review", id, "--reviewer", Self.bo, "bo chen <BO@example.com>", "Cy Diaz"],
                         trailers: ["Incident-Reviewer: \(Self.bo)", "Incident-Reviewer: Cy Diaz"])
    let trailers = try box.git(["log", "-1", "--format=%(trailers:key=Incident-Reviewer,valueonly)"], in: repo)
    #expect(trailers == "\(Self.bo)\nCy Diaz\n\n", "\(trailers)")
    let text = try String(contentsOf: Accept.postmortemPath(repo, id), encoding: .utf8)
    #expect(text.contains("reviewers:\n- \(Self.bo)\n- Cy Diaz\n"), "\(text)")
    let before = try box.commitCount(in: repo)
    let again = try box.incident(["postmortem", "request-review", id, "--reviewer", "Bo Chen <BO@EXAMPLE.COM>"], in: repo)
    #expect(again.status == 1)
    #expect(again.stderr.contains("nothing to change"), "\(again.stderr)")
    #expect(try box.commitCount(in: repo) == before)
  }

  // MARK: 10

  /// A CRLF postmortem keeps CRLF through action changes, and its block is not reported as
  /// differing.
  @Test func crlfPostmortemsKeepTheirLineEndings() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Accept.resolvedIncident(box, severity: "SEV3")
    try box.incident(["postmortem", "new", id], in: repo)
    try box.incident(["action", "add", id, "First", "--owner", Self.bo], in: repo)
    let file = Accept.postmortemPath(repo, id)
    let crlf = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\n", with: "\r\n")
    try Data(crlf.utf8).write(to: file)
    try box.git(["commit", "-qam", "CRLF"], in: repo)
    let check = try box.incident(["postmortem", "check", id, "--strict"], in: repo)
    #expect(!check.stdout.contains("differs"), "\(check.stdout)")
    try Accept.oneCommit(box, repo, ["action", "add", id, "Second", "--owner", Self.bo], trailers: ["Incident-Change: action"])
    let after = try Data(contentsOf: file)
    let lf = after.enumerated().filter { $0.element == 10 && ($0.offset == 0 || after[$0.offset - 1] != 13) }
    #expect(lf.isEmpty, "no bare LF in a CRLF file: \(String(decoding: after, as: UTF8.self))")
    #expect(String(decoding: after, as: UTF8.self).contains("| Second | - | - | Bo Chen <bo@example.com> | - | open |\r\n"))
    let again = try box.incident(["postmortem", "check", id, "--strict"], in: repo)
    #expect(!again.stdout.contains("differs"), "\(again.stdout)")
  }

  // MARK: 12, 13 (fenced marker)

  /// Marker errors carry the marker's line; a begin marker in a fenced code block is text.
  @Test func markersInCodeAreTextAndBrokenMarkersHaveLines() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Accept.resolvedIncident(box, severity: "SEV3")
    try box.incident(["postmortem", "new", id], in: repo)
    let file = Accept.postmortemPath(repo, id)
    let quoted = "## Lessons learned\n\nThe tool's markers look like this:\n\n```\n\(Self.begin)\n```\n"
    let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "## Lessons learned\n", with: quoted)
    try Data(text.utf8).write(to: file)
    try box.git(["commit", "-qam", "Quote the marker"], in: repo)
    try Accept.oneCommit(box, repo, ["action", "add", id, "First", "--owner", Self.bo], trailers: ["Incident-Change: action"])
    let after = try String(contentsOf: file, encoding: .utf8)
    #expect(after.contains(quoted))
    #expect(after.contains("| First | - | - | Bo Chen <bo@example.com> | - | open |"), "\(after)")

    // Remove the end marker: check and action changes name the begin marker's line.
    let broken = after.replacingOccurrences(of: Self.end + "\n", with: "")
    try Data(broken.utf8).write(to: file)
    try box.git(["commit", "-qam", "Lose the end marker"], in: repo)
    let line = try Self.lineNumber(of: Self.begin, in: broken)
    let check = try box.incident(["postmortem", "check", id], in: repo)
    #expect(check.stdout.contains("postmortem.md:\(line): error: \(Self.begin) has no \(Self.end) after it"), "\(check.stdout)")
    let add = try box.incident(["action", "add", id, "Second", "--owner", Self.bo], in: repo)
    #expect(add.status == 1)
    #expect(add.stderr.contains("postmortem.md:\(line): \(Self.begin) has no \(Self.end) after it"), "\(add.stderr)")
  }

  // MARK: 13

  /// `--owner` matches a whole name or email; `--due` years stay in 1970...2999; an
  /// uncommitted playbook is named as such; "an action reference".
  @Test func ownerFilterDueYearsAndPlaybookHint() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let (repo, id) = try Accept.resolvedIncident(box, severity: "SEV3")
    let ref = try box.incident(["action", "add", id, "Bo's item", "--owner", Self.bo], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    try box.incident(["action", "add", id, "Bob's item", "--owner", "Bob Stone <bob@example.com>"], in: repo)
    func refs(_ owner: String) throws -> [String] {
      let r = try box.incident(["actions", "--owner", owner, "--json"], in: repo)
      #expect(r.status == 0, "\(r.stderr)")
      return try #require(try box.json(r.stdout) as? [[String: Any]]).compactMap { $0["reference"] as? String }
    }
    #expect(try refs("bo").isEmpty, "a part of a name does not match")
    #expect(try refs("BO CHEN") == [ref])
    #expect(try refs("bo@EXAMPLE.com") == [ref])
    #expect(try refs(" bo chen <bo@example.com> ") == [ref])

    for due in ["0001-01-01", "1969-12-31", "3000-01-01"] {
      let r = try box.incident(["action", "add", id, "Late", "--owner", Self.bo, "--due", due], in: repo)
      #expect(r.status == 1)
      #expect(r.stderr.contains("--due '\(due)'"), "\(r.stderr)")
    }
    let bad = try box.incident(["action", "done", "a/b/c"], in: repo)
    #expect(bad.stderr.contains("'a/b/c' is not an action reference"), "\(bad.stderr)")

    try Data("# New\n\n- [ ] Step\n".utf8).write(to: repo.appendingPathComponent("playbooks/new-one.md"))
    let declared = try box.incident(["declare", "X", "--severity", "SEV3", "--playbook", "new-one"], in: repo)
    #expect(declared.status == 1)
    #expect(declared.stderr.contains("unknown playbook 'new-one'; playbooks/new-one.md exists in the work tree but is not committed"), "\(declared.stderr)")
  }
}
