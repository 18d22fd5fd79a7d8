import Foundation
import Testing

/// The core issue's acceptance list, end to end through the built executable, with git's CLI as
/// the independent witness.
@Suite("Core acceptance")
struct CoreAcceptanceTests {
  /// 1. init, declare, assign commander, note, severity, status mitigated, status resolved:
  /// exactly 7 commits with the specified subjects and trailers; fsck clean; status clean;
  /// `show --json` has every field and event.
  @Test func lifecycleMakesSevenCommitsWithTrailers() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    #expect(try box.incident(["init", "-C", repo.path]).status == 0)
    let declared = try box.incident(
      ["declare", "Checkout returns 500s", "--severity", "SEV3", "--service", "checkout",
       "--label", "payments", "--started-at", "2026-01-05T09:58:00+01:00",
       "--summary", "Errors on /pay"], in: repo)
    #expect(declared.status == 0, "\(declared.stderr)")
    let id = declared.stdout.trimmingCharacters(in: .newlines)
    #expect(id.range(of: #"^INC-\d{8}-[0-9A-HJKMNP-TV-Z]{4}$"#, options: .regularExpression) != nil, "stdout must be the ID alone: \(declared.stdout)")
    #expect(declared.stdout == id + "\n")
    let steps: [[String]] = [
      ["assign", id, "commander", "Bo Chen <bo@example.com>"],
      ["note", id, "Rolled back deploy 4f2a"],
      ["severity", id, "sev2"],
      ["status", id, "mitigated", "--note", "Error rate back to baseline"],
      ["status", id, "resolved"],
    ]
    for step in steps {
      let r = try box.incident(step, in: repo)
      #expect(r.status == 0, "\(step): \(r.stderr)")
    }
    #expect(try box.commitCount(in: repo) == 7)

    let subjects = try box.git(["log", "--reverse", "--format=%s"], in: repo)
      .split(separator: "\n").map(String.init)
    #expect(subjects.count == 7)
    #expect(subjects[1].hasPrefix("\(id): declared SEV3 outage: Checkout returns 500s"))
    #expect(subjects[2] == "\(id): commander Bo Chen <bo@example.com>")
    #expect(subjects[3] == "\(id): note: Rolled back deploy 4f2a")
    #expect(subjects[4] == "\(id): severity SEV3 -> SEV2")
    #expect(subjects[5] == "\(id): status active -> mitigated")
    #expect(subjects[6] == "\(id): status mitigated -> resolved")

    let trailerText = try box.git(
      ["log", "--reverse", "--format=%(trailers:only,unfold)%x00"], in: repo)
    let trailers = trailerText.components(separatedBy: "\0").map {
      $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }.filter { !$0.isEmpty }
    #expect(trailers.count == 7)
    #expect(trailers[0] == "Incident-Change: init")
    let expected: [[String]] = [
      ["Incident: \(id)", "Incident-Change: declare", "Incident-Severity: SEV3", "Incident-Status: reported"],
      ["Incident: \(id)", "Incident-Change: role", "Incident-Role: commander", "Incident-Status: active"],
      ["Incident: \(id)", "Incident-Change: note"],
      ["Incident: \(id)", "Incident-Change: severity", "Incident-Severity: SEV2"],
      ["Incident: \(id)", "Incident-Change: status", "Incident-Status: mitigated"],
      ["Incident: \(id)", "Incident-Change: status", "Incident-Status: resolved"],
    ]
    for (n, lines) in expected.enumerated() {
      let actual = trailers[n + 1].split(separator: "\n").map(String.init)
      #expect(Array(actual.prefix(lines.count)) == lines, "commit \(n + 2)")
      #expect(actual.last?.hasPrefix("Incident-Event: ev-") == true, "commit \(n + 2) names its event")
    }
    let body = try box.git(["log", "-1", "--skip=1", "--format=%b"], in: repo)
    #expect(body.hasPrefix("Error rate back to baseline"))

    let fsck = try box.run("/usr/bin/git", ["fsck", "--strict"], in: repo, env: [:])
    #expect(fsck.status == 0, "\(fsck.stderr)")
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")

    let show = try box.incident(["show", id, "--json"], in: repo)
    #expect(show.status == 0)
    let object = try #require(try box.json(show.stdout) as? [String: Any])
    #expect(object["id"] as? String == id)
    #expect(object["title"] as? String == "Checkout returns 500s")
    #expect(object["severity"] as? String == "SEV2")
    #expect(object["status"] as? String == "resolved")
    #expect(object["kind"] as? String == "outage")
    #expect(object["summary"] as? String == "Errors on /pay")
    #expect(object["services"] as? [String] == ["checkout"])
    #expect(object["labels"] as? [String] == ["payments"])
    #expect((object["roles"] as? [String: String])?["commander"] == "Bo Chen <bo@example.com>")
    #expect(object["declared_by"] as? String == "Ana Lima <ana@example.com>")
    let times = try #require(object["times"] as? [String: Any])
    #expect(times["started_at"] as? String == "2026-01-05T08:58:00Z")
    for key in ["detected_at", "acknowledged_at", "reported_at", "mitigated_at", "resolved_at"] {
      #expect(times[key] is String, "\(key) set")
    }
    for key in ["contained_at", "eradicated_at", "review_at", "closed_at", "declined_at"] {
      #expect(times[key] is NSNull, "\(key) present as null")
    }
    let events = try #require(object["timeline"] as? [[String: Any]])
    #expect(events.map { $0["type"] as? String } == ["declared", "role", "note", "severity", "status", "status"])
    #expect(events[2]["text"] as? String == "Rolled back deploy 4f2a")
    #expect(events[3]["from"] as? String == "SEV3")
    #expect(events[4]["to"] as? String == "mitigated")
    #expect(events[4]["text"] as? String == "Error rate back to baseline")
    #expect(Set(events.compactMap { $0["id"] as? String }).count == 6)

    let history = try box.incident(["history", id], in: repo)
    #expect(history.status == 0)
    for line in ["declared SEV3 outage", "commander Bo Chen", "note added: Rolled back deploy 4f2a",
                 "severity SEV3 -> SEV2", "status active -> mitigated", "status mitigated -> resolved"] {
      #expect(history.stdout.contains(line), "history shows \(line)")
    }
  }

  /// 2. Each refused change exits 1 and adds no commit.
  @Test func refusedChangesExitOneAndWriteNothing() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let id = try box.incident(["declare", "DB failover", "--severity", "SEV2", "--detected-at", "2026-03-01T10:00:00Z"], in: repo)
      .stdout.trimmingCharacters(in: .newlines)
    try box.incident(["status", id, "resolved", "--at", "2026-03-01T12:00:00Z"], in: repo)
    let before = try box.commitCount(in: repo)
    let refused: [([String], String)] = [
      (["status", id, "active"], "reopen"),                                    // backwards
      (["status", id, "contained"], "does not apply"),                        // security-only
      (["status", id, "review", "--at", "2026-03-01T11:00:00Z"], "in order"), // before resolved
      (["severity", id, "SEV9"], "SEV1, SEV2, SEV3, SEV4, SEV5"),             // unknown severity
      (["note", "../x", "hi"], "not a valid incident ID"),
      (["note", "GIT~1", "hi"], "not a valid incident ID"),
      (["note", ".git", "hi"], "not a valid incident ID"),
      (["note", "", "hi"], "not a valid incident ID"),
      (["note", "ZZZZ", "hi"], "no incident matches"),
      (["status", id, "resolved"], "already resolved"),
      (["status", id, "declined", "--reason", "false-positive"], "only a reported or active"),
      (["declare", "Late", "--severity", "SEV1", "--started-at", "2026-03-02T10:00:00Z", "--detected-at", "2026-03-01T10:00:00Z"], "in order"),
      (["declare", "Bad sev", "--severity", "P1"], "unknown severity"),
    ]
    for (args, message) in refused {
      let r = try box.incident(args, in: repo)
      #expect(r.status == 1, "\(args) exits 1, got \(r.status): \(r.stderr)")
      #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
    }
    let allowed = try box.incident(["status", id, "active"], in: repo)
    #expect(allowed.stderr.contains("allowed from resolved: status review, closed; reopen"), "\(allowed.stderr)")
    #expect(try box.commitCount(in: repo) == before)
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
  }

  /// 3. `git init -b trunk` then declare makes a root commit on trunk.
  @Test func declareOnUnbornTrunkMakesRootCommit() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
    try box.git(["init", "-q", "-b", "trunk"], in: repo)
    let r = try box.incident(["declare", "First", "--severity", "SEV4"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try box.git(["rev-parse", "--abbrev-ref", "HEAD"], in: repo) == "trunk\n")
    #expect(try box.git(["rev-list", "--max-parents=0", "--count", "trunk"], in: repo) == "1\n")
    #expect(try box.commitCount(in: repo) == 1)
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
  }

  /// 4. Two processes adding 50 notes each at the same time: 100 events, 100 commits more.
  @Test func concurrentWritersLoseNothing() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let id = try box.incident(["declare", "Busy", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let before = try box.commitCount(in: repo)
    let exe = Sandbox.executable.path
    let script: @Sendable (String) -> String = { tag in
      "for i in $(seq 1 50); do '\(exe)' note \(id) \"\(tag) note $i\" >/dev/null || exit 1; done"
    }
    let group = DispatchGroup()
    nonisolated(unsafe) var results: [Sandbox.Run] = []
    let lock = NSLock()
    for tag in ["alpha", "beta"] {
      group.enter()
      DispatchQueue.global().async {
        let r = try? box.run("/bin/sh", ["-c", script(tag)], in: repo, env: [:])
        lock.lock()
        if let r { results.append(r) }
        lock.unlock()
        group.leave()
      }
    }
    group.wait()
    #expect(results.count == 2)
    #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
    #expect(try box.commitCount(in: repo) == before + 100)
    let show = try box.incident(["show", id, "--json"], in: repo)
    let object = try #require(try box.json(show.stdout) as? [String: Any])
    let texts = (object["timeline"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
    for tag in ["alpha", "beta"] {
      for i in 1...50 { #expect(texts.contains("\(tag) note \(i)")) }
    }
    #expect(texts.filter { $0.contains(" note ") }.count == 100)
    let fsck = try box.run("/usr/bin/git", ["fsck", "--strict"], in: repo, env: [:])
    #expect(fsck.status == 0, "\(fsck.stderr)")
    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
  }

  /// 5. Values YAML 1.1 would misread, and non-ASCII text, round-trip byte-exact.
  @Test(arguments: [
    "no", "on", "0755", "000", "1e3", "2026-01-01",
    "🚒 Incendio 🔥 حريق في مركز البيانات डेटा सेंटर में आग",
    "First paragraph about the outage.\n\nSecond paragraph: what we saw.\n\nThird paragraph, with details.",
    "back\\n slash",
  ])
  func valuesRoundTripByteExact(_ value: String) throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let title = value.contains("\n") ? "Multi-paragraph" : value
    let r = try box.incident(["declare", title, "--severity", "SEV3", "--summary", value, "--service", title], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let id = r.stdout.trimmingCharacters(in: .newlines)
    let show = try box.incident(["show", id, "--json"], in: repo)
    let object = try #require(try box.json(show.stdout) as? [String: Any])
    #expect(object["title"] as? String == title)
    #expect(object["summary"] as? String == value)
    #expect(object["services"] as? [String] == [title])
    // Read back by git itself: the stored bytes hold the value verbatim or quoted, never escaped.
    let file = try box.git(["show", "HEAD:incidents/\(id.dropFirst(4).prefix(4))/\(id)/incident.yaml"], in: repo)
    if !value.contains("\n") { #expect(file.contains(value), "raw UTF-8, not escaped:\n\(file)") }
    if ["no", "on", "0755", "000", "1e3", "2026-01-01"].contains(value) {
      #expect(file.contains("title: \"\(value)\"") || file.contains("title: '\(value)'"), "\(file)")
    }
    // A rewrite (another change) leaves those bytes as they were.
    let before = try String(contentsOf: repo.appendingPathComponent("incidents/\(id.dropFirst(4).prefix(4))/\(id)/incident.yaml"), encoding: .utf8)
    #expect(try box.incident(["severity", id, "SEV2"], in: repo).status == 0)
    try box.incident(["severity", id, "SEV3"], in: repo)
    let after = try String(contentsOf: repo.appendingPathComponent("incidents/\(id.dropFirst(4).prefix(4))/\(id)/incident.yaml"), encoding: .utf8)
    #expect(before == after)
  }

  /// 6. A bare repository accepts declare and note.
  @Test func bareRepositoryAcceptsWrites() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let bare = box.path("bare.git")
    try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
    try box.git(["init", "-q", "--bare", "-b", "main"], in: bare)
    let r = try box.incident(["declare", "Bot declared", "--severity", "SEV3"], in: bare)
    #expect(r.status == 0, "\(r.stderr)")
    let id = r.stdout.trimmingCharacters(in: .newlines)
    #expect(try box.incident(["note", id, "from a bot"], in: bare).status == 0)
    #expect(try box.commitCount(in: bare) == 2)
    let timeline = try box.git(["show", "main:incidents/\(id.dropFirst(4).prefix(4))/\(id)/timeline.yaml"], in: bare)
    #expect(timeline.contains("text: from a bot"))
  }

  /// 7. HOME without identity: list works, declare exits 1 naming user.name, user.email, --as.
  @Test func missingIdentity() throws {
    let box = try Sandbox(identity: false)
    defer { box.remove() }
    let repo = box.path("repo")
    try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
    try box.git(["init", "-q", "-b", "main"], in: repo)
    let list = try box.incident(["list"], in: repo)
    #expect(list.status == 0, "\(list.stderr)")
    let r = try box.incident(["declare", "No one", "--severity", "SEV3"], in: repo)
    #expect(r.status == 1)
    #expect(r.stderr.contains("user.name") && r.stderr.contains("user.email") && r.stderr.contains("--as"))
    #expect(try box.run("/usr/bin/git", ["rev-parse", "HEAD"], in: repo, env: [:]).status != 0, "no commit")
    let empty = try box.incident(["declare", "Empty", "--severity", "SEV3"], in: repo, env: ["GIT_AUTHOR_NAME": "", "GIT_AUTHOR_EMAIL": "x@example.com"])
    #expect(empty.status == 1)
    let asSomeone = try box.incident(["--as", "Cy Diaz <cy@example.com>", "declare", "Someone", "--severity", "SEV3"], in: repo)
    #expect(asSomeone.status == 0, "\(asSomeone.stderr)")
    #expect(try box.git(["log", "-1", "--format=%an <%ae>|%cn"], in: repo) == "Cy Diaz <cy@example.com>|Cy Diaz\n")
  }

  /// Uncommitted edits to a file of the incident stop the command; other files are untouched.
  @Test func uncommittedEditsStopTheCommand() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let id = try box.incident(["declare", "Edited", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    let year = String(id.dropFirst(4).prefix(4))
    let timeline = repo.appendingPathComponent("incidents/\(year)/\(id)/timeline.yaml")
    let other = repo.appendingPathComponent("notes.txt")
    try "scratch\n".write(to: other, atomically: true, encoding: .utf8)
    try "unrelated: edit\n".write(to: repo.appendingPathComponent("git-incident.local"), atomically: true, encoding: .utf8)
    let original = try String(contentsOf: timeline, encoding: .utf8)
    try (original + "# my edit\n").write(to: timeline, atomically: true, encoding: .utf8)
    let before = try box.commitCount(in: repo)
    let r = try box.incident(["note", id, "should not land"], in: repo)
    #expect(r.status == 1)
    #expect(r.stderr.contains("incidents/\(year)/\(id)/timeline.yaml"))
    #expect(try box.commitCount(in: repo) == before)
    #expect(try String(contentsOf: timeline, encoding: .utf8) == original + "# my edit\n")
    // Restore the file: the note lands, and the unrelated files stay untracked and unchanged.
    try original.write(to: timeline, atomically: true, encoding: .utf8)
    #expect(try box.incident(["note", id, "lands"], in: repo).status == 0)
    #expect(try String(contentsOf: other, encoding: .utf8) == "scratch\n")
    let status = try box.git(["status", "--porcelain"], in: repo)
    #expect(status == "?? git-incident.local\n?? notes.txt\n")
    #expect(try box.git(["show", "--stat", "--format=", "HEAD"], in: repo).contains("timeline.yaml"))
    #expect(!(try box.git(["show", "--stat", "--format=", "HEAD"], in: repo).contains("notes.txt")))
  }
}

/// Problems a first user found by trying to break the core (each once a bug).
@Suite("Core input checks")
struct CoreInputTests {
  @Test func identitiesAreCleanedAsGitCleansThem() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let r = try box.incident(["declare", "Ident", "--severity", "SEV3"], in: repo,
                             env: ["GIT_AUTHOR_NAME": "Evil\nName <x>", "GIT_AUTHOR_EMAIL": "<e@x.org>"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try box.git(["log", "-1", "--format=%an|%ae"], in: repo) == "EvilName x|e@x.org\n")
    let fsck = try box.run("/usr/bin/git", ["fsck", "--strict"], in: repo, env: [:])
    #expect(fsck.status == 0, "\(fsck.stderr)")
    #expect(try box.incident(["list"], in: repo).status == 0)
    let newline = try box.incident(["--as", "Na\nme <e@x>", "note", r.stdout.trimmingCharacters(in: .newlines), "x"], in: repo)
    #expect(newline.status == 1 && newline.stderr.contains("one line"))
  }

  @Test func controlCharactersAreRefused() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let id = try box.incident(["declare", "Text", "--severity", "SEV3"], in: repo).stdout.trimmingCharacters(in: .newlines)
    let before = try box.commitCount(in: repo)
    for args in [["note", id, "bell \u{07} and \u{1B}[31m"], ["declare", "\u{202E}evil", "--severity", "SEV3"], ["update", id, "rtl \u{2066}x"]] {
      let r = try box.incident(args, in: repo)
      #expect(r.status == 1, "\(args): \(r.stderr)")
      #expect(r.stderr.contains("control character U+"), "\(r.stderr)")
    }
    #expect(try box.commitCount(in: repo) == before)
    #expect(try box.incident(["note", id, "line one\r\nline two\twith tab"], in: repo).status == 0)
    let show = try #require(try box.json(try box.incident(["show", id, "--json"], in: repo).stdout) as? [String: Any])
    #expect((show["timeline"] as? [[String: Any]])?.last?["text"] as? String == "line one\nline two\twith tab")
  }

  @Test func handEditsAreCheckedWithPositions() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let good = try box.incident(["declare", "Good", "--severity", "SEV3"], in: repo).stdout.trimmingCharacters(in: .newlines)
    let bad = try box.incident(["declare", "Bad", "--severity", "SEV3"], in: repo).stdout.trimmingCharacters(in: .newlines)
    let path = "incidents/\(bad.dropFirst(4).prefix(4))/\(bad)/incident.yaml"
    let url = repo.appendingPathComponent(path)
    let text = try String(contentsOf: url, encoding: .utf8)
    try text.replacingOccurrences(of: "severity: SEV3", with: "severity: SEV9").write(to: url, atomically: true, encoding: .utf8)
    try box.git(["commit", "-qam", "hand edit"], in: repo)
    let show = try box.incident(["show", bad], in: repo)
    #expect(show.status == 1)
    #expect(show.stderr.contains("\(path):4:11: severity: severity 'SEV9' is not defined"), "\(show.stderr)")
    let note = try box.incident(["note", bad, "x"], in: repo)
    #expect(note.status == 1)
    let list = try box.incident(["list", "--json"], in: repo)
    #expect(list.status == 1, "an unreadable record makes list fail")
    let listed = try #require(try box.json(list.stdout) as? [[String: Any]])
    #expect(listed.map { $0["id"] as? String } == [good])
  }

  @Test func duplicateReasonAcceptsAnyFormOfTheOtherID() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let first = try box.incident(["declare", "Original", "--severity", "SEV3"], in: repo).stdout.trimmingCharacters(in: .newlines)
    let second = try box.incident(["declare", "Copy", "--severity", "SEV3"], in: repo).stdout.trimmingCharacters(in: .newlines)
    let selfDup = try box.incident(["status", second, "declined", "--reason", "duplicate:\(second.suffix(4))"], in: repo)
    #expect(selfDup.status == 1)
    let r = try box.incident(["status", second, "declined", "--reason", "duplicate:\(first.suffix(4).lowercased())"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let show = try #require(try box.json(try box.incident(["show", second, "--json"], in: repo).stdout) as? [String: Any])
    #expect(show["declined_reason"] as? String == "duplicate:\(first)")
  }

  @Test func backfilledDeclareUsesTheGivenTimes() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let r = try box.incident(["declare", "Yesterday", "--severity", "SEV3", "--detected-at", "2026-01-10T10:00:00Z", "--commander", "Bo Chen"], in: repo)
    let id = r.stdout.trimmingCharacters(in: .newlines)
    #expect(try box.incident(["status", id, "mitigated", "--at", "2026-01-10T10:30:00Z"], in: repo).status == 0)
    let show = try #require(try box.json(try box.incident(["show", id, "--json"], in: repo).stdout) as? [String: Any])
    let times = try #require(show["times"] as? [String: Any])
    #expect(times["acknowledged_at"] as? String == "2026-01-10T10:00:00Z")
    let badTime = try box.incident(["note", id, "x", "--at", "2026-01-10T10:00:00"], in: repo)
    #expect(badTime.status == 64)
    #expect(badTime.stderr.contains("RFC 3339"))
    #expect(try box.incident([], in: repo).status == 64)
  }
}
