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
  /// Hyphens between letters read as spaces (`on-call` is `on call`).
  static let personWords: Set<String> = [
    "i", "we", "he", "she", "they", "you", "someone", "somebody", "nobody", "everyone", "engineer",
    "engineers", "operator", "operators", "developer", "developers", "dev", "devs", "on call",
    "oncall", "responder", "responders", "admin", "administrator", "sre", "sres", "reviewer",
    "reviewers", "author", "manager", "team", "person", "employee", "contractor", "intern", "staff",
    "human", "commander", "ic",
  ]

  /// Words that start a noun phrase naming a thing, not a person: "The deploy", "Our Kafka
  /// cluster", "This". A capitalised word that is one of these, or follows one, is not a name.
  static let determiners: Set<String> = [
    "the", "a", "an", "this", "that", "these", "those", "our", "its", "their", "his", "her", "my",
    "your", "every", "each", "some", "no", "another", "any", "both", "all", "either", "neither",
  ]

  /// One finding.
  public struct Finding: Sendable, Equatable {
    /// The 1-based line in the file where the phrase starts.
    public var line: Int
    /// The phrase as written, lower case, spaces normalised (`human error`).
    public var phrase: String
    /// The rewording hint.
    public var hint: String
  }

  /// Scans Markdown lines for blaming phrases.
  ///
  /// Lines of one paragraph are read as one text, so a phrase wrapped over two lines is found
  /// (at the line where it starts); runs of spaces and a hyphen between two letters count as
  /// one space (`human  error`, `human-error`). Every match is reported, several on a line too.
  /// Skipped: fenced code blocks (logs quote error messages), HTML comments, and the generated
  /// action block.
  ///
  /// "failed to" counts only after a person: a pronoun, a role word (`the engineer`,
  /// `on-call`), one of `people` (full, first or last names, any case), or any capitalised
  /// word that looks like a name. Not names: determiners and the word after one ("The deploy",
  /// "Our Kafka cluster"), all-capital or mixed-case words and words with digits (`DNS`,
  /// `PostgreSQL`, `S3`), words ending in "ing" (`Monitoring`), and `things` (the incident's
  /// services). So "the deploy failed to roll back" is not flagged, "Dana failed to page" is.
  ///
  /// - Parameters:
  ///   - lines: the lines with their 1-based file line numbers.
  ///   - people: names of the people involved (responders, authors), `Name <email>` or names.
  ///   - things: names that are not people (services).
  /// - Returns: the findings in the order of the text.
  public static func scan(_ lines: [(line: Int, text: String)], people: [String] = [], things: [String] = [])
    -> [Finding]
  {
    var names = Set<String>()
    for person in people {
      guard let name = PersonName.parts(person)?.name, !name.isEmpty else { continue }
      let words = normalizedWords(name)
      names.insert(words.joined(separator: " "))
      if let first = words.first { names.insert(first) }
      if let last = words.last { names.insert(last) }
    }
    let thingNames = Set(things.map { normalizedWords($0).joined(separator: " ") })
    let text = visibleText(lines)
    let lower = text.map { located -> Character in
      let l = String(located.char).lowercased()
      return l.count == 1 ? Character(l) : located.char
    }
    var findings: [(at: Int, finding: Finding)] = []
    for rule in rules {
      for phrase in rule.phrases {
        for at in occurrences(of: Array(phrase), in: lower) {
          findings.append((at, Finding(line: text[at].line, phrase: phrase, hint: rule.hint)))
        }
      }
    }
    for at in occurrences(of: Array("failed to"), in: lower) {
      if let (subject, start) = personSubject(before: at, text: text, lower: lower, names: names, things: thingNames) {
        findings.append((start, Finding(line: text[start].line, phrase: "\(subject) failed to", hint: failedToHint)))
      }
    }
    return findings.sorted { $0.at < $1.at }.map(\.finding)
  }

  /// One character of the visible text with the file line it comes from.
  struct Located {
    var char: Character
    var line: Int
  }

  /// The prose of `lines` as one text: code, comments and the action block left out; the
  /// lines of a paragraph joined by a space, paragraphs separated by a line break; spaces
  /// collapsed, a hyphen between letters read as a space, `’` as `'`.
  static func visibleText(_ lines: [(line: Int, text: String)]) -> [Located] {
    var out: [Located] = []
    let code = PostmortemDocument.fencedLines(lines.map(\.text))
    var inComment = false
    var inBlock = false
    func paragraphBreak(_ line: Int) {
      if let last = out.last, last.char != "\n" { out.append(Located(char: "\n", line: line)) }
    }
    for (n, (number, text)) in lines.enumerated() {
      let bare = text.trimmingCharacters(in: .whitespaces)
      if code[n] { paragraphBreak(number); continue }
      if bare == ActionBlock.begin { inBlock = true }
      if inBlock {
        if bare == ActionBlock.end { inBlock = false }
        paragraphBreak(number)
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
          visible.replaceSubrange(open.lowerBound..<close.upperBound, with: " ")
        } else {
          visible = String(visible[..<open.lowerBound])
          inComment = true
        }
      }
      if visible.trimmingCharacters(in: .whitespaces).isEmpty {
        if !inComment { paragraphBreak(number) }
        continue
      }
      if let last = out.last, last.char != "\n", last.char != " " { out.append(Located(char: " ", line: number)) }
      let chars = Array(visible.replacingOccurrences(of: "’", with: "'"))
      for (i, c) in chars.enumerated() {
        var c = c
        if c == "\t" { c = " " }
        if c == "-", i > 0, i + 1 < chars.count, isLetter(chars[i - 1]), isLetter(chars[i + 1]) { c = " " }
        if c == " ", out.last.map({ $0.char == " " || $0.char == "\n" }) ?? true { continue }
        out.append(Located(char: c, line: number))
      }
    }
    return out
  }

  static func isLetter(_ c: Character) -> Bool { c.isLetter || c.isNumber }

  /// The lower-case words of a name, hyphens as spaces.
  static func normalizedWords(_ text: String) -> [String] {
    text.lowercased().split(whereSeparator: { !(isLetter($0) || $0 == "'") }).map(String.init)
  }

  /// The start offsets of `phrase` in `text` with no letter or digit right before or after it
  /// (a phrase starting with `'`, like `'s fault`, may follow a letter).
  static func occurrences(of phrase: [Character], in text: [Character]) -> [Int] {
    guard !phrase.isEmpty, text.count >= phrase.count else { return [] }
    var out: [Int] = []
    let startsWithLetter = isLetter(phrase[0])
    var i = 0
    while i <= text.count - phrase.count {
      if text[i] == phrase[0], Array(text[i..<(i + phrase.count)]) == phrase {
        let beforeOK = !startsWithLetter || i == 0 || !isLetter(text[i - 1])
        let end = i + phrase.count
        let afterOK = end == text.count || !isLetter(text[end])
        if beforeOK && afterOK {
          out.append(i)
          i = end
          continue
        }
      }
      i += 1
    }
    return out
  }

  /// The person-like subject right before "failed to" at `at`, lower case, and where it starts.
  static func personSubject(before at: Int, text: [Located], lower: [Character], names: Set<String>,
                            things: Set<String>) -> (String, Int)?
  {
    // The words before, back to the start of the sentence: (original, lower, start offset).
    var words: [(word: String, lower: String, start: Int)] = []
    var i = at - 1
    while i >= 0, words.count < 3 {
      while i >= 0, text[i].char == " " { i -= 1 }
      guard i >= 0, isLetter(text[i].char) || text[i].char == "'" else { break }
      let end = i + 1
      while i >= 0, isLetter(text[i].char) || text[i].char == "'" { i -= 1 }
      words.insert((String(text[(i + 1)..<end].map(\.char)), String(lower[(i + 1)..<end]), i + 1), at: 0)
      if i >= 0, text[i].char != " " { break }  // punctuation ends the phrase
    }
    guard let last = words.last else { return nil }
    if words.count >= 2 {
      let two = words[words.count - 2]
      let pair = two.lower + " " + last.lower
      if personWords.contains(pair) || names.contains(pair) { return (pair, two.start) }
    }
    if personWords.contains(last.lower) || names.contains(last.lower) { return (last.lower, last.start) }
    guard let first = last.word.first, first.isUppercase else { return nil }
    let rest = last.word.dropFirst()
    let letters = rest.filter(\.isLetter)
    let looksLikeName = !letters.isEmpty && letters.allSatisfy(\.isLowercase)
      && !last.word.contains(where: \.isNumber) && !last.lower.hasSuffix("ing") && !last.lower.hasSuffix("'s")
    guard looksLikeName, !determiners.contains(last.lower), !things.contains(last.lower) else { return nil }
    if words.count >= 2, determiners.contains(words[words.count - 2].lower) { return nil }
    return (last.lower, last.start)
  }
}
