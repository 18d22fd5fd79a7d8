import Foundation
import Testing

@testable import IncidentKit

@Suite("Lifecycle rules")
struct LifecycleTests {
  let ana = Identity(name: "Ana Lima", email: "ana@example.com")
  let t0 = RFC3339.parse("2026-11-29T10:00:00Z")!

  func context(_ minutes: Double = 0) -> Lifecycle.Context {
    Lifecycle.Context(settings: .defaults, actor: ana, now: t0.addingTimeInterval(minutes * 60))
  }

  func declared(kind: IncidentKind = .outage, commander: String? = nil) throws -> IncidentRecord {
    let id = IncidentID("INC-20261129-7K3Q")!
    return try Lifecycle.declare(
      Declaration(title: "T", severity: "sev3", kind: kind, commander: commander), id: id,
      context: context()
    ).0
  }

  @Test func declareSetsStatusTimesAndEvents() throws {
    let plain = try declared()
    #expect(plain.incident.status == .reported)
    #expect(plain.incident.severity == "SEV3")
    #expect(plain.incident.times.detectedAt == t0)
    #expect(plain.incident.times.acknowledgedAt == nil)
    #expect(plain.timeline.events.map(\.type) == ["declared"])
    let led = try declared(commander: "Bo Chen")
    #expect(led.incident.status == .active)
    #expect(led.incident.commander == "Bo Chen")
    #expect(led.incident.times.acknowledgedAt == t0)
    #expect(led.timeline.events.map(\.type) == ["declared", "role"])
  }

  @Test func forwardMovesMaySkipAndBackwardMovesAreRefused() throws {
    var record = try declared()
    record = try Lifecycle.apply(.status(.resolved, at: nil, note: nil, reason: nil), to: record, context: context(5)).0
    #expect(record.incident.status == .resolved)
    #expect(record.incident.times.resolvedAt == t0.addingTimeInterval(300))
    #expect(throws: IncidentError.self) {
      try Lifecycle.apply(.status(.active, at: nil, note: nil, reason: nil), to: record, context: context(6))
    }
    let reopened = try Lifecycle.apply(.reopen(at: nil, note: nil), to: record, context: context(7)).0
    #expect(reopened.incident.status == .active)
    #expect(reopened.incident.times.resolvedAt == nil)
  }

  @Test func allowedTargetsFollowTheKind() throws {
    let outage = try declared().incident
    #expect(Lifecycle.allowedTargets(from: outage) == [.active, .mitigated, .resolved, .review, .closed, .declined])
    let security = try declared(kind: .security).incident
    #expect(Lifecycle.allowedTargets(from: security) == [.active, .contained, .eradicated, .resolved, .review, .closed, .declined])
  }

  @Test func timesMustStayInOrder() throws {
    let record = try declared()
    let early = t0.addingTimeInterval(-60)
    do {
      _ = try Lifecycle.apply(.status(.mitigated, at: early, note: nil, reason: nil), to: record, context: context(1))
      Issue.record("expected a refusal")
    } catch {
      #expect(error.description.contains("mitigated_at"))
      #expect(error.description.contains("detected_at"))
    }
  }

  @Test func declineNeedsAKnownReasonAndClosingNeedsAPublishedPostmortem() throws {
    let record = try declared()
    #expect(throws: IncidentError.self) {
      try Lifecycle.apply(.status(.declined, at: nil, note: nil, reason: nil), to: record, context: context(1))
    }
    #expect(throws: IncidentError.self) {
      try Lifecycle.apply(.status(.declined, at: nil, note: nil, reason: "boring"), to: record, context: context(1))
    }
    let declined = try Lifecycle.apply(.status(.declined, at: nil, note: nil, reason: "false-positive"), to: record, context: context(1)).0
    #expect(declined.incident.declinedReason == "false-positive")
    var sev2 = record
    sev2.incident.severity = "SEV2"
    do {
      _ = try Lifecycle.apply(.status(.closed, at: nil, note: nil, reason: nil), to: sev2, context: context(2))
      Issue.record("expected a refusal")
    } catch {
      #expect(error.description.contains("published postmortem"))
    }
    var published = context(2)
    published.postmortemStatus = "published"
    // Published by hand without the approvals policy asks for is not enough.
    do {
      _ = try Lifecycle.apply(.status(.closed, at: nil, note: nil, reason: nil), to: sev2, context: published)
      Issue.record("closing with a published postmortem without approvals was allowed")
    } catch {
      #expect(error.description == "\(sev2.incident.id) is SEV2 and policy requires a published postmortem with 1 approval before closing; its postmortem is published but has 0 of the 1 approvals policy requires (approvals by its authors do not count; a reviewer approves with `git incident postmortem approve \(sev2.incident.id)`)")
    }
    published.postmortemApprovals = 1
    #expect(try Lifecycle.apply(.status(.closed, at: nil, note: nil, reason: nil), to: sev2, context: published).0.incident.status == .closed)
  }

  @Test func handoverKeepsThePreviousHolderInTheTimeline() throws {
    let record = try declared(commander: "Bo Chen")
    let (after, message) = try Lifecycle.apply(.assign(role: "commander", person: "Ana Lima", at: nil), to: record, context: context(3))
    #expect(after.incident.commander == "Ana Lima")
    let event = try #require(after.timeline.events.last)
    #expect(event.type == "role" && event.from == "Bo Chen" && event.to == "Ana Lima" && event.text == "handover")
    #expect(message.subject == "INC-20261129-7K3Q: commander Bo Chen -> Ana Lima")
  }

  @Test func idsAreValidatedBeforeTheyBecomePaths() {
    for bad in ["../x", "GIT~1", ".git", "", "INC-2026112-7K3Q", "INC-20261129-7K3I", "inc/20261129/7K3Q"] {
      #expect(IncidentID(bad) == nil, "\(bad)")
    }
    #expect(IncidentID("inc-20261129-7k3q")?.rawValue == "INC-20261129-7K3Q")
    #expect(IncidentID("INC-20261129-7K3Q")?.folder == "incidents/2026/INC-20261129-7K3Q")
    #expect(!IncidentID.isPlausibleQuery("../x"))
    #expect(!IncidentID.isPlausibleQuery("GIT~1"))
    #expect(IncidentID.isPlausibleQuery("7k3q"))
    let generated = IncidentID.generate(prefix: "SEC", date: t0)
    #expect(generated.rawValue.hasPrefix("SEC-20261129-"))
    #expect(IncidentID(generated.rawValue) == generated)
  }
}
