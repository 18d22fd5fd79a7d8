import Foundation
import Testing

@testable import IncidentKit

private let actionsFile = "incidents/2026/INC-20261129-7K3Q/actions.yaml"

@Suite("Action and task files")
struct ActionCodecTests {
  @Test func actionsRoundTripInCanonicalForm() throws {
    let text = """
      actions:
      - id: a7k3q
        title: Alert on checkout 5xx
        owner: Ana Lima <ana@example.com>
        status: open
        due: 2026-12-15
        type: detect
        ticket: OPS-12
      note: kept
      """
    let list = try ActionCodec.decodeActions(Data(text.utf8), file: actionsFile)
    #expect(list.items.count == 1)
    let item = list.items[0]
    #expect(item.id == "A7K3Q")
    #expect(item.due == "2026-12-15")
    #expect(item.type == .detect)
    #expect(item.priority == nil)
    #expect(item.extra.map(\.key) == ["ticket"])
    let written = String(decoding: ActionCodec.encodeActions(list), as: UTF8.self)
    #expect(written == """
      actions:
      - id: A7K3Q
        title: Alert on checkout 5xx
        type: detect
        status: open
        owner: Ana Lima <ana@example.com>
        due: "2026-12-15"
        ticket: OPS-12
      note: kept

      """)
    #expect(try ActionCodec.decodeActions(Data(written.utf8), file: actionsFile) == list)
  }

  @Test func badValuesNameFileLineAndField() throws {
    let cases: [(String, String)] = [
      ("actions:\n- id: A7K3Q\n  title: T\n  type: fix\n", "\(actionsFile):4:9: actions[0].type: 'fix' is not valid; expected one of mitigate, prevent, detect, process"),
      ("actions:\n- id: A7K3Q\n  title: T\n  due: 2026-02-30\n", "\(actionsFile):4:8: actions[0].due: '2026-02-30' is not a date"),
      ("actions:\n- id: A7K3Q\n  title: T\n- id: a7k3q\n  title: U\n", "\(actionsFile):4:7: actions[1].id: action id a7k3q appears twice"),
      ("actions:\n- id: X1\n  title: T\n", "\(actionsFile):2:7: actions[0].id: 'X1' is not an action id"),
    ]
    for (text, expected) in cases {
      do {
        _ = try ActionCodec.decodeActions(Data(text.utf8), file: actionsFile)
        Issue.record("accepted \(text)")
      } catch {
        #expect(error.description.hasPrefix(expected), "\(error.description)")
      }
    }
  }

  @Test func tasksRoundTrip() throws {
    var list = TaskList(playbook: "service-outage", tasks: try Playbook.tasks(in: "- [ ] One\n- [ ] Two: yes\n", file: "p.md"))
    list.tasks[1].status = .done
    list.tasks[1].doneAt = RFC3339.parse("2026-11-29T10:00:00Z")
    list.tasks[1].doneBy = "Ana Lima <ana@example.com>"
    let text = String(decoding: ActionCodec.encodeTasks(list), as: UTF8.self)
    #expect(text == """
      playbook: service-outage
      tasks:
      - id: T1
        title: One
        status: open
      - id: T2
        title: "Two: yes"
        status: done
        done_at: "2026-11-29T10:00:00Z"
        done_by: Ana Lima <ana@example.com>

      """)
    #expect(try ActionCodec.decodeTasks(Data(text.utf8), file: "tasks.yaml") == list)
  }

  @Test func playbookChecklistParsing() throws {
    let text = """
      # Playbook
      Intro - [ ] not an item
      - [ ] First
        * [x] Nested, checked
      + [ ]   Spaced
      - [ ]
      ```
      - [ ] in a code block
      ```
      - plain bullet
      """
    #expect(try Playbook.tasks(in: text, file: "p.md").map(\.title) == ["First", "Nested, checked", "Spaced"])
    #expect(try Playbook.tasks(in: text, file: "p.md").map(\.id) == ["T1", "T2", "T3"])
    #expect(Playbook.isValidName("data-breach"))
    #expect(!Playbook.isValidName("../x"))
    #expect(!Playbook.isValidName("Data"))
  }

  @Test func calendarDatesAndOverdue() {
    #expect(CalendarDate.isValid("2024-02-29"))
    #expect(!CalendarDate.isValid("2025-02-29"))
    #expect(!CalendarDate.isValid("2025-1-01"))
    #expect(!CalendarDate.isValid("2025-01-01T00:00:00Z"))
    #expect(CalendarDate.string(RFC3339.parse("2026-11-29T23:59:59-01:00")!) == "2026-11-30")
    var item = ActionItem(id: "A0000", title: "T")
    item.due = "2026-11-28"
    #expect(item.isOverdue(today: "2026-11-29"))
    #expect(!item.isOverdue(today: "2026-11-28"))
    item.status = .done
    #expect(!item.isOverdue(today: "2026-11-29"))
    #expect(ActionItem.isValidID(ActionItem.newID()))
    #expect(!ActionItem.isValidID("AIIII"), "I is not in Crockford's alphabet")
  }
}

@Suite("Postmortem documents")
struct PostmortemDocumentTests {
  static let text = "---\nstatus: in-review\nincident: INC-20261129-7K3Q\nauthors: [Ana Lima <ana@example.com>]\nteam: payments\n---\n# T\r\n\n## Summary\nText ü\n```\n## not a heading\n```\n## Impact (required)\n\n"

  @Test func frontMatterIsRewrittenAndBodyKept() throws {
    let doc = PostmortemDocument(Self.text)
    var fm = try doc.frontMatter(file: "p.md")
    #expect(fm.status == .inReview)
    #expect(fm.authors == ["Ana Lima <ana@example.com>"])
    #expect(fm.extra.map(\.key) == ["team"])
    #expect(doc.bodyStartLine == 7)
    fm.approvals.append(PostmortemApproval(by: "Bo Chen <bo@example.com>", at: RFC3339.parse("2026-11-29T10:00:00Z")!))
    fm.status = .approved
    let out = PostmortemDocument.compose(fm, body: doc.body)
    #expect(out == "---\nstatus: approved\nincident: INC-20261129-7K3Q\nauthors:\n- Ana Lima <ana@example.com>\nreviewers: []\napprovals:\n- by: Bo Chen <bo@example.com>\n  at: \"2026-11-29T10:00:00Z\"\nmeeting_date: null\nteam: payments\n---\n# T\r\n\n## Summary\nText ü\n```\n## not a heading\n```\n## Impact (required)\n\n")
  }

  @Test func sectionsSkipCodeBlocksAndCountFileLines() {
    let sections = PostmortemDocument(Self.text).sections
    #expect(sections.map(\.name) == ["Summary", "Impact (required)"])
    #expect(sections.map(\.line) == [9, 14])
    #expect(sections[0].lines.map(\.line) == [10, 11, 12, 13])
    #expect(PostmortemDocument.sameSection("Impact (required)", " impact "))
  }

  @Test func invalidFrontMatterReportsTheFileLine() {
    let doc = PostmortemDocument("---\nstatus: draft\nmeeting_date: soon\n---\nbody\n")
    #expect(throws: FormatError.self) { try doc.frontMatter(file: "p.md") }
    do {
      _ = try doc.frontMatter(file: "p.md")
    } catch {
      #expect(error.description == "p.md:3:15: meeting_date: 'soon' is not a date; write it as \"2026-12-01\" (YYYY-MM-DD, quoted) or leave it empty")
    }
    let badStatus = PostmortemDocument("---\nstatus: done\n---\n")
    #expect((try? badStatus.frontMatter(file: "p.md")) == nil)
  }
}

@Suite("Generated action block")
struct ActionBlockTests {
  var item: ActionItem {
    var i = ActionItem(id: "A7K3Q", title: "Alert | page")
    i.owner = "Ana Lima"
    i.due = "2026-12-15"
    i.priority = .high
    return i
  }

  @Test func regenerateKeepsEveryByteOutsideTheBlock() throws {
    let before = "## Action items\r\nMine  \n"
    let after = "\ntrailing text without newline"
    let text = before + ActionBlock.render([]) + after
    let out = try ActionBlock.regenerate(in: text, items: [item], file: "p.md")
    #expect(out.hasPrefix(before))
    #expect(out.hasSuffix(after))
    #expect(out.contains("| A7K3Q | Alert \\| page | - | high | Ana Lima | 2026-12-15 | open |"))
    #expect(try ActionBlock.regenerate(in: out, items: [], file: "p.md") == text)
  }

  @Test func missingBlockIsAddedToTheSectionOrAppended() throws {
    let withSection = "## Action items\n\nSee below.\n\n## Lessons learned\n\nMore.\n"
    let out = try ActionBlock.regenerate(in: withSection, items: [], file: "p.md")
    #expect(out == "## Action items\n\nSee below.\n\n" + ActionBlock.render([]) + "\n\n## Lessons learned\n\nMore.\n")
    let without = "# T\n\nText.\n"
    #expect(try ActionBlock.regenerate(in: without, items: [], file: "p.md")
      == "# T\n\nText.\n\n## Action items\n\n" + ActionBlock.render([]) + "\n")
  }

  @Test func brokenMarkersAreRefused() {
    for text in [ActionBlock.begin + "\nno end\n", "x\n" + ActionBlock.end + "\n",
                 ActionBlock.render([]) + "\n" + ActionBlock.render([])] {
      #expect(throws: IncidentError.self) { try ActionBlock.regenerate(in: text, items: [], file: "p.md") }
    }
  }
}

@Suite("Blameless language")
struct BlamelessLanguageTests {
  func scan(_ text: String, people: [String] = []) -> [BlamelessLanguage.Finding] {
    BlamelessLanguage.scan(text.components(separatedBy: "\n").enumerated().map { ($0.offset + 1, $0.element) }, people: people)
  }

  @Test func blamingPhrasesAreFoundWithTheirLines() {
    let findings = scan("""
      Root cause: Human error.
      The deploy failed to finish.
      Ana failed to notice the alert.
      They should've known.
      It was Bo's fault, clearly careless.
      Shouldn't blame the careful reviewers: "carelessness" is a word.
      """, people: ["Ana Lima <ana@example.com>"])
    #expect(findings.map(\.line) == [1, 3, 4, 5, 5, 6])
    #expect(findings.map(\.phrase) == ["human error", "ana failed to", "should've", "'s fault", "careless", "carelessness"])
    #expect(findings.allSatisfy { !$0.hint.isEmpty })
  }

  @Test func codeCommentsAndSystemSubjectsAreNotFlagged() {
    let findings = scan("""
      The health check failed to detect the partial outage.
      The Redis primary failed to restart.
      <!-- we should have a comment here -->
      ```
      error: human error in log
      ```
      <!-- git-incident:actions:begin -->
      | A1234 | Stop blaming people |
      <!-- git-incident:actions:end -->
      Carefully written.
      """)
    #expect(findings.isEmpty, "\(findings)")
  }
}

@Suite("Postmortem policy")
struct PostmortemPolicyTests {
  let ana = Identity(name: "Ana Lima", email: "ana@example.com")

  func record(severity: String = "SEV2") throws -> IncidentRecord {
    let context = Lifecycle.Context(settings: .defaults, actor: ana, now: RFC3339.parse("2026-11-29T10:00:00Z")!)
    return try Lifecycle.declare(Declaration(title: "Checkout down", severity: severity), id: IncidentID("INC-20261129-7K3Q")!, context: context).0
  }

  @Test func closingIsRefusedWhileAnOpenActionHasNoOwner() throws {
    var r = try record(severity: "SEV3")
    r = try Lifecycle.apply(.status(.resolved, at: nil, note: nil, reason: nil), to: r,
                            context: .init(settings: .defaults, actor: ana, now: RFC3339.parse("2026-11-29T11:00:00Z")!)).0
    var context = Lifecycle.Context(settings: .defaults, actor: ana, now: RFC3339.parse("2026-11-29T12:00:00Z")!)
    var unowned = ActionItem(id: "A0001", title: "Runbook")
    context.actions = [unowned]
    do {
      _ = try Lifecycle.apply(.status(.closed, at: nil, note: nil, reason: nil), to: r, context: context)
      Issue.record("closing was allowed")
    } catch {
      #expect(error.description.contains("cannot close while open action items have no owner: A0001 \"Runbook\""))
    }
    unowned.status = .done
    context.actions = [unowned]
    #expect(try Lifecycle.apply(.status(.closed, at: nil, note: nil, reason: nil), to: r, context: context).0.incident.status == .closed)
  }

  @Test func checkNamesEmptySectionsAndMissingActions() throws {
    let r = try record()
    let text = try PostmortemTemplate.instantiate(PostmortemTemplate.defaultText, record: r, author: ana.formatted)
    let problems = PostmortemCheck.run(text, file: "p.md", record: r, settings: .defaults, template: PostmortemTemplate.defaultText)
    let errors = problems.filter { $0.level == .error }.map(\.message)
    #expect(errors.count == 8, "\(errors)")
    #expect(errors.contains("required section \"Impact\" is empty: it holds only the template's placeholder text"))
    #expect(errors.contains { $0.hasPrefix("policy requires action items for SEV2") })
    var settings = Settings.defaults
    settings.actionItemsRequiredFor = []
    settings.requiredPostmortemSections = ["Timeline"]
    let relaxed = PostmortemCheck.run(text, file: "p.md", record: r, settings: settings, template: PostmortemTemplate.defaultText)
    #expect(relaxed.filter { $0.level == .error }.isEmpty, "\(relaxed)")
    // A placeholder left next to real text is still an error in a required section.
    let mixed = text.replacingOccurrences(of: "## Timeline\n", with: "## Timeline\n\n_Who and what was affected, how many users, requests, orders or records, and for how long; any money, data or trust lost._\n")
    let leftovers = PostmortemCheck.run(mixed, file: "p.md", record: r, settings: settings, template: PostmortemTemplate.defaultText)
    #expect(leftovers.filter { $0.level == .error }.isEmpty, "an Impact placeholder in Timeline is not Timeline's placeholder")
    let own = text.replacingOccurrences(of: "All times UTC.", with: "All times UTC.\n\n{{timeline}}")
    let token = PostmortemCheck.run(own, file: "p.md", record: r, settings: settings, template: PostmortemTemplate.defaultText)
    #expect(token.contains { $0.level == .error && $0.message == "required section \"Timeline\" still has template token {{timeline}}; write the text it stands for" })
  }

  @Test func settingsReadAndWriteThePolicyKeys() throws {
    let text = "policy:\n  action_items_required_for: [SEV1]\n  approvals_required: 2\n  required_postmortem_sections: [Summary, Impact]\n"
    let settings = try RecordCodec.decodeSettings(Data(text.utf8), file: "git-incident.yaml")
    #expect(settings.actionItemsRequiredFor == ["SEV1"])
    #expect(settings.approvalsRequired == 2)
    #expect(settings.requiredPostmortemSections == ["Summary", "Impact"])
    let written = RecordCodec.encodeSettings(settings)
    #expect(try RecordCodec.decodeSettings(written, file: "git-incident.yaml") == settings)
    #expect(String(decoding: written, as: UTF8.self).contains("  approvals_required: 2\n  required_postmortem_sections:\n  - Summary\n  - Impact\n"))
    do {
      _ = try RecordCodec.decodeSettings(Data("policy:\n  approvals_required: many\n".utf8), file: "git-incident.yaml")
      Issue.record("accepted approvals_required: many")
    } catch {
      #expect(error.description.hasPrefix("git-incident.yaml:2:23: policy.approvals_required: 'many' is not a number of approvals"))
    }
  }

  @Test func durationsForPeople() {
    #expect(PostmortemTemplate.duration(45) == "45s")
    #expect(PostmortemTemplate.duration(750) == "12m 30s")
    #expect(PostmortemTemplate.duration(3900) == "1h 05m")
    #expect(PostmortemTemplate.duration(90000) == "1d 1h 00m")
  }
}

@Suite("Stakeholder updates due")
struct DueUpdateTests {
  @Test func overdueIncidentsByTheirSeverityInterval() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("due-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let env = ["HOME": path, "GIT_CONFIG_NOSYSTEM": "1"]
    let actor = "Ana Lima <ana@example.com>"
    let (initial, _) = try IncidentStore.initialize(at: path, prefix: nil, as: actor, environment: env)
    let t0 = RFC3339.parse("2026-11-29T10:00:00Z")!
    func store(_ minutes: Double) -> IncidentStore {
      IncidentStore(repository: initial.repository, environment: env, clock: { t0.addingTimeInterval(minutes * 60) })
    }
    let sev1 = try #require(try store(0).declare(Declaration(title: "A", severity: "SEV1"), as: actor).incident)
    let sev2 = try #require(try store(0).declare(Declaration(title: "B", severity: "SEV2"), as: actor).incident)
    _ = try store(0).declare(Declaration(title: "C", severity: "SEV3"), as: actor)
    let resolved = try #require(try store(0).declare(Declaration(title: "D", severity: "SEV1"), as: actor).incident)
    _ = try store(5).change(resolved.rawValue, .status(.resolved, at: nil, note: nil, reason: nil), as: actor)
    _ = try store(10).change(sev2.rawValue, .update("Investigating", audience: .external), as: actor)
    _ = try store(20).change(sev1.rawValue, .update("Still down", audience: .internal), as: actor)

    let later = store(75)
    let (due, problems) = try later.dueUpdates(in: try later.headTree())
    #expect(problems.isEmpty)
    #expect(due.map(\.incident.id) == [sev1, sev2], "most overdue first")
    #expect(due.map(\.overdueBy) == [1500, 300])  // SEV1: 75 - 20 - 30 min; SEV2: 75 - 10 - 60 min
    #expect(due.map(\.interval) == [1800, 3600])
    #expect(due[1].lastUpdate == t0.addingTimeInterval(600))
    let early = store(55)  // SEV1 due at 50, SEV2 at 70
    #expect(try early.dueUpdates(in: try early.headTree()).due.map(\.incident.id) == [sev1])
  }
}
