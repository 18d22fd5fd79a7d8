import Foundation
import IncidentKit

/// Writing to standard output and standard error; colour only on a terminal and never with
/// `NO_COLOR`.
enum Output {
  static func print(_ text: String) {
    FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
  }

  /// Writes bytes as they are (pieces of large JSON, without a `String` copy).
  static func write(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
      var done = 0
      while done < raw.count {
        let n = Foundation.write(1, raw.baseAddress! + done, raw.count - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        done += n
      }
    }
  }

  static func error(_ text: String) {
    FileHandle.standardError.write(Data("git-incident: error: \(text)\n".utf8))
  }

  static func warning(_ text: String) {
    FileHandle.standardError.write(Data("git-incident: warning: \(text)\n".utf8))
  }

  /// Reports a landed change: its subject and short commit ID on standard output, warnings on
  /// standard error.
  static func report(_ result: CommitResult) {
    print("\(result.subject) [\(result.commit.short(7))]")
    result.warnings.forEach(warning)
  }

  /// `2026-11-29 10:42Z`: minutes precision, for tables.
  static func shortTime(_ date: Date?) -> String {
    guard let date else { return "-" }
    let full = RFC3339.format(date)
    return String(full.prefix(16)).replacingOccurrences(of: "T", with: " ") + "Z"
  }

  /// Pads columns to their widest cell (by character count); the last column is not padded.
  static func table(_ rows: [[String]]) -> String {
    guard let columns = rows.map(\.count).max() else { return "" }
    var widths = Array(repeating: 0, count: columns)
    for row in rows {
      for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
    }
    return rows.map { row in
      row.enumerated().map { i, cell in
        i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }
}
