import Foundation

/// Runs a signing or verification program (`ssh-keygen`, `gpg`) the way git itself does, with
/// standard input closed (or a file) so the program can never wait for input on it.
enum Subprocess {
  /// What a program printed and how it ended.
  struct Result {
    var status: Int32
    var stdout: Data
    var stderr: String
  }

  /// Runs `program` with `arguments`.
  ///
  /// - Parameters:
  ///   - program: a path, or a name looked up in `PATH` (as git looks up `gpg.program`).
  ///   - stdin: a file to read standard input from; nil closes it (`/dev/null`).
  ///   - environment: the full environment for the child.
  /// - Throws: ``IncidentError/refused(_:)`` when the program cannot be started.
  static func run(
    _ program: String, _ arguments: [String], stdin: URL? = nil, environment: [String: String]
  ) throws(IncidentError) -> Result {
    guard let executable = locate(program, path: environment["PATH"]) else {
      throw .refused("cannot run \(program): it is not installed or not on PATH")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    var input: FileHandle?
    do {
      if let stdin {
        input = try FileHandle(forReadingFrom: stdin)
        process.standardInput = input
      } else {
        process.standardInput = FileHandle.nullDevice
      }
      try process.run()
    } catch {
      throw .refused("cannot run \(executable): \(error.localizedDescription)")
    }
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
    try? input?.close()
    return Result(
      status: process.terminationStatus, stdout: outData,
      stderr: String(decoding: errData, as: UTF8.self))
  }

  /// The full path of `program`: itself when it contains a slash, else the first executable
  /// match in `path` (colon-separated).
  static func locate(_ program: String, path: String?) -> String? {
    if program.contains("/") {
      return FileManager.default.isExecutableFile(atPath: program) ? program : nil
    }
    for dir in (path ?? "/usr/bin:/bin").split(separator: ":") {
      let candidate = "\(dir)/\(program)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// A new private folder (mode 0700) for the files a signer reads and writes; the caller
  /// removes it.
  static func scratchDirectory() throws(IncidentError) -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("git-incident-sign-\(UUID().uuidString)")
    do {
      try FileManager.default.createDirectory(
        at: url, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    } catch {
      throw .refused("cannot create a temporary folder for signing: \(error.localizedDescription)")
    }
    return url
  }

  /// `~/x` expanded against `HOME`, as git expands path-valued settings.
  static func expandHome(_ path: String, environment: [String: String]) -> String {
    guard path.hasPrefix("~/"), let home = environment["HOME"] else { return path }
    return home + String(path.dropFirst(1))
  }
}
