import ArgumentParser
import Foundation
import IncidentKit

/// The filters of `list`, for `export`.
struct FilterOptions: ParsableArguments {
  @Option(help: "Only this status (repeatable).") var status: [IncidentStatus] = []
  @Option(help: "Only this severity (repeatable).") var severity: [String] = []
  @Option(help: "Only this kind.") var kind: IncidentKit.IncidentKind?
  @Option(help: "Only incidents affecting this service (repeatable).") var service: [String] = []
  @Option(help: "Only incidents with this label (repeatable).") var label: [String] = []
  @Flag(help: "Only open incidents (not closed or declined).") var open = false
  @Flag(help: "Only closed or declined incidents.") var closed = false
  @Option(help: "Declared at or after this time.") var since: DateBound?
  @Option(help: "Declared before this time.") var until: DateBound?

  func validate() throws {
    if open && closed { throw ValidationError("--open and --closed exclude each other") }
    try DateBound.validate(since: since, until: until)
  }

  var filter: IncidentFilter {
    IncidentFilter(
      statuses: status, severities: severity, kind: kind, services: service, labels: label,
      openOnly: open, closedOnly: closed, since: since?.date, until: until?.date)
  }

  /// The filter as recorded in the export document.
  var json: [String: JSONValue] {
    [
      "status": .array(status.map { .string($0.rawValue) }),
      "severity": .array(severity.map { .string($0.uppercased()) }),
      "kind": .optional(kind?.rawValue), "service": .array(service.map(JSONValue.string)),
      "label": .array(label.map(JSONValue.string)), "open": .bool(open), "closed": .bool(closed),
      "since": .time(since?.date), "until": .time(until?.date),
    ]
  }
}

extension StatsGrouping: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}

extension GitIncident {
  struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "export",
      abstract: "Export incidents as JSON, CSV or Markdown, with the filters of `list`.",
      discussion: """
        json: one document that validates against schema/export.json (incidents with timelines, \
        source, durations in seconds, postmortem path, action items). csv: RFC 4180, a header \
        and one row per incident with the computed durations in seconds. markdown: for reading.
        Example: git incident export --format csv --since 2026-01-01 --output incidents.csv
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filters: FilterOptions
    @Option(help: "json, csv or markdown.") var format: ExportFormat = .json
    @Option(help: ArgumentHelp("Write to this file instead of standard output (- is standard output).", valueName: "file"))
    var output: String?

    func validate() throws {
      try Output.validateTarget(output, option: "--output")
    }

    func run() throws {
      let store = try global.store()
      let (export, problems) = try store.export(filter: filters.filter, filterJSON: filters.json)
      problems.forEach(Output.warning)
      let text: String
      switch format {
      case .json: text = export.json.rendered()
      case .csv: text = export.csv
      case .markdown: text = export.markdown
      }
      try Output.write(text, to: output, relativeTo: global.path)
    }
  }

  struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "stats",
      abstract: "Counts, time to detect, acknowledge, mitigate and resolve, and action items.",
      discussion: """
        Formulas: time to detect = detected_at - started_at; acknowledge = acknowledged_at - \
        detected_at; mitigate = mitigated_at - detected_at (security: contained_at - detected_at); \
        resolve = resolved_at - detected_at. Each with mean, median, p90 (nearest rank) and n, the \
        number of incidents that have both times. --since/--until compare the declaration time.
        Example: git incident stats --since 2026-01-01 --by severity --json
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Declared at or after this time.") var since: DateBound?
    @Option(help: "Declared before this time.") var until: DateBound?
    @Option(help: "Group by severity, service, kind or month.") var by: StatsGrouping?
    @Flag(help: "Print JSON for scripts.") var json = false
    @Flag(help: "Print CSV (one row per group and measure).") var csv = false

    func validate() throws {
      if json && csv { throw ValidationError("--json and --csv exclude each other") }
      try DateBound.validate(since: since, until: until)
    }

    func run() throws {
      let store = try global.store()
      let data = try store.reviewData(filter: IncidentFilter(since: since?.date, until: until?.date))
      data.problems.forEach(Output.warning)
      let stats = Stats(data, by: by, since: since?.date, until: until?.date, now: Date())
      Output.print(json ? stats.json.rendered() : csv ? stats.csv : stats.text)
    }
  }

  struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "report",
      abstract: "Write the incident review as one self-contained HTML page.",
      discussion: """
        The page holds the figures of `stats`, a chart of incidents per month by severity, a chart \
        of time to resolve, a table of incidents linking their postmortem.md, and the open action \
        items. CSS and SVG are inline; the page fetches nothing.
        Example: git incident report --since 2026-01-01 --html review.html
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Declared at or after this time.") var since: DateBound?
    @Option(help: "Declared before this time.") var until: DateBound?
    @Option(help: ArgumentHelp("The HTML file to write (- is standard output).", valueName: "file")) var html: String

    func validate() throws {
      try DateBound.validate(since: since, until: until)
      try Output.validateTarget(html, option: "--html")
    }

    func run() throws {
      let store = try global.store()
      let data = try store.reviewData(filter: IncidentFilter(since: since?.date, until: until?.date))
      data.problems.forEach(Output.warning)
      let stats = Stats(data, by: nil, since: since?.date, until: until?.date, now: Date())
      let toStdout = html == "-"
      let target = toStdout ? global.path + "/-" : html.hasPrefix("/") ? html : (global.path as NSString).appendingPathComponent(html)
      let folder = (target as NSString).deletingLastPathComponent
      let root = store.repository.workingDirectory
      let prefix = root.map { Output.relativePath(from: folder, to: $0) } ?? ""
      let report = ReviewReport(data: data, stats: stats) { path in prefix + path }
      try Output.write(report.html, to: toStdout ? nil : html, relativeTo: global.path)
      let summary = "\(data.incidents.count) incidents, \(data.actions.filter(\.isOpen).count) open action items"
      if toStdout {
        FileHandle.standardError.write(Data("git-incident: wrote the report to standard output: \(summary)\n".utf8))
      } else {
        Output.print("wrote \(html): \(summary)")
      }
    }
  }
}

extension Output {
  /// Refuses an empty output path (a usage error, exit 64); `-` and nil are standard output.
  static func validateTarget(_ path: String?, option: String) throws {
    if let path, path.trimmingCharacters(in: .whitespaces).isEmpty {
      throw ValidationError("\(option) needs a file name (or - for standard output); it was given an empty path")
    }
  }

  /// Writes `text` to `path` (relative to `base`) atomically, or to standard output when nil
  /// or `-`.
  ///
  /// - Throws: ``IncidentError/invalidInput(_:)`` (exit 1) naming the path: "cannot write
  ///   <path>: <folder> does not exist", "...: it is a folder", "...: <folder> is not a folder",
  ///   or the system's reason.
  static func write(_ text: String, to path: String?, relativeTo base: String) throws {
    guard let path, path != "-" else {
      FileHandle.standardOutput.write(Data(text.utf8))
      return
    }
    let full = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
    let fm = FileManager.default
    var isDir: ObjCBool = false
    if path.hasSuffix("/") || (fm.fileExists(atPath: full, isDirectory: &isDir) && isDir.boolValue) {
      throw IncidentError.invalidInput("cannot write \(path): it is a folder; give a file name inside it")
    }
    let folder = (full as NSString).deletingLastPathComponent
    let shownFolder = (path as NSString).deletingLastPathComponent.isEmpty ? folder : (path as NSString).deletingLastPathComponent
    if !fm.fileExists(atPath: folder, isDirectory: &isDir) {
      throw IncidentError.invalidInput("cannot write \(path): \(shownFolder) does not exist; create the folder first")
    }
    if !isDir.boolValue {
      throw IncidentError.invalidInput("cannot write \(path): \(shownFolder) is not a folder")
    }
    do {
      try Data(text.utf8).write(to: URL(fileURLWithPath: full), options: .atomic)
    } catch let error as CocoaError {
      let reason: String
      switch error.code {
      case .fileWriteNoPermission: reason = "permission denied"
      case .fileWriteOutOfSpace: reason = "no space left on the device"
      case .fileWriteVolumeReadOnly: reason = "the file system is read-only"
      default: reason = error.localizedDescription
      }
      throw IncidentError.invalidInput("cannot write \(path): \(reason)")
    } catch {
      throw IncidentError.invalidInput("cannot write \(path): \(error.localizedDescription)")
    }
  }

  /// The relative path from folder `from` to folder `to`, ending with `/` (empty when equal).
  static func relativePath(from: String, to: String) -> String {
    func parts(_ p: String) -> [String] {
      URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().pathComponents.filter { $0 != "/" }
    }
    let a = parts(from), b = parts(to)
    var common = 0
    while common < a.count, common < b.count, a[common] == b[common] { common += 1 }
    let up = Array(repeating: "..", count: a.count - common)
    let down = Array(b[common...])
    let joined = (up + down).joined(separator: "/")
    return joined.isEmpty ? "" : joined + "/"
  }
}
