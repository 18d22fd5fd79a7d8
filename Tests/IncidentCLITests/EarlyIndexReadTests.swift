import Foundation
import Testing

@testable import IncidentCLI

/// Which commands start reading git's index before their arguments are parsed, and where.
@Suite("Index read started before parsing")
struct EarlyIndexReadTests {
  let cwd = FileManager.default.currentDirectoryPath

  @Test func changesReadTheIndexOfTheFolderTheyWorkIn() {
    #expect(GlobalOptions.changeFolder(["note", "INC-1", "text"]) == cwd)
    #expect(GlobalOptions.changeFolder(["note", "-C", "/srv/incidents", "INC-1", "text"]) == "/srv/incidents")
    #expect(GlobalOptions.changeFolder(["status", "INC-1", "mitigated", "-C/srv/a", "-C", "b"]) == "/srv/a/b")
    #expect(GlobalOptions.changeFolder(["declare", "-C", "repo", "Title"]) == cwd + "/repo")
    // After `--` a "-C" is the note's text, as ArgumentParser reads it.
    #expect(GlobalOptions.changeFolder(["note", "INC-1", "--", "-C", "/elsewhere"]) == cwd)
    // As `git incident -C /srv/incidents note ...` arrives once the globals are moved.
    let moved = GlobalOptions.moveLeadingGlobals(["-C", "/srv/incidents", "note", "INC-1", "x"], root: GitIncident.self)
    #expect(GlobalOptions.changeFolder(moved) == "/srv/incidents")
  }

  @Test func readsAndOtherWritesStartNothing() {
    for arguments in [["list", "--json"], ["show", "INC-1"], ["history", "INC-1"], ["import", "markdown", "x"],
                      ["sync"], ["init"], [], ["--help"], ["notes", "INC-1"]] {
      #expect(GlobalOptions.changeFolder(arguments) == nil, "\(arguments)")
    }
  }

  /// Renaming a subcommand without updating the list would silently lose the early read.
  @Test func everyListedChangeIsASubcommand() {
    let names = Set(GitIncident.configuration.subcommands.map { $0._commandName })
    #expect(GlobalOptions.indexReadingChanges.isSubset(of: names))
    #expect(GlobalOptions.indexReadingChanges.count == 7)
  }
}
