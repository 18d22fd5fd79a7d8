import ArgumentParser
import Foundation
import IncidentKit

extension GitIncident {
  struct Blame: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "blame",
      abstract: "Show who last set each field of an incident, in which commit and when.",
      discussion: """
        Fields: title, kind, severity, status, summary, services, labels, roles.<role> \
        (roles.commander), the times (started_at ... closed_at), declined_reason, declared_by. \
        Like git blame, the walk follows the parent that had the same value, so a value that \
        came in through a merge is blamed on the commit that set it on its branch.
        Example: git incident blame 7K3Q severity
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
    @Argument(help: "Only this field (severity, roles.commander, mitigated_at, ...).") var field: String?
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
      let lines = try global.store().blame(id, field: field)
      if json {
        Output.print(JSONValue.array(lines.map(\.json)).rendered())
        return
      }
      var rows: [[String]] = []
      for l in lines {
        let mark = l.isMerge ? " (merge)" : l.isHandEdit ? " (hand edit)" : ""
        rows.append([
          l.field, Render.oneLine(l.value ?? "-", limit: 40), l.commit.short(12),
          Output.shortTime(l.date), Render.personName(l.author), l.subject + mark,
        ])
      }
      Output.print(Output.table(rows))
    }
  }

  struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "audit",
      abstract: "Check every commit that touched records; exit 1 on any violation (for CI).",
      discussion: """
        Checks that each changed record file parses and is valid, status moves are legal and \
        times in order, trailers agree with what changed, and (with --require-signed or \
        policy.require_signed_commits: true in git-incident.yaml) every such commit has a good \
        signature from an allowed signer (gpg.ssh.allowedSignersFile for ssh, the gpg keyring for \
        openpgp). Commits made with plain git are listed as hand edits and checked the same way. \
        A violation later undone by `git revert` is listed as reverted and does not fail.
        Each violation is printed as: <commit>  <file>[:<line>]  <rule>: <message>
        Example: git incident audit --since origin/main@{1} --require-signed
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Audit only the commits after this revision; it must be an ancestor of HEAD.")
    var since: String?
    @Flag(name: .customLong("require-signed"), help: "Require a good signature on every commit that touched records.")
    var requireSigned = false
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
      let report = try global.store().audit(AuditOptions(since: since, requireSigned: requireSigned))
      if json {
        Output.print(report.json.rendered())
      } else {
        Output.print(Render.audit(report))
      }
      if !report.passed {
        FileHandle.standardError.write(Data(
          "git-incident: audit failed: \(report.violations.count) violation\(report.violations.count == 1 ? "" : "s")\n".utf8))
        throw ExitCode(1)
      }
    }
  }
}

extension Render {
  static func oneLine(_ text: String, limit: Int) -> String {
    let first = text.split(separator: "\n").first.map(String.init) ?? ""
    return first.count > limit ? String(first.prefix(limit - 1)) + "…" : first
  }

  /// The audit report for people: a summary line, hand edits, violations, reverted ones.
  static func audit(_ report: AuditReport) -> String {
    let range = report.since.map { "after \($0.short()) " } ?? ""
    var out = "audited \(report.audited.count) commits that touched records \(range)(of \(report.commitsWalked) walked"
      + (report.signaturesChecked > 0 ? ", \(report.signaturesChecked) signatures checked" : "")
      + "): \(report.handEdits.count) hand edit\(report.handEdits.count == 1 ? "" : "s"), "
      + "\(report.violations.count) violation\(report.violations.count == 1 ? "" : "s")"
    if !report.handEdits.isEmpty {
      out += "\n\nhand edits (no trailers; checked like any other commit):\n"
      out += Output.table(report.handEdits.map {
        ["  " + $0.commit.short(), Output.shortTime($0.date), personName($0.author), $0.subject]
      })
    }
    if !report.violations.isEmpty {
      out += "\n\nviolations:\n"
      out += report.violations.map { "  \($0.commit.short())  \($0.location)  \($0.rule): \($0.message)" }
        .joined(separator: "\n")
    }
    if !report.reverted.isEmpty {
      out += "\n\nreverted (undone by a later revert; not counted):\n"
      out += report.reverted.map {
        "  \($0.violation.commit.short())  \($0.violation.location)  \($0.violation.rule): \($0.violation.message) (reverted by \($0.revertedBy.short()))"
      }.joined(separator: "\n")
    }
    return out
  }
}
