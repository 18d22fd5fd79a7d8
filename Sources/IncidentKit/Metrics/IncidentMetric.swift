import Foundation

/// The incident review's time measures (DESIGN section 6, after the Google SRE book's MTTx
/// vocabulary), each a difference of two record times in seconds.
public enum IncidentMetric: String, Sendable, CaseIterable {
  /// detected_at - started_at
  case timeToDetect = "time_to_detect"
  /// acknowledged_at - detected_at
  case timeToAcknowledge = "time_to_acknowledge"
  /// mitigated_at - detected_at; for security incidents contained_at - detected_at
  case timeToMitigate = "time_to_mitigate"
  /// resolved_at - detected_at
  case timeToResolve = "time_to_resolve"

  /// The formula, as shown in every output.
  public var formula: String {
    switch self {
    case .timeToDetect: return "detected_at - started_at"
    case .timeToAcknowledge: return "acknowledged_at - detected_at"
    case .timeToMitigate: return "mitigated_at - detected_at (security: contained_at - detected_at)"
    case .timeToResolve: return "resolved_at - detected_at"
    }
  }

  /// A name for people: `time to resolve`.
  public var label: String { rawValue.replacingOccurrences(of: "_", with: " ") }

  /// The measure for one incident in seconds; nil when either time is unset or the
  /// difference is negative (hand-edited records out of order are left out, not counted as 0).
  public func seconds(_ incident: Incident) -> Double? {
    let t = incident.times
    let pair: (Date?, Date?)
    switch self {
    case .timeToDetect: pair = (t.startedAt, t.detectedAt)
    case .timeToAcknowledge: pair = (t.detectedAt, t.acknowledgedAt)
    case .timeToMitigate:
      pair = (t.detectedAt, incident.kind == .security ? t.containedAt : t.mitigatedAt)
    case .timeToResolve: pair = (t.detectedAt, t.resolvedAt)
    }
    guard let from = pair.0, let to = pair.1 else { return nil }
    let value = to.timeIntervalSince(from)
    guard value >= 0 else { return nil }
    return (value * 1000).rounded() / 1000
  }
}

/// Mean, median and 90th percentile of a set of durations, with how many values they rest on.
public struct MetricSummary: Sendable, Equatable {
  /// How many incidents had both times.
  public var n: Int
  /// Arithmetic mean in seconds; nil when n is 0.
  public var mean: Double?
  /// The middle value in seconds (the mean of the two middle values when n is even).
  public var median: Double?
  /// The nearest-rank 90th percentile in seconds: the value at rank ceil(0.9 * n) of the values
  /// in ascending order.
  public var p90: Double?

  /// How the figures are computed, as shown in every output.
  public static let definition =
    "median: the middle value (mean of the two middle values when n is even); p90: nearest rank, the value at rank ceil(0.9 x n) in ascending order; durations in seconds"

  /// Summarises `values` (seconds).
  public init(_ values: [Double]) {
    let sorted = values.sorted()
    n = sorted.count
    guard !sorted.isEmpty else { return }
    mean = sorted.reduce(0, +) / Double(sorted.count)
    let mid = sorted.count / 2
    median = sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    let rank = Int((0.9 * Double(sorted.count)).rounded(.up))
    p90 = sorted[max(1, min(rank, sorted.count)) - 1]
  }
}
