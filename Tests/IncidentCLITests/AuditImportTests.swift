import Foundation
import Testing

/// The tool's own imports pass its own audit: an imported incident may start resolved.
@Suite("Audit after import")
struct AuditImportTests {
  @Test func importedResolvedIncidentsPassTheAudit() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let md = box.path("pm")
    try FileManager.default.createDirectory(at: md, withIntermediateDirectories: true)
    try "---\ntitle: Database outage\nstart_time: 2024-02-01T10:00:00Z\nend_time: 2024-02-01T11:00:00Z\n---\nWhat happened.\n"
      .write(to: md.appendingPathComponent("db.md"), atomically: true, encoding: .utf8)
    let imported = try box.incident(["import", "markdown", md.path], in: repo)
    #expect(imported.status == 0, "\(imported.stderr)")
    let list = try #require(try box.json(try box.incident(["list", "--json"], in: repo).stdout) as? [[String: Any]])
    #expect(list.first?["status"] as? String == "resolved")
    let audit = try box.incident(["audit"], in: repo)
    #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
    // A hand-made commit that creates a resolved incident is still a violation.
    let id = "INC-20240301-ABCD"
    let folder = repo.appendingPathComponent("incidents/2024/\(id)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try "id: \(id)\ntitle: By hand\nkind: outage\nseverity: SEV3\nstatus: resolved\nresolved_at: \"2024-03-01T10:00:00Z\"\n"
      .write(to: folder.appendingPathComponent("incident.yaml"), atomically: true, encoding: .utf8)
    try box.git(["add", "-A"], in: repo)
    try box.git(["commit", "-qm", "by hand"], in: repo)
    let after = try box.incident(["audit"], in: repo)
    #expect(after.status == 1)
    #expect(after.stdout.contains("a new incident starts reported or active, not resolved"), "\(after.stdout)")
  }

  @Test func removingASeverityInUseIsAViolation() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let id = try box.incident(["declare", "Uses SEV3", "--severity", "SEV3"], in: repo).stdout
      .trimmingCharacters(in: .newlines)
    #expect(try box.incident(["audit"], in: repo).status == 0)
    let url = repo.appendingPathComponent("git-incident.yaml")
    let text = try String(contentsOf: url, encoding: .utf8)
    let lines = text.components(separatedBy: "\n")
    let start = try #require(lines.firstIndex(of: "- name: SEV3"))
    var kept = lines
    kept.removeSubrange(start...(start + 1))
    try kept.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
    try box.git(["commit", "-qam", "drop SEV3"], in: repo)
    let r = try box.incident(["audit"], in: repo)
    #expect(r.status == 1)
    #expect(r.stdout.contains("git-incident.yaml"), "\(r.stdout)")
    #expect(r.stdout.contains("severity 'SEV3' is no longer defined but 1 incident(s) use it: \(id)"), "\(r.stdout)")
  }
}
