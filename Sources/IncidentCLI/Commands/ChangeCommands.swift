import ArgumentParser
import Foundation
import IncidentKit

extension GitIncident {
  struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "init",
      abstract: "Make the current folder (or -C) an incident repository.",
      discussion: "Creates the git repository when there is none, writes git-incident.yaml with severities SEV1-SEV5, and commits.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The incident ID prefix (1-10 upper-case letters and digits).") var prefix: String?

    func run() throws {
      let (_, result) = try IncidentStore.initialize(at: global.path, prefix: prefix, as: global.actor)
      Output.report(result)
    }
  }

  struct Declare: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "declare",
      abstract: "Declare a new incident; prints its ID alone on standard output.",
      discussion: """
        The incident starts reported, or active when a commander is given.
        Example: git incident declare "Checkout returns 500s" --severity SEV2 --service checkout --commander "Ana Lima"
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A one-line title.") var title: String
    @Option(help: "A severity defined in git-incident.yaml (SEV1 is worst).") var severity: String
    @Option(help: "outage or security.") var kind: IncidentKind = .outage
    @Option(name: .customLong("service"), help: "An affected service (repeatable).") var services: [String] = []
    @Option(name: .customLong("label"), help: "A label (repeatable).") var labels: [String] = []
    @Option(help: "What is known so far.") var summary: String?
    @Option(help: "The Incident Commander; makes the incident active.") var commander: String?
    @Option(name: .customLong("started-at"), help: "When impact began.", transform: TimeArgument.parse) var startedAt: Date?
    @Option(name: .customLong("detected-at"), help: "When it was detected (default now).", transform: TimeArgument.parse) var detectedAt: Date?
    @Option(name: .customLong("acknowledged-at"), help: "When the commander took it (default: --detected-at when given, else now).", transform: TimeArgument.parse) var acknowledgedAt: Date?
    @Option(help: "Copy the checklist of playbooks/<name>.md into the incident as tasks.") var playbook: String?

    func run() throws {
      let store = try global.store()
      let declaration = Declaration(
        title: title, severity: severity, kind: kind, services: services, labels: labels,
        summary: summary, commander: commander, startedAt: startedAt, detectedAt: detectedAt,
        acknowledgedAt: acknowledgedAt, playbook: playbook)
      let result = try store.declare(declaration, as: global.actor)
      Output.print(result.incident?.rawValue ?? "")
      result.warnings.forEach(Output.warning)
    }
  }

  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "Move an incident to a new status.",
      discussion: """
        Order: reported, active, mitigated (outage) / contained and eradicated (security), resolved, review, closed. \
        Moves forward may skip statuses; moving back needs `reopen`. declined ends a reported or active incident \
        and needs --reason false-positive, not-an-incident or duplicate:<ID>.
        Example: git incident status 7K3Q mitigated --at 2026-11-29T10:42:00Z --note "Rolled back"
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
    @Argument(help: "The new status.") var status: IncidentStatus
    @Option(help: "When it happened (default now).", transform: TimeArgument.parse) var at: Date?
    @Option(help: "A note kept with the change.") var note: String?
    @Option(help: "For declined: false-positive, not-an-incident or duplicate:<ID>.") var reason: String?

    func run() throws {
      let result = try global.store().change(id, .status(status, at: at, note: note, reason: reason), as: global.actor)
      Output.report(result)
    }
  }

  struct Reopen: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "reopen",
      abstract: "Move a resolved, review or closed incident back to active.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
    @Option(help: "When it was reopened (default now).", transform: TimeArgument.parse) var at: Date?
    @Option(help: "Why it was reopened.") var note: String?

    func run() throws {
      let result = try global.store().change(id, .reopen(at: at, note: note), as: global.actor)
      Output.report(result)
    }
  }

  struct Severity: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "severity", abstract: "Change an incident's severity.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
    @Argument(help: "A severity defined in git-incident.yaml.") var severity: String
    @Option(help: "Why.") var note: String?

    func run() throws {
      let result = try global.store().change(id, .severity(severity, note: note), as: global.actor)
      Output.report(result)
    }
  }

  struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "assign",
      abstract: "Give a role to a person; a taken role is handed over.",
      discussion: "Roles: commander, deputy, scribe, communications, operations, or a custom lower-case name. Assigning a commander makes a reported incident active.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
    @Argument(help: "The role.") var role: String
    @Argument(help: "The person, e.g. \"Ana Lima <ana@example.com>\".") var person: String
    @Option(help: "When the role was taken (default now).", transform: TimeArgument.parse) var at: Date?

    func run() throws {
      let result = try global.store().change(id, .assign(role: role, person: person, at: at), as: global.actor)
      Output.report(result)
    }
  }

  struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "note", abstract: "Add a note to an incident's timeline.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
    @Argument(help: "The note.") var text: String
    @Option(help: "When it happened (default now).", transform: TimeArgument.parse) var at: Date?

    func run() throws {
      let result = try global.store().change(id, .note(text, at: at), as: global.actor)
      Output.report(result)
    }
  }

  struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "update", abstract: "Record a stakeholder update.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
    @Argument(help: "The update's text.") var text: String
    @Option(help: "internal or external.") var audience: Audience = .internal

    func run() throws {
      let result = try global.store().change(id, .update(text, audience: audience), as: global.actor)
      Output.report(result)
    }
  }
}
