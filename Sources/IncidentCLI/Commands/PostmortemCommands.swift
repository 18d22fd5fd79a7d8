import ArgumentParser
import Foundation
import IncidentKit

extension GitIncident {
  struct Postmortem: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "postmortem",
      abstract: "Write, check, review and publish an incident's blameless postmortem.",
      discussion: """
        Front matter status: draft -> in-review -> approved -> published. Each command is one commit \
        with Incident-Change: postmortem.
        Example:
          git incident postmortem new 7K3Q
          git incident postmortem check 7K3Q
          git incident postmortem request-review 7K3Q --reviewer "Bo Chen <bo@example.com>"
          git incident --as "Bo Chen <bo@example.com>" postmortem approve 7K3Q --note "Clear and complete"
          git incident postmortem publish 7K3Q
        """,
      subcommands: [New.self, Check.self, RequestReview.self, Approve.self, Publish.self])

    struct New: ParsableCommand {
      static let configuration = CommandConfiguration(
      commandName: "new",
        abstract: "Write postmortem.md from templates/postmortem.md, prefilled from the record.",
        discussion: "Prefills title, severity, services, times and durations (UTC), responders with their roles and the timeline. Only for resolved (or later) incidents unless --force.")

      @OptionGroup var global: GlobalOptions
      @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
      @Flag(help: "Start the postmortem before the incident is resolved.") var force = false

      func run() throws {
        let result = try global.store().postmortemNew(id, force: force, as: global.actor)
        Output.report(result)
      }
    }

    struct Check: ParsableCommand {
      static let configuration = CommandConfiguration(
      commandName: "check",
        abstract: "List a postmortem's problems with line numbers; exit 1 when it fails.",
        discussion: """
          Errors: a required section missing, empty or holding template placeholder text; no action \
          items where policy asks for them; invalid front matter. Warnings: blaming language (with a \
          blameless rewording hint). --strict makes warnings fail too. Checks the work tree's copy \
          unless --committed.
          """)

      @OptionGroup var global: GlobalOptions
      @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
      @Flag(help: "Fail on warnings too.") var strict = false
      @Flag(help: "Check the committed version, not the work tree's copy.") var committed = false

      func run() throws {
        let report = try global.store().postmortemCheck(id, committed: committed)
        Output.print(Render.postmortemReport(report, strict: strict))
        if !report.passes(strict: strict) { throw ExitCode(1) }
      }
    }

    struct RequestReview: ParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "request-review",
        abstract: "Ask people to review the postmortem (status in-review).")

      @OptionGroup var global: GlobalOptions
      @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
      @Option(name: .customLong("reviewer"), parsing: .upToNextOption, help: "A reviewer, \"Name <email>\" (repeatable).")
      var reviewers: [String] = []

      func validate() throws {
        if reviewers.isEmpty { throw ValidationError("name at least one --reviewer \"Name <email>\"") }
      }

      func run() throws {
        let result = try global.store().postmortemRequestReview(id, reviewers: reviewers, as: global.actor)
        Output.report(result)
      }
    }

    struct Approve: ParsableCommand {
      static let configuration = CommandConfiguration(
      commandName: "approve",
        abstract: "Approve the postmortem as yourself (not as one of its authors).",
        discussion: "The commit's author is the approver; it carries an Approved-by: trailer. The status becomes approved once policy.approvals_required approvals are in.")

      @OptionGroup var global: GlobalOptions
      @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
      @Option(help: "A note kept with the approval.") var note: String?

      func run() throws {
        let result = try global.store().postmortemApprove(id, note: note, as: global.actor)
        Output.report(result)
      }
    }

    struct Publish: ParsableCommand {
      static let configuration = CommandConfiguration(
      commandName: "publish",
        abstract: "Publish an approved postmortem that passes check.")

      @OptionGroup var global: GlobalOptions
      @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String

      func run() throws {
        let result = try global.store().postmortemPublish(id, as: global.actor)
        Output.report(result)
      }
    }
  }

  struct Action: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "action",
      abstract: "Add, complete, reopen or edit an incident's action items (actions.yaml).",
      discussion: """
        An item is named <incident>/<action>, like 7K3Q/A7K3Q (any case), or by its action ID alone. \
        Each command is one commit with Incident-Change: action and regenerates the Action items \
        block of postmortem.md.
        Example: git incident action add 7K3Q "Alert on checkout error rate" --owner "Ana Lima <ana@example.com>" --due 2026-12-15 --type detect --priority high
        """,
      subcommands: [Add.self, Done.self, Reopen.self, Edit.self])

    struct Add: ParsableCommand {
      static let configuration = CommandConfiguration(
      commandName: "add", abstract: "Add an action item; prints its reference (<ID>/<action>).")

      @OptionGroup var global: GlobalOptions
      @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
      @Argument(help: "What is to be done, one line.") var title: String
      @Option(help: "Who owns it, \"Name <email>\".") var owner: String?
      @Option(help: "Due date, YYYY-MM-DD (UTC).") var due: String?
      @Option(help: "mitigate, prevent, detect or process.") var type: ActionType?
      @Option(help: "high, medium or low.") var priority: ActionPriority?
      @Option(help: "A link to the ticket or change.") var link: String?

      func run() throws {
        let draft = ActionDraft(title: title, owner: owner, due: due, type: type, priority: priority, link: link)
        let (result, actionID) = try global.store().addAction(id, draft, as: global.actor)
        Output.print("\(result.incident?.rawValue ?? id)/\(actionID)")
        FileHandle.standardError.write(Data("\(result.subject) [\(result.commit.short(7))]\n".utf8))
        result.warnings.forEach(Output.warning)
      }
    }

    struct Done: ParsableCommand {
      static let configuration = CommandConfiguration(
      commandName: "done", abstract: "Mark an action item done.")
      @OptionGroup var global: GlobalOptions
      @Argument(help: "<incident>/<action>, like 7K3Q/A7K3Q.") var reference: String

      func run() throws {
        Output.report(try global.store().changeAction(reference, .done, as: global.actor))
      }
    }

    struct Reopen: ParsableCommand {
      static let configuration = CommandConfiguration(
      commandName: "reopen", abstract: "Mark a done action item open again.")
      @OptionGroup var global: GlobalOptions
      @Argument(help: "<incident>/<action>, like 7K3Q/A7K3Q.") var reference: String

      func run() throws {
        Output.report(try global.store().changeAction(reference, .reopen, as: global.actor))
      }
    }

    struct Edit: ParsableCommand {
      static let configuration = CommandConfiguration(
      commandName: "edit",
        abstract: "Change an action item's fields.",
        discussion: "An empty value clears --owner, --due or --link (--owner \"\").")
      @OptionGroup var global: GlobalOptions
      @Argument(help: "<incident>/<action>, like 7K3Q/A7K3Q.") var reference: String
      @Option(help: "A new title.") var title: String?
      @Option(help: "A new owner; empty clears it.") var owner: String?
      @Option(help: "A new due date, YYYY-MM-DD; empty clears it.") var due: String?
      @Option(help: "mitigate, prevent, detect or process.") var type: ActionType?
      @Option(help: "high, medium or low.") var priority: ActionPriority?
      @Option(help: "A new link; empty clears it.") var link: String?

      func validate() throws {
        if title == nil && owner == nil && due == nil && type == nil && priority == nil && link == nil {
          throw ValidationError("give at least one of --title, --owner, --due, --type, --priority, --link")
        }
      }

      func run() throws {
        let change = ActionChange.edit(title: title, owner: owner, due: due, type: type, priority: priority, link: link)
        Output.report(try global.store().changeAction(reference, change, as: global.actor))
      }
    }
  }

  struct Actions: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "actions",
      abstract: "List action items across all incidents, sorted by due date.",
      discussion: """
        An item is overdue when it is open and its due date is before today's UTC date. --owner \
        matches the owner's whole name, whole email or whole "Name <email>", in any case \
        (--owner "bo chen" or --owner bo@example.com, not --owner bo). Exits 1 after listing \
        when an actions.yaml cannot be read.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only items whose owner's whole name or whole email is this (any case).") var owner: String?
    @Flag(help: "Only open items.") var open = false
    @Flag(help: "Only open items past their due date.") var overdue = false
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
      let store = try global.store()
      let (rows, problems) = try store.actionRows(in: try store.headTree())
      problems.forEach { Output.warning($0.description) }
      let today = store.today
      let selected = ActionFilter(owner: owner, openOnly: open, overdueOnly: overdue, today: today).apply(rows)
      if json {
        Output.print(JSONValue.array(selected.map { row in
          guard case .object(var o) = row.item.json else { return row.item.json }
          o["incident"] = .string(row.incident.id.rawValue)
          o["incident_title"] = .string(row.incident.title)
          o["reference"] = .string(row.reference)
          o["overdue"] = .bool(row.item.isOverdue(today: today))
          return .object(o)
        }).rendered())
      } else if selected.isEmpty {
        Output.print("no action items")
      } else {
        var table = [["ACTION", "DUE", "STATUS", "PRIORITY", "TYPE", "OWNER", "TITLE"]]
        for row in selected {
          let i = row.item
          table.append([
            row.reference, (i.due ?? "-") + (i.isOverdue(today: today) ? " (overdue)" : ""), i.status.rawValue,
            i.priority?.rawValue ?? "-", i.type?.rawValue ?? "-", i.owner.map(Render.personName) ?? "-", i.title,
          ])
        }
        Output.print(Output.table(table))
      }
      if !problems.isEmpty {
        Output.error("\(problems.count) file(s) could not be read and their items are not listed (see the warnings above)")
        throw ExitCode.failure
      }
    }
  }

  struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "task",
      abstract: "Work through the playbook tasks declare --playbook copied into an incident.",
      subcommands: [Done.self])

    struct Done: ParsableCommand {
      static let configuration = CommandConfiguration(
      commandName: "done",
        abstract: "Mark a playbook task done (Incident-Change: edit, Incident-Task: T<n>).",
        discussion: "Example: git incident task done 7K3Q/T3")
      @OptionGroup var global: GlobalOptions
      @Argument(help: "<incident>/<task>, like 7K3Q/T3.") var reference: String

      func run() throws {
        Output.report(try global.store().taskDone(reference, as: global.actor))
      }
    }
  }

  struct Due: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "due",
      abstract: "List active incidents whose stakeholder update is overdue.",
      discussion: "The interval per severity is policy.update_interval_minutes in git-incident.yaml (default SEV1 30, SEV2 60). Without any update, the clock starts at declaration.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
      let store = try global.store()
      let (due, problems) = try store.dueUpdates(in: try store.headTree())
      problems.forEach { Output.warning($0.description) }
      if json {
        Output.print(JSONValue.array(due.map { d in
          .object([
            "id": .string(d.incident.id.rawValue), "title": .string(d.incident.title),
            "severity": .string(d.incident.severity), "status": .string(d.incident.status.rawValue),
            "last_update": .time(d.lastUpdate), "interval_seconds": .number(Double(d.interval)),
            "overdue_seconds": .number(Double(d.overdueBy)),
          ])
        }).rendered())
      } else if due.isEmpty {
        Output.print("no stakeholder updates due")
      } else {
        var rows = [["ID", "SEV", "STATUS", "LAST UPDATE", "EVERY", "OVERDUE BY", "TITLE"]]
        for d in due {
          rows.append([
            d.incident.id.rawValue, d.incident.severity, d.incident.status.rawValue,
            d.lastUpdate.map { Output.shortTime($0) } ?? "never", PostmortemTemplate.duration(TimeInterval(d.interval)),
            PostmortemTemplate.duration(TimeInterval(d.overdueBy)), d.incident.title,
          ])
        }
        Output.print(Output.table(rows))
      }
    }
  }
}

extension ActionType: ExpressibleByArgument {}
extension ActionPriority: ExpressibleByArgument {}
