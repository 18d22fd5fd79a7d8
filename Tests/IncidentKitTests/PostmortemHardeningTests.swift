import Foundation
import Testing

@testable import IncidentKit

@Suite("Blameless language, harder cases")
struct BlamelessHardCaseTests {
  func scan(_ text: String, people: [String] = []) -> [BlamelessLanguage.Finding] {
    BlamelessLanguage.scan(text.components(separatedBy: "\n").enumerated().map { ($0.offset + 1, $0.element) }, people: people)
  }

  /// Phrases wrapped over two lines, with extra spaces or a hyphen, every match on a line, any
  /// capitalised name or a surname before "failed to"; each at the line where it starts.
  @Test func wrappedSpacedAndRepeatedPhrasesAreFound() {
    let findings = scan("""
      The operator should
      have paged the database team, and the rollback
      failed
      to start.
      It was Human  error, then human-error again.
      Dana failed to page anyone. Then Chen failed to roll back.
      Later she
      failed to notice.
      """, people: ["Bo Chen <bo@example.com>"])
    #expect(findings.map(\.line) == [1, 5, 5, 6, 6, 7], "\(findings)")
    #expect(findings.map(\.phrase) == ["should have", "human error", "human error", "dana failed to", "chen failed to", "she failed to"], "\(findings)")
  }

  /// Determiners, things named after a determiner, acronyms and the incident's services are not
  /// people; a blank line ends a sentence.
  @Test func thingsAreNotPeople() {
    let findings = scan("""
      The deploy failed to finish. A retry failed to help.
      This failed to matter. Our Kafka cluster failed to elect a leader.
      DNS failed to resolve. The Redis primary failed to restart.
      Monitoring failed to alert.
      We were lucky it should

      have been worse.
      """)
    #expect(findings.isEmpty, "\(findings)")
  }
}

@Suite("Postmortem check, harder cases")
struct PostmortemCheckHardCaseTests {
  let ana = Identity(name: "Ana Lima", email: "ana@example.com")

  func record() throws -> IncidentRecord {
    let context = Lifecycle.Context(settings: .defaults, actor: ana, now: RFC3339.parse("2026-11-29T10:00:00Z")!)
    var r = try Lifecycle.declare(Declaration(title: "Checkout down", severity: "SEV3"), id: IncidentID("INC-20261129-7K3Q")!, context: context).0
    r.actions.items = [ActionItem(id: "A7K3Q", title: "Alert")]
    r.actions.items[0].owner = "Bo"
    return r
  }

  func filled() throws -> String {
    let text = try PostmortemTemplate.instantiate(PostmortemTemplate.defaultText, record: try record(), author: ana.formatted)
    return text.components(separatedBy: "\n").map {
      $0.hasPrefix("_") && $0.hasSuffix("_") && !$0.hasPrefix("_No action") ? "Real text." : $0
    }.joined(separator: "\n")
  }

  func check(_ text: String) throws -> [PostmortemProblem] {
    PostmortemCheck.run(text, file: "p.md", record: try record(), settings: .defaults, template: PostmortemTemplate.defaultText)
  }

  func line(_ text: String, _ wanted: String) -> Int? {
    text.components(separatedBy: "\n").firstIndex(of: wanted).map { $0 + 1 }
  }

  /// `## Impact ##` and headings indented up to three spaces are sections; four spaces are code.
  @Test func commonMarkHeadingsAreSections() throws {
    let doc = PostmortemDocument("# T\n\n## Impact ##\nA\n   ## Summary\nB\n    ## Code\nC\n##\tTabbed #\n##NoSpace\n### Sub\nD\n")
    #expect(doc.sections.map(\.name) == ["Impact", "Summary", "Tabbed"], "\(doc.sections.map(\.name))")
    #expect(doc.sections.map(\.line) == [3, 5, 9])
    #expect(doc.sections[1].lines.map(\.text) == ["B", "    ## Code", "C"])
    let text = try filled().replacingOccurrences(of: "## Impact\n", with: "## Impact ##\n")
      .replacingOccurrences(of: "## Summary\n", with: "  ## Summary\n")
    let problems = try check(text)
    #expect(problems.filter { $0.level == .error }.isEmpty, "\(problems)")
  }

  /// Token messages say what is left; front matter errors are lines of the file; marker and
  /// missing-section errors have lines.
  @Test func messagesNameTokensAndLines() throws {
    let text = try filled().replacingOccurrences(of: "## Summary\n\nReal text.", with: "## Summary\n\n{{title}} failed")
      .replacingOccurrences(of: "## Impact\n\nReal text.", with: "## Impact\n\nSee {{other}} and {{unknown}}.")
      .replacingOccurrences(of: "## Leadup\n\nReal text.", with: "## Leadup\n\n{{unknown}}")
    let problems = try check(text)
    let summary = try #require(line(text, "{{title}} failed"))
    #expect(problems.contains { $0.line == summary && $0.level == .error && $0.message == "required section \"Summary\" still has template token {{title}}; write the text it stands for" }, "\(problems)")
    #expect(!problems.contains { $0.message.contains("placeholder") }, "\(problems)")
    let impact = try #require(line(text, "See {{other}} and {{unknown}}."))
    #expect(problems.filter { $0.line == impact }.map(\.message) == ["required section \"Impact\" still has template token {{other}}; write the text it stands for", "unfilled template token {{unknown}}; write the text it stands for"], "\(problems)")
    let leadup = try #require(line(text, "{{unknown}}"))
    #expect(problems.contains { $0.line == leadup && $0.level == .error && $0.message == "unfilled template token {{unknown}}; write the text it stands for" }, "\(problems)")

    let yaml = text.replacingOccurrences(of: "reviewers: []\n", with: "reviewers: [a\nb: c\n")
    let fm = try check(yaml).filter { $0.message.hasPrefix("invalid front matter") }
    #expect(fm.count == 1)
    #expect(fm.first?.line ?? 0 > 1, "\(fm)")
    #expect(!(fm.first?.message ?? "").contains("line 1,") && !(fm.first?.message ?? "").contains("line 5,"), "inner positions are lines of the file too: \(fm)")

    let missing = text.replacingOccurrences(of: "## Detection\n", with: "## Detectoin\n")
    let heading = try #require(line(missing, "## Detectoin"))
    #expect(try check(missing).contains { $0.message.hasPrefix("required section \"Detection\" is missing") && $0.line == heading },
            "a missing section is reported where it is expected: after the section before it")

    let noEnd = text.replacingOccurrences(of: ActionBlock.end + "\n", with: "")
    let beginLine = try #require(line(noEnd, ActionBlock.begin))
    #expect(try check(noEnd).contains { $0.level == .error && $0.line == beginLine && $0.message.hasPrefix("\(ActionBlock.begin) has no \(ActionBlock.end) after it") })
  }
}
