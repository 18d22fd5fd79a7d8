import Foundation
import Testing

@testable import IncidentKit

/// HTML of status-page updates as plain text: every HTML 4.01 named entity, numeric entities,
/// and the line breaks of `<pre>`.
@Suite("HTML text")
struct HTMLTextTests {
  @Test func namedEntitiesOfHTML4AreDecoded() {
    #expect(HTMLText.plain("caf&eacute; &euro;5 &hearts; &Alpha;&omega; &thetasym; &apos;x&apos; &AElig;&szlig;")
      == "café €5 ♥ Αω ϑ 'x' Æß")
    #expect(HTMLText.plain("a &rArr; b &le; c &mdash; d&nbsp;e") == "a ⇒ b ≤ c — d\u{00A0}e")
    #expect(HTMLText.plain("&unknown; &amp") == "&unknown; &amp", "unknown or unterminated stay as they are")
  }

  /// The table is the 252 entities of HTML 4.01, as Python's `html.entities.name2codepoint`
  /// (an independent copy of the same W3C list) has them.
  @Test func theEntityTableIsHTML401() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import json, html.entities as e; print(json.dumps(e.name2codepoint))"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let python = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Int])
    #expect(python.count == 252)
    #expect(HTMLEntities.html4.count == 252)
    #expect(HTMLEntities.html4.mapValues(Int.init) == python)
  }

  @Test func numericEntitiesIncludingWindows1252() {
    #expect(HTMLText.plain("it&#8217;s &#x2019; &#150; &#146;") == "it’s ’ – ’")
    // Control characters are decoded here; importers remove them (ImportText).
    #expect(HTMLText.plain("a&#27;b&#x202E;c") == "a\u{1B}b\u{202E}c")
  }

  @Test func preKeepsLineBreaksAndIndentation() {
    let html = "<p>Status:</p><pre>line 1\n  indented\n\nline 4</pre><p>after   the   block</p>"
    #expect(HTMLText.plain(html) == "Status:\n\nline 1\n  indented\n\nline 4\n\nafter the block")
    #expect(HTMLText.plain("<b>x</b>\n   y") == "x y", "outside <pre> runs of white space collapse")
  }
}

/// Imported text obeys the command line's rule: no control characters except line breaks and
/// tabs in free text, none in one-line fields, no bidirectional controls.
@Suite("Imported text")
struct ImportTextTests {
  @Test func removesForbiddenCharactersAndNamesTheFields() {
    var clean = ImportText(file: "a.json")
    #expect(clean.line("Bad\u{202E} name\u{1B}[1m\tx\n", field: "incident.name") == "Bad name[1m x")
    #expect(clean.text("line 1\r\nline\u{0}\t2\u{2066}\u{85}", field: "body") == "line 1\nline\t2")
    #expect(clean.text("fine\n\ttext", field: "other") == "fine\n\ttext")
    #expect(clean.warning == "a.json: removed control or bidirectional characters (U+202E, U+001B, U+0000, U+2066, U+0085) from incident.name, body; imported text may hold only line breaks and tabs, as text given on the command line")
    var none = ImportText(file: "b.json")
    _ = none.line("plain", field: "x")
    #expect(none.warning == nil)
  }

  @Test func zoneLessTimesInDaylightSavingTransitionsSayWhichInstant() throws {
    let zone = try #require(TimeZone(identifier: "America/New_York"))
    let gap = try #require(ImportTime.parse("2024-03-10 02:30", zone: zone))
    #expect(RFC3339.format(gap.date) == "2024-03-10T07:30:00Z")
    #expect(gap.note == "'2024-03-10 02:30' does not exist in America/New_York (the clocks moved forward over it); read as 2024-03-10T07:30:00Z, which is 03:30 local time (-04:00)")
    let twice = try #require(ImportTime.parse("2024-11-03 01:30", zone: zone))
    #expect(RFC3339.format(twice.date) == "2024-11-03T05:30:00Z")
    #expect(twice.note == "'2024-11-03 01:30' happened twice in America/New_York (the clocks moved back); read as the first, 2024-11-03T05:30:00Z (-04:00), not 2024-11-03T06:30:00Z (-05:00)")
    #expect(try #require(ImportTime.parse("2024-07-01 12:00", zone: zone)).note == nil)
    #expect(ImportTime.implausible(try #require(ImportTime.parse("0999-12-31", zone: zone)).date) != nil)
    #expect(ImportTime.implausible(try #require(ImportTime.parse("1000-01-02", zone: zone)).date) == nil)
  }
}
