import Foundation

/// The periodic incident review as one self-contained HTML page: inline CSS, inline SVG
/// charts, no scripts and no external resources (nothing is fetched when it is opened).
///
/// Contents: the figures of ``Stats`` with their formulas; a stacked bar chart of incidents
/// per month by severity (when the incidents span more than ``chartMonths`` months, only the
/// last 36 months that have incidents, as the chart's caption says); a histogram
/// of time to resolve; a table of the incidents with links to their `postmortem.md`; the open
/// action items.
public struct ReviewReport: Sendable {
  public var data: ReviewData
  public var stats: Stats
  /// Turns a repository path (`incidents/2026/INC-.../postmortem.md`) into the link written in
  /// the page, relative to where the page is saved.
  public var link: @Sendable (String) -> String

  public init(data: ReviewData, stats: Stats, link: @escaping @Sendable (String) -> String) {
    self.data = data
    self.stats = stats
    self.link = link
  }

  /// Colours per severity position (worst first), then grey.
  static let palette = ["#b71c1c", "#e65100", "#f9a825", "#1976d2", "#607d8b", "#8e24aa", "#00897b"]

  func color(_ severity: String) -> String {
    let rank = data.settings.rank(ofSeverity: severity)
    return rank < Self.palette.count ? Self.palette[rank] : "#9e9e9e"
  }

  static func escape(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(c)
      }
    }
    return out
  }

  /// The page.
  public var html: String {
    let e = Self.escape
    var period = "all incidents"
    if stats.since != nil || stats.until != nil {
      period = "declared" + (stats.since.map { " from \(RFC3339.format($0))" } ?? "") + (stats.until.map { " before \(RFC3339.format($0))" } ?? "")
    }
    var out = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>Incident review</title>
      <style>
      body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #212121; margin: 2em auto; max-width: 1100px; padding: 0 1em; }
      h1, h2 { font-weight: 600; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
      table { border-collapse: collapse; width: 100%; margin: .5em 0; }
      th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
      th { background: #fafafa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
      .sev { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 12px; }
      .muted { color: #757575; } .overdue { color: #b71c1c; font-weight: 600; }
      svg { max-width: 100%; height: auto; } svg text { font: 11px system-ui, sans-serif; fill: #424242; }
      </style>
      </head>
      <body>
      <h1>Incident review</h1>
      <p class="muted">\(e(period)); generated \(e(RFC3339.format(stats.generatedAt))). Times in UTC.</p>

      """
    out += "<h2>Figures</h2>\n<p>\(stats.overall.count) incident\(stats.overall.count == 1 ? "" : "s"): "
    out += e(stats.overall.statuses.map { "\($0.count) \($0.status.rawValue)" }.joined(separator: ", ")) + ".</p>\n"
    out += "<table><thead><tr><th>measure</th><th>formula</th><th>n</th><th>mean</th><th>median</th><th>p90</th></tr></thead><tbody>\n"
    for (metric, s) in stats.overall.metrics {
      out += "<tr><td>\(e(metric.label))</td><td><code>\(e(metric.formula))</code></td><td class=\"num\">\(s.n)</td>"
      for v in [s.mean, s.median, s.p90] { out += "<td class=\"num\">\(e(Stats.duration(v)))</td>" }
      out += "</tr>\n"
    }
    out += "</tbody></table>\n<p class=\"muted\">\(e(MetricSummary.definition)).</p>\n"
    let a = stats.actions
    out += "<p>Action items: \(a.open) open (<span class=\"overdue\">\(a.overdue) overdue</span>), \(a.done) done, \(a.cancelled) cancelled.</p>\n"

    out += "<h2>Incidents over time</h2>\n" + perPeriodChart()
    out += "<h2>Time to resolve</h2>\n" + resolveChart()

    out += "<h2>Incidents</h2>\n<table><thead><tr><th>ID</th><th>severity</th><th>status</th><th>declared</th><th>title</th><th>time to resolve</th><th>postmortem</th></tr></thead><tbody>\n"
    for i in data.incidents {
      let pm = data.postmortems[i.id].map { "<a href=\"\(e(link($0)))\">postmortem.md</a>" } ?? "<span class=\"muted\">none</span>"
      out += "<tr><td><code>\(e(i.id.rawValue))</code></td><td><span class=\"sev\" style=\"background:\(color(i.severity))\">\(e(i.severity))</span></td>"
      out += "<td>\(e(i.status.rawValue))</td><td>\(e(i.times.reportedAt.map(RFC3339.format) ?? "-"))</td><td>\(e(i.title))</td>"
      out += "<td class=\"num\">\(e(Stats.duration(IncidentMetric.timeToResolve.seconds(i))))</td><td>\(pm)</td></tr>\n"
    }
    out += "</tbody></table>\n"

    out += "<h2>Open action items</h2>\n"
    let open = data.actions.filter(\.isOpen).sorted { ($0.due ?? .distantFuture, $0.incident) < ($1.due ?? .distantFuture, $1.incident) }
    if open.isEmpty {
      out += "<p class=\"muted\">No open action items.</p>\n"
    } else {
      out += "<table><thead><tr><th>incident</th><th>action</th><th>owner</th><th>priority</th><th>due</th></tr></thead><tbody>\n"
      for item in open {
        let overdue = item.isOverdue(at: stats.generatedAt)
        out += "<tr><td><code>\(e(item.incident.rawValue))</code></td><td>\(e(item.title))</td><td>\(e(item.owner ?? "unassigned"))</td>"
        out += "<td>\(e(item.priority ?? "-"))</td><td\(overdue ? " class=\"overdue\"" : "")>\(e(item.dueDate ?? "-"))\(overdue ? " (overdue)" : "")</td></tr>\n"
      }
      out += "</tbody></table>\n"
    }
    out += "</body>\n</html>\n"
    return out
  }

  /// The most months the incidents-per-month chart shows, so that its bars stay readable.
  public static let chartMonths = 36

  /// Stacked bars: incidents per month by severity. When the incidents span more than
  /// ``chartMonths`` months, only the last 36 months that have incidents are charted (months
  /// without incidents left out), and the caption under the chart says so.
  func perPeriodChart() -> String {
    let months = data.incidents.map(Stats.month(of:)).filter { $0 != "unknown" }
    guard let first = months.min(), let last = months.max() else {
      return "<p class=\"muted\">No incidents to chart.</p>\n"
    }
    func index(_ m: String) -> Int { (Int(m.prefix(4)) ?? 0) * 12 + (Int(m.suffix(2)) ?? 1) - 1 }
    let span = index(last) - index(first) + 1
    var periods: [String]
    var caption: String
    if span > Self.chartMonths {
      let withIncidents = Set(months).sorted()
      periods = Array(withIncidents.suffix(Self.chartMonths))
      caption = "The incidents span \(span) months (\(first) to \(last)); the chart shows the last \(periods.count) months that have incidents, \(periods.first!) to \(periods.last!), and leaves out months without incidents"
      if withIncidents.count > periods.count {
        let shown = Set(periods)
        let left = months.filter { !shown.contains($0) }.count
        caption += " and \(left) earlier incident\(left == 1 ? "" : "s")"
      }
      caption += "."
    } else {
      periods = (index(first)...index(last)).map { String(format: "%04d-%02d", $0 / 12, $0 % 12 + 1) }
      caption = "Incidents per month by severity, \(first) to \(last)."
    }
    let shownMonths = Set(periods)
    let incidents = data.incidents.filter { shownMonths.contains(Stats.month(of: $0)) }
    func key(_ i: Incident) -> String { Stats.month(of: i) }
    let severities = Lifecycle.unique(incidents.map(\.severity)).sorted { data.settings.rank(ofSeverity: $0) < data.settings.rank(ofSeverity: $1) }
    var counts: [String: [String: Int]] = [:]
    for i in incidents { counts[key(i), default: [:]][i.severity, default: 0] += 1 }
    let maxCount = max(1, periods.map { counts[$0]?.values.reduce(0, +) ?? 0 }.max() ?? 1)
    let width = 900.0, height = 260.0, left = 40.0, bottom = 50.0, top = 10.0
    let plotW = width - left - 10, plotH = height - bottom - top
    let step = plotW / Double(periods.count)
    let barW = max(1, step * 0.8)
    var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height + 24))\" role=\"img\" aria-label=\"Incidents per month by severity\">\n"
    svg += "<title>Incidents per month by severity</title>\n"
    for tick in Self.ticks(maxCount) {
      let y = top + plotH - plotH * Double(tick) / Double(maxCount)
      svg += "<line x1=\"\(left)\" x2=\"\(width - 10)\" y1=\"\(Self.f(y))\" y2=\"\(Self.f(y))\" stroke=\"#eee\"/><text x=\"\(left - 6)\" y=\"\(Self.f(y + 4))\" text-anchor=\"end\">\(tick)</text>\n"
    }
    let labelEvery = max(1, Int((Double(periods.count) / 24).rounded(.up)))
    for (n, period) in periods.enumerated() {
      let x = left + Double(n) * step + (step - barW) / 2
      var y = top + plotH
      for severity in severities {
        let c = counts[period]?[severity] ?? 0
        guard c > 0 else { continue }
        let h = plotH * Double(c) / Double(maxCount)
        y -= h
        svg += "<rect x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" width=\"\(Self.f(barW))\" height=\"\(Self.f(h))\" fill=\"\(color(severity))\"><title>\(Self.escape(period)) \(Self.escape(severity)): \(c)</title></rect>\n"
      }
      if n % labelEvery == 0 {
        let lx = x + barW / 2, ly = top + plotH + 12
        svg += "<text x=\"\(Self.f(lx))\" y=\"\(Self.f(ly))\" text-anchor=\"end\" transform=\"rotate(-45 \(Self.f(lx)) \(Self.f(ly)))\">\(Self.escape(period))</text>\n"
      }
    }
    var lx = left
    for severity in severities {
      svg += "<rect x=\"\(Self.f(lx))\" y=\"\(Int(height + 8))\" width=\"10\" height=\"10\" fill=\"\(color(severity))\"/><text x=\"\(Self.f(lx + 14))\" y=\"\(Int(height + 17))\">\(Self.escape(severity))</text>\n"
      lx += 70
    }
    svg += "</svg>\n<p class=\"muted chart-caption\">\(Self.escape(caption))</p>\n"
    return svg
  }

  /// The buckets of the time-to-resolve histogram: upper bounds in seconds and labels.
  static let resolveBuckets: [(upTo: Double, label: String)] = [
    (900, "< 15m"), (1800, "15-30m"), (3600, "30m-1h"), (7200, "1-2h"), (14_400, "2-4h"),
    (28_800, "4-8h"), (86_400, "8-24h"), (259_200, "1-3d"), (.infinity, "> 3d"),
  ]

  /// A histogram of time to resolve (resolved_at - detected_at).
  func resolveChart() -> String {
    let values = data.incidents.compactMap { IncidentMetric.timeToResolve.seconds($0) }
    guard !values.isEmpty else {
      return "<p class=\"muted\">No incident has both detected_at and resolved_at.</p>\n"
    }
    var counts = Array(repeating: 0, count: Self.resolveBuckets.count)
    for v in values {
      let i = Self.resolveBuckets.firstIndex { v < $0.upTo } ?? Self.resolveBuckets.count - 1
      counts[i] += 1
    }
    let maxCount = max(1, counts.max() ?? 1)
    let width = 900.0, height = 220.0, left = 40.0, bottom = 30.0, top = 10.0
    let plotW = width - left - 10, plotH = height - bottom - top
    let step = plotW / Double(counts.count)
    var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Time to resolve\">\n"
    svg += "<title>Time to resolve (resolved_at - detected_at), \(values.count) incidents</title>\n"
    for tick in Self.ticks(maxCount) {
      let y = top + plotH - plotH * Double(tick) / Double(maxCount)
      svg += "<line x1=\"\(left)\" x2=\"\(width - 10)\" y1=\"\(Self.f(y))\" y2=\"\(Self.f(y))\" stroke=\"#eee\"/><text x=\"\(left - 6)\" y=\"\(Self.f(y + 4))\" text-anchor=\"end\">\(tick)</text>\n"
    }
    for (n, bucket) in Self.resolveBuckets.enumerated() {
      let x = left + Double(n) * step + step * 0.1
      let h = plotH * Double(counts[n]) / Double(maxCount)
      svg += "<rect x=\"\(Self.f(x))\" y=\"\(Self.f(top + plotH - h))\" width=\"\(Self.f(step * 0.8))\" height=\"\(Self.f(h))\" fill=\"#1976d2\"><title>\(Self.escape(bucket.label)): \(counts[n])</title></rect>\n"
      svg += "<text x=\"\(Self.f(x + step * 0.4))\" y=\"\(Self.f(top + plotH + 16))\" text-anchor=\"middle\">\(Self.escape(bucket.label))</text>\n"
    }
    svg += "</svg>\n<p class=\"muted\">Median \(Self.escape(Stats.duration(MetricSummary(values).median))), p90 \(Self.escape(Stats.duration(MetricSummary(values).p90))), n = \(values.count).</p>\n"
    return svg
  }

  static func ticks(_ maxCount: Int) -> [Int] {
    let step = max(1, Int((Double(maxCount) / 5).rounded(.up)))
    return Array(stride(from: 0, through: maxCount, by: step))
  }

  static func f(_ d: Double) -> String { String(format: "%.1f", d) }
}
