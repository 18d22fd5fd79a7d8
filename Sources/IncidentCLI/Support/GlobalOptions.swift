import ArgumentParser
import Foundation
import IncidentKit

/// Options every subcommand takes, as git takes them: `-C <path>` and `--as "Name <email>"`.
struct GlobalOptions: ParsableArguments {
  @Option(name: .customShort("C"), help: ArgumentHelp("Run as if started in <path>.", valueName: "path"))
  var directories: [String] = []

  @Option(name: .customLong("as"), help: ArgumentHelp("Record the change as this person.", valueName: "Name <email>"))
  var actor: String?

  /// The folder to work in: each `-C` is relative to the one before, as in git.
  var path: String {
    var current = FileManager.default.currentDirectoryPath
    for d in directories {
      current = d.hasPrefix("/") ? d : (current as NSString).appendingPathComponent(d)
    }
    return current
  }

  /// Opens the incident repository for this command.
  func store() throws(IncidentError) -> IncidentStore { try IncidentStore.open(at: path) }

  /// Moves `-C <path>` and `--as <who>` given before the subcommand's name to just after it, so
  /// `git incident -C repo list` works as in git.
  static func moveLeadingGlobals(_ args: [String], root: ParsableCommand.Type) -> [String] {
    var globals: [String] = []
    var i = 0
    while i < args.count {
      let a = args[i]
      if (a == "-C" || a == "--as"), i + 1 < args.count {
        globals += [a, args[i + 1]]
        i += 2
      } else if a.hasPrefix("--as=") || (a.hasPrefix("-C") && a.count > 2) {
        globals.append(a)
        i += 1
      } else {
        break
      }
    }
    guard !globals.isEmpty else { return args }
    var rest = Array(args[i...])
    var command: ParsableCommand.Type = root
    var insertAt = 0
    while insertAt < rest.count,
      let sub = command.configuration.subcommands.first(where: { $0._commandName == rest[insertAt] })
    {
      command = sub
      insertAt += 1
    }
    rest.insert(contentsOf: globals, at: insertAt)
    return rest
  }
}

/// Times given on the command line: RFC 3339 with `Z` or an offset.
struct TimeArgument: ExpressibleByArgument {
  let date: Date

  init?(argument: String) {
    guard let date = RFC3339.parse(argument) else { return nil }
    self.date = date
  }

  static var defaultValueDescription: String { "RFC 3339 time, e.g. 2026-11-29T10:42:00Z" }
}

extension IncidentKind: ExpressibleByArgument {}
extension IncidentStatus: ExpressibleByArgument {}
extension Audience: ExpressibleByArgument {}
