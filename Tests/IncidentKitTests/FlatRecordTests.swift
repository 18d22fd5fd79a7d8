import Foundation
import Testing

@testable import IncidentKit

/// `incident.yaml` files as the tool writes them are read from libyaml's events without a node
/// tree (``FlatRecord``); every result and every error must be the full reader's.
@Suite("Flat record reader")
struct FlatRecordTests {
  private static let file = "incidents/2026/INC-20261129-7K3Q/incident.yaml"
  private static let id = IncidentID("INC-20261129-7K3Q")!

  private func result(_ body: () throws(FormatError) -> Incident) -> Result<Incident, FormatError> {
    do {
      return .success(try body())
    } catch {
      return .failure(error)
    }
  }

  /// The public decoder (fast paths first) against the full reader with positions: the same
  /// incident (node positions of unknown keys aside), or the same error text and field.
  @discardableResult
  private func same(_ text: String, settings: Settings? = nil) -> Bool {
    let data = Data(text.utf8)
    let fast = result { () throws(FormatError) in
      try RecordCodec.decodeIncident(data, file: Self.file, expectedID: Self.id, settings: settings)
    }
    let full = result { () throws(FormatError) in
      try RecordCodec.decodeIncident(
        data, file: Self.file, expectedID: Self.id, settings: settings, checkOrder: true,
        positions: true)
    }
    switch (fast, full) {
    case (.success(let a), .success(let b)):
      #expect(a == b, "\(text)")
    case (.failure(let a), .failure(let b)):
      #expect(a.description == b.description, "\(text)")
      #expect(a.field == b.field)
    default:
      Issue.record("one reader failed: \(fast) vs \(full) for \(text)")
    }
    return FlatRecord.read(data, file: Self.file, known: Set(RecordCodec.incidentKeys)) != nil
  }

  private let head = "id: INC-20261129-7K3Q\ntitle: Checkout fails\nkind: outage\nseverity: SEV2\n"

  @Test("records the tool writes are read flat, to the same incident")
  func canonical() {
    var incident = Incident(id: Self.id, title: "Checkout: 500s ünï ✓", kind: .security, severity: "SEV1", status: .contained)
    incident.summary = "Two lines\nof summary\twith a tab"
    incident.services = ["api", "yes", "null", "~", "1.0"]
    incident.labels = ["customer-facing"]
    incident.roles = [
      RoleAssignment(role: "commander", person: "Ana Lima <ana@example.com>"),
      RoleAssignment(role: "scribe", person: "Bo"),
    ]
    incident.times.startedAt = Date(timeIntervalSince1970: 1_764_400_000)
    incident.times.detectedAt = Date(timeIntervalSince1970: 1_764_400_060.5)
    incident.times.containedAt = Date(timeIntervalSince1970: 1_764_403_600)
    incident.declaredBy = "Ana Lima <ana@example.com>"
    incident.source = IncidentSource(system: "statuspage", id: "abc")
    let text = String(decoding: RecordCodec.encodeIncident(incident), as: UTF8.self)
    #expect(same(text))
    #expect((try? RecordCodec.decodeIncident(Data(text.utf8), file: Self.file)) == incident)
  }

  @Test("hand edits read flat give what the full reader gives, errors included")
  func handEdits() {
    let flat = [
      "status: active\n",
      "status: active\nsummary: ~\nservices: []\nlabels:\n",
      "status: active\nsummary: null\nservices: ~\nroles: {}\n",
      "status: active\nsummary: \"null\"\nservices: [\"~\", b]\n",
      "status: active\nservices: [a, ~]\n",  // a null item: an error
      "status: active\nroles:\n  commander: ~\n",  // a role without a person
      "status: active\nroles: {commander: Ana, commander: Bo}\n",  // repeated key: full reader
      "status: active\nsource: {system: statuspage}\n",  // source without id
      "status: active\nsource: {system: s, id: i, extra: x}\n",
      "status: active\nstarted_at: 2026-11-29T10:00:00+02:00\ndetected_at: 2026-11-29T07:59:00Z\n",
      "status: active\nstarted_at: yesterday\n",
      "status: active\nstarted_at: \"\"\n",
      "status: mitigated\nsummary: \"\\uFEFFbom\"\n",
      "status: contained\n",  // does not apply to an outage
      "status: nonsense\n",
      "status: active\ntitle2: x\n",  // unknown key: full reader keeps it
      "status: active\nsummary: \"\\e[31m\"\n",
      "status: active\nservices: api\n",
      "status: active\nroles: [a]\n",
      "status: [active]\n",
      "status: active\n---\nstatus: active\n",
      "status: &a active\n",
      "status: !!str active\n",
    ]
    var readFlat = 0
    for tail in flat where same(head + tail) { readFlat += 1 }
    #expect(readFlat >= 15)
    // Whole-file variations.
    for text in [
      "", "~\n", "[]\n", "id: INC-20261129-7K3Q\n",
      "{id: INC-20261129-7K3Q, title: t, severity: SEV2, status: active}\n",
      "\u{FEFF}" + head + "status: active\n",
      head.replacingOccurrences(of: "\n", with: "\r\n") + "status: active\r\n",
      head.replacingOccurrences(of: "INC-20261129-7K3Q", with: "INC-20261129-7K3R") + "status: active\n",
      head.replacingOccurrences(of: "Checkout fails", with: "\"  \"") + "status: active\n",
      "%TAG !e! tag:example.com,2000:app/\n---\n" + head + "status: active\n",
      head + "status: active\n# a comment\n",
    ] {
      same(text)
    }
    let settings = Settings.defaults
    same(head.replacingOccurrences(of: "SEV2", with: "SEV9") + "status: active\n", settings: settings)
    same(head + "status: active\n", settings: settings)
  }
}
