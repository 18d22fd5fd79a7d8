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
  /// per person.
  ///
  /// - Throws: ``IncidentError/refused(_:)`` when the postmortem is approved or published, or a
  ///   reviewer is one of its authors; ``IncidentError/invalidInput(_:)`` for an empty list.
  public func postmortemRequestReview(_ query: String, reviewers: [String], as actor: String? = nil)
    throws(IncidentError) -> CommitResult
  {
    let identity = try identity(explicit: actor)
    let people = try reviewers.map { s throws(IncidentError) in try Lifecycle.singleLine(s, what: "--reviewer") }
    guard !people.isEmpty else { throw .invalidInput("name at least one --reviewer") }
    return try changeIncident(query, identity: identity) { id, tree, _, _ throws(IncidentError) in
      var (text, fm) = try postmortem(id, in: tree)
      guard fm.status == .draft || fm.status == .inReview else {
        throw .refused("the postmortem of \(id) is \(fm.status.rawValue); review is requested for a draft or in-review postmortem")
      }
      for person in people where fm.authors.contains(where: { Self.samePerson($0, person) }) {
        throw .refused("\(person) is an author of the postmortem of \(id) and cannot review it; ask someone who did not write it")
      }
      for person in people where !fm.reviewers.contains(where: { Self.samePerson($0, person) }) {
        fm.reviewers.append(person)
      }
      fm.status = .inReview
      text = PostmortemDocument.compose(fm, body: PostmortemDocument(text).body)
      return PendingCommit(
        files: [(RecordPaths.postmortem(id), Data(text.utf8))],
        message: CommitMessage(
          subject: "\(id): postmortem review requested from " + people.map(Self.name).joined(separator: ", "),
          trailers: [("Incident", id.rawValue), ("Incident-Change", "postmortem"), ("Incident-Postmortem", "in-review")]
            + people.map { ("Incident-Reviewer", $0) }))
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
      if fm.authors.contains(where: { Self.samePerson($0, approver) }) {
        throw .refused("\(approver) is an author of the postmortem of \(id) and cannot approve it; a reviewer who did not write it approves (`git incident postmortem request-review \(id) --reviewer \"Name <email>\"`)")
      }
      if fm.approvals.contains(where: { Self.samePerson($0.by, approver) }) {
        throw .refused("\(approver) has already approved the postmortem of \(id)")
      }
      fm.approvals.append(PostmortemApproval(by: approver, at: now, note: Lifecycle.nonEmpty(note)))
      fm.status = fm.approvals.count >= settings.approvalsRequired ? .approved : .inReview
      text = PostmortemDocument.compose(fm, body: PostmortemDocument(text).body)
      return PendingCommit(
        files: [(RecordPaths.postmortem(id), Data(text.utf8))],
        message: CommitMessage(
          subject: "\(id): postmortem approved by \(approver)" + (fm.status == .approved ? "" : " (\(fm.approvals.count) of \(settings.approvalsRequired))"),
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
      guard fm.approvals.count >= settings.approvalsRequired else {
        throw .refused("the postmortem of \(id) has \(fm.approvals.count) of the \(settings.approvalsRequired) approvals policy requires; "
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
      text = PostmortemDocument.compose(fm, body: PostmortemDocument(text).body)
      return PendingCommit(
        files: [(path, Data(text.utf8))],
        message: CommitMessage(
          subject: "\(id): postmortem published",
          trailers: [("Incident", id.rawValue), ("Incident-Change", "postmortem"), ("Incident-Postmortem", "published")]))
    }
  }

  /// True when two `Name <email>` (or bare name) texts are the same person: equal emails when
  /// both have one, else equal names, case-insensitively.
  static func samePerson(_ a: String, _ b: String) -> Bool {
    func parts(_ s: String) -> (name: String, email: String?) {
      if let open = s.lastIndex(of: "<"), let close = s.lastIndex(of: ">"), open < close {
        return (s[..<open].trimmingCharacters(in: .whitespaces).lowercased(),
                s[s.index(after: open)..<close].trimmingCharacters(in: .whitespaces).lowercased())
      }
      return (s.trimmingCharacters(in: .whitespaces).lowercased(), nil)
    }
    let (pa, pb) = (parts(a), parts(b))
    if let ea = pa.email, let eb = pb.email { return ea == eb }
    return pa.name == pb.name
  }

  static func name(_ person: String) -> String {
    guard let open = person.firstIndex(of: "<") else { return person }
    let n = person[..<open].trimmingCharacters(in: .whitespaces)
    return n.isEmpty ? person : n
  }
}
