import Foundation
import Testing

/// Issue 4's acceptance list, end to end through the built executable, with local bare
/// repositories (and `git daemon` on 127.0.0.1) as remotes and git's CLI as the witness.
@Suite("Sync acceptance")
struct SyncAcceptanceTests {
  /// A seed repository with one incident, a bare remote made from it, and clones A and B.
  struct World {
    var box: Sandbox
    var id: String
    var remote: URL
    var a: URL
    var b: URL

    init() throws {
      box = try Sandbox()
      let seed = box.path("seed")
      try box.incident(["init", "-C", seed.path])
      id = try box.incident(["declare", "Checkout returns 500s", "--severity", "SEV2"], in: seed)
        .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      remote = box.path("remote.git")
      a = box.path("A")
      b = box.path("B")
      try box.git(["clone", "-q", "--bare", seed.path, remote.path], in: box.root)
      try box.git(["clone", "-q", remote.path, a.path], in: box.root)
      try box.git(["clone", "-q", remote.path, b.path], in: box.root)
    }

    /// `incidents/<year>/<id>`.
    func folder(_ id: String) -> String { "incidents/\(id.split(separator: "-")[1].prefix(4))/\(id)" }

    @discardableResult
    func run(_ args: [String], in dir: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> Sandbox.Run {
      let r = try box.incident(args, in: dir)
      #expect(r.status == 0, "\(args): \(r.stderr)", sourceLocation: sourceLocation)
      return r
    }

    /// Every record file under a clone (path to bytes).
    func records(_ dir: URL) throws -> [String: Data] {
      var out: [String: Data] = [:]
      let base = dir.appendingPathComponent("incidents")
      let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
      while let url = e?.nextObject() as? URL {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue {
          out[String(url.path.dropFirst(dir.path.count + 1))] = try Data(contentsOf: url)
        }
      }
      out["git-incident.yaml"] = try Data(contentsOf: dir.appendingPathComponent("git-incident.yaml"))
      return out
    }

    /// The story of acceptance 1, offline: A sets severity and adds 3 notes; B changes status
    /// and severity, adds 2 notes and an action item, and declares a new incident.
    func tellStory() throws -> (newID: String, action: String) {
      try run(["severity", id, "SEV1"], in: a)
      for n in 1...3 { try run(["note", id, "note a\(n)"], in: a) }
      try run(["status", id, "mitigated", "--note", "rolled back"], in: b)
      try run(["severity", id, "SEV3"], in: b)
      for n in 1...2 { try run(["note", id, "note b\(n)"], in: b) }
      let actions = "actions:\n- id: act-7k3q\n  title: Add a canary for checkout\n  owner: Bo Chen\n  status: open\n"
      let path = b.appendingPathComponent(folder(id) + "/actions.yaml")
      try actions.write(to: path, atomically: true, encoding: .utf8)
      try box.git(["add", folder(id) + "/actions.yaml"], in: b)
      try box.git(["commit", "-q", "-m", "\(id): action act-7k3q"], in: b)
      let newID = try run(["declare", "Search is slow", "--severity", "SEV3"], in: b)
        .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      return (newID, "act-7k3q")
    }

    /// Checks the merged story in a clone: all notes once, the action, both incidents, and
    /// the losing severity in a merge event.
    func checkStory(_ dir: URL, newID: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
      let timeline = try String(contentsOf: dir.appendingPathComponent(folder(id) + "/timeline.yaml"), encoding: .utf8)
      for note in ["note a1", "note a2", "note a3", "note b1", "note b2"] {
        #expect(timeline.components(separatedBy: "text: \(note)\n").count == 2, "\(note) exactly once", sourceLocation: sourceLocation)
      }
      let actions = try String(contentsOf: dir.appendingPathComponent(folder(id) + "/actions.yaml"), encoding: .utf8)
      #expect(actions.contains("id: act-7k3q"), sourceLocation: sourceLocation)
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(folder(newID) + "/incident.yaml").path), sourceLocation: sourceLocation)
      let incident = try String(contentsOf: dir.appendingPathComponent(folder(id) + "/incident.yaml"), encoding: .utf8)
      let kept = incident.contains("severity: SEV1\n") ? "SEV1" : "SEV3"
      let lost = kept == "SEV1" ? "SEV3" : "SEV1"
      #expect(incident.contains("severity: \(kept)\n"), sourceLocation: sourceLocation)
      #expect(incident.contains("status: mitigated\n"), sourceLocation: sourceLocation)
      #expect(timeline.contains("type: merge\n  from: \(lost)\n  to: \(kept)\n"), "merge event records \(lost): \(timeline)", sourceLocation: sourceLocation)
      #expect(timeline.contains("field: severity\n"), sourceLocation: sourceLocation)
      #expect(!timeline.contains("<<<<<<<") && !incident.contains("<<<<<<<"), sourceLocation: sourceLocation)
    }
  }

  /// 1. A syncs, B syncs, A syncs: identical records, everything kept, the loser recorded.
  @Test func twoClonesConvergeWithEverythingKept() throws {
    let w = try World()
    defer { w.box.remove() }
    let (newID, _) = try w.tellStory()
    let first = try w.run(["sync"], in: w.a)
    #expect(first.stdout.hasSuffix("1 incident pushed\n"), "\(first.stdout)")
    let second = try w.run(["sync"], in: w.b)
    #expect(second.stdout.hasSuffix("1 incident merged, 2 pushed\n"), "\(second.stdout)")
    let third = try w.run(["sync"], in: w.a)
    #expect(third.stdout.hasSuffix("2 incidents updated (fast-forward), 0 pushed\n"), "\(third.stdout)")
    #expect(try w.records(w.a) == w.records(w.b))
    try w.checkStory(w.a, newID: newID)
    // One merge commit with two parents, the merge trailers, and clean trees everywhere.
    let merges = try w.box.git(["log", "--merges", "--format=%P%x00%(trailers:only,unfold)"], in: w.a)
    let parts = merges.components(separatedBy: "\0")
    #expect(parts[0].split(separator: " ").count == 2)
    #expect(parts[1].contains("Incident: \(w.id)\nIncident-Change: merge\n"), "\(parts[1])")
    for dir in [w.a, w.b] {
      #expect(try w.box.git(["status", "--porcelain"], in: dir) == "")
      #expect(try w.box.run("/usr/bin/git", ["fsck", "--strict"], in: dir, env: [:]).status == 0)
    }
    #expect(try w.box.git(["rev-parse", "HEAD"], in: w.a) == w.box.git(["rev-parse", "main"], in: w.remote))
    let again = try w.run(["sync"], in: w.b)
    #expect(again.stdout == "already up to date with origin/main\n")
  }

  /// 3. The same story with plain `git pull` (merge driver configured) gives byte-identical
  /// records to `sync` on a copy of the same clones.
  @Test func gitPullWithTheMergeDriverMatchesSync() throws {
    let w = try World()
    defer { w.box.remove() }
    let (newID, _) = try w.tellStory()
    try w.box.git(["push", "-q", "origin", "main"], in: w.a)
    // A copy of B and of the remote: one is merged by git pull, the other by sync.
    let remote2 = w.box.path("remote2.git")
    let b2 = w.box.path("B2")
    try FileManager.default.copyItem(at: w.remote, to: remote2)
    try FileManager.default.copyItem(at: w.b, to: b2)
    try w.box.git(["remote", "set-url", "origin", remote2.path], in: b2)

    let attributes = try String(contentsOf: w.b.appendingPathComponent(".gitattributes"), encoding: .utf8)
    #expect(attributes == "incidents/** merge=incident\ngit-incident.yaml merge=incident\n")
    try w.box.git(["config", "merge.incident.driver", "git-incident merge-driver %O %A %B %P"], in: w.b)
    let path = Sandbox.executable.deletingLastPathComponent().path + ":" + (w.box.environment["PATH"] ?? "")
    let pull = try w.box.run("/usr/bin/git", ["pull", "--no-rebase", "--no-edit", "-q"], in: w.b, env: ["PATH": path])
    #expect(pull.status == 0, "\(pull.stderr)")
    try w.run(["sync"], in: b2)

    try w.checkStory(w.b, newID: newID)
    #expect(try w.records(w.b) == w.records(b2))
    #expect(try w.box.git(["status", "--porcelain"], in: w.b) == "")
  }

  /// The seed repository's config and attributes after `init`.
  @Test func initConfiguresTheMergeDriver() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    #expect(try box.git(["config", "merge.incident.driver"], in: repo) == "git-incident merge-driver %O %A %B %P\n")
    #expect(try box.git(["check-attr", "merge", "--", "incidents/2026/INC-20260101-AAAA/incident.yaml", "git-incident.yaml"], in: repo)
      == "incidents/2026/INC-20260101-AAAA/incident.yaml: merge: incident\ngit-incident.yaml: merge: incident\n")
    #expect(try box.git(["ls-tree", "--name-only", "HEAD"], in: repo) == ".gitattributes\ngit-incident.yaml\nplaybooks\ntemplates\n")
  }

  /// 4. (and git://) A push refused because the remote moved is retried and lands; the
  /// remote's commits are kept.
  @Test func refusedPushIsRetriedAndKeepsTheRemoteCommits() throws {
    let w = try World()
    defer { w.box.remove() }
    // C prepares a commit the remote will move to while A's push is in flight.
    let c = w.box.path("C")
    try w.box.git(["clone", "-q", w.remote.path, c.path], in: w.box.root)
    try w.run(["note", w.id, "note from C"], in: c)
    try w.box.git(["push", "-q", "origin", "main:refs/heads/pending"], in: c)
    let pending = try w.box.git(["rev-parse", "HEAD"], in: c).trimmingCharacters(in: .whitespacesAndNewlines)
    try w.box.git(["update-ref", "-d", "refs/heads/pending"], in: w.remote)
    try pending.write(to: w.remote.appendingPathComponent("pending"), atomically: true, encoding: .utf8)
    let hook = w.remote.appendingPathComponent("hooks/pre-receive")
    try """
      #!/bin/sh
      cat >/dev/null
      if [ ! -f moved ]; then
        touch moved
        unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
        git update-ref refs/heads/main "$(cat pending)"
      fi
      exit 0

      """.write(to: hook, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook.path)

    let daemon = try GitDaemon(basePath: w.box.root)
    defer { daemon.stop() }
    try w.box.git(["remote", "set-url", "origin", daemon.url("remote.git")], in: w.a)
    try w.run(["note", w.id, "note from A"], in: w.a)
    let r = try w.run(["sync"], in: w.a)
    #expect(r.stdout.hasSuffix("1 incident merged, 1 pushed\n"), "\(r.stdout) \(r.stderr)")
    #expect(FileManager.default.fileExists(atPath: w.remote.appendingPathComponent("moved").path))
    let main = try w.box.git(["rev-parse", "main"], in: w.remote).trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(main == (try w.box.git(["rev-parse", "HEAD"], in: w.a).trimmingCharacters(in: .whitespacesAndNewlines)))
    let isAncestor = try w.box.run("/usr/bin/git", ["merge-base", "--is-ancestor", pending, "main"], in: w.remote, env: [:])
    #expect(isAncestor.status == 0, "the remote's commit is kept")
    let timeline = try w.box.git(["show", "main:\(w.folder(w.id))/timeline.yaml"], in: w.remote)
    #expect(timeline.contains("text: note from C\n") && timeline.contains("text: note from A\n"))
    #expect(try w.box.git(["log", "-1", "--format=%(trailers:key=Incident-Change,valueonly)", "main"], in: w.remote) == "merge\n\n")
  }

  /// 5. A remote that always answers 401 fails within 10 seconds with the message naming the
  /// remote and what was tried.
  @Test func badCredentialsFailFast() throws {
    let w = try World()
    defer { w.box.remove() }
    let server = try UnauthorizedHTTPServer()
    defer { server.stop() }
    try w.box.git(["remote", "set-url", "origin", server.url("remote.git")], in: w.a)
    let start = Date()
    let r = try w.box.incident(["sync"], in: w.a, env: ["GIT_INCIDENT_TOKEN": "not-a-valid-token"])
    let elapsed = Date().timeIntervalSince(start)
    #expect(r.status == 1)
    #expect(elapsed < 10)
    #expect(r.stderr == "git-incident: error: authentication failed for origin (\(server.url("remote.git"))): tried token from GIT_INCIDENT_TOKEN (each refused)\n", "\(r.stderr)")
    #expect(!r.stderr.contains("not-a-valid-token"))
    #expect(server.requests >= 2)
    // Without any credential the message says so, just as fast.
    let none = try w.box.incident(["sync"], in: w.a)
    #expect(none.status == 1)
    #expect(none.stderr.contains("authentication failed for origin (\(server.url("remote.git"))): tried nothing (no credentials available"))
  }

  /// 6. A postmortem paragraph edited on both sides stops the sync, names the section, and
  /// leaves the repository exactly as it was.
  @Test func postmortemTextConflictStopsAndChangesNothing() throws {
    let w = try World()
    defer { w.box.remove() }
    let pm = w.folder(w.id) + "/postmortem.md"
    let template = """
      ---
      status: draft
      authors:
      - Ana Lima
      ---
      # Postmortem

      ## Summary

      Checkout failed.

      ## Impact

      Some customers could not pay.

      ## Root causes

      To be written.

      """
    try template.write(to: w.a.appendingPathComponent(pm), atomically: true, encoding: .utf8)
    try w.box.git(["add", pm], in: w.a)
    try w.box.git(["commit", "-q", "-m", "\(w.id): postmortem draft"], in: w.a)
    try w.run(["sync"], in: w.a)
    try w.run(["sync"], in: w.b)
    func edit(_ dir: URL, _ impact: String, author: String) throws {
      let text = template.replacingOccurrences(of: "Some customers could not pay.", with: impact)
        .replacingOccurrences(of: "- Ana Lima\n", with: "- Ana Lima\n- \(author)\n")
      try text.write(to: dir.appendingPathComponent(pm), atomically: true, encoding: .utf8)
      try w.box.git(["commit", "-q", "-am", "\(w.id): impact"], in: dir)
    }
    try edit(w.a, "12% of payments failed for 40 minutes.", author: "Bo Chen")
    try edit(w.b, "All card payments failed in the EU.", author: "Cy Diaz")
    try w.run(["sync"], in: w.a)
    let before = try w.box.git(["rev-parse", "HEAD"], in: w.b)
    let bytes = try Data(contentsOf: w.b.appendingPathComponent(pm))
    let r = try w.box.incident(["sync"], in: w.b)
    #expect(r.status == 1)
    #expect(r.stderr.contains("\(pm) was changed on both sides in the same lines of section 'Impact'"), "\(r.stderr)")
    #expect(try w.box.git(["rev-parse", "HEAD"], in: w.b) == before)
    #expect(try w.box.git(["status", "--porcelain"], in: w.b) == "")
    #expect(!FileManager.default.fileExists(atPath: w.b.appendingPathComponent(".git/MERGE_HEAD").path))
    #expect(try Data(contentsOf: w.b.appendingPathComponent(pm)) == bytes)
    let grep = try w.box.run("/usr/bin/git", ["grep", "-q", "<<<<<<<"], in: w.b, env: [:])
    #expect(grep.status == 1, "no conflict marker anywhere")
  }

  /// Uncommitted record edits, detached HEAD, shallow clone, unknown remote: clear refusals.
  @Test func refusalsAreClear() throws {
    let w = try World()
    defer { w.box.remove() }
    let file = w.folder(w.id) + "/incident.yaml"
    let original = try Data(contentsOf: w.a.appendingPathComponent(file))
    try (original + Data("# mine\n".utf8)).write(to: w.a.appendingPathComponent(file))
    let dirty = try w.box.incident(["sync"], in: w.a)
    #expect(dirty.status == 1)
    #expect(dirty.stderr.contains("uncommitted changes to \(file)"), "\(dirty.stderr)")
    try original.write(to: w.a.appendingPathComponent(file))

    let missing = try w.box.incident(["sync", "upstream"], in: w.a)
    #expect(missing.status == 1)
    #expect(missing.stderr == "git-incident: error: no remote named 'upstream'; remotes: origin; add one with `git remote add upstream <url>` or give a URL or path: `git incident sync <url>`\n", "\(missing.stderr)")

    let gone = try w.box.incident(["sync", w.box.path("nowhere.git").path], in: w.a)
    #expect(gone.status == 1)
    #expect(gone.stderr.hasPrefix("git-incident: error: cannot fetch from \(w.box.path("nowhere.git").path) ("), "\(gone.stderr)")

    try w.box.git(["checkout", "-q", "--detach"], in: w.a)
    let detached = try w.box.incident(["sync"], in: w.a)
    #expect(detached.status == 1)
    #expect(detached.stderr.contains("HEAD is detached"))

    let shallow = w.box.path("shallow")
    try w.box.git(["clone", "-q", "--depth", "1", "file://" + w.remote.path, shallow.path], in: w.box.root)
    let s = try w.box.incident(["sync"], in: shallow)
    #expect(s.status == 1)
    #expect(s.stderr.contains("this is a shallow clone"), "\(s.stderr)")
  }
}
