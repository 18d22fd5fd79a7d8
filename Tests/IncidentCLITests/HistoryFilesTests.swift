import Foundation
import Testing

/// `history` reads action, task and postmortem changes from the files, as it does the record.
@Suite("History of actions, tasks and postmortems")
struct HistoryFilesTests {
  @Test func everyFileChangeIsDescribed() throws {
    let box = try Sandbox()
    defer { box.remove() }
    let repo = box.path("repo")
    try box.incident(["init", "-C", repo.path])
    let id = try box.incident(["declare", "Hist", "--severity", "SEV3", "--playbook", "service-outage"], in: repo)
      .stdout.trimmingCharacters(in: .newlines)
    for args in [["status", id, "resolved"], ["task", "done", "\(id)/T1"]] {
      #expect(try box.incident(args, in: repo).status == 0)
    }
    let added = try box.incident(["action", "add", id, "Add alert", "--owner", "Bo Chen <bo@example.com>", "--due", "2026-12-15"], in: repo)
    #expect(added.status == 0, "\(added.stderr)")
    let action = try #require(added.stdout.split(separator: "\n").first.map(String.init))
    for args in [["action", "done", action], ["postmortem", "new", id], ["postmortem", "request-review", id, "--reviewer", "Cy Diaz <cy@example.com>"]] {
      let r = try box.incident(args, in: repo)
      #expect(r.status == 0, "\(args): \(r.stderr)")
    }
    #expect(try box.incident(["--as", "Cy Diaz <cy@example.com>", "postmortem", "approve", id], in: repo).status == 0)
    let history = try box.incident(["history", id], in: repo)
    #expect(history.status == 0)
    let actionID = String(action.split(separator: "/").last ?? "")
    for line in [
      "tasks from playbook service-outage", "task T1 done: ", "action \(actionID) added: Add alert (owner Bo Chen <bo@example.com>, due 2026-12-15)",
      "action \(actionID) done: Add alert", "postmortem created (draft)", "postmortem draft -> in-review",
      "postmortem reviewer Cy Diaz <cy@example.com> requested", "postmortem in-review -> approved",
      "postmortem approved by Cy Diaz <cy@example.com>",
    ] {
      #expect(history.stdout.contains(line), "history shows \(line):\n\(history.stdout)")
    }
    #expect(!history.stdout.contains("no record change"))
  }
}
