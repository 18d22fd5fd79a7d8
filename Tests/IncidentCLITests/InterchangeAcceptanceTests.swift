import Foundation
import Testing

/// Issue 6's acceptance list (import, export, stats, report), end to end through the built
/// executable on the real data in `<package root>/../shared/data`, with git's CLI and Python's
/// `jsonschema` and `csv` modules as independent witnesses.
@Suite("Interchange acceptance")
struct InterchangeAcceptanceTests {
  /// `<package root>/../shared/data`, the package root being the folder holding Package.swift.
  static let data: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
      url = url.deletingLastPathComponent()
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
    }
    return url.deletingLastPathComponent().appendingPathComponent("shared/data")
  }()

  static var statuspage: URL { data.appendingPathComponent("statuspage/github") }

  /// Each Statuspage file as parsed JSON, by incident ID.
  static func statuspageIncidents() throws -> [String: [String: Any]] {
    var out: [String: [String: Any]] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: statuspage.path) where name.hasSuffix(".json") {
      let object = try JSONSerialization.jsonObject(with: Data(contentsOf: statuspage.appendingPathComponent(name)))
      let incident = try #require((object as? [String: Any])?["incident"] as? [String: Any])
      out[try #require(incident["id"] as? String)] = incident
    }
    return out
  }

  static func instant(_ text: String) throws -> Date {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return try #require(f.date(from: text) ?? ISO8601DateFormatter().date(from: text), "\(text)")
  }

  /// A new repository with `init` done.
  static func repository(_ box: Sandbox) throws -> URL {
    let repo = box.path("repo")
    let r = try box.incident(["init", "-C", repo.path])
    #expect(r.status == 0, "\(r.stderr)")
    return repo
  }

  /// Imports and returns the report of `--json`, keyed by source ID.
  static func importJSON(_ box: Sandbox, _ system: String, _ path: URL, in repo: URL, env: [String: String] = [:],
                         expectStatus: Int32 = 0) throws -> (ids: [String: String], run: Sandbox.Run) {
    let r = try box.incident(["import", system, path.path, "--json"], in: repo, env: env)
    #expect(r.status == expectStatus, "\(r.stderr)")
    let report = try #require(try box.json(r.stdout) as? [String: Any], "\(r.stdout)")
    var ids: [String: String] = [:]
    for item in report["imported"] as? [[String: Any]] ?? [] {
      let source = try #require(item["source"] as? [String: String])
      ids[try #require(source["id"])] = try #require(item["id"] as? String)
    }
    return (ids, r)
  }

  static func folder(of id: String) -> String {
    "incidents/\(id.split(separator: "-")[1].prefix(4))/\(id)"
  }

  /// The Python interpreter that has `jsonschema` and `yaml`, as found with this process's own
  /// environment (the sandbox's HOME would hide a per-user installation such as pyenv's).
  static let pythonExecutable: String = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import sys, jsonschema, yaml; print(sys.executable)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return "/usr/bin/python3" }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return process.terminationStatus == 0 && !path.isEmpty ? path : "/usr/bin/python3"
  }()

  /// Runs a Python script with arguments; returns its run.
  static func python(_ box: Sandbox, _ script: String, _ arguments: [String]) throws -> Sandbox.Run {
    let file = box.path("check.py")
    try script.write(to: file, atomically: true, encoding: .utf8)
    return try box.run(pythonExecutable, [file.path] + arguments, in: box.root, env: [:])
  }

  /// `<package root>/schema`.
  static let schema: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
      url = url.deletingLastPathComponent()
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
    }
    return url.appendingPathComponent("schema")
  }()

  // MARK: 1

  /// 1. One incident per file; commits = incidents + updates; each incident's first and last
  /// commit author dates are its first and last display_at; importing again adds nothing;
  /// --dry-run writes nothing.
  @Test func statuspageImportReplaysEveryUpdate() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    let source = try Self.statuspageIncidents()
    let updates = source.values.reduce(0) { $0 + (($1["incident_updates"] as? [Any])?.count ?? 0) }
    #expect(source.count == 62)

    let dry = try box.incident(["import", "statuspage", Self.statuspage.path, "--dry-run"], in: repo)
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(dry.stdout.contains("dry run: would import 62 incidents in \(62 + updates) commits"), "\(dry.stdout)")
    #expect(try box.commitCount(in: repo) == 1)

    let (ids, _) = try Self.importJSON(box, "statuspage", Self.statuspage, in: repo)
    #expect(ids.count == source.count)
    #expect(Set(ids.keys) == Set(source.keys))
    #expect(try box.commitCount(in: repo) == 1 + source.count + updates)
    let listed = try #require(try box.json(try box.incident(["list", "--json"], in: repo).stdout) as? [[String: Any]])
    #expect(listed.count == source.count)

    for (sourceID, incident) in source {
      let id = try #require(ids[sourceID])
      let displayed = try (incident["incident_updates"] as? [[String: Any]] ?? []).map {
        try Self.instant(try #require($0["display_at"] as? String))
      }.sorted()
      let dates = try box.git(["log", "--reverse", "--format=%at", "--", Self.folder(of: id)], in: repo)
        .split(separator: "\n").compactMap { TimeInterval(String($0)) }
      #expect(dates.count == displayed.count + 1, "\(id): declare + one commit per update")
      #expect(dates.first == displayed.first!.timeIntervalSince1970.rounded(.down), "\(id) first commit")
      #expect(dates.last == displayed.last!.timeIntervalSince1970.rounded(.down), "\(id) last commit")
    }

    // The largest incident: 29 updates, HTML bodies as plain text, trailers.
    let big = try #require(ids["t2xwk9mz56f4"])
    let trailers = try box.git(["log", "-1", "--format=%(trailers:only,unfold)", "--", Self.folder(of: big)], in: repo)
    #expect(trailers.contains("Incident: \(big)\n"))
    #expect(trailers.contains("Incident-Change: import\n"))
    #expect(trailers.contains("Incident-Status: resolved\n"))
    #expect(trailers.contains("Incident-Source: statuspage:t2xwk9mz56f4\n"))
    let yaml = try String(contentsOf: repo.appendingPathComponent(Self.folder(of: big) + "/incident.yaml"), encoding: .utf8)
    #expect(yaml.contains("source:\n  system: statuspage\n  id: t2xwk9mz56f4\n"))
    #expect(yaml.contains("severity: SEV2\n"), "impact major -> SEV2")
    let legacy = try #require(ids["01sqkcp7z62r"])
    let timeline = try String(contentsOf: repo.appendingPathComponent(Self.folder(of: legacy) + "/timeline.yaml"), encoding: .utf8)
    #expect(!timeline.contains("<li>") && !timeline.contains("<strong>"), "HTML became text")
    #expect(timeline.contains("- 2011-07-28 03:06:00 - One of our file servers failed over"), "\(timeline)")

    #expect(try box.git(["status", "--porcelain"], in: repo) == "")
    let fsck = try box.run("/usr/bin/git", ["fsck", "--strict"], in: repo, env: [:])
    #expect(fsck.status == 0, "\(fsck.stderr)")

    let before = try box.commitCount(in: repo)
    let again = try box.incident(["import", "statuspage", Self.statuspage.path], in: repo)
    #expect(again.status == 0)
    #expect(again.stdout.contains("imported 0 incidents in 0 commits; 62 already present; 0 skipped"), "\(again.stdout)")
    #expect(try box.commitCount(in: repo) == before)
  }

  // MARK: 2

  /// 2. stats --json: median and p90 time to resolve equal the values computed here from the
  /// JSON files: resolved = the first update with status resolved, detected = created_at;
  /// median the middle value (mean of the two middle ones), p90 nearest rank.
  @Test func statsMatchAnIndependentComputation() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    _ = try Self.importJSON(box, "statuspage", Self.statuspage, in: repo)
    var values: [Double] = []
    for incident in try Self.statuspageIncidents().values {
      let created = try Self.instant(try #require(incident["created_at"] as? String))
      let resolved = try (incident["incident_updates"] as? [[String: Any]] ?? [])
        .filter { $0["status"] as? String == "resolved" }
        .map { try Self.instant(try #require($0["display_at"] as? String)) }.min()
      values.append(try #require(resolved).timeIntervalSince(created))
    }
    values.sort()
    let median = values.count % 2 == 1 ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
    let p90 = values[Int((0.9 * Double(values.count)).rounded(.up)) - 1]

    let r = try box.incident(["stats", "--json"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let stats = try #require(try box.json(r.stdout) as? [String: Any])
    let overall = try #require(stats["overall"] as? [String: Any])
    #expect(overall["count"] as? Int == 62)
    let ttr = try #require((overall["metrics"] as? [String: Any])?["time_to_resolve"] as? [String: Any])
    #expect(ttr["formula"] as? String == "resolved_at - detected_at")
    #expect(ttr["n"] as? Int == 62)
    #expect(abs(try #require(ttr["median"] as? Double) - median) < 0.001, "median \(String(describing: ttr["median"])) vs \(median)")
    #expect(abs(try #require(ttr["p90"] as? Double) - p90) < 0.001, "p90 \(String(describing: ttr["p90"])) vs \(p90)")
    #expect(p90 > 3600, "the data's p90 is over an hour (\(p90)), so the check is not trivial")
    #expect((stats["formulas"] as? [String: String])?["time_to_detect"] == "detected_at - started_at")
    #expect((stats["percentile_definition"] as? String)?.contains("nearest rank") == true)

    let text = try box.incident(["stats", "--by", "severity"], in: repo).stdout
    for line in ["time to resolve", "resolved_at - detected_at", "acknowledged_at - detected_at", "severity SEV1: 1 incident"] {
      #expect(text.contains(line), "stats names \(line)")
    }
  }

  // MARK: 3

  /// 3. The 10 VERIS files are 10 security incidents (the near-identical pair stays two); the
  /// out-of-range dbir_year is a warning naming its file and field.
  @Test func verisImportsTenSecurityIncidents() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    let (ids, run) = try Self.importJSON(box, "veris", Self.data.appendingPathComponent("veris/vcdb"), in: repo)
    #expect(ids.count == 10)
    let listed = try #require(try box.json(try box.incident(["list", "--json"], in: repo).stdout) as? [[String: Any]])
    #expect(listed.count == 10)
    #expect(listed.allSatisfy { $0["kind"] as? String == "security" })
    let twinA = try #require(ids["E12ACA81-EFCF-4096-8D2D-4D54E9898077"])
    let twinB = try #require(ids["F1CD56BA-3C76-4F21-B738-4E806BE33542"])
    #expect(twinA != twinB)
    #expect(run.stderr.contains("02620773-d19c-4c20-b84e-fb298949948b.JSON: plus.dbir_year: 220 is out of range"), "\(run.stderr)")

    let tmobile = try #require(ids["bd2fec90-459d-11ed-9a6c-911ade1670b5"])
    let yaml = try String(contentsOf: repo.appendingPathComponent(Self.folder(of: tmobile) + "/incident.yaml"), encoding: .utf8)
    #expect(yaml.contains("kind: security\n"))
    #expect(yaml.contains("summary: manager stole creds and used them to unlock/unblock phones\n"))
    #expect(yaml.contains("started_at: \"2019-06-01T00:00:00Z\"\n"))
    #expect(yaml.contains("detected_at: \"2024-05-30T00:00:00Z\"\n"), "start + 5 years of 365 days (timeline.discovery)")
    #expect(yaml.contains("\nveris:\n"))
    #expect(yaml.contains("      industry: \"000\"\n"), "the leading-zero code stays a string")
    #expect(yaml.contains("    dbir_year: 220\n"), "the out-of-range value is kept")
    #expect(yaml.contains("    master_id: \"02620773-d19c-4c20-b84e-fb298949948b\"\n"), "the master ID is kept (quoted: YAML 1.1 could read it as a number)")
    let hindi = try #require(ids["fb184ba0-e0c4-11ef-bb83-fdfe95aef2b7"])
    let show = try #require(try box.json(try box.incident(["show", hindi, "--json"], in: repo).stdout) as? [String: Any])
    #expect((show["title"] as? String) == "Hacking, Social at Taj Hotels")

    let again = try box.incident(["import", "veris", Self.data.appendingPathComponent("veris/vcdb").path], in: repo)
    #expect(again.stdout.contains("10 already present"))
  }

  // MARK: 4

  /// 4. Markdown postmortems keep titles, times and bodies; a date without a zone is the same
  /// instant under two `TZ` settings (and moves with git-incident.yaml's timezone); files with
  /// no time at all are skipped with file and field, and the exit code is 1.
  @Test func markdownImportKeepsTitlesTimesAndBodies() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let folder = Self.data.appendingPathComponent("postmortems")
    var started: [String] = []
    for (n, tz) in ["UTC", "Asia/Kolkata"].enumerated() {
      let repo = box.path("repo\(n)")
      #expect(try box.incident(["init", "-C", repo.path]).status == 0)
      let (ids, run) = try Self.importJSON(box, "markdown", folder, in: repo, env: ["TZ": tz], expectStatus: 1)
      #expect(run.stderr.contains("6d1c63bd-3529-4120-8a00-18ee6647f3f0.md: start_time: no time found"), "\(run.stderr)")
      #expect(run.stderr.contains("8d9c6ffe-67d1-4a6b-8363-7c69182b4199.md: start_time: no time found"))
      #expect(run.stderr.contains("2018-05-25-us-east-conn-issues.md: date: '2018-04-25 04:13:00' has no time zone; read in UTC"), "\(run.stderr)")
      #expect(ids.count == 11)
      // Source IDs of files found in a folder are their paths relative to that folder.
      let cstate = try #require(ids["cstate/2018-05-25-us-east-conn-issues.md"])
      let yaml = try String(contentsOf: repo.appendingPathComponent(Self.folder(of: cstate) + "/incident.yaml"), encoding: .utf8)
      started.append(yaml.split(separator: "\n").first { $0.hasPrefix("started_at:") }.map(String.init) ?? "")

      let eve = try #require(ids["01494547-7ee9-4169-a0c0-d921fa309d83"])
      let show = try #require(try box.json(try box.incident(["show", eve, "--json"], in: repo).stdout) as? [String: Any])
      #expect(show["title"] as? String == "EVE Online: Trinity installer deletes boot.ini")
      #expect(show["status"] as? String == "resolved")
      #expect(show["postmortem_status"] as? String == "published")
      let times = try #require(show["times"] as? [String: Any])
      #expect(times["started_at"] as? String == "2007-12-05T22:04:00Z")
      #expect(times["resolved_at"] as? String == "2007-12-06T06:08:00Z")
      let postmortem = try String(contentsOf: repo.appendingPathComponent(Self.folder(of: eve) + "/postmortem.md"), encoding: .utf8)
      #expect(postmortem.hasPrefix("---\nstatus: published\n"))
      #expect(postmortem.contains("\n---\n\nOn December 5, 2007, shortly after the release of the EVE Online: Trinity expansion"))

      let dfds = try #require(ids["dfds/PM2021-006 - All services returning 503 in Kubernetes.md"])
      let dfdsShow = try #require(try box.json(try box.incident(["show", dfds, "--json"], in: repo).stdout) as? [String: Any])
      #expect(dfdsShow["title"] as? String == "All services returning 503 in Kubernetes")
      let events = try #require(dfdsShow["timeline"] as? [[String: Any]])
      #expect(events.contains { $0["at"] as? String == "2021-06-30T10:04:00Z" && ($0["text"] as? String)?.hasPrefix("Target group manually reattached") == true })

      let polish = try #require(ids["cf16d8bc-b4cd-469d-94e4-e39fcec5aec9"])
      let polishShow = try #require(try box.json(try box.incident(["show", polish, "--json"], in: repo).stdout) as? [String: Any])
      #expect(polishShow["title"] as? String == "Medium editor bug preventing Polish 'Ś' character input")
      #expect(try box.git(["status", "--porcelain"], in: repo) == "")
    }
    #expect(started == ["started_at: \"2018-04-25T04:13:00Z\"", "started_at: \"2018-04-25T04:13:00Z\""])

    // The repository's timezone decides how a zone-less date is read.
    let berlin = box.path("berlin")
    #expect(try box.incident(["init", "-C", berlin.path]).status == 0)
    let settings = berlin.appendingPathComponent("git-incident.yaml")
    try (try String(contentsOf: settings, encoding: .utf8) + "timezone: Europe/Berlin\n").write(to: settings, atomically: true, encoding: .utf8)
    try box.git(["commit", "-qam", "timezone"], in: berlin)
    let cstateFile = folder.appendingPathComponent("cstate/2018-05-25-us-east-conn-issues.md")
    let (ids, run) = try Self.importJSON(box, "markdown", cstateFile, in: berlin)
    #expect(run.stderr.contains("read in Europe/Berlin"))
    let id = try #require(ids["2018-05-25-us-east-conn-issues.md"])
    let yaml = try String(contentsOf: berlin.appendingPathComponent(Self.folder(of: id) + "/incident.yaml"), encoding: .utf8)
    #expect(yaml.contains("started_at: \"2018-04-25T02:13:00Z\"\n"), "04:13 CEST is 02:13 UTC")
  }

  // MARK: 5

  /// 5. export --format json validates against schema/export.json, and every record file
  /// against its schema, with Python's jsonschema; export --format csv parses with Python's csv
  /// module, one row per incident.
  @Test func exportValidatesAndParses() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    _ = try Self.importJSON(box, "statuspage", Self.statuspage, in: repo)
    let (veris, _) = try Self.importJSON(box, "veris", Self.data.appendingPathComponent("veris/vcdb"), in: repo)
    _ = try Self.importJSON(box, "markdown", Self.data.appendingPathComponent("postmortems/icco"), in: repo, expectStatus: 1)
    let id = try #require(veris["bd2fec90-459d-11ed-9a6c-911ade1670b5"])
    try """
      actions:
      - id: A1B2C
        title: Revoke shared credentials
        type: prevent
        priority: high
        status: open
        owner: Bo Chen <bo@example.com>
        due: "2020-01-31"
        created_at: "2019-12-01T10:00:00Z"
        created_by: Ana Lima <ana@example.com>
      - id: A3D4E
        title: Alert on bulk unlocks
        status: done
        done_at: "2020-01-10T09:00:00Z"
        done_by: Bo Chen <bo@example.com>

      """.write(to: repo.appendingPathComponent(Self.folder(of: id) + "/actions.yaml"), atomically: true, encoding: .utf8)
    try box.git(["add", "-A"], in: repo)
    try box.git(["commit", "-qm", "\(id): action items"], in: repo)

    let json = try box.incident(["export", "--format", "json", "--output", box.path("export.json").path], in: repo)
    #expect(json.status == 0, "\(json.stderr)")
    let csv = try box.incident(["export", "--format", "csv"], in: repo)
    #expect(csv.status == 0)
    try csv.stdout.write(to: box.path("export.csv"), atomically: true, encoding: .utf8)
    let expected = 62 + 10 + 4  // icco: 6 files, 2 without any time skipped

    let check = try Self.python(box, """
      import csv, glob, json, sys, yaml
      from jsonschema import Draft202012Validator as V
      schema, repo, export, table = sys.argv[1:5]
      def load(name): return json.load(open(f"{schema}/{name}.json"))
      def check(name, doc, where):
          errors = sorted(V(load(name)).iter_errors(doc), key=str)
          if errors: sys.exit(f"{where}: {errors[0].message} at {list(errors[0].path)}")
      doc = json.load(open(export))
      check("export", doc, "export")
      n = 0
      for f in sorted(glob.glob(f"{repo}/incidents/*/*/incident.yaml")):
          check("incident", yaml.safe_load(open(f)), f); n += 1
      for f in glob.glob(f"{repo}/incidents/*/*/timeline.yaml"):
          check("timeline", yaml.safe_load(open(f)), f)
      actions = glob.glob(f"{repo}/incidents/*/*/actions.yaml")
      for f in actions:
          check("actions", yaml.safe_load(open(f)), f)
      check("git-incident", yaml.safe_load(open(f"{repo}/git-incident.yaml")), "git-incident.yaml")
      with open(table, newline="") as fh:
          rows = list(csv.reader(fh))
      header = rows[0]
      ids = [r[0] for r in rows[1:]]
      ttr = {r[0]: r[header.index("time_to_resolve_seconds")] for r in rows[1:]}
      print(json.dumps({"incidents": len(doc["incidents"]), "files": n, "actions": len(actions),
                        "rows": len(rows) - 1, "unique": len(set(ids)), "width": sorted(set(len(r) for r in rows)),
                        "ttr_filled": sum(1 for v in ttr.values() if v)}))
      """, [Self.schema.path, repo.path, box.path("export.json").path, box.path("export.csv").path])
    #expect(check.status == 0, "\(check.stderr)")
    let result = try #require(try box.json(check.stdout) as? [String: Any], "\(check.stdout)")
    #expect(result["incidents"] as? Int == expected)
    #expect(result["files"] as? Int == expected)
    #expect(result["actions"] as? Int == 1)
    #expect(result["rows"] as? Int == expected)
    #expect(result["unique"] as? Int == expected)
    #expect(result["width"] as? [Int] == [8 + 11 + 4 + 5])
    #expect(result["ttr_filled"] as? Int == 62, "only Statuspage incidents have both detected_at and resolved_at")

    let exported = try #require(try box.json(try String(contentsOf: box.path("export.json"), encoding: .utf8)) as? [String: Any])
    let incidents = try #require(exported["incidents"] as? [[String: Any]])
    let tmobile = try #require(incidents.first { $0["id"] as? String == id })
    #expect((tmobile["source"] as? [String: String])?["id"] == "bd2fec90-459d-11ed-9a6c-911ade1670b5")
    #expect(((tmobile["extra"] as? [String: Any])?["veris"] as? [String: Any])?["security_incident"] as? String == "Confirmed")
    #expect((tmobile["actions"] as? [[String: Any]])?.count == 2)
    #expect((tmobile["durations"] as? [String: Any])?["time_to_detect"] as? Double == Double(5 * 365 * 86_400))

    let stats = try #require(try box.json(try box.incident(["stats", "--json"], in: repo).stdout) as? [String: Any])
    let actions = try #require(stats["action_items"] as? [String: Any])
    #expect(actions["open"] as? Int == 1)
    #expect(actions["done"] as? Int == 1)
    #expect(actions["overdue"] as? Int == 1)
    let filtered = try box.incident(["export", "--format", "csv", "--kind", "security"], in: repo)
    #expect(filtered.stdout.split(separator: "\r\n").count == 1 + 10)
  }

  // MARK: 6

  /// 6. report --html: one self-contained file, at least two inline SVG charts, nothing fetched
  /// from the network, postmortem links that resolve from where the page is saved.
  @Test func reportIsOneSelfContainedPage() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    _ = try Self.importJSON(box, "statuspage", Self.statuspage, in: repo)
    let (markdown, _) = try Self.importJSON(box, "markdown", Self.data.appendingPathComponent("postmortems/dfds"), in: repo)
    let out = box.path("review")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let before = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
    let r = try box.incident(["report", "--since", "2019-01-01", "--html", "../review/review.html"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let after = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
    #expect(after.subtracting(before) == ["review.html"], "exactly one file written")
    let html = try String(contentsOf: out.appendingPathComponent("review.html"), encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.components(separatedBy: "<svg").count - 1 >= 2)
    #expect(html.contains("<style>"))
    for pattern in [#"(?i)\b(src|href)\s*=\s*["']?\s*(https?:)?//"#, #"(?i)<script"#, #"(?i)<link\b"#, #"(?i)@import"#, #"(?i)url\("#] {
      #expect(html.range(of: pattern, options: .regularExpression) == nil, "no \(pattern)")
    }
    #expect(html.contains("resolved_at - detected_at"))
    #expect(html.contains("Incident with Copilot"), "2023 incident in range")
    #expect(!html.contains("Incident on 2018-03-02"), "2018 incident filtered out by --since")
    let dfds = try #require(markdown["PM2022-009 - Bad AWS EKS AMI causing Kubernetes issues"])
    let link = "../repo/\(Self.folder(of: dfds))/postmortem.md"
    #expect(html.contains("href=\"\(link)\""), "relative link to the postmortem")
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(link).standardized.path))
  }
}
