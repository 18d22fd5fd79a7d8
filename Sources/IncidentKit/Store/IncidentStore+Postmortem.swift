import Foundation
import Git

/// What `postmortem check` found in one postmortem.
public struct PostmortemReport: Sendable {
  /// The postmortem's path in the repository.
  public var file: String
  /// True when the work tree's copy was checked, false for the committed one.
  public var fromWorkTree: Bool
  /// The problems, ordered by line.
  public var problems: [PostmortemProblem]

  /// The errors.
  public var errors: [PostmortemProblem] { problems.filter { $0.level == .error } }
  /// The warnings.
  public var warnings: [PostmortemProblem] { problems.filter { $0.level == .warning } }

  /// True when there is no error (and, with `strict`, no warning either).
  public func passes(strict: Bool) -> Bool { errors.isEmpty && (!strict || warnings.isEmpty) }
}

extension IncidentStore {
  /// The repository's postmortem template from `tree`, or the built-in default.
  func postmortemTemplate(in tree: Tree?) throws(IncidentError) -> String {
    guard let entry = tree?.entry(atPath: PostmortemTemplate.path) else { return PostmortemTemplate.defaultText }
    return String(decoding: try blob(entry.id), as: UTF8.self)
  }

  /// The committed postmortem of `id`: its text and parsed front matter.
  func postmortem(_ id: IncidentID, in tree: Tree?) throws(IncidentError) -> (text: String, frontMatter: PostmortemFrontMatter) {
    let path = RecordPaths.postmortem(id)
    guard let entry = tree?.entry(atPath: path) else {
      throw .refused("\(id) has no postmortem; start one with `git incident postmortem new \(id)`")
    }
    guard let text = String(data: try blob(entry.id), encoding: .utf8) else {
      throw .invalidRecord(FormatError(file: path, message: "the file is not valid UTF-8"))
    }
    do {
      return (text, try PostmortemDocument(text).frontMatter(file: path))
    } catch {
      throw .invalidRecord(error)
    }
  }

  /// The number of approvals of `id`'s committed postmortem that count
  /// (``PostmortemFrontMatter/validApprovals``); 0 when it has none or its front matter cannot
  /// be read (closing then stays refused, and `postmortem check` says why).
  func postmortemApprovalCount(_ id: IncidentID, in tree: Tree?) -> Int {
    (try? postmortem(id, in: tree))?.frontMatter.validApprovals.count ?? 0
  }

  /// Writes `postmortem.md` for incident `query` from the repository's template
  /// (`templates/postmortem.md`, else the built-in one), prefilled from the record, as one
  /// commit with `Incident-Change: postmortem` and `Incident-Postmortem: draft`.
  ///
  /// - Parameter force: allow an incident that is not yet resolved.
  /// - Throws: ``IncidentError/refused(_:)`` when the incident is not resolved (or later) and
  ///   `force` is false, or it already has a postmortem; ``IncidentError/invalidRecord(_:)`` for
  ///   a template with invalid front matter.
  public func postmortemNew(_ query: String, force: Bool = false, as actor: String? = nil) throws(IncidentError)
    -> CommitResult
  {
    let identity = try identity(explicit: actor)
    return try changeIncident(query, identity: identity) { id, tree, record, _ throws(IncidentError) in
      let path = RecordPaths.postmortem(id)
      if tree?.entry(atPath: path) != nil {
        throw .refused("\(id) already has a postmortem (\(record.postmortemStatus ?? "no status")); edit \(path)")
      }
      let status = record.incident.status
      if !force && (status.rank < IncidentStatus.resolved.rank || status == .declined) {
        throw .refused("\(id) is \(status.rawValue); a postmortem starts once the incident is resolved (use --force to start it now)")
      }
      let text: String
      do {
        text = try PostmortemTemplate.instantiate(try postmortemTemplate(in: tree), record: record, author: identity.formatted)
      } catch let error as FormatError {
        throw .invalidRecord(error)
      } catch {
        throw error as! IncidentError
      }
      return PendingCommit(
        files: [(path, Data(text.utf8))],
        message: CommitMessage(
          subject: "\(id): postmortem draft started",
          trailers: [("Incident", id.rawValue), ("Incident-Change", "postmortem"), ("Incident-Postmortem", "draft")]))
    }
  }

  /// Checks incident `query`'s postmortem (see ``PostmortemCheck/run(_:file:record:settings:template:)``).
  ///
  /// - Parameter committed: check the committed version even when the work tree has a copy.
  ///   By default the work tree's copy is checked (it is what the author is editing), and the
  ///   committed one in a bare repository or when the work tree has none.
  /// - Throws: ``IncidentError/refused(_:)`` when there is no postmortem.
  public func postmortemCheck(_ query: String, committed: Bool = false) throws(IncidentError) -> PostmortemReport {
    let tree = try headTree()
    let id = try resolve(query, in: tree)
    let record = try record(id, in: tree)
    let path = RecordPaths.postmortem(id)
    var text: String?
    var fromWorkTree = false
    if !committed, let workdir = repository.workingDirectory,
      let data = FileManager.default.contents(atPath: workdir + "/" + path)
    {
      guard let t = String(data: data, encoding: .utf8) else {
        throw .invalidRecord(FormatError(file: path, message: "the file is not valid UTF-8"))
      }
      text = t
      fromWorkTree = true
    }
    if text == nil { text = try postmortem(id, in: tree).text }
    let problems = PostmortemCheck.run(
      text!, file: path, record: record, settings: try settings(in: tree), template: try postmortemTemplate(in: tree))
    return PostmortemReport(file: path, fromWorkTree: fromWorkTree, problems: problems)
  }

  /// Asks people to review a postmortem: adds them to `reviewers` and sets `status: in-review`,
  /// as one commit with `Incident-Postmortem: in-review` and one `Incident-Reviewer` trailer
  /// per person named, written as `reviewers` stores them.
  ///
  /// People are cleaned as git cleans identities (``PersonName``) and named once: two mentions
  /// are one person when their emails match (case-insensitively), or their names when there is
  /// no email.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` when the postmortem is approved or published, a
  ///   reviewer is one of its authors (same name or email), or nothing would change (everyone
  ///   named is already a reviewer of an in-review postmortem); ``IncidentError/invalidInput(_:)``
  ///   for an empty list or a person that names nobody (`<>`).
  public func postmortemRequestReview(_ query: String, reviewers: [String], as actor: String? = nil)
    throws(IncidentError) -> CommitResult
  {
    let identity = try identity(explicit: actor)
    var people: [String] = []
    for s in reviewers {
      let person = try PersonName.required(s, what: "--reviewer")
      if !people.contains(where: { PersonName.listKey($0) == PersonName.listKey(person) }) { people.append(person) }
    }
    guard !people.isEmpty else { throw .invalidInput("name at least one --reviewer") }
    return try changeIncident(query, identity: identity) { id, tree, _, _ throws(IncidentError) in
      let (text, old) = try postmortem(id, in: tree)
      var fm = old
      guard fm.status == .draft || fm.status == .inReview else {
        throw .refused("the postmortem of \(id) is \(fm.status.rawValue); review is requested for a draft or in-review postmortem")
      }
      for person in people where fm.authors.contains(where: { PersonName.samePerson($0, person) }) {
        throw .refused("\(person) is an author of the postmortem of \(id) and cannot review it; ask someone who did not write it")
      }
      var named: [String] = []
      for person in people {
        if let listed = fm.reviewers.first(where: { PersonName.listKey($0) == PersonName.listKey(person) }) {
          named.append(listed)
        } else {
          fm.reviewers.append(person)
          named.append(person)
        }
      }
      fm.status = .inReview
      guard fm != old else {
        throw .refused("nothing to change: " + named.joined(separator: ", ")
          + (named.count == 1 ? " is" : " are") + " already asked to review the postmortem of \(id), and it is in review")
      }
      let new = PostmortemDocument.compose(fm, body: PostmortemDocument(text).body, like: text)
      return PendingCommit(
        files: [(RecordPaths.postmortem(id), Data(new.utf8))],
        message: CommitMessage(
          subject: "\(id): postmortem review requested from " + named.map(Self.name).joined(separator: ", "),
          trailers: [("Incident", id.rawValue), ("Incident-Change", "postmortem"), ("Incident-Postmortem", "in-review")]
            + named.map { ("Incident-Reviewer", $0) }))
    }
  }

  /// Approves a postmortem as the person running the command (the commit's author), as one
  /// commit with `Incident-Postmortem: <new status>` and `Approved-by: Name <email>`. The status
  /// becomes `approved` once `policy.approvals_required` approvals are recorded.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` when the approver is an author (a postmortem is
  ///   approved by someone who did not write it), has already approved it, or it is published.
  public func postmortemApprove(_ query: String, note: String? = nil, as actor: String? = nil) throws(IncidentError)
    -> CommitResult
  {
    let identity = try identity(explicit: actor)
    let approver = identity.formatted
    return try changeIncident(query, identity: identity) { id, tree, _, settings throws(IncidentError) in
      var (text, fm) = try postmortem(id, in: tree)
      guard fm.status != .published else {
        throw .refused("the postmortem of \(id) is already published; nothing to approve")
      }
      if fm.authors.contains(where: { PersonName.samePerson($0, approver) }) {
        throw .refused("\(approver) is an author of the postmortem of \(id) and cannot approve it; a reviewer who did not write it approves (`git incident postmortem request-review \(id) --reviewer \"Name <email>\"`)")
      }
      if fm.approvals.contains(where: { PersonName.samePerson($0.by, approver) }) {
        throw .refused("\(approver) has already approved the postmortem of \(id)")
      }
      fm.approvals.append(PostmortemApproval(by: approver, at: now, note: Lifecycle.nonEmpty(note)))
      fm.status = fm.validApprovals.count >= settings.approvalsRequired ? .approved : .inReview
      text = PostmortemDocument.compose(fm, body: PostmortemDocument(text).body, like: text)
      return PendingCommit(
        files: [(RecordPaths.postmortem(id), Data(text.utf8))],
        message: CommitMessage(
          subject: "\(id): postmortem approved by \(approver)" + (fm.status == .approved ? "" : " (\(fm.validApprovals.count) of \(settings.approvalsRequired))"),
          body: note ?? "",
          trailers: [("Incident", id.rawValue), ("Incident-Change", "postmortem"),
                     ("Incident-Postmortem", fm.status.rawValue), ("Approved-by", approver)]))
    }
  }

  /// Publishes a postmortem: needs the committed version to pass `postmortem check` (errors;
  /// warnings do not block) and `policy.approvals_required` approvals; one commit with
  /// `Incident-Postmortem: published`.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` naming the missing approvals or the first check
  ///   errors with their lines.
  public func postmortemPublish(_ query: String, as actor: String? = nil) throws(IncidentError) -> CommitResult {
    let identity = try identity(explicit: actor)
    return try changeIncident(query, identity: identity) { id, tree, record, settings throws(IncidentError) in
      var (text, fm) = try postmortem(id, in: tree)
      let path = RecordPaths.postmortem(id)
      guard fm.status != .published else { throw .refused("the postmortem of \(id) is already published") }
      guard fm.validApprovals.count >= settings.approvalsRequired else {
        throw .refused("the postmortem of \(id) has \(fm.validApprovals.count) of the \(settings.approvalsRequired) approvals policy requires; "
          + "a reviewer approves with `git incident postmortem approve \(id)`")
      }
      let errors = PostmortemCheck.run(text, file: path, record: record, settings: settings,
                                       template: try postmortemTemplate(in: tree)).filter { $0.level == .error }
      guard errors.isEmpty else {
        let listed = errors.prefix(5).map { "\(path)\($0.line.map { ":\($0)" } ?? ""): \($0.message)" }
        throw .refused("the postmortem of \(id) does not pass `git incident postmortem check`:\n  "
          + listed.joined(separator: "\n  ") + (errors.count > 5 ? "\n  ... and \(errors.count - 5) more" : ""))
      }
      fm.status = .published
      text = PostmortemDocument.compose(fm, body: PostmortemDocument(text).body, like: text)
      return PendingCommit(
        files: [(path, Data(text.utf8))],
        message: CommitMessage(
          subject: "\(id): postmortem published",
          trailers: [("Incident", id.rawValue), ("Incident-Change", "postmortem"), ("Incident-Postmortem", "published")]))
    }
  }

  static func name(_ person: String) -> String {
    guard let open = person.firstIndex(of: "<") else { return person }
    let n = person[..<open].trimmingCharacters(in: .whitespaces)
    return n.isEmpty ? person : n
  }
}
