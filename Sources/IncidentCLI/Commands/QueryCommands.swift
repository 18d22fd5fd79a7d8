import ArgumentParser
import Foundation
import IncidentKit

/// A date bound for `--since`/`--until`: an RFC 3339 time or a UTC date (`2026-11-01`).
struct DateBound: ExpressibleByArgument {
  let date: Date

  init?(argument: String) {
    if let d = RFC3339.parse(argument) {
      date = d
    } else if argument.count == 10, let d = RFC3339.parse(argument + "T00:00:00Z") {
      date = d
    } else {
      return nil
    }
  }

  static var defaultValueDescription: String { "a date (2026-11-01, UTC) or RFC 3339 time" }

  /// Refuses `--until` at or before `--since` (nothing could match), a usage error.
  static func validate(since: DateBound?, until: DateBound?) throws {
    if let since, let until, until.date <= since.date {
      throw ValidationError("--until (\(RFC3339.format(until.date))) must be after --since (\(RFC3339.format(since.date))); no incident can be declared in an empty period")
    }
  }
}

extension GitIncident {
  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "Show an incident and its timeline.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
      let store = try global.store()
      let tree = try store.headTree()
      let record = try store.record(try store.resolve(id, in: tree), in: tree)
      Output.print(json ? record.json.rendered() : Render.record(record))
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "List incidents, newest first.",
      discussion: "--since/--until compare the time an incident was declared (reported_at). Filters of different kinds combine with AND; a repeated filter matches any of its values.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this status (repeatable).") var status: [IncidentStatus] = []
    @Option(help: "Only this severity (repeatable).") var severity: [String] = []
    @Option(help: "Only this kind.") var kind: IncidentKind?
    @Option(help: "Only incidents affecting this service (repeatable).") var service: [String] = []
    @Option(help: "Only incidents with this label (repeatable).") var label: [String] = []
    @Flag(help: "Only open incidents (not closed or declined).") var open = false
    @Flag(help: "Only closed or declined incidents.") var closed = false
    @Option(help: "Declared at or after this time.") var since: DateBound?
    @Option(help: "Declared before this time.") var until: DateBound?
    @Flag(help: "Print JSON for scripts.") var json = false

    func validate() throws {
      if open && closed { throw ValidationError("--open and --closed exclude each other") }
      try DateBound.validate(since: since, until: until)
    }

    func run() throws {
      let store = try global.store()
      let tree = try store.headTree()
      let filter = IncidentFilter(
        statuses: status, severities: severity, kind: kind, services: service, labels: label,
        openOnly: open, closedOnly: closed, since: since?.date, until: until?.date)
      // Every incident as JSON, straight from the cache when it has them all as such.
      if json, filter.isEmpty, let fragments = try store.listJSON(in: tree) {
        ProcessLifetime.keep(fragments)
        Incident.writeJSONList(fragments: fragments, to: Output.write)
        return
      }
      let (incidents, problems) = try store.incidents(in: tree, listEntries: json && filter.isEmpty)
      problems.forEach { Output.warning($0.description) }
      let selected = filter.apply(incidents)
      ProcessLifetime.keep((incidents, selected))
      if json {
        Incident.writeJSONList(selected, to: Output.write)
      } else if selected.isEmpty {
        Output.print("no incidents")
      } else {
        var rows = [["ID", "SEV", "STATUS", "KIND", "DECLARED", "COMMANDER", "TITLE"]]
        for i in selected {
          rows.append([
            i.id.rawValue, i.severity, i.status.rawValue, i.kind.rawValue,
            Output.shortTime(i.times.reportedAt), i.commander ?? "-", i.title,
          ])
        }
        Output.print(Output.table(rows))
      }
      if !problems.isEmpty {
        Output.error("\(problems.count) incident record(s) could not be read and are not listed (see the warnings above)")
        throw ExitCode.failure
      }
    }
  }

  struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "history",
      abstract: "Show an incident's commits, oldest first, as the changes they made.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Incident ID, its last part, or a unique prefix.") var id: String
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
      let entries = try global.store().history(id)
      if json {
        Output.print(JSONValue.array(entries.map(\.json)).rendered())
      } else {
        Output.print(Render.history(entries))
      }
    }
  }
}
