import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How one process run ended: exit status, wall time from spawn to exit, and peak resident
/// memory from `wait4(2)`'s `rusage.ru_maxrss` (kilobytes on Linux, bytes on macOS; stored in
/// bytes here).
struct ProcessRun {
  var status: Int32
  var seconds: Double
  var peakBytes: Int
  var stdout: String
  var stderr: String
}

enum Spawn {
  static func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// Runs `argv` with `environment`, standard input from `stdin`, standard output and error
  /// to temporary files (read back when `capture` is true), and times it from `posix_spawn` to
  /// `wait4`. No shell unless `argv` names one.
  static func run(
    _ argv: [String], environment: [String: String], capture: Bool = false,
    stdin: String = "/dev/null", scratch: String
  ) throws -> ProcessRun {
    let outPath = scratch + "/stdout-\(getpid())"
    let errPath = scratch + "/stderr-\(getpid())"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(
      &actions, 1, capture ? outPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      cArgs.forEach { free($0) }
      cEnv.forEach { free($0) }
    }
    var pid = pid_t()
    let start = monotonic()
    let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
    guard rc == 0 else {
      throw BenchError("cannot start \(argv[0]): \(String(cString: strerror(rc)))")
    }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = monotonic() - start
    #if os(Linux)
      let peak = Int(usage.ru_maxrss) * 1024
    #else
      let peak = Int(usage.ru_maxrss)
    #endif
    let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let out = capture ? (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" : ""
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return ProcessRun(status: exit, seconds: seconds, peakBytes: peak, stdout: out, stderr: err)
  }
}

struct BenchError: Error, CustomStringConvertible {
  var description: String
  init(_ message: String) { description = message }
}
