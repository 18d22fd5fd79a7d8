import Foundation
import Testing

@testable import IncidentKit

/// The record merge's rules on hand-made versions of one incident folder.
@Suite("Record merge")
struct RecordMergeTests {
  let folder = "incidents/2026/INC-20261129-7K3Q"

  func incident(severity: String = "SEV2", status: String = "active", extra: String = "") -> Data {
    Data("""
      id: INC-20261129-7K3Q
      title: Checkout down
      kind: outage
      severity: \(severity)
      status: \(status)
      detected_at: "2026-11-29T10:00:00Z"
      reported_at: "2026-11-29T10:00:00Z"
      \(extra)
      """.utf8)
  }

  func timeline(_ events: [(id: String, at: String, type: String)]) -> Data {
    var text = "events:\n"
    for e in events {
      text += "- id: \(e.id)\n  at: \"\(e.at)\"\n  by: Ana <a@x>\n  type: \(e.type)\n"
    }
    return Data(text.utf8)
  }

  let declared = (id: "ev-declared000", at: "2026-11-29T10:00:00Z", type: "declared")

  func merged(_ files: [String: FileVersions]) throws -> (incident: Incident, timeline: Timeline, notes: [String]) {
    let result = try RecordMerge.mergeIncident(folder: folder, files: files)
    let incident = try RecordCodec.decodeIncident(result.files["incident.yaml"]!!, file: "incident.yaml")
    let timeline = try result.files["timeline.yaml"].flatMap { $0 }.map {
      try RecordCodec.decodeTimeline($0, file: "timeline.yaml")
    } ?? Timeline()
    return (incident, timeline, result.notes)
  }

  @Test func theLaterChangeWinsAndTheLoserIsRecorded() throws {
    for (oursAt, theirsAt, kept, lost) in [
      ("2026-11-29T10:20:00Z", "2026-11-29T10:10:00Z", "SEV1", "SEV4"),
      ("2026-11-29T10:10:00Z", "2026-11-29T10:20:00Z", "SEV4", "SEV1"),
    ] {
      let files: [String: FileVersions] = [
        "incident.yaml": FileVersions(base: incident(), ours: incident(severity: "SEV1"), theirs: incident(severity: "SEV4")),
        "timeline.yaml": FileVersions(
          base: timeline([declared]),
          ours: timeline([declared, ("ev-ours000001", oursAt, "severity")]),
          theirs: timeline([declared, ("ev-theirs0001", theirsAt, "severity")])),
      ]
      let m = try merged(files)
      #expect(m.incident.severity == kept)
      #expect(m.timeline.events.map(\.id).filter { $0.hasPrefix("ev-ours") || $0.hasPrefix("ev-theirs") || $0 == declared.id }.count == 3)
      let event = try #require(m.timeline.events.first { $0.type == "merge" })
      #expect(event.from == lost)
      #expect(event.to == kept)
      #expect(event.at == RFC3339.parse(max(oursAt, theirsAt)))
      #expect(event.by == "git-incident merge")
      #expect(event.extra.map(\.key) == ["field", "file"])
      // The same merge with the sides swapped gives the same records (the event ID too).
      let swapped = files.mapValues { FileVersions(base: $0.base, ours: $0.theirs, theirs: $0.ours) }
      let s = try merged(swapped)
      #expect(s.incident == m.incident)
      #expect(Set(s.timeline.events.map(\.id)) == Set(m.timeline.events.map(\.id)))
    }
  }

  @Test func tiesTakeTheLargerValue() throws {
    let files: [String: FileVersions] = [
      "incident.yaml": FileVersions(base: incident(), ours: incident(extra: "summary: alpha"), theirs: incident(extra: "summary: beta")),
      "timeline.yaml": FileVersions(base: timeline([declared]), ours: timeline([declared]), theirs: timeline([declared])),
    ]
    let m = try merged(files)
    #expect(m.incident.summary == "beta")
    let event = try #require(m.timeline.events.first { $0.type == "merge" })
    #expect(event.from == "alpha")
    #expect(event.to == "beta")
    #expect(event.at == RFC3339.parse(declared.at), "an undated merge event takes the latest event's time")
  }

  @Test func brokenTimeOrderKeepsTheEarlierStatus() throws {
    // Ours mitigated at 10:30; theirs resolved at 10:20 (later event wins the status, but
    // resolved before mitigated breaks the lifecycle's order).
    let ours = incident(status: "mitigated", extra: "mitigated_at: \"2026-11-29T10:30:00Z\"")
    let theirs = incident(status: "resolved", extra: "resolved_at: \"2026-11-29T10:20:00Z\"")
    let files: [String: FileVersions] = [
      "incident.yaml": FileVersions(base: incident(), ours: ours, theirs: theirs),
      "timeline.yaml": FileVersions(
        base: timeline([declared]),
        ours: timeline([declared, ("ev-ours000001", "2026-11-29T10:30:00Z", "status")]),
        theirs: timeline([declared, ("ev-theirs0001", "2026-11-29T10:20:00Z", "status")])),
    ]
    let m = try merged(files)
    #expect(m.incident.status == .mitigated)
    #expect(m.incident.times.resolvedAt == nil)
    #expect(m.incident.times.mitigatedAt == RFC3339.parse("2026-11-29T10:30:00Z"))
    #expect(m.incident.times.firstOrderViolation() == nil)
    let why = try #require(m.timeline.events.first { $0.type == "merge" && $0.text?.contains("lifecycle order") == true })
    #expect(why.text == "status: the merged times broke the lifecycle order: resolved_at (2026-11-29T10:20:00Z) was before mitigated_at (2026-11-29T10:30:00Z); kept the earlier status mitigated and removed resolved_at 2026-11-29T10:20:00Z")
  }

  @Test func unknownFilesMergeByIdentityAndFields() throws {
    let base = Data("actions:\n- id: a1\n  title: Canary\n  owner: Ana\n  status: open\n".utf8)
    let ours = Data("actions:\n- id: a1\n  title: Canary\n  owner: Bo\n  status: open\n- id: a2\n  title: Alerts\n".utf8)
    let theirs = Data("actions:\n- id: a1\n  title: Canary\n  owner: Ana\n  status: done\n- id: a3\n  title: Runbook\n".utf8)
    let (data, resolutions) = try RecordMerge.mergeFile(path: "\(folder)/actions.yaml", FileVersions(base: base, ours: ours, theirs: theirs))
    #expect(resolutions.isEmpty)
    #expect(String(decoding: data!, as: UTF8.self) == """
      actions:
      - id: a1
        title: Canary
        owner: Bo
        status: done
      - id: a2
        title: Alerts
      - id: a3
        title: Runbook

      """)
  }

  @Test func scalarListsMergeAsSets() throws {
    let files: [String: FileVersions] = [
      "incident.yaml": FileVersions(
        base: incident(extra: "labels:\n- a\n- b"), ours: incident(extra: "labels:\n- a\n- c"),
        theirs: incident(extra: "labels:\n- b\n- d")),
    ]
    let m = try merged(files)
    #expect(m.incident.labels == ["c", "d"])
  }

  @Test func postmortemBodyMergesAndConflictsNameTheSection() throws {
    let base = "---\nstatus: draft\n---\n# PM\n\n## Summary\n\nx\n\n## Impact\n\ny\n"
    let ours = base.replacingOccurrences(of: "\nx\n", with: "\nx ours\n").replacingOccurrences(of: "draft", with: "in-review")
    let theirs = base.replacingOccurrences(of: "\ny\n", with: "\ny theirs\n")
    let (data, _) = try RecordMerge.mergeFile(
      path: "\(folder)/postmortem.md", FileVersions(base: Data(base.utf8), ours: Data(ours.utf8), theirs: Data(theirs.utf8)))
    #expect(String(decoding: data!, as: UTF8.self) == "---\nstatus: in-review\n---\n# PM\n\n## Summary\n\nx ours\n\n## Impact\n\ny theirs\n")
    let clash = base.replacingOccurrences(of: "\ny\n", with: "\ny other\n")
    #expect(throws: MergeConflict.self) {
      try RecordMerge.mergeFile(
        path: "\(folder)/postmortem.md", FileVersions(base: Data(base.utf8), ours: Data(theirs.utf8), theirs: Data(clash.utf8)))
    }
    do {
      _ = try RecordMerge.mergeFile(
        path: "pm.md", FileVersions(base: Data(base.utf8), ours: Data(theirs.utf8), theirs: Data(clash.utf8)))
    } catch {
      #expect(error.description == "pm.md was changed on both sides in the same lines of section 'Impact'")
    }
  }

  /// 4. The kept status decides the derived fields: a time of a status it has not reached and
  /// declined fields on a non-declined incident are removed, and recorded in a merge event.
  @Test func derivedFieldsFollowTheKeptStatus() throws {
    // Ours mitigated then resolved; theirs mitigated (by hand, earlier) with a later status
    // event: theirs' status wins, and ours' resolved_at would contradict it.
    let files: [String: FileVersions] = [
      "incident.yaml": FileVersions(
        base: incident(),
        ours: incident(status: "resolved", extra: "mitigated_at: \"2026-11-29T10:10:00Z\"\nresolved_at: \"2026-11-29T10:20:00Z\""),
        theirs: incident(status: "mitigated", extra: "mitigated_at: \"2026-11-29T10:05:00Z\"")),
      "timeline.yaml": FileVersions(
        base: timeline([declared]),
        ours: timeline([declared, ("ev-ours000001", "2026-11-29T10:10:00Z", "status"), ("ev-ours000002", "2026-11-29T10:20:00Z", "status")]),
        theirs: timeline([declared, ("ev-theirs0001", "2026-11-29T10:30:00Z", "status")])),
    ]
    let m = try merged(files)
    #expect(m.incident.status == .mitigated)
    #expect(m.incident.times.resolvedAt == nil)
    #expect(m.incident.times.mitigatedAt == RFC3339.parse("2026-11-29T10:05:00Z"))
    #expect(m.incident.statusContradictions.isEmpty)
    let why = try #require(m.timeline.events.first { $0.type == "merge" && $0.text?.hasPrefix("status: the merged record") == true })
    #expect(why.text == "status: the merged record is mitigated; removed the fields that contradict it: resolved_at 2026-11-29T10:20:00Z")

    // Declined on one side, acknowledged later on the other: active without declined fields,
    // acknowledged_at kept.
    let declinedFiles: [String: FileVersions] = [
      "incident.yaml": FileVersions(
        base: incident(status: "reported"),
        ours: incident(status: "declined", extra: "declined_at: \"2026-11-29T10:10:00Z\"\ndeclined_reason: false-positive"),
        theirs: incident(status: "active", extra: "acknowledged_at: \"2026-11-29T10:20:00Z\"")),
      "timeline.yaml": FileVersions(
        base: timeline([declared]),
        ours: timeline([declared, ("ev-ours000001", "2026-11-29T10:10:00Z", "status")]),
        theirs: timeline([declared, ("ev-theirs0001", "2026-11-29T10:20:00Z", "status")])),
    ]
    let d = try merged(declinedFiles)
    #expect(d.incident.status == .active)
    #expect(d.incident.times.declinedAt == nil)
    #expect(d.incident.declinedReason == nil)
    #expect(d.incident.times.acknowledgedAt == RFC3339.parse("2026-11-29T10:20:00Z"))
    #expect(d.timeline.events.contains { $0.text == "status: the merged record is active; removed the fields that contradict it: declined_at 2026-11-29T10:10:00Z, declined_reason false-positive" })
  }

  /// 6. The same conflict (file, field and values) met again in a later merge is recorded
  /// again; the same merge made twice records it once.
  @Test func aRepeatedConflictIsRecordedAgain() throws {
    func files(base: [(id: String, at: String, type: String)]) -> [String: FileVersions] {
      [
        "incident.yaml": FileVersions(base: incident(), ours: incident(severity: "SEV1"), theirs: incident(severity: "SEV4")),
        "timeline.yaml": FileVersions(
          base: timeline(base),
          ours: timeline(base + [("ev-ours000001", "2026-11-29T11:20:00Z", "severity")]),
          theirs: timeline(base + [("ev-theirs0001", "2026-11-29T11:10:00Z", "severity")])),
      ]
    }
    let first = try merged(files(base: [declared]))
    let again = try merged(files(base: [declared]))
    let later = try merged(files(base: [declared, ("ev-earlier001", "2026-11-29T11:00:00Z", "severity")]))
    let id = { (m: (incident: Incident, timeline: Timeline, notes: [String])) in m.timeline.events.first { $0.type == "merge" }?.id }
    #expect(id(first) != nil)
    #expect(id(first) == id(again))
    #expect(id(first) != id(later))
  }

  /// 5. A commander handover (or any event of another kind) does not time a status change.
  @Test func onlyStatusEventsTimeTheStatus() throws {
    let handover = timeline([declared, ("ev-ours000001", "2026-11-29T10:10:00Z", "status")])
      + Data("- id: ev-ours000002\n  at: \"2026-11-29T10:40:00Z\"\n  by: Ana <a@x>\n  type: role\n  role: commander\n  to: Bo <b@x>\n".utf8)
    let files: [String: FileVersions] = [
      "incident.yaml": FileVersions(
        base: incident(),
        ours: incident(status: "mitigated", extra: "mitigated_at: \"2026-11-29T10:10:00Z\""),
        theirs: incident(status: "declined", extra: "declined_at: \"2026-11-29T10:20:00Z\"\ndeclined_reason: false-positive")),
      "timeline.yaml": FileVersions(
        base: timeline([declared]), ours: handover,
        theirs: timeline([declared, ("ev-theirs0001", "2026-11-29T10:20:00Z", "status")])),
    ]
    let m = try merged(files)
    #expect(m.incident.status == .declined, "theirs' status change (10:20) is later than ours (10:10)")
    let event = try #require(m.timeline.events.first { $0.type == "merge" && $0.extra.first?.value.string == "status" && $0.from != nil })
    #expect(event.from == "mitigated")
    #expect(event.to == "declined")
    #expect(event.at == RFC3339.parse("2026-11-29T10:20:00Z"))
  }

  /// 8. An action item's completion (status, done_at, done_by) comes from one side, the later.
  @Test func completionFieldsComeFromOneSide() throws {
    let base = Data("actions:\n- id: A7K3Q\n  title: Canary\n  status: open\n".utf8)
    let ours = Data("actions:\n- id: A7K3Q\n  title: Canary\n  status: done\n  done_at: \"2026-11-29T10:05:00Z\"\n  done_by: Ana <a@x>\n".utf8)
    let theirs = Data("actions:\n- id: A7K3Q\n  title: Canary\n  status: done\n  done_at: \"2026-11-29T10:00:00Z\"\n  done_by: Bo <b@x>\n".utf8)
    for (o, t) in [(ours, theirs), (theirs, ours)] {
      let (data, resolutions) = try RecordMerge.mergeFile(path: "\(folder)/actions.yaml", FileVersions(base: base, ours: o, theirs: t))
      let list = try ActionCodec.decodeActions(data!, file: "actions.yaml")
      #expect(list.items[0].doneAt == RFC3339.parse("2026-11-29T10:05:00Z"))
      #expect(list.items[0].doneBy == "Ana <a@x>")
      #expect(resolutions.map(\.conflict.dotted) == ["actions[A7K3Q].done_at", "actions[A7K3Q].done_by"])
      #expect(resolutions.allSatisfy { $0.reason == "kept with status, done_at, done_by from the side whose done_at is later (2026-11-29T10:05:00Z)" })
    }
  }

  /// 9. A merged actions.yaml is written in the canonical key order, as the tool writes it.
  @Test func mergedActionsAreCanonical() throws {
    let base = Data("actions:\n- id: A7K3Q\n  title: Canary\n  status: open\n".utf8)
    let ours = Data("actions:\n- id: A7K3Q\n  title: Canary\n  status: done\n  done_at: \"2026-11-29T10:05:00Z\"\n  done_by: Ana <a@x>\n".utf8)
    let theirs = Data("actions:\n- id: A7K3Q\n  title: Canary\n  status: open\n  due: \"2026-12-15\"\n".utf8)
    let (data, _) = try RecordMerge.mergeFile(path: "\(folder)/actions.yaml", FileVersions(base: base, ours: ours, theirs: theirs))
    let list = try ActionCodec.decodeActions(data!, file: "actions.yaml")
    #expect(list.items[0].due == "2026-12-15")
    #expect(data == ActionCodec.encodeActions(list))
    let text = String(decoding: data!, as: UTF8.self)
    #expect(text.range(of: "due:")!.lowerBound < text.range(of: "done_at:")!.lowerBound, "\(text)")
  }
}
