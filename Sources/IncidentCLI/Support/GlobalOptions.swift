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
  func store() throws(IncidentError) -> IncidentStore {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw .invalidInput("cannot work in \(path): no such folder")
    }
    let store = try IncidentStore.open(at: path)
    // Freed by the exit, not one object at a time just before it: closing the repository frees
    // its parsed index (tens of thousands of entries after a write) and object caches.
    ProcessLifetime.keep(store)
    return store
  }

  /// The subcommands that make one commit through ``IncidentStore`` and so read git's index.
  static let indexReadingChanges: Set<String> = [
    "declare", "status", "reopen", "severity", "assign", "note", "update",
  ]

  /// The folder a command given `arguments` (after ``moveLeadingGlobals(_:root:)``) will work
  /// in, when it is one of ``indexReadingChanges``; nil for any other command. Read before the
  /// arguments are parsed, to start reading the index; a wrong guess only costs that read
  /// (the index is used only if it belongs to the repository the command opens).
  static func changeFolder(_ arguments: [String]) -> String? {
    guard let command = arguments.first, indexReadingChanges.contains(command) else { return nil }
    var current = FileManager.default.currentDirectoryPath
    var i = 1
    while i < arguments.count, arguments[i] != "--" {
      var folder: String?
      if arguments[i] == "-C", i + 1 < arguments.count {
        folder = arguments[i + 1]
        i += 1
      } else if arguments[i].hasPrefix("-C"), arguments[i].count > 2 {
        folder = String(arguments[i].dropFirst(2))
      }
      if let folder {
        current = folder.hasPrefix("/") ? folder : (current as NSString).appendingPathComponent(folder)
      }
      i += 1
    }
    return current
  }

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

/// Parses times given on the command line: RFC 3339 with `Z` or an offset.
enum TimeArgument {
  /// - Throws: ``ValidationError`` (exit 64) saying the expected form.
  static func parse(_ text: String) throws -> Date {
    guard let date = RFC3339.parse(text) else {
      throw ValidationError(
        "'\(text.prefix(60))' is not an RFC 3339 time with a zone; use e.g. 2026-11-29T10:42:00Z or 2026-11-29T11:42:00+01:00")
    }
    return date
  }
}

extension IncidentKind: ExpressibleByArgument {}
extension IncidentStatus: ExpressibleByArgument {}
extension Audience: ExpressibleByArgument {}
