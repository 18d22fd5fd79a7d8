import ArgumentParser
import Foundation
import Git
import IncidentKit

extension GitIncident {
  struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "sync",
      abstract: "Fetch, merge the records field by field, and push.",
      discussion: """
        Fetches the remote's branch, then fast-forwards or makes one merge commit \
        (Incident-Change: merge) with the record merge, then pushes; a push refused because the \
        remote moved is followed by another fetch and merge (never a forced push). REMOTE is a \
        remote's name (default: the branch's remote, else origin), a URL (file://, git://, \
        ssh://, https://) or a path. Credentials: ssh-agent, then key files (git config \
        incident.sshKey, core.sshCommand -i, ~/.ssh/id_*); https: GIT_INCIDENT_TOKEN, then \
        git's store credential helper.
        Example: git incident sync origin
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The remote: a name, URL or path.") var remote: String?
    @Option(help: "The remote branch (default: the upstream, else the same name).") var branch: String?

    func run() throws {
      let store = try global.store()
      let report = try store.sync(SyncOptions(remote: remote, branch: branch), as: global.actor)
      report.notes.forEach { Output.print("  " + $0) }
      Output.print(report.summary)
      report.warnings.forEach(Output.warning)
    }
  }

  struct MergeDriverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "merge-driver",
      abstract: "git's merge driver for record files (used by git merge and git pull).",
      discussion: """
        Configured by `git incident init`: .gitattributes routes incidents/** and \
        git-incident.yaml to `merge=incident`, and .git/config has \
        merge.incident.driver = git-incident merge-driver %O %A %B %P. In a clone, run \
        `git config merge.incident.driver "git-incident merge-driver %O %A %B %P"`.
        Exits 0 with the merged file in %A, or 1 on a true text conflict (leaving %A as yours).
        """)

    @Argument(help: "%O: the common ancestor's version.") var base: String
    @Argument(help: "%A: our version; receives the result.") var ours: String
    @Argument(help: "%B: their version.") var theirs: String
    @Argument(help: "%P: the file's path in the repository.") var path: String

    func run() throws {
      let repository = try? Repository.open(at: FileManager.default.currentDirectoryPath)
      let outcome = MergeDriver.run(
        base: base, ours: ours, theirs: theirs, path: path, repository: repository,
        environment: ProcessInfo.processInfo.environment)
      outcome.messages.forEach {
        FileHandle.standardError.write(Data("git-incident: \($0)\n".utf8))
      }
      if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
  }
}
