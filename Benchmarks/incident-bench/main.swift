import Foundation
import IncidentKit

// incident-bench: times the release `git-incident` against git's own CLI on generated
// repositories. Usage (README "Benchmark"):
//   swift build -c release --static-swift-stdlib
//   "$(swift build -c release --static-swift-stdlib --show-bin-path)/incident-bench"
//     [--sizes 1000,10000] [--runs N] [--json] [--keep] [--workdir DIR] [--binary PATH]

struct Options {
  var sizes = [1000, 10000]
  var runs = 5
  var json = false
  var keep = false
  var workdir: String?
  var binary: String?
  var importCount = 1000
  var jsonFile: String?

  static let usage = """
    usage: incident-bench [--sizes 1000,10000] [--runs N] [--import N] [--json] [--json-file PATH] [--keep] [--workdir DIR] [--binary PATH]
      --sizes    incident counts of the generated repositories (default 1000,10000)
      --runs     timed runs per measurement, after one untimed warm-up (default 5); medians are shown
      --import   incidents imported in one command, into a fresh repository, vs git fast-import
                 (default 1000; 0 skips it; at most 3 runs)
      --json     print JSON instead of the table
      --json-file PATH  also write the JSON to PATH (with the table on standard output)
      --keep     keep the generated repositories (in --workdir)
      --binary   the git-incident to time (default: next to this executable, from the same
                 `swift build -c release`)
    """

  init(_ args: [String]) throws {
    var i = 0
    func value() throws -> String {
      i += 1
      guard i < args.count else { throw BenchError("\(args[i - 1]) needs a value\n\(Self.usage)") }
      return args[i]
    }
    while i < args.count {
      switch args[i] {
      case "--sizes":
        sizes = try value().split(separator: ",").map {
          guard let n = Int($0), n > 0 else { throw BenchError("--sizes takes positive numbers like 1000,10000") }
          return n
        }
      case "--runs":
        guard let n = Int(try value()), n > 0 else { throw BenchError("--runs takes a positive number") }
        runs = n
      case "--import":
        guard let n = Int(try value()), n >= 0 else { throw BenchError("--import takes a number") }
        importCount = n
      case "--json": json = true
      case "--json-file": jsonFile = try value()
      case "--keep": keep = true
      case "--workdir": workdir = try value()
      case "--binary": binary = try value()
      case "-h", "--help":
        print(Self.usage)
        exit(0)
      default: throw BenchError("unknown argument \(args[i])\n\(Self.usage)")
      }
      i += 1
    }
  }
}

/// One row of the results.
struct Measurement: Codable {
  var name: String
  /// Median wall time of git-incident, seconds; nil when skipped.
  var seconds: Double?
  var samples: [Double]
  var baseline: String?
  var baselineSeconds: Double?
  var baselineSamples: [Double]
  /// seconds / baselineSeconds.
  var ratio: Double?
  /// Peak resident memory of the git-incident process (largest of the runs), bytes.
  var peakBytes: Int?
  var target: String?
  var met: Bool?
  var skipped: String?
}

struct SizeResult: Codable {
  var incidents: Int
  var commits: Int
  var generateSeconds: Double
  var measurements: [Measurement]
}

struct Report: Codable {
  var runs: Int
  var cores: Int
  var loadAverage: [Double]
  var binary: String
  var gitVersion: String
  var sizes: [SizeResult]
  /// Importing `--import` generated incidents into a fresh repository (independent of size).
  var imports: Measurement?
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  guard !s.isEmpty else { return .nan }
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func loadAverage() -> [Double] {
  guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
  return text.split(separator: " ").prefix(3).compactMap { Double($0) }
}

func ownDirectory() -> String {
  #if os(Linux)
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      return (path as NSString).deletingLastPathComponent
    }
  #endif
  return (CommandLine.arguments[0] as NSString).deletingLastPathComponent
}

final class Bench {
  let options: Options
  let tool: String
  let git = "/usr/bin/git"
  let root: String
  let scratch: String
  let environment: [String: String]
  var generator: Generator

  init(options: Options) throws {
    self.options = options
    tool = options.binary ?? ownDirectory() + "/git-incident"
    guard FileManager.default.isExecutableFile(atPath: tool) else {
      throw BenchError("no git-incident at \(tool); run `swift build -c release --static-swift-stdlib` first (or pass --binary)")
    }
    root = options.workdir ?? NSTemporaryDirectory() + "incident-bench-\(getpid())"
    scratch = root + "/scratch"
    let home = root + "/home"
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    try "[user]\n\tname = Ana Lima\n\temail = ana@example.com\n[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n"
      .write(toFile: home + "/.gitconfig", atomically: true, encoding: .utf8)
    environment = [
      "HOME": home, "XDG_CONFIG_HOME": home + "/.config", "GIT_CONFIG_NOSYSTEM": "1",
      "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LANG": "C.UTF-8",
      "TZ": "UTC",
    ]
    generator = Generator(tool: tool, environment: environment, scratch: scratch)
  }

  func run(_ argv: [String], capture: Bool = false, stdin: String = "/dev/null") throws -> ProcessRun {
    try Spawn.run(argv, environment: environment, capture: capture, stdin: stdin, scratch: scratch)
  }

  /// Runs `body` once untimed, then `options.runs` times; each run returns its own timing.
  func sample(_ body: () throws -> ProcessRun) throws -> [ProcessRun] {
    _ = try body()
    return try (0..<options.runs).map { _ in try body() }
  }

  func checked(_ r: ProcessRun, _ what: String) throws -> ProcessRun {
    guard r.status == 0 else { throw BenchError("\(what) exited \(r.status): \(r.stderr)") }
    return r
  }

  /// True when the binary has `words` as a subcommand: its `--help` shows that command's usage
  /// (for an unknown subcommand, swift-argument-parser prints the root's help instead).
  func available(_ words: [String]) -> Bool {
    guard let r = try? run([tool] + words + ["--help"], capture: true), r.status == 0 else {
      return false
    }
    return r.stdout.contains("git-incident " + words.joined(separator: " "))
  }

  func measurement(
    _ name: String, ours: [ProcessRun], baseline: String? = nil, base: [Double] = [],
    target: String? = nil, check: ((Double, Double?) -> Bool)? = nil
  ) -> Measurement {
    let t = median(ours.map(\.seconds))
    let b = base.isEmpty ? nil : median(base)
    let ratio = b.map { t / $0 }
    return Measurement(
      name: name, seconds: t, samples: ours.map(\.seconds), baseline: baseline,
      baselineSeconds: b, baselineSamples: base, ratio: ratio,
      peakBytes: ours.map(\.peakBytes).max(), target: target, met: check.map { $0(t, ratio) },
      skipped: nil)
  }

  func skipped(_ name: String, _ why: String) -> Measurement {
    Measurement(
      name: name, seconds: nil, samples: [], baseline: nil, baselineSeconds: nil,
      baselineSamples: [], ratio: nil, peakBytes: nil, target: nil, met: nil, skipped: why)
  }

  func size(_ count: Int) throws -> SizeResult {
    let repo = root + "/repo-\(count)"
    try? FileManager.default.removeItem(atPath: repo)
    log("generating \(count) incidents in \(repo) ...")
    let generated = try generator.repository(count: count, at: repo)
    log("  \(generated.commits) commits in \(String(format: "%.1f", generated.seconds)) s")
    let large = count >= 10_000
    var out: [Measurement] = []

    // note vs git add + git commit of the same file.
    let noteID = generated.ids[count / 2]
    let timeline = repo + "/" + RecordPaths.timeline(noteID)
    var gitTimes: [Double] = []
    var ours: [ProcessRun] = []
    for i in 0...options.runs {
      let r = try checked(
        try run([tool, "-C", repo, "note", noteID.rawValue, "Bench note \(i): checked the dashboards again"]),
        "note")
      let event = """
        - id: ev-bench\(String(format: "%05d", i))
          at: "2026-11-29T12:\(String(format: "%02d", i % 60)):00Z"
          by: Ana Lima <ana@example.com>
          type: note
          text: "Git note \(i): checked the dashboards again"

        """
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: timeline))
      handle.seekToEndOfFile()
      handle.write(Data(event.utf8))
      try handle.close()
      let add = try checked(try run([git, "-C", repo, "add", RecordPaths.timeline(noteID)]), "git add")
      let commit = try checked(
        try run([git, "-C", repo, "commit", "-q", "-m", "\(noteID): note: git note \(i)"]), "git commit")
      if i > 0 {
        ours.append(r)
        gitTimes.append(add.seconds + commit.seconds)
      }
    }
    out.append(measurement(
      "note", ours: ours, baseline: "git add FILE && git commit", base: gitTimes,
      target: large ? "<= 0.7x" : nil, check: large ? { _, ratio in (ratio ?? 9) <= 0.7 } : nil))

    // list --json: cold (no cache), warm, and the floor for reading every record blob.
    let cacheDir = repo + "/.git/git-incident"
    let floorCommand = "\(git) -C '\(repo)' ls-tree -r --object-only HEAD | \(git) -C '\(repo)' cat-file --batch > /dev/null"
    let floor = try sample { try checked(try run(["/bin/sh", "-c", floorCommand]), "ls-tree | cat-file") }
      .map(\.seconds)
    let cold = try sample {
      try? FileManager.default.removeItem(atPath: cacheDir)
      return try checked(try run([tool, "-C", repo, "list", "--json"]), "list")
    }
    out.append(measurement(
      "list --json (cold, no cache)", ours: cold, baseline: "git ls-tree -r --object-only HEAD | git cat-file --batch",
      base: floor, target: large ? "<= 3x floor" : nil,
      check: large ? { _, ratio in (ratio ?? 9) <= 3 } : nil))
    let warm = try sample { try checked(try run([tool, "-C", repo, "list", "--json"]), "list") }
    out.append(measurement(
      "list --json (warm cache)", ours: warm, baseline: "git ls-tree -r --object-only HEAD | git cat-file --batch",
      base: floor, target: large ? "< 100 ms" : nil, check: large ? { t, _ in t < 0.1 } : nil))
    // The cache never changes the output.
    try? FileManager.default.removeItem(atPath: cacheDir)
    let coldText = try run([tool, "-C", repo, "list", "--json"], capture: true).stdout
    let warmText = try run([tool, "-C", repo, "list", "--json"], capture: true).stdout
    let offText = try Spawn.run(
      [tool, "-C", repo, "list", "--json"], environment: environment.merging(["GIT_INCIDENT_CACHE": "off"]) { $1 },
      capture: true, scratch: scratch
    ).stdout
    guard coldText == warmText, warmText == offText, warmText.contains(noteID.rawValue) else {
      throw BenchError("list --json differs between cache off, cold and warm")
    }

    // show and history of one incident.
    let showID = generated.ids[count / 3]
    let show = try sample { try checked(try run([tool, "-C", repo, "show", showID.rawValue]), "show") }
    let catFile = try sample {
      try checked(try run([git, "-C", repo, "cat-file", "-p", "HEAD:" + RecordPaths.timeline(showID)]), "cat-file")
    }.map(\.seconds)
    out.append(measurement(
      "show ID", ours: show, baseline: "git cat-file -p HEAD:<timeline.yaml>", base: catFile,
      target: large ? "< 50 ms" : nil, check: large ? { t, _ in t < 0.05 } : nil))
    let history = try sample {
      try checked(try run([tool, "-C", repo, "history", showID.rawValue]), "history")
    }
    let gitLog = try sample {
      try checked(try run([git, "-C", repo, "log", "--format=%H %s", "--", showID.folder]), "git log")
    }.map(\.seconds)
    out.append(measurement(
      "history ID", ours: history, baseline: "git log -- <incident folder>", base: gitLog,
      target: large ? "< 50 ms" : nil, check: large ? { t, _ in t < 0.05 } : nil))

    // stats over all incidents (another branch adds the command).
    if available(["stats"]) {
      let stats = try sample { try checked(try run([tool, "-C", repo, "stats"]), "stats") }
      out.append(measurement("stats", ours: stats))
    } else {
      out.append(skipped("stats", "skipped: not available"))
    }

    // Peak memory of list (the largest over the cold and warm runs above).
    var memory = measurement("peak memory of list --json", ours: cold + warm)
    memory.seconds = nil
    memory.samples = []
    memory.target = large ? "< 150 MB" : nil
    memory.met = large ? (memory.peakBytes ?? .max) < 150 * 1024 * 1024 : nil
    out.append(memory)

    // The repository is removed with the work folder at the very end, not here: deleting its
    // tens of thousands of files would slow every file the following measurements create (see
    // importMeasurement) and charge the deletion to them.
    return SizeResult(
      incidents: count, commits: generated.commits + 2 * (options.runs + 1),
      generateSeconds: generated.seconds, measurements: out)
  }

  /// Imports `count` generated Markdown postmortems in one command into a fresh repository,
  /// against `git fast-import` of the same files as `count` commits.
  func importMeasurement(_ count: Int) throws -> Measurement {
    let name = "import \(count) (markdown, fresh repository)"
    guard available(["import", "markdown"]) else { return skipped(name, "skipped: not available") }
    let folder = root + "/markdown-\(count)"
    try? FileManager.default.removeItem(atPath: folder)
    log("generating \(count) Markdown postmortems for import ...")
    let names = try generator.markdown(count: count, in: folder)
    let stream = root + "/fast-import-\(count).stream"
    try Generator.fastImportStream(folder: folder, names: names).write(to: URL(fileURLWithPath: stream))
    var ours: [ProcessRun] = []
    var base: [Double] = []
    // The repositories of all runs are removed only after the last run: a run right after
    // thousands of files were deleted next to it pays for them in the kernel (ext4 without a
    // journal skips every recently freed inode when it allocates one, from the start of the
    // block group), which charges the deletion to the side that creates files (git-incident's
    // work tree) and not to git fast-import (a pack and a few files).
    var made: [String] = []
    defer { for path in made { try? FileManager.default.removeItem(atPath: path) } }
    for i in 0..<min(options.runs, 3) {
      let target = root + "/import-\(count)-\(i)"
      try? FileManager.default.removeItem(atPath: target)
      made.append(target)
      _ = try checked(try run([tool, "init", "-C", target]), "init")
      ours.append(try checked(try run([tool, "-C", target, "import", "markdown", folder]), "import markdown"))
      let bare = root + "/fast-import-\(count)-\(i)"
      try? FileManager.default.removeItem(atPath: bare)
      made.append(bare)
      _ = try checked(try run([git, "init", "-q", bare]), "git init")
      base.append(try checked(try run([git, "-C", bare, "fast-import", "--quiet"], stdin: stream), "fast-import").seconds)
    }
    return measurement(
      name, ours: ours, baseline: "git fast-import, \(count) commits", base: base,
      target: "<= 2x", check: { _, ratio in (ratio ?? 9) <= 2 })
  }

  func log(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }
}

func formatTime(_ s: Double?) -> String {
  guard let s else { return "-" }
  return s >= 1 ? String(format: "%.2f s", s) : String(format: "%.1f ms", s * 1000)
}

func row(_ m: Measurement) -> [String] {
  if let why = m.skipped { return [m.name, why, "", "", "", "", "", ""] }
  return [
    m.name, formatTime(m.seconds), m.baseline ?? "-", formatTime(m.baselineSeconds),
    m.ratio.map { String(format: "%.2fx", $0) } ?? "-",
    m.peakBytes.map { String(format: "%.1f MB", Double($0) / 1_048_576) } ?? "-",
    m.target ?? "", m.met.map { $0 ? "met" : "MISSED" } ?? "",
  ]
}

func render(_ rows: [[String]]) -> String {
  let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
  return rows.map { row in
    row.enumerated().map { c, cell in cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
      .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
  }.joined()
}

func table(_ report: Report) -> String {
  var out = "incident-bench: medians of \(report.runs) runs (after one warm-up), \(report.cores) cores, "
    + "load average \(report.loadAverage.map { String(format: "%.2f", $0) }.joined(separator: " ")) at start\n"
    + "binary \(report.binary); \(report.gitVersion)\n"
  for size in report.sizes {
    out += "\n\(size.incidents) incidents, \(size.commits) commits (generated in \(String(format: "%.1f", size.generateSeconds)) s)\n"
    var rows = [["measurement", "git-incident", "baseline", "baseline time", "ratio", "peak RSS", "target", ""]]
    for m in size.measurements { rows.append(row(m)) }
    out += render(rows)
  }
  if let m = report.imports {
    out += "\nimport (independent of the sizes above)\n"
    out += render([
      ["measurement", "git-incident", "baseline", "baseline time", "ratio", "peak RSS", "target", ""],
      row(m),
    ])
  }
  return out
}

do {
  let options = try Options(Array(CommandLine.arguments.dropFirst()))
  let bench = try Bench(options: options)
  let load = loadAverage()
  let version = (try? bench.run([bench.git, "--version"], capture: true).stdout)?
    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "git"
  var sizes: [SizeResult] = []
  for count in options.sizes { sizes.append(try bench.size(count)) }
  let imports = options.importCount > 0 ? try bench.importMeasurement(options.importCount) : nil
  if !options.keep { try? FileManager.default.removeItem(atPath: bench.root) }
  let report = Report(
    runs: options.runs, cores: ProcessInfo.processInfo.activeProcessorCount, loadAverage: load,
    binary: bench.tool, gitVersion: version, sizes: sizes, imports: imports)
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  let json = try encoder.encode(report)
  if let path = options.jsonFile { try json.write(to: URL(fileURLWithPath: path)) }
  if options.json {
    print(String(decoding: json, as: UTF8.self))
  } else {
    print(table(report), terminator: "")
  }
} catch {
  FileHandle.standardError.write(Data("incident-bench: error: \(error)\n".utf8))
  exit(1)
}
