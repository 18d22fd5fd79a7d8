import ArgumentParser
import Foundation
import Git
import IncidentKit

/// The root command: `git incident <subcommand>`.
public struct GitIncident: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "git-incident",
    abstract: "Incident response records in a git repository, one commit per change.",
    discussion: """
      Global options go before or after the subcommand: -C <path> runs as if started in <path> \
      (as git does); --as "Name <email>" records the change as that person.

      Exit codes: 0 ok; 1 a change was refused or data is invalid; 64 usage error; \
      70 internal fault (an unexpected git failure).

      Example:
        id=$(git incident declare "Checkout returns 500s" --severity SEV2 --service checkout)
        git incident assign $id commander "Ana Lima <ana@example.com>"
        git incident status $id mitigated --note "Rolled back 4f2a"
      """,
    version: "0.1.0",
    subcommands: [
      Init.self, Declare.self, Status.self, Reopen.self, Severity.self, Assign.self, Note.self,
      Update.self, Show.self, List.self, History.self, Blame.self, Audit.self,
      Postmortem.self, Action.self, Actions.self, TaskCommand.self, Due.self,
      Import.self, ExportCommand.self, StatsCommand.self, ReportCommand.self,
      Sync.self, MergeDriverCommand.self,
    ]
  )

  public init() {}

  /// Without a subcommand: the usage on standard error, exit 64.
  public func run() throws {
    FileHandle.standardError.write(Data(Self.helpMessage().utf8))
    throw ExitCode(64)
  }

  /// Parses `arguments` (without the program name), runs the command and exits with the
  /// documented code.
  public static func main(arguments: [String]) -> Never {
    let reordered = GlobalOptions.moveLeadingGlobals(arguments, root: GitIncident.self)
    // A change reads git's index file; that starts now, on the second core (see
    // `Repository.prefetchIndex(forRepositoryAt:)`).
    if let folder = GlobalOptions.changeFolder(reordered) {
      Repository.prefetchIndex(forRepositoryAt: folder)
    }
    do {
      var command = try parseAsRoot(reordered)
      try command.run()
      Foundation.exit(0)
    } catch let error as IncidentError {
      Output.error(error.description)
      Foundation.exit(error.isUserError ? 1 : 70)
    } catch {
      exit(withError: error)
    }
  }
}
