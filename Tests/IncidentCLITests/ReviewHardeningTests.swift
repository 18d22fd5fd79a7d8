import Foundation
import IncidentKit
import Testing

/// Crafted records against `export`, `stats` and `report`, end to end through the built
/// executable: CSV (formula) injection, HTML in Markdown, due dates as stored, output paths,
/// empty periods and the per-month chart of long histories.
@Suite("Review hardening")
struct ReviewHardeningTests {
  static func repository(_ box: Sandbox) throws -> URL {
    let repo = box.path("repo")
    let r = try box.incident(["init", "-C", repo.path])
    #expect(r.status == 0, "\(r.stderr)")
    return repo
  }

  static func python(_ box: Sandbox, _ script: String, _ arguments: [String]) throws -> Sandbox.Run {
    let file = box.path("check.py")
    try script.write(to: file, atomically: true, encoding: .utf8)
    return try box.run(InterchangeAcceptanceTests.pythonExecutable, [file.path] + arguments, in: box.root, env: [:])
  }

  // MARK: 4, 5

  /// Cells a spreadsheet would run as formulas get a leading `'` (plain numbers stay numbers);
  /// Markdown shows HTML as text; an action's due date is the stored date in the JSON export
  /// (valid against schema/export.json, format checked) and the HTML report.
  @Test func exportsNeutraliseFormulasAndHTMLAndShowDueDates() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    let title = #"=HYPERLINK("http://evil.example","x") <script>alert(1)</script> a|b & c"#
    let d = try box.incident(["declare", title, "--severity", "SEV2", "--service", "@SUM(A1)", "--service", "<svg onload=alert(1)>",
                              "--label=-2+3", "--summary", "see <img src=x onerror=alert(1)>"], in: repo)
    #expect(d.status == 0, "\(d.stderr)")
    let id = d.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(try box.incident(["action", "add", id, "+cmd|' /C calc'!A0", "--due", "2026-11-29"], in: repo).status == 0)

    let csv = try box.incident(["export", "--format", "csv"], in: repo)
    #expect(csv.status == 0)
    try csv.stdout.write(to: box.path("e.csv"), atomically: true, encoding: .utf8)
    let stats = try box.incident(["stats", "--csv", "--by", "service"], in: repo)
    #expect(stats.status == 0)
    try stats.stdout.write(to: box.path("s.csv"), atomically: true, encoding: .utf8)
    let check = try Self.python(box, """
      import csv, json, sys
      rows = list(csv.DictReader(open(sys.argv[1], newline="")))
      groups = [r["group"] for r in csv.DictReader(open(sys.argv[2], newline=""))]
      print(json.dumps({"title": rows[0]["title"], "services": rows[0]["services"], "labels": rows[0]["labels"],
                        "actions_open": rows[0]["actions_open"], "groups": groups}))
      """, [box.path("e.csv").path, box.path("s.csv").path])
    #expect(check.status == 0, "\(check.stderr)")
    let cells = try #require(try box.json(check.stdout) as? [String: Any], "\(check.stdout)")
    #expect(cells["title"] as? String == "'" + title)
    #expect(cells["services"] as? String == "'@SUM(A1); <svg onload=alert(1)>")
    #expect(cells["labels"] as? String == "'-2+3")
    #expect(cells["actions_open"] as? String == "1")
    #expect((cells["groups"] as? [String])?.contains("'@SUM(A1)") == true, "\(String(describing: cells["groups"]))")
    #expect(CSV.neutralized("-5") == "-5" && CSV.neutralized("-0.25") == "-0.25" && CSV.neutralized("-5 days") == "'-5 days")

    let markdown = try box.incident(["export", "--format", "markdown"], in: repo)
    #expect(markdown.status == 0)
    for raw in ["<script>", "<svg", "<img"] { #expect(!markdown.stdout.contains(raw), "\(raw) escaped") }
    #expect(markdown.stdout.contains("&lt;script&gt;alert(1)&lt;/script&gt; a\\|b &amp; c |"), "\(markdown.stdout)")
    #expect(markdown.stdout.contains("- Services: @SUM(A1), &lt;svg onload=alert(1)&gt;"))
    #expect(markdown.stdout.contains("see &lt;img src=x onerror=alert(1)&gt;"))

    let json = try box.incident(["export", "--output", box.path("e.json").path], in: repo)
    #expect(json.status == 0, "\(json.stderr)")
    let doc = try #require(try box.json(try String(contentsOf: box.path("e.json"), encoding: .utf8)) as? [String: Any])
    let action = try #require(((doc["incidents"] as? [[String: Any]])?.first?["actions"] as? [[String: Any]])?.first)
    #expect(action["due"] as? String == "2026-11-29")
    let valid = try Self.python(box, """
      import json, sys
      from jsonschema import Draft202012Validator as V, FormatChecker
      errors = list(V(json.load(open(sys.argv[1])), format_checker=FormatChecker()).iter_errors(json.load(open(sys.argv[2]))))
      print(len(errors), errors[0].message if errors else "")
      """, [InterchangeAcceptanceTests.schema.appendingPathComponent("export.json").path, box.path("e.json").path])
    #expect(valid.stdout.hasPrefix("0 "), "\(valid.stdout) \(valid.stderr)")

    let report = try box.incident(["report", "--html", "-"], in: repo)
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stdout.contains("<td>2026-11-29</td>"), "the due date as stored")
    #expect(!report.stdout.contains("2026-11-30T00:00:00Z"))
  }

  // MARK: 9, 10

  /// Output paths: a folder, an empty path, a missing folder and `-` for `report --html` and
  /// `export --output`; `--until` not after `--since` is a usage error.
  @Test func outputPathsAndEmptyPeriods() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    #expect(try box.incident(["declare", "Disk full", "--severity", "SEV3"], in: repo).status == 0)
    let folder = box.path("out")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for command in [["report", "--html"], ["export", "--output"]] {
      let dir = try box.incident(command + [folder.path], in: repo)
      #expect(dir.status == 1)
      #expect(dir.stderr == "git-incident: error: cannot write \(folder.path): it is a folder; give a file name inside it\n", "\(dir.stderr)")
      let empty = try box.incident(command + [""], in: repo)
      #expect(empty.status == 64)
      #expect(empty.stderr.contains("\(command[1]) needs a file name (or - for standard output); it was given an empty path"), "\(empty.stderr)")
      let missing = try box.incident(command + ["nowhere/x.out"], in: repo)
      #expect(missing.status == 1)
      #expect(missing.stderr == "git-incident: error: cannot write nowhere/x.out: nowhere does not exist; create the folder first\n", "\(missing.stderr)")
      let stdout = try box.incident(command + ["-"], in: repo)
      #expect(stdout.status == 0, "\(stdout.stderr)")
      #expect(stdout.stdout.hasPrefix(command[0] == "report" ? "<!DOCTYPE html>" : "{"), "\(stdout.stdout.prefix(80))")
      #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent("-").path))
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)

    for command in [["stats"], ["report", "--html", "-"], ["export"], ["list"]] {
      let r = try box.incident(command + ["--since", "2024-02-01", "--until", "2024-02-01"], in: repo)
      #expect(r.status == 64, "\(command)")
      #expect(r.stderr.contains("--until (2024-02-01T00:00:00Z) must be after --since (2024-02-01T00:00:00Z)"), "\(r.stderr)")
    }
  }

  /// Incidents over more than 36 months: the chart shows the last 36 months that have
  /// incidents and its caption says so.
  @Test func longHistoriesChartTheLast36MonthsWithIncidents() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = try Self.repository(box)
    let folder = box.path("sp")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    // 40 incidents, one every third month from 2010-01: 2010-01 ... 2019-10.
    var months: [String] = []
    for n in 0..<40 {
      let month = String(format: "%04d-%02d", 2010 + (n * 3) / 12, (n * 3) % 12 + 1)
      months.append(month)
      let json = #"{"incident": {"id": "i\#(n)", "name": "Incident \#(n)", "impact": "minor", "created_at": "\#(month)-05T10:00:00Z", "incident_updates": [{"id": "u\#(n)", "status": "resolved", "display_at": "\#(month)-05T11:00:00Z", "body": "ok"}]}}"#
      try Data(json.utf8).write(to: folder.appendingPathComponent("i\(n).json"))
    }
    #expect(try box.incident(["import", "statuspage", folder.path], in: repo).status == 0)
    let r = try box.incident(["report", "--html", "-"], in: repo)
    #expect(r.status == 0, "\(r.stderr)")
    let chart = try #require(r.stdout.components(separatedBy: "<h2>Incidents over time</h2>").dropFirst().first?.components(separatedBy: "<h2>").first)
    let charted = Set(months.filter { chart.contains("<title>\($0) SEV3: 1</title>") })
    #expect(charted == Set(months.suffix(36)), "\(charted.sorted())")
    #expect(chart.contains("The incidents span 118 months (2010-01 to 2019-10); the chart shows the last 36 months that have incidents, 2011-01 to 2019-10, and leaves out months without incidents and 4 earlier incidents."), "\(chart.suffix(400))")
  }
}
