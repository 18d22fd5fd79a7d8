import Foundation

/// YAML front matter at the top of a Markdown file, between two `---` lines.
enum FrontMatter {
  /// Splits `text` into its front matter text and the body; nil front matter when absent.
  ///
  /// The text must start with a `---` line; the front matter runs to the next line that is
  /// `---` once spaces and tabs around it are trimmed (``isFoundationWhitespace(_:)``), and the
  /// body is what follows that line. Lines end at each `Character` `"\n"`: a line feed that does
  /// not follow a carriage return (CR LF is one `Character`, so a file with CR LF line ends
  /// has one line per bare line feed). Without a closing line there is no front matter.
  static func split(_ text: String) -> (frontMatter: String?, body: String) {
    guard text.hasPrefix("---\n") || text.hasPrefix("---\r\n") else { return (nil, text) }
    // Found on the UTF-8 bytes: a bare line feed is a `Character` boundary on both sides, so
    // the slices below are the lines that `split(separator: "\n")` would give.
    let bytes = text.utf8
    var frontStart: String.Index?
    var lineStart = bytes.startIndex
    var previous: UInt8 = 0
    var index = bytes.startIndex
    while true {
      let atEnd = index == bytes.endIndex
      if atEnd || (bytes[index] == UInt8(ascii: "\n") && previous != UInt8(ascii: "\r")) {
        if let frontStart {
          if text[lineStart..<index].trimmingScalars(where: isFoundationWhitespace) == "---" {
            let front =
              lineStart == frontStart
              ? "" : String(text[frontStart..<bytes.index(before: lineStart)])
            return (front, atEnd ? "" : String(text[bytes.index(after: index)...]))
          }
        }
        if atEnd { return (nil, text) }
        lineStart = bytes.index(after: index)
        if frontStart == nil { frontStart = lineStart }
      }
      previous = bytes[index]
      index = bytes.index(after: index)
    }
  }

  /// The `status` field of a postmortem's front matter, or nil when absent or unreadable.
  static func status(in data: Data) -> String? {
    guard let text = String(data: data, encoding: .utf8), let fm = split(text).frontMatter,
      let root = try? YAMLReader.parse(Data(fm.utf8), file: "postmortem.md"),
      let map = try? YAMLMap(root, file: "postmortem.md")
    else { return nil }
    return (try? map.string("status")) ?? nil
  }
}
