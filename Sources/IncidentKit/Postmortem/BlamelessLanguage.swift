import Foundation

/// Finds blaming language in a postmortem and suggests blameless wording.
///
/// The rule (the Google SRE book, chapter 15 "Postmortem Culture: Learning from Failure";
/// Etsy's and PagerDuty's blameless postmortem guides): a postmortem names the conditions and
/// contributing factors that let a failure happen, not a person to blame. Each rule is a phrase
/// and a hint; a match is a warning, not an error, because wording needs a person's judgement
/// (`postmortem check --strict` makes warnings fail).
public enum BlamelessLanguage {
  /// One rule: phrases that match (whole words, any case) and the hint shown with the warning.
  public struct Rule: Sendable {
    /// The phrases, lower case.
    public var phrases: [String]
    /// A blameless rewording hint.
    public var hint: String
  }

  /// The phrase table. "failed to" is checked separately, only with a person as its subject.
  public static let rules: [Rule] = [
    Rule(phrases: ["human error", "operator error", "user error", "pilot error"],
         hint: "name what made the action easy to get wrong (a missing guard, a confusing tool, a gap in the runbook) instead of calling it human error"),
    Rule(phrases: ["should have", "should've", "should not have", "shouldn't have"],
         hint: "describe what happened and what would have helped (\"the runbook did not cover a full disk\"), not what someone should have done"),
    Rule(phrases: ["careless", "carelessly", "carelessness", "negligent", "negligence", "sloppy", "lazy",
                   "incompetent", "reckless", "stupid", "dumb mistake"],
         hint: "describe the action and the conditions around it, not a person's character"),
    Rule(phrases: ["fault of", "'s fault", "at fault", "to blame", "blamed", "blame on"],
         hint: "name the contributing factors, not a person at fault"),
  ]

  /// The hint for "<person> failed to".
  public static let failedToHint =
    "say what the system or process did not do (\"the change was not verified because the check was manual\"), not what a person failed to do"

  /// Subjects of "failed to" that are people: pronouns and roles (with or without `the`).
  static let personWords: Set<String> = [
    "i", "we", "he", "she", "they", "you", "someone", "somebody", "nobody", "everyone", "engineer",
    "engineers", "operator", "operators", "developer", "developers", "dev", "devs", "on-call",
    "oncall", "responder", "responders", "admin", "administrator", "sre", "sres", "reviewer",
    "reviewers", "author", "manager", "team", "person", "employee", "contractor", "intern", "staff",
    "human", "commander", "ic",
  ]

  /// One finding.
  public struct Finding: Sendable, Equatable {
    /// The 1-based line in the file.
    public var line: Int
    /// The phrase as written.
    public var phrase: String
    /// The rewording hint.
    public var hint: String
  }

  /// Scans Markdown lines for blaming phrases.
  ///
  /// Skipped: fenced code blocks (logs quote error messages), HTML comments, and the generated
  /// action block. "failed to" counts only after a pronoun, a role word (`the engineer`,
  /// `on-call`) or one of `people` (full names or first names, compared case-insensitively), so
  /// "the deploy failed to roll back" is not flagged.
  ///
  /// - Parameters:
  ///   - lines: the lines with their 1-based file line numbers.
  ///   - people: names of the people involved (responders, authors).
  /// - Returns: one finding per rule per line, in line order.
  public static func scan(_ lines: [(line: Int, text: String)], people: [String] = []) -> [Finding] {
    var names = Set<String>()
    for person in people {
      let name = person.split(separator: "<").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
      guard !name.isEmpty else { continue }
      names.insert(name.lowercased())
      if let first = name.split(separator: " ").first { names.insert(first.lowercased()) }
    }
    var findings: [Finding] = []
    var fence: String?
    var inComment = false
    var inBlock = false
    for (number, text) in lines {
      let trimmed = text.trimmingCharacters(in: .whitespaces)
      if let f = fence {
        if trimmed.hasPrefix(f) { fence = nil }
        continue
      }
      if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
        fence = String(trimmed.prefix(3))
        continue
      }
      if trimmed.contains(ActionBlock.begin) { inBlock = true }
      if inBlock {
        if trimmed.contains(ActionBlock.end) { inBlock = false }
        continue
      }
      var visible = text
      if inComment {
        guard let close = visible.range(of: "-->") else { continue }
        visible = String(visible[close.upperBound...])
        inComment = false
      }
      while let open = visible.range(of: "<!--") {
        if let close = visible.range(of: "-->", range: open.upperBound..<visible.endIndex) {
          visible.removeSubrange(open.lowerBound..<close.upperBound)
        } else {
          visible = String(visible[..<open.lowerBound])
          inComment = true
        }
      }
      let lower = visible.lowercased().replacingOccurrences(of: "’", with: "'")
      for rule in rules {
        if let phrase = rule.phrases.first(where: { containsWords(lower, $0) }) {
          findings.append(Finding(line: number, phrase: phrase, hint: rule.hint))
        }
      }
      if let subject = personSubjectOfFailedTo(lower, names: names) {
        findings.append(Finding(line: number, phrase: "\(subject) failed to", hint: failedToHint))
      }
    }
    return findings
  }

  static func isLetter(_ c: Character) -> Bool { c.isLetter || c.isNumber }

  /// True when `phrase` occurs in `text` with no letter or digit right before or after it.
  static func containsWords(_ text: String, _ phrase: String) -> Bool {
    var search = text.startIndex..<text.endIndex
    while let r = text.range(of: phrase, range: search) {
      let before = r.lowerBound == text.startIndex ? nil : text[text.index(before: r.lowerBound)]
      let after = r.upperBound == text.endIndex ? nil : text[r.upperBound]
      let startsWithLetter = phrase.first.map(isLetter) ?? false
      if (before.map { !isLetter($0) } ?? true || !startsWithLetter) && (after.map { !isLetter($0) } ?? true) {
        return true
      }
      search = r.upperBound..<text.endIndex
    }
    return false
  }

  /// The person-like subject right before "failed to" (or "failed to" after "didn't"), if any.
  static func personSubjectOfFailedTo(_ lower: String, names: Set<String>) -> String? {
    var search = lower.startIndex..<lower.endIndex
    while let r = lower.range(of: "failed to", range: search) {
      search = r.upperBound..<lower.endIndex
      let words = lower[..<r.lowerBound]
        .split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "'") })
        .map(String.init)
      guard let last = words.last else { continue }
      var candidates = [last]
      if words.count >= 2 { candidates.append(words[words.count - 2] + " " + last) }
      if let hit = candidates.first(where: { personWords.contains($0) || names.contains($0) }) {
        return hit
      }
      if last.hasSuffix("'s") { continue }
    }
    return nil
  }
}
