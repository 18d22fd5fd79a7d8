import Foundation

/// Turns the small HTML of status-page updates into plain text.
///
/// Rules: `<br>` is a line break; `<p>`, `<div>`, headings and lists end a paragraph (a blank
/// line); each `<li>` starts a line with `- `; a link keeps its text followed by its URL in
/// parentheses (`docs (https://example.com/docs)`), or just the URL when the text is the URL;
/// every other tag is dropped; `<script>` and `<style>` are dropped with their content; the 252
/// named entities of HTML 4.01 (``HTMLEntities``, such as `&amp;`, `&nbsp;` as U+00A0, `&eacute;`,
/// `&euro;`, `&hearts;`) and `&apos;` are decoded, and numeric ones (`&#8217;`, `&#x2019;`;
/// 0x80-0x9F as windows-1252, as HTML5 reads them); runs of spaces and line breaks in the
/// source collapse to one space, as a browser shows them, except inside `<pre>`, whose line
/// breaks and spaces are kept. Text without any tag or entity is returned as it is, trimmed.
/// The result may hold control characters that entities named (`&#27;`): importers clean it
/// with ``ImportText``.
enum HTMLText {
  static func plain(_ html: String) -> String {
    guard html.contains("<") || html.contains("&") else {
      return html.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    var out = ""
    var pendingLink: String?
    var linkTextStart = 0
    var preDepth = 0
    /// UTF-8 offsets in `out` where text inside `<pre>` starts and ends (lines starting there keep
    /// their leading spaces).
    var preRanges: [Range<Int>] = []
    var i = html.startIndex
    func newline(_ count: Int) {
      while out.last == " " { out.removeLast() }
      var have = 0
      for c in out.reversed() {
        if c == "\n" { have += 1 } else { break }
      }
      if out.isEmpty { return }
      while have < count {
        out.append("\n")
        have += 1
      }
    }
    func appendText(_ text: Substring) {
      for c in text {
        if c == " " || c == "\n" || c == "\t" || c == "\r" {
          if let last = out.last, last != " ", last != "\n" { out.append(" ") }
        } else {
          out.append(c)
        }
      }
    }
    while i < html.endIndex {
      if html[i] == "<", let close = html[i...].firstIndex(of: ">") {
        let inner = html[html.index(after: i)..<close]
        let isEnd = inner.hasPrefix("/")
        let nameText = inner.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
        i = html.index(after: close)
        switch nameText {
        case "br": newline(1)
        case "p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote":
          newline(2)
        case "li", "tr":
          newline(1)
          if !isEnd && nameText == "li" { out += "- " }
        case "td", "th":
          if isEnd { out += " " }
        case "pre":
          newline(2)
          preDepth = max(0, preDepth + (isEnd ? -1 : 1))
        case "script", "style":
          if !isEnd, let end = html.range(of: "</\(nameText)", options: .caseInsensitive, range: i..<html.endIndex) {
            i = html[end.upperBound...].firstIndex(of: ">").map { html.index(after: $0) } ?? html.endIndex
          }
        case "a":
          if isEnd {
            if let url = pendingLink {
              let bytes = Array(out.utf8)
              let text = String(decoding: bytes[min(linkTextStart, bytes.count)...], as: UTF8.self)
                .trimmingCharacters(in: .whitespaces)
              if text.isEmpty || text == url {
                if text.isEmpty { out += url }
              } else {
                out += " (\(url))"
              }
            }
            pendingLink = nil
          } else {
            pendingLink = attribute("href", in: String(inner)).map(decodeEntities)
            linkTextStart = out.utf8.count
          }
        default: break
        }
      } else {
        let next = html[i...].firstIndex(of: "<") ?? html.endIndex
        let chunk = html[i..<next]
        let decoded = decodeEntities(String(chunk))
        if preDepth > 0 {
          var kept = decoded.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
          if out.isEmpty || out.last == "\n" { while kept.hasPrefix("\n") { kept.removeFirst() } }
          let start = out.utf8.count
          out += kept
          preRanges.append(start..<out.utf8.count)
        } else {
          appendText(Substring(decoded))
        }
        i = next
      }
    }
    var lines: [String] = []
    var offset = 0
    for line in out.split(separator: "\n", omittingEmptySubsequences: false) {
      let inPre = preRanges.contains { $0.contains(offset) }
      offset += line.utf8.count + 1
      var text = String(line)
      while let last = text.last, last == " " || last == "\t" { text.removeLast() }
      lines.append(inPre ? text : text.trimmingCharacters(in: .whitespaces))
    }
    while lines.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeFirst() }
    while lines.last?.isEmpty == true { lines.removeLast() }
    return lines.joined(separator: "\n")
  }

  static func attribute(_ name: String, in tag: String) -> String? {
    guard let range = tag.range(of: "\(name)=", options: .caseInsensitive) else { return nil }
    var rest = tag[range.upperBound...]
    if let quote = rest.first, quote == "\"" || quote == "'" {
      rest = rest.dropFirst()
      return String(rest.prefix { $0 != quote })
    }
    return String(rest.prefix { !$0.isWhitespace && $0 != ">" })
  }

  /// A named entity's text: HTML 4.01's 252 and `apos`.
  static func entity(_ name: Substring) -> String? {
    if name == "apos" { return "'" }
    return HTMLEntities.html4[String(name)].flatMap(Unicode.Scalar.init).map { String(Character($0)) }
  }

  /// A numeric reference's text; 0x80-0x9F as windows-1252 (HTML5); nil for a surrogate or a
  /// number past U+10FFFF.
  static func numeric(_ value: UInt32?) -> String? {
    guard let value else { return nil }
    let mapped = HTMLEntities.windows1252[value] ?? value
    return Unicode.Scalar(mapped).map { String(Character($0)) }
  }

  static func decodeEntities(_ text: String) -> String {
    guard text.contains("&") else { return text }
    var out = ""
    var i = text.startIndex
    while i < text.endIndex {
      if text[i] == "&", let semi = text[i...].prefix(12).firstIndex(of: ";") {
        let name = text[text.index(after: i)..<semi]
        var replacement: String?
        if name.hasPrefix("#x") || name.hasPrefix("#X") {
          replacement = numeric(UInt32(name.dropFirst(2), radix: 16))
        } else if name.hasPrefix("#") {
          replacement = numeric(UInt32(name.dropFirst()))
        } else {
          replacement = entity(name)
        }
        if let replacement {
          out += replacement
          i = text.index(after: semi)
          continue
        }
      }
      out.append(text[i])
      i = text.index(after: i)
    }
    return out
  }
}
