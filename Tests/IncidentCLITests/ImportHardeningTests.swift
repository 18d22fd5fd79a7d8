import Foundation
import Testing

/// Crafted inputs against `git incident import`, end to end through the built executable:
/// control and bidirectional characters, dates before 1970 and implausible years, Markdown
/// source IDs, equal update times, daylight-saving transitions, uncommitted settings, and the
/// small things (status `from`, missing paths, front matter lines, numeric IDs).
@Suite("Import hardening")
struct ImportHardeningTests {
  static func repository(_ box: Sandbox) throws -> URL {
    let repo = box.path("repo")
    let r = try box.incident(["init", "-C", repo.path])
    #expect(r.status == 0, "\(r.stderr)")
    return repo
  }

  static func write(_ box: Sandbox, _ name: String, _ text: String) throws -> URL {
    let url = box.path("in/" + name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
    return url
  }

  /// A Statuspage incident with the given updates (status, display_at, body).
  static func statuspage(id: String, name: String, created: String, updates: [(String, String, String)]) -> String {
    let list = updates.enumerated().map { n, u in
      #"{"id": "u\#(n)", "status": "\#(u.0)", "display_at": "\#(u.1)", "created_at": "\#(u.1)", "body": \#(json(u.2))}"#
    }.joined(separator: ",\n")
    return #"{"incident": {"id": "\#(id)", "name": \#(json(name)), "impact": "minor", "created_at": "\#(created)", "incident_updates": [\#(list)]}}"#
  }

  static func json(_ s: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes]), as: UTF8.self)
      .dropFirst().dropLast().description
  }

  static func folder(of id: String) -> String { "incidents/\(id.split(separator: "-")[1].prefix(4))/\(id)" }

  static func ids(_ run: Sandbox.Run) throws -> [String: String] {
    let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout) \(run.stderr)")
    var ids: [String: String] = [:]
    for item in report["imported"] as? [[String: Any]] ?? [] {
      ids[try #require((item["source"] as? [String: String])?["id"])] = try #require(item["id"] as? String)
    }
    return ids
  }

  static let forbidden: [UInt32] = [0x00, 0x1B, 0x7F, 0x85, 0x202A, 0x202E, 0x2066, 0x2069]
  static func forbiddenIn(_ text: String) -> [UInt32] {
    text.unicodeScalars.map(\.value).filter { forbidden.contains($0) }
  }

  // MARK: 1, 8

  /// Entities (`&#x202E;`, `&#27;`, `&#0;`) and raw characters never reach the records or the
  /// exports; each record gets one warning naming the file and fields; the import succeeds.
  /// The other named entities of HTML 4 and `<pre>` line breaks come through.
  @Test func controlAndBidiCharactersAreRemovedWithOneWarning() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    _ = try Self.write(box, "sp/evil.json", Self.statuspage(
      id: "evil1", name: "Checkout \u{202E}down\u{1B}[31m", created: "2024-05-01T10:00:00Z",
      updates: [
        ("investigating", "2024-05-01T10:05:00Z", "<p>We see &#x202E;errors&#27;[2J and &#0;nul; caf&eacute; &euro;1 &hearts;</p><pre>step 1\n  step 2</pre>"),
        ("resolved", "2024-05-01T11:00:00Z", "Fixed\u{2066}."),
      ]))
    let r = try box.incident(["import", "statuspage", box.path("in/sp").path, "--json"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let id = try #require(try Self.ids(r)["evil1"])
    #expect(r.stderr.contains("evil.json: removed control or bidirectional characters (U+202E, U+001B, U+0000, U+2066) from incident.name, incident.incident_updates[0].body, incident.incident_updates[1].body; "), "\(r.stderr)")
    #expect(r.stderr.components(separatedBy: "removed control").count == 2, "one warning per record")

    let md = "---\ntitle: \"Title \\e[1m bold\"\nstart_time: 2024-06-01T08:00:00Z\n---\n\n| time | event |\n|---|---|\n| 2024-06-01 08:05 | rollback \u{202E}kcab started |\n"
    _ = try Self.write(box, "md/pm.md", md)
    let m = try box.incident(["import", "markdown", box.path("in/md").path, "--json"], in: repo)
    #expect(m.status == 0, "\(m.stderr)")
    let mid = try #require(try Self.ids(m)["pm.md"])
    #expect(m.stderr.contains("pm.md: removed control or bidirectional characters (U+202E, U+001B) from line 8, title; "), "\(m.stderr)")

    let timeline = try String(contentsOf: repo.appendingPathComponent(Self.folder(of: id) + "/timeline.yaml"), encoding: .utf8)
    #expect(Self.forbiddenIn(timeline).isEmpty, "\(timeline)")
    #expect(timeline.contains("We see errors[2J and nul; café €1 ♥"), "\(timeline)")
    #expect(timeline.contains("    step 1\n      step 2\n"), "<pre> keeps its lines: \(timeline)")
    let incident = try String(contentsOf: repo.appendingPathComponent(Self.folder(of: id) + "/incident.yaml"), encoding: .utf8)
    #expect(incident.contains("title: Checkout down[31m\n"), "\(incident)")
    let mdTimeline = try String(contentsOf: repo.appendingPathComponent(Self.folder(of: mid) + "/timeline.yaml"), encoding: .utf8)
    #expect(mdTimeline.contains("text: rollback kcab started\n"), "\(mdTimeline)")
    #expect(Self.forbiddenIn(try String(contentsOf: repo.appendingPathComponent(Self.folder(of: mid) + "/postmortem.md"), encoding: .utf8)).isEmpty)

    for format in ["json", "csv", "markdown"] {
      let e = try box.incident(["export", "--format", format], in: repo)
      #expect(e.status == 0)
      #expect(Self.forbiddenIn(e.stdout).isEmpty, "\(format) export holds no control or bidi characters")
    }
  }

  // MARK: 2

  /// Times before 1970 keep their value in the record, but commits get the import time as
  /// author date (git would show 1969 as 2105), with a warning; year 0000 or 0999 skips the
  /// record with file and field, as an error, exit 1.
  @Test func datesBefore1970AndImplausibleYears() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    let start = Date().timeIntervalSince1970.rounded(.down) - 1
    _ = try Self.write(box, "sp/moon.json", Self.statuspage(
      id: "moon", name: "Eagle has landed", created: "1969-07-20T20:00:00Z",
      updates: [("investigating", "1969-07-20T20:17:40Z", "Contact light"), ("resolved", "1970-01-02T00:00:00Z", "Home")]))
    _ = try Self.write(box, "sp/zero.json", Self.statuspage(
      id: "zero", name: "Year zero", created: "0000-01-01T00:00:00Z",
      updates: [("resolved", "2020-01-01T00:00:00Z", "x")]))
    _ = try Self.write(box, "md/old.md", "---\ntitle: Old\nstart_time: 0999-12-31T00:00:00Z\n---\nbody\n")
    let r = try box.incident(["import", "statuspage", box.path("in/sp").path, "--json"], in: repo)
    #expect(r.status == 1)
    let id = try #require(try Self.ids(r)["moon"])
    #expect(r.stderr.contains("moon.json: incident.incident_updates[0].display_at: before 1970; git cannot be trusted with commit times before 1970"), "\(r.stderr)")
    #expect(r.stderr.contains("git-incident: error: skipped \(box.path("in/sp/zero.json").path): incident.created_at: '0000-01-01T00:00:00Z': the year 0 is implausible; expected a year from 1000 to 9999"), "\(r.stderr)")
    #expect(r.stderr.contains("error: skipped"), "skipped records are errors")
    #expect(!r.stderr.contains("warning: skipped"))

    let dates = try box.git(["log", "--reverse", "--format=%at", "--", Self.folder(of: id)], in: repo)
      .split(separator: "\n").compactMap { Double(String($0)) }
    #expect(dates.count == 3)
    #expect(dates[0] >= start && dates[1] >= start, "pre-1970 steps carry the import time: \(dates)")
    #expect(dates[2] == 86_400, "1970-01-02 is kept")
    #expect(!(try box.git(["log", "--format=%ad", "--date=iso-strict"], in: repo)).contains("2105"))
    let yaml = try String(contentsOf: repo.appendingPathComponent(Self.folder(of: id) + "/incident.yaml"), encoding: .utf8)
    #expect(yaml.contains("detected_at: \"1969-07-20T20:00:00Z\"\n"))
    #expect(yaml.contains("reported_at: \"1969-07-20T20:17:40Z\"\n"))

    let m = try box.incident(["import", "markdown", box.path("in/md").path], in: repo)
    #expect(m.status == 1)
    #expect(m.stderr.contains("error: skipped \(box.path("in/md/old.md").path): start_time: '0999-12-31T00:00:00Z': the year 999 is implausible"), "\(m.stderr)")
  }

  // MARK: 3

  /// Same-named Markdown files in different folders are two incidents (source IDs are paths
  /// relative to the folder given); importing again is a no-op; two files with the same ID in
  /// one run are a collision: the second is skipped naming both files, exit 1.
  @Test func markdownSourceIDsAreRelativePathsAndCollisionsAreErrors() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    _ = try Self.write(box, "pm/teamA/postmortem.md", "---\ntitle: Team A outage\nstart_time: 2024-01-01T10:00:00Z\n---\nA\n")
    _ = try Self.write(box, "pm/teamB/postmortem.md", "---\ntitle: Team B outage\nstart_time: 2024-02-01T10:00:00Z\n---\nB\n")
    let r = try box.incident(["import", "markdown", box.path("in/pm").path, "--json"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let ids = try Self.ids(r)
    #expect(Set(ids.keys) == ["teamA/postmortem.md", "teamB/postmortem.md"])
    let again = try box.incident(["import", "markdown", box.path("in/pm").path], in: repo)
    #expect(again.status == 0)
    #expect(again.stdout.contains("imported 0 incidents in 0 commits; 2 already present; 0 skipped"), "\(again.stdout)")

    _ = try Self.write(box, "dup/one.md", "---\nuuid: same-id\ntitle: One\nstart_time: 2024-03-01T10:00:00Z\n---\n1\n")
    _ = try Self.write(box, "dup/two.md", "---\nuuid: same-id\ntitle: Two\nstart_time: 2024-03-02T10:00:00Z\n---\n2\n")
    let d = try box.incident(["import", "markdown", box.path("in/dup").path], in: repo)
    #expect(d.status == 1)
    #expect(d.stdout.contains("imported 1 incident in 1 commit; 0 already present; 1 skipped"), "\(d.stdout)")
    #expect(d.stderr.contains("error: skipped \(box.path("in/dup/two.md").path): collision: its source ID markdown:same-id is also the source ID of \(box.path("in/dup/one.md").path), imported in this run"), "\(d.stderr)")
  }

  // MARK: 6

  /// Updates displayed at the same time replay in lifecycle order (never a reopen); zone-less
  /// times in a DST gap or repeated hour warn with the instant chosen.
  @Test func equalTimesNeverReopenAndDSTTransitionsWarn() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    // As the API lists them, newest first: read backwards the old order put resolved first.
    _ = try Self.write(box, "sp/same.json", Self.statuspage(
      id: "same", name: "Same second", created: "2024-04-01T10:00:00Z",
      updates: [("investigating", "2024-04-01T10:00:00Z", "Looking"), ("resolved", "2024-04-01T10:00:00Z", "Fixed")]))
    let r = try box.incident(["import", "statuspage", box.path("in/sp").path, "--json"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let id = try #require(try Self.ids(r)["same"])
    let steps = try box.git(["log", "--reverse", "--format=%(trailers:key=Incident-Import-Step,valueonly)", "--", Self.folder(of: id)], in: repo)
      .split(separator: "\n").map(String.init)
    #expect(steps == ["declare", "status", "status"], "\(steps)")
    let show = try #require(try box.json(try box.incident(["show", id, "--json"], in: repo).stdout) as? [String: Any])
    #expect(show["status"] as? String == "resolved")

    let settings = repo.appendingPathComponent("git-incident.yaml")
    try (try String(contentsOf: settings, encoding: .utf8) + "timezone: America/New_York\n").write(to: settings, atomically: true, encoding: .utf8)
    try box.git(["commit", "-qam", "timezone"], in: repo)
    _ = try Self.write(box, "md/dst.md", "---\ntitle: DST\nstart_time: 2024-03-10 02:30\nend_time: 2024-11-03 01:30\n---\nbody\n")
    let m = try box.incident(["import", "markdown", box.path("in/md").path, "--json"], in: repo)
    #expect(m.status == 0, "\(m.stderr)")
    #expect(m.stderr.contains("dst.md: start_time: '2024-03-10 02:30' does not exist in America/New_York (the clocks moved forward over it); read as 2024-03-10T07:30:00Z"), "\(m.stderr)")
    #expect(m.stderr.contains("dst.md: end_time: '2024-11-03 01:30' happened twice in America/New_York (the clocks moved back); read as the first, 2024-11-03T05:30:00Z (-04:00), not 2024-11-03T06:30:00Z (-05:00)"), "\(m.stderr)")
    let dst = try #require(try Self.ids(m)["dst.md"])
    let yaml = try String(contentsOf: repo.appendingPathComponent(Self.folder(of: dst) + "/incident.yaml"), encoding: .utf8)
    #expect(yaml.contains("started_at: \"2024-03-10T07:30:00Z\"\n") && yaml.contains("resolved_at: \"2024-11-03T05:30:00Z\"\n"), "\(yaml)")
  }

  // MARK: 7

  /// The time zone warning names the committed settings, and an uncommitted edit of
  /// git-incident.yaml is reported as not used.
  @Test func uncommittedSettingsAreNamedAsNotUsed() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    let settings = repo.appendingPathComponent("git-incident.yaml")
    try (try String(contentsOf: settings, encoding: .utf8) + "timezone: Europe/Berlin\n").write(to: settings, atomically: true, encoding: .utf8)
    _ = try Self.write(box, "md/local.md", "---\ntitle: Local\nstart_time: 2024-01-15 12:00\n---\nbody\n")
    let r = try box.incident(["import", "markdown", box.path("in/md").path, "--json"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("start_time: '2024-01-15 12:00' has no time zone; read in UTC (timezone in the committed git-incident.yaml) as 2024-01-15T12:00:00Z"), "\(r.stderr)")
    #expect(r.stderr.contains("warning: git-incident.yaml has uncommitted changes, which are not used"), "\(r.stderr)")
    try box.git(["checkout", "--", "git-incident.yaml"], in: repo)
    _ = try Self.write(box, "md2/local2.md", "---\ntitle: Local 2\nstart_time: 2024-01-16 12:00\n---\nbody\n")
    let clean = try box.incident(["import", "markdown", box.path("in/md2").path], in: repo)
    #expect(!clean.stderr.contains("uncommitted"), "\(clean.stderr)")
  }

  // MARK: 10

  /// `show` of a Markdown import says `reported -> resolved`; a missing path is an error naming
  /// it (exit 1); front matter errors name the Markdown file's line; a numeric Statuspage
  /// `incident.id` is taken as text, a fractional one named as a number.
  @Test func smallThings() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    _ = try Self.write(box, "md/ok.md", "---\ntitle: Fine\nstart_time: 2024-01-01T10:00:00Z\nend_time: 2024-01-01T11:00:00Z\n---\nbody\n")
    _ = try Self.write(box, "md/dup.md", "---\ntitle: a\nstart_time: 2024-01-01T10:00:00Z\ntitle: b\n---\nbody\n")
    let r = try box.incident(["import", "markdown", box.path("in/md").path, box.path("in/nope").path, "--json"], in: repo)
    #expect(r.status == 1)
    let id = try #require(try Self.ids(r)["ok.md"])
    #expect(r.stderr.contains("error: skipped \(box.path("in/md/dup.md").path): front matter, line 4, column 1: duplicate key \"title\" (first defined at line 2, column 1)"), "\(r.stderr)")
    #expect(r.stderr.contains("error: skipped \(box.path("in/nope").path): no such file or folder"), "\(r.stderr)")
    let show = try box.incident(["show", id], in: repo)
    #expect(show.stdout.contains("status reported -> resolved"), "\(show.stdout)")
    #expect(!show.stdout.contains("?"), "\(show.stdout)")

    try Data(#"{"incident": {"id": 4711, "name": "Numeric", "impact": "minor", "created_at": "2024-01-01T10:00:00Z", "incident_updates": [{"id": 1, "status": "resolved", "display_at": "2024-01-01T11:00:00Z", "body": "ok"}]}}"#.utf8)
      .write(to: Self.write(box, "sp/num.json", ""))
    try Data(#"{"incident": {"id": 4.5, "name": "Fraction", "incident_updates": [{"status": "resolved", "display_at": "2024-01-01T11:00:00Z"}]}}"#.utf8)
      .write(to: Self.write(box, "sp/frac.json", ""))
    let s = try box.incident(["import", "statuspage", box.path("in/sp").path, "--json"], in: repo)
    #expect(s.status == 1)
    #expect(try Self.ids(s)["4711"] != nil)
    #expect(s.stderr.contains("frac.json: incident.id: expected a string, found a number"), "\(s.stderr)")
  }

  /// The files an import reads: a folder's matching files in path order (hidden files and
  /// folders, other extensions and folders named like files left out, symbolic links
  /// followed), a file named again or reached through a folder read once, and the problems of
  /// paths that do not exist before those of files that cannot be used.
  @Test func filesCollectedOnceInPathOrder() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    let pm = "---\ntitle: T\nstart_time: 2024-01-01T10:00:00Z\nend_time: 2024-01-01T11:00:00Z\n---\nbody\n"
    _ = try Self.write(box, "md/b.md", pm)
    _ = try Self.write(box, "md/a/c.markdown", pm)
    _ = try Self.write(box, "md/.hidden.md", pm)
    _ = try Self.write(box, "md/.drafts/d.md", pm)
    _ = try Self.write(box, "md/notes.txt", pm)
    _ = try Self.write(box, "md/bad.md", "---\ntitle: [unclosed\n---\nbody\n")
    try FileManager.default.createDirectory(at: box.path("in/md/folder.md"), withIntermediateDirectories: true)
    let outside = try Self.write(box, "elsewhere/e.md", pm)
    try FileManager.default.createSymbolicLink(at: box.path("in/md/link.md"), withDestinationURL: outside)
    // A second name for b.md: the same file, read once.
    try FileManager.default.createSymbolicLink(atPath: box.path("in/md/z-alias.md").path, withDestinationPath: "b.md")
    let r = try box.incident([
      "import", "markdown", box.path("in/md/b.md").path, box.path("in/md/").path, box.path("in/missing").path,
      box.path("in/md/./a/c.markdown").path, "--json",
    ], in: repo)
    #expect(r.status == 1)
    let report = try #require(try box.json(r.stdout) as? [String: Any])
    let sources = (report["imported"] as? [[String: Any]] ?? []).compactMap { ($0["source"] as? [String: String])?["id"] }
    #expect(sources == ["b.md", "a/c.markdown", "link.md"])
    let skipped = (report["skipped"] as? [[String: Any]] ?? []).compactMap { $0["file"] as? String }
    #expect(skipped == [box.path("in/missing").path, box.path("in/md/bad.md").path], "\(skipped)")
  }
}
