import Foundation
import Testing

/// A scratch folder with its own HOME (and so its own git identity), in which tests run the
/// built `git-incident` executable and git's own CLI as an independent witness.
struct Sandbox {
  /// What a process printed and how it ended.
  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  let root: URL
  let home: URL
  var environment: [String: String]

  /// The built executable, next to the test bundle in the build folder.
  static let executable: URL = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidates = [bundle.appendingPathComponent("git-incident")]
    candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("git-incident"))
    for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c }
    return candidates[0]
  }()

  /// Creates the folder; `identity` false leaves HOME without a git identity.
  init(identity: Bool = true) throws {
    root = FileManager.default.temporaryDirectory
      .appendingPathComponent("git-incident-tests-\(UUID().uuidString)")
    home = root.appendingPathComponent("home")
    try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    if identity {
      try "[user]\n\tname = Ana Lima\n\temail = ana@example.com\n[init]\n\tdefaultBranch = main\n"
        .write(to: home.appendingPathComponent(".gitconfig"), atomically: true, encoding: .utf8)
    }
    environment = [
      "HOME": home.path, "XDG_CONFIG_HOME": home.appendingPathComponent(".config").path,
      "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
      "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8", "TZ": "UTC",
    ]
  }

  func remove() { try? FileManager.default.removeItem(at: root) }

  /// A path inside the sandbox.
  func path(_ name: String) -> URL { root.appendingPathComponent(name) }

  /// Runs the tool with `arguments` in `directory`.
  @discardableResult
  func incident(_ arguments: [String], in directory: URL? = nil, env: [String: String] = [:]) throws -> Run {
    try run(Self.executable.path, arguments, in: directory ?? root, env: env)
  }

  /// Runs git's CLI and returns its standard output; a failure fails the test.
  @discardableResult
  func git(_ arguments: [String], in directory: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let r = try run("/usr/bin/git", arguments, in: directory, env: [:])
    #expect(r.status == 0, "git \(arguments.joined(separator: " ")) failed: \(r.stderr)", sourceLocation: sourceLocation)
    return r.stdout
  }

  /// Runs any program.
  func run(_ program: String, _ arguments: [String], in directory: URL, env: [String: String]) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.environment = environment.merging(env) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes to the end before waiting, so a full pipe never blocks the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Run(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  /// The number of commits reachable from HEAD.
  func commitCount(in directory: URL) throws -> Int {
    let r = try run("/usr/bin/git", ["rev-list", "--count", "HEAD"], in: directory, env: [:])
    return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
  }

  /// Parses JSON printed by the tool.
  func json(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
  }
}
