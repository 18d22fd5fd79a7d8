import Foundation
import Testing

@testable import IncidentKit

/// The import's fast text paths give what Foundation and the general rule give.
@Suite("Text fast paths")
struct TextFastPathTests {
  static let samples: [String] = [
    "", " ", "\t", "---", " --- ", "\t---\t", "---\r", "a", " a b ", "\u{00A0}x\u{00A0}", "\u{2003}\u{3000}y\u{202F}",
    "\u{1680}z", "\n a \n", "\u{2028}a\u{2029}", "\u{0085}a", " \u{301}a", "a\u{301} ", "| 2021-06-30 08:32 | x |",
    "\u{200B}zero width\u{200B}", "\u{FEFF}bom", "emoji 🚒 ", "\u{000B}v\u{000C}",
  ]

  @Test func trimmingWhitespaceIsFoundations() {
    for s in Self.samples {
      #expect(s.trimmingWhitespace == s.trimmingCharacters(in: .whitespaces), "\(s.unicodeScalars.map { String($0.value, radix: 16) })")
      let sub = ("<" + s + ">").dropFirst().dropLast()
      #expect(sub.trimmingWhitespace == sub.trimmingCharacters(in: .whitespaces))
    }
    // The same set as Foundation's, over all of Unicode.
    let differ = (UInt32(0)...0x10FFFF).compactMap(Unicode.Scalar.init).filter {
      isFoundationWhitespace($0) != CharacterSet.whitespaces.contains($0)
    }
    #expect(differ.isEmpty, "\(differ.map { String($0.value, radix: 16) })")
  }

  @Test func forbiddenIsTheGeneralRule() {
    let differ = (UInt32(0)...0x3000).compactMap(Unicode.Scalar.init).filter { scalar in
      let rule = scalar != "\n" && scalar != "\t"
        && (scalar.properties.generalCategory == .control || Lifecycle.bidiControls.contains(scalar.value))
      return ImportText.forbidden(scalar) != rule
    }
    #expect(differ.isEmpty, "\(differ.map { String($0.value, radix: 16) })")
    #expect(ImportText.forbidden("\u{202E}") && ImportText.forbidden("\u{2066}") && ImportText.forbidden("\u{1B}"))
    #expect(!ImportText.isClean("a\rb") && !ImportText.isClean("a\u{7F}") && ImportText.isClean("a\tb\nc é"))
    var clean = ImportText(file: "f")
    #expect(clean.text("a\r\nb\rc", field: "x") == "a\nb\nc")
    #expect(clean.text("plain text", field: "y") == "plain text")
    #expect(clean.warning == nil, "CR is not a removed character")
  }
}
