import Foundation

/// YAML front matter at the top of a Markdown file, between two `---` lines.
enum FrontMatter {
  /// Splits `data` into its front matter text and the body; nil front matter when absent.
  static func split(_ text: String) -> (frontMatter: String?, body: String) {
    guard text.hasPrefix("---\n") || text.hasPrefix("---\r\n") else { return (nil, text) }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    for i in lines.indices.dropFirst() where lines[i].trimmingWhitespace == "---" {
      let fm = lines[1..<i].joined(separator: "\n")
      let body = lines[(i + 1)...].joined(separator: "\n")
      return (fm, body)
    }
    return (nil, text)
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
