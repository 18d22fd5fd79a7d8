/// A severity level a repository defines, for example `SEV1`. The first defined is the worst.
public struct SeverityLevel: Sendable, Equatable, Codable {
  /// The name used in records and on the command line.
  public var name: String
  /// What the level means, so responders pick the same level for the same impact.
  public var description: String
}

/// Repository settings: the content of `git-incident.yaml` at the repository's root.
///
/// A repository without the file (for example a plain `git init` followed by `declare`) uses
/// ``defaults``.
public struct Settings: Sendable, Equatable {
  /// The file's path in the repository.
  public static let path = "git-incident.yaml"

  /// The ID prefix, for example `INC`.
  public var idPrefix: String
  /// Severity levels, worst first.
  public var severities: [SeverityLevel]
  /// Severities whose incidents need a published postmortem before `closed`.
  public var postmortemRequiredFor: [String]
  /// Stakeholder update interval per severity, in seconds.
  public var updateIntervals: [(severity: String, seconds: Int)]
  /// Keys the tool does not know.
  public var extra: [ExtraField]
  /// Severities whose postmortems need at least one action item (`policy.action_items_required_for`).
  public var actionItemsRequiredFor: [String] = ["SEV1", "SEV2"]
  /// Approvals a postmortem needs before `postmortem publish` (`policy.approvals_required`).
  public var approvalsRequired: Int = 1
  /// Postmortem sections that `postmortem check` requires filled
  /// (`policy.required_postmortem_sections`; default ``PostmortemTemplate/requiredSections``).
  public var requiredPostmortemSections: [String] = PostmortemTemplate.requiredSections
  /// The IANA time zone (`UTC`, `Europe/Berlin`) in which imported times written without a
  /// zone or offset are read; default `UTC`. Written to the file only when not `UTC`.
  public var timezone: String = "UTC"
  /// `policy.require_signed_commits`: when true, `git incident audit` requires every commit
  /// that touches records (while the policy is in force) to carry a good signature from an
  /// allowed signer, as `audit --require-signed` does. Default false.
  public var requireSignedCommits: Bool = false

  /// SEV1 (worst) to SEV5, with definitions in the style of PagerDuty's and Atlassian's
  /// severity guides; postmortems required for SEV1 and SEV2; updates every 30 min (SEV1) and
  /// 60 min (SEV2).
  public static let defaults = Settings(
    idPrefix: "INC",
    severities: [
      SeverityLevel(
        name: "SEV1",
        description:
          "Critical: a core service is down or data is lost or exposed for many customers; page everyone needed, now."
      ),
      SeverityLevel(
        name: "SEV2",
        description:
          "Major: a core feature is unavailable or badly degraded for many customers, or a security incident is suspected."
      ),
      SeverityLevel(
        name: "SEV3",
        description:
          "Minor: partial degradation for some customers, with a workaround; handle in working hours."
      ),
      SeverityLevel(
        name: "SEV4",
        description: "Low: little customer impact; an internal tool or a non-critical job is affected."
      ),
      SeverityLevel(
        name: "SEV5",
        description: "Informational: no customer impact; recorded for learning or follow-up."
      ),
    ],
    postmortemRequiredFor: ["SEV1", "SEV2"],
    updateIntervals: [("SEV1", 1800), ("SEV2", 3600)],
    extra: []
  )

  /// The names of the defined severities, worst first.
  public var severityNames: [String] { severities.map(\.name) }

  /// The defined level with this name (case-insensitive), if any.
  public func severity(named name: String) -> SeverityLevel? {
    severities.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
  }

  /// The position of a severity, 0 for the worst; defined levels come before unknown ones.
  public func rank(ofSeverity name: String) -> Int {
    severities.firstIndex { $0.name == name } ?? severities.count
  }

  public static func == (lhs: Settings, rhs: Settings) -> Bool {
    lhs.idPrefix == rhs.idPrefix && lhs.severities == rhs.severities
      && lhs.postmortemRequiredFor == rhs.postmortemRequiredFor
      && lhs.updateIntervals.map(\.severity) == rhs.updateIntervals.map(\.severity)
      && lhs.updateIntervals.map(\.seconds) == rhs.updateIntervals.map(\.seconds)
      && lhs.extra == rhs.extra && lhs.actionItemsRequiredFor == rhs.actionItemsRequiredFor
      && lhs.approvalsRequired == rhs.approvalsRequired
      && lhs.requiredPostmortemSections == rhs.requiredPostmortemSections && lhs.timezone == rhs.timezone && lhs.requireSignedCommits == rhs.requireSignedCommits
  }
}
