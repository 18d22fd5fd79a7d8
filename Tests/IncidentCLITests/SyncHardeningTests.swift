import Foundation
import Testing

/// A tester's attacks on sync and the merge driver, end to end with local bare remotes, clones
/// A and B and git's CLI as the witness.
@Suite("Sync hardening")
struct SyncHardeningTests {
  typealias World = SyncAcceptanceTests.World

  /// PATH with the built executable first, for git's merge driver.
  func driverPath(_ w: World) -> String {
    Sandbox.executable.deletingLastPathComponent().path + ":" + (w.box.environment["PATH"] ?? "")
  }

  /// Configures the merge driver in a clone.
  func configureDriver(_ w: World, _ dir: URL) throws {
    try w.box.git(["config", "merge.incident.driver", "git-incident merge-driver %O %A %B %P"], in: dir)
  }

  /// Makes a copy of B and of the remote, the copy of B pointing at the copy of the remote.
  func copyOfB(_ w: World) throws -> URL {
    let remote2 = w.box.path("remote2.git")
    let b2 = w.box.path("B2")
    try FileManager.default.copyItem(at: w.remote, to: remote2)
    try FileManager.default.copyItem(at: w.b, to: b2)
    try w.box.git(["remote", "set-url", "origin", remote2.path], in: b2)
    return b2
  }

  /// 1. Action items added on both sides after a postmortem exists: actions.yaml merges and the
  /// generated block is rebuilt from the merged items, by sync and by `git pull` alike.
  @Test func actionsAddedOnBothSidesRegenerateTheBlock() throws {
    let w = try World()
    defer { w.box.remove() }
    try w.run(["postmortem", "new", w.id, "--force"], in: w.a)
    try w.run(["sync"], in: w.a)
    try w.run(["sync"], in: w.b)
    let a1 = try w.run(["action", "add", w.id, "Add a canary for checkout"], in: w.a).stdout
    let b1 = try w.run(["action", "add", w.id, "Page on checkout errors"], in: w.b).stdout
    try w.box.git(["push", "-q", "origin", "main"], in: w.a)
    let b2 = try copyOfB(w)
    try configureDriver(w, w.b)
    let pull = try w.box.run("/usr/bin/git", ["pull", "--no-rebase", "--no-edit", "-q"], in: w.b, env: ["PATH": driverPath(w)])
    #expect(pull.status == 0, "\(pull.stdout) \(pull.stderr)")
    let r = try w.box.incident(["sync"], in: b2)
    #expect(r.status == 0, "\(r.stderr)")
    for dir in [w.b, b2] {
      let pm = try String(contentsOf: dir.appendingPathComponent(w.folder(w.id) + "/postmortem.md"), encoding: .utf8)
      let actions = try String(contentsOf: dir.appendingPathComponent(w.folder(w.id) + "/actions.yaml"), encoding: .utf8)
      for ref in [a1, b1] {
        let action = String(ref.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "/").last!)
        #expect(actions.contains("- id: \(action)\n"), "\(actions)")
        #expect(pm.contains("| \(action) |"), "\(pm)")
      }
      #expect(pm.contains("Add a canary for checkout") && pm.contains("Page on checkout errors"))
      #expect(!pm.contains("<<<<<<<") && !pm.contains("placeholder"))
      #expect(pm.components(separatedBy: "<!-- git-incident:actions:begin -->").count == 2)
      #expect(try w.box.git(["status", "--porcelain"], in: dir) == "")
    }
    #expect(try w.records(w.b) == w.records(b2))
  }

  /// 1. Under `git pull` the driver merges actions.yaml (added on both sides) even when the
  /// postmortem's body conflicts: only postmortem.md is left for the person.
  @Test func driverMergesActionsWhenThePostmortemBodyConflicts() throws {
    let w = try World()
    defer { w.box.remove() }
    try w.run(["postmortem", "new", w.id, "--force"], in: w.a)
    try w.run(["sync"], in: w.a)
    try w.run(["sync"], in: w.b)
    let pm = w.folder(w.id) + "/postmortem.md"
    for (dir, title, summary) in [(w.a, "Add a canary", "Ours."), (w.b, "Page on errors", "Theirs.")] {
      try w.run(["action", "add", w.id, title], in: dir)
      let url = dir.appendingPathComponent(pm)
      let text = try String(contentsOf: url, encoding: .utf8)
      let summaryAt = try #require(text.range(of: "## Summary\n"))
      var edited = text
      edited.insert(contentsOf: "\n" + summary + "\n", at: summaryAt.upperBound)
      try edited.write(to: url, atomically: true, encoding: .utf8)
      try w.box.git(["commit", "-q", "-am", "\(w.id): summary"], in: dir)
    }
    try w.box.git(["push", "-q", "origin", "main"], in: w.a)
    try configureDriver(w, w.b)
    let pull = try w.box.run("/usr/bin/git", ["pull", "--no-rebase", "--no-edit"], in: w.b, env: ["PATH": driverPath(w)])
    #expect(pull.status == 1)
    #expect(try w.box.git(["diff", "--name-only", "--diff-filter=U"], in: w.b) == pm + "\n", "\(pull.stdout) \(pull.stderr)")
    let actions = try String(contentsOf: w.b.appendingPathComponent(w.folder(w.id) + "/actions.yaml"), encoding: .utf8)
    #expect(actions.contains("title: Add a canary\n") && actions.contains("title: Page on errors\n"), "\(actions)")
  }

  /// Installs an executable hook in a bare remote.
  func hook(_ w: World, _ name: String, _ body: String) throws {
    let url = w.remote.appendingPathComponent("hooks/" + name)
    try ("#!/bin/sh\n" + body).write(to: url, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
  }

  /// 2. A push the server's pre-receive hook declines (over git://) stops at once with the
  /// remote's reason and message; it is not retried as a race.
  @Test func aDeclinedPushStopsAtOnceWithTheRemotesMessage() throws {
    let w = try World()
    defer { w.box.remove() }
    try hook(w, "pre-receive", "cat >/dev/null\necho x >> attempts\necho 'policy: pushes to main need a review' >&2\nexit 1\n")
    let daemon = try GitDaemon(basePath: w.box.root)
    defer { daemon.stop() }
    try w.box.git(["remote", "set-url", "origin", daemon.url("remote.git")], in: w.a)
    let before = try w.box.git(["rev-parse", "main"], in: w.remote)
    try w.run(["note", w.id, "note from A"], in: w.a)
    let r = try w.box.incident(["sync"], in: w.a)
    #expect(r.status == 1)
    #expect(r.stderr.contains("origin (\(daemon.url("remote.git"))) refused the push: refs/heads/main: pre-receive hook declined"), "\(r.stderr)")
    #expect(r.stderr.contains("  remote: policy: pushes to main need a review\n"), "\(r.stderr)")
    #expect(!r.stderr.contains("kept moving"))
    let attempts = try String(contentsOf: w.remote.appendingPathComponent("attempts"), encoding: .utf8)
    #expect(attempts == "x\n", "one attempt, not retried")
    #expect(try w.box.git(["rev-parse", "main"], in: w.remote) == before)
  }

  /// 2. A local remote with server hooks: libgit2 cannot run them, so sync refuses to push
  /// (instead of reporting a push git itself would decline).
  @Test func aLocalRemoteWithHooksIsNotPushedTo() throws {
    let w = try World()
    defer { w.box.remove() }
    try hook(w, "pre-receive", "cat >/dev/null\nexit 1\n")
    let before = try w.box.git(["rev-parse", "main"], in: w.remote)
    try w.run(["note", w.id, "note from A"], in: w.a)
    for url in [w.remote.path, "file://" + w.remote.path] {
      try w.box.git(["remote", "set-url", "origin", url], in: w.a)
      let r = try w.box.incident(["sync"], in: w.a)
      #expect(r.status == 1)
      #expect(r.stderr.contains("will not push to origin (\(url)): it has server hooks (\(w.remote.path)/hooks/pre-receive) and libgit2 pushes to a local path by writing the repository directly, so it cannot run the remote's hooks; push with `git push`, or reach this remote through a git://, ssh:// or https:// URL"), "\(r.stderr)")
      #expect(try w.box.git(["rev-parse", "main"], in: w.remote) == before)
    }
    // A hook that is not executable does not run under git either: the push goes ahead.
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: w.remote.appendingPathComponent("hooks/pre-receive").path)
    let r = try w.run(["sync"], in: w.a)
    #expect(r.stdout.hasSuffix("1 incident pushed\n"), "\(r.stdout)")
  }

  /// 3. An incident removed on one side and changed on the other is a conflict for a person:
  /// the sync stops, names the incident and files, and changes nothing.
  @Test func modifyDeleteStopsTheSync() throws {
    let w = try World()
    defer { w.box.remove() }
    try w.box.git(["rm", "-q", "-r", w.folder(w.id)], in: w.a)
    try w.box.git(["commit", "-q", "-m", "\(w.id): removed"], in: w.a)
    try w.run(["sync"], in: w.a)
    try w.run(["note", w.id, "still investigating"], in: w.b)
    let before = try w.box.git(["rev-parse", "HEAD"], in: w.b)
    let remoteBefore = try w.box.git(["rev-parse", "main"], in: w.remote)
    let r = try w.box.incident(["sync"], in: w.b)
    #expect(r.status == 1)
    let theirs = String(remoteBefore.prefix(7))
    let ours = String(before.prefix(7))
    #expect(r.stderr.contains("\(w.id) was removed on one side and changed on the other:\n  CONFLICT (modify/delete): \(w.folder(w.id))/timeline.yaml deleted in theirs (origin/main \(theirs)) and modified in ours (main \(ours))\n"), "\(r.stderr)")
    #expect(!r.stderr.contains("incident.yaml deleted"), "only the changed file is named")
    #expect(try w.box.git(["rev-parse", "HEAD"], in: w.b) == before)
    #expect(try w.box.git(["rev-parse", "main"], in: w.remote) == remoteBefore)
    #expect(try w.box.git(["status", "--porcelain"], in: w.b) == "")
    #expect(FileManager.default.fileExists(atPath: w.b.appendingPathComponent(w.folder(w.id) + "/incident.yaml").path))
  }

  /// 7. When git calls the driver for incident.yaml only (the timeline changed on one side),
  /// the driver cannot write the merge event and says so instead of claiming it.
  @Test func theDriverDoesNotClaimAnEventItCannotWrite() throws {
    let w = try World()
    defer { w.box.remove() }
    let file = w.folder(w.id) + "/incident.yaml"
    let url = w.a.appendingPathComponent(file)
    let text = try String(contentsOf: url, encoding: .utf8)
    try text.replacingOccurrences(of: "severity: SEV2\n", with: "severity: SEV4\n").write(to: url, atomically: true, encoding: .utf8)
    try w.box.git(["commit", "-q", "-am", "severity by hand"], in: w.a)
    try w.box.git(["push", "-q", "origin", "main"], in: w.a)
    try w.run(["severity", w.id, "SEV1"], in: w.b)
    try configureDriver(w, w.b)
    let pull = try w.box.run("/usr/bin/git", ["pull", "--no-rebase", "--no-edit", "-q"], in: w.b, env: ["PATH": driverPath(w)])
    #expect(pull.status == 0, "\(pull.stderr)")
    #expect(pull.stderr.contains("git-incident: \(file): severity: kept SEV1; the losing value SEV4 is not recorded in the timeline by `git pull`; use `git incident sync` to record it\n"), "\(pull.stderr)")
    #expect(!pull.stderr.contains("in a merge event"))
    let timeline = try String(contentsOf: w.b.appendingPathComponent(w.folder(w.id) + "/timeline.yaml"), encoding: .utf8)
    #expect(!timeline.contains("type: merge"))
  }

  /// 7. `git pull --rebase` gives the driver no merge context: it refuses (exit 1, the file
  /// left as ours) instead of picking values by text order.
  @Test func theDriverRefusesDuringARebase() throws {
    let w = try World()
    defer { w.box.remove() }
    try w.run(["severity", w.id, "SEV1"], in: w.a)
    try w.run(["sync"], in: w.a)
    try w.run(["severity", w.id, "SEV3"], in: w.b)
    try configureDriver(w, w.b)
    let pull = try w.box.run("/usr/bin/git", ["pull", "--rebase", "-q"], in: w.b, env: ["PATH": driverPath(w)])
    #expect(pull.status != 0)
    #expect(pull.stderr.contains("git-incident: \(w.folder(w.id))/incident.yaml is left as your version: git rebase is not supported for record files, because the merge driver then has no merge context"), "\(pull.stderr)")
    #expect(try w.box.git(["diff", "--name-only", "--diff-filter=U"], in: w.b).contains("incident.yaml"))
    _ = try w.box.run("/usr/bin/git", ["rebase", "--abort"], in: w.b, env: [:])
  }

  /// 12. Two incidents declared under one ID (simulated by `git mv`): `git pull` refuses to mix
  /// them and points to sync.
  @Test func theDriverRefusesTwoIncidentsUnderOneID() throws {
    let w = try World()
    defer { w.box.remove() }
    let other = try w.run(["declare", "Search is slow", "--severity", "SEV3"], in: w.a).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    try w.box.git(["push", "-q", "origin", "main"], in: w.a)
    let mine = try w.run(["declare", "Login fails", "--severity", "SEV2"], in: w.b).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    try FileManager.default.createDirectory(at: w.b.appendingPathComponent(w.folder(other)).deletingLastPathComponent(), withIntermediateDirectories: true)
    try w.box.git(["mv", w.folder(mine), w.folder(other)], in: w.b)
    let url = w.b.appendingPathComponent(w.folder(other) + "/incident.yaml")
    try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: mine, with: other).write(to: url, atomically: true, encoding: .utf8)
    try w.box.git(["commit", "-q", "-am", "same ID"], in: w.b)
    try configureDriver(w, w.b)
    let pull = try w.box.run("/usr/bin/git", ["pull", "--no-rebase", "--no-edit"], in: w.b, env: ["PATH": driverPath(w)])
    #expect(pull.status == 1)
    #expect(pull.stderr.contains("\(other) was declared on both sides as two different incidents (declared events "), "\(pull.stderr)")
    #expect(pull.stderr.contains("run `git incident sync`, which keeps both under two IDs"))
    let incident = try String(contentsOf: url, encoding: .utf8)
    #expect(incident.contains("title: Login fails\n") && !incident.contains("Search is slow"), "left as ours, not mixed")
  }

  /// 10. An invalid record committed by hand on one side stops the sync, naming the side, the
  /// file, and the line and column in that committed file; nothing changes.
  @Test func invalidRecordsOnOneSideStopTheSync() throws {
    let w = try World()
    defer { w.box.remove() }
    let file = w.folder(w.id) + "/incident.yaml"
    let url = w.a.appendingPathComponent(file)
    let text = try String(contentsOf: url, encoding: .utf8)
    try text.replacingOccurrences(of: "status: reported\n", with: "status: bogus\n").write(to: url, atomically: true, encoding: .utf8)
    try w.box.git(["commit", "-q", "-am", "by hand"], in: w.a)
    try w.box.git(["push", "-q", "origin", "main"], in: w.a)
    let line = text.components(separatedBy: "\n").firstIndex(of: "status: reported")! + 1
    try w.run(["note", w.id, "from B"], in: w.b)
    let before = try w.box.git(["rev-parse", "HEAD"], in: w.b)
    let remoteBefore = try w.box.git(["rev-parse", "main"], in: w.remote)
    let r = try w.box.incident(["sync"], in: w.b)
    #expect(r.status == 1)
    #expect(r.stderr.contains("theirs (origin/main \(remoteBefore.prefix(7))) has an invalid \(file): \(file):\(line):9: status: "), "\(r.stderr)")
    #expect(!r.stderr.contains("in the same lines"))
    #expect(try w.box.git(["rev-parse", "HEAD"], in: w.b) == before)
    #expect(try w.box.git(["rev-parse", "main"], in: w.remote) == remoteBefore)
    #expect(try w.box.git(["status", "--porcelain"], in: w.b) == "")

    #expect(r.stderr.hasSuffix("; fix it in a commit on that side (`git incident audit` lists such problems)\n"), "\(r.stderr)")

    // Broken YAML on our side (theirs fixed): named as ours.
    try w.box.git(["revert", "--no-edit", "HEAD"], in: w.a)
    try w.box.git(["push", "-q", "origin", "main"], in: w.a)
    let tl = w.folder(w.id) + "/timeline.yaml"
    try "events: [\n".write(to: w.b.appendingPathComponent(tl), atomically: true, encoding: .utf8)
    try w.box.git(["commit", "-q", "-am", "broken"], in: w.b)
    let mine = try w.box.git(["rev-parse", "HEAD"], in: w.b)
    let broken = try w.box.incident(["sync"], in: w.b)
    #expect(broken.status == 1)
    #expect(broken.stderr.contains("ours (main \(mine.prefix(7))) has an invalid \(tl): \(tl):"), "\(broken.stderr)")
    #expect(try w.box.git(["rev-parse", "HEAD"], in: w.b) == mine)
  }

  /// 11. Messages: a missing path, a remote without the local unborn branch, a settings-only
  /// merge, and the first push of a new branch say what is so.
  @Test func messagesSayWhatHappened() throws {
    let w = try World()
    defer { w.box.remove() }
    let nowhere = w.box.path("nonexistent.git").path
    let gone = try w.box.incident(["sync", nowhere], in: w.a)
    #expect(gone.status == 1)
    #expect(gone.stderr == "git-incident: error: cannot fetch from \(nowhere) (\(nowhere)): the path \(nowhere) does not exist; give the path of a git repository or a URL\n", "\(gone.stderr)")

    let fresh = w.box.path("fresh")
    try w.box.git(["init", "-q", "-b", "master", fresh.path], in: w.box.root)
    try w.box.git(["remote", "add", "origin", w.remote.path], in: fresh)
    let unborn = try w.box.incident(["sync"], in: fresh)
    #expect(unborn.status == 1)
    #expect(unborn.stderr == "git-incident: error: origin has no branch master (its branches: main) and master has no commits; sync one of them with `git incident sync origin --branch main`\n", "\(unborn.stderr)")

    // Settings changed on one side, a template on the other.
    let settings = w.a.appendingPathComponent("git-incident.yaml")
    try (String(contentsOf: settings, encoding: .utf8) + "# team A\n").write(to: settings, atomically: true, encoding: .utf8)
    try w.box.git(["commit", "-q", "-am", "settings"], in: w.a)
    try w.run(["sync"], in: w.a)
    let template = w.b.appendingPathComponent("templates/postmortem.md")
    try (String(contentsOf: template, encoding: .utf8) + "\n<!-- team B -->\n").write(to: template, atomically: true, encoding: .utf8)
    try w.box.git(["commit", "-q", "-am", "template"], in: w.b)
    let r = try w.run(["sync"], in: w.b)
    #expect(r.stdout == "settings (git-incident.yaml) merged, templates/postmortem.md pushed\n", "\(r.stdout)")

    let first = try w.run(["sync", "--branch", "release"], in: w.b)
    let files = try w.box.git(["ls-tree", "-r", "--name-only", "HEAD"], in: w.b).split(separator: "\n").filter { !$0.hasPrefix("incidents/") }
    #expect(first.stdout == "pushed new branch release (1 incident and \(files.count) other files)\n", "\(first.stdout)")
    #expect(try w.box.git(["rev-parse", "release"], in: w.remote) == w.box.git(["rev-parse", "HEAD"], in: w.b))
  }

  /// 11. After a push refused because the remote moved, the counts cover every round.
  @Test func retriedRoundsAreCounted() throws {
    let w = try World()
    defer { w.box.remove() }
    try w.run(["note", w.id, "note from B"], in: w.b)
    try w.run(["sync"], in: w.b)
    // C declares an incident the remote moves to while A's push is in flight.
    let c = w.box.path("C")
    try w.box.git(["clone", "-q", w.remote.path, c.path], in: w.box.root)
    try w.run(["declare", "Search is slow", "--severity", "SEV3"], in: c)
    try w.box.git(["push", "-q", "origin", "main:refs/heads/pending"], in: c)
    let pending = try w.box.git(["rev-parse", "HEAD"], in: c).trimmingCharacters(in: .whitespacesAndNewlines)
    try w.box.git(["update-ref", "-d", "refs/heads/pending"], in: w.remote)
    try pending.write(to: w.remote.appendingPathComponent("pending"), atomically: true, encoding: .utf8)
    try hook(w, "pre-receive", """
      cat >/dev/null
      if [ ! -f moved ]; then
        touch moved
        unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
        git update-ref refs/heads/main "$(cat pending)"
      fi
      exit 0

      """)
    let daemon = try GitDaemon(basePath: w.box.root)
    defer { daemon.stop() }
    try w.box.git(["remote", "set-url", "origin", daemon.url("remote.git")], in: w.a)
    try w.run(["note", w.id, "note from A"], in: w.a)
    let r = try w.run(["sync"], in: w.a)
    #expect(r.stdout == "2 incidents merged, 1 pushed\n", "\(r.stdout) \(r.stderr)")
  }
}
