import ArgumentParser
import Foundation
import IncidentKit

extension GitIncident {
  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "import",
      abstract: "Import incidents from Statuspage, VERIS or Markdown postmortems.",
      discussion: """
        Each imported incident keeps source: {system, id}; a source already in the repository is \
        never imported again, so running an import twice adds nothing. A record with a bad or \
        missing value is reported with its file and field and skipped (an error); the rest is \
        imported, and the command exits 1 to say that something was skipped. Times without a \
        zone are read in the timezone the committed git-incident.yaml sets (default UTC), with a \
        warning. Markdown source IDs are the file's path relative to the folder given (or its \
        name when the file is given), so import the same folder to re-import without duplicates.
        Example: git incident import statuspage incidents/ --dry-run
        """,
      subcommands: [Statuspage.self, Veris.self, Markdown.self])
  }
}

/// The arguments every importer takes.
struct ImportArguments: ParsableArguments {
  @OptionGroup var global: GlobalOptions
  @Argument(help: ArgumentHelp("Files, or folders to read recursively.", valueName: "file-or-folder"))
  var paths: [String]
  @Flag(name: .customLong("dry-run"), help: "Show what would be imported; write nothing.")
  var dryRun = false
  @Flag(help: "Print the report as JSON for scripts.") var json = false

  func validate() throws {
    if paths.isEmpty { throw ValidationError("give at least one file or folder to import") }
  }

  func run(_ system: ImportSystem) throws {
    let store = try global.store()
    let absolute = paths.map { $0.hasPrefix("/") ? $0 : (global.path as NSString).appendingPathComponent($0) }
    var report = try store.importIncidents(system, paths: absolute, dryRun: dryRun, as: global.actor)
    let base = global.path.hasSuffix("/") ? global.path : global.path + "/"
    func shown(_ file: String) -> String { file.hasPrefix(base) ? String(file.dropFirst(base.count)) : file }
    func shownInText(_ text: String) -> String { text.hasPrefix(base) ? String(text.dropFirst(base.count)) : text }
    report.skipped = report.skipped.map { ImportProblem(file: shown($0.file), field: $0.field, message: $0.message) }
    report.warnings.map(shownInText).forEach(Output.warning)
    // A skipped record makes the exit code 1, so it is an error, not a warning.
    report.skipped.forEach { Output.error("skipped \($0.description)") }
    if json {
      Output.print(Render.importJSON(report, file: shown).rendered())
    } else {
      Output.print(Render.importText(report, file: shown))
    }
    if report.hasSkipped { throw ExitCode(1) }
  }
}

extension GitIncident.Import {
  struct Statuspage: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "statuspage",
      abstract: "Import Atlassian Statuspage incident JSON, replaying each update as a commit.",
      discussion: "Statuses: investigating and identified -> active, monitoring -> mitigated, resolved -> resolved, postmortem -> review. Impact: critical -> 1st severity level, major -> 2nd, minor -> 3rd, none -> 5th. Each update is one commit whose author date is the update's display_at.")
    @OptionGroup var arguments: ImportArguments
    func run() throws { try arguments.run(.statuspage) }
  }

  struct Veris: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "veris",
      abstract: "Import VERIS JSON as security incidents (one commit each).",
      discussion: "Actors, actions, assets, attributes, victim and the source IDs are kept in a veris block of incident.yaml.")
    @OptionGroup var arguments: ImportArguments
    func run() throws { try arguments.run(.veris) }
  }

  struct Markdown: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "markdown",
      abstract: "Import Markdown postmortems (with or without YAML front matter) as resolved incidents with their postmortem.md.")
    @OptionGroup var arguments: ImportArguments
    func run() throws { try arguments.run(.markdown) }
  }
}

extension Render {
  static func importText(_ report: ImportReport, file: (String) -> String) -> String {
    var lines: [String] = []
    let verb = report.dryRun ? "would import" : "imported"
    for item in report.imported {
      lines.append("\(verb) \(item.id)  \(item.severity)  \(item.status.rawValue)  \(item.source.text) (\(item.commits) commit\(item.commits == 1 ? "" : "s"))  \(item.title)")
    }
    for item in report.alreadyPresent {
      lines.append("already present \(item.id)  \(item.source.text)  \(file(item.file))")
    }
    let commits = report.imported.reduce(0) { $0 + $1.commits }
    lines.append(
      "\(report.dryRun ? "dry run: would import" : "imported") \(report.imported.count) incident\(report.imported.count == 1 ? "" : "s") in \(commits) commit\(commits == 1 ? "" : "s"); "
        + "\(report.alreadyPresent.count) already present; \(report.skipped.count) skipped")
    return lines.joined(separator: "\n")
  }

  static func importJSON(_ report: ImportReport, file: (String) -> String) -> JSONValue {
    .object([
      "system": .string(report.system.rawValue), "dry_run": .bool(report.dryRun),
      "imported": .array(report.imported.map { item in
        .object([
          "id": .string(item.id.rawValue), "source": .object(["system": .string(item.source.system), "id": .string(item.source.id)]),
          "file": .string(file(item.file)), "title": .string(item.title), "severity": .string(item.severity),
          "status": .string(item.status.rawValue), "commits": .number(Double(item.commits)),
        ])
      }),
      "already_present": .array(report.alreadyPresent.map { item in
        .object(["id": .string(item.id.rawValue), "source": .string(item.source.text), "file": .string(file(item.file))])
      }),
      "skipped": .array(report.skipped.map { p in
        .object(["file": .string(p.file), "field": .optional(p.field), "message": .string(p.message)])
      }),
      "warnings": .array(report.warnings.map(JSONValue.string)),
      "commits": .array(report.commits.map { .string($0.hex) }),
    ])
  }
}
