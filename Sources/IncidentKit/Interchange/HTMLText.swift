import Foundation

/// Turns the small HTML of status-page updates into plain text.
///
/// Rules: `<br>` is a line break; `<p>`, `<div>`, headings and lists end a paragraph (a blank
/// line); each `<li>` starts a line with `- `; a link keeps its text followed by its URL in
/// parentheses (`docs (https://example.com/docs)`), or just the URL when the text is the URL;
/// every other tag is dropped; `<script>` and `<style>` are dropped with their content; named
/// entities (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#39;`, `&nbsp;` as U+00A0, and a few
/// typographic ones) and numeric ones (`&#8217;`, `&#x2019;`) are decoded; runs of spaces and
/// line breaks in the source collapse to one space, as a browser shows them. Text without any
/// tag or entity is returned as it is, trimmed.
enum HTMLText {
  static func plain(_ html: String) -> String {
    guard html.contains("<") || html.contains("&") else {
      return html.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    var out = ""
    var pendingLink: String?
    var linkTextStart = 0
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
        appendText(Substring(decoded))
        i = next
      }
    }
    let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }
    return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
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

  static let entities: [String: String] = [
    "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
    "ndash": "–", "mdash": "—", "hellip": "…", "rsquo": "’", "lsquo": "‘", "rdquo": "”",
    "ldquo": "“", "copy": "©", "reg": "®", "trade": "™", "middot": "·", "bull": "•",
  ]

  static func decodeEntities(_ text: String) -> String {
    guard text.contains("&") else { return text }
    var out = ""
    var i = text.startIndex
    while i < text.endIndex {
      if text[i] == "&", let semi = text[i...].prefix(12).firstIndex(of: ";") {
        let name = text[text.index(after: i)..<semi]
        var replacement: String?
        if name.hasPrefix("#x") || name.hasPrefix("#X") {
          replacement = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
        } else if name.hasPrefix("#") {
          replacement = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
        } else {
          replacement = entities[String(name)]
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
